/**
 * `npm run bench` — builds dist/ when it is missing or older than src/, runs the five
 * benchmarks (or those named: `npm run bench -- intake storm`), and writes
 * bench/results/latest.json and latest.md (quick.* for BENCH_QUICK=1, partial.* for
 * a subset). Exits 1, loudly, when a benchmark's
 * correctness conditions break. BENCH_QUICK=1: a smoke run (< 1 min), one short run
 * per figure; BENCH_RUNS=n: more measured runs (default 3).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { run as footprint } from './footprint.js';
import { run as intake } from './intake.js';
import { REPO_ROOT, RESULTS_DIR } from './lib/paths.js';
import { machine, markdown, type Suite } from './lib/report.js';
import { contextFromEnv, type BenchContext, type BenchResult } from './lib/result.js';
import { run as reaction } from './reaction.js';
import { run as ruleTable } from './rule-table.js';
import { run as scale } from './scale.js';
import { run as soak } from './soak.js';
import { run as storm } from './storm.js';

const BENCHMARKS: Record<string, (ctx: BenchContext) => Promise<Omit<BenchResult, 'seconds'>>> = {
  intake,
  reaction,
  storm,
  'rule-table': ruleTable,
  footprint,
};

/** Long ones, run only when named (`npm run bench -- soak`): not part of a full run's latest.*. */
const LONG: Record<string, (ctx: BenchContext) => Promise<Omit<BenchResult, 'seconds'>>> = {
  soak,
  scale,
};
const ALL = { ...BENCHMARKS, ...LONG };

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** The benchmarks spawn `node dist/autoremediator.mjs serve` (what users run): build it when it is missing or stale. */
function ensureBuilt(log: (m: string) => void): void {
  const cli = join(REPO_ROOT, 'dist', 'autoremediator.mjs');
  if (existsSync(cli) && statSync(cli).mtimeMs >= newestMtime(join(REPO_ROOT, 'src'))) return;
  log('dist/ is missing or older than src/: npm run build');
  const r = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed');
}

async function main(): Promise<number> {
  const loadAtStart = Math.round(loadavg()[0]! * 100) / 100;
  const ctx = contextFromEnv((m) => process.stderr.write(`${m}\n`));
  const names = process.argv.slice(2);
  const unknown = names.filter((n) => !(n in ALL));
  if (unknown.length) {
    process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; choose from ${Object.keys(ALL).join(', ')}\n`);
    return 2;
  }
  const selected = names.length ? names : Object.keys(BENCHMARKS);
  const started = performance.now();
  ensureBuilt((m) => ctx.log(m));
  const suite: Suite = { machine: machine(loadAtStart), quick: ctx.quick, totalSeconds: 0, results: [], failures: [] };
  for (const name of selected) {
    ctx.log(`\n== ${name}${ctx.quick ? ' (BENCH_QUICK=1)' : ''}, ${ctx.runs} run(s)`);
    const t = performance.now();
    try {
      const r = await ALL[name]!(ctx);
      suite.results.push({ ...r, seconds: (performance.now() - t) / 1000 });
      for (const g of r.goals) ctx.log(`   goal ${g.met ? 'met   ' : 'MISSED'}: ${g.text}`);
    } catch (err) {
      const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
      suite.failures.push({ name, error });
      ctx.log(`\n!!! ${name} FAILED: ${error}\n`);
    }
    ctx.log(`   ${name}: ${Math.round((performance.now() - t) / 1000)} s`);
  }
  suite.totalSeconds = (performance.now() - started) / 1000;
  suite.machine = machine(loadAtStart);
  // Only a full run of all five replaces latest.*; smoke runs and subsets go beside it.
  // A subset made only of long benchmarks is written under their names (soak.*), so it survives the next subset.
  const onlyLong = names.length > 0 && names.every((n) => n in LONG);
  const file = ctx.quick ? (onlyLong ? `${names.join('+')}-quick-suite` : 'quick') : onlyLong ? `${names.join('+')}-suite` : names.length ? 'partial' : 'latest';
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${file}.json`), `${JSON.stringify(suite, null, 2)}\n`);
  writeFileSync(join(RESULTS_DIR, `${file}.md`), markdown(suite));
  ctx.log(`\nwrote bench/results/${file}.json and ${file}.md (${Math.round(suite.totalSeconds)} s in total)`);
  if (suite.failures.length) {
    ctx.log(`\n!!! ${suite.failures.length} benchmark(s) FAILED their correctness checks: ${suite.failures.map((f) => f.name).join(', ')}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`\n!!! bench/run.ts: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
