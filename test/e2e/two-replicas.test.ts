/**
 * Two service processes on one PostgreSQL database, as behind one Service:
 * the same notification reaches both at the same moment (as Alertmanager HA
 * peers send it), 100 times over for 100 targets → exactly one action per
 * target. And a replica killed in the middle of a run: the other takes it over
 * and finishes it, without applying it again.
 */
import { CoreV1Api } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { fixture } from '../helpers/fixtures.js';
import { startCli, type CliProcess } from '../helpers/process.js';
import { waitFor } from '../helpers/binaries.js';
import { loadSeed, startSandboxApi, type SandboxApi } from '../../src/sandbox/index.js';

const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const WEBHOOK = 'two-replicas-webhook-token-012345';
const ADMIN = 'two-replicas-admin-token-0123456';
const TARGETS = 100;

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
if (!reachable) console.warn('SKIPPED two-replica tests: PostgreSQL not reachable at 127.0.0.1:5432 (start it with pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start)');

describePg('two replicas on PostgreSQL', () => {
  let api: SandboxApi;
  let dir: string;
  let dbName: string;
  let env: Record<string, string>;
  const replicas: Array<{ cli: CliProcess; url: string }> = [];

  beforeAll(async () => {
    if (!reachable) throw new Error('PostgreSQL is required when CI=true: not reachable at 127.0.0.1:5432');
    dbName = `ar_two_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    api = await startSandboxApi({ seed: loadSeed(), readyDelayMs: 10, tickMs: 100 });
    const template = api.get('apps/v1', 'Deployment', 'ci', 'ci-failure-agent-consumer')!;
    for (let i = 0; i < TARGETS; i++) {
      api.put({ ...template, metadata: { name: `worker-${i}`, namespace: 'ci', labels: { app: `worker-${i}` } }, status: undefined });
    }
    dir = mkdtempSync(join(tmpdir(), 'two-replicas-'));
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
      BUDGET_PER_NAMESPACE: '1000/10m',
      BUDGET_GLOBAL: '1000/10m',
      READINESS_POLL_MS: '20',
      RUN_LEASE_TTL: '2s',
      RESUME_SCHEDULE: '* * * * * *',
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

  const body = (deployment: string, startsAt: string): string => {
    const n = JSON.parse(fixture('firing-single-QueueDepthHigh').toString()) as { alerts: Array<{ labels: Record<string, string>; fingerprint: string; startsAt: string }> };
    const a = n.alerts[0]!;
    a.labels = { ...a.labels, alertname: 'WorkerBacklog', deployment };
    a.fingerprint = createHash('sha256').update(deployment).digest('hex').slice(0, 16);
    a.startsAt = startsAt;
    return JSON.stringify(n);
  };
  const post = (url: string, b: string) => fetch(`${url}/api/v1/alerts`, { method: 'POST', headers: { Authorization: `Bearer ${WEBHOOK}`, 'Content-Type': 'application/json' }, body: b });
  const scaleWrites = (name: string) => api.requests.filter((r) => r.verb === 'update' && r.subresource === 'scale' && r.name === name && r.code < 400).length;
  const query = async <T>(sql: string): Promise<T[]> => {
    const c = new pg.Client({ connectionString: env.DATABASE_URL });
    await c.connect();
    try {
      return (await c.query(sql)).rows as T[];
    } finally {
      await c.end();
    }
  };

  test('the same notification to both replicas at the same moment, 100 times: exactly one action per target', async () => {
    const startsAt = new Date().toISOString();
    await Promise.all(
      Array.from({ length: TARGETS }, async (_, i) => {
        const b = body(`worker-${i}`, startsAt);
        const [r1, r2] = await Promise.all([post(replicas[0]!.url, b), post(replicas[1]!.url, b)]);
        expect([r1.status, r2.status]).toEqual([202, 202]);
      }),
    );
    await waitFor('every target to be acted on', async () => (await query<{ n: string }>("SELECT count(*) AS n FROM remediations WHERE outcome = 'act' AND phase = 'succeeded'"))[0]!.n === String(TARGETS), 60_000, 200);
    for (let i = 0; i < TARGETS; i++) expect(scaleWrites(`worker-${i}`)).toBe(1);
    const acts = await query<{ target_key: string; n: string }>("SELECT target_key, count(*) AS n FROM remediations WHERE outcome = 'act' GROUP BY target_key HAVING count(*) > 1");
    expect(acts).toEqual([]);
    const alerts = await query<{ first: string; dup: string }>('SELECT count(*) FILTER (WHERE duplicate_of IS NULL) AS first, count(*) FILTER (WHERE duplicate_of IS NOT NULL) AS dup FROM alerts');
    expect(alerts[0]).toEqual({ first: String(TARGETS), dup: String(TARGETS) });
  }, 90_000);

  test('a replica killed in the middle of a run: the other takes it over and finishes it, applied once', async () => {
    api.faults.neverReady('ci', 'ci-failure-agent-consumer');
    const victim = replicas[0]!;
    const b = body('ci-failure-agent-consumer', new Date().toISOString());
    expect((await post(victim.url, b)).status).toBe(202);
    await waitFor('the run to be validating', async () => (await query<{ phase: string }>("SELECT phase FROM remediations WHERE target_key = 'ci/deployment/ci-failure-agent-consumer'"))[0]?.phase === 'validating', 10_000, 50);
    victim.cli.kill('SIGKILL');
    await victim.cli.exited;
    replicas.shift();
    // the pods become ready once the survivor is watching: it must finish the run, not start another
    await waitFor('the survivor to take the run over', async () => {
      const [row] = await query<{ owner: string | null }>("SELECT owner FROM remediations WHERE target_key = 'ci/deployment/ci-failure-agent-consumer'");
      return row !== undefined && row.owner !== null && (await query<{ n: string }>(`SELECT count(*) AS n FROM remediations WHERE target_key = 'ci/deployment/ci-failure-agent-consumer' AND heartbeat_at > now() - interval '1 second'`))[0]!.n === '1';
    }, 15_000, 100);
    api.faults.clear();
    await waitFor('the run to succeed', async () => (await query<{ phase: string }>("SELECT phase FROM remediations WHERE target_key = 'ci/deployment/ci-failure-agent-consumer'"))[0]?.phase === 'succeeded', 20_000, 100);
    expect(scaleWrites('ci-failure-agent-consumer')).toBe(1);
    const events = await api.kubeConfig().makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: 'ci', fieldSelector: 'involvedObject.name=ci-failure-agent-consumer' });
    expect(events.items.filter((e) => e.reason === 'AutoremediatorScaled')).toHaveLength(1);
    expect(replicas[0]!.cli.output()).toMatch(/resuming remediation/);
  }, 60_000);
});
