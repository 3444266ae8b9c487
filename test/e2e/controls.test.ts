/**
 * People's controls on the running service (built CLI, real HTTP, PostgreSQL, the sandbox
 * API server): `autoremediator pause` through one replica holds the next decision of the
 * other, survives a restart, and `autoremediator resume` lets the next decision act; a
 * freeze window skips with its reason; a run planned on one replica awaits approval and, approved
 * through the other, acts once.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { fixture } from '../helpers/fixtures.js';
import { startCli, type CliProcess } from '../helpers/process.js';
import { waitFor } from '../helpers/binaries.js';
import { loadSeed, startSandboxApi, type SandboxApi } from '../../src/sandbox/index.js';
import type { Remediation } from '../../src/domain/remediation.js';

const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const WEBHOOK = 'controls-e2e-webhook-token-01234';
const ADMIN = 'controls-e2e-admin-token-0123456';

async function pgReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

const reachable = await pgReachable();
const describePg = reachable || process.env.CI === 'true' ? describe : describe.skip;
if (!reachable) console.warn('SKIPPED controls e2e: PostgreSQL not reachable at 127.0.0.1:5432 (start it with pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start)');

describePg('pause, resume and freeze on two running replicas', () => {
  let api: SandboxApi;
  let dir: string;
  let dbName: string;
  let env: Record<string, string>;
  const replicas: Array<{ cli: CliProcess; url: string }> = [];

  beforeAll(async () => {
    if (!reachable) throw new Error('PostgreSQL is required when CI=true: not reachable at 127.0.0.1:5432');
    dbName = `ar_controls_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    api = await startSandboxApi({ seed: loadSeed(), readyDelayMs: 10, tickMs: 100 });
    const template = api.get('apps/v1', 'Deployment', 'ci', 'ci-failure-agent-consumer')!;
    for (let i = 0; i < 5; i++) api.put({ ...template, metadata: { name: `worker-${i}`, namespace: 'ci', labels: { app: `worker-${i}` } }, status: undefined });
    dir = mkdtempSync(join(tmpdir(), 'controls-'));
    mkdirSync(join(dir, 'rules'));
    writeFileSync(
      join(dir, 'rules', 'rules.yaml'),
      `rules:
  - name: scale-worker
    matchers: ['alertname="WorkerBacklog"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: ci, name: "{{ $labels.deployment }}" }
    action: { type: scale, minReplicas: 2, maxReplicas: 10, policies: [{ type: Pods, value: 1, periodSeconds: 600 }] }
    cooldown: 1h
    validate: { rolloutTimeout: 30s }
  - name: scale-frozen
    matchers: ['alertname="FrozenBacklog"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: ci, name: "{{ $labels.deployment }}" }
    action: { type: scale, minReplicas: 2, maxReplicas: 10 }
    # every minute for two minutes: always in force
    freeze: [{ name: always-frozen, cron: "* * * * *", duration: 2m, timeZone: Europe/Berlin }]
  - name: scale-approved
    matchers: ['alertname="ApprovedBacklog"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: ci, name: "{{ $labels.deployment }}" }
    action: { type: scale, minReplicas: 2, maxReplicas: 10, policies: [{ type: Pods, value: 1, periodSeconds: 600 }] }
    validate: { rolloutTimeout: 30s }
    approval: { required: true, timeout: 1h }
`,
    );
    const url = new URL(ADMIN_URL);
    url.pathname = `/${dbName}`;
    env = {
      PORT: '0',
      HOST: '127.0.0.1',
      KUBE_API_URL: api.url,
      WEBHOOK_TOKEN: WEBHOOK,
      ADMIN_TOKEN: ADMIN,
      DATABASE_URL: url.toString(),
      RULES_DIR: join(dir, 'rules'),
      ALLOWED_NAMESPACES: 'ci',
      READINESS_POLL_MS: '20',
      LOG_LEVEL: 'warn',
    };
    for (let i = 0; i < 2; i++) replicas.push(await startReplica());
  }, 60_000);

  async function startReplica(): Promise<{ cli: CliProcess; url: string }> {
    const cli = startCli(['serve'], { ...env, LOG_LEVEL: 'info' });
    const line = await cli.waitForLine(/autoremediator listening/);
    return { cli, url: (JSON.parse(line) as { url: string }).url };
  }

  afterAll(async () => {
    for (const r of replicas) {
      r.cli.kill('SIGTERM');
      await r.cli.exited;
    }
    await api?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (dbName) {
      const admin = new pg.Client({ connectionString: ADMIN_URL });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    }
  });

  const body = (alertname: string, deployment: string): string => {
    const n = JSON.parse(fixture('firing-single-QueueDepthHigh').toString()) as { alerts: Array<{ labels: Record<string, string>; fingerprint: string; startsAt: string }> };
    const a = n.alerts[0]!;
    a.labels = { ...a.labels, alertname, deployment };
    a.fingerprint = createHash('sha256').update(`${alertname}/${deployment}`).digest('hex').slice(0, 16);
    a.startsAt = new Date().toISOString();
    return JSON.stringify(n);
  };
  const post = async (url: string, b: string) => {
    const r = await fetch(`${url}/api/v1/alerts`, { method: 'POST', headers: { Authorization: `Bearer ${WEBHOOK}`, 'Content-Type': 'application/json' }, body: b });
    expect(r.status).toBe(202);
  };
  const get = async <T>(url: string, path: string): Promise<T> => (await (await fetch(`${url}${path}`, { headers: { Authorization: `Bearer ${ADMIN}` } })).json()) as T;
  const decisionFor = async (url: string, target: string): Promise<Remediation> => {
    let rem: Remediation | undefined;
    await waitFor(`a decision for ${target}`, async () => {
      rem = (await get<{ items: Remediation[] }>(url, `/api/v1/remediations?target=${encodeURIComponent(target)}&limit=1`)).items[0];
      return rem !== undefined;
    }, 10_000, 50);
    return rem!;
  };
  const scaleWrites = (name: string) => api.requests.filter((r) => r.verb === 'update' && r.subresource === 'scale' && r.name === name && r.code < 400).length;
  const cli = async (args: string[]): Promise<{ code: number | null; out: string }> => {
    const p = startCli(args, { ADMIN_TOKEN: ADMIN });
    const { code } = await p.exited;
    return { code, out: p.output() };
  };

  test('pause through one replica holds the other at once, survives a restart; resume acts again', async () => {
    const [a, b] = replicas;
    const paused = await cli(['pause', '--url', a!.url, '--actor', 'alice', '--reason', 'database failover', '--for', '1h']);
    expect(paused.code).toBe(0);
    expect(JSON.parse(paused.out)).toMatchObject({ scopeKey: 'global', actor: 'alice', reason: 'database failover' });

    // the other replica's next decision is held
    await post(b!.url, body('WorkerBacklog', 'worker-0'));
    const held = await decisionFor(b!.url, 'ci/deployment/worker-0');
    expect(held.decision).toMatchObject({ outcome: 'skip', reason: 'paused', facts: { pause: { by: 'alice', reason: 'database failover' } } });
    expect(held.decision.explanation).toMatch(/^Paused: alice paused everything at .* \("database failover"\), until .*; nothing was done\.$/);
    expect(scaleWrites('worker-0')).toBe(0);
    expect((await get<{ detail: { controls: { pauses: unknown[] } } }>(b!.url, '/readyz')).detail.controls.pauses).toEqual([expect.objectContaining({ scope: 'global', by: 'alice' })]);
    await waitFor('the gauge on the other replica', async () => (await (await fetch(`${b!.url}/metrics`)).text()).includes('autoremediator_pauses_active{scope="global"} 1'), 10_000, 200);

    // a restart of the replica that took the pause: still paused
    a!.cli.kill('SIGTERM');
    await a!.cli.exited;
    replicas[0] = await startReplica();
    const a2 = replicas[0];
    expect((await get<{ items: unknown[] }>(a2.url, '/api/v1/pause')).items).toEqual([expect.objectContaining({ scopeKey: 'global', actor: 'alice' })]);
    await post(a2.url, body('WorkerBacklog', 'worker-1'));
    expect((await decisionFor(a2.url, 'ci/deployment/worker-1')).decision).toMatchObject({ reason: 'paused' });

    // resume through the other replica: the next decision acts
    const resumed = await cli(['resume', '--url', b!.url, '--actor', 'bob']);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.out)).toMatchObject({ ended: [{ endedBy: 'bob' }] });
    const again = await cli(['resume', '--url', b!.url, '--actor', 'bob']);
    expect(again.code).toBe(1);
    expect(again.out).toContain('404: no pause in force with scope global');
    await post(a2.url, body('WorkerBacklog', 'worker-2'));
    expect((await decisionFor(a2.url, 'ci/deployment/worker-2')).decision.outcome).toBe('act');
    await waitFor('the scale write', () => Promise.resolve(scaleWrites('worker-2') === 1), 10_000, 50);
  }, 90_000);

  test('the CLI refuses a pause without a reason, changing nothing', async () => {
    const r = await cli(['pause', '--url', replicas[0]!.url, '--rule', 'scale-worker']);
    expect(r.code).toBe(2);
    expect(r.out).toContain('say why with --reason');
    expect((await get<{ items: unknown[] }>(replicas[0]!.url, '/api/v1/pause')).items).toEqual([]);
  });

  test('a run planned on one replica waits; approved through the other, it acts once', async () => {
    const [a, b] = replicas;
    await post(a!.url, body('ApprovedBacklog', 'worker-4'));
    let rem: Remediation | undefined;
    await waitFor('the run to await approval (seen by the other replica)', async () => {
      rem = (await get<{ items: Remediation[] }>(b!.url, '/api/v1/remediations?target=ci%2Fdeployment%2Fworker-4&limit=1')).items[0];
      return rem?.phase === 'awaiting_approval';
    }, 10_000, 50);
    expect(scaleWrites('worker-4')).toBe(0);
    const res = await fetch(`${b!.url}/api/v1/remediations/${rem!.id}/approve`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN}`, 'X-Actor': 'dana', 'Content-Type': 'application/json' }, body: JSON.stringify({ reason: 'checked the queue' }) });
    expect(res.status).toBe(200);
    await waitFor('the approved run to succeed', async () => (await get<Remediation>(a!.url, `/api/v1/remediations/${rem!.id}`)).phase === 'succeeded', 20_000, 50);
    expect(scaleWrites('worker-4')).toBe(1);
    // answered: the first replica refuses a second answer with its reason
    const again = await fetch(`${a!.url}/api/v1/remediations/${rem!.id}/deny`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN}`, 'X-Actor': 'erin' } });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ reason: 'not-awaiting-approval' });
  }, 60_000);

  test('a freeze window skips with its reason', async () => {
    await post(replicas[1]!.url, body('FrozenBacklog', 'worker-3'));
    const d = await decisionFor(replicas[1]!.url, 'ci/deployment/worker-3');
    expect(d.decision).toMatchObject({ outcome: 'skip', reason: 'frozen', facts: { freeze: { name: 'always-frozen', source: 'rule scale-frozen' } } });
    expect(scaleWrites('worker-3')).toBe(0);
    const f = await get<{ windows: Array<{ name: string; active: unknown }> }>(replicas[1]!.url, '/api/v1/freeze');
    expect(f.windows).toEqual([expect.objectContaining({ name: 'always-frozen', active: expect.objectContaining({ start: expect.any(String) }) })]);
  });
});
