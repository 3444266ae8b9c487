/**
 * The journal: the service is SIGKILLed at each point of a remediation in turn
 * (AUTOREMEDIATOR_CRASH_AT), restarted, and the run must end consistent with the
 * action applied exactly once. And SIGTERM drains: readyz goes false, intake
 * answers 503, in-flight work reaches a stored state, the process exits 0.
 */
import { CoreV1Api } from '@kubernetes/client-node';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture } from '../helpers/fixtures.js';
import { startCli, type CliProcess } from '../helpers/process.js';
import { waitFor } from '../helpers/binaries.js';
import { loadSeed, startSandboxApi, type SandboxApi } from '../../src/sandbox/index.js';

const WEBHOOK = 'journal-webhook-token-0123456789';
const ADMIN = 'journal-admin-token-0123456789ab';

function rules(dir: string, rolloutTimeout: string, extra = ''): string {
  const rulesDir = join(dir, 'rules');
  writeFileSync(
    join(rulesDir, 'rules.yaml'),
    `rules:
  - name: queue-add-consumers
    matchers: ['alertname="QueueDepthHigh"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: "{{ $labels.namespace }}", name: ci-failure-agent-consumer }
    action: { type: scale, minReplicas: 2, maxReplicas: 12, policies: [{ type: Pods, value: 2, periodSeconds: 120 }] }
    cooldown: 10m
    validate: { rolloutTimeout: ${rolloutTimeout} }
${extra}`,
  );
  return rulesDir;
}


interface Run {
  dir: string;
  api: SandboxApi;
  env: Record<string, string>;
}

async function setup(rolloutTimeout: string, extraRule = ''): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'journal-'));
  mkdirSync(join(dir, 'rules'), { recursive: true });
  const api = await startSandboxApi({ seed: loadSeed(), readyDelayMs: 50, tickMs: 10 });
  const env = {
    PORT: '0',
    HOST: '127.0.0.1',
    KUBE_API_URL: api.url,
    WEBHOOK_TOKEN: WEBHOOK,
    ADMIN_TOKEN: ADMIN,
    DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
    RULES_DIR: rules(dir, rolloutTimeout, extraRule),
    ALLOWED_NAMESPACES: 'ci',
    READINESS_POLL_MS: '20',
  };
  return { dir, api, env };
}

async function start(run: Run, extra: Record<string, string> = {}): Promise<{ cli: CliProcess; url: string }> {
  const cli = startCli(['serve'], { ...run.env, ...extra });
  const line = await cli.waitForLine(/autoremediator listening/);
  const url = (JSON.parse(line) as { url: string }).url;
  return { cli, url };
}

const post = (url: string) =>
  fetch(`${url}/api/v1/alerts`, { method: 'POST', headers: { Authorization: `Bearer ${WEBHOOK}`, 'Content-Type': 'application/json' }, body: fixture('firing-single-QueueDepthHigh') });

async function remediations(url: string): Promise<Array<{ phase: string; transitions: Array<{ to: string; note: string }> }>> {
  const res = await fetch(`${url}/api/v1/remediations?limit=50`, { headers: { Authorization: `Bearer ${ADMIN}` } });
  return ((await res.json()) as { items: Array<{ phase: string; transitions: Array<{ to: string; note: string }> }> }).items;
}

async function alerts(url: string): Promise<Array<{ decidedAt: string | null }>> {
  const res = await fetch(`${url}/api/v1/alerts?limit=50`, { headers: { Authorization: `Bearer ${ADMIN}` } });
  return ((await res.json()) as { items: Array<{ decidedAt: string | null }> }).items;
}

async function appliedEvents(api: SandboxApi, reason: string): Promise<number> {
  const events = await api.kubeConfig().makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: 'ci', fieldSelector: 'involvedObject.name=ci-failure-agent-consumer' });
  return events.items.filter((e) => e.reason === reason).length;
}

const replicas = (api: SandboxApi) => (api.get('apps/v1', 'Deployment', 'ci', 'ci-failure-agent-consumer')!.spec as { replicas: number }).replicas;

describe('SIGKILL at each point of a remediation, then restart', () => {
  test.each<[string, 'succeeded' | 'rolled_back', boolean]>([
    // after the decision is stored as planned, before anything else
    ['planned', 'succeeded', false],
    // applying is stored, the change not yet made
    ['applying', 'succeeded', false],
    // the change is made, validating not yet stored: resume must see it in the live state
    ['apply', 'succeeded', false],
    ['validating', 'succeeded', false],
    // the target never becomes ready: validation fails and the run rolls back
    ['rolling_back', 'rolled_back', true],
    ['restore', 'rolled_back', true],
  ])('crash at %s → %s, applied exactly once', async (point, final, neverReady) => {
    const run = await setup(neverReady ? '400ms' : '5s');
    if (neverReady) run.api.faults.neverReady('ci', 'ci-failure-agent-consumer');
    try {
      const first = await start(run, { AUTOREMEDIATOR_CRASH_AT: point });
      expect((await post(first.url)).status).toBe(202);
      const exit = await first.cli.exited;
      expect(exit.signal).toBe('SIGKILL');

      const second = await start(run);
      try {
        await waitFor(`the run to end ${final}`, async () => (await remediations(second.url)).some((r) => r.phase === final), 15_000, 50);
        const rems = await remediations(second.url);
        // the same alert re-decided after the restart (it was never marked decided) meets the cooldown
        expect(rems.filter((r) => r.phase === 'succeeded' || r.phase === 'rolled_back')).toHaveLength(1);
        expect(rems.filter((r) => !['succeeded', 'rolled_back', 'skipped'].includes(r.phase))).toEqual([]);
        expect(await appliedEvents(run.api, 'AutoremediatorScaled')).toBe(1);
        expect(replicas(run.api)).toBe(final === 'succeeded' ? 4 : 2);
        // The killed process had claimed the alert; the restart releases that claim at once
        // (one SQLite process), so the alert is decided now, not after the 60 s claim TTL.
        await waitFor('the interrupted alert marked decided', async () => {
          const stored = await alerts(second.url);
          return stored.length === 1 && stored[0]!.decidedAt !== null;
        }, 10_000, 50);
      } finally {
        second.cli.kill('SIGTERM');
        await second.cli.exited;
      }
    } finally {
      await run.api.close();
      rmSync(run.dir, { recursive: true, force: true });
    }
  }, 40_000);
});

describe('SIGKILL while a run awaits approval, and just after it was approved', () => {
  const approve = (url: string, id: string) => fetch(`${url}/api/v1/remediations/${id}/approve`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN}`, 'X-Actor': 'alice' } });
  const runs = async (url: string) => (await remediations(url)) as Array<{ id: string; phase: string; transitions: Array<{ to: string; note: string }> }>;

  test('crash at awaiting_approval: the restart keeps it waiting (nothing applied); approved, it is applied exactly once', async () => {
    const run = await setup('5s', '    approval: { required: true, timeout: 1h }\n');
    try {
      const first = await start(run, { AUTOREMEDIATOR_CRASH_AT: 'awaiting_approval' });
      expect((await post(first.url)).status).toBe(202);
      expect((await first.cli.exited).signal).toBe('SIGKILL');

      const second = await start(run);
      try {
        // the resume pass at start (and later ones) leave a waiting run alone
        await waitFor('the interrupted alert marked decided', async () => (await alerts(second.url))[0]?.decidedAt != null, 10_000, 50);
        const [waiting] = await runs(second.url);
        expect(waiting).toMatchObject({ phase: 'awaiting_approval' });
        expect(waiting!.transitions.map((t) => t.to)).toEqual(['planned', 'awaiting_approval']);
        expect(await appliedEvents(run.api, 'AutoremediatorScaled')).toBe(0);
        expect(replicas(run.api)).toBe(2);

        expect((await approve(second.url, waiting!.id)).status).toBe(200);
        await waitFor('the approved run to succeed', async () => (await runs(second.url)).some((r) => r.phase === 'succeeded'), 15_000, 50);
        expect(await runs(second.url)).toHaveLength(1);
        expect(await appliedEvents(run.api, 'AutoremediatorScaled')).toBe(1);
        expect(replicas(run.api)).toBe(4);
      } finally {
        second.cli.kill('SIGTERM');
        await second.cli.exited;
      }
    } finally {
      await run.api.close();
      rmSync(run.dir, { recursive: true, force: true });
    }
  }, 40_000);

  test('crash right after the approval is stored: the restart applies the approved plan exactly once', async () => {
    const run = await setup('5s', '    approval: { required: true, timeout: 1h }\n');
    try {
      const first = await start(run, { AUTOREMEDIATOR_CRASH_AT: 'approved' });
      expect((await post(first.url)).status).toBe(202);
      await waitFor('the run to wait for approval', async () => (await runs(first.url)).some((r) => r.phase === 'awaiting_approval'), 10_000, 50);
      const [waiting] = await runs(first.url);
      // the process dies while answering: no answer reaches the client
      await expect(approve(first.url, waiting!.id)).rejects.toThrow();
      expect((await first.cli.exited).signal).toBe('SIGKILL');
      expect(await appliedEvents(run.api, 'AutoremediatorScaled')).toBe(0);

      const second = await start(run);
      try {
        await waitFor('the resumed run to succeed', async () => (await runs(second.url)).some((r) => r.phase === 'succeeded'), 15_000, 50);
        const [done] = await runs(second.url);
        expect(done!.transitions.map((t) => t.to)).toEqual(['planned', 'awaiting_approval', 'planned', 'applying', 'validating', 'succeeded']);
        expect(done!.transitions[2]!.note).toContain('approved by alice');
        expect(await appliedEvents(run.api, 'AutoremediatorScaled')).toBe(1);
        expect(replicas(run.api)).toBe(4);
      } finally {
        second.cli.kill('SIGTERM');
        await second.cli.exited;
      }
    } finally {
      await run.api.close();
      rmSync(run.dir, { recursive: true, force: true });
    }
  }, 40_000);
});

describe('SIGTERM drains', () => {
  test('readyz false and intake 503 at once; the in-flight run reaches a stored state; exit 0', async () => {
    const run = await setup('1500ms');
    run.api.faults.neverReady('ci', 'ci-failure-agent-consumer');
    try {
      const { cli, url } = await start(run);
      expect((await post(url)).status).toBe(202);
      await waitFor('validating', async () => (await remediations(url)).some((r) => r.phase === 'validating'), 5000, 20);
      cli.kill('SIGTERM');
      await waitFor('readyz to turn 503', async () => (await fetch(`${url}/readyz`)).status === 503, 2000, 10);
      const during = await post(url);
      expect(during.status).toBe(503);
      expect(during.headers.get('retry-after')).toBe('5');
      const exit = await cli.exited;
      expect(exit.code).toBe(0);
      expect(cli.output()).toMatch(/draining/);
      const again = await start(run);
      try {
        expect((await remediations(again.url))[0]!.phase).toBe('rolled_back');
      } finally {
        again.cli.kill('SIGTERM');
        await again.cli.exited;
      }
    } finally {
      await run.api.close();
      rmSync(run.dir, { recursive: true, force: true });
    }
  }, 30_000);
});
