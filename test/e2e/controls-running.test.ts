/**
 * People's controls on the running service (the built CLI as a real process, real HTTP, SQLite
 * file store, the sandbox API server), the parts test/e2e/controls.test.ts (pause across two
 * replicas on PostgreSQL, a restart, a freeze window) does not show:
 *   - a pause stops restore steps too, from the next decision on; resume lets the next pass step;
 *   - silences while validating against a REAL Alertmanager (Debian's, and the one built from
 *     its Go module when it is): active while the run validates, expired once it ends.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture } from '../helpers/fixtures.js';
import { startCli, type CliProcess } from '../helpers/process.js';
import { describeWithBinaries, startBinary, waitFor, type RunningBinary } from '../helpers/binaries.js';
import { component, describeWithComponents } from '../helpers/components.js';
import { loadSeed, startSandboxApi, type SandboxApi } from '../../src/sandbox/index.js';
import type { Remediation } from '../../src/domain/remediation.js';

const WEBHOOK = 'controls-run-webhook-token-01234';
const ADMIN = 'controls-run-admin-token-0123456';

interface Service {
  api: SandboxApi;
  dir: string;
  cli: CliProcess;
  url: string;
}

async function startService(rules: string, env: Record<string, string>, readyDelayMs = 10): Promise<Service> {
  const api = await startSandboxApi({ seed: loadSeed(), readyDelayMs, tickMs: 50 });
  const template = api.get('apps/v1', 'Deployment', 'ci', 'ci-failure-agent-consumer')!;
  for (let i = 0; i < 2; i++) api.put({ ...template, metadata: { name: `worker-${i}`, namespace: 'ci', labels: { app: `worker-${i}` } }, status: undefined });
  const dir = mkdtempSync(join(tmpdir(), 'controls-run-'));
  mkdirSync(join(dir, 'rules'));
  writeFileSync(join(dir, 'rules', 'rules.yaml'), rules);
  const cli = startCli(['serve'], {
    PORT: '0',
    HOST: '127.0.0.1',
    KUBE_API_URL: api.url,
    WEBHOOK_TOKEN: WEBHOOK,
    ADMIN_TOKEN: ADMIN,
    DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
    RULES_DIR: join(dir, 'rules'),
    ALLOWED_NAMESPACES: 'ci',
    READINESS_POLL_MS: '20',
    ...env,
  });
  const url = (JSON.parse(await cli.waitForLine(/autoremediator listening/)) as { url: string }).url;
  return { api, dir, cli, url };
}

async function stopService(s: Service | undefined): Promise<void> {
  if (!s) return;
  s.cli.kill('SIGTERM');
  await s.cli.exited;
  await s.api.close();
  rmSync(s.dir, { recursive: true, force: true });
}

function notification(alertname: string, deployment: string, status: 'firing' | 'resolved', startsAt: string): string {
  const n = JSON.parse(fixture('firing-single-QueueDepthHigh').toString()) as { status: string; alerts: Array<{ status: string; labels: Record<string, string>; fingerprint: string; startsAt: string; endsAt: string }> };
  const a = n.alerts[0]!;
  n.status = status;
  a.status = status;
  a.labels = { ...a.labels, alertname, deployment };
  a.fingerprint = createHash('sha256').update(`${alertname}/${deployment}`).digest('hex').slice(0, 16);
  a.startsAt = startsAt;
  if (status === 'resolved') a.endsAt = new Date().toISOString();
  return JSON.stringify(n);
}

const admin = (url: string, path: string, init: RequestInit = {}) => fetch(`${url}${path}`, { ...init, headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json', ...(init.headers as Record<string, string> | undefined) } });
const post = async (s: Service, body: string) => {
  const r = await fetch(`${s.url}/api/v1/alerts`, { method: 'POST', headers: { Authorization: `Bearer ${WEBHOOK}`, 'Content-Type': 'application/json' }, body });
  expect(r.status).toBe(202);
};
const runs = async (s: Service, query: string): Promise<Remediation[]> => ((await (await admin(s.url, `/api/v1/remediations?${query}`)).json()) as { items: Remediation[] }).items;
const scaleWrites = (s: Service, name: string) => s.api.requests.filter((r) => r.verb === 'update' && r.subresource === 'scale' && r.name === name && r.code < 400).length;
const replicasOf = (s: Service, name: string) => (s.api.get('apps/v1', 'Deployment', 'ci', name)!.spec as { replicas: number }).replicas;

describe('a pause stops restore steps on the running service', () => {
  let s: Service | undefined;
  afterAll(async () => stopService(s));

  test('paused: the next restore pass is a skip `paused` and writes nothing; resumed: the next pass steps back', async () => {
    s = await startService(
      `rules:
  - name: scale-worker
    matchers: ['alertname="WorkerBacklog"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: ci, name: "{{ $labels.deployment }}" }
    action: { type: scale, minReplicas: 2, maxReplicas: 10, policies: [{ type: Pods, value: 2, periodSeconds: 600 }] }
    cooldown: 1s
    restore: { after: 2s, policies: [{ type: Pods, value: 1, periodSeconds: 1 }] }
`,
      { RESTORE_SCHEDULE: '* * * * * *' },
    );
    const startsAt = new Date().toISOString();
    await post(s, notification('WorkerBacklog', 'worker-0', 'firing', startsAt));
    await waitFor('the scale-out to succeed', async () => (await runs(s!, 'target=ci/deployment/worker-0&phase=succeeded')).length === 1, 15_000, 50);
    const raised = replicasOf(s, 'worker-0');
    expect(raised).toBeGreaterThan(2);
    const writesBefore = scaleWrites(s, 'worker-0');

    // resolved, and paused before restore.after has passed
    await post(s, notification('WorkerBacklog', 'worker-0', 'resolved', startsAt));
    const p = await admin(s.url, '/api/v1/pause', { method: 'POST', headers: { 'X-Actor': 'alice' }, body: JSON.stringify({ scope: 'namespace', namespace: 'ci', reason: 'load test', expiresIn: '1h' }) });
    expect(p.status).toBe(201);
    await waitFor('a restore pass held by the pause', async () => (await runs(s!, 'target=ci/deployment/worker-0&reason=paused')).some((r) => r.origin === 'restore'), 15_000, 100);
    const held = (await runs(s, 'target=ci/deployment/worker-0&reason=paused')).find((r) => r.origin === 'restore')!;
    expect(held.decision.explanation).toMatch(/^No restore of ci\/deployment\/worker-0: Paused: alice paused namespace ci at .* \("load test"\), until /);
    // several passes later: still nothing written
    await new Promise((r) => setTimeout(r, 2500));
    expect(scaleWrites(s, 'worker-0')).toBe(writesBefore);
    expect(replicasOf(s, 'worker-0')).toBe(raised);

    const resumed = await admin(s.url, '/api/v1/pause', { method: 'DELETE', headers: { 'X-Actor': 'bob' }, body: JSON.stringify({ scope: 'namespace', namespace: 'ci' }) });
    expect(resumed.status).toBe(200);
    await waitFor('a restore step after the resume', () => Promise.resolve(replicasOf(s!, 'worker-0') < raised), 15_000, 100);
    expect(scaleWrites(s, 'worker-0')).toBeGreaterThan(writesBefore);
  }, 60_000);
});

interface AmSilence {
  id: string;
  status: { state: 'active' | 'pending' | 'expired' };
  createdBy: string;
  comment: string;
}

function startAlertmanager(bin: string): Promise<RunningBinary> {
  return startBinary(
    bin,
    (dir, port) => [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='],
    { 'alertmanager.yml': 'route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n' },
    '/-/ready',
  );
}

function silenceSuite(bin: () => string): void {
  let am: RunningBinary;
  let s: Service | undefined;
  beforeAll(async () => {
    am = await startAlertmanager(bin());
  }, 60_000);
  afterAll(async () => {
    await stopService(s);
    await am?.stop();
  });

  test('the running service silences the alert while its run validates and expires the silence when it ends', async () => {
    // Pods become ready 3 s after the scale-out: the run validates that long.
    s = await startService(
      `rules:
  - name: scale-worker
    matchers: ['alertname="WorkerBacklog"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: ci, name: "{{ $labels.deployment }}" }
    action: { type: scale, minReplicas: 2, maxReplicas: 10, policies: [{ type: Pods, value: 1, periodSeconds: 600 }] }
    validate: { rolloutTimeout: 1m }
    silenceDuringValidation: true
`,
      { ALERTMANAGER_URL: am.url },
      3000,
    );
    const silences = async (): Promise<AmSilence[]> => (await (await fetch(`${am.url}/api/v2/silences`)).json()) as AmSilence[];
    await post(s, notification('WorkerBacklog', 'worker-1', 'firing', new Date().toISOString()));
    let rem: Remediation | undefined;
    await waitFor('the run to validate', async () => {
      rem = (await runs(s!, 'target=ci/deployment/worker-1&limit=1'))[0];
      return rem?.phase === 'validating';
    }, 15_000, 20);
    await waitFor('an active silence naming the run', async () => (await silences()).some((x) => x.comment.includes(rem!.id) && x.status.state === 'active'), 5000, 20);
    // still validating when the silence was seen active (the rollout takes 3 s)
    const mine = (await silences()).find((x) => x.comment.includes(rem!.id))!;
    expect(mine.createdBy).toBe('autoremediator');
    await waitFor('the run to succeed', async () => (await runs(s!, 'target=ci/deployment/worker-1&limit=1'))[0]?.phase === 'succeeded', 20_000, 50);
    await waitFor('the silence expired', async () => (await silences()).find((x) => x.id === mine.id)?.status.state === 'expired', 10_000, 50);
    const done = (await runs(s, 'target=ci/deployment/worker-1&limit=1'))[0]!;
    expect(done.result).toMatchObject({ silence: { created: [expect.objectContaining({ id: mine.id })], expired: [expect.anything()], failures: [] } });
    expect(done.transitions.map((t) => t.to)).toEqual(['planned', 'applying', 'validating', 'succeeded']);
  }, 60_000);
}

describeWithBinaries({ 'prometheus-alertmanager': 'prometheus-alertmanager' }, "silences on the running service, Debian's Alertmanager (0.25)", () => {
  silenceSuite(() => 'prometheus-alertmanager');
});

describeWithComponents(['alertmanager'], 'silences on the running service, the current Alertmanager (built from its Go module)', () => {
  silenceSuite(() => component('alertmanager')!);
});
