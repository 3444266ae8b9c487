/**
 * The store failing under a running service (SQLite). Intake: a database that
 * cannot be written answers 503 so Alertmanager retries, stores nothing, and the
 * retry after recovery is stored and decided. Deciding: a store write that fails
 * while an alert is being decided leaves it undecided, never lost, and never
 * decided (or acted on) a second time.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import request from 'supertest';
import type { Store } from '../../src/store/store.js';
import { ALERT_CLAIM_TTL_MS } from '../../src/store/store.js';
import { referenceCluster, type FakeCluster } from '../helpers/fake-cluster.js';
import { currentFixture, fixture } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/binaries.js';
import { HOOK, JumpClock, Latch, allRemediations, buildApp, passingValidator, quiesce, rowCounts, rulesDir, type HardenedApp } from './helpers.js';

/** The real store, with chosen methods made to reject their next n calls. */
function faultyStore(real: Store): { store: Store; failNext(method: keyof Store, times?: number): void } {
  const failing = new Map<PropertyKey, number>();
  const store = new Proxy(real, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const left = failing.get(prop) ?? 0;
        if (left > 0) {
          failing.set(prop, left - 1);
          return Promise.reject(new Error(`injected store failure in ${String(prop)}`));
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, failNext: (method, times = 1) => failing.set(method, times) };
}

/** Posts a captured body: `current/<name>` from test/fixtures/alertmanager-current, else from the original capture. */
const post = (t: HardenedApp, name: string) =>
  request(t.app.http)
    .post('/api/v1/alerts')
    .set(HOOK)
    .send((name.startsWith('current/') ? currentFixture(name.slice('current/'.length)) : fixture(name)).toString('utf8'));

describe('a read-only SQLite database under a running service', () => {
  let t: HardenedApp;
  let locked: string[] = [];
  const chattr = (flag: '+i' | '-i', files: string[]) => {
    for (const f of files) execFileSync('chattr', [flag, f], { stdio: 'ignore' });
  };
  beforeEach(async () => {
    t = await buildApp({ cluster: referenceCluster(), validator: passingValidator });
  });
  afterEach(async () => {
    if (locked.length) chattr('-i', locked);
    locked = [];
    await t.close();
  });

  test('intake answers 503 with Retry-After and stores nothing; after recovery the same body is stored and decided', async () => {
    await post(t, 'firing-single-QueueDepthHigh').expect(202);
    await quiesce(t.app);
    const before = rowCounts(t.dbPath);
    // The database file and its WAL (where writes land first); the -shm index stays writable, as SQLite maps it.
    const files = [t.dbPath, `${t.dbPath}-wal`];
    expect(files.every((f) => existsSync(f))).toBe(true);
    chattr('+i', files);
    locked = files;

    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await post(t, 'current/firing-HighMemoryUsage');
      expect({ status: res.status, retryAfter: res.headers['retry-after'], code: (res.body as { error: { code: string } }).error.code }).toEqual({ status: 503, retryAfter: '5', code: 'store-unavailable' });
    }
    expect(rowCounts(t.dbPath)).toEqual(before);
    expect((await request(t.app.http).get('/healthz')).status).toBe(200);

    chattr('-i', files);
    locked = [];
    const ok = await post(t, 'current/firing-HighMemoryUsage');
    expect(ok.status).toBe(202);
    // three pods' alerts for one Deployment: the first acts, the others skip in its cooldown
    expect(ok.body).toMatchObject({ accepted: 3, duplicates: 0 });
    await quiesce(t.app);
    const stored = await t.app.store.getAlert((ok.body as { alerts: Array<{ id: string }> }).alerts[0]!.id);
    expect(stored?.decidedAt).not.toBeNull();
    const rems = await allRemediations(t.app.store);
    expect(rems.filter((r) => r.alertId === stored!.id).map((r) => `${r.rule} ${r.phase}`)).toEqual(['memory-raise-limits succeeded']);
  });
});

describe('store writes failing while an alert is decided', () => {
  const RULES = `rules:
  - name: queue-add-consumers
    matchers: ['alertname="QueueDepthHigh"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: "{{ $labels.namespace }}", name: ci-failure-agent-consumer }
    action: { type: scale, minReplicas: 2, maxReplicas: 12, policies: [{ type: Pods, value: 2, periodSeconds: 30 }] }
    cooldown: 30s
`;
  let t: HardenedApp;
  let dir: string;
  let cluster: FakeCluster;
  let clock: JumpClock;
  let faults: ReturnType<typeof faultyStore>;
  let latch: Latch | null;

  beforeEach(async () => {
    dir = rulesDir(RULES);
    cluster = referenceCluster();
    clock = new JumpClock();
    latch = null;
    t = await buildApp({
      cluster,
      clock,
      env: { RULES_DIR: dir },
      wrapStore: (real) => (faults = faultyStore(real)).store,
      validator: { validate: async (...args) => (latch ? (await latch.opened, passingValidator.validate(...args)) : passingValidator.validate(...args)) },
    });
  });
  afterEach(async () => {
    latch?.open();
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** What the periodic sweep does once the claims of the failed attempt have expired. */
  async function sweepAfterClaimExpiry(): Promise<void> {
    clock.jump(ALERT_CLAIM_TTL_MS + 1000);
    await t.app.engine.sweep();
    await quiesce(t.app);
  }

  test('recording the decision fails: the alert stays stored and undecided, and the next sweep decides it', async () => {
    faults.failNext('createRemediation');
    const res = await post(t, 'firing-single-QueueDepthHigh').expect(202);
    const id = (res.body as { alerts: Array<{ id: string }> }).alerts[0]!.id;
    await quiesce(t.app);
    expect((await t.app.store.getAlert(id))?.decidedAt).toBeNull();
    expect(cluster.applied).toHaveLength(0);

    await sweepAfterClaimExpiry();
    expect((await t.app.store.getAlert(id))?.decidedAt).not.toBeNull();
    expect((await allRemediations(t.app.store)).map((r) => r.phase)).toEqual(['succeeded']);
    expect(cluster.applied).toHaveLength(1);
  });

  test('marking the alert decided fails after it acted: the sweep does not decide it again, and the action is not repeated', async () => {
    faults.failNext('markAlertDecided');
    const res = await post(t, 'firing-single-QueueDepthHigh').expect(202);
    const id = (res.body as { alerts: Array<{ id: string }> }).alerts[0]!.id;
    await quiesce(t.app);
    expect(cluster.applied).toHaveLength(1);

    await sweepAfterClaimExpiry();
    const rems = (await allRemediations(t.app.store)).filter((r) => r.alertId === id);
    expect({ decisions: rems.map((r) => `${r.phase} ${r.decision.outcome}`), applied: cluster.applied.length }).toEqual({ decisions: ['succeeded act'], applied: 1 });
  });

  test('a run still validating when its alert claim expires: the sweep does not decide the alert a second time', async () => {
    latch = new Latch();
    const res = await post(t, 'firing-single-QueueDepthHigh').expect(202);
    const id = (res.body as { alerts: Array<{ id: string }> }).alerts[0]!.id;
    await waitFor('the run to be validating', async () => (await allRemediations(t.app.store)).some((r) => r.phase === 'validating'), 5000, 10);

    // The shipped rules validate for 5 minutes (5 checks, 1 minute apart); the claim holds 60 s.
    clock.jump(ALERT_CLAIM_TTL_MS + 1000);
    await t.app.engine.sweep();
    await new Promise((r) => setTimeout(r, 200));
    latch.open();
    await quiesce(t.app);

    const rems = (await allRemediations(t.app.store)).filter((r) => r.alertId === id);
    expect(rems.map((r) => `${r.phase} ${r.decision.outcome === 'skip' ? r.decision.reason : 'act'}`)).toEqual(['succeeded act']);
    expect(cluster.applied).toHaveLength(1);
  });
});
