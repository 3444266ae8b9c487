/**
 * Issue 21, PostgreSQL: every query has a deadline. A table lock held by someone else, or a
 * connection whose answers are lost (a TCP proxy that black-holes the traffic), must not wedge
 * the decision workers while the service answers 202 and ready: /readyz says so, decisions
 * resume once the database answers, and a shutdown ends within its grace period regardless.
 *
 * TEST_DATABASE_URL overrides the server. Unreachable: skipped with a message, except with
 * CI=true, where that is a failure.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { TEST_POSTGRES_URL, withPostgres } from '../helpers/postgres.js';
import request from 'supertest';
import { waitFor } from '../helpers/binaries.js';
import { referenceCluster } from '../helpers/fake-cluster.js';
import { HOOK, allAlerts, buildApp, notification, passingValidator, quiesce, type HardenedApp } from './helpers.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

const SERVER = TEST_POSTGRES_URL;

await withPostgres('hardening/postgres-deadlines', defineTests);

function defineTests(): void {
  const admin = new pg.Pool({ connectionString: SERVER, max: 3 });
  let db: string;
  let url: URL;
  let t: HardenedApp | null = null;
  let proxy: TcpProxy | null = null;

  beforeEach(async () => {
    db = `deadlines_${randomBytes(5).toString('hex')}`;
    await admin.query(`CREATE DATABASE ${db}`);
    url = new URL(SERVER);
    url.pathname = `/${db}`;
  });
  afterEach(async () => {
    proxy?.restore();
    await t?.close();
    await proxy?.close();
    t = null;
    proxy = null;
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  });
  afterAll(async () => admin.end());

  const env = { DATABASE_QUERY_TIMEOUT_MS: '500', STUCK_DECISION_MS: '4000' };
  const queue = (fp: string) =>
    notification([{ labels: { alertname: 'QueueDepthHigh', service: 'ci-failure-agent', namespace: 'ci', queue: `q-${fp}`, severity: 'warning' }, fingerprint: fp }]);
  const readyz = async (app: HardenedApp) => {
    const r = await request(app.app.http).get('/readyz');
    return { status: r.status, body: r.body as { checks: Record<string, boolean>; reasons?: string[] } };
  };

  test('a table lock held by someone else: decisions time out instead of waiting, /readyz says why; they resume after', async () => {
    t = await buildApp({ cluster: referenceCluster(), validator: passingValidator, env: { ...env, DATABASE_URL: url.toString() } });
    const locker = new pg.Client({ connectionString: url.toString() });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE remediations IN ACCESS EXCLUSIVE MODE');
      for (const fp of ['00000000000000b1', '00000000000000b2', '00000000000000b3']) await request(t.app.http).post('/api/v1/alerts').set(HOOK).send(queue(fp)).expect(202);
      await waitFor('/readyz to say the decisions are not flowing', async () => (await readyz(t!)).status === 503, 15_000, 50);
      const r = await readyz(t);
      expect(r.body.checks.decisionsFlowing).toBe(false);
      expect(r.body.reasons?.join(' ')).toMatch(/decision/);
    } finally {
      await locker.query('COMMIT').catch(() => undefined);
      await locker.end();
    }
    await t.app.engine.sweep();
    await quiesce(t.app, 15_000);
    // The claims of the failed decisions expire before the sweep can take them; decided by then or still undecided, nothing is lost.
    expect(await allAlerts(t.app.store)).toHaveLength(3);
  });

  test('answers black-holed on the way: /readyz turns 503 within its deadlines, and stop() ends within the grace period', async () => {
    proxy = await startTcpProxy(url.hostname, Number(url.port || 5432));
    const via = new URL(url.toString());
    via.hostname = '127.0.0.1';
    via.port = String(proxy.port);
    t = await buildApp({ cluster: referenceCluster(), validator: passingValidator, env: { ...env, DATABASE_URL: via.toString() } });
    await request(t.app.http).post('/api/v1/alerts').set(HOOK).send(queue('00000000000000c1')).expect(202);
    await quiesce(t.app);
    proxy.blackhole();
    // Intake cannot store: it must answer (503) rather than hang.
    const during = await request(t.app.http).post('/api/v1/alerts').set(HOOK).send(queue('00000000000000c2')).timeout(15_000);
    expect(during.status).toBe(503);
    const started = Date.now();
    const r = await request(t.app.http).get('/readyz').timeout(15_000);
    expect(r.status).toBe(503);
    // Bounded by the deadlines (query 0.5 s + 2 s, connection 2.5 s), not by the black hole.
    expect(Date.now() - started).toBeLessThan(20_000);
    // Grace 2 s for the work in flight, then Slack (3 s at most) and the store's close (5 s at most,
    // each query of it 2.5 s): bounded, where before the fix it never ended.
    const stopStarted = Date.now();
    const stopped = await Promise.race([t.app.stop(2000).then(() => true), new Promise<boolean>((res) => setTimeout(() => res(false), 20_000).unref())]);
    expect({ stopped, withinGrace: Date.now() - stopStarted < 20_000 }).toEqual({ stopped: true, withinGrace: true });
  }, 90_000);
}
