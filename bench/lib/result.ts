/**
 * What every benchmark returns, how it fails, and how a benchmark file runs on
 * its own (`npx tsx bench/intake.ts`).
 */
import { pathToFileURL } from 'node:url';

export interface BenchContext {
  /** BENCH_QUICK=1: a smoke run (one short run per figure), figures are not comparable. */
  quick: boolean;
  /** Measured runs per figure (≥ 3 unless quick). */
  runs: number;
  log(message: string): void;
}

export interface Goal {
  text: string;
  met: boolean;
}

export interface BenchResult {
  name: string;
  title: string;
  runs: number;
  /** Every figure, already the median over the runs unless named otherwise. */
  figures: Record<string, unknown>;
  /** Each figure against its baseline measured in the same run. */
  ratios: Record<string, number>;
  goals: Goal[];
  /** The correctness conditions that were checked (all held, or the benchmark threw). */
  checks: string[];
  notes: string[];
  seconds: number;
}

/** A broken correctness condition: the figures of this benchmark mean nothing. */
export class BenchFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchFailure';
  }
}

/** Throws BenchFailure unless cond holds; returns the description for the result's `checks`. */
export function check(cond: boolean, description: string, detail = ''): string {
  if (!cond) throw new BenchFailure(`${description}${detail ? ` (${detail})` : ''}`);
  return description;
}

export function contextFromEnv(log: (m: string) => void = (m) => process.stderr.write(`${m}\n`)): BenchContext {
  const quick = process.env.BENCH_QUICK === '1';
  const runs = quick ? 1 : Math.max(3, Number(process.env.BENCH_RUNS ?? 3) || 3);
  return { quick, runs, log };
}

/** When `moduleUrl` is the entry point, run the benchmark, print its result, exit 1 on failure. */
export function runIfMain(moduleUrl: string, run: (ctx: BenchContext) => Promise<Omit<BenchResult, 'seconds'>>): void {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  const started = performance.now();
  run(contextFromEnv()).then(
    (r) => {
      process.stdout.write(`${JSON.stringify({ ...r, seconds: (performance.now() - started) / 1000 }, null, 2)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`\nBENCHMARK FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
