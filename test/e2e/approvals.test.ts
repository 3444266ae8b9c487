/**
 * Approval mode on the running service (the built CLI as a real process, real HTTP, SQLite file
 * store, the sandbox API server, a Slack stand-in for Slack's Web API): a run that needs approval
 * waits and acts once approved through Slack's Approve button, sent as Slack sends it (signed
 * with the signing secret); forged, tampered, stale, unsigned and replayed requests are refused
 * and change nothing; a denied run and an expired one never act.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture } from '../helpers/fixtures.js';
import { startCli, type CliProcess } from '../helpers/process.js';
import { waitFor } from '../helpers/binaries.js';
import { SlackStandIn } from '../integration/notify/slack-stand-in.js';
import { loadSeed, startSandboxApi, type SandboxApi } from '../../src/sandbox/index.js';
import { slackSignature } from '../../src/notify/slack-signature.js';
import type { Remediation } from '../../src/domain/remediation.js';

const WEBHOOK = 'approvals-e2e-webhook-token-0123';
const ADMIN = 'approvals-e2e-admin-token-012345';
const SECRET = 'e2e-slack-signing-secret-8f742231b10e';

describe('approvals on the running service', () => {
  let api: SandboxApi;
  let slack: SlackStandIn;
  let dir: string;
  let cli: CliProcess;
  let url: string;

  beforeAll(async () => {
    api = await startSandboxApi({ seed: loadSeed(), readyDelayMs: 10, tickMs: 100 });
    const template = api.get('apps/v1', 'Deployment', 'ci', 'ci-failure-agent-consumer')!;
    for (let i = 0; i < 4; i++) api.put({ ...template, metadata: { name: `worker-${i}`, namespace: 'ci', labels: { app: `worker-${i}` } }, status: undefined });
    slack = await SlackStandIn.start();
    dir = mkdtempSync(join(tmpdir(), 'approvals-'));
    mkdirSync(join(dir, 'rules'));
    writeFileSync(
      join(dir, 'rules', 'rules.yaml'),
      `rules:
  - name: scale-worker
    matchers: ['alertname="WorkerBacklog"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: ci, name: "{{ $labels.deployment }}" }
    action: { type: scale, minReplicas: 2, maxReplicas: 10, policies: [{ type: Pods, value: 1, periodSeconds: 600 }] }
    validate: { rolloutTimeout: 30s }
    approval: { required: true, timeout: 1h }
  - name: scale-worker-briefly
    matchers: ['alertname="BriefBacklog"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: ci, name: "{{ $labels.deployment }}" }
    action: { type: scale, minReplicas: 2, maxReplicas: 10 }
    approval: { required: true, timeout: 2s }
`,
    );
    cli = startCli(['serve'], {
      PORT: '0',
      HOST: '127.0.0.1',
      KUBE_API_URL: api.url,
      WEBHOOK_TOKEN: WEBHOOK,
      ADMIN_TOKEN: ADMIN,
      DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
      RULES_DIR: join(dir, 'rules'),
      ALLOWED_NAMESPACES: 'ci',
      READINESS_POLL_MS: '20',
      SLACK_BOT_TOKEN: 'xoxb-e2e-token',
      SLACK_CHANNEL: '#ops',
      SLACK_API_URL: slack.url,
      SLACK_ALLOW_HTTP: 'true',
      SLACK_SIGNING_SECRET: SECRET,
    });
    url = (JSON.parse(await cli.waitForLine(/autoremediator listening/)) as { url: string }).url;
  }, 60_000);

  afterAll(async () => {
    cli?.kill('SIGTERM');
    await cli?.exited;
    await api?.close();
    await slack?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const body = (alertname: string, deployment: string): string => {
    const n = JSON.parse(fixture('firing-single-QueueDepthHigh').toString()) as { alerts: Array<{ labels: Record<string, string>; fingerprint: string; startsAt: string }> };
    const a = n.alerts[0]!;
    a.labels = { ...a.labels, alertname, deployment };
    a.fingerprint = createHash('sha256').update(`${alertname}/${deployment}`).digest('hex').slice(0, 16);
    a.startsAt = new Date().toISOString();
    return JSON.stringify(n);
  };
  const get = async <T>(path: string): Promise<T> => (await (await fetch(`${url}${path}`, { headers: { Authorization: `Bearer ${ADMIN}` } })).json()) as T;
  const waitingRun = async (alertname: string, deployment: string): Promise<Remediation> => {
    const r = await fetch(`${url}/api/v1/alerts`, { method: 'POST', headers: { Authorization: `Bearer ${WEBHOOK}`, 'Content-Type': 'application/json' }, body: body(alertname, deployment) });
    expect(r.status).toBe(202);
    let rem: Remediation | undefined;
    await waitFor(`a run awaiting approval on ${deployment}`, async () => {
      rem = (await get<{ items: Remediation[] }>(`/api/v1/remediations?target=${encodeURIComponent(`ci/deployment/${deployment}`)}&limit=1`)).items[0];
      return rem?.phase === 'awaiting_approval';
    }, 10_000, 50);
    return rem!;
  };
  const run = (id: string) => get<Remediation>(`/api/v1/remediations/${id}`);
  const scaleWrites = (name: string) => api.requests.filter((r) => r.verb === 'update' && r.subresource === 'scale' && r.name === name && r.code < 400).length;

  /** A block_actions request as Slack sends it: form-encoded `payload`, signed `v0:{ts}:{body}`. */
  const interaction = (actionId: string, remediationId: string, opts: { secret?: string; ts?: number; user?: string } = {}) => {
    const payload = {
      type: 'block_actions',
      user: { id: 'U024BE7LH', username: opts.user ?? 'alice', name: opts.user ?? 'alice', team_id: 'T0001' },
      api_app_id: 'A0001',
      container: { type: 'message', message_ts: '1733450000.000100', channel_id: 'C0001', is_ephemeral: false },
      channel: { id: 'C0001', name: 'ops' },
      response_url: 'https://hooks.slack.com/actions/T0001/1/x',
      actions: [{ action_id: actionId, block_id: `approval:${remediationId}`, value: remediationId, type: 'button', action_ts: '1733450001.000200', text: { type: 'plain_text', text: 'Approve', emoji: true } }],
    };
    const raw = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
    const ts = String(opts.ts ?? Math.floor(Date.now() / 1000));
    return { raw, headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Slack-Request-Timestamp': ts, 'X-Slack-Signature': slackSignature(opts.secret ?? SECRET, ts, raw) } };
  };
  const send = (req: { raw: string; headers: Record<string, string> }) => fetch(`${url}/slack/interactions`, { method: 'POST', headers: req.headers, body: req.raw });

  test('approved through Slack (signed): waits, then acts; forged, tampered, stale, unsigned and replayed requests change nothing', async () => {
    const rem = await waitingRun('WorkerBacklog', 'worker-0');
    expect(scaleWrites('worker-0')).toBe(0);
    // the thread's first message carries the buttons
    await waitFor('the Approve / Deny buttons', () => Promise.resolve(slack.requests.some((r) => r.path.endsWith('/chat.update') && JSON.stringify(r.body.blocks).includes('"value":"' + rem.id + '"'))), 10_000, 50);

    const refused: Array<[string, { raw: string; headers: Record<string, string> }, number, string]> = [];
    refused.push(['forged (another secret)', interaction('autoremediator_approve', rem.id, { secret: 'not-the-signing-secret' }), 401, 'bad-signature']);
    const signed = interaction('autoremediator_deny', rem.id);
    refused.push(['tampered (deny signed, approve sent)', { ...signed, raw: signed.raw.replace('autoremediator_deny', 'autoremediator_approve') }, 401, 'bad-signature']);
    refused.push(['stale (signed 6 minutes ago)', interaction('autoremediator_approve', rem.id, { ts: Math.floor(Date.now() / 1000) - 360 }), 401, 'bad-signature']);
    const unsigned = interaction('autoremediator_approve', rem.id);
    refused.push(['unsigned', { raw: unsigned.raw, headers: { 'Content-Type': unsigned.headers['Content-Type'] } }, 401, 'bad-signature']);
    refused.push(['unknown action (signed)', interaction('some_other_button', rem.id), 400, 'unknown-interaction']);
    for (const [name, req, status, code] of refused) {
      const res = await send(req);
      expect([name, res.status]).toEqual([name, status]);
      expect([name, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([name, code]);
    }
    expect((await run(rem.id)).phase).toBe('awaiting_approval');
    expect(scaleWrites('worker-0')).toBe(0);

    const approve = interaction('autoremediator_approve', rem.id);
    const ok = await send(approve);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ remediation: rem.id, verdict: 'approve', by: 'slack:alice (U024BE7LH)', ok: true });
    await waitFor('the approved run to succeed', async () => (await run(rem.id)).phase === 'succeeded', 20_000, 50);
    expect(scaleWrites('worker-0')).toBe(1);
    expect((await run(rem.id)).result).toMatchObject({ approval: { outcome: 'approved', by: 'slack:alice (U024BE7LH)' } });
    // the message shows who approved
    await waitFor('the message updated with who approved', () => Promise.resolve(slack.requests.some((r) => r.path.endsWith('/chat.update') && JSON.stringify(r.body.blocks).includes('*Approved* by slack:alice (U024BE7LH)'))), 10_000, 50);

    // the same signed request again: a replay, refused before anything is looked at
    const replay = await send(approve);
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { error: { code: string } }).error.code).toBe('replayed');
    expect(scaleWrites('worker-0')).toBe(1);
  }, 60_000);

  test('denied through Slack: never acts, and the message says who denied', async () => {
    const rem = await waitingRun('WorkerBacklog', 'worker-1');
    const res = await send(interaction('autoremediator_deny', rem.id, { user: 'bob' }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ verdict: 'deny', by: 'slack:bob (U024BE7LH)', ok: true, phase: 'skipped' });
    expect((await run(rem.id)).decision).toMatchObject({ outcome: 'skip', reason: 'approval-denied' });
    await waitFor('the message updated with who denied', () => Promise.resolve(slack.requests.some((r) => r.path.endsWith('/chat.update') && JSON.stringify(r.body.blocks).includes('*Denied* by slack:bob (U024BE7LH)'))), 10_000, 50);
    // an approval through the API afterwards: 409 with its reason, nothing applied
    const late = await fetch(`${url}/api/v1/remediations/${rem.id}/approve`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN}`, 'X-Actor': 'alice' } });
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ reason: 'not-awaiting-approval' });
    expect(scaleWrites('worker-1')).toBe(0);
  }, 30_000);

  test('denied through the API: never acts', async () => {
    const rem = await waitingRun('WorkerBacklog', 'worker-2');
    const res = await fetch(`${url}/api/v1/remediations/${rem.id}/deny`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN}`, 'X-Actor': 'carol', 'Content-Type': 'application/json' }, body: JSON.stringify({ reason: 'release in progress' }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ phase: 'skipped', decision: { reason: 'approval-denied', explanation: 'Denied by carol ("release in progress"); nothing was done.' } });
    expect(scaleWrites('worker-2')).toBe(0);
  }, 30_000);

  test('nobody answers: the approvals job ends it approval-expired; it never acts', async () => {
    const rem = await waitingRun('BriefBacklog', 'worker-3');
    await waitFor('the run to expire', async () => (await run(rem.id)).phase === 'skipped', 20_000, 200);
    expect((await run(rem.id)).decision).toMatchObject({ reason: 'approval-expired' });
    expect(scaleWrites('worker-3')).toBe(0);
    const late = await send(interaction('autoremediator_approve', rem.id));
    expect(late.status).toBe(200);
    expect(await late.json()).toMatchObject({ ok: false, reason: 'not-awaiting-approval' });
    expect(scaleWrites('worker-3')).toBe(0);
  }, 30_000);
});
