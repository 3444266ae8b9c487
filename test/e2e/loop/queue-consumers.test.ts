/**
 * The loop, scenario 2: the message rate outgrows the consumers → QueueDepthHigh
 * fires → Alertmanager → the service scales ci-failure-agent-consumer out by the
 * rule's step policy but not past its cap (maxReplicas 12) → the backlog drains →
 * validation (queue not growing, API error rate) passes → the alert resolves.
 */
import { describeWithBinaries, waitFor } from '../../helpers/binaries.js';
import { LOOP_BINARIES, startLoop, type Loop } from './harness.js';

const QUEUE = 'max(queue_depth{namespace="ci",queue="ci-failure-events"})';
const CAP = 12;

describeWithBinaries(LOOP_BINARIES, 'loop: QueueDepthHigh scales the consumers out, within the cap', () => {
  let loop: Loop;

  beforeAll(async () => {
    loop = await startLoop({ name: 'queue-consumers' });
    loop.startWatching();
  }, 90_000);

  afterAll(async () => {
    await loop?.close();
  }, 30_000);

  test('the backlog grows → consumers 7 → 12 (the cap, not 14) → the backlog drains → validated → resolved', async () => {
    try {
      // Given: 7 consumers (150 messages/s each: 1050/s) keeping up with 100 messages/s.
      const consumer = loop.sandbox!.get('apps/v1', 'Deployment', 'ci', 'ci-failure-agent-consumer')!;
      loop.sandbox!.put({ ...consumer, spec: { ...consumer.spec, replicas: 7 } });
      await waitFor('7 ready consumers', () => Promise.resolve(loop.replicas('Deployment', 'ci-failure-agent-consumer').ready === 7), 30_000);
      await waitFor('the first scrapes', async () => (await loop.query(QUEUE)) === 0, 30_000, 200);

      // When: 1200 messages/s arrive: the backlog grows by 150/s.
      await loop.load({ messagesPerSecond: 1200 });

      // Then: QueueDepthHigh fires once the backlog passes 1000.
      await loop.waitForAlert('QueueDepthHigh', 'pending', 30_000);
      await loop.waitForAlert('QueueDepthHigh', 'firing', 30_000);

      // And the consumers are scaled out: +100 % would be 14, the rule's maxReplicas caps it at 12.
      const act = await loop.waitForRemediation('the consumer scale-out', (r) => r.rule === 'queue-add-consumers' && r.decision.outcome === 'act', 30_000);
      expect(act.decision.before).toMatchObject({ replicas: 7 });
      expect(act.decision.after).toMatchObject({ replicas: CAP });
      await waitFor('12 ready consumers', () => Promise.resolve(loop.replicas('Deployment', 'ci-failure-agent-consumer').ready === CAP), 30_000);

      // And the backlog drains (1800/s against 1200/s), seen through Prometheus.
      const peak = await loop.query(QUEUE);
      await waitFor('the backlog to shrink', async () => (await loop.query(QUEUE)) < peak - 300, 30_000, 250);

      // And validation passes: the queue is not growing, the API error rate stays below 0.1 %.
      const done = await loop.waitForRemediation('the scale-out to finish', (r) => r.id === act.id && ['succeeded', 'rolled_back', 'failed'].includes(r.phase), 60_000);
      expect(done.phase).toBe('succeeded');
      const validation = done.result?.validation as { outcome: string; checks: Record<string, { phase: string }> };
      expect(validation.outcome).toBe('passed');

      // And the alert resolves once the backlog is below 1000.
      await loop.waitForAlertGone('QueueDepthHigh', 60_000);

      // Never beyond the cap, and exactly one scale-out.
      const scales = loop.writes().filter((r) => r.resource === 'deployments' && r.subresource === 'scale' && r.name === 'ci-failure-agent-consumer');
      expect(scales).toHaveLength(1);
      expect(loop.replicas('Deployment', 'ci-failure-agent-consumer').spec).toBe(CAP);

      const measurement = await loop.measure('QueueDepthHigh', 'queue-add-consumers', { resource: 'deployments', name: 'ci-failure-agent-consumer' });
      expect(measurement.activeToRequestMs).toBeGreaterThan(measurement.ownMs);
      await loop.finish({ measurement });
    } catch (err) {
      await loop.finish({ error: String(err), serviceLog: loop.serviceLog() });
      throw err;
    }
  }, 240_000);
});
