/**
 * Approval mode through the service's HTTP API, with the real SQLite store: a run that needs
 * approval is planned and explained, then waits in `awaiting_approval` without touching the
 * target; approved it is re-checked against the live state and applied; denied, expired or
 * stale it never acts; a restart while it waits keeps it waiting; Slack (bot mode) shows the
 * Approve / Deny buttons on the thread's first message and who answered.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { referenceCluster, type FakeCluster } from '../../helpers/fake-cluster.js';
import { ADMIN_TOKEN, WEBHOOK_TOKEN, buildTestApp, settle, type TestApp } from '../../helpers/app.js';
import { fixture } from '../../helpers/fixtures.js';
import { waitFor } from '../../helpers/binaries.js';
import { SlackStandIn } from '../notify/slack-stand-in.js';
import { ManualClock } from '../../../src/platform/clock.js';
import type { Remediation } from '../../../src/domain/remediation.js';

const hook = { Authorization: `Bearer ${WEBHOOK_TOKEN}`, 'Content-Type': 'application/json' };
const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const CONSUMER = 'ci/deployment/ci-failure-agent-consumer';

function rulesDir(approval = '    approval: { required: true, timeout: 30m }\n'): string {
  const dir = mkdtempSync(join(tmpdir(), 'rules-'));
  writeFileSync(
    join(dir, 'rules.yaml'),
    `rules:
  - name: queue-add-consumers
    matchers: ['alertname="QueueDepthHigh"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: "{{ $labels.namespace }}", name: ci-failure-agent-consumer }
    action: { type: scale, minReplicas: 2, maxReplicas: 12, policies: [{ type: Pods, value: 3, periodSeconds: 60 }] }
    cooldown: 1s
${approval}`,
  );
  return dir;
}

function firing(startsAt = '2026-11-28T10:20:46.4Z'): string {
  const n = JSON.parse(fixture('firing-single-QueueDepthHigh').toString()) as { alerts: Array<{ startsAt: string }> };
  n.alerts[0]!.startsAt = startsAt;
  return JSON.stringify(n);
}

describe('approval mode over the API', () => {
  let t: TestApp;
  let cluster: FakeCluster;
  let clock: ManualClock;
  const replicas = () => cluster.states.get(CONSUMER)!.replicas;
  const latest = async (app = t): Promise<Remediation> => ((await request(app.app.http).get('/api/v1/remediations?limit=1').set(admin)).body.items as Remediation[])[0]!;
  const waiting = async (): Promise<Remediation> => {
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(firing()).expect(202);
    await settle(t.app);
    const rem = await latest();
    expect(rem.phase).toBe('awaiting_approval');
    return rem;
  };

  beforeEach(async () => {
    cluster = referenceCluster();
    clock = new ManualClock(new Date('2026-11-28T10:21:00Z'));
    t = await buildTestApp({ cluster, clock, env: { RULES_DIR: rulesDir() } });
    await t.app.start();
  });
  afterEach(async () => t.close());

  test('the run is planned and explained, waits without acting; approved, it is applied and validated', async () => {
    const rem = await waiting();
    expect(rem.decision).toMatchObject({ outcome: 'act', before: { replicas: 2 }, after: { replicas: 5 } });
    expect(rem.result).toMatchObject({ approval: { sources: ['rule queue-add-consumers'], deadline: '2026-11-28T10:51:00.000Z', timeoutMs: 1_800_000 } });
    expect(rem.transitions.map((x) => x.to)).toEqual(['planned', 'awaiting_approval']);
    expect(rem.transitions[1]!.note).toMatch(/^Waiting for approval \(required by rule queue-add-consumers\) until 2026-11-28T10:51:00.000Z/);
    expect(cluster.applied).toHaveLength(0);
    // it holds its target: another alert is in-progress
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(firing('2026-11-28T10:20:50.0Z')).expect(202);
    await settle(t.app);
    expect((await latest()).decision).toMatchObject({ reason: 'in-progress' });
    expect((await request(t.app.http).get(`/api/v1/remediations?phase=awaiting_approval`).set(admin)).body.items.map((r: Remediation) => r.id)).toEqual([rem.id]);

    await request(t.app.http).post(`/api/v1/remediations/${rem.id}/approve`).expect(401);
    const noActor = await request(t.app.http).post(`/api/v1/remediations/${rem.id}/approve`).set(admin).expect(400);
    expect(noActor.body.error).toMatchObject({ code: 'missing-actor' });
    await request(t.app.http).post(`/api/v1/remediations/${rem.id}/approve`).set(admin).set('X-Actor', 'alice').send({ reason: 42 }).expect(400);
    await request(t.app.http).post('/api/v1/remediations/nope/approve').set(admin).set('X-Actor', 'alice').expect(404);
    expect(cluster.applied).toHaveLength(0);

    const ok = await request(t.app.http).post(`/api/v1/remediations/${rem.id}/approve`).set(admin).set('X-Actor', 'alice').send({ reason: 'queue is real' }).expect(200);
    expect(['validating', 'succeeded']).toContain(ok.body.phase);
    expect(ok.body.result.approval).toMatchObject({ outcome: 'approved', by: 'alice', reason: 'queue is real', at: '2026-11-28T10:21:00.000Z' });
    expect(cluster.applied).toHaveLength(1);
    expect(replicas()).toBe(5);
    await settle(t.app);
    const done = (await request(t.app.http).get(`/api/v1/remediations/${rem.id}`).set(admin)).body as Remediation;
    expect(done.phase).toBe('succeeded');
    expect(done.transitions.map((x) => x.to)).toEqual(['planned', 'awaiting_approval', 'planned', 'applying', 'validating', 'succeeded']);
    expect(done.transitions[2]!.note).toBe('approved by alice ("queue is real"); the plan still matches the live state');

    // answered once: a second answer is a 409 with its reason
    const again = await request(t.app.http).post(`/api/v1/remediations/${rem.id}/deny`).set(admin).set('X-Actor', 'bob').expect(409);
    expect(again.body).toMatchObject({ reason: 'not-awaiting-approval', error: { code: 'not-awaiting-approval' } });
    expect(again.body.error.message).toContain('(approved by alice at 2026-11-28T10:21:00.000Z)');
  });

  test('denied: never acts, ends skipped approval-denied naming who and why', async () => {
    const rem = await waiting();
    const res = await request(t.app.http).post(`/api/v1/remediations/${rem.id}/deny`).set(admin).set('X-Actor', 'bob').send({ reason: 'planned maintenance' }).expect(200);
    expect(res.body).toMatchObject({ phase: 'skipped', decision: { outcome: 'skip', reason: 'approval-denied', explanation: 'Denied by bob ("planned maintenance"); nothing was done.', before: { replicas: 2 }, after: { replicas: 5 } } });
    expect(res.body.result.approval).toMatchObject({ outcome: 'denied', by: 'bob' });
    expect(cluster.applied).toHaveLength(0);
    expect((await request(t.app.http).get('/api/v1/remediations?reason=approval-denied').set(admin)).body.items).toHaveLength(1);
    await request(t.app.http).post(`/api/v1/remediations/${rem.id}/approve`).set(admin).set('X-Actor', 'alice').expect(409);
    expect(cluster.applied).toHaveLength(0);
    // no longer holding the target, and not an action (no cooldown): the next alert waits again
    clock.advance(2000);
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(firing('2026-11-28T10:21:01.0Z')).expect(202);
    await settle(t.app);
    expect((await latest()).phase).toBe('awaiting_approval');
  });

  test('expired: the approvals job ends it approval-expired at its deadline; a late approval never acts', async () => {
    const rem = await waiting();
    clock.advance(30 * 60_000 - 1);
    expect(await t.app.scheduler!.runNow('approvals')).toBe(0);
    expect((await latest()).phase).toBe('awaiting_approval');
    clock.advance(1);
    expect(await t.app.scheduler!.runNow('approvals')).toBe(1);
    const ended = await latest();
    expect(ended).toMatchObject({ id: rem.id, phase: 'skipped', decision: { reason: 'approval-expired' }, result: { approval: { outcome: 'expired', at: '2026-11-28T10:51:00.000Z' } } });
    expect(ended.decision.explanation).toBe('Approval expired: nobody approved it within 1800s (required by rule queue-add-consumers; deadline 2026-11-28T10:51:00.000Z); nothing was done.');
    expect(await t.app.scheduler!.runNow('approvals')).toBe(0);
    const late = await request(t.app.http).post(`/api/v1/remediations/${rem.id}/approve`).set(admin).set('X-Actor', 'alice').expect(409);
    expect(late.body.reason).toBe('not-awaiting-approval');
    expect(cluster.applied).toHaveLength(0);
  });

  test('an approval after the deadline but before the job ran: expired, not applied', async () => {
    const rem = await waiting();
    clock.advance(31 * 60_000);
    const res = await request(t.app.http).post(`/api/v1/remediations/${rem.id}/approve`).set(admin).set('X-Actor', 'alice').expect(409);
    expect(res.body).toMatchObject({ reason: 'approval-expired', remediation: { phase: 'skipped' } });
    expect(cluster.applied).toHaveLength(0);
  });

  test('stale: the target changed while it waited; the approval is refused with why, nothing applied', async () => {
    const rem = await waiting();
    cluster.states.set(CONSUMER, { ...cluster.states.get(CONSUMER)!, replicas: 4 });
    const res = await request(t.app.http).post(`/api/v1/remediations/${rem.id}/approve`).set(admin).set('X-Actor', 'alice').expect(409);
    expect(res.body).toMatchObject({ reason: 'plan-stale', error: { code: 'plan-stale' }, remediation: { phase: 'skipped', decision: { reason: 'plan-stale' }, result: { approval: { outcome: 'refused', by: 'alice' } } } });
    expect(res.body.error.message).toBe('Approved, but not applied: the target changed since the run was planned (planned from {"replicas":2}, now {"replicas":4}); the plan {"replicas":2} → {"replicas":5} is stale; nothing was done.');
    expect(cluster.applied).toHaveLength(0);
    expect(replicas()).toBe(4);
  });

  test('a pause set while it waited outranks the approval', async () => {
    const rem = await waiting();
    await request(t.app.http).post('/api/v1/pause').set(admin).set('X-Actor', 'carol').send({ scope: 'global', reason: 'incident' }).expect(201);
    const res = await request(t.app.http).post(`/api/v1/remediations/${rem.id}/approve`).set(admin).set('X-Actor', 'alice').expect(409);
    expect(res.body.reason).toBe('paused');
    expect(res.body.error.message).toMatch(/^Approved, but not applied: Paused: carol paused everything/);
    expect(cluster.applied).toHaveLength(0);
  });

  test('a restart while it waits keeps it waiting (nobody resumes it); approved after the restart, it acts', async () => {
    const rem = await waiting();
    const db = join(t.dir, 'test.db');
    await t.app.stop(5000);
    const t2 = await buildTestApp({ cluster, clock, env: { RULES_DIR: rulesDir(), DATABASE_URL: `sqlite:${db}` } });
    try {
      await t2.app.start();
      await t2.app.scheduler!.runNow('resume');
      const after = (await request(t2.app.http).get(`/api/v1/remediations/${rem.id}`).set(admin)).body as Remediation;
      expect(after.phase).toBe('awaiting_approval');
      expect(after.transitions).toHaveLength(2);
      expect(cluster.applied).toHaveLength(0);
      const ok = await request(t2.app.http).post(`/api/v1/remediations/${rem.id}/approve`).set(admin).set('X-Actor', 'alice').expect(200);
      expect(['validating', 'succeeded']).toContain(ok.body.phase);
      expect(replicas()).toBe(5);
      await settle(t2.app);
    } finally {
      await t2.close();
    }
  });
});

describe('who asks for approval: namespace, service, approval windows', () => {
  const cases: Array<{ name: string; env: Record<string, string>; sources: string[] }> = [
    { name: 'APPROVAL_NAMESPACES', env: { APPROVAL_NAMESPACES: 'ci' }, sources: ['namespace ci (APPROVAL_NAMESPACES)'] },
    { name: 'APPROVAL_REQUIRED', env: { APPROVAL_REQUIRED: 'true', APPROVAL_TIMEOUT: '10m' }, sources: ['service (APPROVAL_REQUIRED)'] },
    {
      name: 'a FREEZE_WINDOWS window in approval mode',
      env: { FREEZE_WINDOWS: JSON.stringify([{ name: 'weekend', cron: '0 0 * * 6', duration: '48h', mode: 'approval' }]) },
      sources: ['window "weekend" (service, until 2026-11-30T00:00:00.000Z)'],
    },
  ];
  test.each(cases)('$name', async ({ env, sources }) => {
    const cluster = referenceCluster();
    const t = await buildTestApp({ cluster, clock: new ManualClock(new Date('2026-11-28T10:21:00Z')), env: { RULES_DIR: rulesDir(''), ...env } });
    try {
      await t.app.start();
      await request(t.app.http).post('/api/v1/alerts').set(hook).send(firing()).expect(202);
      await settle(t.app);
      const rem = ((await request(t.app.http).get('/api/v1/remediations?limit=1').set(admin)).body.items as Remediation[])[0]!;
      expect(rem.phase).toBe('awaiting_approval');
      expect(rem.result).toMatchObject({ approval: { sources } });
      expect(cluster.applied).toHaveLength(0);
    } finally {
      await t.close();
    }
  });
});

describe('approval in Slack bot mode', () => {
  test("the thread's first message carries Approve / Deny while the run waits; updated in place to say who approved", async () => {
    const slack = await SlackStandIn.start();
    const cluster = referenceCluster();
    const t = await buildTestApp({ cluster, clock: new ManualClock(new Date('2026-11-28T10:21:00Z')), env: { RULES_DIR: rulesDir(), SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_CHANNEL: '#ops', SLACK_API_URL: slack.url, SLACK_ALLOW_HTTP: 'true' } });
    try {
      await t.app.start();
      await request(t.app.http).post('/api/v1/alerts').set(hook).send(firing()).expect(202);
      await settle(t.app);
      const rem = ((await request(t.app.http).get('/api/v1/remediations?limit=1').set(admin)).body.items as Remediation[])[0]!;
      type Block = { type: string; elements?: Array<{ action_id: string; value: string; style?: string }>; text?: { text: string } };
      const updates = () => slack.requests.filter((r) => r.path.endsWith('/chat.update'));
      await waitFor('the parent updated to awaiting approval', () => Promise.resolve(updates().length >= 1), 5000);
      const waitingBlocks = updates()[0]!.body.blocks as Block[];
      const buttons = waitingBlocks.find((b) => b.type === 'actions')!.elements!;
      expect(buttons).toEqual([
        expect.objectContaining({ action_id: 'autoremediator_approve', value: rem.id, style: 'primary' }),
        expect.objectContaining({ action_id: 'autoremediator_deny', value: rem.id, style: 'danger' }),
      ]);
      const parentTs = slack.requests.find((r) => r.path.endsWith('/chat.postMessage'))!.posted!.ts;
      expect(updates()[0]!.body.ts).toBe(parentTs);

      await request(t.app.http).post(`/api/v1/remediations/${rem.id}/approve`).set(admin).set('X-Actor', 'alice').expect(200);
      await settle(t.app);
      await waitFor('the parent updated after the approval', () => Promise.resolve(updates().some((u) => (u.body.blocks as Block[]).some((b) => b.text?.text.includes('*Approved* by alice')))), 5000);
      const last = updates().at(-1)!.body.blocks as Block[];
      expect(last.some((b) => b.type === 'actions')).toBe(false);
    } finally {
      await t.close();
      await slack.close();
    }
  });
});
