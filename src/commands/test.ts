/**
 * `autoremediator test <tests.yaml>…`: rules tested like code, in the spirit of `promtool test
 * rules`. Each test gives alerts (inline or a notification file), the cluster state (objects as
 * YAML, over the sandbox seed if asked), earlier actions with their times, Prometheus answers for
 * the rules' preconditions, a time, and the decisions expected: act with before → after, or skip
 * with a reason (and, if given, words the explanation must hold).
 *
 * Decisions come from the service's own Engine (match → precheck → read → decide → guards), on
 * a sandbox API server seeded with the test's objects, an in-memory store holding its history and
 * a clock stopped at its time: no second implementation of a decision. Output and exit code as
 * promtool's: `Unit Testing: <file>` then SUCCESS, or FAILED with, per failing test, what was
 * expected and what was got; exit 1 when any test failed or a file is not a valid test file
 * (its errors name the file, the key and the line).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { KubeCluster } from '../actions/kube-cluster.js';
import { createRedisConnector } from '../actions/redis-connector.js';
import type { Decision, StateFields } from '../domain/decision.js';
import { SKIP_REASONS } from '../domain/decision.js';
import { targetKey } from '../domain/target.js';
import { parseNotification } from '../http/intake.js';
import { loadConfig } from '../config/config.js';
import { KubeClient } from '../kube/client.js';
import { parseDuration } from '../platform/duration.js';
import { silentLogger } from '../platform/logger.js';
import { createMetrics } from '../platform/metrics.js';
import { Engine, type AlertInput } from '../remediation/engine.js';
import { formatRuleError } from '../rule-table/errors.js';
import { loadRuleFiles } from '../rule-table/loader.js';
import type { RuleTable } from '../rule-table/rule.js';
import { loadSeed, startSandboxApi, type KubeObject } from '../sandbox/index.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { noValidation } from '../validation/port.js';
import type { MetricsSource, QueryResult } from '../validation/prometheus.js';

const labels = z.record(z.string(), z.string());
const fields = z.record(z.string(), z.union([z.number(), z.string(), z.null()]));
/** An instant: RFC 3339, or before the test's time as `-5m`. */
const instant = z.string().min(1);
const targetSchema = z.strictObject({ apiVersion: z.string().min(1), kind: z.string().min(1), namespace: z.string().min(1), name: z.string().min(1) });

const alertSchema = z.strictObject({
  labels,
  annotations: labels.default({}),
  status: z.enum(['firing', 'resolved']).default('firing'),
  startsAt: instant.optional(),
});

const historySchema = z.strictObject({
  rule: z.string().min(1),
  target: targetSchema,
  at: instant,
  before: fields,
  after: fields,
  /** What became of it: a succeeded change, one rolled back, one still validating … */
  phase: z.enum(['succeeded', 'rolled_back', 'failed', 'validating', 'applying']).default('succeeded'),
  origin: z.enum(['alert', 'restore']).default('alert'),
});

const expectSchema = z
  .strictObject({
    /** Which alert of the test (0-based); default: each expectation in turn, in the order the decisions come. */
    rule: z.string().min(1).nullable(),
    act: z.strictObject({ before: fields, after: fields }).optional(),
    skip: z.enum(SKIP_REASONS).optional(),
    /** Words the explanation must contain. */
    explanation: z.string().optional(),
  })
  .refine((e) => (e.act === undefined) !== (e.skip === undefined), { message: 'give exactly one of act (before → after) or skip (a reason)', path: ['act'] });

const testSchema = z
  .strictObject({
    name: z.string().min(1),
    at: z.string().min(1),
    settings: z
      .strictObject({
        dryRun: z.boolean().default(false),
        allowedNamespaces: z.union([z.literal('*'), z.array(z.string())]).default('*'),
      })
      .default({ dryRun: false, allowedNamespaces: '*' }),
    cluster: z.strictObject({ seed: z.string().optional(), objects: z.array(z.record(z.string(), z.unknown())).default([]) }).default({ objects: [] }),
    history: z.array(historySchema).default([]),
    prometheus: z.array(z.strictObject({ query: z.string().min(1), value: z.number().nullable() })).default([]),
    alerts: z.array(alertSchema).optional(),
    notification: z.string().optional(),
    expect: z.array(expectSchema),
  })
  .refine((t) => (t.alerts === undefined) !== (t.notification === undefined), { message: 'give exactly one of alerts (inline) or notification (a webhook body file)', path: ['alerts'] });

const fileSchema = z.strictObject({ ruleFiles: z.array(z.string().min(1)).min(1), tests: z.array(testSchema).min(1) });

type TestSpec = z.infer<typeof testSchema>;
type Expectation = z.infer<typeof expectSchema>;

/** One failing expectation: what was expected, what was got. */
interface Mismatch {
  where: string;
  exp: string;
  got: string;
}

export interface FileResult {
  file: string;
  /** Errors that made the file unusable (nothing was run). */
  errors: string[];
  tests: Array<{ name: string; mismatches: Mismatch[] }>;
}

/** Where a key path is in the YAML: ` (line L, column C)`, or the nearest parent's. */
function position(doc: Document, lines: LineCounter, path: readonly PropertyKey[]): string {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) {
      const { line, col } = lines.linePos(node.range[0]);
      return ` (line ${line}, column ${col})`;
    }
  }
  return '';
}

function keyPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

/** Parse and validate a test file; every error names the file, the key and the line. */
export function parseTestFile(file: string, text: string): { ok: true; value: z.infer<typeof fileSchema> } | { ok: false; errors: string[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const { line, col } = lines.linePos(e.pos[0]);
        return `${file}: line ${line}, column ${col}: ${e.message}`;
      }),
    };
  }
  const parsed = fileSchema.safeParse(doc.toJS({ maxAliasCount: 10_000 }));
  if (!parsed.success) {
    return { ok: false, errors: parsed.error.issues.map((i) => `${file}: ${keyPath(i.path) || '(top)'}: ${i.message}${position(doc, lines, i.path)}`) };
  }
  const errors: string[] = [];
  parsed.data.tests.forEach((t, i) => {
    const at = (...p: PropertyKey[]): string => `${file}: ${keyPath(['tests', i, ...p])}`;
    const pos = (...p: PropertyKey[]): string => position(doc, lines, ['tests', i, ...p]);
    if (Number.isNaN(Date.parse(t.at))) errors.push(`${at('at')}: "${t.at}" is not an RFC 3339 time (2026-12-06T06:00:00Z)${pos('at')}`);
    t.history.forEach((h, k) => {
      if (instantOf(h.at, new Date(0)) === null) errors.push(`${at('history', k, 'at')}: "${h.at}" is neither an RFC 3339 time nor a duration before the test's time (-5m)${pos('history', k, 'at')}`);
    });
    t.cluster.objects.forEach((o, k) => {
      const meta = o.metadata as Record<string, unknown> | undefined;
      if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || typeof meta?.name !== 'string') {
        errors.push(`${at('cluster', 'objects', k)}: not a Kubernetes object (apiVersion, kind and metadata.name are required)${pos('cluster', 'objects', k)}`);
      }
    });
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: parsed.data };
}

/** RFC 3339, or `-<duration>` before `now`; null when neither. */
function instantOf(text: string, now: Date): Date | null {
  if (text.startsWith('-')) {
    const ms = parseDuration(text.slice(1));
    return ms === null ? null : new Date(now.getTime() - ms);
  }
  const t = Date.parse(text);
  return Number.isNaN(t) ? null : new Date(t);
}

const normalize = (q: string): string => q.replace(/\s+/g, ' ').trim();

/** Prometheus as the test says it answers: each query (as rendered, whitespace aside) with its value. */
class GivenAnswers implements MetricsSource {
  private readonly answers: Map<string, number | null>;
  constructor(list: TestSpec['prometheus']) {
    this.answers = new Map(list.map((a) => [normalize(a.query), a.value]));
  }
  query(promql: string): Promise<QueryResult> {
    const q = normalize(promql);
    if (!this.answers.has(q)) return Promise.resolve({ ok: false, error: `the test gives no value for this query (prometheus: - query: '${q}')` });
    const v = this.answers.get(q)!;
    return Promise.resolve(v === null ? { ok: false, error: 'the query returned no data (empty vector)' } : { ok: true, value: v });
  }
}

async function seedHistory(store: Store, t: TestSpec, now: Date): Promise<void> {
  for (const h of t.history) {
    const at = instantOf(h.at, now)!;
    const target = h.target;
    const rem = await store.createRemediation({
      alertId: null,
      decision: { outcome: 'act', rule: h.rule, target, action: 'scale', before: h.before, after: h.after, explanation: 'from the test\'s history', facts: {} },
      target,
      targetKey: targetKey(target),
      phase: 'planned',
      dryRun: false,
      origin: h.origin,
      snapshot: null,
      at,
      note: 'history',
    });
    const path: Record<typeof h.phase, Array<Parameters<Store['transitionRemediation']>[2]>> = {
      applying: ['applying'],
      validating: ['applying', 'validating'],
      succeeded: ['applying', 'validating', 'succeeded'],
      rolled_back: ['applying', 'validating', 'rolling_back', 'rolled_back'],
      failed: ['applying', 'failed'],
    };
    let from = rem.phase;
    for (const to of path[h.phase]) {
      await store.transitionRemediation(rem.id, from, to, { note: 'history' }, at);
      from = to;
    }
  }
}

async function alertsOf(t: TestSpec, baseDir: string, now: Date): Promise<AlertInput[]> {
  if (t.notification !== undefined) {
    const body = parseNotification(await readFile(resolve(baseDir, t.notification)), { maxAlertsPerNotification: 10_000, maxLabelsPerAlert: 1000 });
    return body.alerts.map((a) => ({ id: null, ...a }));
  }
  return (t.alerts ?? []).map((a) => {
    const fingerprint = createHash('sha256').update(JSON.stringify(Object.entries(a.labels).sort())).digest('hex').slice(0, 16);
    const startsAt = a.startsAt !== undefined ? (instantOf(a.startsAt, now) ?? now).toISOString() : now.toISOString();
    return { id: null, status: a.status, labels: a.labels, annotations: a.annotations, startsAt, fingerprint };
  });
}

/** Decide a test's alerts with the service's engine, against its cluster, history, answers and time. */
async function decideTest(t: TestSpec, table: RuleTable, baseDir: string): Promise<Array<{ alert: number; alertname: string; decision: Decision }>> {
  const now = new Date(t.at);
  const seed: KubeObject[] = t.cluster.seed === undefined ? [] : loadSeed(t.cluster.seed === 'reference' ? undefined : resolve(baseDir, t.cluster.seed));
  const objects = [...seed, ...(t.cluster.objects as unknown as KubeObject[])];
  // Controllers run once at start (pods of the workloads, quota usage), then not again: the state is the test's.
  // Decisions are recorded and acts applied to this throwaway cluster, in order, as the service would:
  // a second alert of the same notification meets the first one's cooldown.
  const api = await startSandboxApi({ seed: objects, clock: () => now, tickMs: 2 ** 31 - 1, readyDelayMs: 0, onControllerError: () => {} });
  const store = await openStore(':memory:');
  const config = loadConfig({ ...process.env, INSECURE_NO_AUTH: 'true' });
  try {
    await seedHistory(store, t, now);
    const engine = new Engine({
      store,
      rules: () => table,
      cluster: new KubeCluster(new KubeClient(api.kubeConfig()), createRedisConnector(), { now: () => now }, silentLogger),
      prometheus: new GivenAnswers(t.prometheus),
      validator: noValidation,
      clock: { now: () => now },
      logger: silentLogger,
      metrics: createMetrics(false),
      // The service's defaults for what the test does not say (budgets, breaker: the environment's variables, else their defaults).
      settings: { dryRun: t.settings.dryRun, allowedNamespaces: t.settings.allowedNamespaces, budgets: config.budgets },
      queueCapacity: 1,
      concurrency: 1,
      instanceId: 'test',
      breaker: config.breaker,
    });
    const out: Array<{ alert: number; alertname: string; decision: Decision }> = [];
    const alerts = await alertsOf(t, baseDir, now);
    for (const [i, alert] of alerts.entries()) {
      for (const { decision } of await engine.evaluate(alert, { record: true, origin: 'alert', awaitValidation: true })) out.push({ alert: i, alertname: alert.labels.alertname ?? '', decision });
    }
    return out;
  } finally {
    await store.close();
    await api.close();
  }
}

const showFields = (before: StateFields, after: StateFields): string =>
  [...new Set([...Object.keys(before), ...Object.keys(after)])].map((k) => `${k} ${JSON.stringify(before[k] ?? null)} → ${JSON.stringify(after[k] ?? null)}`).join(', ');

function showExpected(e: Expectation): string {
  const head = e.act ? `act ${showFields(e.act.before, e.act.after)}` : `skip ${e.skip}`;
  return `rule ${e.rule ?? '(none)'}: ${head}${e.explanation !== undefined ? `, explanation containing ${JSON.stringify(e.explanation)}` : ''}`;
}

function showGot(d: Decision): string {
  const head = d.outcome === 'act' ? `act ${showFields(d.before, d.after)}` : `skip ${d.reason}`;
  return `rule ${d.rule ?? '(none)'}: ${head}: ${d.explanation}`;
}

const sameFields = (a: StateFields, b: StateFields): boolean => {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => (a[k] ?? null) === (b[k] ?? null));
};

/** Compare the decisions got with those expected, in order. */
export function compareDecisions(expected: readonly Expectation[], got: ReadonlyArray<{ alert: number; alertname: string; decision: Decision }>): Mismatch[] {
  const out: Mismatch[] = [];
  for (let i = 0; i < Math.max(expected.length, got.length); i++) {
    const e = expected[i];
    const g = got[i];
    const where = g ? `decision ${i + 1} (alert ${g.alert + 1}, ${g.alertname})` : `decision ${i + 1}`;
    if (!e) {
      out.push({ where, exp: '(no more decisions)', got: showGot(g!.decision) });
      continue;
    }
    if (!g) {
      out.push({ where, exp: showExpected(e), got: '(no decision)' });
      continue;
    }
    const d = g.decision;
    const ok =
      d.rule === e.rule &&
      (e.act ? d.outcome === 'act' && sameFields(d.before, e.act.before) && sameFields(d.after, e.act.after) : d.outcome === 'skip' && d.reason === e.skip) &&
      (e.explanation === undefined || d.explanation.includes(e.explanation));
    if (!ok) out.push({ where, exp: showExpected(e), got: showGot(d) });
  }
  return out;
}

/** Run one test file; never throws for a bad file (its errors are in the result). */
export async function runTestFile(file: string): Promise<FileResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { file, errors: [`${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`], tests: [] };
  }
  const parsed = parseTestFile(file, text);
  if (!parsed.ok) return { file, errors: parsed.errors, tests: [] };
  const baseDir = dirname(file);
  const loaded = await loadRuleFiles(parsed.value.ruleFiles.map((f) => resolve(baseDir, f)));
  if (!loaded.ok) return { file, errors: loaded.errors.map((e) => `${file}: ruleFiles: ${formatRuleError(e)}`), tests: [] };
  const result: FileResult = { file, errors: [], tests: [] };
  for (const [i, t] of parsed.value.tests.entries()) {
    try {
      const got = await decideTest(t, loaded.table, baseDir);
      result.tests.push({ name: t.name, mismatches: compareDecisions(t.expect, got) });
    } catch (err) {
      result.errors.push(`${file}: tests[${i}] (${t.name}): ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return result;
}

/** promtool's layout: `Unit Testing:  <file>`, then SUCCESS, or FAILED: and each failing test. */
export function formatResults(results: readonly FileResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    out.push(`Unit Testing:  ${r.file}`);
    const failed = r.tests.filter((t) => t.mismatches.length > 0);
    if (r.errors.length === 0 && failed.length === 0) {
      out.push(`  SUCCESS (${r.tests.length} test${r.tests.length === 1 ? '' : 's'})`, '');
      continue;
    }
    out.push('  FAILED:');
    for (const e of r.errors) out.push(`    ${e}`);
    for (const t of failed) {
      out.push(`    ${t.name}:`);
      for (const m of t.mismatches) out.push(`      ${m.where}:`, `        exp: ${m.exp}`, `        got: ${m.got}`);
    }
    out.push('');
  }
  return `${out.join('\n')}`;
}

export async function runTests(files: readonly string[]): Promise<number> {
  const results: FileResult[] = [];
  for (const f of files) results.push(await runTestFile(f));
  process.stdout.write(formatResults(results));
  return results.every((r) => r.errors.length === 0 && r.tests.every((t) => t.mismatches.length === 0)) ? 0 : 1;
}
