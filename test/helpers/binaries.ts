/**
 * Real binaries in tests (Prometheus, Alertmanager, kubectl). A test that needs
 * an absent binary skips with a message saying what to install, except in CI
 * (CI=true), where it fails: CI must run it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export function which(bin: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/**
 * `describe` when every binary is there; otherwise `describe.skip` with a message
 * naming the Debian packages, or a failing test when CI=true.
 */
export function describeWithBinaries(bins: Record<string, string>, name: string, fn: () => void): void {
  const missing = Object.entries(bins).filter(([bin]) => !which(bin));
  if (missing.length === 0) {
    describe(name, fn);
    return;
  }
  const packages = [...new Set(missing.map(([, pkg]) => pkg))].join(' ');
  const message = `${name}: needs ${missing.map(([b]) => b).join(', ')}; install with: apt-get install -y ${packages}`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      test('required binaries are installed (CI=true)', () => {
        throw new Error(message);
      });
    });
    return;
  }
  console.warn(`SKIPPED ${message}`);
  describe.skip(name, fn);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
    s.once('error', reject);
  });
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15_000, everyMs = 100): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface RunningBinary {
  url: string;
  port: number;
  dir: string;
  proc: ChildProcess;
  log: () => string;
  stop(): Promise<void>;
}

/** Start a server binary on 127.0.0.1 (a free port, or the one given) in its own temp dir; stopped by its pid. */
export async function startBinary(
  bin: string,
  args: (dir: string, port: number) => string[],
  files: Record<string, string>,
  readyPath: string,
  opts: { port?: number; readyTimeoutMs?: number } = {},
): Promise<RunningBinary> {
  const dir = mkdtempSync(join(tmpdir(), `${basename(bin)}-`)); // bin may be a path (a built component)
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const port = opts.port ?? (await freePort());
  const proc = spawn(bin, args(dir, port), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(`${bin} at ${url}${readyPath}`, async () => (await fetch(`${url}${readyPath}`)).ok, opts.readyTimeoutMs ?? 20_000);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${output.slice(-2000)}`);
  }
  return { url, port, dir, proc, log: () => output, stop };
}

/** Prometheus with a config of our own (scrape targets, rule files, Alertmanagers). */
export function startPrometheus(config: string, extraFiles: Record<string, string> = {}, extraArgs: string[] = []): Promise<RunningBinary> {
  return startBinary(
    'prometheus',
    (dir, port) => [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.external-url=http://127.0.0.1:${port}`,
      '--rules.alert.resend-delay=1s',
      ...extraArgs,
    ],
    { 'prometheus.yml': config, ...extraFiles },
    '/-/ready',
  );
}
