/**
 * The Alertmanager receiver end to end inside the process: the captured bodies go
 * through auth, parsing, the real SQLite store, the shipped rules/ and the planner.
 */
import request from 'supertest';
import { currentFixture, fixture } from '../../helpers/fixtures.js';
import { referenceCluster, type FakeCluster } from '../../helpers/fake-cluster.js';
import { ADMIN_TOKEN, WEBHOOK_TOKEN, buildTestApp, settle, type TestApp } from '../../helpers/app.js';
import type { Remediation } from '../../../src/domain/remediation.js';

const auth = { Authorization: `Bearer ${WEBHOOK_TOKEN}` };
const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

function post(t: TestApp, body: Buffer | string, headers: Record<string, string> = { ...auth, "Content-Type": "application/json" }): request.Test {
  // superagent would JSON-encode a Buffer object; the bytes go out unchanged as a string
  return request(t.app.http).post('/api/v1/alerts').set(headers).send(typeof body === 'string' ? body : body.toString('utf8'));
}

async function remediations(t: TestApp, query = ''): Promise<Remediation[]> {
  const res = await request(t.app.http).get(`/api/v1/remediations?limit=500${query}`).set(admin).expect(200);
  return (res.body as { items: Remediation[] }).items;
}

async function alertCount(t: TestApp): Promise<number> {
  const res = await request(t.app.http).get('/api/v1/alerts?limit=500').set(admin).expect(200);
  return (res.body as { items: unknown[] }).items.length;
}

describe('intake of the captured Alertmanager bodies', () => {
  let t: TestApp;
  let cluster: FakeCluster;
  beforeEach(async () => {
    cluster = referenceCluster();
    t = await buildTestApp({ cluster });
  });
  afterEach(async () => t.close());

  test('QueueDepthHigh: stored, 202 with the ids, then consumers scale 2 → 4', async () => {
    const res = await post(t, fixture('firing-single-QueueDepthHigh'));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: 1, duplicates: 0, alerts: [{ fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/), status: 'firing', duplicateOf: null }] });
    await settle(t.app);
    const [rem] = await remediations(t);
    expect(rem).toMatchObject({ rule: 'queue-add-consumers', phase: 'succeeded', targetKey: 'ci/deployment/ci-failure-agent-consumer', decision: { outcome: 'act', before: { replicas: 2 }, after: { replicas: 4 } } });
    expect(rem!.transitions.map((x) => x.to)).toEqual(['planned', 'applying', 'validating', 'succeeded']);
    expect(cluster.applied).toHaveLength(1);
  });

  test('a repeat (byte-identical, repeat_interval) is stored as a duplicate and never decided twice', async () => {
    await post(t, fixture('firing-single-QueueDepthHigh')).expect(202);
    await settle(t.app);
    const res = await post(t, fixture('firing-repeat-QueueDepthHigh')).expect(202);
    expect(res.body).toMatchObject({ accepted: 0, duplicates: 1 });
    expect(res.body.alerts[0].duplicateOf).toBeTruthy();
    await settle(t.app);
    expect(await remediations(t)).toHaveLength(1);
    expect(cluster.applied).toHaveLength(1);
    expect(await alertCount(t)).toBe(2);
  });

  test('a retry after a 500 (same bytes) is a duplicate of the first attempt', async () => {
    await post(t, fixture('failure-http-500-first-attempt')).expect(202);
    const res = await post(t, fixture('failure-http-500-delivered-after-recovery')).expect(202);
    expect(res.body.duplicates).toBe(1);
    await settle(t.app);
    expect(cluster.applied).toHaveLength(1);
  });

  test('HighPodCPU, 3 alerts for one target: one action (HPA floor 3 → 5), the others skip with cooldown', async () => {
    const res = await post(t, fixture('firing-group-HighPodCPU-3-alerts')).expect(202);
    expect(res.body.accepted).toBe(3);
    await settle(t.app);
    const rems = await remediations(t, '&rule=cpu-raise-hpa-floor');
    expect(rems).toHaveLength(3);
    const acts = rems.filter((r) => r.decision.outcome === 'act');
    expect(acts).toHaveLength(1);
    expect(acts[0]!.decision).toMatchObject({ action: 'hpa', before: { minReplicas: 3, maxReplicas: 20 }, after: { minReplicas: 5, maxReplicas: 20 } });
    const skips = rems.filter((r) => r.decision.outcome === 'skip');
    expect(skips.map((r) => (r.decision as { reason: string }).reason)).toEqual(['cooldown', 'cooldown']);
    expect(cluster.applied).toHaveLength(1);
    // The cooldown skips were decided without reading the cluster: a storm costs the API server one read per action.
    expect(cluster.reads.get(acts[0]!.targetKey!)).toBe(1);
  });

  test('truncated notification (max_alerts): the alerts that came are decided; truncatedAlerts is stored', async () => {
    const res = await post(t, fixture('firing-group-HighPodCPU-truncated-max-alerts-2')).expect(202);
    expect(res.body.accepted).toBe(2);
    await settle(t.app);
    expect(cluster.applied).toHaveLength(1);
  });

  test("HighMemoryUsage (today's rules: cAdvisor's container label) raises the memory of the container named in the alert, once for the three pods", async () => {
    const res = await post(t, currentFixture('firing-HighMemoryUsage')).expect(202);
    expect(res.body).toMatchObject({ accepted: 3 });
    await settle(t.app);
    const rems = await remediations(t);
    const acts = rems.filter((r) => r.decision.outcome === 'act');
    expect(acts).toHaveLength(1);
    expect(acts[0]!.decision).toMatchObject({
      rule: 'memory-raise-limits',
      outcome: 'act',
      before: { 'requests.memory': '512Mi', 'limits.memory': '1Gi' },
      after: { 'requests.memory': '640Mi', 'limits.memory': '1280Mi' },
    });
    // The other two pods' alerts name the same Deployment: skipped, not a second raise.
    expect(rems.map((r) => (r.decision.outcome === 'skip' ? r.decision.reason : 'act')).sort()).toEqual(['act', 'cooldown', 'cooldown']);
    expect(cluster.applied).toHaveLength(1);
  });

  test('HighMemoryUsage of the pre-1.16 capture (container_name only): skipped, naming the missing label; nothing changes', async () => {
    await post(t, fixture('firing-HighMemoryUsage')).expect(202);
    await settle(t.app);
    const [rem] = await remediations(t);
    expect(rem!.decision).toMatchObject({ rule: 'memory-raise-limits', outcome: 'skip', reason: 'template-missing-label' });
    expect(rem!.decision.explanation).toContain('$labels.container');
    expect(cluster.applied).toHaveLength(0);
  });

  test.each(['resolved-single-QueueDepthHigh', 'resolved-group-HighPodCPU', 'current/resolved-HighMemoryUsage'])('%s: recorded as skipped, reason resolved', async (name) => {
    await post(t, name.startsWith('current/') ? currentFixture(name.slice('current/'.length)) : fixture(name)).expect(202);
    await settle(t.app);
    const rems = await remediations(t);
    expect(rems.length).toBeGreaterThan(0);
    for (const r of rems) expect(r.decision).toMatchObject({ outcome: 'skip', reason: 'resolved' });
    expect(cluster.applied).toHaveLength(0);
  });

  test('the nested-route delivery of the second Alertmanager carries the same alert: a duplicate', async () => {
    await post(t, fixture('firing-single-QueueDepthHigh')).expect(202);
    const res = await post(t, fixture('nested-route-firing-single-QueueDepthHigh')).expect(202);
    expect(res.body.duplicates).toBe(1);
    await settle(t.app);
    expect(cluster.applied).toHaveLength(1);
  });

  test('an alert no rule matches is recorded as skipped with reason no-match', async () => {
    const body = JSON.parse(fixture('firing-single-QueueDepthHigh').toString()) as { alerts: Array<{ labels: Record<string, string>; fingerprint: string }> };
    body.alerts[0]!.labels.alertname = 'SomethingElse';
    body.alerts[0]!.fingerprint = '0123456789abcdef';
    await post(t, JSON.stringify(body)).expect(202);
    await settle(t.app);
    const [rem] = await remediations(t);
    expect(rem).toMatchObject({ rule: null, phase: 'skipped', decision: { reason: 'no-match' } });
  });
});

describe('bad input gets a clear error and changes nothing', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ cluster: referenceCluster(), env: { MAX_BODY_BYTES: '4096', MAX_LABELS_PER_ALERT: '20' } });
  });
  afterAll(async () => t.close());

  const valid = (): Record<string, unknown> => JSON.parse(fixture('firing-single-QueueDepthHigh').toString()) as Record<string, unknown>;
  const json = { ...auth, 'Content-Type': 'application/json' };

  test.each<[string, () => Promise<request.Response>, number, RegExp]>([
    ['no credentials', () => post(t, fixture('firing-single-QueueDepthHigh'), { 'Content-Type': 'application/json' }), 401, /credentials/],
    ['wrong bearer token', () => post(t, fixture('firing-single-QueueDepthHigh'), { Authorization: 'Bearer nope', 'Content-Type': 'application/json' }), 401, /credentials/],
    ['the admin token is not a webhook credential', () => post(t, fixture('firing-single-QueueDepthHigh'), { ...admin, 'Content-Type': 'application/json' }), 401, /credentials/],
    ['malformed JSON', () => post(t, '{"version":"4",', json), 400, /not valid JSON/],
    ['not an object', () => post(t, '[1,2]', json), 400, /JSON object/],
    ['unknown payload version', () => post(t, JSON.stringify({ ...valid(), version: '3' }), json), 400, /version "3"/],
    ['missing version', () => post(t, JSON.stringify({ ...valid(), version: undefined }), json), 400, /version null/],
    ['wrong content type', () => post(t, fixture('firing-single-QueueDepthHigh'), { ...auth, 'Content-Type': 'text/plain' }), 415, /application\/json/],
    ['no content type', () => request(t.app.http).post('/api/v1/alerts').set(auth).send(Buffer.from('{}')), 415, /application\/json/],
    ['body over MAX_BODY_BYTES', () => post(t, JSON.stringify({ ...valid(), pad: 'x'.repeat(5000) }), json), 413, /MAX_BODY_BYTES/],
    ['missing alerts', () => post(t, JSON.stringify({ ...valid(), alerts: undefined }), json), 400, /alerts:/],
    ['empty alerts', () => post(t, JSON.stringify({ ...valid(), alerts: [] }), json), 400, /alerts:/],
    [
      'a label of the wrong type names its path',
      () => {
        const b = valid() as { alerts: Array<{ labels: Record<string, unknown> }> };
        b.alerts[0]!.labels.severity = 3;
        return post(t, JSON.stringify(b), json);
      },
      400,
      /alerts\[0\]\.labels\.severity/,
    ],
    [
      'bad fingerprint',
      () => {
        const b = valid() as { alerts: Array<Record<string, unknown>> };
        b.alerts[0]!.fingerprint = 'xyz';
        return post(t, JSON.stringify(b), json);
      },
      400,
      /alerts\[0\]\.fingerprint/,
    ],
    [
      'too many labels',
      () => {
        const b = valid() as { alerts: Array<{ labels: Record<string, string> }> };
        for (let i = 0; i < 30; i++) b.alerts[0]!.labels[`l${i}`] = 'v';
        return post(t, JSON.stringify(b), json);
      },
      400,
      /MAX_LABELS_PER_ALERT/,
    ],
  ])('%s → %i', async (_name, send, status, message) => {
    const before = await alertCount(t);
    const res = await send();
    expect(res.status).toBe(status);
    expect((res.body as { error: { message: string } }).error.message).toMatch(message);
    expect(await alertCount(t)).toBe(before);
  });

  test('every rejection is counted by reason, auth and body size included', async () => {
    const m = await request(t.app.http).get('/metrics').expect(200);
    expect(m.text).toMatch(/autoremediator_intake_rejected_total\{reason="unauthorized"\} [3-9]/);
    expect(m.text).toMatch(/autoremediator_intake_rejected_total\{reason="body-too-large"\} 1/);
    expect(m.text).toMatch(/autoremediator_intake_rejected_total\{reason="unsupported-media-type"\} 2/);
    expect(m.text).toMatch(/autoremediator_intake_rejected_total\{reason="unsupported-version"\} 2/);
  });

  test('unknown top-level fields of newer Alertmanagers are accepted', async () => {
    const res = await post(t, JSON.stringify({ ...valid(), notification_reason: 'new', routeLabels: { a: 'b' } }), json);
    expect(res.status).toBe(202);
  });

  test('Basic auth works as Alertmanager sends it, when configured', async () => {
    const b = await buildTestApp({ cluster: referenceCluster(), env: { WEBHOOK_TOKEN: '', WEBHOOK_BASIC_AUTH: 'am:s3cret-basic-password' } });
    try {
      const ok = await request(b.app.http).post('/api/v1/alerts').auth('am', 's3cret-basic-password').set('Content-Type', 'application/json').send(fixture('firing-single-QueueDepthHigh').toString());
      expect(ok.status).toBe(202);
      const bad = await request(b.app.http).post('/api/v1/alerts').auth('am', 'wrong').set('Content-Type', 'application/json').send(fixture('firing-single-QueueDepthHigh').toString());
      expect(bad.status).toBe(401);
      expect(bad.headers['www-authenticate']).toMatch(/^Basic/);
    } finally {
      await b.close();
    }
  });
});

describe('a full queue answers 503 with Retry-After and stores nothing', () => {
  test('3 alerts into a queue of 2', async () => {
    const t = await buildTestApp({ cluster: referenceCluster(), env: { QUEUE_CAPACITY: '2' } });
    try {
      const res = await post(t, fixture('firing-group-HighPodCPU-3-alerts'));
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(await alertCount(t)).toBe(0);
      // the retry Alertmanager would send is accepted once there is room (a queue of 3)
      const ok = await post(t, fixture('firing-single-QueueDepthHigh'));
      expect(ok.status).toBe(202);
    } finally {
      await t.close();
    }
  });
});
