/**
 * A real Prometheus 3 (built from its Go module: component `prometheus`) that demands basic auth
 * and/or serves TLS through its --web.config.file, and the certificates for it from a CA the
 * test makes with the openssl CLI. Prometheus' web config cannot demand a bearer token or a
 * header: tests that need those put a proxy of their own in front, and say so.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './binaries.js';
import { componentPath } from './components.js';

/** `htpasswd -nbBC 10 validator prometheus-basic-secret-1` (apache2-utils): Prometheus takes bcrypt hashes only. */
export const PROMETHEUS_USER = 'validator';
export const PROMETHEUS_PASSWORD = 'prometheus-basic-secret-1';
export const PROMETHEUS_PASSWORD_HASH = '$2y$10$izDX0.jBgrlhiH8Z6q0q5uv6C7Vhqm3shyfZ3Rz98dWDG2tqjbaFy';

export interface WebPrometheus {
  port: number;
  stop(): Promise<void>;
  log(): string;
}

export interface Certificates {
  caCrt: string;
  serverCrt: string;
  serverKey: string;
}

/** A CA and a server certificate for 127.0.0.1 signed by it, made with the openssl CLI in `dir`. */
export function certificates(dir: string): Certificates {
  mkdirSync(dir, { recursive: true });
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=autoremediator test CA');
  ssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '1', '-extfile', 'san.ext');
  return { caCrt: join(dir, 'ca.crt'), serverCrt: join(dir, 'server.crt'), serverKey: join(dir, 'server.key') };
}

/** The web config demanding basic auth (PROMETHEUS_USER), TLS with these certificates, or both. */
export function webConfig(opts: { basicAuth?: boolean; tls?: Certificates }): string {
  const lines: string[] = [];
  if (opts.tls) lines.push('tls_server_config:', `  cert_file: ${opts.tls.serverCrt}`, `  key_file: ${opts.tls.serverKey}`);
  if (opts.basicAuth) lines.push('basic_auth_users:', `  ${PROMETHEUS_USER}: ${PROMETHEUS_PASSWORD_HASH}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Prometheus 3 with this web config in its own directory (`dir`), on a free loopback port;
 * stopped by its pid. Readiness is the caller's to check (it needs the credentials).
 */
export async function startWebPrometheus(dir: string, web: string, bin = componentPath('prometheus')): Promise<WebPrometheus> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1m\n');
  writeFileSync(join(dir, 'web.yml'), web);
  const port = await freePort();
  const proc: ChildProcess = spawn(
    bin,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, `--web.config.file=${join(dir, 'web.yml')}`],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  return {
    port,
    log: () => output,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}
