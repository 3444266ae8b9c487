/**
 * deploy/base/rbac.yaml grants exactly what the service sends: every action kind,
 * the readiness reads of validation and resume, are run against the sandbox, and
 * the (verb, apiGroup, resource[/subresource]) triples it answered are compared
 * with the ClusterRole's rules in both directions.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { ActDecision } from '../../../src/domain/decision.js';
import type { TargetRef } from '../../../src/domain/target.js';
import { actionSchema, type ActionSpec } from '../../../src/rule-table/schema.js';
import { REPO_ROOT } from '../../helpers/fixtures.js';
import { startSandboxCluster, type SandboxCluster } from '../../helpers/sandbox.js';

const dep = (name: string): TargetRef => ({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name });
const STS: TargetRef = { apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: 'ci', name: 'queue-broker' };
const DB: TargetRef = { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', namespace: 'ci', name: 'ci-failure-agent-db' };

const act = (target: TargetRef, a: ActionSpec, before: ActDecision['before'], after: ActDecision['after']): ActDecision => ({
  outcome: 'act', rule: 'r', target, action: a.type, before, after, explanation: 'rbac exercise', facts: {},
});

function granted(): Set<string> {
  const docs = parseAllDocuments(readFileSync(join(REPO_ROOT, 'deploy', 'base', 'rbac.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string; rules?: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> });
  const role = docs.find((d) => d.kind === 'ClusterRole')!;
  const out = new Set<string>();
  for (const r of role.rules ?? []) for (const g of r.apiGroups) for (const res of r.resources) for (const v of r.verbs) out.add(`${v} ${g || 'core'} ${res}`);
  return out;
}

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
  });

  test('the ClusterRole grants each triple the service sent, and nothing it did not send', () => {
    const used = new Set(
      s.api.requests
        .filter((r) => r.resource && r.code < 400)
        .map((r) => `${r.verb} ${r.apiGroup || 'core'} ${r.resource}${r.subresource ? `/${r.subresource}` : ''}`),
    );
    const rbac = granted();
    expect([...used].filter((u) => !rbac.has(u)).sort()).toEqual([]);
    expect([...rbac].filter((g) => !used.has(g)).sort()).toEqual([]);
  });
});
