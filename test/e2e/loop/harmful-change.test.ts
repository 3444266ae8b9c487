/**
 * The loop, scenario 3: a scale-out that hurts. Every consumer holds database
 * connections; beyond 2 consumers the pool is exhausted and the API answers 500
 * (the sandbox fault dbPoolExhaustedAbove). QueueDepthHigh → consumers 2 → 4 →
 * the error-rate check through the same Prometheus fails → rollback to 2; the
 * next episode does the same → the second rollback opens the target's breaker
 * (BREAKER_ROLLBACKS=2) → the third episode is skipped with reason breaker-open.
 */
import { describeWithBinaries, waitFor } from '../../helpers/binaries.js';
import { describeWithComponents } from '../../helpers/components.js';
import { CONTROL_PLANE_COMPONENTS } from '../../cluster/control-plane.js';
import { LOOP_BINARIES, startLoop, type Loop, type LoopCluster, type RemediationView } from './harness.js';

const TARGET = 'ci/deployment/ci-failure-agent-consumer';
const ERROR_RATE = 'sum(rate(http_requests_total{namespace="ci",job="ci-failure-agent",code=~"5.."}[5s])) / sum(rate(http_requests_total{namespace="ci",job="ci-failure-agent"}[5s]))';

/** The same scenario on the sandbox and on a real control plane (the real Deployment controller scales; kwok's pods become Ready). */
const scenario = (on: LoopCluster['kind']) => () => {
  let loop: Loop;

  beforeAll(async () => {
    loop = await startLoop({
      name: on === 'sandbox' ? 'harmful-change' : 'harmful-change-control-plane',
      on,
      serviceEnv: { BREAKER_ROLLBACKS: '2' },
      workload: { faults: { dbPoolExhaustedAbove: { replicas: 2, deployment: 'ci-failure-agent-consumer' } } },
    });
    loop.startWatching();
  }, 180_000);

  afterAll(async () => {
    await loop?.close();
  }, 30_000);

  const consumerActs = async (): Promise<RemediationView[]> =>
    (await loop.remediations()).filter((r) => r.rule === 'queue-add-consumers' && r.origin === 'alert' && r.decision.outcome === 'act');

  /** One episode: the backlog grows past 1000 until the service has decided, then drains until the alert resolves. */
  async function episode(n: number, decided: () => Promise<boolean>): Promise<void> {
    loop.note('note', `episode ${n}: the message rate rises`);
    await loop.load({ messagesPerSecond: 450 });
    await loop.waitForAlert('QueueDepthHigh', 'firing', 45_000);
    await waitFor(`episode ${n} decided`, decided, 60_000, 200);
    loop.note('note', `episode ${n}: the message rate drops; the backlog drains`);
    await loop.load({ messagesPerSecond: 0 });
    await loop.waitForAlertGone('QueueDepthHigh', 60_000);
  }

  test('rollback when validation fails; the second rollback opens the breaker; then nothing is touched', async () => {
    try {
      // Given: 2 consumers, the API error rate at 0 in Prometheus.
      await waitFor('the first scrapes', async () => (await loop.query(ERROR_RATE)) === 0, 30_000, 200);
      expect(loop.replicas('Deployment', 'ci-failure-agent-consumer')).toEqual({ spec: 2, ready: 2 });

      // When: the backlog grows past 1000 messages (450/s against 2 × 150/s).
      // Then: the consumers are scaled 2 → 4, the API starts failing, error-rate fails, the scale is rolled back.
      await episode(1, async () => (await consumerActs()).some((r) => r.phase === 'rolled_back' || r.phase === 'failed' || r.phase === 'succeeded'));
      const [first] = await consumerActs();
      expect(first!.decision.before).toMatchObject({ replicas: 2 });
      expect(first!.decision.after).toMatchObject({ replicas: 4 });
      expect(first!.phase).toBe('rolled_back');
      const v1 = first!.result?.validation as { outcome: string; summary: string; checks: Record<string, { phase: string; after: number }> };
      expect(v1.outcome).toBe('failed');
      expect(v1.checks['error-rate']!.phase).toBe('Failed');
      expect(v1.checks['error-rate']!.after).toBeGreaterThan(0.001);
      expect(loop.replicas('Deployment', 'ci-failure-agent-consumer').spec).toBe(2);
      // And with 2 consumers again the API recovers, as the same Prometheus shows.
      await waitFor('the error rate back at 0', async () => (await loop.query(ERROR_RATE)) === 0, 30_000, 250);
      expect((await loop.admin<{ items: Array<{ open: boolean }> }>('/api/v1/breakers')).items.filter((b) => b.open)).toEqual([]);

      // When: a second episode (a new alert: new startsAt), after the cooldown.
      // Then: the same change, the same failure, the second rollback: the breaker opens.
      await episode(2, async () => (await consumerActs()).filter((r) => ['rolled_back', 'failed', 'succeeded'].includes(r.phase)).length === 2);
      const second = (await consumerActs())[0]!;
      expect(second.id).not.toBe(first!.id);
      expect(second.phase).toBe('rolled_back');
      const breakers = (await loop.admin<{ items: Array<{ targetKey: string; open: boolean; reason: string }> }>('/api/v1/breakers')).items;
      expect(breakers).toEqual([expect.objectContaining({ targetKey: TARGET, open: true, reason: expect.stringMatching(/2 rollbacks/) as string })]);

      // When: a third episode. Then: skipped, breaker-open; the consumers are not touched.
      const writesBefore = loop.writes().filter((r) => r.resource === 'deployments' && r.subresource === 'scale').length;
      await episode(3, async () => (await loop.remediations()).some((r) => r.rule === 'queue-add-consumers' && r.decision.reason === 'breaker-open'));
      expect(loop.writes().filter((r) => r.resource === 'deployments' && r.subresource === 'scale')).toHaveLength(writesBefore);
      expect(await consumerActs()).toHaveLength(2);
      // Four scale writes in all: 2 → 4 and back, twice.
      expect(loop.writes().filter((r) => r.resource === 'deployments' && r.subresource === 'scale').length).toBe(4);

      const measurements = [];
      for (const nth of [0, 1]) measurements.push(await loop.measure('QueueDepthHigh', 'queue-add-consumers', { resource: 'deployments', name: 'ci-failure-agent-consumer' }, nth));
      await loop.finish({ measurements });
    } catch (err) {
      await loop.finish({ error: String(err), serviceLog: loop.serviceLog() });
      throw err;
    }
  }, 240_000);
};

describeWithBinaries(LOOP_BINARIES, 'loop: a harmful scale-out is rolled back, and repeated rollbacks open the breaker', scenario('sandbox'));
describeWithBinaries(LOOP_BINARIES, 'loop on a real control plane', () => {
  describeWithComponents(CONTROL_PLANE_COMPONENTS, 'a harmful scale-out is rolled back, and repeated rollbacks open the breaker', scenario('control-plane'));
});
