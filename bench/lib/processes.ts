/**
 * Child processes for the benchmarks: the service (`node dist/autoremediator.mjs serve`) and
 * the baseline servers (TypeScript through tsx), each in its own process so that the
 * load generator in the parent does not share their CPU. Every wait is bounded; every
 * child started here is stopped by its pid when the parent exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

export interface Child {
  proc: ChildProcess;
  pid: number;
  /** Last lines of its output (bounded), for error messages. */
  tail(): string;
  /** Resolves with the first stdout line matching, or rejects on exit or after timeoutMs. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** SIGTERM, then SIGKILL after killAfterMs; resolves with how it ended. */
  stop(killAfterMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<void>;
}

export interface SpawnOptions {
  env?: Record<string, string | undefined>;
  /** Also append all output to this file (the service's log). */
  logFile?: string;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
}

const TAIL_LIMIT = 64 * 1024;

export function spawnNode(args: string[], opts: SpawnOptions = {}): Child {
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  if (proc.pid === undefined) throw new Error(`could not start node ${args.join(' ')}`);
  const log = opts.logFile ? createWriteStream(opts.logFile, { flags: 'a' }) : null;
  let tail = '';
  let pending = '';
  const watchers = new Set<(line: string) => void>();
  const onData = (d: Buffer) => {
    log?.write(d);
    const text = d.toString();
    tail = (tail + text).slice(-TAIL_LIMIT);
    if (watchers.size === 0) return;
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) for (const w of [...watchers]) w(line);
  };
  proc.stdout.on('data', onData);
  proc.stderr.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => {
      children.delete(proc);
      log?.end();
      resolve({ code, signal });
    }),
  );
  return {
    proc,
    pid: proc.pid,
    tail: () => tail.split('\n').slice(-40).join('\n'),
    exited,
    waitForLine(pattern, timeoutMs) {
      const seen = tail.split('\n').find((l) => pattern.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const done = (fn: () => void) => {
          clearTimeout(timer);
          watchers.delete(watch);
          fn();
        };
        const watch = (line: string) => {
          if (pattern.test(line)) done(() => resolve(line));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}; output:\n${tail.slice(-3000)}`))), timeoutMs);
        watchers.add(watch);
        void exited.then((e) => done(() => reject(new Error(`process exited (${e.code ?? e.signal}) before ${pattern}; output:\n${tail.slice(-3000)}`))));
      });
    },
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
    async stop(killAfterMs = 30_000) {
      const started = performance.now();
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
        const e = await exited;
        clearTimeout(timer);
        return { ...e, ms: performance.now() - started };
      }
      return { ...(await exited), ms: 0 };
    },
  };
}

/** A TypeScript entry point under bench/ run through tsx. */
export function spawnTs(file: string, args: string[] = [], opts: SpawnOptions = {}): Child {
  return spawnNode(['--import', 'tsx', join(REPO_ROOT, file), ...args], opts);
}

/** The built service as users run it: `node dist/autoremediator.mjs serve`, configured by env. */
export function spawnService(env: Record<string, string>, opts: Omit<SpawnOptions, 'env'> = {}): Child {
  return spawnNode([join(REPO_ROOT, 'dist', 'autoremediator.mjs'), 'serve'], { ...opts, env });
}

/** A free loopback port (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Poll GET url until it answers 200; resolves with the ms it took (from `since`, a performance.now()). */
export async function waitFor200(url: string, timeoutMs: number, since = performance.now(), intervalMs = 5): Promise<number> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return performance.now() - since;
    } catch {
      // not listening yet
    }
    if (performance.now() > until) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** VmRSS and VmHWM (peak RSS) of a live process, in MiB, from /proc/<pid>/status. */
export function memoryOf(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!m) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(m[1]);
  };
  return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
}

/** User + system CPU time a process has used so far, in ms (clock ticks of 10 ms). */
export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name: state is field 3, utime 14 and stime 15 (1-based) → indexes 11 and 12 here.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
