/**
 * The loop, scenario 4: Alertmanager HA. Two peers clustered on loopback, both
 * notified by Prometheus, deliver the same alert group; the service stores every
 * delivery and acts exactly once.
 */
import { describeWithBinaries, waitFor } from '../../helpers/binaries.js';
import { LOOP_BINARIES, startLoop, type Loop } from './harness.js';

interface AmStatus {
  cluster: { status: string; peers: Array<{ name: string; address: string }> };
}

/** `alertmanager_notifications_total{integration="webhook"}` of one peer: the notifications it sent. */
async function webhookNotifications(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('alertmanager_notifications_total{integration="webhook"}'));
  return line ? Number(line.split(' ')[1]) : 0;
}

describeWithBinaries(LOOP_BINARIES, 'loop: two clustered Alertmanager peers, one action', () => {
  let loop: Loop;

  beforeAll(async () => {
    loop = await startLoop({ name: 'alertmanager-ha', haPeers: true });
    loop.startWatching();
  }, 90_000);

  afterAll(async () => {
    await loop?.close();
  }, 30_000);

  test('both peers receive the alert; the group is delivered (once or twice); the consumers are scaled exactly once', async () => {
    try {
      // Given: two Alertmanagers that see each other as cluster peers.
      await waitFor(
        'the two peers to form a cluster',
        async () => {
          const s = await Promise.all(loop.alertmanagers.map(async (am) => (await (await fetch(`${am.url}/api/v2/status`)).json()) as AmStatus));
          return s.every((x) => x.cluster.status === 'ready' && x.cluster.peers.length === 2);
        },
        30_000,
        200,
      );

      // When: the backlog grows past 1000 messages.
      await loop.load({ messagesPerSecond: 450 });
      await loop.waitForAlert('QueueDepthHigh', 'firing', 45_000);

      // Then: both peers hold the alert (Prometheus notifies each).
      await waitFor(
        'QueueDepthHigh in both peers',
        async () => {
          const seen = await Promise.all(
            loop.alertmanagers.map(async (am) => ((await (await fetch(`${am.url}/api/v2/alerts?filter=alertname%3D%22QueueDepthHigh%22`)).json()) as unknown[]).length),
          );
          return seen.every((n) => n === 1);
        },
        30_000,
        200,
      );

      // And the service acts once: consumers 2 → 4.
      const act = await loop.waitForRemediation('the scale-out', (r) => r.rule === 'queue-add-consumers' && r.decision.outcome === 'act', 30_000);
      await loop.waitForRemediation('the scale-out to finish', (r) => r.id === act.id && ['succeeded', 'rolled_back', 'failed'].includes(r.phase), 60_000);
      // Give a late peer time to deliver too (peer-timeout 100 ms, group_interval 2 s).
      await new Promise((r) => setTimeout(r, 4000));

      const firing = (await loop.serviceAlerts()).filter((a) => a.labels.alertname === 'QueueDepthHigh' && a.status === 'firing');
      const originals = firing.filter((a) => a.duplicateOf === null);
      const duplicates = firing.filter((a) => a.duplicateOf !== null);
      expect(originals).toHaveLength(1);
      expect(duplicates.every((d) => d.duplicateOf === originals[0]!.id)).toBe(true);
      const acts = (await loop.remediations()).filter((r) => r.rule === 'queue-add-consumers' && r.decision.outcome === 'act');
      expect(acts).toHaveLength(1);
      const scales = loop.writes().filter((r) => r.resource === 'deployments' && r.subresource === 'scale' && r.name === 'ci-failure-agent-consumer');
      expect(scales).toHaveLength(1);
      expect(loop.replicas('Deployment', 'ci-failure-agent-consumer').spec).toBe(4);

      const sentByPeer = await Promise.all(loop.alertmanagers.map((am) => webhookNotifications(am.url)));
      expect(sentByPeer.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
      const measurement = await loop.measure('QueueDepthHigh', 'queue-add-consumers', { resource: 'deployments', name: 'ci-failure-agent-consumer' });
      await loop.finish({ measurement, deliveries: { firing: firing.length, duplicates: duplicates.length, webhookNotificationsByPeer: sentByPeer } });
    } catch (err) {
      await loop.finish({ error: String(err), serviceLog: loop.serviceLog(), alertmanagerLogs: loop.alertmanagers.map((a) => a.log().slice(-3000)) });
      throw err;
    }
  }, 240_000);
});
