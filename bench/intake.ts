/**
 * 1. Intake: captured Alertmanager bodies posted by autocannon (in this process) at
 * three servers, each in its own process:
 *   (a) bare node:http — parse the JSON, answer 202
 *   (b) express 5 + the project's zod webhook schema — validate, answer 202
 *   (c) autoremediator — `node dist/autoremediator.mjs serve`: bearer auth, the same schema,
 *       every alert stored in SQLite (WAL, fsync per commit) before the 202, the engine
 *       running. No cluster is configured, so deciding is cheap (each new alert is
 *       recorded as skipped: state-unavailable). The bodies are posted unchanged over
 *       and over, so after the first request every alert is an already-known identity
 *       (stored as a duplicate, as Alertmanager's repeat and HA deliveries are).
 * Saturated pass (requests/s, latency) and a rate-limited pass at half of (c)'s
 * saturated rate (the p99 goal), runs interleaved a, b, c so that ratios come from the
 * same moment. Checks: no errors, every response 2xx, every alert of every 2xx stored
 * (counted afterwards), and for a sample of responses the alerts were already readable
 * in the database when the 202 arrived.
 */
import { statSync } from 'node:fs';
import autocannon from 'autocannon';
import type Database from 'better-sqlite3';
import { webhookSchema } from '../src/http/webhook-schema.js';
import { commitCostMs } from './lib/commit-cost.js';
import { storeCostMs } from './lib/store-cost.js';
import { paced } from './lib/http.js';
import { fiftyAlertBody, singleAlertBody } from './lib/payloads.js';
import { cpuMsOf, spawnTs, type Child } from './lib/processes.js';
import { check, runIfMain, type BenchContext, type BenchResult } from './lib/result.js';
import { count, openReadonly, startService, WEBHOOK_TOKEN, type BenchService } from './lib/service.js';
import { median, percentile, ratio, round } from './lib/stats.js';

const CONNECTIONS = 10;
const LIMITS = { maxAlertsPerNotification: 10_000, maxLabelsPerAlert: 128 };
const P99_GOAL_MS = 10;
const RPS_RATIO_GOAL = 0.8;
/** SQLite truncates the WAL file back to this (journal_size_limit) when it starts over. */
const WAL_LIMIT_MIB = 64;
/** The alert indexes the history API reads (migrations/sqlite.ts). */
const HISTORY_INDEXES = ['alerts_by_fingerprint', 'alerts_by_alertname', 'alerts_by_received'];

type ServerName = 'a' | 'b' | 'c';

interface Server {
  name: ServerName;
  url: string;
  pid: number;
  headers: Record<string, string>;
}

interface Load {
  rps: number;
  p50: number;
  p99: number;
  /** autocannon's own p99 (whole ms; corrected for coordinated omission when rate-limited). */
  p99Autocannon: number;
  ok: number;
  /** Requests autocannon sent, answered or still in flight when the run ended. */
  sent: number;
  /** Share of one core the server process used during the run. */
  serverCpu: number;
  /** Share of one core the load generator (this process) used. */
  loaderCpu: number;
}

interface Verify {
  every: number;
  fn: (body: string) => boolean;
}

function cannon(s: Server, body: Buffer, opts: { seconds: number; rate?: number; verify?: Verify }): Promise<Load> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    let responses = 0;
    const cpu0 = cpuMsOf(s.pid);
    const own0 = process.cpuUsage();
    const started = performance.now();
    const instance = autocannon(
      {
        url: `${s.url}/api/v1/alerts`,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...s.headers },
        body,
        connections: CONNECTIONS,
        duration: opts.seconds,
        ...(opts.rate ? { overallRate: opts.rate } : {}),
        ...(opts.verify ? { verifyBody: (b: string | Buffer | undefined) => (++responses % opts.verify!.every === 0 ? opts.verify!.fn(String(b)) : true) } : {}),
      },
      (err: unknown, result: autocannon.Result) => {
        if (err) {
          reject(err instanceof Error ? err : new Error(JSON.stringify(err)));
          return;
        }
        const wall = performance.now() - started;
        const own = process.cpuUsage(own0);
        try {
          const where = `${s.name}${opts.rate ? ` at ${opts.rate}/s` : ''}`;
          check(result.errors === 0 && result.timeouts === 0, `no connection errors or timeouts (${where})`, `${result.errors} errors, ${result.timeouts} timeouts`);
          check(result.non2xx === 0, `every response 2xx (${where})`, `${result.non2xx} non-2xx`);
          check(result.mismatches === 0, `every sampled 202 came after its alerts were stored (${where})`, `${result.mismatches} sampled responses whose alerts were not in the database`);
          const sorted = latencies.sort((x, y) => x - y);
          resolve({
            rps: result['2xx'] / result.duration,
            p50: percentile(sorted, 50),
            p99: percentile(sorted, 99),
            p99Autocannon: result.latency.p99,
            ok: result['2xx'],
            sent: (result.requests as unknown as { sent: number }).sent,
            serverCpu: (cpuMsOf(s.pid) - cpu0) / wall,
            loaderCpu: (own.user + own.system) / 1000 / wall,
          });
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      },
    );
    // autocannon's tracker passes the client first; @types/autocannon leaves it out.
    (instance as unknown as NodeJS.EventEmitter).on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) latencies.push(ms);
    });
  });
}

async function baselineServer(name: 'a' | 'b', kind: 'bare' | 'express'): Promise<{ server: Server; child: Child }> {
  const child = spawnTs('bench/servers/intake-baselines.ts', [kind]);
  const line = await child.waitForLine(/^READY \d+$/, 20_000);
  return { server: { name, url: `http://127.0.0.1:${line.split(' ')[1]}`, pid: child.pid, headers: {} }, child };
}

interface Paced {
  p50: number;
  p99: number;
  max: number;
  ok: number;
  sent: number;
}

interface BodyFigures {
  alertsPerBody: number;
  bytes: number;
  saturated: Record<ServerName, Load[]>;
  halfRate: { rate: number; b: Paced[]; c: Paced[]; cAutocannon: Load[] };
}

async function pacedLoad(s: Server, body: Buffer, rate: number, seconds: number, verify: Verify | null): Promise<Paced> {
  let bad = 0;
  const token = s.headers.authorization?.replace(/^Bearer /, '');
  const r = await paced(`${s.url}/api/v1/alerts`, body, {
    rate,
    seconds,
    connections: CONNECTIONS,
    ...(token ? { token } : {}),
    onResponse: (p) => {
      if (verify && p.status === 202 && !verify.fn(p.body)) bad++;
    },
  });
  const total = Object.values(r.statuses).reduce((x, y) => x + y, 0);
  check(r.ok === total, `every response 2xx (${s.name} paced at ${rate}/s)`, JSON.stringify(r.statuses));
  check(bad === 0, `every 202 came after its alerts were stored (${s.name} paced at ${rate}/s)`, `${bad} responses whose alerts were not in the database`);
  const sorted = r.latencies.sort((x, y) => x - y);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? Number.NaN, ok: r.ok, sent: total };
}

async function measureBody(ctx: BenchContext, servers: Server[], body: Buffer, alertsPerBody: number, verify: Verify, stored: { ok: number; sent: number }): Promise<BodyFigures> {
  const seconds = ctx.quick ? 0.5 : 2;
  for (const s of servers) {
    const w = await cannon(s, body, { seconds: ctx.quick ? 0.2 : 1 });
    if (s.name === 'c') count2xx(stored, w, alertsPerBody);
  }
  const saturated: Record<ServerName, Load[]> = { a: [], b: [], c: [] };
  for (let r = 0; r < ctx.runs; r++) {
    for (const s of servers) {
      const l = await cannon(s, body, { seconds, ...(s.name === 'c' ? { verify } : {}) });
      saturated[s.name].push(l);
      if (s.name === 'c') count2xx(stored, l, alertsPerBody);
    }
    ctx.log(`  intake ${alertsPerBody}-alert run ${r + 1}: ${servers.map((s) => `${s.name} ${round(saturated[s.name][r]!.rps)}/s p99 ${round(saturated[s.name][r]!.p99)} ms`).join(', ')}`);
  }
  const rate = Math.max(1, Math.floor(median(saturated.c.map((l) => l.rps)) / 2));
  const halfRate = { rate, b: [] as Paced[], c: [] as Paced[], cAutocannon: [] as Load[] };
  const [, b, c] = servers;
  for (let r = 0; r < ctx.runs; r++) {
    halfRate.b.push(await pacedLoad(b!, body, rate, seconds, null));
    const p = await pacedLoad(c!, body, rate, seconds, { every: 1, fn: verify.fn });
    halfRate.c.push(p);
    stored.ok += p.ok * alertsPerBody;
    stored.sent += p.sent * alertsPerBody;
    const l = await cannon(c!, body, { seconds, rate, verify });
    halfRate.cAutocannon.push(l);
    count2xx(stored, l, alertsPerBody);
    ctx.log(`  intake ${alertsPerBody}-alert at ${rate}/s run ${r + 1}: paced b p99 ${round(halfRate.b[r]!.p99)} ms, c p99 ${round(p.p99)} ms; autocannon overallRate c p99 ${round(l.p99)} ms`);
  }
  return { alertsPerBody, bytes: body.length, saturated, halfRate };
}

/**
 * What validating one body costs when the zod schema is built for each request (as
 * src/http/intake.ts parseNotification does: webhookSchema(limits).safeParse) against
 * one schema built once: zod 4 compiles a fast path for each new schema object.
 */
function schemaCostMs(body: Buffer, iterations: number): { perRequestSchema: number; schemaBuiltOnce: number } {
  const value: unknown = JSON.parse(body.toString('utf8'));
  const time = (fn: () => void) => {
    for (let i = 0; i < 20; i++) fn();
    const t = performance.now();
    for (let i = 0; i < iterations; i++) fn();
    return (performance.now() - t) / iterations;
  };
  const once = webhookSchema(LIMITS);
  const ok = (r: { success: boolean }) => check(r.success, 'the benchmark bodies pass the project’s webhook schema');
  return {
    perRequestSchema: round(time(() => ok(webhookSchema(LIMITS).safeParse(value)))),
    schemaBuiltOnce: round(time(() => ok(once.safeParse(value)))),
  };
}

function count2xx(stored: { ok: number; sent: number }, l: Load, alertsPerBody: number): void {
  stored.ok += l.ok * alertsPerBody;
  stored.sent += l.sent * alertsPerBody;
}

const med = <T>(xs: T[], pick: (x: T) => number) => round(median(xs.map(pick)));

function figuresOf(f: BodyFigures) {
  const perRun = (x: ServerName, y: ServerName) => ratio(median(f.saturated.c.map((_, i) => f.saturated[x][i]!.rps / f.saturated[y][i]!.rps)), 1);
  const load = (ls: Load[]) => ({
    rps: med(ls, (l) => l.rps),
    p50Ms: med(ls, (l) => l.p50),
    p99Ms: med(ls, (l) => l.p99),
    serverCpu: med(ls, (l) => l.serverCpu),
    loaderCpu: med(ls, (l) => l.loaderCpu),
  });
  const pacedFigures = (ps: Paced[]) => ({ p50Ms: med(ps, (p) => p.p50), p99Ms: med(ps, (p) => p.p99), maxMs: med(ps, (p) => p.max) });
  const cP99 = med(f.halfRate.c, (p) => p.p99);
  return {
    figures: {
      alertsPerBody: f.alertsPerBody,
      bodyBytes: f.bytes,
      saturated: { a: load(f.saturated.a), b: load(f.saturated.b), c: load(f.saturated.c) },
      halfOfCRate: {
        rate: f.halfRate.rate,
        pacedB: pacedFigures(f.halfRate.b),
        pacedC: pacedFigures(f.halfRate.c),
        autocannonOverallRateC: { p50Ms: med(f.halfRate.cAutocannon, (l) => l.p50), p99Ms: med(f.halfRate.cAutocannon, (l) => l.p99), p99CorrectedMs: med(f.halfRate.cAutocannon, (l) => l.p99Autocannon) },
      },
    },
    ratios: {
      cOverA: perRun('c', 'a'),
      cOverB: perRun('c', 'b'),
      p99AtHalfRateCOverB: ratio(median(f.halfRate.c.map((p, i) => p.p99 / f.halfRate.b[i]!.p99)), 1),
    },
    p99: cP99,
  };
}

export async function run(ctx: BenchContext): Promise<Omit<BenchResult, 'seconds'>> {
  const single = singleAlertBody();
  const fifty = fiftyAlertBody(50);
  const started: Child[] = [];
  let svc: BenchService | null = null;
  let db: Database.Database | null = null;
  try {
    const a = await baselineServer('a', 'bare');
    started.push(a.child);
    const b = await baselineServer('b', 'express');
    started.push(b.child);
    svc = await startService();
    const c: Server = { name: 'c', url: svc.url, pid: svc.child.pid, headers: { authorization: `Bearer ${WEBHOOK_TOKEN}` } };
    const servers = [a.server, b.server, c];

    // A sample of 202s: their alerts must already be readable (committed) when the response arrives.
    const reader = openReadonly(svc.dbFile);
    db = reader;
    // By the alert ids the 202 lists (primary-key lookups: the loader shares the machine, so
    // the check must stay cheap as the table grows), each in the notification the 202 names.
    const byIds = reader.prepare('SELECT count(*) AS n FROM alerts WHERE id IN (SELECT value FROM json_each(?)) AND notification_id = ?');
    const verifyFor = (n: number): Verify => ({
      every: 20,
      fn: (text) => {
        const r = JSON.parse(text) as { notificationId?: string; alerts?: Array<{ id: string }> };
        if (r.notificationId === undefined || r.alerts?.length !== n) return false;
        return (byIds.get(JSON.stringify(r.alerts.map((a) => a.id)), r.notificationId) as { n: number }).n === n;
      },
    });
    const stored = { ok: 0, sent: 0 };
    const one = await measureBody(ctx, servers, single, 1, verifyFor(1), stored);
    const many = await measureBody(ctx, servers, fifty, 50, verifyFor(50), stored);
    reader.close();
    db = null;
    // The WAL file after every run, before the service stops (stopping checkpoints and removes it).
    const walMiB = (statSync(`${svc.dbFile}-wal`, { throwIfNoEntry: false })?.size ?? 0) / 2 ** 20;

    await svc.stop();
    const after = openReadonly(svc.dbFile);
    let rows: number;
    try {
      rows = count(after, 'SELECT count(*) AS n FROM alerts');
    } finally {
      after.close();
    }
    const checks = [
      'no connection errors or timeouts; every response 2xx, in every run of every server',
      // Requests still in flight when a run ends are stored too, but autocannon does not count their answers.
      check(rows >= stored.ok && rows <= stored.sent, `every alert of every 2xx from (c) stored: ${rows} alert rows for ${stored.ok} alerts answered 2xx (${stored.sent} sent)`, `found ${rows}`),
      check(walMiB <= WAL_LIMIT_MIB, `(c)'s WAL file stayed within ${WAL_LIMIT_MIB} MiB over all runs (${round(walMiB)} MiB at the end): it starts over under steady writes`, `${round(walMiB)} MiB`),
      'every 20th 202 from (c) under autocannon, and every 202 of the paced pass, was checked: its alerts were already committed in the database when it arrived',
    ];
    const commit = commitCostMs(ctx.quick ? 50 : 200);
    const schema1 = schemaCostMs(single, ctx.quick ? 50 : 300);
    const schema50 = schemaCostMs(fifty, ctx.quick ? 20 : 100);
    const store1 = await storeCostMs(single, ctx.quick ? 100 : 1000);
    const store50 = await storeCostMs(fifty, ctx.quick ? 20 : 200);
    // What each index the history API filters by costs: storing without it, 50 alerts per body.
    const indexCost: Record<string, number> = {};
    for (const index of HISTORY_INDEXES) indexCost[index] = round(store50 - (await storeCostMs(fifty, ctx.quick ? 20 : 200, [index])));
    const f1 = figuresOf(one);
    const f50 = figuresOf(many);
    const cRps = (f: BodyFigures) => median(f.saturated.c.map((l) => l.rps));
    const bRps = (f: BodyFigures) => median(f.saturated.b.map((l) => l.rps));
    return {
      name: 'intake',
      title: `Intake: captured bodies (1 alert, 50 alerts) posted by autocannon, ${CONNECTIONS} connections`,
      runs: ctx.runs,
      figures: {
        '1 alert': f1.figures,
        '50 alerts': f50.figures,
        zodValidationMs: { '1 alert': schema1, '50 alerts': schema50 },
        sqliteCommitMs: { synchronousFull: round(commit.full), synchronousNormal: round(commit.normal) },
        cFsyncShareLowerBound: { '1 alert': round(cRps(one) * commit.full / 1000), '50 alerts': round(cRps(many) * commit.full / 1000) },
        storeOnlyMsPerNotification: { '1 alert': round(store1), '50 alerts': round(store50) },
        historyIndexCostMsPer50AlertNotification: indexCost,
        walFileMiBAfterRuns: round(walMiB),
        cOverBCeilingBPlusStorage: { '1 alert': round(1 / (1 + (store1 * bRps(one)) / 1000)), '50 alerts': round(1 / (1 + (store50 * bRps(many)) / 1000)) },
      },
      ratios: {
        '1 alert c/a': f1.ratios.cOverA,
        '1 alert c/b': f1.ratios.cOverB,
        '50 alerts c/a': f50.ratios.cOverA,
        '50 alerts c/b': f50.ratios.cOverB,
        '1 alert p99 c/b paced at half of c rate': f1.ratios.p99AtHalfRateCOverB,
        '50 alerts p99 c/b paced at half of c rate': f50.ratios.p99AtHalfRateCOverB,
      },
      goals: [
        { text: `1 alert: c/b ≥ ${RPS_RATIO_GOAL}`, met: f1.ratios.cOverB >= RPS_RATIO_GOAL },
        { text: `50 alerts: c/b ≥ ${RPS_RATIO_GOAL}`, met: f50.ratios.cOverB >= RPS_RATIO_GOAL },
        { text: `1 alert: p99 < ${P99_GOAL_MS} ms at half of c's saturated rate (paced)`, met: f1.p99 < P99_GOAL_MS },
        { text: `50 alerts: p99 < ${P99_GOAL_MS} ms at half of c's saturated rate (paced)`, met: f50.p99 < P99_GOAL_MS },
      ],
      checks,
      notes: [
        '(c) is the built service with no cluster configured: the engine runs and records a decision (skip: state-unavailable) for each new alert; the repeated bodies are stored as duplicates after the first delivery.',
        'Latency percentiles are exact (every 2xx response time). The rate-limited pass is an open-loop paced sender (one request every 1/rate s, latency from the scheduled send time); autocannon’s overallRate is reported beside it but lets each connection send its per-second quota back to back at the start of every second, i.e. saturated bursts.',
        'serverCpu / loaderCpu: share of one core used by the server process / by autocannon in this process (2 cores in total).',
        'cFsyncShareLowerBound: requests/s of (c) × the measured cost of one fsync’d commit — the share of (c)’s time spent waiting on the disk.',
        'historyIndexCostMsPer50AlertNotification: storeOnlyMsPerNotification (50 alerts) minus the same measured with that one index dropped — what each index the alert history API filters by (GET /api/v1/alerts?fingerprint=, ?alertname=, time order) adds to storing a 50-alert notification.',
        'storeOnlyMsPerNotification: SqliteStore.recordNotification of the same body alone, in the benchmark process, five at a time (group-committed as concurrent requests are); cOverBCeilingBPlusStorage = 1 / (1 + that × b’s requests/s / 1000): the c/b of a server that did exactly what (b) does plus storing, on one event loop — the most (c) could reach with every alert stored before the 2xx.',
      ],
    };
  } finally {
    db?.close();
    if (svc) {
      if (svc.child.proc.exitCode === null) await svc.child.stop(5000);
      svc.remove();
    }
    for (const c of started) await c.stop(5000);
  }
}

runIfMain(import.meta.url, run);
