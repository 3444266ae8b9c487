/**
 * Soak: an hour (SOAK_MINUTES, default 60; BENCH_QUICK=1: 3) of steady, realistic load at the
 * service (its own process, SQLite, acting on a sandbox cluster) with retention running and
 * biting (RETENTION=10m, RETENTION_MAX_ALERTS=20000, a pass every 30 s): every 1/3 s a
 * notification of 1–5 alerts, sent by two Alertmanager HA peers — repeats of the firing alerts,
 * new firings, resolutions — and every ten minutes a storm of 10,000 alerts for 20 targets in
 * ~5 s (200 notifications of 50, both peers). Every 10 s it samples the service's RSS, V8 heap,
 * event-loop delay (p99 and max over the interval, from the service's own /metrics), open file
 * descriptors and active handles, the store's size on disk and alert rows, and intake's p99 over
 * the interval; writes bench/results/soak.json and a plot, soak.png (and .svg).
 *
 * Goals: flat after warm-up (RSS and heap grow by less than 10 % an hour over the last
 * 40 minutes: a least-squares slope, against their median), event-loop p99 stays below 100 ms
 * outside storms, and the store stays within its retention bound (alert rows sampled never
 * above RETENTION_MAX_ALERTS plus what one retention interval's storm brings).
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabelSet } from '../src/domain/alert.js';
import { deploymentNames, scaleWrites, startCluster } from './lib/cluster.js';
import { keepAliveAgent, postJson } from './lib/http.js';
import { notificationOf } from './lib/payloads.js';
import { RESULTS_DIR } from './lib/paths.js';
import { writeChart } from './lib/plot.js';
import { memoryOf } from './lib/processes.js';
import { check, runIfMain, type BenchContext, type BenchResult } from './lib/result.js';
import { count, openReadonly, startService, WEBHOOK_TOKEN } from './lib/service.js';
import { percentile, round } from './lib/stats.js';

const NAMESPACE = 'soak';
const TARGETS = 40;
const STORM_TARGETS = 20;
const SAMPLE_MS = 10_000;
const STEADY_PER_SECOND = 3;
const MAX_ALERTS = 20_000;


const RULES = `rules:
  - name: soak-scale
    description: a queue alert scales its deployment one step; restored once it stayed resolved a minute
    matchers: ['alertname="SoakQueueDepth"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: ${NAMESPACE}, name: "{{ $labels.deployment }}" }
    action: { type: scale, maxReplicas: 8 }
    cooldown: 2m
    restore: { after: 1m }
  - name: soak-storm
    description: every storm alert scales its deployment; the cooldown makes it once per target and storm
    matchers: ['alertname="SoakStorm"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: ${NAMESPACE}, name: "{{ $labels.deployment }}" }
    action: { type: scale, maxReplicas: 8 }
    cooldown: 5m
`;

export interface SoakSample {
  minute: number;
  rssMiB: number;
  heapUsedMiB: number;
  heapTotalMiB: number;
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
  openFds: number;
  activeHandles: number;
  /** The database file (its WAL apart: the checkpointer lets it grow to ~16 MiB before it starts over). */
  storeMiB: number;
  walMiB: number;
  alertRows: number;
  remediationRows: number;
  intakeP99Ms: number | null;
  requests: number;
  storm: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function promValue(text: string, name: string, reduce: 'sum' | 'first' = 'first'): number {
  let total = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (reduce === 'first') return v;
    total += v;
    found = true;
  }
  return found ? total : Number.NaN;
}

/** Least-squares slope of y over x. */
function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

interface Firing {
  labels: LabelSet;
  startsAt: string;
}

export async function run(ctx: BenchContext): Promise<Omit<BenchResult, 'seconds'>> {
  const minutes = ctx.quick ? 3 : Number(process.env.SOAK_MINUTES ?? 60);
  const stormEveryMin = ctx.quick ? 1.5 : 10;
  const stormNotifications = ctx.quick ? 40 : 200;
  // Short enough to bite within the run (the smallest RETENTION allowed is 1m).
  const RETENTION = ctx.quick ? '1m' : '10m';
  const names = deploymentNames(TARGETS, 'svc');
  const api = await startCluster(NAMESPACE, names, { replicas: 2, tickMs: 200, readyDelayMs: 0 });
  const svc = await startService({
    rulesYaml: RULES,
    kubeApiUrl: api.url,
    env: {
      ALLOWED_NAMESPACES: NAMESPACE,
      BUDGET_PER_NAMESPACE: '100000/1h',
      BUDGET_GLOBAL: '100000/1h',
      READINESS_POLL_MS: '200',
      RETENTION,
      RETENTION_MAX_ALERTS: String(MAX_ALERTS),
      RETENTION_SCHEDULE: '*/30 * * * * *',
      LOG_LEVEL: 'info',
    },
  });
  const url = `${svc.url}/api/v1/alerts`;
  const peers = [keepAliveAgent(8), keepAliveAgent(8)];
  const db = openReadonly(svc.dbFile);
  const samples: SoakSample[] = [];
  const storms: number[] = [];
  let windowLatencies: number[] = [];
  const allLatencies: number[] = [];
  let failures = 0;
  const failureReasons = new Map<string, number>();
  let sent = 0;
  let inStorm = false;
  const t0 = performance.now();
  const minuteNow = () => (performance.now() - t0) / 60_000;
  const end = t0 + minutes * 60_000;

  const send = async (body: Buffer): Promise<void> => {
    await Promise.all(
      peers.map(async (agent) => {
        for (let attempt = 0; attempt < 30; attempt++) {
          const r = await postJson(url, body, { agent, token: WEBHOOK_TOKEN, timeoutMs: 30_000 }).catch(() => null);
          if (r && r.status >= 200 && r.status < 300) {
            windowLatencies.push(r.ms);
            allLatencies.push(r.ms);
            sent += 1;
            return;
          }
          if (r && r.status !== 503) {
            failures += 1;
            failureReasons.set(String(r.status), (failureReasons.get(String(r.status)) ?? 0) + 1);
            return;
          }
          await sleep(Math.min(2000, 50 * 2 ** attempt));
        }
        failures += 1;
        failureReasons.set('gave up after 30 attempts (timeouts or 503s)', (failureReasons.get('gave up after 30 attempts (timeouts or 503s)') ?? 0) + 1);
      }),
    );
  };

  // The steady population: firing alerts repeated (as Alertmanager's group_interval/repeat would), new ones, resolutions.
  const firing = new Map<string, Firing>();
  let serial = 0;
  let rng = 0x2545f491;
  const rand = () => {
    rng ^= rng << 13;
    rng ^= rng >>> 17;
    rng ^= rng << 5;
    return ((rng >>> 0) % 1_000_000) / 1_000_000;
  };
  const steadyBody = (): Buffer => {
    const r = rand();
    const size = 1 + Math.floor(rand() * 5);
    const keys = [...firing.keys()];
    if (r < 0.6 && keys.length >= size) {
      // a repeat of firing alerts: duplicates of stored first copies
      const chosen = Array.from({ length: size }, () => firing.get(keys[Math.floor(rand() * keys.length)]!)!);
      return notificationOf(chosen.map((f) => f.labels), chosen[0]!.startsAt);
    }
    if (r < 0.8 && keys.length > 0) {
      const key = keys[Math.floor(rand() * keys.length)]!;
      const f = firing.get(key)!;
      firing.delete(key);
      const body = JSON.parse(notificationOf([f.labels], f.startsAt).toString('utf8')) as { status: string; alerts: Array<{ status: string; endsAt: string }> };
      body.status = 'resolved';
      body.alerts[0]!.status = 'resolved';
      body.alerts[0]!.endsAt = new Date().toISOString();
      return Buffer.from(JSON.stringify(body));
    }
    const labels: LabelSet = {
      alertname: 'SoakQueueDepth',
      namespace: NAMESPACE,
      deployment: names[Math.floor(rand() * TARGETS)]!,
      queue: `q-${serial++}`,
      severity: 'warning',
    };
    const startsAt = new Date().toISOString();
    firing.set(labels.queue!, { labels, startsAt });
    if (firing.size > 300) firing.delete(firing.keys().next().value!);
    return notificationOf([labels], startsAt);
  };

  const storm = async (k: number): Promise<void> => {
    inStorm = true;
    storms.push(round(minuteNow()));
    const startsAt = new Date().toISOString();
    const stormNames = names.slice(0, STORM_TARGETS);
    const sends: Promise<void>[] = [];
    const spreadMs = 5000;
    const s0 = performance.now();
    for (let n = 0; n < stormNotifications; n++) {
      const due = s0 + (n * spreadMs) / stormNotifications;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const body = notificationOf(
        Array.from({ length: 50 }, (_, j): LabelSet => {
          const i = n * 50 + j;
          return { alertname: 'SoakStorm', namespace: NAMESPACE, deployment: stormNames[i % STORM_TARGETS]!, pod: `pod-${k}-${i}`, severity: 'critical' };
        }),
        startsAt,
      );
      sends.push(send(body));
    }
    await Promise.all(sends);
    inStorm = false;
  };

  const sampler = async (): Promise<void> => {
    while (performance.now() < end) {
      await sleep(SAMPLE_MS - ((performance.now() - t0) % SAMPLE_MS));
      const metrics = await fetch(`${svc.url}/metrics`).then((r) => r.text()).catch(() => '');
      const lat = windowLatencies.sort((a, b) => a - b);
      windowLatencies = [];
      const fileSize = (name: string) => (readdirSync(svc.dir).includes(name) ? statSync(join(svc.dir, name)).size : 0);
      const size = fileSize('autoremediator.db');
      const wal = fileSize('autoremediator.db-wal');
      const mem = memoryOf(svc.child.pid);
      const sample: SoakSample = {
        minute: round(minuteNow()),
        rssMiB: round(mem.rssMiB),
        heapUsedMiB: round(promValue(metrics, 'nodejs_heap_size_used_bytes') / 1024 ** 2),
        heapTotalMiB: round(promValue(metrics, 'nodejs_heap_size_total_bytes') / 1024 ** 2),
        eventLoopP99Ms: round(promValue(metrics, 'nodejs_eventloop_lag_p99_seconds') * 1000),
        eventLoopMaxMs: round(promValue(metrics, 'nodejs_eventloop_lag_max_seconds') * 1000),
        openFds: readdirSync(`/proc/${svc.child.pid}/fd`).length,
        activeHandles: promValue(metrics, 'nodejs_active_handles', 'sum'),
        storeMiB: round(size / 1024 ** 2),
        walMiB: round(wal / 1024 ** 2),
        alertRows: count(db, 'SELECT count(*) AS n FROM alerts'),
        remediationRows: count(db, 'SELECT count(*) AS n FROM remediations'),
        intakeP99Ms: lat.length ? round(percentile(lat, 99)) : null,
        requests: lat.length,
        storm: inStorm,
      };
      samples.push(sample);
      ctx.log(
        `  soak ${sample.minute.toFixed(1)} min: rss ${sample.rssMiB} MiB, heap ${sample.heapUsedMiB} MiB, eld p99 ${sample.eventLoopP99Ms} ms, fds ${sample.openFds}, handles ${sample.activeHandles}, store ${sample.storeMiB} MiB (+ WAL ${sample.walMiB}), ${sample.alertRows} alerts, intake p99 ${sample.intakeP99Ms ?? '-'} ms${sample.storm ? ' (storm)' : ''}`,
      );
      writeFileSync(join(RESULTS_DIR, 'soak.samples.json'), `${JSON.stringify({ startedAt: new Date(Date.now() - minuteNow() * 60_000).toISOString(), samples, storms }, null, 1)}\n`);
    }
  };

  let stopped = false;
  try {
    const sampling = sampler();
    const steady = (async () => {
      let k = 0;
      let nextStorm = stormEveryMin;
      const pending = new Set<Promise<void>>();
      while (performance.now() < end) {
        if (minuteNow() >= nextStorm) {
          nextStorm += stormEveryMin;
          const p = storm(k++);
          pending.add(p);
          void p.finally(() => pending.delete(p));
        }
        const p = send(steadyBody());
        pending.add(p);
        void p.finally(() => pending.delete(p));
        await sleep(1000 / STEADY_PER_SECOND);
      }
      await Promise.all(pending);
    })();
    await Promise.all([sampling, steady]);
    for (const a of peers) a.destroy();

    // Retention passes, from the service's log (one JSON line per pass that deleted something).
    const passes = readFileSync(svc.logFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes('retention pass deleted old history'))
      .map((l) => (JSON.parse(l) as { retention: { alerts: number; remediations: number; batches: number; longestBatchMs: number; longestReclaimMs: number; pagesReclaimed: number; seconds: number } }).retention);
    await svc.stop();
    stopped = true;
    const writes = scaleWrites(api.requests).length;

    const warm = samples.filter((s) => s.minute >= Math.min(20, minutes / 3));
    const perHour = (pick: (s: SoakSample) => number) => {
      const pts = warm.map((s) => [s.minute / 60, pick(s)] as const);
      const med = percentile(pts.map(([, y]) => y).sort((a, b) => a - b), 50);
      const sl = slope(pts);
      return { slopePerHour: round(sl), median: round(med), percentPerHour: round((100 * sl) / med) };
    };
    const rss = perHour((s) => s.rssMiB);
    const heap = perHour((s) => s.heapUsedMiB);
    const store = perHour((s) => s.storeMiB);
    const outsideStorms = samples.filter((s) => !s.storm && !storms.some((m) => s.minute >= m && s.minute < m + 1));
    const eldP99 = Math.max(...outsideStorms.map((s) => s.eventLoopP99Ms));
    const maxRows = Math.max(...samples.map((s) => s.alertRows));
    const stormRows = stormNotifications * 50 * 2;
    const sorted = [...allLatencies].sort((a, b) => a - b);


    const chart = writeChart(
      {
        title: `Soak: ${minutes} min of steady load with a ${stormNotifications * 50}-alert storm every ${stormEveryMin} min, retention ${RETENTION} / ${MAX_ALERTS} alerts`,
        subtitle: `${STEADY_PER_SECOND} notifications/s (1–5 alerts, 2 HA peers), SQLite, sandbox cluster; sampled every ${SAMPLE_MS / 1000} s; shared 2-core machine (load in the results)`,
        markers: storms,
        markerLabel: 'storm',
        panels: [
          { title: 'RSS', unit: 'MiB', points: samples.map((s) => [s.minute, s.rssMiB] as const) },
          { title: 'V8 heap used', unit: 'MiB', points: samples.map((s) => [s.minute, s.heapUsedMiB] as const) },
          { title: 'event-loop delay p99 per 10 s', unit: 'ms', points: samples.map((s) => [s.minute, s.eventLoopP99Ms] as const) },
          { title: 'intake p99 per 10 s', unit: 'ms', points: samples.map((s) => [s.minute, s.intakeP99Ms ?? 0] as const) },
          { title: 'database file', unit: 'MiB', points: samples.map((s) => [s.minute, s.storeMiB] as const) },
          { title: 'WAL file', unit: 'MiB', points: samples.map((s) => [s.minute, s.walMiB] as const) },
          { title: 'remediation rows', unit: 'rows', points: samples.map((s) => [s.minute, s.remediationRows] as const) },
          { title: 'alert rows', unit: 'rows', points: samples.map((s) => [s.minute, s.alertRows] as const), limit: { y: MAX_ALERTS, label: 'RETENTION_MAX_ALERTS' } },
          { title: 'open file descriptors', unit: 'fds', points: samples.map((s) => [s.minute, s.openFds] as const) },
          { title: 'active handles', unit: 'handles', points: samples.map((s) => [s.minute, s.activeHandles] as const) },
        ],
      },
      join(RESULTS_DIR, ctx.quick ? 'soak-quick' : 'soak'),
    );
    const result = {
      name: 'soak',
      title: `Soak: ${minutes} min, ${STEADY_PER_SECOND} notifications/s (2 HA peers) and a ${stormNotifications * 50}-alert storm every ${stormEveryMin} min, retention ${RETENTION} and ${MAX_ALERTS} alerts`,
      runs: 1,
      figures: {
        minutes,
        samples: samples.length,
        requests: sent,
        storms: storms.length,
        rssMiB: rss,
        heapUsedMiB: heap,
        storeMiB: { ...store, max: Math.max(...samples.map((s) => s.storeMiB)), last: samples.at(-1)?.storeMiB },
        walMiB: { max: Math.max(...samples.map((s) => s.walMiB)), last: samples.at(-1)?.walMiB },
        alertRows: { max: maxRows, last: samples.at(-1)?.alertRows, bound: MAX_ALERTS },
        eventLoopP99MsOutsideStorms: { max: eldP99, median: round(percentile(outsideStorms.map((s) => s.eventLoopP99Ms).sort((a, b) => a - b), 50)) },
        openFds: { min: Math.min(...samples.map((s) => s.openFds)), max: Math.max(...samples.map((s) => s.openFds)) },
        activeHandles: { min: Math.min(...samples.map((s) => s.activeHandles)), max: Math.max(...samples.map((s) => s.activeHandles)) },
        intakeLatencyMs: { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1) ?? 0) },
        retention: {
          passes: passes.length,
          alertsDeleted: passes.reduce((s, p) => s + p.alerts, 0),
          remediationsDeleted: passes.reduce((s, p) => s + p.remediations, 0),
          longestBatchMs: round(Math.max(...passes.map((p) => p.longestBatchMs))),
          longestReclaimStepMs: round(Math.max(...passes.map((p) => p.longestReclaimMs))),
          pagesReclaimed: passes.reduce((s, p) => s + p.pagesReclaimed, 0),
          longestPassSeconds: round(Math.max(...passes.map((p) => p.seconds))),
        },
        scaleWrites: writes,
        plot: chart.png ?? `${chart.svg} (no PNG: ${chart.problem ?? 'unknown'})`,
      },
      ratios: { rssGrowthPercentPerHour: rss.percentPerHour, heapGrowthPercentPerHour: heap.percentPerHour, storeGrowthPercentPerHour: store.percentPerHour, maxAlertRowsOverBound: round(maxRows / MAX_ALERTS) },
      goals: [
        { text: `flat after warm-up: RSS grows < 10 %/h after minute ${warm[0]?.minute ?? '?'} (least squares)`, met: rss.percentPerHour < 10 },
        { text: 'flat after warm-up: V8 heap used grows < 10 %/h', met: heap.percentPerHour < 10 },
        { text: `the store stays within its retention bound: alert rows ≤ ${MAX_ALERTS} + one 30 s interval's storm (${stormRows})`, met: maxRows <= MAX_ALERTS + stormRows },
        { text: 'the database file stops growing after warm-up: < 10 %/h', met: store.percentPerHour < 10 },
        { text: 'event-loop delay p99 < 100 ms outside storms', met: eldP99 < 100 },
      ],
      checks: ['every notification accepted (2xx; 503 retried)', 'the retention job ran and deleted history', `a sample every ${SAMPLE_MS / 1000} s`],
      notes: [
        'Growth is the least-squares slope over the samples after warm-up, as a percentage of their median per hour; storms every ten minutes make saw teeth that the slope averages over.',
        'Event-loop delay is the service’s own nodejs_eventloop_lag_p99/max_seconds, which prom-client resets at every scrape: each sample covers its 10 s.',
        'The load generator and the sandbox API server run in the benchmark process, beside the service, on the same shared 2-core machine: the load average is in the results.',
      ],
    } satisfies Omit<BenchResult, 'seconds'>;
    writeFileSync(join(RESULTS_DIR, ctx.quick ? 'soak-quick.json' : 'soak.json'), `${JSON.stringify({ ...result, failures, failureReasons: Object.fromEntries(failureReasons), samples, storms, passes }, null, 1)}\n`);
    // Checked once the figures and the plot are written: an hour of samples is worth keeping either way.
    check(failures === 0, 'every notification was accepted (2xx; 503 retried as Alertmanager does)', `${failures} not accepted: ${JSON.stringify(Object.fromEntries(failureReasons))}`);
    check(passes.length > 0, 'the retention job ran and deleted history', 'no retention pass in the service log');
    check(samples.length >= (minutes * 60_000) / SAMPLE_MS - 2, `one sample every ${SAMPLE_MS / 1000} s`, `${samples.length} samples`);
    return result;
  } finally {
    db.close();
    if (!stopped && svc.child.proc.exitCode === null) await svc.child.stop(5000);
    svc.remove();
    await api.close();
  }
}

runIfMain(import.meta.url, run);
