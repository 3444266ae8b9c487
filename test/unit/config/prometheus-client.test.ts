/** PROMETHEUS_* client options: parsed once at start, every problem naming its variable. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../../src/config/config.js';
import { parseHeaders } from '../../../src/validation/prometheus-client.js';

const BASE = { INSECURE_NO_AUTH: 'true' };
const URL_ = 'https://prometheus.monitoring.svc:9090';
let dir: string;
let caFile: string;
let tokenFile: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'prom-config-'));
  caFile = join(dir, 'ca.crt');
  tokenFile = join(dir, 'token');
  writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nnot checked here\n-----END CERTIFICATE-----\n');
  writeFileSync(tokenFile, 'sa-token\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...BASE, ...env });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

test('none of them: no credentials, no TLS settings, no headers', () => {
  expect(loadConfig({ ...BASE, PROMETHEUS_URL: URL_ }).prometheusClient).toEqual({ auth: { kind: 'none' }, ca: null, insecureSkipVerify: false, headers: {} });
});

test.each<[string, () => Record<string, string>, () => object]>([
  ['bearer token', () => ({ PROMETHEUS_BEARER_TOKEN: ' tok-123 ' }), () => ({ auth: { kind: 'bearer', token: 'tok-123' } })],
  ['token file', () => ({ PROMETHEUS_BEARER_TOKEN_FILE: tokenFile }), () => ({ auth: { kind: 'bearer-file', file: tokenFile } })],
  ['basic auth (a colon in the password)', () => ({ PROMETHEUS_BASIC_AUTH: 'grafana:pa:ss' }), () => ({ auth: { kind: 'basic', user: 'grafana', password: 'pa:ss' } })],
  ['CA file, read at start', () => ({ PROMETHEUS_CA_FILE: caFile }), () => ({ ca: expect.stringContaining('BEGIN CERTIFICATE') })],
  ['skip-verify', () => ({ PROMETHEUS_INSECURE_SKIP_VERIFY: 'true' }), () => ({ insecureSkipVerify: true })],
  ['headers', () => ({ PROMETHEUS_HEADERS: 'X-Scope-OrgID=team-a, X-Extra = a=b ' }), () => ({ headers: { 'X-Scope-OrgID': 'team-a', 'X-Extra': 'a=b' } })],
])('%s', (_name, env, expected) => {
  expect(loadConfig({ ...BASE, PROMETHEUS_URL: URL_, ...env() }).prometheusClient).toMatchObject(expected());
});

test.each<[string, Record<string, string>, RegExp]>([
  ['two ways to authenticate', { PROMETHEUS_URL: URL_, PROMETHEUS_BEARER_TOKEN: 't', PROMETHEUS_BASIC_AUTH: 'u:p' }, /^PROMETHEUS_BEARER_TOKEN, PROMETHEUS_BASIC_AUTH: set one way to authenticate to Prometheus, not 2$/],
  ['options without PROMETHEUS_URL', { PROMETHEUS_BEARER_TOKEN: 't', PROMETHEUS_HEADERS: 'X-Scope-OrgID=a' }, /^PROMETHEUS_BEARER_TOKEN, PROMETHEUS_HEADERS: set without PROMETHEUS_URL/],
  ['TLS options on http://', { PROMETHEUS_URL: 'http://127.0.0.1:9090', PROMETHEUS_INSECURE_SKIP_VERIFY: 'true' }, /^PROMETHEUS_INSECURE_SKIP_VERIFY: apply to https:\/\/ only/],
  ['a CA file that is not there', { PROMETHEUS_URL: URL_, PROMETHEUS_CA_FILE: '/nonexistent/ca.crt' }, /^PROMETHEUS_CA_FILE: cannot read \/nonexistent\/ca\.crt: ENOENT/],
  ['a token file that is not there', { PROMETHEUS_URL: URL_, PROMETHEUS_BEARER_TOKEN_FILE: '/nonexistent/token' }, /^PROMETHEUS_BEARER_TOKEN_FILE: cannot read \/nonexistent\/token: ENOENT/],
  ['basic auth without a password', { PROMETHEUS_URL: URL_, PROMETHEUS_BASIC_AUTH: 'grafana' }, /^PROMETHEUS_BASIC_AUTH must be "user:password"/],
  ['skip-verify not a boolean', { PROMETHEUS_URL: URL_, PROMETHEUS_INSECURE_SKIP_VERIFY: 'sometimes' }, /^PROMETHEUS_INSECURE_SKIP_VERIFY must be true or false, got "sometimes"$/],
  ['Authorization as a header', { PROMETHEUS_URL: URL_, PROMETHEUS_HEADERS: 'Authorization=Bearer x' }, /^PROMETHEUS_HEADERS: pair 1 \("Authorization=Bearer x"\): Authorization cannot be set here \(use PROMETHEUS_BEARER_TOKEN/],
  ['a pair without a value', { PROMETHEUS_URL: URL_, PROMETHEUS_HEADERS: 'X-Scope-OrgID=a,X-Other' }, /^PROMETHEUS_HEADERS: pair 2 \("X-Other"\): must be Name=value/],
])('%s is refused, naming the variable', (_name, env, message) => {
  const p = problems(env);
  expect(p).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
});

test.each<[string, string]>([
  ['X Scope=a', 'is not a header name'],
  ['Host=evil', 'Host cannot be set here'],
  ['X-A=1,x-a=2', 'x-a is given twice'],
])('parseHeaders refuses %s', (value, message) => {
  const r = parseHeaders(value);
  expect(r.ok).toBe(false);
  expect(!r.ok && r.problems.join('\n')).toContain(message);
});
