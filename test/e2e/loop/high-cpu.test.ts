/**
 * The loop, scenario 1: load rises → HighPodCPU fires in Prometheus → Alertmanager →
 * the service raises the HPA floor of ci-failure-agent (rule cpu-raise-hpa-floor,
 * its step policy: 3 → 5) → CPU per pod falls → validation through the same
 * Prometheus passes → the alert resolves → restore steps the floor back.
 */
import { describeWithBinaries, waitFor } from '../../helpers/binaries.js';
import { describeWithComponents } from '../../helpers/components.js';
import { CONTROL_PLANE_COMPONENTS } from '../../cluster/control-plane.js';
import { LOOP_BINARIES, startLoop, type Loop, type LoopCluster } from './harness.js';

const CPU_PER_POD = 'max(sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{namespace="ci",pod=~"ci-failure-agent-[a-z0-9]+-[a-z0-9]{5}",container!="",container!="POD",image!=""}[5s])))';

/** The same scenario on the sandbox and on a real control plane (the real HPA controller scales; kwok's pods become Ready). */
const scenario = (on: LoopCluster['kind']) => () => {
  let loop: Loop;

  beforeAll(async () => {
    loop = await startLoop({ name: on === 'sandbox' ? 'high-cpu' : 'high-cpu-control-plane', on });
    loop.startWatching();
  }, 180_000);

  afterAll(async () => {
    await loop?.close();
  }, 30_000);

  test('load rises → HPA floor 3 → 5 → CPU per pod falls → validated → resolved → floor back to 3', async () => {
    try {
      // Given: 3 API pods serving 300 req/s (≈ 0.35 cores each), HPA 3..20, Prometheus scraping.
      await waitFor('the first scrapes', async () => (await loop.query(CPU_PER_POD)) > 0, 30_000, 200);
      expect(loop.hpa()).toEqual({ min: 3, max: 20 });
      expect(await loop.promAlerts()).toEqual([]);

      // When: the load steps to 900 req/s: 300 per pod, ≈ 0.95 cores each (threshold 0.8).
      await loop.load({ rps: 900 });

      // Then: HighPodCPU goes pending, then firing, in Prometheus.
      await loop.waitForAlert('HighPodCPU', 'pending', 30_000);
      await loop.waitForAlert('HighPodCPU', 'firing', 30_000);

      // And the service raises the HPA floor by the rule's step policy (+2 or +50 %: 3 → 5).
      const act = await loop.waitForRemediation('the HPA floor raise', (r) => r.rule === 'cpu-raise-hpa-floor' && r.decision.outcome === 'act' && r.origin === 'alert', 30_000);
      expect(act.decision.before).toEqual({ minReplicas: 3, maxReplicas: 20 });
      expect(act.decision.after).toEqual({ minReplicas: 5, maxReplicas: 20 });
      expect(act.decision.explanation).toMatch(/HighPodCPU is firing/);
      await waitFor('5 ready API pods', () => Promise.resolve(loop.replicas('Deployment', 'ci-failure-agent').ready === 5), 30_000);

      // And CPU per pod falls below the threshold, measured by the same Prometheus.
      await waitFor('CPU per pod below 0.8', async () => (await loop.query(CPU_PER_POD)) < 0.8, 30_000, 250);

      // And validation through that Prometheus passes.
      const done = await loop.waitForRemediation('the raise to succeed', (r) => r.id === act.id && r.phase !== 'validating' && r.phase !== 'applying' && r.phase !== 'planned', 60_000);
      expect(done.phase).toBe('succeeded');
      const validation = done.result?.validation as { outcome: string; checks: Record<string, { phase: string; after: number | null }> };
      expect(validation.outcome).toBe('passed');
      expect(Object.values(validation.checks).map((c) => c.phase)).toEqual(['Successful', 'Successful', 'Successful']);
      expect(validation.checks['p99-within-sla']!.after).toBeLessThan(0.5);

      // And the alert resolves.
      await loop.waitForAlertGone('HighPodCPU', 30_000);

      // And once it stayed resolved (restore.after, 15 s here), restore steps the floor back to 3.
      await waitFor('the HPA floor back at 3', () => Promise.resolve(loop.hpa().min === 3), 90_000, 250);
      // The write reaches the API server before its run records `validating`: wait for the journal to catch up.
      const applied = async () => (await loop.remediations()).filter((r) => r.origin === 'restore' && r.decision.outcome === 'act');
      await waitFor('every restore step recorded past applying', async () => (await applied()).every((r) => r.phase !== 'planned' && r.phase !== 'applying'), 10_000, 100);
      const restores = await applied();
      expect(restores.length).toBeGreaterThanOrEqual(1);
      expect(restores.map((r) => r.phase).filter((p) => p !== 'succeeded' && p !== 'validating')).toEqual([]);
      // One floor raise in all: the other pods' alerts of the same group were skipped, not acted on.
      const raises = (await loop.remediations()).filter((r) => r.rule === 'cpu-raise-hpa-floor' && r.decision.outcome === 'act' && r.origin === 'alert');
      expect(raises).toHaveLength(1);

      const measurement = await loop.measure('HighPodCPU', 'cpu-raise-hpa-floor', { resource: 'horizontalpodautoscalers', name: 'ci-failure-agent' });
      expect(measurement.ownMs).toBeGreaterThanOrEqual(0);
      expect(measurement.activeToRequestMs).toBeGreaterThan(measurement.ownMs);
      await loop.finish({ measurement });
    } catch (err) {
      await loop.finish({ error: String(err), serviceLog: loop.serviceLog() });
      throw err;
    }
  }, 240_000);
};

describeWithBinaries(LOOP_BINARIES, 'loop: HighPodCPU raises the HPA floor, validated and restored', scenario('sandbox'));
describeWithBinaries(LOOP_BINARIES, 'loop on a real control plane', () => {
  describeWithComponents(CONTROL_PLANE_COMPONENTS, 'HighPodCPU raises the HPA floor, the real HPA controller scales, validated and restored', scenario('control-plane'));
});
