/**
 * How the validation queries reach Prometheus (or Thanos, Mimir, Cortex, VictoriaMetrics)
 * when it is not open: a bearer token (given, or read from a file that is re-read when it
 * changes, as projected ServiceAccount tokens rotate), basic auth, a CA bundle or
 * skip-verify for TLS, and extra headers (X-Scope-OrgID for a tenant). Parsed from the
 * environment by config.ts; applied per request by PrometheusSource.
 */
import { readFile, stat } from 'node:fs/promises';

export type PrometheusAuth =
  | { kind: 'none' }
  | { kind: 'bearer'; token: string }
  | { kind: 'bearer-file'; file: string }
  | { kind: 'basic'; user: string; password: string };

export interface PrometheusClientOptions {
  auth: PrometheusAuth;
  /** PEM of the CA(s) that sign Prometheus' certificate (PROMETHEUS_CA_FILE), read at start. */
  ca: string | null;
  insecureSkipVerify: boolean;
  /** Sent with every query (PROMETHEUS_HEADERS). */
  headers: Readonly<Record<string, string>>;
}

export const NO_CLIENT_OPTIONS: PrometheusClientOptions = { auth: { kind: 'none' }, ca: null, insecureSkipVerify: false, headers: {} };

/** Headers that the auth options set, or that the HTTP client owns: not settable through PROMETHEUS_HEADERS. */
const RESERVED_HEADERS = new Set(['authorization', 'host', 'content-length', 'content-type', 'connection', 'transfer-encoding']);
const TOKEN_CHARS = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * PROMETHEUS_HEADERS: `Name=value` pairs separated by commas, e.g. `X-Scope-OrgID=team-a`.
 * Returns the headers, or the problems (each naming the variable and the pair's position).
 */
export function parseHeaders(value: string, variable = 'PROMETHEUS_HEADERS'): { ok: true; headers: Record<string, string> } | { ok: false; problems: string[] } {
  const headers: Record<string, string> = {};
  const problems: string[] = [];
  const pairs = value.split(',').map((p) => p.trim()).filter((p) => p !== '');
  pairs.forEach((pair, i) => {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq).trim();
    const v = eq < 0 ? '' : pair.slice(eq + 1).trim();
    const where = `${variable}: pair ${i + 1} ("${pair}")`;
    if (eq <= 0 || v === '') problems.push(`${where}: must be Name=value, e.g. X-Scope-OrgID=team-a`);
    else if (!TOKEN_CHARS.test(name)) problems.push(`${where}: "${name}" is not a header name`);
    else if (RESERVED_HEADERS.has(name.toLowerCase())) problems.push(`${where}: ${name} cannot be set here${name.toLowerCase() === 'authorization' ? ' (use PROMETHEUS_BEARER_TOKEN, PROMETHEUS_BEARER_TOKEN_FILE or PROMETHEUS_BASIC_AUTH)' : ''}`);
    else if (/[\r\n\0]/.test(v)) problems.push(`${where}: the value holds a control character`);
    else if (Object.keys(headers).some((k) => k.toLowerCase() === name.toLowerCase())) problems.push(`${where}: ${name} is given twice`);
    else headers[name] = v;
  });
  return problems.length ? { ok: false, problems } : { ok: true, headers };
}

/**
 * A token file read again only when it changed (inode, size or mtime: kubelet swaps a
 * projected token in through a symlink). A file that cannot be read is an error for the
 * query at hand, not for the process.
 */
export class TokenFile {
  private seen = '';
  private token = '';

  constructor(readonly file: string) {}

  async read(): Promise<string> {
    const st = await stat(this.file);
    const key = `${st.ino}:${st.size}:${st.mtimeMs}`;
    if (key !== this.seen) {
      const token = (await readFile(this.file, 'utf8')).trim();
      if (token === '') throw new Error(`${this.file} is empty`);
      this.token = token;
      this.seen = key;
    }
    return this.token;
  }
}
