/**
 * A full ResourceQuota stops an action, on a real kube-apiserver with its quota controller and
 * quota admission: the shipped rule queue-add-consumers, decided by the service's engine as the
 * service's ServiceAccount (deploy/'s RBAC), skips `quota-exceeded` with the numbers the quota
 * controller reports; and the apiserver's admission agrees with that arithmetic (a pod asking
 * for what the guard says is missing is refused with "exceeded quota", one within the room
 * is admitted).
 */
import { jest } from '@jest/globals';
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { formatCpu } from '../../src/planner/quantity.js';
import { KubeCluster } from '../../src/actions/kube-cluster.js';
import { createRedisConnector } from '../../src/actions/redis-connector.js';
import { KubeClient } from '../../src/kube/client.js';
import { quantity } from '../../src/kube/guard-reads.js';
import { systemClock } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { createMetrics } from '../../src/platform/metrics.js';
import { Engine } from '../../src/remediation/engine.js';
import { loadRuleTable } from '../../src/rule-table/loader.js';
import { openStore } from '../../src/store/open-store.js';
import { noValidation } from '../../src/validation/port.js';
import { describeWithComponents } from '../helpers/components.js';
import { REPO_ROOT } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/binaries.js';
import { FAST_RETRY } from '../helpers/sandbox.js';
import { CONTROL_PLANE_COMPONENTS, startControlPlane, type ControlPlane } from './control-plane.js';
import { join } from 'node:path';

jest.setTimeout(240_000);

describeWithComponents(CONTROL_PLANE_COMPONENTS, 'guards.quota on a real kube-apiserver', () => {
  let cp: ControlPlane;
  afterAll(async () => {
    await cp?.stop();
  }, 60_000);

  test('a full ResourceQuota stops QueueDepthHigh with the numbers; admission refuses what the guard says does not fit', async () => {
    cp = await startControlPlane({ seed: true });
    const core = cp.admin.makeApiClient(CoreV1Api);
    const ns = 'ci';
    // The consumers of the reference workload run (2 pods × 100m).
    await waitFor('the consumer pods', async () => (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app.kubernetes.io/component=consumer' })).items.filter((p) => p.spec?.nodeName).length === 2, 90_000, 250);

    // A quota that first only measures, then is set to leave 50m of CPU requests.
    await core.createNamespacedResourceQuota({ namespace: ns, body: { metadata: { name: 'compute' }, spec: { hard: { 'requests.cpu': '100', pods: '100' } } } });
    let usedCpu = 0;
    let usedPods = 0;
    await waitFor('the quota controller to report usage', async () => {
      const q = await core.readNamespacedResourceQuota({ name: 'compute', namespace: ns });
      if (!q.status?.used) return false;
      usedCpu = quantity(q.status.used['requests.cpu']);
      usedPods = quantity(q.status.used.pods);
      return usedPods > 0;
    }, 60_000, 250);
    const hardCpu = `${Math.round(usedCpu * 1000) + 50}m`;
    await core.patchNamespacedResourceQuota(
      { name: 'compute', namespace: ns, body: { spec: { hard: { 'requests.cpu': hardCpu, pods: '100' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await waitFor('status.hard to follow spec.hard', async () => (await core.readNamespacedResourceQuota({ name: 'compute', namespace: ns })).status?.hard?.['requests.cpu'] === hardCpu, 30_000, 250);

    // The service's decision, as its ServiceAccount, through the shipped rules.
    const sa = new KubeConfig();
    sa.loadFromFile(cp.kubeconfig);
    const loaded = await loadRuleTable(join(REPO_ROOT, 'rules'));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const store = await openStore(':memory:');
    const redis = createRedisConnector();
    try {
      const engine = new Engine({
        store,
        rules: () => loaded.table,
        cluster: new KubeCluster(new KubeClient(sa, FAST_RETRY), redis, systemClock, silentLogger),
        prometheus: null,
        validator: noValidation,
        clock: systemClock,
        logger: silentLogger,
        metrics: createMetrics(false),
        settings: { dryRun: false, allowedNamespaces: ['ci'], budgets: { namespace: { max: 10, windowMs: 600_000 }, global: { max: 50, windowMs: 600_000 } } },
        queueCapacity: 1,
        concurrency: 1,
        instanceId: 'guards-quota',
        breaker: { rollbacks: 3, windowMs: 3_600_000 },
      });
      const alert = {
        id: null,
        status: 'firing' as const,
        labels: { alertname: 'QueueDepthHigh', service: 'ci-failure-agent', namespace: ns, queue: 'ci-failure-events', severity: 'warning', job: 'ci-failure-agent' },
        annotations: { summary: 'Queue ci-failure-events is backing up' },
        startsAt: new Date().toISOString(),
        fingerprint: 'guards-quota',
      };
      const decision = (await engine.evaluate(alert, { record: false, origin: 'alert' }))[0]!.decision;
      expect(decision.outcome === 'skip' && decision.reason).toBe('quota-exceeded');
      expect(decision.explanation).toContain(`ResourceQuota compute requests.cpu: 2 more pods × 100m = 200m needed, ${formatCpu(usedCpu)} of ${formatCpu(quantity(hardCpu))} used, room for 50m`);
      expect(decision.explanation).toContain('Would have done: scale ci/deployment/ci-failure-agent-consumer from 2 to 4 replicas.');
    } finally {
      await store.close();
      await redis.close();
    }

    // The apiserver's quota admission agrees: a pod asking for the 200m the guard says is missing is
    // refused, one asking for the 50m of room is admitted.
    const pod = (name: string, cpu: string) => ({ metadata: { name }, spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu, memory: '1Mi' }, limits: { cpu, memory: '1Mi' } } }] } });
    const refused = await core.createNamespacedPod({ namespace: ns, body: pod('too-big', '200m') }).then(
      () => null,
      (err: { code?: number; body?: string }) => err,
    );
    expect(refused?.code).toBe(403);
    expect(String(refused?.body)).toMatch(/exceeded quota: compute, requested: requests.cpu=200m/);
    await core.createNamespacedPod({ namespace: ns, body: pod('fits', '50m') });
  });
});
