/**
 * A port that cannot be bound ends the process, as people run it: exit 1 and one message
 * naming the address, the cause and what to do, never "listening" without a socket. The
 * service opens no store, and a second sandbox leaves the first one's kubeconfig and
 * database alone.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/fixtures.js';
import { describeWithBinaries, which } from '../helpers/binaries.js';
import { startCli } from '../helpers/process.js';

function occupy(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({ server, port: typeof a === 'object' && a ? a.port : 0 });
    });
  });
}

let dir: string;
let busy: { server: Server; port: number };
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'listen-'));
  busy = await occupy();
});
afterEach(async () => {
  await new Promise((r) => busy.server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const serveEnv = (port: number) => ({ PORT: String(port), HOST: '127.0.0.1', INSECURE_NO_AUTH: 'true', RULES_DIR: join(REPO_ROOT, 'rules'), DATABASE_URL: `sqlite:${join(dir, 'svc.db')}` });

test('serve on a port in use exits 1 naming the port and what to do, and opens no store', async () => {
  const cli = startCli(['serve'], serveEnv(busy.port));
  const { code } = await cli.exited;
  expect(code).toBe(1);
  expect(cli.output()).toContain(`cannot listen on 127.0.0.1:${busy.port}: the port is already in use (EADDRINUSE)`);
  expect(cli.output()).toMatch(/choose another port with PORT/);
  expect(cli.output()).not.toMatch(/autoremediator listening/);
  expect(existsSync(join(dir, 'svc.db'))).toBe(false);
});

// Binding below 1024 needs privileges: as root, the test drops to uid 65534 to see EACCES.
const asUnprivileged = (): string[] | null => {
  if (process.getuid?.() !== 0) return [];
  const setpriv = which('setpriv');
  return setpriv ? [setpriv, '--reuid=65534', '--regid=65534', '--clear-groups', '--'] : null;
};
const privileged = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim()) > 80;
(privileged && asUnprivileged() !== null ? test : test.skip)('serve on a privileged port without the privilege exits 1 with EACCES and what to do', () => {
  const prefix = asUnprivileged()!;
  const env = { ...serveEnv(80), DATABASE_URL: 'sqlite::memory:', PATH: process.env.PATH ?? '' };
  let out = '';
  let code = 0;
  try {
    execFileSync(prefix[0] ?? process.execPath, [...prefix.slice(1), ...(prefix.length ? [process.execPath] : []), join(REPO_ROOT, 'dist', 'autoremediator.mjs'), 'serve'], { env, encoding: 'utf8', stdio: 'pipe', timeout: 20_000 });
  } catch (err) {
    const e = err as { status: number; stderr: string; stdout: string };
    code = e.status;
    out = e.stdout + e.stderr;
  }
  expect(code).toBe(1);
  expect(out).toContain('cannot listen on 127.0.0.1:80: permission denied (EACCES)');
  expect(out).toMatch(/choose a port of 1024 or above with PORT/);
});

test('a second sandbox on a port in use exits 1 and overwrites neither the kubeconfig nor the database of the first', async () => {
  const data = join(dir, 'data');
  mkdirSync(data);
  // What a running sandbox left: its kubeconfig (with its tokens) and its store.
  writeFileSync(join(data, 'sandbox.kubeconfig'), 'the first sandbox kubeconfig\n');
  writeFileSync(join(data, 'sandbox.db'), 'the first sandbox database');
  const before = statSync(join(data, 'sandbox.kubeconfig')).mtimeMs;
  const cli = startCli(['sandbox', '--port', String(busy.port), '--data-dir', data, '--ready-delay', '100']);
  const { code } = await cli.exited;
  expect(code).toBe(1);
  expect(cli.output()).toContain(`autoremediator sandbox (the service) cannot listen on 127.0.0.1:${busy.port}: the port is already in use (EADDRINUSE)`);
  expect(cli.output()).toMatch(/choose another port with --port or PORT/);
  expect(cli.output()).not.toMatch(/SANDBOX_READY/);
  expect(readFileSync(join(data, 'sandbox.kubeconfig'), 'utf8')).toBe('the first sandbox kubeconfig\n');
  expect(statSync(join(data, 'sandbox.kubeconfig')).mtimeMs).toBe(before);
  expect(readFileSync(join(data, 'sandbox.db'), 'utf8')).toBe('the first sandbox database');
});

test('a sandbox whose simulated API port is taken exits 1 naming --api-port, and writes nothing', async () => {
  const data = join(dir, 'data');
  const cli = startCli(['sandbox', '--port', '0', '--api-port', String(busy.port), '--data-dir', data]);
  const { code } = await cli.exited;
  expect(code).toBe(1);
  expect(cli.output()).toContain(`the simulated API server) cannot listen on 127.0.0.1:${busy.port}: the port is already in use (EADDRINUSE)`);
  expect(cli.output()).toMatch(/--api-port/);
  expect(existsSync(data)).toBe(false);
});

describeWithBinaries({ prometheus: 'prometheus', 'prometheus-alertmanager': 'prometheus-alertmanager' }, 'the demo', () => {
  test('on a port in use exits 1 and leaves the running demo\'s directory alone', async () => {
    const data = join(dir, 'data');
    mkdirSync(join(data, 'demo'), { recursive: true });
    writeFileSync(join(data, 'demo', 'service.db'), 'the running demo');
    const cli = startCli(['sandbox', '--with-prometheus', '--port', String(busy.port), '--data-dir', data]);
    const { code } = await cli.exited;
    expect(code).toBe(1);
    expect(cli.output()).toContain(`autoremediator demo (the service) cannot listen on 127.0.0.1:${busy.port}: the port is already in use (EADDRINUSE)`);
    expect(readFileSync(join(data, 'demo', 'service.db'), 'utf8')).toBe('the running demo');
  });
});
