/**
 * Validation queries against a real Prometheus 3 (built from its Go module: `npm run components
 * -- prometheus`) that demands basic auth or serves TLS with a certificate from a CA the test
 * makes, through its --web.config.file, configured the way users configure the service:
 * PROMETHEUS_* environment variables through loadConfig. Prometheus' web config cannot demand a
 * bearer token or a tenant header, so those go through a small recording proxy of the test's in
 * front of it, as an oauth proxy or a Mimir/Cortex gateway would sit; the proxy reaches
 * Prometheus with basic auth.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/config.js';
import { PrometheusSource } from '../../../src/validation/prometheus.js';
import { waitFor } from '../../helpers/binaries.js';
import { describeWithComponents } from '../../helpers/components.js';
import { certificates, PROMETHEUS_PASSWORD as PASSWORD, PROMETHEUS_USER as USER, startWebPrometheus, webConfig, type WebPrometheus as Prom } from '../../helpers/prometheus-web.js';

/** The source the service builds from these environment variables (app.ts does the same). */
function sourceFrom(env: Record<string, string>): PrometheusSource {
  const config = loadConfig({ INSECURE_NO_AUTH: 'true', ...env });
  return new PrometheusSource(config.prometheusUrl!, 3000, config.prometheusClient);
}

const FORTY_TWO = { ok: true, value: 42 };

describeWithComponents(['prometheus'], 'validation queries to an authenticated Prometheus 3', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'prom-auth-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe('basic auth (basic_auth_users) and, in front of it, a proxy demanding a bearer token and X-Scope-OrgID', () => {
    let prom: Prom;
    let url: string;
    let proxy: Server;
    let proxyUrl: string;
    const seen: IncomingHttpHeaders[] = [];
    let acceptedToken = 'token-1';

    beforeAll(async () => {
      prom = await startWebPrometheus(join(dir, 'basic'), webConfig({ basicAuth: true }));
      url = `http://127.0.0.1:${prom.port}`;
      await waitFor('Prometheus with basic auth', async () => (await sourceFrom({ PROMETHEUS_URL: url, PROMETHEUS_BASIC_AUTH: `${USER}:${PASSWORD}` }).query('vector(1)')).ok, 20_000).catch((err: Error) => {
        throw new Error(`${err.message}\n${prom.log().slice(-2000)}`);
      });
      // The proxy: a bearer token and a tenant are required; it reaches Prometheus with its own basic auth.
      proxy = createServer((req, res) => {
        seen.push(req.headers);
        if (req.headers.authorization !== `Bearer ${acceptedToken}` || req.headers['x-scope-orgid'] !== 'team-a') {
          res.writeHead(req.headers.authorization?.startsWith('Bearer ') ? 403 : 401).end('denied\n');
          return;
        }
        const upstream = request(`${url}${req.url ?? '/'}`, { method: req.method, headers: { authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` } }, (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        });
        upstream.on('error', () => res.writeHead(502).end());
        req.pipe(upstream);
      });
      await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
      proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    }, 30_000);
    afterAll(async () => {
      await new Promise((r) => proxy?.close(r));
      await prom?.stop();
    });

    test('PROMETHEUS_BASIC_AUTH: the right credentials get the value; none or a wrong password get a clear error', async () => {
      expect(await sourceFrom({ PROMETHEUS_URL: url, PROMETHEUS_BASIC_AUTH: `${USER}:${PASSWORD}` }).query('vector(42)')).toEqual(FORTY_TWO);
      for (const env of [{ PROMETHEUS_URL: url }, { PROMETHEUS_URL: url, PROMETHEUS_BASIC_AUTH: `${USER}:wrong-password` }] as Array<Record<string, string>>) {
        const r = await sourceFrom(env).query('vector(42)');
        expect(r).toEqual({ ok: false, error: expect.stringMatching(/^Prometheus answered 401: the credentials were refused or missing/) as unknown });
      }
    });

    test('PROMETHEUS_BEARER_TOKEN and PROMETHEUS_HEADERS are sent with every query', async () => {
      seen.length = 0;
      acceptedToken = 'token-1';
      expect(await sourceFrom({ PROMETHEUS_URL: proxyUrl, PROMETHEUS_BEARER_TOKEN: 'token-1', PROMETHEUS_HEADERS: 'X-Scope-OrgID=team-a' }).query('vector(42)')).toEqual(FORTY_TWO);
      expect(seen).toEqual([expect.objectContaining({ authorization: 'Bearer token-1', 'x-scope-orgid': 'team-a' })]);
      // Without the tenant the gateway refuses.
      expect((await sourceFrom({ PROMETHEUS_URL: proxyUrl, PROMETHEUS_BEARER_TOKEN: 'token-1' }).query('vector(42)')).ok).toBe(false);
    });

    test('PROMETHEUS_BEARER_TOKEN_FILE is read again when the token rotates (a symlink swap, as kubelet does)', async () => {
      const tokens = join(dir, 'tokens');
      mkdirSync(tokens);
      // kubelet's projected volume: token -> ..data/token, ..data -> a timestamped directory, swapped atomically.
      const writeToken = (n: number, token: string) => {
        mkdirSync(join(tokens, `..${n}`));
        writeFileSync(join(tokens, `..${n}`, 'token'), `${token}\n`);
        execFileSync('ln', ['-sfn', `..${n}`, join(tokens, '..data_tmp')]);
        renameSync(join(tokens, '..data_tmp'), join(tokens, '..data'));
      };
      writeToken(1, 'token-1');
      execFileSync('ln', ['-s', '..data/token', join(tokens, 'token')]);
      acceptedToken = 'token-1';
      const source = sourceFrom({ PROMETHEUS_URL: proxyUrl, PROMETHEUS_BEARER_TOKEN_FILE: join(tokens, 'token'), PROMETHEUS_HEADERS: 'X-Scope-OrgID=team-a' });
      expect(await source.query('vector(42)')).toEqual(FORTY_TWO);

      // The server rotates first: the old token is refused, and the error says so.
      acceptedToken = 'token-2';
      expect(await source.query('vector(42)')).toEqual({ ok: false, error: expect.stringMatching(/^Prometheus answered 403: the credentials were refused/) as unknown });
      // Then kubelet swaps the file in: the same source picks the new token up.
      writeToken(2, 'token-2');
      expect(await source.query('vector(42)')).toEqual(FORTY_TWO);
      expect(seen[seen.length - 1]).toEqual(expect.objectContaining({ authorization: 'Bearer token-2' }));

      // A token file that disappears is an error for the query, not for the process.
      rmSync(join(tokens, '..data'));
      expect(await source.query('vector(42)')).toEqual({ ok: false, error: expect.stringMatching(/^PROMETHEUS_BEARER_TOKEN_FILE: cannot read the token: ENOENT/) as unknown });
    });
  });

  describe('TLS (tls_server_config) with a certificate from a CA of our own', () => {
    let prom: Prom;
    let url: string;
    let caCrt: string;

    beforeAll(async () => {
      const certs = certificates(join(dir, 'pki'));
      caCrt = certs.caCrt;
      prom = await startWebPrometheus(join(dir, 'tls'), webConfig({ tls: certs }));
      url = `https://127.0.0.1:${prom.port}`;
      await waitFor('Prometheus with TLS', async () => (await sourceFrom({ PROMETHEUS_URL: url, PROMETHEUS_CA_FILE: caCrt }).query('vector(1)')).ok, 20_000).catch((err: Error) => {
        throw new Error(`${err.message}\n${prom.log().slice(-2000)}`);
      });
    }, 30_000);
    afterAll(() => prom?.stop());

    test('PROMETHEUS_CA_FILE: the certificate is verified against the CA', async () => {
      expect(await sourceFrom({ PROMETHEUS_URL: url, PROMETHEUS_CA_FILE: caCrt }).query('vector(42)')).toEqual(FORTY_TWO);
    });

    test('without the CA the certificate is refused, and the error says why', async () => {
      const r = await sourceFrom({ PROMETHEUS_URL: url }).query('vector(42)');
      expect(r).toEqual({ ok: false, error: expect.stringMatching(/^Prometheus unreachable: .*(self[- ]signed|unable to verify|local issuer)/i) as unknown });
    });

    test('a CA that did not sign it is refused too', async () => {
      const other = certificates(join(dir, 'other-pki'));
      const r = await sourceFrom({ PROMETHEUS_URL: url, PROMETHEUS_CA_FILE: other.caCrt }).query('vector(42)');
      expect(r.ok).toBe(false);
    });

    test('PROMETHEUS_INSECURE_SKIP_VERIFY: accepted without verification', async () => {
      expect(await sourceFrom({ PROMETHEUS_URL: url, PROMETHEUS_INSECURE_SKIP_VERIFY: 'true' }).query('vector(42)')).toEqual(FORTY_TWO);
    });
  });
  describe('TLS and basic auth at once (both in one web config)', () => {
    let prom: Prom;
    let url: string;
    let caCrt: string;

    beforeAll(async () => {
      const certs = certificates(join(dir, 'pki-both'));
      caCrt = certs.caCrt;
      prom = await startWebPrometheus(join(dir, 'both'), webConfig({ basicAuth: true, tls: certs }));
      url = `https://127.0.0.1:${prom.port}`;
      await waitFor('Prometheus with TLS and basic auth', async () => (await sourceFrom({ PROMETHEUS_URL: url, PROMETHEUS_CA_FILE: caCrt, PROMETHEUS_BASIC_AUTH: `${USER}:${PASSWORD}` }).query('vector(1)')).ok, 20_000).catch((err: Error) => {
        throw new Error(`${err.message}\n${prom.log().slice(-2000)}`);
      });
    }, 30_000);
    afterAll(() => prom?.stop());

    test('the CA and the credentials together get the value; the CA alone gets 401', async () => {
      expect(await sourceFrom({ PROMETHEUS_URL: url, PROMETHEUS_CA_FILE: caCrt, PROMETHEUS_BASIC_AUTH: `${USER}:${PASSWORD}`, PROMETHEUS_HEADERS: 'X-Scope-OrgID=team-a' }).query('vector(42)')).toEqual(FORTY_TWO);
      expect(await sourceFrom({ PROMETHEUS_URL: url, PROMETHEUS_CA_FILE: caCrt }).query('vector(42)')).toEqual({ ok: false, error: expect.stringMatching(/^Prometheus answered 401/) as unknown });
    });
  });
});
