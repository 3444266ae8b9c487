/**
 * The runtime image holds only what the bundle loads (Dockerfile, last stage). Docker cannot
 * run here, so the test lays out a directory exactly as the runtime stage's COPY instructions
 * do, from this checkout's build (dist/) and node_modules, outside any other node_modules, and
 * runs the service and the sandbox from it: a file the bundle needs and the image lacks fails
 * them.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { REPO_ROOT } from './manifests.js';

/** The runtime stage's COPY instructions as (source in this checkout, destination in the image's /app). */
function runtimeCopies(): Array<{ from: string; to: string }> {
  const text = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const runtime = text.slice(text.lastIndexOf('\nFROM '));
  const out: Array<{ from: string; to: string }> = [];
  for (const line of runtime.split('\n')) {
    const m = /^COPY\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const words = m[1]!.split(/\s+/);
    const stage = words.find((w) => w.startsWith('--from='))?.slice('--from='.length) ?? null;
    const paths = words.filter((w) => !w.startsWith('--'));
    const dest = paths.pop()!;
    for (const src of paths) {
      // deps and build run in /app of the same checkout: /app/x is ./x here (the build's dist/ is this checkout's).
      const local = stage ? src.replace(/^\/app\//, '') : src.replace(/^\.\//, '');
      const to = dest.endsWith('/') ? join(dest, basename(local)) : dest;
      out.push({ from: join(REPO_ROOT, local), to: to.replace(/^\.\//, '') });
    }
  }
  return out;
}

function layOut(root: string): void {
  for (const { from, to } of runtimeCopies()) {
    const dest = join(root, to);
    mkdirSync(dirname(dest), { recursive: true });
    cpSync(from, dest, { recursive: statSync(from).isDirectory() });
  }
}

function run(
  root: string,
  args: string[],
  env: Record<string, string>,
  until: RegExp,
  onMatch: (out: string) => Promise<void> = () => Promise.resolve(),
  timeoutMs = 20_000,
): Promise<{ out: string; matched: boolean; code: number | null }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [join(root, 'dist', 'autoremediator.mjs'), ...args], { cwd: root, env: { PATH: process.env.PATH, HOME: root, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let matched = false;
    const timer = setTimeout(() => proc.kill('SIGTERM'), timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (!matched && until.test(out)) {
        matched = true;
        void onMatch(out).finally(() => proc.kill('SIGTERM'));
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ out, matched, code });
    });
  });
}

describe('the runtime image layout', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'runtime-layout-'));
    layOut(root);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test('holds the bundle and better-sqlite3, not the whole node_modules', () => {
    expect(statSync(join(root, 'dist', 'autoremediator.mjs')).isFile()).toBe(true);
    expect(statSync(join(root, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node')).isFile()).toBe(true);
    for (const bundled of ['express', 'axios', 'pg', '@kubernetes', 'commander', 'prom-client']) expect(() => statSync(join(root, 'node_modules', bundled))).toThrow(/ENOENT/);
  });

  test('--version runs from it', async () => {
    const r = await run(root, ['--version'], {}, /revision/);
    expect(r.out).toMatch(/^\d+\.\d+\.\d+ \(revision \S+, Node\.js v\d+/);
  });

  test('serve starts on SQLite from it and answers /healthz and /metrics', async () => {
    const answers: Record<string, number | string> = {};
    const r = await run(root, ['serve'], { PORT: '0', HOST: '127.0.0.1', INSECURE_NO_AUTH: 'true', DATABASE_URL: `sqlite:${join(root, 'data', 'db')}`, RULES_DIR: './rules' }, /autoremediator listening.*\n/, async (out) => {
      const url = (JSON.parse(out.split('\n').find((l) => l.includes('autoremediator listening'))!) as { url: string }).url;
      answers.healthz = (await fetch(`${url}/healthz`)).status;
      answers.metrics = await (await fetch(`${url}/metrics`)).text();
      // The status page and its assets (dist/assets/, beside the bundle).
      answers.page = (await fetch(`${url}/`)).status;
      for (const f of ['status.js', 'status.css', 'uPlot.iife.min.js', 'uPlot.min.css']) answers[f] = (await fetch(`${url}/status/assets/${f}`)).status;
    });
    expect(r.matched).toBe(true);
    expect(r.out).toMatch(/"store":"sqlite"/);
    expect(r.out).not.toMatch(/Cannot find (module|package)/);
    expect(answers.healthz).toBe(200);
    expect(answers).toMatchObject({ page: 200, 'status.js': 200, 'status.css': 200, 'uPlot.iife.min.js': 200, 'uPlot.min.css': 200 });
    expect(answers.metrics).toMatch(/^autoremediator_build_info\{version="[^"]+",revision="[^"]+",node="v\d+/m);
  });

  test('the sandbox starts from it (the seed YAML is there)', async () => {
    const r = await run(root, ['sandbox', '--port', '0', '--data-dir', join(root, 'sandbox-data'), '--ready-delay', '100'], {}, /SANDBOX_READY/);
    expect(r.matched).toBe(true);
    expect(r.out).not.toMatch(/ENOENT|Cannot find/);
  });
});
