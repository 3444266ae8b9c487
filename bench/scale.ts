/**
 * Scale of the history: the store filled to 100k, 1M and 5M alert rows (SCALE_SIZES, e.g.
 * `SCALE_SIZES=100000,1000000`; SCALE_STORES=sqlite,postgres) with the shipped mix — each alert
 * delivered by two Alertmanager HA peers (a first copy with its raw notification body and a
 * narrow duplicate), one decision per first delivery (1 in 33 an action with its four
 * transitions, the rest skips of five reasons), one alert in five resolved — spread one pair a
 * second back from now (5M rows: 29 days). Filled with bulk inserts generated inside the
 * database (a recursive CTE in SQLite, generate_series in PostgreSQL), not through intake.
 *
 * At each size (and at 0, the empty store: the baseline of the same run) the service runs on that
 * store (`node dist/autoremediator.mjs serve`) and the benchmark measures:
 *  - intake: autocannon, 10 connections, the captured 1-alert body, requests/s and p99;
 *  - reaction: 40 alerts one at a time for 40 Deployments of a sandbox, webhook sent → the
 *    scale write at the API server, p50/p99;
 *  - the history API: p99 of 20 GETs for each filter of /api/v1/alerts and /api/v1/remediations,
 *    ten cursor pages in a row, and a page from a cursor in the middle of the history;
 *  - the store's size on disk (SQLite: file + WAL; PostgreSQL: its tables with indexes and TOAST);
 *  - one retention pass deleting the oldest 2 % (through a second connection, as a second
 *    replica's job would, while intake goes on at 20 notifications/s): its time, its batches, the
 *    longest batch (the write lock held), and intake's slowest answer during it.
 * Goals (issue 20): intake and reaction at the largest size within 10 % of the empty store;
 * history p99 < 50 ms at the largest size; a retention batch never blocks intake > 50 ms.
 */
import autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import Database from 'better-sqlite3';
import type { LabelSet } from '../src/domain/alert.js';
import { encodeCursor } from '../src/store/cursor.js';
import { openStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';
import { deploymentNames, scaleWrites, startCluster } from './lib/cluster.js';
import { keepAliveAgent, postJson } from './lib/http.js';
import { notificationOf, singleAlertBody } from './lib/payloads.js';
import { check, runIfMain, type BenchContext, type BenchResult } from './lib/result.js';
import { ADMIN_TOKEN, startService, WEBHOOK_TOKEN } from './lib/service.js';
import { percentile, ratio, round } from './lib/stats.js';

const NAMESPACE = 'scale';
const REACTION_TARGETS = 40;
const PAIR_STEP_MS = 1000;
const HISTORY_GOAL_MS = 50;
const BLOCK_GOAL_MS = 50;
const PG_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const RULES = `rules:
  - name: scale-bench
    description: BenchScale on a deployment → one more replica
    matchers: ['alertname="BenchScale"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: ${NAMESPACE}, name: "{{ $labels.deployment }}" }
    action: { type: scale, maxReplicas: 100, policies: [{ type: Pods, value: 1, periodSeconds: 60 }] }
    cooldown: 5m
`;

const SKIP_REASONS = ['cooldown', 'in-progress', 'resolved', 'no-match', 'at-bound'];

interface Target {
  kind: 'sqlite' | 'postgres';
  url: string;
  /** Insert pairs [from, to): each pair two alert rows, two notifications, a decision. */
  fill(from: number, to: number, endMs: number): Promise<void>;
  sizeBytes(): Promise<number>;
  close(): Promise<void>;
}

/** SQL expressions of one generated pair p (a column `p`), both dialects. */
const body = `'{"receiver":"ci-failure-agent-remediator","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"QueueDepthHigh","namespace":"ci","queue":"jobs","service":"ci-failure-agent"},"annotations":{"summary":"Queue depth above 1000","description":"The jobs queue of ci-failure-agent has held more than 1000 messages for 5 minutes"},"startsAt":"2026-11-28T10:20:46.4Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus:9090/graph?g0.expr=queue_depth+%3E+1000&g0.tab=1","fingerprint":"3b1f0c2a9d8e7f60"}],"groupLabels":{"alertname":"QueueDepthHigh"},"commonLabels":{"alertname":"QueueDepthHigh"},"commonAnnotations":{},"externalURL":"http://alertmanager:9093","version":"4","groupKey":"{}:{alertname=\\"QueueDepthHigh\\"}","truncatedAlerts":0}'`;

export function sqliteTarget(file: string): Target {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF'); // filling only; the service opens it with its own pragmas
  const t: Target = {
    kind: 'sqlite',
    url: `sqlite:${file}`,
    fill(from, to, endMs) {
      const CHUNK = 50_000;
      for (let a = from; a < to; a += CHUNK) {
        const b = Math.min(to, a + CHUNK);
        const series = `WITH RECURSIVE s(p) AS (SELECT ${a} UNION ALL SELECT p + 1 FROM s WHERE p + 1 < ${b})`;
        const at = `(${endMs} - p * ${PAIR_STEP_MS})`;
        const status = `CASE WHEN p % 5 = 0 THEN 'resolved' ELSE 'firing' END`;
        const name = `'Bench' || (p % 20)`;
        const fp = `printf('%016x', p * 2654435761)`;
        const labels = `'{"alertname":"' || ${name} || '","namespace":"ns-' || (p % 50) || '","deployment":"svc-' || (p % 500) || '","pod":"pod-' || p || '","severity":"warning"}'`;
        db.transaction(() => {
          db.exec(`${series} INSERT INTO notifications SELECT 'n1-' || printf('%012d', p), ${at}, 'r', ${status}, 'g', 'http://am', 0, ${body} FROM s`);
          db.exec(`${series} INSERT INTO notifications SELECT 'n2-' || printf('%012d', p), ${at} + 5, 'r', ${status}, 'g', 'http://am', 0, '' FROM s`);
          db.exec(`${series} INSERT INTO alerts (id, notification_id, received_at, identity, duplicate_of, status, alertname, fingerprint, labels, annotations, starts_at, ends_at, generator_url, decided_at, last_seen_at)
            SELECT 'a-' || printf('%012d', p), 'n1-' || printf('%012d', p), ${at}, ${fp} || '|' || p || '|' || ${status}, NULL, ${status}, ${name}, ${fp}, ${labels},
                   '{"summary":"Queue depth above 1000","description":"The queue has held more than 1000 messages for 5 minutes"}', '2026-11-28T10:20:46.400Z', NULL,
                   'http://prometheus:9090/graph?g0.expr=queue_depth+%3E+1000&g0.tab=1', ${at} + 20, ${at} + 5 FROM s`);
          db.exec(`${series} INSERT INTO alerts (id, notification_id, received_at, identity, duplicate_of, status, alertname, fingerprint, labels, annotations, starts_at, ends_at, generator_url)
            SELECT 'd-' || printf('%012d', p), 'n2-' || printf('%012d', p), ${at} + 5, ${fp} || '|' || p || '|' || ${status}, 'a-' || printf('%012d', p), ${status}, ${name}, ${fp}, 'null', 'null', '2026-11-28T10:20:46.400Z', NULL, '' FROM s`);
          db.exec(`${series} INSERT INTO remediations (id, alert_id, rule, target_key, target, namespace, phase, outcome, reason, is_action, decision, before_state, after_state, snapshot, result, dry_run, origin, created_at, updated_at)
            SELECT 'r-' || printf('%012d', p), 'a-' || printf('%012d', p), 'rule-' || (p % 20), 'ns-' || (p % 50) || '/deployment/svc-' || (p % 500),
                   '{"apiVersion":"apps/v1","kind":"Deployment","namespace":"ns-' || (p % 50) || '","name":"svc-' || (p % 500) || '"}', 'ns-' || (p % 50),
                   CASE WHEN p % 33 = 0 THEN 'succeeded' ELSE 'skipped' END, CASE WHEN p % 33 = 0 THEN 'act' ELSE 'skip' END,
                   CASE WHEN p % 33 = 0 THEN NULL ELSE ${SQL_REASON} END, CASE WHEN p % 33 = 0 THEN 1 ELSE 0 END,
                   '{"outcome":"' || CASE WHEN p % 33 = 0 THEN 'act' ELSE 'skip' END || '","rule":"rule-' || (p % 20) || '","explanation":"generated for the scale benchmark: a decision of typical size, with its facts","facts":{"replicas":2,"window":"5m"}}',
                   CASE WHEN p % 33 = 0 THEN '{"replicas":2}' END, CASE WHEN p % 33 = 0 THEN '{"replicas":3}' END, NULL, NULL, 0, 'alert', ${at} + 20, ${at} + 20 FROM s`);
          db.exec(`${series} INSERT INTO remediation_transitions SELECT 'r-' || printf('%012d', p), 1, NULL, CASE WHEN p % 33 = 0 THEN 'planned' ELSE 'skipped' END, ${at} + 20, 'decided' FROM s`);
          db.exec(`${series} INSERT INTO remediation_transitions SELECT 'r-' || printf('%012d', p), k.seq, k.f, k.t, ${at} + 20 + k.seq, 'step' FROM s,
                   (SELECT 2 AS seq, 'planned' AS f, 'applying' AS t UNION ALL SELECT 3, 'applying', 'validating' UNION ALL SELECT 4, 'validating', 'succeeded') k WHERE p % 33 = 0`);
        })();
      }
      // Planner statistics, as PostgreSQL's ANALYZE below (the service refreshes them with PRAGMA optimize when it closes).
      db.exec('ANALYZE');
      db.pragma('wal_checkpoint(TRUNCATE)');
      return Promise.resolve();
    },
    sizeBytes() {
      const size = (f: string) => (existsSync(f) ? statSync(f).size : 0);
      return Promise.resolve(size(file) + size(`${file}-wal`));
    },
    close() {
      db.close();
      return Promise.resolve();
    },
  };
  return t;
}
const SQL_REASON = `CASE p % 5 ${SKIP_REASONS.map((r, i) => `WHEN ${i} THEN '${r}'`).join(' ')} END`;

async function postgresTarget(schema: string): Promise<Target> {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const u = new URL(PG_URL);
  u.searchParams.set('options', `-c search_path=${schema}`);
  const url = u.toString();
  await admin.query(`SET search_path = ${schema}`);
  return {
    kind: 'postgres',
    url,
    async fill(from, to, endMs) {
      const CHUNK = 100_000;
      for (let a = from; a < to; a += CHUNK) {
        const b = Math.min(to, a + CHUNK) - 1;
        const s = `FROM generate_series(${a}::bigint, ${b}::bigint) AS p`;
        const at = `to_timestamp((${endMs} - p * ${PAIR_STEP_MS}) / 1000.0)`;
        const status = `CASE WHEN p % 5 = 0 THEN 'resolved' ELSE 'firing' END`;
        const name = `'Bench' || (p % 20)`;
        const fp = `lpad(to_hex(p * 2654435761), 16, '0')`;
        const pid = `lpad(p::text, 12, '0')`;
        const labels = `('{"alertname":"' || ${name} || '","namespace":"ns-' || (p % 50) || '","deployment":"svc-' || (p % 500) || '","pod":"pod-' || p || '","severity":"warning"}')::json`;
        const reason = `CASE p % 5 ${SKIP_REASONS.map((r, i) => `WHEN ${i} THEN '${r}'`).join(' ')} END`;
        await admin.query('BEGIN');
        await admin.query(`INSERT INTO notifications SELECT 'n1-' || ${pid}, ${at}, 'r', ${status}, 'g', 'http://am', 0, ${body} ${s}`);
        await admin.query(`INSERT INTO notifications SELECT 'n2-' || ${pid}, ${at} + interval '5 ms', 'r', ${status}, 'g', 'http://am', 0, '' ${s}`);
        await admin.query(`INSERT INTO alerts (id, notification_id, received_at, identity, duplicate_of, status, alertname, fingerprint, labels, annotations, starts_at, ends_at, generator_url, decided_at, last_seen_at)
          SELECT 'a-' || ${pid}, 'n1-' || ${pid}, ${at}, ${fp} || '|' || p || '|' || ${status}, NULL, ${status}, ${name}, ${fp}, ${labels},
                 '{"summary":"Queue depth above 1000","description":"The queue has held more than 1000 messages for 5 minutes"}'::json, '2026-11-28T10:20:46.400Z', NULL,
                 'http://prometheus:9090/graph?g0.expr=queue_depth+%3E+1000&g0.tab=1', ${at} + interval '20 ms', ${at} + interval '5 ms' ${s}`);
        await admin.query(`INSERT INTO alerts (id, notification_id, received_at, identity, duplicate_of, status, alertname, fingerprint, labels, annotations, starts_at, ends_at, generator_url)
          SELECT 'd-' || ${pid}, 'n2-' || ${pid}, ${at} + interval '5 ms', ${fp} || '|' || p || '|' || ${status}, 'a-' || ${pid}, ${status}, ${name}, ${fp}, 'null'::json, 'null'::json, '2026-11-28T10:20:46.400Z', NULL, '' ${s}`);
        await admin.query(`INSERT INTO remediations (id, alert_id, rule, target_key, target, namespace, phase, outcome, reason, is_action, decision, before_state, after_state, snapshot, result, dry_run, origin, created_at, updated_at)
          SELECT 'r-' || ${pid}, 'a-' || ${pid}, 'rule-' || (p % 20), 'ns-' || (p % 50) || '/deployment/svc-' || (p % 500),
                 ('{"apiVersion":"apps/v1","kind":"Deployment","namespace":"ns-' || (p % 50) || '","name":"svc-' || (p % 500) || '"}')::jsonb, 'ns-' || (p % 50),
                 CASE WHEN p % 33 = 0 THEN 'succeeded' ELSE 'skipped' END, CASE WHEN p % 33 = 0 THEN 'act' ELSE 'skip' END,
                 CASE WHEN p % 33 = 0 THEN NULL ELSE ${reason} END, p % 33 = 0,
                 ('{"outcome":"' || CASE WHEN p % 33 = 0 THEN 'act' ELSE 'skip' END || '","rule":"rule-' || (p % 20) || '","explanation":"generated for the scale benchmark: a decision of typical size, with its facts","facts":{"replicas":2,"window":"5m"}}')::jsonb,
                 CASE WHEN p % 33 = 0 THEN '{"replicas":2}'::jsonb END, CASE WHEN p % 33 = 0 THEN '{"replicas":3}'::jsonb END, NULL, NULL, false, 'alert', ${at} + interval '20 ms', ${at} + interval '20 ms' ${s}`);
        await admin.query(`INSERT INTO remediation_transitions SELECT 'r-' || ${pid}, 1, NULL, CASE WHEN p % 33 = 0 THEN 'planned' ELSE 'skipped' END, ${at} + interval '20 ms', 'decided' ${s}`);
        await admin.query(`INSERT INTO remediation_transitions SELECT 'r-' || ${pid}, k.seq, k.f, k.t, ${at} + interval '20 ms', 'step' ${s},
                 (VALUES (2, 'planned', 'applying'), (3, 'applying', 'validating'), (4, 'validating', 'succeeded')) AS k(seq, f, t) WHERE p % 33 = 0`);
        await admin.query('COMMIT');
      }
      await admin.query('ANALYZE');
    },
    async sizeBytes() {
      const { rows } = await admin.query<{ b: string }>(
        `SELECT sum(pg_total_relation_size(c.oid)) AS b FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
        [schema],
      );
      return Number(rows[0]?.b ?? 0);
    },
    async close() {
      await admin.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
      await admin.end();
    },
  };
}

interface SizeResult {
  alertRows: number;
  fillSeconds: number;
  storeMiB: number;
  intake: { requestsPerSecond: number; p99Ms: number };
  reaction: { p50Ms: number; p99Ms: number };
  historyP99Ms: Record<string, number>;
  retention: { rowsDeleted: number; seconds: number; batches: number; longestBatchMs: number; intakeMaxMsDuring: number; intakeP99MsDuring: number; intakeP99MsBefore: number };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function intakeFigures(url: string, seconds: number): Promise<{ requestsPerSecond: number; p99Ms: number }> {
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    autocannon(
      { url: `${url}/api/v1/alerts`, method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK_TOKEN}` }, body: singleAlertBody(), connections: 10, duration: seconds },
      (err: unknown, res: autocannon.Result) => (err ? reject(err instanceof Error ? err : new Error(JSON.stringify(err))) : resolve(res)),
    );
  });
  check(r.non2xx === 0 && r.errors === 0, 'intake: every request answered 2xx', `${r.non2xx} non-2xx, ${r.errors} errors`);
  return { requestsPerSecond: round(r.requests.average), p99Ms: r.latency.p99 };
}

async function reactionFigures(url: string, api: Awaited<ReturnType<typeof startCluster>>, names: readonly string[], round_: number): Promise<{ p50Ms: number; p99Ms: number }> {
  const agent = keepAliveAgent(1);
  const times: number[] = [];
  for (const name of names) {
    const before = scaleWrites(api.requests).filter((w) => w.name === name).length;
    const labels: LabelSet = { alertname: 'BenchScale', namespace: NAMESPACE, deployment: name, round: String(round_) };
    const t0 = performance.now();
    const r = await postJson(`${url}/api/v1/alerts`, notificationOf([labels], new Date().toISOString()), { agent, token: WEBHOOK_TOKEN });
    check(r.status === 202, 'reaction: every alert answered 202', `got ${r.status}`);
    const until = t0 + 30_000;
    while (scaleWrites(api.requests).filter((w) => w.name === name).length === before) {
      check(performance.now() < until, 'reaction: the scale write reaches the API server within 30 s', name);
      await new Promise((res) => setImmediate(res));
    }
    times.push(performance.now() - t0);
  }
  agent.destroy();
  const sorted = times.sort((a, b) => a - b);
  return { p50Ms: round(percentile(sorted, 50)), p99Ms: round(percentile(sorted, 99)) };
}

async function historyFigures(url: string, midMs: number, gets: number): Promise<Record<string, number>> {
  const get = async (path: string): Promise<{ ms: number; body: { items: unknown[]; nextCursor: string | null } }> => {
    const t = performance.now();
    const r = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const text = await r.text();
    const ms = performance.now() - t;
    check(r.status === 200, `history: GET ${path} answers 200`, `${r.status}: ${text.slice(0, 200)}`);
    return { ms, body: JSON.parse(text) as { items: unknown[]; nextCursor: string | null } };
  };
  const midAlerts = encodeCursor(new Date(midMs), 'zzzz');
  const queries: Record<string, string> = {
    'alerts (newest page)': '/api/v1/alerts?limit=50',
    'alerts status=resolved': '/api/v1/alerts?status=resolved&limit=50',
    'alerts alertname': '/api/v1/alerts?alertname=Bench7&limit=50',
    'alerts fingerprint': `/api/v1/alerts?fingerprint=${(1234n * 2654435761n).toString(16).padStart(16, '0')}&limit=50`,
    'alerts duplicate=true': '/api/v1/alerts?duplicate=true&limit=50',
    'alerts cursor mid-history': `/api/v1/alerts?limit=50&cursor=${midAlerts}`,
    'remediations (newest page)': '/api/v1/remediations?limit=50',
    'remediations target': `/api/v1/remediations?target=${encodeURIComponent('ns-7/deployment/svc-7')}&limit=50`,
    'remediations rule': '/api/v1/remediations?rule=rule-3&limit=50',
    'remediations phase=succeeded': '/api/v1/remediations?phase=succeeded&limit=50',
    'remediations outcome=act': '/api/v1/remediations?outcome=act&limit=50',
    'remediations reason=at-bound': '/api/v1/remediations?reason=at-bound&limit=50',
    'remediations cursor mid-history': `/api/v1/remediations?limit=50&cursor=${encodeCursor(new Date(midMs + 20), 'zzzz')}`,
  };
  const out: Record<string, number> = {};
  for (const [name, path] of Object.entries(queries)) {
    const ms: number[] = [];
    for (let i = 0; i < gets; i++) ms.push((await get(path)).ms);
    out[name] = round(percentile(ms.sort((a, b) => a - b), 99));
  }
  // Ten pages in a row, following nextCursor.
  const pages: number[] = [];
  for (let g = 0; g < Math.max(2, gets / 10); g++) {
    let path: string | null = '/api/v1/alerts?limit=50';
    for (let i = 0; i < 10 && path; i++) {
      const r = await get(path);
      pages.push(r.ms);
      path = r.body.nextCursor ? `/api/v1/alerts?limit=50&cursor=${r.body.nextCursor}` : null;
    }
  }
  out['alerts 10 cursor pages, each'] = round(percentile(pages.sort((a, b) => a - b), 99));
  return out;
}

/** One retention pass deleting the oldest 2 %, through a second connection, while intake goes on. */
async function retentionFigures(storeUrl: string, url: string, pairs: number, endMs: number): Promise<SizeResult['retention']> {
  const store: Store = await openStore(storeUrl);
  const agent = keepAliveAgent(4);
  const latencies: { at: number; ms: number }[] = [];
  let sending = true;
  let k = 0;
  const sender = (async () => {
    while (sending) {
      const labels: LabelSet = { alertname: 'BenchIntake', namespace: 'other', pod: `p-${k++}` };
      const body = notificationOf([labels], new Date().toISOString());
      const t = performance.now();
      void postJson(`${url}/api/v1/alerts`, body, { agent, token: WEBHOOK_TOKEN }).then(
        (r) => {
          if (r.status === 202) latencies.push({ at: t, ms: r.ms });
        },
        () => undefined,
      );
      await sleep(50);
    }
  })();
  try {
    await sleep(3000);
    const passStart = performance.now();
    const before = new Date(endMs - Math.floor(pairs * 0.98) * PAIR_STEP_MS);
    let rows = 0;
    let batches = 0;
    let longest = 0;
    for (;;) {
      const t = performance.now();
      const r = await store.pruneHistory({ before, keepActionsAfter: before, keepUnrestoredOfRules: [], limit: 100 });
      longest = Math.max(longest, performance.now() - t);
      batches += 1;
      rows += r.alerts;
      if (r.alerts + r.remediations + r.notifications === 0) break;
      await sleep(10);
    }
    for (let n = await store.reclaimSpace(128); n > 0; n = await store.reclaimSpace(128)) await sleep(10);
    const passEnd = performance.now();
    await sleep(1000);
    sending = false;
    await sender;
    await sleep(500);
    const during = latencies.filter((l) => l.at >= passStart && l.at <= passEnd).map((l) => l.ms).sort((a, b) => a - b);
    const beforePass = latencies.filter((l) => l.at < passStart).map((l) => l.ms).sort((a, b) => a - b);
    return {
      rowsDeleted: rows,
      seconds: round((passEnd - passStart) / 1000),
      batches,
      longestBatchMs: round(longest),
      intakeMaxMsDuring: round(during.at(-1) ?? 0),
      intakeP99MsDuring: round(percentile(during, 99)),
      intakeP99MsBefore: round(percentile(beforePass, 99)),
    };
  } finally {
    sending = false;
    agent.destroy();
    await store.close();
  }
}

async function oneStore(ctx: BenchContext, kind: 'sqlite' | 'postgres', sizes: readonly number[]): Promise<Array<{ size: number } & SizeResult>> {
  const dir = mkdtempSync(join(tmpdir(), 'autoremediator-scale-'));
  const schema = `scale_${randomBytes(4).toString('hex')}`;
  // The empty store first: migrated by the service's own code.
  const url = kind === 'sqlite' ? `sqlite:${join(dir, 'store.db')}` : (() => {
    const u = new URL(PG_URL);
    u.searchParams.set('options', `-c search_path=${schema}`);
    return u.toString();
  })();
  const target = kind === 'sqlite' ? null : await postgresTarget(schema);
  const migrated = await openStore(url);
  await migrated.close();
  const filler = target ?? sqliteTarget(join(dir, 'store.db'));
  const endMs = Date.now() - 3_600_000;
  // Each size gets Deployments of its own: the rule's cooldown would hold a second alert for the same one.
  const names = deploymentNames(REACTION_TARGETS * (sizes.length + 1), 'svc');
  const api = await startCluster(NAMESPACE, names, { replicas: 2, tickMs: 3_600_000, readyDelayMs: 0 });
  const out: Array<{ size: number } & SizeResult> = [];
  let pairs = 0;
  let round_ = 0;
  try {
    for (const size of [0, ...sizes]) {
      const t = performance.now();
      const want = Math.floor(size / 2);
      if (want > pairs) {
        ctx.log(`  scale ${kind}: filling to ${size} alert rows`);
        await filler.fill(pairs, want, endMs);
        ctx.log(`  scale ${kind}: filled in ${round((performance.now() - t) / 1000)} s`);
        pairs = want;
      }
      const fillSeconds = (performance.now() - t) / 1000;
      const svc = await startService({
        rulesYaml: RULES,
        kubeApiUrl: api.url,
        env: { DATABASE_URL: url, ALLOWED_NAMESPACES: NAMESPACE, BUDGET_PER_NAMESPACE: '100000/1h', BUDGET_GLOBAL: '100000/1h', CONCURRENT_REMEDIATIONS: '1000', RETENTION: '0' },
      });
      try {
        const intake = await intakeFigures(svc.url, ctx.quick ? 3 : 10);
        const reaction = await reactionFigures(svc.url, api, names.slice(round_ * REACTION_TARGETS, (round_ + 1) * REACTION_TARGETS), round_);
        round_ += 1;
        const historyP99Ms = await historyFigures(svc.url, endMs - (pairs / 2) * PAIR_STEP_MS, ctx.quick ? 5 : 20);
        const storeMiB = round((await filler.sizeBytes()) / 1024 ** 2);
        const retention = pairs > 0 ? await retentionFigures(url, svc.url, pairs, endMs) : { rowsDeleted: 0, seconds: 0, batches: 0, longestBatchMs: 0, intakeMaxMsDuring: 0, intakeP99MsDuring: 0, intakeP99MsBefore: 0 };
        // what the pass deleted (pairs older than the cutoff: p > floor(0.98 × pairs)) is filled again before the next size
        pairs = Math.floor(pairs * 0.98) + 1;
        out.push({ size, alertRows: size, fillSeconds: round(fillSeconds), storeMiB, intake, reaction, historyP99Ms, retention });
        ctx.log(`  scale ${kind} ${size}: history p99 ${JSON.stringify(historyP99Ms)}`);
        ctx.log(`  scale ${kind} ${size}: intake ${intake.requestsPerSecond} req/s p99 ${intake.p99Ms} ms, reaction p99 ${reaction.p99Ms} ms, history max p99 ${Math.max(...Object.values(historyP99Ms))} ms, ${storeMiB} MiB, retention ${retention.rowsDeleted} rows in ${retention.seconds} s (longest batch ${retention.longestBatchMs} ms)`);
      } finally {
        await svc.child.kill();
        svc.remove();
      }
    }
  } finally {
    await api.close();
    await filler.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

export async function run(ctx: BenchContext): Promise<Omit<BenchResult, 'seconds'>> {
  const sizes = (process.env.SCALE_SIZES ?? (ctx.quick ? '20000' : '100000,1000000,5000000')).split(',').map((s) => Number(s.trim()));
  for (const s of sizes) if (!Number.isInteger(s) || s <= 0) throw new Error(`SCALE_SIZES: not a whole number of alert rows: ${s}`);
  const stores = (process.env.SCALE_STORES ?? 'sqlite,postgres').split(',').map((s) => s.trim()) as Array<'sqlite' | 'postgres'>;
  const figures: Record<string, unknown> = {};
  const ratios: Record<string, number> = {};
  const goals: BenchResult['goals'] = [];
  for (const kind of stores) {
    const rows = await oneStore(ctx, kind, sizes);
    figures[kind] = rows;
    const empty = rows[0]!;
    const largest = rows.at(-1)!;
    const mib = largest.size > 0 ? round((largest.storeMiB - empty.storeMiB) / (largest.size / 1e6)) : 0;
    figures[`${kind}DiskMiBPerMillionAlerts`] = mib;
    ratios[`${kind}IntakeRpsLargestOverEmpty`] = ratio(largest.intake.requestsPerSecond, empty.intake.requestsPerSecond);
    ratios[`${kind}ReactionP99LargestOverEmpty`] = ratio(largest.reaction.p99Ms, empty.reaction.p99Ms);
    const historyWorst = Math.max(...Object.values(largest.historyP99Ms));
    const blockWorst = Math.max(...rows.map((r) => r.retention.longestBatchMs));
    goals.push(
      { text: `${kind}: intake req/s at ${largest.size} alerts within 10 % of the empty store`, met: largest.intake.requestsPerSecond >= 0.9 * empty.intake.requestsPerSecond },
      { text: `${kind}: reaction p99 at ${largest.size} alerts within 10 % of the empty store`, met: largest.reaction.p99Ms <= 1.1 * empty.reaction.p99Ms },
      { text: `${kind}: history API p99 < ${HISTORY_GOAL_MS} ms at ${largest.size} alerts (worst filter: ${historyWorst} ms)`, met: historyWorst < HISTORY_GOAL_MS },
      { text: `${kind}: a retention batch holds the write lock ≤ ${BLOCK_GOAL_MS} ms (longest: ${blockWorst} ms)`, met: blockWorst <= BLOCK_GOAL_MS },
    );
  }
  return {
    name: 'scale',
    title: `Scale of the history: ${stores.join(' and ')} filled to ${sizes.join(', ')} alert rows (HA duplicates, decisions, actions), against the empty store`,
    runs: 1,
    figures,
    ratios,
    goals,
    checks: ['every intake request 2xx', 'every reaction alert 202 and its scale write at the API server', 'every history GET 200'],
    notes: [
      'One run per size (filling 5M rows takes minutes); the empty store is the baseline of the same run.',
      'The retention pass runs in the benchmark process through a second store connection, as another replica would; for SQLite its write transactions make the service\'s writes wait (busy_timeout): "intakeMaxMsDuring" is what that cost intake.',
      'The machine is shared with other work (load average in the results): compare the ratios, not the absolute figures.',
    ],
  };
}

runIfMain(import.meta.url, run);
