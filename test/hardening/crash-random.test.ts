/**
 * Crash consistency at random. The service runs as a real process (SQLite file
 * store) against a sandbox cluster in this process; storms of notifications are
 * posted concurrently, and the process is SIGKILLed at a random moment, 50 times,
 * restarted after each kill. Notifications that got no 2xx are posted again, as
 * Alertmanager does. After the last restart has settled:
 *   - every posted alert is stored, and every stored first delivery is decided;
 *   - no run is left in a non-terminal phase;
 *   - per target, the scale writes the API server accepted are exactly the acts the
 *     store says were applied (plus restores), and acts are at least a cooldown apart;
 *   - no alert acted twice.
 * The generator is seeded; the seed is printed (HARDENING_SEED=<n> replays a run).
 * Two independent scenarios run side by side, 25 kills each, so their waits overlap.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSeed, startSandboxApi, type SandboxApi } from '../../src/sandbox/index.js';
import type { KubeObject } from '../../src/sandbox/index.js';
import { openStore } from '../../src/store/open-store.js';
import { alertIdentity } from '../../src/domain/alert.js';
import { startCli, type CliProcess } from '../helpers/process.js';
import { ALERT_CLAIM_TTL_MS } from '../../src/store/store.js';
import { allAlerts, allRemediations, rowCounts, seededRandom } from './helpers.js';
import Database from 'better-sqlite3';

const WEBHOOK = 'crash-webhook-token-0123456789ab';
const ADMIN = 'crash-admin-token-0123456789abcd';
const TARGETS = 10;
const KILLS = Number(process.env.HARDENING_KILLS ?? 50);
/** Independent scenarios run side by side (own sandbox, database and process), sharing the kills. */
const SCENARIOS = 2;
const COOLDOWN_MS = 4000;

const seed = Number(process.env.HARDENING_SEED ?? Math.floor(Math.random() * 2 ** 31));

interface Delivery {
  body: string;
  delivered: boolean;
}

function worker(i: number, template: KubeObject): KubeObject {
  const name = `worker-${i}`;
  const labels = { app: name };
  const spec = structuredClone(template.spec) as { replicas: number; selector: unknown; template: { metadata: { labels: Record<string, string> } } };
  spec.replicas = 2;
  spec.selector = { matchLabels: labels };
  spec.template.metadata.labels = labels;
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'ci', labels }, spec };
}

/** One notification: an alert per target, a new episode (startsAt) per storm and notification. */
function stormBody(storm: number, n: number): string {
  const startsAt = new Date(Date.parse('2026-11-28T00:00:00Z') + (storm * 100 + n) * 1000).toISOString();
  const alerts = Array.from({ length: TARGETS }, (_, i) => ({
    status: 'firing',
    labels: { alertname: 'WorkerBacklog', deployment: `worker-${i}`, namespace: 'ci', severity: 'warning' },
    annotations: { summary: `backlog on worker-${i}` },
    startsAt,
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://127.0.0.1:9090/graph',
    fingerprint: (0xabc000 + i).toString(16).padStart(16, '0'),
  }));
  return JSON.stringify({
    receiver: 'autoremediator',
    status: 'firing',
    alerts,
    groupLabels: { alertname: 'WorkerBacklog' },
    commonLabels: { alertname: 'WorkerBacklog', namespace: 'ci' },
    commonAnnotations: {},
    externalURL: 'http://127.0.0.1:9093',
    version: '4',
    groupKey: '{}:{alertname="WorkerBacklog"}',
    truncatedAlerts: 0,
  });
}

const RULES = `rules:
  - name: worker-scale
    matchers: ['alertname="WorkerBacklog"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: ci, name: "{{ $labels.deployment }}" }
    action: { type: scale, minReplicas: 2, maxReplicas: 60, policies: [{ type: Pods, value: 2, periodSeconds: 1 }] }
    cooldown: ${COOLDOWN_MS / 1000}s
    validate: { rolloutTimeout: 10s }
`;

const trace = (line: string): void => {
  if (process.env.HARDENING_TRACE) process.stderr.write(`${line}\n`);
};

/** One scenario: its own sandbox, SQLite file and service process; `kills` SIGKILLs; returns what it saw. */
class Scenario {
  private dir = '';
  private api!: SandboxApi;
  private cli: CliProcess | null = null;
  readonly deliveries: Delivery[] = [];
  readonly kills: string[] = [];

  constructor(
    readonly name: string,
    private readonly random: () => number,
  ) {}

  async setUp(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 'hardening-crash-'));
    mkdirSync(join(this.dir, 'rules'));
    writeFileSync(join(this.dir, 'rules', 'rules.yaml'), RULES);
    this.api = await startSandboxApi({ seed: loadSeed(), readyDelayMs: 20, tickMs: 10, requestLogLimit: 2_000_000 });
    const template = this.api.get('apps/v1', 'Deployment', 'ci', 'ci-failure-agent-consumer')!;
    for (let i = 0; i < TARGETS; i++) this.api.put(worker(i, template));
  }

  async tearDown(): Promise<void> {
    if (this.cli) {
      this.cli.kill('SIGKILL');
      await this.cli.exited;
    }
    await this.api?.close();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  get dbPath(): string {
    return join(this.dir, 'db.sqlite');
  }

  private async start(): Promise<{ url: string; proc: CliProcess }> {
    const proc = startCli(['serve'], {
      PORT: '0',
      HOST: '127.0.0.1',
      KUBE_API_URL: this.api.url,
      WEBHOOK_TOKEN: WEBHOOK,
      ADMIN_TOKEN: ADMIN,
      DATABASE_URL: `sqlite:${this.dbPath}`,
      RULES_DIR: join(this.dir, 'rules'),
      ALLOWED_NAMESPACES: 'ci',
      READINESS_POLL_MS: '20',
      BUDGET_PER_NAMESPACE: '100000/10m',
      BUDGET_GLOBAL: '100000/10m',
      RESTORE_SCHEDULE: '0 0 0 1 1 *',
    });
    this.cli = proc;
    const line = await proc.waitForLine(/autoremediator listening/, 30_000);
    return { url: (JSON.parse(line) as { url: string }).url, proc };
  }

  private async stop(proc: CliProcess, signal: NodeJS.Signals): Promise<NodeJS.Signals | number | null> {
    proc.kill(signal);
    const exit = await proc.exited;
    this.cli = null;
    return exit.signal ?? exit.code;
  }

  /** Post every notification without a 2xx yet (Alertmanager retries those), concurrently. */
  private postPending(url: string): Array<Promise<void>> {
    return this.deliveries
      .filter((d) => !d.delivered)
      .map(async (d) => {
        try {
          const res = await fetch(`${url}/api/v1/alerts`, { method: 'POST', headers: { Authorization: `Bearer ${WEBHOOK}`, 'Content-Type': 'application/json' }, body: d.body });
          await res.arrayBuffer();
          if (res.status >= 200 && res.status < 300) d.delivered = true;
        } catch {
          // killed mid-request: no answer, so Alertmanager would retry it
        }
      });
  }

  async killCycles(kills: number): Promise<void> {
    for (let k = 0; k < kills; k++) {
      const t0 = Date.now();
      const { url, proc } = await this.start();
      const startedMs = Date.now() - t0;
      // Most cycles bring a new storm (20 notifications × 10 alerts, one per target; every fifth
      // notification twice, as HA peers send it); the others only retry what is pending, so that
      // the kill may land in resume or in the sweep.
      // A storm only while the backlog is small: on a slow machine retries would otherwise pile up.
      const fresh = this.random() < 0.7 && this.deliveries.filter((d) => !d.delivered).length < 40;
      if (fresh) {
        for (let n = 0; n < 20; n++) {
          const body = stormBody(k, n);
          this.deliveries.push({ body, delivered: false });
          if (n % 5 === 0) this.deliveries.push({ body, delivered: false });
        }
      }
      const delay = Math.floor(this.random() * 600);
      const posts = this.postPending(url);
      await new Promise((r) => setTimeout(r, delay));
      const exit = await this.stop(proc, 'SIGKILL');
      await Promise.allSettled(posts);
      this.kills.push(`${k}:${fresh ? 'storm' : 'retry'}@${delay}ms:${exit}`);
      trace(`${this.name} cycle ${k}: started in ${startedMs} ms, killed after ${delay} ms, pending ${this.deliveries.filter((d) => !d.delivered).length}/${this.deliveries.length}`);
    }
  }

  /**
   * Start once more and let it settle: deliver what is pending, then wait until every first
   * delivery is decided and no run is active. The start releases the claims a kill left on
   * undecided alerts (one SQLite process), so nothing waits for ALERT_CLAIM_TTL_MS; the
   * deadline is generous only because a loaded CI machine decides a backlog slowly.
   */
  async settle(): Promise<void> {
    const t0 = Date.now();
    const { url, proc } = await this.start();
    for (let round = 0; round < 20 && this.deliveries.some((d) => !d.delivered); round++) await Promise.allSettled(this.postPending(url));
    const settled = (): boolean => {
      const db = new Database(this.dbPath, { readonly: true });
      try {
        const left = db
          .prepare(
            `SELECT (SELECT count(*) FROM alerts WHERE duplicate_of IS NULL AND decided_at IS NULL) AS undecided,
                    (SELECT count(*) FROM remediations WHERE phase IN ('planned', 'applying', 'validating', 'rolling_back')) AS active`,
          )
          .get() as { undecided: number; active: number };
        return left.undecided === 0 && left.active === 0;
      } finally {
        db.close();
      }
    };
    const deadline = Date.now() + ALERT_CLAIM_TTL_MS + 60_000;
    while (!settled() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    trace(`${this.name} settled: ${settled()} after ${Date.now() - t0} ms (url ${url})`);
    if (process.env.HARDENING_TRACE) writeFileSync(join(tmpdir(), `crash-random-settle-${this.name.replace(/\W+/g, '-')}.log`), proc.output());
    await this.stop(proc, 'SIGTERM');
  }

  /** Every invariant, checked on the stopped service's store and the sandbox's request log. */
  async violations(): Promise<{ violations: string[]; summary: string }> {
    const store = await openStore(`sqlite:${this.dbPath}`);
    const violations: string[] = [];
    try {
      const alerts = await allAlerts(store);
      const rems = await allRemediations(store);
      const firsts = alerts.filter((a) => a.duplicateOf === null);

      if (this.deliveries.some((d) => !d.delivered)) violations.push(`${this.deliveries.filter((d) => !d.delivered).length} notifications never got a 2xx`);
      // Every posted alert stored (first deliveries are unique per identity).
      const posted = new Set<string>();
      for (const d of this.deliveries) for (const a of (JSON.parse(d.body) as { alerts: Array<{ fingerprint: string; startsAt: string; status: 'firing' }> }).alerts) posted.add(alertIdentity(a));
      const stored = new Set(firsts.map((a) => a.identity));
      const lost = [...posted].filter((i) => !stored.has(i));
      if (lost.length) violations.push(`${lost.length} posted alerts not stored, e.g. ${lost.slice(0, 3).join(', ')}`);
      if (stored.size !== firsts.length) violations.push(`${firsts.length - stored.size} identities stored twice as first deliveries`);

      const undecided = firsts.filter((a) => a.decidedAt === null);
      if (undecided.length) violations.push(`${undecided.length} first deliveries never decided`);

      const active = rems.filter((r) => ['planned', 'applying', 'validating', 'rolling_back'].includes(r.phase));
      if (active.length) violations.push(`runs left in a non-terminal phase: ${active.map((r) => `${r.id}:${r.phase}`).join(', ')}`);

      for (let i = 0; i < TARGETS; i++) {
        const name = `worker-${i}`;
        const key = `ci/deployment/${name}`;
        const acts = rems.filter((r) => r.targetKey === key && r.decision.outcome === 'act');
        // An act was applied once when it reached validating (in this process or, after a kill, found applied by resume).
        const applied = acts.filter((r) => r.transitions.some((x) => x.to === 'validating')).length;
        const restored = acts.filter((r) => r.phase === 'rolled_back').length;
        const writes = this.api.requests.filter((r) => r.verb === 'update' && r.resource === 'deployments' && r.subresource === 'scale' && r.name === name && r.code === 200).length;
        if (writes !== applied + restored) violations.push(`${name}: ${writes} accepted scale writes, but the store records ${applied} applied acts and ${restored} rollbacks`);
        const times = acts.map((r) => r.createdAt.getTime()).sort((a, b) => a - b);
        for (let j = 1; j < times.length; j++) {
          if (times[j]! - times[j - 1]! < COOLDOWN_MS) violations.push(`${name}: two acts ${times[j]! - times[j - 1]!} ms apart (cooldown ${COOLDOWN_MS} ms)`);
        }
        const replicas = (this.api.get('apps/v1', 'Deployment', 'ci', name)!.spec as { replicas: number }).replicas;
        const last = acts.filter((r) => r.phase === 'succeeded').sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
        const expected = last ? (last.decision as unknown as { after: { replicas: number } }).after.replicas : 2;
        if (replicas !== expected) violations.push(`${name}: ${replicas} replicas in the cluster, the last succeeded act says ${expected}`);
      }

      const actsPerAlert = new Map<string, number>();
      for (const r of rems) if (r.decision.outcome === 'act' && r.alertId) actsPerAlert.set(r.alertId, (actsPerAlert.get(r.alertId) ?? 0) + 1);
      const twice = [...actsPerAlert].filter(([, n]) => n > 1);
      if (twice.length) violations.push(`${twice.length} alerts acted more than once (e.g. alert ${twice[0]![0]}: ${twice[0]![1]} acts)`);

      const acts = rems.filter((r) => r.decision.outcome === 'act').length;
      // The generator reached the interesting states: many acts, so kills landed with runs in flight.
      if (acts <= TARGETS) violations.push(`only ${acts} acts: the storms did not exercise the runs`);
      const counts = rowCounts(this.dbPath);
      const summary = `${this.name}: ${this.kills.length} kills (${this.kills.join(' ')}); ${counts.notifications} notifications, ${counts.alerts} alerts, ${rems.length} decisions, ${acts} acts`;
      return { violations: violations.map((v) => `${this.name}: ${v}`), summary };
    } finally {
      await store.close();
    }
  }
}

describe('SIGKILL at random moments during alert storms', () => {
  const scenarios: Scenario[] = [];
  afterAll(async () => {
    for (const s of scenarios) await s.tearDown();
  });

  test(`${KILLS} kills in ${SCENARIOS} scenarios, then every invariant holds`, async () => {
    console.log(`crash-random: seed ${seed} (replay with HARDENING_SEED=${seed})`);
    for (let i = 0; i < SCENARIOS; i++) scenarios.push(new Scenario(`scenario ${i}`, seededRandom(seed + i)));
    await Promise.all(scenarios.map((s) => s.setUp()));
    const perScenario = Math.ceil(KILLS / SCENARIOS);
    await Promise.all(scenarios.map((s, i) => s.killCycles(Math.min(perScenario, KILLS - i * perScenario))));
    await Promise.all(scenarios.map((s) => s.settle()));
    const results = [];
    for (const s of scenarios) results.push(await s.violations());
    console.log(`crash-random: seed ${seed}\n${results.map((r) => r.summary).join('\n')}`);
    expect(scenarios.reduce((n, s) => n + s.kills.filter((k) => k.endsWith('SIGKILL')).length, 0)).toBe(KILLS);
    expect({ seed, violations: results.flatMap((r) => r.violations) }).toEqual({ seed, violations: [] });
  }, 420_000);
});
