/**
 * 3. Alert storm: 10,000 alerts for 20 targets in about 2 seconds — 200 notifications
 * of 50 alerts, each sent twice as two Alertmanager HA peers would — at the service
 * (its own process) acting on a sandbox cluster. Exactly 20 actions must happen (one
 * per target; the rule's 1h cooldown covers the rest), every request must end 2xx
 * (a 503 is retried, as Alertmanager does), and every delivery must be stored.
 * Reports the service's peak RSS (VmHWM) against its idle RSS after start, and how
 * long it takes to decide the whole storm.
 */
import type { LabelSet } from '../src/domain/alert.js';
import { deploymentNames, scaleWrites, startCluster } from './lib/cluster.js';
import { keepAliveAgent, postJson, type Posted } from './lib/http.js';
import { notificationOf } from './lib/payloads.js';
import { memoryOf } from './lib/processes.js';
import { check, runIfMain, type BenchContext, type BenchResult } from './lib/result.js';
import { count, openReadonly, startService, WEBHOOK_TOKEN } from './lib/service.js';
import { median, medianOf, ratio, round, summarize } from './lib/stats.js';

const NAMESPACE = 'storm';
const TARGETS = 20;
const ALERTS_PER_NOTIFICATION = 50;
const PEAK_RSS_GOAL_MIB = 200;

const RULES = `rules:
  - name: storm-scale
    description: every BenchStorm alert scales its deployment; the cooldown makes it once per target
    matchers: ['alertname="BenchStorm"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: ${NAMESPACE}, name: "{{ $labels.deployment }}" }
    action: { type: scale, maxReplicas: 10 }
    cooldown: 1h
`;

interface StormRun {
  idleRssMiB: number;
  peakRssMiB: number;
  sendSeconds: number;
  drainSeconds: number;
  latency: ReturnType<typeof summarize>;
  retried503: number;
  refusals: Record<string, number>;
  /** Requests the service sent to the API server during the storm, by verb and resource. */
  apiRequests: Record<string, number>;
  skipReasons: Record<string, number>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** POST until accepted: 2xx ends it, 503 is retried with backoff (as Alertmanager retries 5xx), anything else is a failure. */
async function deliver(url: string, body: Buffer, agent: ReturnType<typeof keepAliveAgent>, refusals: Map<string, number>): Promise<{ first: Posted; retries: number }> {
  let first: Posted | null = null;
  for (let attempt = 0; attempt < 40; attempt++) {
    const r = await postJson(url, body, { agent, token: WEBHOOK_TOKEN });
    first ??= r;
    if (r.status >= 200 && r.status < 300) return { first, retries: attempt };
    check(r.status === 503 && r.retryAfter !== undefined, 'every refusal is a 503 with Retry-After', `got ${r.status}: ${r.body.slice(0, 200)}`);
    const code = /"code":"([^"]+)"/.exec(r.body)?.[1] ?? 'unknown';
    refusals.set(code, (refusals.get(code) ?? 0) + 1);
    await sleep(Math.min(1000, 25 * 2 ** attempt));
  }
  throw new Error('a notification was not accepted after 40 attempts');
}

async function oneRun(ctx: BenchContext, notifications: number, spreadMs: number): Promise<StormRun> {
  const names = deploymentNames(TARGETS, 'api');
  const api = await startCluster(NAMESPACE, names, { replicas: 2, tickMs: 50, readyDelayMs: 0 });
  const svc = await startService({
    rulesYaml: RULES,
    kubeApiUrl: api.url,
    env: { ALLOWED_NAMESPACES: NAMESPACE, BUDGET_PER_NAMESPACE: '100000/1h', BUDGET_GLOBAL: '100000/1h', READINESS_POLL_MS: '100' },
  });
  try {
    const idleRssMiB = memoryOf(svc.child.pid).rssMiB;
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    const bodies = Array.from({ length: notifications }, (_, k) =>
      notificationOf(
        Array.from({ length: ALERTS_PER_NOTIFICATION }, (_, j): LabelSet => {
          const i = k * ALERTS_PER_NOTIFICATION + j;
          return { alertname: 'BenchStorm', namespace: NAMESPACE, deployment: names[i % TARGETS]!, pod: `pod-${i}`, severity: 'critical' };
        }),
        startsAt,
      ),
    );
    // Two HA peers, each with its own keep-alive connections, send every notification.
    const peers = [keepAliveAgent(8), keepAliveAgent(8)];
    const url = `${svc.url}/api/v1/alerts`;
    const latencies: number[] = [];
    let retried = 0;
    const refusals = new Map<string, number>();
    let peakSampled = idleRssMiB;
    const sampler = setInterval(() => {
      peakSampled = Math.max(peakSampled, memoryOf(svc.child.pid).rssMiB);
    }, 20);
    const t0 = performance.now();
    const sends: Promise<void>[] = [];
    for (let k = 0; k < notifications; k++) {
      const due = t0 + (k * spreadMs) / notifications;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      for (const agent of peers) {
        sends.push(
          deliver(url, bodies[k]!, agent, refusals).then((d) => {
            latencies.push(d.first.ms);
            retried += d.retries;
          }),
        );
      }
    }
    await Promise.all(sends);
    const sendSeconds = (performance.now() - t0) / 1000;
    for (const a of peers) a.destroy();

    // The storm is over when every first delivery is decided and no run is in flight.
    const db = openReadonly(svc.dbFile);
    const fresh = notifications * ALERTS_PER_NOTIFICATION;
    let drainSeconds = Number.NaN;
    try {
      const until = performance.now() + 300_000;
      for (;;) {
        const undecided = count(db, 'SELECT count(*) AS n FROM alerts WHERE duplicate_of IS NULL AND decided_at IS NULL');
        const active = count(db, "SELECT count(*) AS n FROM remediations WHERE phase IN ('planned', 'applying', 'validating', 'rolling_back')");
        if (undecided === 0 && Number.isNaN(drainSeconds)) drainSeconds = (performance.now() - t0) / 1000;
        if (undecided === 0 && active === 0) break;
        check(performance.now() < until, 'the storm is decided within 300 s', `${undecided} alerts undecided, ${active} runs active`);
        await sleep(100);
      }
    } finally {
      db.close();
    }
    clearInterval(sampler);
    const peakRssMiB = Math.max(peakSampled, memoryOf(svc.child.pid).peakMiB);
    await svc.stop();

    const after = openReadonly(svc.dbFile);
    try {
      const rows = count(after, 'SELECT count(*) AS n FROM alerts');
      check(rows === 2 * fresh, `every delivery stored: ${2 * fresh} alert rows (duplicates included)`, `found ${rows}`);
      const firsts = count(after, 'SELECT count(*) AS n FROM alerts WHERE duplicate_of IS NULL');
      check(firsts === fresh, `each HA duplicate recognised: ${fresh} first deliveries`, `found ${firsts}`);
      const decided = count(after, 'SELECT count(*) AS n FROM remediations WHERE alert_id IS NOT NULL');
      check(decided === fresh, `one decision per first delivery (${fresh})`, `found ${decided}`);
      const acts = count(after, "SELECT count(*) AS n FROM remediations WHERE outcome = 'act'");
      const targets = count(after, "SELECT count(DISTINCT target_key) AS n FROM remediations WHERE outcome = 'act'");
      check(acts === TARGETS && targets === TARGETS, `exactly ${TARGETS} actions, one per target`, `${acts} acts on ${targets} targets`);
      const succeeded = count(after, "SELECT count(*) AS n FROM remediations WHERE outcome = 'act' AND phase = 'succeeded'");
      check(succeeded === TARGETS, `all ${TARGETS} actions validated and succeeded`, `${succeeded} succeeded`);
      const skipReasons = Object.fromEntries(
        (after.prepare("SELECT reason, count(*) AS n FROM remediations WHERE outcome = 'skip' GROUP BY reason").all() as { reason: string; n: number }[]).map((r) => [r.reason, r.n]),
      );
      const writes = scaleWrites(api.requests);
      check(writes.length === TARGETS && new Set(writes.map((w) => w.name)).size === TARGETS, `exactly ${TARGETS} scale writes reached the API server, one per Deployment`, `${writes.length} writes`);
      const apiRequests: Record<string, number> = {};
      for (const r of api.requests) {
        const key = `${r.verb} ${r.resource ?? r.nonResourceURL ?? '?'}${r.subresource ? `/${r.subresource}` : ''}`;
        apiRequests[key] = (apiRequests[key] ?? 0) + 1;
      }
      ctx.log(`  storm: peak ${round(peakRssMiB)} MiB (idle ${round(idleRssMiB)}), sent in ${round(sendSeconds)} s, decided in ${round(drainSeconds)} s, ${retried} retried 503s`);
      return { idleRssMiB, peakRssMiB, sendSeconds, drainSeconds, latency: summarize(latencies), retried503: retried, refusals: Object.fromEntries(refusals), skipReasons, apiRequests };
    } finally {
      after.close();
    }
  } finally {
    if (svc.child.proc.exitCode === null) await svc.child.stop(5000);
    svc.remove();
    await api.close();
  }
}

export async function run(ctx: BenchContext): Promise<Omit<BenchResult, 'seconds'>> {
  const notifications = ctx.quick ? 20 : 200;
  const spreadMs = ctx.quick ? 200 : 2000;
  const runs: StormRun[] = [];
  for (let i = 0; i < ctx.runs; i++) runs.push(await oneRun(ctx, notifications, spreadMs));
  const alerts = notifications * ALERTS_PER_NOTIFICATION;
  const peak = medianOf(runs, (r) => r.peakRssMiB);
  const idle = medianOf(runs, (r) => r.idleRssMiB);
  const drain = medianOf(runs, (r) => r.drainSeconds);
  return {
    name: 'storm',
    title: `Alert storm: ${alerts} alerts (${notifications} notifications × ${ALERTS_PER_NOTIFICATION}, each sent by 2 HA peers) for ${TARGETS} targets in ~${spreadMs / 1000} s`,
    runs: ctx.runs,
    figures: {
      peakRssMiB: round(peak),
      idleRssMiB: round(idle),
      sendSeconds: round(medianOf(runs, (r) => r.sendSeconds)),
      requestLatencyMs: { p50: round(medianOf(runs, (r) => r.latency.p50)), p99: round(medianOf(runs, (r) => r.latency.p99)), max: round(medianOf(runs, (r) => r.latency.max)) },
      retried503: median(runs.map((r) => r.retried503)),
      refusalsFirstRun: runs[0]!.refusals,
      decideAllSeconds: round(drain),
      decisionsPerSecond: round(alerts / drain),
      actions: TARGETS,
      skipReasons: runs[0]!.skipReasons,
      apiRequestsFirstRun: runs[0]!.apiRequests,
    },
    ratios: { peakRssOverIdleRss: ratio(peak, idle), decideAllOverSendSeconds: ratio(drain, medianOf(runs, (r) => r.sendSeconds)) },
    goals: [{ text: `peak RSS ≤ ${PEAK_RSS_GOAL_MIB} MiB`, met: peak <= PEAK_RSS_GOAL_MIB }],
    checks: [
      `every request answered 2xx (503 + Retry-After retried until accepted)`,
      `${2 * alerts} alert rows stored (duplicates included), ${alerts} first deliveries, ${alerts} decisions`,
      `exactly ${TARGETS} actions (one per target), all succeeded; exactly ${TARGETS} scale writes at the API server`,
    ],
    notes: [
      'Baseline for the RSS ratio: the same service process idle right after start, in the same run.',
      'Peak RSS is the kernel’s VmHWM of the service process (and the max of 20 ms VmRSS samples).',
    ],
  };
}

runIfMain(import.meta.url, run);
