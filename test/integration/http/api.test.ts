/** The admin API: history, rules, replay, breakers, health, metrics. */
import request from 'supertest';
import { fixture } from '../../helpers/fixtures.js';
import { referenceCluster, type FakeCluster } from '../../helpers/fake-cluster.js';
import { ADMIN_TOKEN, WEBHOOK_TOKEN, buildTestApp, settle, type TestApp } from '../../helpers/app.js';

const hook = { Authorization: `Bearer ${WEBHOOK_TOKEN}`, 'Content-Type': 'application/json' };
const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

describe('admin API', () => {
  let t: TestApp;
  let cluster: FakeCluster;
  beforeEach(async () => {
    cluster = referenceCluster();
    t = await buildTestApp({ cluster });
  });
  afterEach(async () => t.close());

  test('the admin routes need the admin token, not the webhook one', async () => {
    await request(t.app.http).get('/api/v1/remediations').expect(401);
    await request(t.app.http).get('/api/v1/remediations').set('Authorization', `Bearer ${WEBHOOK_TOKEN}`).expect(401);
    await request(t.app.http).get('/api/v1/remediations').set(admin).expect(200);
  });

  test('an alert shows its remediations; a remediation shows decision, explanation and transitions', async () => {
    const posted = await request(t.app.http).post('/api/v1/alerts').set(hook).send(fixture('firing-single-QueueDepthHigh').toString()).expect(202);
    await settle(t.app);
    const alertId = posted.body.alerts[0].id as string;
    const a = await request(t.app.http).get(`/api/v1/alerts/${alertId}`).set(admin).expect(200);
    expect(a.body.alert).toMatchObject({ id: alertId, status: 'firing', labels: { alertname: 'QueueDepthHigh', namespace: 'ci' }, endsAt: null });
    expect(a.body.remediations).toHaveLength(1);
    const r = await request(t.app.http).get(`/api/v1/remediations/${a.body.remediations[0].id}`).set(admin).expect(200);
    expect(r.body.decision.explanation).toMatch(/^Scale ci\/deployment\/ci-failure-agent-consumer from 2 to 4 replicas: QueueDepthHigh is firing/);
    expect(r.body.transitions).toHaveLength(4);
  });

  test('filters and pagination of remediations', async () => {
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(fixture('firing-group-HighPodCPU-3-alerts').toString()).expect(202);
    await settle(t.app);
    const skipped = await request(t.app.http).get('/api/v1/remediations?reason=cooldown').set(admin).expect(200);
    expect(skipped.body.items).toHaveLength(2);
    const page1 = await request(t.app.http).get('/api/v1/remediations?limit=2').set(admin).expect(200);
    expect(page1.body.items).toHaveLength(2);
    expect(page1.body.nextCursor).toBeTruthy();
    const page2 = await request(t.app.http).get(`/api/v1/remediations?limit=2&cursor=${encodeURIComponent(page1.body.nextCursor)}`).set(admin).expect(200);
    expect(page2.body.items).toHaveLength(1);
    const ids = new Set([...page1.body.items, ...page2.body.items].map((x: { id: string }) => x.id));
    expect(ids.size).toBe(3);
    const bad = await request(t.app.http).get('/api/v1/remediations?phase=bogus').set(admin).expect(400);
    expect(bad.body.error.message).toMatch(/phase/);
    await request(t.app.http).get('/api/v1/remediations/nope').set(admin).expect(404);
  });

  test('GET /api/v1/rules lists the table and its reload status', async () => {
    const res = await request(t.app.http).get('/api/v1/rules').set(admin).expect(200);
    expect(res.body.status).toMatchObject({ ok: true, errors: [] });
    expect(res.body.rules.map((r: { name: string }) => r.name)).toEqual(expect.arrayContaining(['cpu-raise-hpa-floor', 'queue-add-consumers']));
  });

  test('replay of a recorded alert is a dry-run preview by default: decisions returned, nothing recorded or applied', async () => {
    const posted = await request(t.app.http).post('/api/v1/alerts').set(hook).send(fixture('firing-single-QueueDepthHigh').toString()).expect(202);
    await settle(t.app);
    const before = (await request(t.app.http).get('/api/v1/remediations').set(admin)).body.items.length as number;
    const res = await request(t.app.http).post('/api/v1/replay').set(admin).send({ alertId: posted.body.alerts[0].id }).expect(200);
    expect(res.body.dryRun).toBe(true);
    // the rule acted moments ago: today's rules say cooldown
    expect(res.body.results[0].decisions[0]).toMatchObject({ rule: 'queue-add-consumers', outcome: 'skip', reason: 'cooldown', remediationId: null });
    const after = (await request(t.app.http).get('/api/v1/remediations').set(admin)).body.items.length as number;
    expect(after).toBe(before);
    expect(cluster.applied).toHaveLength(1);
  });

  test('replay of a posted payload, preview then for real', async () => {
    const payload = JSON.parse(fixture('firing-single-QueueDepthHigh').toString()) as unknown;
    const preview = await request(t.app.http).post('/api/v1/replay').set(admin).send({ payload }).expect(200);
    expect(preview.body.results[0].decisions[0]).toMatchObject({ outcome: 'skip', reason: 'dry-run', before: { replicas: 2 }, after: { replicas: 4 } });
    expect(cluster.applied).toHaveLength(0);
    const real = await request(t.app.http).post('/api/v1/replay').set(admin).send({ payload, dryRun: false }).expect(200);
    expect(real.body.results[0].decisions[0]).toMatchObject({ outcome: 'act', phase: 'succeeded' });
    expect(cluster.applied).toHaveLength(1);
  });

  test('replay rejects what it cannot run', async () => {
    await request(t.app.http).post('/api/v1/replay').set(admin).send({ alertId: 'missing' }).expect(404);
    const bad = await request(t.app.http).post('/api/v1/replay').set(admin).send({ payload: { version: '3' } }).expect(400);
    expect(bad.body.error.message).toMatch(/version "3"/);
    await request(t.app.http).post('/api/v1/replay').set(admin).send({ nothing: true }).expect(400);
  });

  test('breakers: listed, and reset by target', async () => {
    await t.app.store.openBreaker('ci/deployment/ci-failure-agent-consumer', 'test', new Date());
    const list = await request(t.app.http).get('/api/v1/breakers').set(admin).expect(200);
    expect(list.body.items).toHaveLength(1);
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(fixture('firing-single-QueueDepthHigh').toString()).expect(202);
    await settle(t.app);
    const [rem] = (await request(t.app.http).get('/api/v1/remediations').set(admin)).body.items;
    expect(rem.decision.reason).toBe('breaker-open');
    await request(t.app.http).post('/api/v1/breakers/ci%2Fdeployment%2Fci-failure-agent-consumer/reset').set(admin).expect(200);
    await request(t.app.http).post('/api/v1/breakers/ci/deployment/ci-failure-agent-consumer/reset').set(admin).expect(404);
  });

  test('health, readiness and metrics', async () => {
    await request(t.app.http).get('/healthz').expect(200);
    const ready = await request(t.app.http).get('/readyz').expect(200);
    expect(ready.body.checks).toEqual({ rulesLoaded: true, storeOpen: true, storeWritable: true, accepting: true, decisionsFlowing: true });
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(fixture('firing-single-QueueDepthHigh').toString()).expect(202);
    await settle(t.app);
    const m = await request(t.app.http).get('/metrics').expect(200);
    expect(m.text).toMatch(/autoremediator_decisions_total\{rule="queue-add-consumers",outcome="act",reason="",action="scale"\} 1/);
    expect(m.text).toMatch(/autoremediator_alerts_received_total\{status="firing",duplicate="false"\} 1/);
    // A group of 3 sent twice (an HA pair): 3 more first deliveries, then 3 duplicates.
    const group = fixture('firing-group-HighPodCPU-3-alerts').toString();
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(group).expect(202);
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(group).expect(202);
    const m2 = await request(t.app.http).get('/metrics').expect(200);
    expect(m2.text).toMatch(/autoremediator_alerts_received_total\{status="firing",duplicate="false"\} 4\n/);
    expect(m2.text).toMatch(/autoremediator_alerts_received_total\{status="firing",duplicate="true"\} 3\n/);
    await settle(t.app);
  });
});
