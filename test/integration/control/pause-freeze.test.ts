/**
 * The kill switch and freeze windows through the service's HTTP API, with the real
 * SQLite store: a pause holds the next decision (and restore steps), names who and why,
 * shows in /readyz, the metric and Slack, and ends by hand or by expiry; a freeze window
 * skips with its reason and shows in GET /api/v1/freeze.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { referenceCluster, type FakeCluster } from '../../helpers/fake-cluster.js';
import { ADMIN_TOKEN, WEBHOOK_TOKEN, buildTestApp, settle, type TestApp } from '../../helpers/app.js';
import { fixture } from '../../helpers/fixtures.js';
import { SlackStandIn } from '../notify/slack-stand-in.js';
import { waitFor } from '../../helpers/binaries.js';
import { ManualClock } from '../../../src/platform/clock.js';
import type { Remediation } from '../../../src/domain/remediation.js';

const hook = { Authorization: `Bearer ${WEBHOOK_TOKEN}`, 'Content-Type': 'application/json' };
const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const CONSUMER = 'ci/deployment/ci-failure-agent-consumer';

function rulesDir(extra = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'rules-'));
  writeFileSync(
    join(dir, 'rules.yaml'),
    `rules:
  - name: queue-add-consumers
    matchers: ['alertname="QueueDepthHigh"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: "{{ $labels.namespace }}", name: ci-failure-agent-consumer }
    action: { type: scale, minReplicas: 2, maxReplicas: 12, policies: [{ type: Pods, value: 3, periodSeconds: 60 }] }
    cooldown: 1s
    restore:
      after: 10m
      policies: [{ type: Pods, value: 1, periodSeconds: 60 }]
${extra}`,
  );
  return dir;
}

/** The captured QueueDepthHigh notification, as a new firing (another startsAt: not a duplicate delivery). */
function firing(startsAt: string, status: 'firing' | 'resolved' = 'firing'): string {
  const n = JSON.parse(fixture(status === 'firing' ? 'firing-single-QueueDepthHigh' : 'resolved-single-QueueDepthHigh').toString()) as { alerts: Array<{ startsAt: string }> };
  n.alerts[0]!.startsAt = startsAt;
  return JSON.stringify(n);
}

describe('the kill switch over the API', () => {
  let t: TestApp;
  let cluster: FakeCluster;
  let clock: ManualClock;
  let slack: SlackStandIn;
  const replicas = () => cluster.states.get(CONSUMER)!.replicas;
  const latest = async (): Promise<Remediation> => ((await request(t.app.http).get('/api/v1/remediations?limit=1').set(admin)).body.items as Remediation[])[0]!;
  const slackTexts = () => slack.requests.map((r) => r.body.text ?? '');

  beforeEach(async () => {
    cluster = referenceCluster();
    clock = new ManualClock(new Date('2026-11-28T10:21:00Z'));
    slack = await SlackStandIn.start();
    t = await buildTestApp({ cluster, clock, env: { RULES_DIR: rulesDir(), SLACK_WEBHOOK_URL: `${slack.url}/services/T/B/X`, SLACK_ALLOW_HTTP: 'true' } });
    await t.app.start();
  });
  afterEach(async () => {
    await t.close();
    await slack.close();
  });

  test('bad requests are refused, say what is wrong, and change nothing', async () => {
    await request(t.app.http).post('/api/v1/pause').send({ scope: 'global', reason: 'x' }).expect(401);
    const noActor = await request(t.app.http).post('/api/v1/pause').set(admin).send({ scope: 'global', reason: 'x' }).expect(400);
    expect(noActor.body.error).toMatchObject({ code: 'missing-actor' });
    const cases: Array<[unknown, string]> = [
      [{ scope: 'global' }, 'reason'],
      [{ scope: 'namespace', reason: 'x' }, 'namespace'],
      [{ scope: 'target', namespace: 'ci', kind: 'Deployment', reason: 'x' }, 'name'],
      [{ scope: 'everything', reason: 'x' }, 'scope'],
      [{ scope: 'global', reason: 'x', expiresIn: 'soon' }, 'expiresIn'],
      [{ scope: 'global', reason: 'x', expiresAt: '2020-01-01T00:00:00Z' }, 'expiresAt'],
    ];
    for (const [body, field] of cases) {
      const res = await request(t.app.http).post('/api/v1/pause').set(admin).set('X-Actor', 'alice').send(body as object).expect(400);
      expect(res.body.error.message).toContain(field);
    }
    await request(t.app.http).post('/api/v1/pause').set(admin).set('X-Actor', 'alice').set('Content-Type', 'text/plain').send('pause!').expect(415);
    expect((await request(t.app.http).get('/api/v1/pause').set(admin).expect(200)).body.items).toEqual([]);
    const res = await request(t.app.http).delete('/api/v1/pause').set(admin).set('X-Actor', 'bob').send({ scope: 'global' }).expect(404);
    expect(res.body.error.message).toBe('no pause in force with scope global');
  });

  test('a pause holds the next decision, naming who, why and until when; resume acts again', async () => {
    const p = await request(t.app.http)
      .post('/api/v1/pause')
      .set(admin)
      .set('X-Actor', 'alice')
      .send({ scope: 'namespace', namespace: 'ci', reason: 'database failover in progress', expiresIn: '2h' })
      .expect(201);
    expect(p.body).toMatchObject({ scopeKey: 'namespace:ci', actor: 'alice', reason: 'database failover in progress', expiresAt: '2026-11-28T12:21:00.000Z' });

    // visible: API, /readyz detail, the gauge, Slack
    expect((await request(t.app.http).get('/api/v1/pause').set(admin)).body.items).toHaveLength(1);
    const ready = await request(t.app.http).get('/readyz').expect(200);
    expect(ready.body.detail.controls.pauses).toEqual([{ scope: 'namespace:ci', by: 'alice', reason: 'database failover in progress', until: '2026-11-28T12:21:00.000Z' }]);
    const metrics = (await request(t.app.http).get('/metrics')).text;
    expect(metrics).toContain('autoremediator_pauses_active{scope="namespace"} 1');
    expect(metrics).toContain('autoremediator_pauses_active{scope="global"} 0');
    await waitFor('the pause announcement', () => Promise.resolve(slackTexts().some((x) => x.includes('alice paused namespace ci') && x.includes('database failover in progress'))), 5000);

    // the alert is stored and decided: a skip `paused`
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(firing('2026-11-28T10:20:46.4Z')).expect(202);
    await settle(t.app);
    const skipped = await latest();
    expect(skipped.decision).toMatchObject({ outcome: 'skip', reason: 'paused', facts: { pause: { by: 'alice', reason: 'database failover in progress', until: '2026-11-28T12:21:00.000Z' } } });
    expect(skipped.decision.explanation).toBe(
      'Paused: alice paused namespace ci at 2026-11-28T10:21:00.000Z ("database failover in progress"), until 2026-11-28T12:21:00.000Z; nothing was done.',
    );
    expect(replicas()).toBe(2);
    expect(cluster.applied).toHaveLength(0);

    // a pause of another scope is not ended by this resume
    await request(t.app.http).delete('/api/v1/pause').set(admin).set('X-Actor', 'bob').send({ scope: 'global' }).expect(404);
    const resumed = await request(t.app.http).delete('/api/v1/pause').set(admin).set('X-Actor', 'bob').send({ scope: 'namespace', namespace: 'ci' }).expect(200);
    expect(resumed.body.ended).toMatchObject([{ endedBy: 'bob' }]);
    await waitFor('the resume announcement', () => Promise.resolve(slackTexts().some((x) => x.includes('bob resumed namespace ci'))), 5000);
    expect((await request(t.app.http).get('/metrics')).text).toContain('autoremediator_pauses_active{scope="namespace"} 0');

    clock.advance(5000);
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(firing('2026-11-28T10:21:02.0Z')).expect(202);
    await settle(t.app);
    expect((await latest()).decision.outcome).toBe('act');
    expect(replicas()).toBe(5);
  });

  test('a pause that expires ends by itself: the controls job records and announces its end once', async () => {
    await request(t.app.http).post('/api/v1/pause').set(admin).set('X-Actor', 'alice').send({ scope: 'rule', rule: 'queue-add-consumers', reason: 'tuning', expiresIn: '1m' }).expect(201);
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(firing('2026-11-28T10:20:46.4Z')).expect(202);
    await settle(t.app);
    expect((await latest()).decision).toMatchObject({ reason: 'paused' });
    clock.advance(61_000);
    // expired: in force no longer, even before the job ran
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(firing('2026-11-28T10:21:50.0Z')).expect(202);
    await settle(t.app);
    expect((await latest()).decision.outcome).toBe('act');
    expect(await t.app.scheduler!.runNow('controls')).toBe(1);
    expect(await t.app.scheduler!.runNow('controls')).toBe(0);
    await waitFor('the expiry announcement', () => Promise.resolve(slackTexts().some((x) => x.includes('The pause of rule queue-add-consumers expired'))), 5000);
  });

  test('a pause stops restore steps too; after resume the step is taken', async () => {
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(fixture('firing-single-QueueDepthHigh').toString()).expect(202);
    await settle(t.app);
    expect(replicas()).toBe(5);
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(fixture('resolved-single-QueueDepthHigh').toString()).expect(202);
    await settle(t.app);
    clock.advance(20 * 60_000);
    await request(t.app.http).post('/api/v1/pause').set(admin).set('X-Actor', 'alice').send({ scope: 'target', namespace: 'ci', kind: 'Deployment', name: 'ci-failure-agent-consumer', reason: 'load test' }).expect(201);
    await t.app.scheduler!.runNow('restore');
    expect(replicas()).toBe(5);
    await request(t.app.http).delete('/api/v1/pause').set(admin).set('X-Actor', 'alice').send({ scope: 'target', namespace: 'ci', kind: 'deployment', name: 'ci-failure-agent-consumer' }).expect(200);
    await t.app.scheduler!.runNow('restore');
    expect(replicas()).toBe(4);
  });
});

describe('freeze windows over the API', () => {
  let t: TestApp;
  let cluster: FakeCluster;
  // Friday 2026-11-27 18:00 in Berlin (17:00 UTC): inside the Friday-16:00-for-64h freeze
  const clock = new ManualClock(new Date('2026-11-27T17:00:00Z'));
  const latest = async (): Promise<Remediation> => ((await request(t.app.http).get('/api/v1/remediations?limit=1').set(admin)).body.items as Remediation[])[0]!;

  beforeEach(async () => {
    cluster = referenceCluster();
    t = await buildTestApp({
      cluster,
      clock,
      env: {
        RULES_DIR: rulesDir(`    freeze: [{ name: nightly, cron: "0 2 * * *", duration: 1h, timeZone: Europe/Berlin }]\n`),
        FREEZE_WINDOWS: JSON.stringify([{ name: 'release-freeze', cron: '0 16 * * 5', duration: '64h', timeZone: 'Europe/Berlin' }]),
      },
    });
    await t.app.start();
  });
  afterEach(async () => t.close());

  test('inside the window a decision is a skip `frozen` naming the window and its end; GET /api/v1/freeze shows active and next', async () => {
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(firing('2026-11-27T16:59:00Z')).expect(202);
    await settle(t.app);
    const d = (await latest()).decision;
    expect(d).toMatchObject({ outcome: 'skip', reason: 'frozen', facts: { freeze: { name: 'release-freeze', source: 'service', end: '2026-11-30T07:00:00.000Z' } } });
    expect(d.explanation).toContain('until 2026-11-30T07:00:00.000Z');
    expect(cluster.applied).toHaveLength(0);

    const f = await request(t.app.http).get('/api/v1/freeze').set(admin).expect(200);
    expect(f.body.windows).toEqual([
      { name: 'release-freeze', source: 'service', cron: '0 16 * * 5', duration: 64 * 3_600_000, timeZone: 'Europe/Berlin', mode: 'freeze', active: { start: '2026-11-27T15:00:00.000Z', end: '2026-11-30T07:00:00.000Z' }, next: { start: '2026-12-04T15:00:00.000Z', end: '2026-12-07T07:00:00.000Z' } },
      { name: 'nightly', source: 'rule queue-add-consumers', cron: '0 2 * * *', duration: 3_600_000, timeZone: 'Europe/Berlin', mode: 'freeze', active: null, next: { start: '2026-11-28T01:00:00.000Z', end: '2026-11-28T02:00:00.000Z' } },
    ]);
    expect((await request(t.app.http).get('/readyz')).body.detail.controls.frozen).toEqual([{ name: 'release-freeze', source: 'service', until: '2026-11-30T07:00:00.000Z' }]);
    await request(t.app.http).get('/api/v1/freeze').expect(401);
  });
});
