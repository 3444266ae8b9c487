/**
 * Issue 21, "also prove": two replicas on one PostgreSQL database; one of them (A) is cut off
 * from the database in the middle of a run by a TCP proxy that black-holes its traffic, at
 * the worst moment: it holds the target lock and has read the target, about to write. The
 * other (B) takes the run over once A's lease is stale, and finishes it (here: applies,
 * validation fails, rolls back). A, still believing its earlier read, then reaches its write.
 *
 * Proven at the cluster (the sandbox API server's request log, not our own code): A makes no
 * Kubernetes write once its lease may have expired (the lease is renewed, as a fence, right
 * before every write, and the renewal cannot reach the database); every write the API server
 * accepted on the target is one the store records (B's apply and B's rollback, once each),
 * and the target holds what the record says. A's target-lock session, which the server still
 * sees alive behind the black hole, is ended by idle_session_timeout (RUN_LEASE_TTL), so B
 * can take the lock.
 *
 * TEST_DATABASE_URL overrides the server. Unreachable: skipped with a message, except with
 * CI=true, where that is a failure.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import pg from 'pg';
import { TEST_POSTGRES_URL, withPostgres } from '../helpers/postgres.js';
import request from 'supertest';
import { createApp, type App } from '../../src/app.js';
import { KubeCluster } from '../../src/actions/kube-cluster.js';
import type { ClusterPort } from '../../src/actions/port.js';
import { loadConfig } from '../../src/config/config.js';
import type { TargetState } from '../../src/domain/cluster.js';
import type { ActDecision } from '../../src/domain/decision.js';
import type { Remediation } from '../../src/domain/remediation.js';
import type { TargetRef } from '../../src/domain/target.js';
import { KubeClient } from '../../src/kube/client.js';
import { systemClock } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { createMetrics } from '../../src/platform/metrics.js';
import type { ActionSpec } from '../../src/rule-table/schema.js';
import { openStore } from '../../src/store/open-store.js';
import type { Validator } from '../../src/validation/port.js';
import { waitFor } from '../helpers/binaries.js';
import { FAST_RETRY, startSandboxCluster, type SandboxCluster } from '../helpers/sandbox.js';
import { ADMIN_TOKEN, HOOK, WEBHOOK_TOKEN, notification, passingValidator, rulesDir } from './helpers.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

const SERVER = TEST_POSTGRES_URL;

await withPostgres('hardening/partition', defineTests);

const RULES = `rules:
  - name: queue-add-consumers
    matchers: ['alertname="QueueDepthHigh"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: "{{ $labels.namespace }}", name: ci-failure-agent-consumer }
    action: { type: scale, minReplicas: 2, maxReplicas: 12, policies: [{ type: Pods, value: 2, periodSeconds: 120 }] }
    cooldown: 10m
`;
const TARGET = 'ci-failure-agent-consumer';
const LEASE_MS = 3000;

const failingValidator: Validator = {
  validate: () => Promise.resolve({ outcome: 'failed', summary: 'failed (partition test validator)', details: {} }),
};

/**
 * Replica A's cluster: its first apply dies (as a process would, mid-write, before the request
 * left), so its own resume job takes the run up; in that resume, right after the read of the
 * target, the hook runs (cut A off, wait until B has finished the run), then the read returns.
 */
class ReplicaACluster implements ClusterPort {
  applies = 0;
  afterRead: (() => Promise<void>) | null = null;
  constructor(private readonly inner: ClusterPort) {}
  async readState(t: TargetRef, a: ActionSpec): Promise<TargetState> {
    const state = await this.inner.readState(t, a);
    const hook = this.afterRead;
    if (hook && this.applies > 0) {
      this.afterRead = null;
      await hook();
    }
    return state;
  }
  readObject(t: TargetRef): Promise<Record<string, unknown>> {
    return this.inner.readObject(t);
  }
  apply(d: ActDecision, a: ActionSpec, id: string) {
    if (this.applies++ === 0) return Promise.reject(new Error('replica A died before its write left (simulated)'));
    return this.inner.apply(d, a, id);
  }
  restore(t: TargetRef, a: ActionSpec, s: Record<string, unknown>, id: string) {
    return this.inner.restore(t, a, s, id);
  }
}

function defineTests(): void {
  const admin = new pg.Pool({ connectionString: SERVER, max: 3 });
  let db: string;
  let dbUrl: URL;
  let dir: string;
  let s: SandboxCluster;
  let proxy: TcpProxy;
  const apps: App[] = [];

  beforeEach(async () => {
    db = `partition_${randomBytes(5).toString('hex')}`;
    await admin.query(`CREATE DATABASE ${db}`);
    dbUrl = new URL(SERVER);
    dbUrl.pathname = `/${db}`;
    dir = rulesDir(RULES);
    s = await startSandboxCluster({ readyDelayMs: 20 });
    proxy = await startTcpProxy(dbUrl.hostname, Number(dbUrl.port || 5432));
  });
  afterEach(async () => {
    proxy.restore();
    for (const app of apps.splice(0)) await app.stop(3000).catch(() => undefined);
    await proxy.close();
    await s.close();
    rmSync(dir, { recursive: true, force: true });
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  });
  afterAll(async () => admin.end());

  async function replica(url: string, cluster: ClusterPort, validator: Validator): Promise<App> {
    const config = loadConfig({
      WEBHOOK_TOKEN,
      ADMIN_TOKEN,
      RULES_DIR: dir,
      DATABASE_URL: url,
      DRY_RUN: 'false',
      ALLOWED_NAMESPACES: 'ci',
      RUN_LEASE_TTL: `${LEASE_MS / 1000}s`,
      RESUME_SCHEDULE: '* * * * * *',
      DATABASE_QUERY_TIMEOUT_MS: '500',
    });
    // As createApp opens it (deadlines, the lock sessions' idle timeout = the lease).
    const store = await openStore(url, { queryTimeoutMs: config.databaseQueryTimeoutMs, lockIdleTimeoutMs: config.runLeaseTtlMs });
    const app = await createApp({ config, logger: silentLogger, cluster, metrics: createMetrics(false), watchRules: false, store, validator });
    apps.push(app);
    await app.start();
    return app;
  }

  /** Every write on the target the API server accepted (a scale change, and the annotation patch recording it). */
  const writesOnTarget = () => s.api.requests.filter((r) => (r.verb === 'update' || r.verb === 'patch' || r.verb === 'create') && r.namespace === 'ci' && r.name === TARGET && r.code < 300);
  const replicas = () => (s.api.get('apps/v1', 'Deployment', 'ci', TARGET)?.spec as { replicas?: number }).replicas;

  test('A is cut off holding the lock, about to write: B takes the run over; A writes nothing after; every accepted write is recorded', async () => {
    const viaProxy = new URL(dbUrl.toString());
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    const aCluster = new ReplicaACluster(new KubeCluster(new KubeClient(s.api.kubeConfig(), FAST_RETRY), s.redis, systemClock, silentLogger));
    const a = await replica(viaProxy.toString(), aCluster, passingValidator);

    let b: App | null = null;
    let cutAt = 0;
    let runId = '';
    aCluster.afterRead = async () => {
      // A holds the target lock and has read the target (it still shows `before`): cut it off now.
      proxy.blackhole();
      cutAt = Date.now();
      b = await replica(dbUrl.toString(), new KubeCluster(new KubeClient(s.api.kubeConfig(), FAST_RETRY), s.redis, systemClock, silentLogger), failingValidator);
      const bApp = b;
      await waitFor('B finished the run it took over', async () => (await bApp.store.getRemediation(runId))?.phase === 'rolled_back', 60_000, 50);
    };

    await request(a.http).post('/api/v1/alerts').set(HOOK).send(notification([{ labels: { alertname: 'QueueDepthHigh', namespace: 'ci', service: 'ci-failure-agent', severity: 'warning' } }])).expect(202);
    // A records the act, its first apply dies; its own resume job takes the run up once the lease is stale.
    await waitFor('A recorded the run', async () => (await a.store.listRemediationsInPhases(['applying'])).length === 1, 20_000, 20);
    runId = (await a.store.listRemediationsInPhases(['applying']))[0]!.id;
    await waitFor('A cut off, B finished the run', () => Promise.resolve(b !== null && aCluster.afterRead === null), 60_000, 50);
    // A's converge goes on to its write; give it time to reach it and give up (its fence needs the database).
    await waitFor('A gave up the run', () => Promise.resolve(!a.engine.runner.driving.has(runId)), 30_000, 50);

    const bStore = (b as unknown as App).store;
    const run = (await bStore.getRemediation(runId)) as Remediation;
    expect(run.phase).toBe('rolled_back');
    // At the cluster: B's apply and B's rollback, once each; nothing after B finished (A's late write would come then).
    const writes = writesOnTarget();
    const scaleChanges = writes.filter((w) => w.subresource === 'scale');
    expect(scaleChanges.length).toBe(2);
    const finishedAt = run.updatedAt.getTime();
    expect(writes.filter((w) => Date.parse(w.time) > finishedAt)).toEqual([]);
    expect(writes.every((w) => Date.parse(w.time) > cutAt)).toBe(true);
    // The target holds what the record says (rolled back to its snapshot of 2).
    expect(replicas()).toBe(2);
    // Every act B's store records on the target vs. the writes the API server accepted.
    const recorded = (await bStore.listRemediations({ targetKey: `ci/deployment/${TARGET}`, limit: 50 })).items;
    const applied = recorded.filter((r) => (r.result as { apply?: { ok?: boolean } } | null)?.apply?.ok === true).length;
    const rolledBack = recorded.filter((r) => r.phase === 'rolled_back').length;
    expect({ applied, rolledBack, scaleChanges: scaleChanges.length }).toEqual({ applied: 1, rolledBack: 1, scaleChanges: 2 });
  }, 120_000);
}
