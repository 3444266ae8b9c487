/**
 * PostgreSQL under a running service, in a database of its own (created and
 * dropped here, so nobody else on the server is touched). The outage is simulated
 * the kind way: connections to that one database are refused and the service's
 * sessions terminated (pg_terminate_backend), then allowed again. And what intake
 * accepts must be storable and decidable on PostgreSQL too (NUL, lone surrogates).
 *
 * TEST_DATABASE_URL overrides the server. Unreachable: skipped with a message,
 * except with CI=true, where that is a failure.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { TEST_POSTGRES_URL, withPostgres } from '../helpers/postgres.js';
import request from 'supertest';
import { ALERT_CLAIM_TTL_MS } from '../../src/store/store.js';
import { waitFor } from '../helpers/binaries.js';
import { referenceCluster } from '../helpers/fake-cluster.js';
import { fixture } from '../helpers/fixtures.js';
import { HOOK, JumpClock, allAlerts, allRemediations, buildApp, notification, passingValidator, quiesce, type HardenedApp } from './helpers.js';

const SERVER = TEST_POSTGRES_URL;

await withPostgres('hardening/postgres', definePostgresTests);

function definePostgresTests(): void {
  const admin = new pg.Pool({ connectionString: SERVER, max: 2 });
  let db: string;
  let url: string;
  let t: HardenedApp;
  let clock: JumpClock;

  beforeEach(async () => {
    db = `hardening_${randomBytes(5).toString('hex')}`;
    await admin.query(`CREATE DATABASE ${db}`);
    const u = new URL(SERVER);
    u.pathname = `/${db}`;
    url = u.toString();
    clock = new JumpClock();
    t = await buildApp({ cluster: referenceCluster(), validator: passingValidator, clock, env: { DATABASE_URL: url } });
  });
  afterEach(async () => {
    await admin.query(`ALTER DATABASE ${db} ALLOW_CONNECTIONS true`).catch(() => undefined);
    await t.close();
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  });
  afterAll(async () => admin.end());

  /** The server goes away for this database: new connections refused, the service's sessions killed. */
  async function outage(): Promise<void> {
    await admin.query(`ALTER DATABASE ${db} ALLOW_CONNECTIONS false`);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [db]);
  }
  async function recovery(): Promise<void> {
    await admin.query(`ALTER DATABASE ${db} ALLOW_CONNECTIONS true`);
  }

  const post = (body: string) => request(t.app.http).post('/api/v1/alerts').set(HOOK).send(body);

  test('connections cut under a running service: intake answers 503 while it cannot write, then recovers; nothing lost', async () => {
    await post(fixture('firing-single-QueueDepthHigh').toString('utf8')).expect(202);
    await quiesce(t.app);
    // Accepted just before the outage: its decision may or may not fail; either way it must end decided.
    const racing = await post(fixture('firing-group-HighPodCPU-3-alerts').toString('utf8')).expect(202);
    await outage();

    const during = await post(fixture('firing-HighMemoryUsage').toString('utf8'));
    expect({ status: during.status, retryAfter: during.headers['retry-after'] }).toEqual({ status: 503, retryAfter: '5' });
    expect((await request(t.app.http).get('/readyz')).status).toBe(503);
    expect((await request(t.app.http).get('/healthz')).status).toBe(200);

    await recovery();
    // Alertmanager's retry of the refused notification.
    const retry = await post(fixture('firing-HighMemoryUsage').toString('utf8'));
    expect(retry.status).toBe(202);
    expect(retry.body).toMatchObject({ accepted: 1, duplicates: 0 });
    await waitFor('the decision queue to drain', () => Promise.resolve(t.app.engine.queueDepth === 0), 10_000, 10);
    // The service's own recovery, once the claims and leases of whatever the outage interrupted have
    // expired: the sweep decides alerts whose decision failed, and the resume job finishes runs cut
    // short after they were recorded (the racing decision's run may be left `planned` when the cut
    // hits between recording it and applying it; the runner lets it go rather than hold it).
    clock.jump(Math.max(ALERT_CLAIM_TTL_MS, t.config.runLeaseTtlMs) + 1000);
    await t.app.engine.sweep();
    await t.app.engine.resume(new Date(clock.now().getTime() - t.config.runLeaseTtlMs));
    await quiesce(t.app);

    const alerts = await allAlerts(t.app.store);
    expect(alerts).toHaveLength(1 + 3 + 1);
    expect(alerts.filter((a) => a.decidedAt === null).map((a) => a.labels.alertname)).toEqual([]);
    for (const a of (racing.body as { alerts: Array<{ id: string }> }).alerts) expect((await t.app.store.getAlert(a.id))?.decidedAt).not.toBeNull();
    const rems = await allRemediations(t.app.store);
    expect(rems.filter((r) => !['succeeded', 'skipped', 'failed', 'rolled_back'].includes(r.phase))).toEqual([]);
    expect((await request(t.app.http).get('/readyz')).status).toBe(200);
  });

  test.each<[string, Record<string, string>, Partial<Record<'generatorURL', string>>]>([
    // NUL in a label value: JSON allows it (\u0000); PostgreSQL text and jsonb do not
    ['NUL in a label value', { alertname: 'HardeningPg', detail: 'a\u0000b' }, {}],
    // NUL in the alert name (stored in its own text column)
    ['NUL in alertname', { alertname: 'Hardening\u0000Pg' }, {}],
    // a lone surrogate: valid JSON text, not valid Unicode; jsonb refuses it
    ['a lone surrogate in a label value', { alertname: 'HardeningPg', detail: 'x\ud800y' }, {}],
    // NUL in a free-text field
    ['NUL in generatorURL', { alertname: 'HardeningPg' }, { generatorURL: 'http://x/\u0000' }],
  ])('%s: refused with 400, or stored and decided; never a 503 Alertmanager retries forever', async (_name, labels, extra) => {
    const body = JSON.parse(notification([{ labels }])) as { alerts: Array<Record<string, unknown>> };
    Object.assign(body.alerts[0]!, extra);
    const res = await post(JSON.stringify(body));
    if (res.status !== 202 && res.status !== 400) throw new Error(`expected 202 or 400, got ${res.status}: ${JSON.stringify(res.body)}`);
    if (res.status === 202) {
      await quiesce(t.app);
      const stored = await t.app.store.getAlert((res.body as { alerts: Array<{ id: string }> }).alerts[0]!.id);
      expect(stored?.decidedAt).not.toBeNull();
      expect((await allRemediations(t.app.store)).map((r) => r.decision.outcome === 'skip' && r.decision.reason)).toEqual(['no-match']);
    }
  });
}
