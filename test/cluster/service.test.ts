/**
 * The service as a real process against a real kube-apiserver, authenticated as the
 * `autoremediator` ServiceAccount that deploy/'s RBAC binds (nothing more), given captured
 * Alertmanager bodies:
 * - HighPodCPU → the HPA floor raised → the real HPA controller scales the Deployment → kwok's
 *   pods become Ready → the run succeeds, judged from the real Deployment's status; the Event and
 *   the `autoremediator.io/last-remediation` annotation are read back from the API.
 * - A CloudNativePG `Cluster` scaled through the real CRD's scale subresource.
 * - One verb removed from the ClusterRole: the run ends `failed` with reason `forbidden`, quickly,
 *   instead of hanging or retrying.
 */
import { jest } from '@jest/globals';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppsV1Api, AutoscalingV2Api, CoreV1Api, CustomObjectsApi, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { waitFor } from '../helpers/binaries.js';
import { describeWithComponents } from '../helpers/components.js';
import { fixture, REPO_ROOT } from '../helpers/fixtures.js';
import { fastRuleTable } from '../../src/sandbox/workload/fast-rules.js';
import { CONTROL_PLANE_COMPONENTS, startControlPlane, type ControlPlane } from './control-plane.js';
import { startServiceOn, type ServiceOnControlPlane } from './service-process.js';

jest.setTimeout(240_000);

interface Remediation {
  id: string;
  rule: string | null;
  phase: string;
  decision: { outcome: string; reason?: string; explanation: string };
  result: Record<string, unknown> | null;
  transitions: { from: string | null; to: string; at: string; note: string }[];
}

describeWithComponents(CONTROL_PLANE_COMPONENTS, 'the service on a real control plane, as its ServiceAccount', () => {
  let cp: ControlPlane;
  let svc: ServiceOnControlPlane;

  const post = async (body: Buffer | string) => expect(await svc.post(body)).toBe(202);
  const remediations = async () => (await svc.admin<{ items: Remediation[] }>('/api/v1/remediations?limit=200')).items;
  const terminal = (r: Remediation) => ['succeeded', 'rolled_back', 'failed', 'skipped'].includes(r.phase);
  const waitForRun = async (rule: string, timeoutMs = 120_000): Promise<Remediation> => {
    let found: Remediation | undefined;
    await waitFor(`a finished run of ${rule}`, async () => {
      found = (await remediations()).find((r) => r.rule === rule && r.decision.outcome === 'act' && terminal(r));
      return found !== undefined;
    }, timeoutMs, 250);
    return found!;
  };

  beforeAll(async () => {
    cp = await startControlPlane();
    // The shipped rules with every time shortened (fastRuleTable), written into the service's folder.
    svc = await startServiceOn(cp, (dir) => {
      mkdirSync(join(dir, 'rules'));
      writeFileSync(join(dir, 'rules', 'ci-failure-agent.yaml'), fastRuleTable(readFileSync(join(REPO_ROOT, 'rules', 'ci-failure-agent.yaml'), 'utf8')));
      return join(dir, 'rules');
    });
  });

  afterAll(async () => {
    await svc?.stop();
    await cp?.stop();
  });

  test('HighPodCPU: HPA floor raised, the real HPA controller scales, kwok pods Ready, run succeeded; Event and annotation on the Deployment', async () => {
    await post(fixture('firing-group-HighPodCPU-3-alerts.json'));
    const run = await waitForRun('cpu-raise-hpa-floor');
    expect({ phase: run.phase, explanation: run.decision.explanation }).toEqual({ phase: 'succeeded', explanation: expect.stringMatching(/minReplicas 3→5/) });

    const hpa = await cp.admin.makeApiClient(AutoscalingV2Api).readNamespacedHorizontalPodAutoscaler({ namespace: 'ci', name: 'ci-failure-agent' });
    expect(hpa.spec?.minReplicas).toBe(5);
    // The Deployment was scaled by the HPA controller, not by us (we patched only the HPA), and is Ready.
    const d = await cp.admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ namespace: 'ci', name: 'ci-failure-agent' });
    expect(d.spec?.replicas).toBe(5);
    expect(d.status?.readyReplicas).toBe(5);
    const scaledBy = (d.metadata?.managedFields ?? []).filter((f) => JSON.stringify(f.fieldsV1 ?? {}).includes('f:replicas')).map((f) => f.manager);
    expect(scaledBy).not.toContain('autoremediator');
    // The apiserver's audit log of the ServiceAccount: one write to the HPA, none to the Deployment's replicas.
    const writes = cp.requests().filter((r) => ['patch', 'update', 'create'].includes(r.verb) && r.resource !== 'events');
    expect(writes.filter((r) => r.resource === 'horizontalpodautoscalers').map((r) => `${r.verb} ${r.name} ${r.code}`)).toEqual(['patch ci-failure-agent 200']);
    expect(writes.filter((r) => r.resource === 'deployments' && r.subresource === 'scale')).toEqual([]);

    // kubectl describe's story: the Event on the target and the annotation.
    const events = await cp.admin.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: 'ci', fieldSelector: 'involvedObject.name=ci-failure-agent' });
    const ours = events.items.filter((e) => e.source?.component === 'autoremediator' || e.reportingComponent === 'autoremediator');
    expect(ours.map((e) => e.message).join('\n')).toContain(run.id);
    const annotated = (await cp.admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ namespace: 'ci', name: 'ci-failure-agent' })).metadata?.annotations ?? {};
    const hpaAnnotations = hpa.metadata?.annotations ?? {};
    expect(annotated['autoremediator.io/last-remediation'] ?? hpaAnnotations['autoremediator.io/last-remediation']).toContain(run.id);
  });

  test('a CloudNativePG Cluster is scaled through the real CRD scale subresource', async () => {
    const body = JSON.parse(fixture('firing-single-QueueDepthHigh.json').toString()) as { alerts: { labels: Record<string, string>; fingerprint: string }[]; commonLabels: Record<string, string>; groupLabels: Record<string, string> };
    // The captured envelope with the database alert's labels (same shape as Alertmanager sends).
    const labels = { alertname: 'DatabaseConnectionsHigh', cluster: 'e2e-local', namespace: 'ci', service: 'ci-failure-agent', severity: 'warning', pod: 'ci-failure-agent-db-1' };
    body.alerts = [{ ...body.alerts[0]!, labels, fingerprint: 'c0ffee00d15ea5e1' }];
    body.commonLabels = labels;
    body.groupLabels = { alertname: 'DatabaseConnectionsHigh', service: 'ci-failure-agent' };
    const custom = cp.admin.makeApiClient(CustomObjectsApi);
    const before = (await custom.getNamespacedCustomObject({ group: 'postgresql.cnpg.io', version: 'v1', namespace: 'ci', plural: 'clusters', name: 'ci-failure-agent-db' })) as { spec: { instances: number } };
    await post(JSON.stringify(body));
    let instances = before.spec.instances;
    await waitFor('spec.instances raised', async () => {
      const c = (await custom.getNamespacedCustomObject({ group: 'postgresql.cnpg.io', version: 'v1', namespace: 'ci', plural: 'clusters', name: 'ci-failure-agent-db' })) as { spec: { instances: number } };
      instances = c.spec.instances;
      return instances > before.spec.instances;
    }, 60_000, 250);
    expect(instances).toBe(before.spec.instances + 1);
    const scale = (await custom.getNamespacedCustomObjectScale({ group: 'postgresql.cnpg.io', version: 'v1', namespace: 'ci', plural: 'clusters', name: 'ci-failure-agent-db' })) as { spec: { replicas: number } };
    expect(scale.spec.replicas).toBe(instances);
  });

  test('a verb removed from the ClusterRole: the run ends failed with reason forbidden, within seconds', async () => {
    const rbac = cp.admin.makeApiClient(RbacAuthorizationV1Api);
    const role = await rbac.readClusterRole({ name: 'autoremediator' });
    const without = structuredClone(role);
    without.rules = (without.rules ?? []).map((r) => (r.resources?.includes('deployments/scale') ? { ...r, verbs: r.verbs.filter((v) => v !== 'update') } : r));
    expect(JSON.stringify(without.rules)).not.toEqual(JSON.stringify(role.rules));
    await rbac.replaceClusterRole({ name: 'autoremediator', body: without });
    try {
      const started = Date.now();
      await post(fixture('firing-single-QueueDepthHigh.json'));
      const run = await waitForRun('queue-add-consumers', 60_000);
      expect({ phase: run.phase, reason: (run.result as { reason?: string } | null)?.reason ?? run.transitions.at(-1)?.note }).toEqual({ phase: 'failed', reason: expect.stringMatching(/forbidden/) });
      expect(Date.now() - started).toBeLessThan(30_000);
      // Nothing changed: the consumer Deployment keeps its replicas.
      const d = await cp.admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ namespace: 'ci', name: 'ci-failure-agent-consumer' });
      expect(d.metadata?.managedFields?.some((f) => f.manager === 'autoremediator')).toBe(false);
    } finally {
      await rbac.replaceClusterRole({ name: 'autoremediator', body: { ...role, metadata: { ...role.metadata, resourceVersion: undefined } } });
    }
  });
});
