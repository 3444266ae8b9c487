/**
 * Resource bounds: each limit is configured, enforced, and observable. What
 * test/integration/http/intake.test.ts already proves (413 over MAX_BODY_BYTES,
 * 400 over MAX_LABELS_PER_ALERT, 503 when a notification does not fit the queue)
 * is not repeated; this file adds the queue under load, the limits on the other
 * routes and fields, CONCURRENT_REMEDIATIONS, and SLACK_QUEUE_CAPACITY.
 */
import { rmSync } from 'node:fs';
import request from 'supertest';
import type { ApplyOutcome, TargetState } from '../../src/domain/cluster.js';
import type { ClusterPort } from '../../src/actions/port.js';
import type { ActDecision } from '../../src/domain/decision.js';
import type { TargetRef } from '../../src/domain/target.js';
import type { ActionSpec } from '../../src/rule-table/schema.js';
import type { Store } from '../../src/store/store.js';
import { FakeCluster, referenceCluster } from '../helpers/fake-cluster.js';
import { fixture } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/binaries.js';
import { SlackStandIn } from '../integration/notify/slack-stand-in.js';
import { ADMIN, HOOK, Latch, allRemediations, buildApp, notification, passingValidator, quiesce, rowCounts, rulesDir, type HardenedApp } from './helpers.js';

const WORKERS = 10;
const RULES = `rules:
  - name: worker-scale
    matchers: ['alertname="WorkerBacklog"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: ci, name: "{{ $labels.deployment }}" }
    action: { type: scale, minReplicas: 2, maxReplicas: 12 }
    cooldown: 10m
`;

/** The fake cluster with worker-0..9, whose applies wait on a latch and are counted while in flight. */
class GatedCluster implements ClusterPort {
  readonly inner = new FakeCluster();
  gate: Latch | null = new Latch();
  inFlight = 0;
  maxInFlight = 0;
  constructor() {
    for (let i = 0; i < WORKERS; i++) this.inner.set({ namespace: 'ci', kind: 'Deployment', name: `worker-${i}` }, { replicas: 2 });
  }
  readState(t: TargetRef, a: ActionSpec): Promise<TargetState> {
    return this.inner.readState(t, a);
  }
  readObject(t: TargetRef): Promise<Record<string, unknown>> {
    return this.inner.readObject(t);
  }
  async apply(d: ActDecision, a: ActionSpec, id: string): Promise<ApplyOutcome> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.gate) await this.gate.opened;
      return await this.inner.apply(d, a, id);
    } finally {
      this.inFlight--;
    }
  }
  restore(t: TargetRef, a: ActionSpec, s: Record<string, unknown>): Promise<ApplyOutcome> {
    return this.inner.restore(t, a, s);
  }
}

const workerAlerts = (n: number, from = 0) =>
  notification(Array.from({ length: n }, (_, i) => ({ labels: { alertname: 'WorkerBacklog', deployment: `worker-${(from + i) % WORKERS}` }, fingerprint: (0x7000 + from + i).toString(16).padStart(16, '0') })));

describe('CONCURRENT_REMEDIATIONS', () => {
  test.each([1, 3])('CONCURRENT_REMEDIATIONS=%i: never more applies in flight, and the rest wait their turn', async (limit) => {
    const cluster = new GatedCluster();
    const dir = rulesDir(RULES);
    const t = await buildApp({ cluster, validator: passingValidator, env: { RULES_DIR: dir, CONCURRENT_REMEDIATIONS: String(limit), BUDGET_PER_NAMESPACE: '100/10m' } });
    try {
      await request(t.app.http).post('/api/v1/alerts').set(HOOK).send(workerAlerts(WORKERS)).expect(202);
      await waitFor(`${limit} applies in flight`, () => Promise.resolve(cluster.inFlight === limit), 5000, 5);
      // Held there: no further apply starts while the first ones block.
      await new Promise((r) => setTimeout(r, 300));
      expect({ inFlight: cluster.inFlight, max: cluster.maxInFlight }).toEqual({ inFlight: limit, max: limit });
      cluster.gate!.open();
      cluster.gate = null;
      await quiesce(t.app);
      expect(cluster.maxInFlight).toBe(limit);
      expect(cluster.inner.applied).toHaveLength(WORKERS);
    } finally {
      cluster.gate?.open();
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('QUEUE_CAPACITY under load', () => {
  test('a full queue does not refuse the HA peer\'s copy: alerts already stored need no room (they are duplicates)', async () => {
    const cluster = new GatedCluster();
    const dir = rulesDir(RULES);
    const t = await buildApp({ cluster, validator: passingValidator, env: { RULES_DIR: dir, CONCURRENT_REMEDIATIONS: '1', QUEUE_CAPACITY: '2', BUDGET_PER_NAMESPACE: '100/10m' } });
    try {
      // 1 running (blocked) + 2 waiting: the queue is full.
      await request(t.app.http).post('/api/v1/alerts').set(HOOK).send(workerAlerts(1, 0)).expect(202);
      await waitFor('the first apply to block', () => Promise.resolve(cluster.inFlight === 1), 5000, 5);
      const group = workerAlerts(2, 1);
      await request(t.app.http).post('/api/v1/alerts').set(HOOK).send(group).expect(202);
      // The second Alertmanager of the pair sends the same notification: stored, all duplicates, 202.
      const peer = await request(t.app.http).post('/api/v1/alerts').set(HOOK).send(group);
      expect({ status: peer.status, accepted: (peer.body as { accepted?: number }).accepted, duplicates: (peer.body as { duplicates?: number }).duplicates }).toEqual({ status: 202, accepted: 0, duplicates: 2 });
      // A notification with one new alert still needs room, and there is none.
      expect((await request(t.app.http).post('/api/v1/alerts').set(HOOK).send(workerAlerts(1, 3))).status).toBe(503);
      expect(rowCounts(t.dbPath)).toMatchObject({ notifications: 3, alerts: 5 });
      cluster.gate!.open();
      cluster.gate = null;
      await quiesce(t.app);
      expect(cluster.inner.applied).toHaveLength(3);
    } finally {
      cluster.gate?.open();
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });


  test('while the workers are busy, accepted alerts never exceed the queue; the rest get 503 and are stored only on retry', async () => {
    const cluster = new GatedCluster();
    const dir = rulesDir(RULES);
    const t = await buildApp({ cluster, validator: passingValidator, env: { RULES_DIR: dir, CONCURRENT_REMEDIATIONS: '1', QUEUE_CAPACITY: '5', BUDGET_PER_NAMESPACE: '100/10m' } });
    try {
      // One alert each, posted one after the other: the first is taken by the single worker and blocks.
      const statuses: number[] = [];
      for (let i = 0; i < 9; i++) {
        statuses.push((await request(t.app.http).post('/api/v1/alerts').set(HOOK).send(workerAlerts(1, i))).status);
        if (i === 0) await waitFor('the first apply to block', () => Promise.resolve(cluster.inFlight === 1), 5000, 5);
      }
      // 1 running + 5 waiting accepted; the other 3 refused with nothing stored.
      expect(statuses).toEqual([202, 202, 202, 202, 202, 202, 503, 503, 503]);
      expect(rowCounts(t.dbPath)).toMatchObject({ notifications: 6, alerts: 6 });
      const metrics = await request(t.app.http).get('/metrics');
      expect(metrics.text).toMatch(/autoremediator_intake_rejected_total\{reason="queue-full"\} 3/);
      cluster.gate!.open();
      cluster.gate = null;
      await quiesce(t.app);
      // Alertmanager's retries are accepted once there is room.
      for (let i = 6; i < 9; i++) await request(t.app.http).post('/api/v1/alerts').set(HOOK).send(workerAlerts(1, i)).expect(202);
      await quiesce(t.app);
      expect(await t.app.store.listUndecidedAlerts(100)).toEqual([]);
      expect(cluster.inner.applied).toHaveLength(9);
    } finally {
      cluster.gate?.open();
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('queue room is held while a notification is stored', () => {
  test('two notifications racing for the last room: one refused whole (503), the other queued whole; nothing left for the sweep', async () => {
    const cluster = new GatedCluster();
    const dir = rulesDir(RULES);
    // While `hold` is on, the store keeps each recordNotification until a second one arrives (or
    // 300 ms pass): a request that gets that far has passed the room check, so both racing requests
    // have passed it before either is stored, as concurrent requests in a storm do.
    let hold = false;
    const waiting: Array<() => void> = [];
    const releaseAll = () => {
      for (const r of waiting.splice(0)) r();
    };
    const wrapStore = (real: Store): Store =>
      new Proxy(real, {
        get(target, prop, receiver) {
          const value: unknown = Reflect.get(target, prop, receiver);
          if (prop !== 'recordNotification' || typeof value !== 'function') return value;
          return async (...args: unknown[]) => {
            if (hold) {
              await new Promise<void>((resolve) => {
                waiting.push(resolve);
                if (waiting.length >= 2) releaseAll();
                else setTimeout(releaseAll, 300);
              });
            }
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
    const t = await buildApp({ cluster, validator: passingValidator, wrapStore, env: { RULES_DIR: dir, CONCURRENT_REMEDIATIONS: '1', QUEUE_CAPACITY: '2', BUDGET_PER_NAMESPACE: '100/10m' } });
    try {
      // One running (its apply blocked) and the queue empty: room for 2.
      await request(t.app.http).post('/api/v1/alerts').set(HOOK).send(workerAlerts(1, 0)).expect(202);
      await waitFor('the first apply to block', () => Promise.resolve(cluster.inFlight === 1), 5000, 5);
      const server = t.server();
      hold = true;
      const [a, b] = await Promise.all([
        request(server).post('/api/v1/alerts').set(HOOK).send(workerAlerts(2, 1)),
        request(server).post('/api/v1/alerts').set(HOOK).send(workerAlerts(2, 3)),
      ]);
      // Each fits alone, not both: without the held room both were stored and the second's alerts
      // waited, undecided, for the sweep.
      expect([a.status, b.status].sort()).toEqual([202, 503]);
      expect(rowCounts(t.dbPath)).toMatchObject({ notifications: 2, alerts: 3 });
      hold = false;
      cluster.gate!.open();
      cluster.gate = null;
      await quiesce(t.app);
      expect(await t.app.store.listUndecidedAlerts(100)).toEqual([]);
      expect(cluster.inner.applied).toHaveLength(3);
    } finally {
      cluster.gate?.open();
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('limits on every field and route', () => {
  let t: HardenedApp;
  beforeAll(async () => {
    t = await buildApp({ cluster: referenceCluster(), validator: passingValidator, env: { MAX_BODY_BYTES: '4096', MAX_LABELS_PER_ALERT: '10', MAX_ALERTS_PER_NOTIFICATION: '3' } });
  });
  afterAll(async () => t.close());

  const body = (alerts: number, labels: number, annotations: number) =>
    notification(
      Array.from({ length: alerts }, (_, i) => ({
        labels: Object.fromEntries([['alertname', 'Bounds'], ...Array.from({ length: labels - 1 }, (_, j) => [`l${j}`, 'v'])]) as Record<string, string>,
        annotations: Object.fromEntries(Array.from({ length: annotations }, (_, j) => [`a${j}`, 'v'])),
        fingerprint: (0x9000 + i).toString(16).padStart(16, '0'),
      })),
    );

  test.each<[string, number, () => string, RegExp | null]>([
    // exactly at each limit: accepted
    ['3 alerts of 10 labels and 10 annotations (at the limits)', 202, () => body(3, 10, 10), null],
    // one alert too many
    ['4 alerts (MAX_ALERTS_PER_NOTIFICATION 3)', 400, () => body(4, 1, 0), /MAX_ALERTS_PER_NOTIFICATION/],
    // annotations are bounded like labels
    ['11 annotations (MAX_LABELS_PER_ALERT 10)', 400, () => body(1, 1, 11), /MAX_LABELS_PER_ALERT/],
  ])('intake: %s → %i', async (_name, status, make, message) => {
    // The accepted case before decides in the background: let it finish before counting.
    await quiesce(t.app);
    const before = rowCounts(t.dbPath);
    const res = await request(t.app.http).post('/api/v1/alerts').set(HOOK).send(make());
    expect(res.status).toBe(status);
    if (message) {
      expect((res.body as { error: { message: string } }).error.message).toMatch(message);
      expect(rowCounts(t.dbPath)).toEqual(before);
    }
  });

  test('replay: a body over MAX_BODY_BYTES is 413, and a payload over MAX_ALERTS_PER_NOTIFICATION is 400', async () => {
    const big = await request(t.app.http).post('/api/v1/replay').set({ ...ADMIN, 'Content-Type': 'application/json' }).send(JSON.stringify({ payload: JSON.parse(fixture('firing-single-QueueDepthHigh').toString('utf8')) as unknown, pad: 'x'.repeat(5000) }));
    expect(big.status).toBe(413);
    const many = await request(t.app.http).post('/api/v1/replay').set({ ...ADMIN, 'Content-Type': 'application/json' }).send(JSON.stringify({ payload: JSON.parse(body(4, 1, 0)) as unknown }));
    expect(many.status).toBe(400);
  });

  test('admin list queries: limit above 500 is 400, not an unbounded read', async () => {
    for (const path of ['/api/v1/alerts?limit=501', '/api/v1/remediations?limit=100000', '/api/v1/alerts?limit=-1']) {
      const res = await request(t.app.http).get(path).set(ADMIN);
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
    }
  });
});

describe('SLACK_QUEUE_CAPACITY', () => {
  test('Slack hanging: at most SLACK_QUEUE_CAPACITY messages wait, the oldest are dropped and counted, remediations unaffected', async () => {
    const slack = await SlackStandIn.start();
    slack.hangAll = true;
    const cluster = new GatedCluster();
    cluster.gate = null;
    const dir = rulesDir(RULES);
    const t = await buildApp({
      cluster,
      validator: passingValidator,
      env: { RULES_DIR: dir, BUDGET_PER_NAMESPACE: '100/10m', SLACK_WEBHOOK_URL: `${slack.url}/services/T/B/x`, SLACK_ALLOW_HTTP: 'true', SLACK_QUEUE_CAPACITY: '3', SLACK_TIMEOUT: '2m', SLACK_MAX_ATTEMPTS: '1' },
    });
    try {
      await request(t.app.http).post('/api/v1/alerts').set(HOOK).send(workerAlerts(WORKERS)).expect(202);
      await quiesce(t.app);
      // 10 acts × 4 announced transitions each: one message hangs in flight, at most 3 wait, the rest were dropped.
      await waitFor('the first Slack call to hang', () => Promise.resolve(slack.requests.length === 1), 5000, 10);
      const text = (await request(t.app.http).get('/metrics')).text;
      const dropped = Number(/autoremediator_notifications_dropped_total\{reason="queue_full"\} (\d+)/.exec(text)?.[1] ?? 0);
      const waiting = Number(/autoremediator_notification_queue_length (\d+)/.exec(text)?.[1] ?? -1);
      expect(waiting).toBeGreaterThanOrEqual(1);
      expect(waiting).toBeLessThanOrEqual(3);
      expect(dropped + waiting + 1).toBe(4 * WORKERS);
      expect(slack.requests).toHaveLength(1);
      expect((await allRemediations(t.app.store)).map((r) => r.phase)).toEqual(Array.from({ length: WORKERS }, () => 'succeeded'));
    } finally {
      await t.close();
      await slack.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
