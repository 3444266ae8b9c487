/**
 * The RBAC of every install grants exactly what the service sends: every action kind, the
 * readiness reads of validation and resume, are run against the sandbox, and the (verb,
 * apiGroup, resource[/subresource]) triples it answered are compared in both directions with
 * - the ClusterRole of the kustomize overlays (renderings of the chart, committed), and
 * - with a real Helm, the chart rendered with rbac.scope=cluster (the ClusterRole) and with
 *   rbac.scope=namespaces (each Role), and with rbac.cloudNativePG=false (the same minus the
 *   postgresql.cnpg.io triples).
 * Finding a target from the pod or HPA an alert names (target.from) reads pods, ReplicaSets and
 * HPAs: exercised here too.
 */
import { join } from 'node:path';
import type { ActDecision } from '../../../src/domain/decision.js';
import type { TargetRef } from '../../../src/domain/target.js';
import type { Rule } from '../../../src/rule-table/rule.js';
import { actionSchema, ruleSchema, type ActionSpec } from '../../../src/rule-table/schema.js';
import { resolveRule } from '../../../src/targets/rule-target.js';
import { REPO_ROOT } from '../../helpers/fixtures.js';
import { component, describeWithComponents } from '../../helpers/components.js';
import { startSandboxCluster, type SandboxCluster } from '../../helpers/sandbox.js';
import { helmTemplate, valueSet } from '../deploy/chart.js';
import { readObjects, type K8sObject } from '../deploy/manifests.js';
import { kedaHpa, scaledObject } from '../../contract/cluster.contract.js';

const dep = (name: string): TargetRef => ({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name });
const STS: TargetRef = { apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: 'ci', name: 'queue-broker' };
const DB: TargetRef = { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', namespace: 'ci', name: 'ci-failure-agent-db' };

const act = (target: TargetRef, a: ActionSpec, before: ActDecision['before'], after: ActDecision['after']): ActDecision => ({
  outcome: 'act', rule: 'r', target, action: a.type, before, after, explanation: 'rbac exercise', facts: {},
});

/** The triples a ClusterRole or Role grants, as `verb group resource[/subresource]`. */
function granted(role: K8sObject): Set<string> {
  const out = new Set<string>();
  for (const r of (role.rules ?? []) as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>) for (const g of r.apiGroups) for (const res of r.resources) for (const v of r.verbs) out.add(`${v} ${g || 'core'} ${res}`);
  return out;
}

/** Both directions at once: what was sent and not granted, what is granted and was not sent. */
const difference = (used: Set<string>, rbac: Set<string>) => ({
  missing: [...used].filter((u) => !rbac.has(u)).sort(),
  extra: [...rbac].filter((g) => !used.has(g)).sort(),
});

describe('RBAC is derived from what the service sends', () => {
  let s: SandboxCluster;
  beforeAll(async () => {
    s = await startSandboxCluster();
    s.api.put({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'queue-broker', namespace: 'ci' },
      spec: { replicas: 1, serviceName: 'queue-broker', selector: { matchLabels: { app: 'queue-broker' } }, template: { metadata: { labels: { app: 'queue-broker' } }, spec: { containers: [{ name: 'broker', image: 'b', resources: { requests: { memory: '256Mi' }, limits: { memory: '512Mi' } } }] } } },
    });
    s.api.tick();
  });
  afterAll(async () => s.close());

  test('every action kind, readiness and resume reads, against the sandbox', async () => {
    const { cluster } = s;
    const scale = actionSchema.parse({ type: 'scale', maxReplicas: 10 });
    for (const t of [dep('ci-failure-agent-consumer'), STS, DB]) {
      const state = await cluster.readState(t, scale);
      const r = state.found ? state.replicas! : 0;
      const out = await cluster.apply(act(t, scale, { replicas: r }, { replicas: r + 1 }), scale, 'x');
      expect(out.ok).toBe(true);
      expect((await cluster.restore(t, scale, { replicas: r }, 'x')).ok).toBe(true);
      await cluster.readObject(t); // rollout readiness in validation
    }
    const hpa = actionSchema.parse({ type: 'hpa', ceiling: 30 });
    await cluster.readState(dep('ci-failure-agent'), hpa);
    expect((await cluster.apply(act(dep('ci-failure-agent'), hpa, { minReplicas: 3, maxReplicas: 20 }, { minReplicas: 3, maxReplicas: 25 }), hpa, 'x')).ok).toBe(true);
    // KEDA: an hpa action on the HPA a ScaledObject owns reads and patches the ScaledObject (never the HPA).
    const so = s.api.put(scaledObject('ci', 'consumer-so', 'ci-failure-agent-consumer', 2, 6) as never);
    s.api.put(kedaHpa(so as never, 'ci-failure-agent-consumer', 2, 6) as never);
    const kedaRead = await cluster.readState(dep('ci-failure-agent-consumer'), hpa);
    expect(kedaRead.found && kedaRead.hpa?.scaledObject).toBe('consumer-so');
    expect((await cluster.apply(act(dep('ci-failure-agent-consumer'), hpa, { minReplicas: 2, maxReplicas: 6 }, { minReplicas: 3, maxReplicas: 6 }), hpa, 'x')).ok).toBe(true);
    expect((await cluster.restore(dep('ci-failure-agent-consumer'), hpa, { minReplicas: 2, maxReplicas: 6 }, 'x')).ok).toBe(true);
    const mem = (t: TargetRef, c: string, req: string, lim: string, req2: string, lim2: string) =>
      cluster.apply(act(t, actionSchema.parse({ type: 'resources', container: c, resource: 'memory', factor: 1.5, cap: '4Gi' }), { 'requests.memory': req, 'limits.memory': lim }, { 'requests.memory': req2, 'limits.memory': lim2 }), actionSchema.parse({ type: 'resources', container: c, resource: 'memory', factor: 1.5, cap: '4Gi' }), 'x');
    expect((await mem(dep('ci-failure-agent'), 'ci-failure-agent', '512Mi', '1Gi', '768Mi', '1536Mi')).ok).toBe(true);
    expect((await mem(STS, 'broker', '256Mi', '512Mi', '384Mi', '768Mi')).ok).toBe(true);
    s.api.tick();
    const restart = actionSchema.parse({ type: 'restart' });
    const r = await cluster.apply(act(dep('ci-failure-agent'), restart, {}, {}), restart, 'x');
    expect(r.ok).toBe(true);
    s.api.tick();
    expect((await cluster.restore(dep('ci-failure-agent'), restart, r.ok ? r.snapshot : {}, 'x')).ok).toBe(true);
    // redis: the address comes from the Service the rule names (the real Redis at 127.0.0.1:6379).
    s.api.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'ci-failure-agent-redis', namespace: 'ci' }, spec: { clusterIP: '127.0.0.1', ports: [{ name: 'redis', port: 6379 }] } });
    const redis = actionSchema.parse({ type: 'redis', service: 'ci-failure-agent-redis', port: 'redis', factor: 1.5, cap: '1Gi' });
    await cluster.readState(dep('ci-failure-agent-redis'), redis);
    // A rule's quota guard (the shipped queue-add-consumers has one): the namespace's ResourceQuotas and a pod's requests.
    expect(Array.isArray(await cluster.guardReads.quotas('ci'))).toBe(true);
    await cluster.guardReads.podResources(dep('ci-failure-agent-consumer'));
  });

  test('finding targets from what alerts name: a pod (→ ReplicaSet → Deployment, → StatefulSet) and an HPA', async () => {
    const rule = (from: 'Pod' | 'HorizontalPodAutoscaler', name: string, action: ActionSpec): Rule => ({
      ...ruleSchema.parse({ name: 'r', matchers: ['alertname="X"'], target: { from, namespace: 'ci', name }, action }),
      source: { file: 'rbac', index: 0 },
      compiled: [],
    });
    const alert = { status: 'firing' as const, labels: { alertname: 'X' }, annotations: {}, startsAt: new Date().toISOString() };
    const deps = { cluster: s.cluster, settings: { allowedNamespaces: ['ci'] } };
    const podOf = (owner: string) => s.api.list('v1', 'Pod', 'ci').find((p) => p.metadata.name.startsWith(`${owner}-`))!.metadata.name;
    const hpa = actionSchema.parse({ type: 'hpa', ceiling: 30 });
    expect(await resolveRule(rule('Pod', podOf('ci-failure-agent'), hpa), alert, deps)).toMatchObject({ ok: true, target: dep('ci-failure-agent') });
    expect(await resolveRule(rule('Pod', podOf('queue-broker'), actionSchema.parse({ type: 'scale', maxReplicas: 5 })), alert, deps)).toMatchObject({ ok: true, target: STS });
    expect(await resolveRule(rule('HorizontalPodAutoscaler', 'ci-failure-agent', hpa), alert, deps)).toMatchObject({ ok: true, target: dep('ci-failure-agent') });
  });

  const used = () =>
    new Set(
      s.api.requests
        .filter((r) => r.resource && r.code < 400)
        .map((r) => `${r.verb} ${r.apiGroup || 'core'} ${r.resource}${r.subresource ? `/${r.subresource}` : ''}`),
    );

  test('every request is namespaced, in the target\'s namespace: a Role per allowed namespace can grant it', () => {
    const resourceRequests = s.api.requests.filter((r) => r.resource);
    expect(resourceRequests.length).toBeGreaterThan(10);
    expect(resourceRequests.filter((r) => r.namespace !== 'ci').map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  test.each(['overlays/single', 'overlays/ha'])('the ClusterRole of deploy/%s grants each triple the service sent, and nothing it did not send', (dir) => {
    const objects = readObjects(join(REPO_ROOT, 'deploy', dir, 'autoremediator.yaml'));
    expect(difference(used(), granted(objects.find((o) => o.kind === 'ClusterRole')!))).toEqual({ missing: [], extra: [] });
  });

  describeWithComponents(['helm'], 'the chart, rendered by Helm', () => {
    const bin = component('helm')!;
    const cnpg = (t: string) => t.includes(' postgresql.cnpg.io ');

    test('rbac.scope=cluster: the ClusterRole grants exactly what was sent', async () => {
      const { objects } = await helmTemplate(bin, valueSet('cluster'));
      expect(difference(used(), granted(objects.find((o) => o.kind === 'ClusterRole')!))).toEqual({ missing: [], extra: [] });
    });

    test('rbac.scope=namespaces in release namespace platform-tools: each Role grants exactly what was sent, in each allowed namespace', async () => {
      const v = valueSet('namespaces');
      expect(v.namespace).toBe('platform-tools');
      const { objects } = await helmTemplate(bin, v);
      const roles = objects.filter((o) => o.kind === 'Role');
      expect(roles.map((r) => r.metadata.namespace).sort()).toEqual(['ci', 'payments']);
      for (const role of roles) expect({ ns: role.metadata.namespace, ...difference(used(), granted(role)) }).toEqual({ ns: role.metadata.namespace, missing: [], extra: [] });
    });

    test('rbac.cloudNativePG=false: the same without the postgresql.cnpg.io triples (and nothing else removed)', async () => {
      const { objects } = await helmTemplate(bin, valueSet('namespaces'), ['rbac.cloudNativePG=false']);
      const withoutCnpg = new Set([...used()].filter((t) => !cnpg(t)));
      expect([...used()].some(cnpg)).toBe(true);
      for (const role of objects.filter((o) => o.kind === 'Role')) expect(difference(withoutCnpg, granted(role))).toEqual({ missing: [], extra: [] });
    });
  });
});
