/**
 * 5. Footprint: the built service (`node dist/autoremediator.mjs serve`, SQLite, no cluster
 * configured) — time from spawning the process to /readyz answering 200, and its RSS
 * when idle after start. Baseline, spawned the same way in the same run: a bare
 * `node -e` http server (time to its first 200, its idle RSS). Also breaks the RSS down:
 * what loading the service's modules costs, and each heavy dependency imported alone.
 */
import { join } from 'node:path';
import { REPO_ROOT } from './lib/paths.js';
import { freePort, memoryOf, spawnNode, waitFor200 } from './lib/processes.js';
import { check, runIfMain, type BenchContext, type BenchResult } from './lib/result.js';
import { startService } from './lib/service.js';
import { medianOf, ratio, round } from './lib/stats.js';

const IDLE_RSS_GOAL_MIB = 90;
const READY_GOAL_MS = 1000;
const SETTLED_SECONDS = 40;
const BARE_SERVER = "require('node:http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), '127.0.0.1')";
const HEAVY_DEPENDENCIES = ['@kubernetes/client-node', 'ioredis', 'axios', 'pg', 'express', 'zod'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sample {
  readyMs: number;
  idleRssMiB: number;
}

async function bareServer(settleMs: number): Promise<Sample> {
  const port = await freePort();
  const started = performance.now();
  const child = spawnNode(['-e', BARE_SERVER], { env: { PORT: String(port) } });
  try {
    const readyMs = await waitFor200(`http://127.0.0.1:${port}/`, 10_000, started, 2);
    await sleep(settleMs);
    return { readyMs, idleRssMiB: memoryOf(child.pid).rssMiB };
  } finally {
    await child.stop(5000);
  }
}

/**
 * RSS of one idle service sampled every second for `seconds` after /readyz: V8 keeps the heap it
 * grew while starting (its young generation especially) until its memory reducer runs, some
 * 20-30 s later, so the figure right after start is not what an idle service holds.
 */
async function settledRss(seconds: number): Promise<{ atSettleMiB: number; lastMiB: number; settledAfterS: number | null }> {
  const svc = await startService();
  try {
    const samples: number[] = [];
    const t0 = performance.now();
    for (let s = 1; s <= seconds; s++) {
      await sleep(Math.max(0, t0 + s * 1000 - performance.now()));
      samples.push(memoryOf(svc.child.pid).rssMiB);
    }
    const last = samples[samples.length - 1]!;
    // The first second from which RSS stays within 1 MiB of the last sample.
    let from = samples.length - 1;
    while (from > 0 && Math.abs(samples[from - 1]! - last) <= 1) from--;
    return { atSettleMiB: samples[1]!, lastMiB: last, settledAfterS: from + 1 < seconds ? from + 1 : null };
  } finally {
    try {
      await svc.stop();
    } finally {
      svc.remove();
    }
  }
}

async function service(settleMs: number): Promise<Sample> {
  const svc = await startService();
  try {
    await sleep(settleMs);
    return { readyMs: svc.readyMs, idleRssMiB: memoryOf(svc.child.pid).rssMiB };
  } finally {
    try {
      await svc.stop();
    } finally {
      svc.remove();
    }
  }
}

/** RSS of a node process that has only imported these modules (and held them), in MiB. */
async function rssAfterImport(specifiers: string[]): Promise<number> {
  const code = `${specifiers.map((s, i) => `const m${i} = await import(${JSON.stringify(s)});`).join(' ')} globalThis.keep = [${specifiers.map((_, i) => `m${i}`).join(', ')}]; process.stdout.write('LOADED\\n'); setInterval(() => {}, 1000);`;
  const child = spawnNode(['--input-type=module', '-e', code]);
  try {
    await child.waitForLine(/^LOADED$/, 15_000);
    await sleep(300);
    return memoryOf(child.pid).rssMiB;
  } finally {
    await child.stop(5000);
  }
}

export async function run(ctx: BenchContext): Promise<Omit<BenchResult, 'seconds'>> {
  const settleMs = ctx.quick ? 500 : 2000;
  const runs = ctx.runs;
  const bare: Sample[] = [];
  const svc: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    bare.push(await bareServer(settleMs));
    svc.push(await service(settleMs));
    ctx.log(`  footprint run ${i + 1}: service ready ${round(svc[i]!.readyMs)} ms, idle ${round(svc[i]!.idleRssMiB)} MiB; bare node ${round(bare[i]!.readyMs)} ms, ${round(bare[i]!.idleRssMiB)} MiB`);
  }
  const checks = [check(svc.every((s) => s.readyMs > 0 && s.idleRssMiB > 0), `the service reached /readyz 200 and stopped with exit code 0 in all ${runs} runs`)];

  // Where the idle RSS goes: bare node, + the service's modules, + each heavy dependency alone.
  const settled = ctx.quick ? null : await settledRss(SETTLED_SECONDS);
  if (settled) ctx.log(`  footprint idle for ${SETTLED_SECONDS} s: ${round(settled.atSettleMiB)} MiB at 2 s, ${round(settled.lastMiB)} MiB at ${SETTLED_SECONDS} s (steady from ${settled.settledAfterS ?? '-'} s)`);
  const nodeOnly = await rssAfterImport([]);
  const modules = await rssAfterImport([join(REPO_ROOT, 'dist', 'src', 'commands', 'serve.js')]);
  const perDependency: Record<string, number> = {};
  if (!ctx.quick) for (const dep of HEAVY_DEPENDENCIES) perDependency[dep] = round((await rssAfterImport([dep])) - nodeOnly);

  const ready = medianOf(svc, (s) => s.readyMs);
  const idle = medianOf(svc, (s) => s.idleRssMiB);
  const bareReady = medianOf(bare, (s) => s.readyMs);
  const bareIdle = medianOf(bare, (s) => s.idleRssMiB);
  return {
    name: 'footprint',
    title: 'Footprint: start to /readyz 200 and idle RSS of `node dist/autoremediator.mjs serve` (SQLite)',
    runs,
    figures: {
      readyMs: round(ready),
      idleRssMiB: round(idle),
      ...(settled ? { idleRssAfterMiB: { [`${SETTLED_SECONDS}s`]: round(settled.lastMiB), steadyFromSeconds: settled.settledAfterS } } : {}),
      baseline: { readyMs: round(bareReady), idleRssMiB: round(bareIdle) },
      rssBreakdownMiB: {
        nodeOnly: round(nodeOnly),
        serveModulesImportedUnbundled: round(modules),
        serviceRunningIdle: round(idle),
        ...(ctx.quick ? {} : { eachDependencyAloneOverNode: perDependency }),
      },
    },
    ratios: { readyOverBareNode: ratio(ready, bareReady), idleRssOverBareNode: ratio(idle, bareIdle) },
    goals: [
      { text: `idle RSS ≤ ${IDLE_RSS_GOAL_MIB} MiB`, met: idle <= IDLE_RSS_GOAL_MIB },
      { text: `ready ≤ ${READY_GOAL_MS} ms`, met: ready <= READY_GOAL_MS },
    ],
    checks,
    notes: [
      `Idle RSS is VmRSS ${settleMs} ms after /readyz first answered 200; readiness polled every 5 ms (the bare server every 2 ms).`,
      `idleRssAfterMiB: one more service left idle for ${SETTLED_SECONDS} s, RSS sampled each second: V8 keeps the heap it grew while starting until its memory reducer runs; steadyFromSeconds is the first second from which RSS stayed within 1 MiB of the last sample. The goal is checked on idleRssMiB, the figure right after start.`,
      'The breakdown is measured once per run of the suite (not a median): RSS of a node process that only imported the modules.',
      'serveModulesImportedUnbundled: the same code as the bundle the service runs, imported as the ~1,400 separate modules tsc emits (dist/src/commands/serve.js and what it imports): what bundling saves.',
    ],
  };
}

runIfMain(import.meta.url, run);
