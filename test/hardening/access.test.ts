/**
 * Access: who may do what. Every route × every kind of credential, with the status
 * each must get; malformed Authorization headers are 401 (or, past Node's header
 * limit, 431), never 500; labels cannot steer a rule's target outside the allowed
 * namespaces or out of a valid Kubernetes name, and no request reaches the cluster
 * for them; no credential, password or webhook URL ever appears in the logs.
 */
import { rmSync } from 'node:fs';
import request from 'supertest';
import { loadConfig, ConfigError } from '../../src/config/config.js';
import { createLogger } from '../../src/platform/logger.js';
import { referenceCluster } from '../helpers/fake-cluster.js';
import { fixture } from '../helpers/fixtures.js';
import { startSandboxCluster, type SandboxCluster } from '../helpers/sandbox.js';
import { startCli } from '../helpers/process.js';
import { SlackStandIn } from '../integration/notify/slack-stand-in.js';
import { ADMIN_TOKEN, WEBHOOK_TOKEN, allRemediations, buildApp, notification, passingValidator, quiesce, rowCounts, rulesDir, type HardenedApp } from './helpers.js';

const BASIC_USER = 'alertmanager';
const BASIC_PASSWORD = 'basic-password-hardening-0123';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

type Cred = 'none' | 'wrong' | 'webhook' | 'admin' | 'basic';
const CREDS: Record<Cred, string | null> = {
  none: null,
  wrong: 'Bearer wrong-token-that-is-long-enough',
  webhook: `Bearer ${WEBHOOK_TOKEN}`,
  admin: `Bearer ${ADMIN_TOKEN}`,
  basic: basic(BASIC_USER, BASIC_PASSWORD),
};

interface Route {
  method: 'get' | 'post';
  path: string;
  body?: string;
  /** Status per credential: bearer configuration (WEBHOOK_TOKEN) / Basic configuration (WEBHOOK_BASIC_AUTH). */
  expect: Record<Cred, number>;
  basicConfig?: Partial<Record<Cred, number>>;
}

const OPEN = { none: 200, wrong: 200, webhook: 200, admin: 200, basic: 200 };
const ADMIN_ONLY = (ok: number) => ({ none: 401, wrong: 401, webhook: 401, admin: ok, basic: 401 });
const INTAKE = { none: 401, wrong: 401, webhook: 202, admin: 401, basic: 401 };

describe('every route × every credential', () => {
  const variants: Array<[string, Record<string, string>]> = [
    ['WEBHOOK_TOKEN + ADMIN_TOKEN', {}],
    ['WEBHOOK_BASIC_AUTH + ADMIN_TOKEN', { WEBHOOK_TOKEN: '', WEBHOOK_BASIC_AUTH: `${BASIC_USER}:${BASIC_PASSWORD}` }],
  ];

  describe.each(variants)('configured with %s', (name, env) => {
    let t: HardenedApp;
    let alertId: string;
    let remId: string;
    const basicMode = name.startsWith('WEBHOOK_BASIC');
    beforeAll(async () => {
      t = await buildApp({ cluster: referenceCluster(), validator: passingValidator, env });
      const res = await request(t.app.http).post('/api/v1/alerts').set({ Authorization: basicMode ? CREDS.basic! : CREDS.webhook!, 'Content-Type': 'application/json' }).send(fixture('firing-single-QueueDepthHigh').toString('utf8'));
      expect(res.status).toBe(202);
      alertId = (res.body as { alerts: Array<{ id: string }> }).alerts[0]!.id;
      await quiesce(t.app);
      remId = (await allRemediations(t.app.store))[0]!.id;
    });
    afterAll(async () => t.close());

    const intake = basicMode ? { ...INTAKE, webhook: 401, basic: 202 } : INTAKE;
    const routes = (): Route[] => [
      { method: 'get', path: '/healthz', expect: OPEN },
      { method: 'get', path: '/readyz', expect: OPEN },
      { method: 'get', path: '/metrics', expect: OPEN },
      { method: 'post', path: '/api/v1/alerts', body: notification([{ labels: { alertname: 'AccessProbe' } }]), expect: intake },
      { method: 'get', path: '/api/v1/alerts', expect: ADMIN_ONLY(200) },
      { method: 'get', path: `/api/v1/alerts/${alertId}`, expect: ADMIN_ONLY(200) },
      { method: 'get', path: '/api/v1/remediations', expect: ADMIN_ONLY(200) },
      { method: 'get', path: `/api/v1/remediations/${remId}`, expect: ADMIN_ONLY(200) },
      // an unknown id, so that the admin's request changes nothing either
      { method: 'post', path: '/api/v1/remediations/no-such-id/rollback', expect: ADMIN_ONLY(404) },
      { method: 'post', path: '/api/v1/replay', body: JSON.stringify({ alertId }), expect: ADMIN_ONLY(200) },
      { method: 'get', path: '/api/v1/rules', expect: ADMIN_ONLY(200) },
      { method: 'get', path: '/api/v1/breakers', expect: ADMIN_ONLY(200) },
      { method: 'post', path: `/api/v1/breakers/${encodeURIComponent('ci/deployment/nothing')}/reset`, expect: ADMIN_ONLY(404) },
      { method: 'post', path: '/api/v1/breakers/ci/deployment/nothing/reset', expect: ADMIN_ONLY(404) },
      // the status page: its views are admin-only, its static assets hold no data
      { method: 'get', path: '/', expect: ADMIN_ONLY(200) },
      { method: 'get', path: '/decisions', expect: ADMIN_ONLY(200) },
      { method: 'get', path: '/rules', expect: ADMIN_ONLY(200) },
      { method: 'get', path: '/targets/ci/deployment/ci-failure-agent', expect: ADMIN_ONLY(200) },
      { method: 'get', path: `/remediations/${remId}`, expect: ADMIN_ONLY(200) },
      { method: 'get', path: '/status/assets/status.js', expect: OPEN },
      // unknown routes under /api/v1 are behind the admin credential too; elsewhere a plain 404
      { method: 'get', path: '/api/v1/nothing-here', expect: ADMIN_ONLY(404) },
      { method: 'get', path: '/nothing-here', expect: { none: 404, wrong: 404, webhook: 404, admin: 404, basic: 404 } },
    ];

    test('the table', async () => {
      const got: string[] = [];
      const want: string[] = [];
      for (const r of routes()) {
        for (const cred of Object.keys(CREDS) as Cred[]) {
          // An accepted request before this one may still be deciding in the background: let it finish first.
          await quiesce(t.app);
          const before = rowCounts(t.dbPath);
          let req = request(t.app.http)[r.method](r.path);
          if (CREDS[cred]) req = req.set('Authorization', CREDS[cred]);
          if (r.body !== undefined) req = req.set('Content-Type', 'application/json').send(r.body);
          const res = await req;
          got.push(`${r.method.toUpperCase()} ${r.path} [${cred}] ${res.status}`);
          want.push(`${r.method.toUpperCase()} ${r.path} [${cred}] ${r.expect[cred]}`);
          if (res.status === 401) {
            expect(res.headers['www-authenticate']).toMatch(/^(Bearer|Basic) realm="autoremediator (webhook|admin)"$/);
            // a refused request changed nothing
            expect(rowCounts(t.dbPath)).toEqual(before);
          }
        }
      }
      expect(got).toEqual(want);
    });
  });
});

describe('malformed Authorization headers are 401, never 500', () => {
  let t: HardenedApp;
  beforeAll(async () => {
    t = await buildApp({ cluster: referenceCluster(), validator: passingValidator, env: { WEBHOOK_BASIC_AUTH: `${BASIC_USER}:${BASIC_PASSWORD}` } });
  });
  afterAll(async () => t.close());

  test.each<[string, number, string]>([
    ['no scheme, the token alone', 401, WEBHOOK_TOKEN],
    ['"Bearer" alone', 401, 'Bearer'],
    ['"Bearer " and spaces', 401, 'Bearer    '],
    ['"Basic" alone', 401, 'Basic'],
    ['Basic with a value that is not base64', 401, 'Basic !!!%%%***'],
    ['Basic without a colon', 401, `Basic ${Buffer.from('justauser').toString('base64')}`],
    ['Basic with the right password and the wrong user', 401, basic('someone', BASIC_PASSWORD)],
    ['Basic with the webhook token as password', 401, basic(BASIC_USER, WEBHOOK_TOKEN)],
    ['an unknown scheme', 401, `Digest ${WEBHOOK_TOKEN}`],
    ['two credentials in one header', 401, `Bearer wrong, Bearer ${WEBHOOK_TOKEN}`],
    ['latin-1 bytes', 401, 'Bearer t\u00f6k\u00e9n-\u00ff\u00fe'],
    ['the token with a prefix', 401, `Bearer x${WEBHOOK_TOKEN}`],
    ['the token cut short', 401, `Bearer ${WEBHOOK_TOKEN.slice(0, -1)}`],
    ['a huge header under the limit (15 000 characters)', 401, `Bearer ${'x'.repeat(15_000)}`],
    // past Node's 16 KiB header limit the HTTP parser answers before any handler runs
    ['a header past the HTTP header limit (70 000 characters)', 431, `Bearer ${'x'.repeat(70_000)}`],
    // the scheme is case-insensitive (RFC 9110), so this is the real credential
    ['the scheme in lower case', 202, `bearer ${WEBHOOK_TOKEN}`],
  ])('%s → %i', async (_name, status, header) => {
    const before = rowCounts(t.dbPath);
    const server = t.server();
    const res = await request(server).post('/api/v1/alerts').set({ Authorization: header, 'Content-Type': 'application/json' }).send(notification([{ labels: { alertname: 'AuthProbe' }, fingerprint: 'aaaaaaaaaaaa0001' }]));
    expect(res.status).toBe(status);
    if (status !== 202) expect(rowCounts(t.dbPath)).toEqual(before);
    const admin = await request(server).get('/api/v1/alerts').set({ Authorization: header });
    expect(admin.status).toBe(status === 202 ? 401 : status);
  });
});

describe('labels cannot steer a target', () => {
  const RULES = `rules:
  - name: steerable
    matchers: ['alertname="Steer"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: "{{ $labels.namespace }}", name: "{{ $labels.deployment }}" }
    action: { type: scale, minReplicas: 2, maxReplicas: 12 }
    cooldown: 0s
`;
  let s: SandboxCluster;
  let t: HardenedApp;
  let dir: string;
  beforeAll(async () => {
    s = await startSandboxCluster();
    dir = rulesDir(RULES);
    t = await buildApp({ cluster: s.cluster, validator: passingValidator, env: { RULES_DIR: dir } });
  });
  afterAll(async () => {
    await t.close();
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function decide(cases: Array<[string, string]>): Promise<string[]> {
    s.api.clearRequests();
    const res = await request(t.app.http)
      .post('/api/v1/alerts')
      .set({ Authorization: `Bearer ${WEBHOOK_TOKEN}`, 'Content-Type': 'application/json' })
      .send(notification(cases.map(([namespace, deployment], i) => ({ labels: { alertname: 'Steer', namespace, deployment }, fingerprint: (0x5000 + i).toString(16).padStart(16, '0'), startsAt: new Date(Date.now() - i * 1000).toISOString() }))));
    expect(res.status).toBe(202);
    await quiesce(t.app);
    const out: string[] = [];
    for (const a of (res.body as { alerts: Array<{ id: string }> }).alerts) {
      const rems = (await allRemediations(t.app.store)).filter((r) => r.alertId === a.id);
      out.push(rems.map((r) => (r.decision.outcome === 'skip' ? r.decision.reason : 'act')).join(','));
    }
    return out;
  }

  const long = 'a'.repeat(300);
  test('invalid names and namespaces: skipped with template-invalid-value (or -missing-label when empty); no request reaches the cluster', async () => {
    const cases: Array<[string, string, string]> = [
      ['../kube-system', 'ci-failure-agent-consumer', 'template-invalid-value'],
      ['ci/../kube-system', 'ci-failure-agent-consumer', 'template-invalid-value'],
      ['CI', 'ci-failure-agent-consumer', 'template-invalid-value'],
      // Cyrillic с and і that look like c and i
      ['\u0441\u0456', 'ci-failure-agent-consumer', 'template-invalid-value'],
      ['ci\u200b', 'ci-failure-agent-consumer', 'template-invalid-value'],
      ['ci ', 'ci-failure-agent-consumer', 'template-invalid-value'],
      ['ci\n', 'ci-failure-agent-consumer', 'template-invalid-value'],
      [long, 'ci-failure-agent-consumer', 'template-invalid-value'],
      ['ci', '../secrets/x', 'template-invalid-value'],
      ['ci', 'ci-failure-agent-consumer/scale', 'template-invalid-value'],
      ['ci', '..', 'template-invalid-value'],
      ['ci', '.', 'template-invalid-value'],
      ['ci', 'Ci-Failure-Agent-Consumer', 'template-invalid-value'],
      ['ci', 'ci-failure-agent-consumer%2f..', 'template-invalid-value'],
      ['ci', '\u0441i-failure-agent-consumer', 'template-invalid-value'],
      ['ci', long, 'template-invalid-value'],
      ['ci', 'ci-failure-agent-consumer?dryRun=All', 'template-invalid-value'],
      // an empty value is an absent label (as in Prometheus)
      ['', 'ci-failure-agent-consumer', 'template-missing-label'],
    ];
    expect(await decide(cases.map(([ns, name]) => [ns, name]))).toEqual(cases.map((c) => c[2]));
    expect(s.api.requests.map((r) => `${r.verb} ${r.path}`)).toEqual([]);
  });

  test('valid names outside ALLOWED_NAMESPACES: skipped with outside-allowed-namespaces; no request reaches the cluster', async () => {
    const cases: Array<[string, string]> = [
      ['kube-system', 'coredns'],
      ['default', 'ci-failure-agent-consumer'],
      ['ci2', 'ci-failure-agent-consumer'],
    ];
    expect(await decide(cases)).toEqual(cases.map(() => 'outside-allowed-namespaces'));
    expect(s.api.requests.map((r) => `${r.verb} ${r.path}`)).toEqual([]);
  });

  test('control: the same rule with an allowed target acts', async () => {
    expect(await decide([['ci', 'ci-failure-agent-consumer']])).toEqual(['act']);
    expect(s.api.requests.some((r) => r.verb === 'update' && r.subresource === 'scale')).toBe(true);
  });
});

describe('no secret in the logs', () => {
  const SLACK_PATH = '/services/T0HARDEN/B0HARDEN/webhookpathsecret0123456789';
  const BOT_TOKEN = 'xoxb-hardening-bot-token-secret-0123';
  const WRONG = 'wrong-token-a-client-sent-0123456789';
  const DB_PASSWORD = 'db-password-hardening-0123';

  function scan(text: string, secrets: string[]): string[] {
    return secrets.filter((s) => text.includes(s) || text.includes(encodeURIComponent(s)) || text.includes(Buffer.from(s).toString('base64')));
  }

  test('a run with Slack failing (webhook and bot mode) and credentials refused: no secret in the pino output', async () => {
    const slack = await SlackStandIn.start();
    const lines: string[] = [];
    const logger = createLogger('trace', { write: (s: string) => void lines.push(s) });
    try {
      for (const env of [
        { SLACK_WEBHOOK_URL: `${slack.url}${SLACK_PATH}`, WEBHOOK_BASIC_AUTH: `${BASIC_USER}:${BASIC_PASSWORD}` },
        { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_CHANNEL: '#ops', SLACK_API_URL: slack.url },
      ] as Array<Record<string, string>>) {
        // Failing as a reverse proxy in front of Slack would: its error page names the request path, as such pages do.
        for (let i = 0; i < 100; i++) slack.script(i % 2 ? { status: 502, body: `<html><h1>502 Bad Gateway</h1><p>upstream error for POST ${SLACK_PATH}</p></html>` } : { status: 429, headers: { 'Retry-After': '0' }, body: 'slow down' });
        const t = await buildApp({ cluster: referenceCluster(), validator: passingValidator, logger, env: { ...env, SLACK_ALLOW_HTTP: 'true', SLACK_MAX_ATTEMPTS: '2', SLACK_TIMEOUT: '300ms', LOG_LEVEL: 'trace' } });
        try {
          const hook = (auth: string) => request(t.app.http).post('/api/v1/alerts').set({ Authorization: auth, 'Content-Type': 'application/json' });
          await hook(`Bearer ${WRONG}`).send(fixture('firing-single-QueueDepthHigh').toString('utf8')).expect(401);
          await hook(basic(BASIC_USER, WRONG)).send(fixture('firing-single-QueueDepthHigh').toString('utf8')).expect(401);
          await request(t.app.http).get('/api/v1/alerts').set('Authorization', `Bearer ${WEBHOOK_TOKEN}`).expect(401);
          await hook(`Bearer ${WEBHOOK_TOKEN}`).send(fixture('firing-group-HighPodCPU-3-alerts').toString('utf8')).expect(202);
          await hook(`Bearer ${WEBHOOK_TOKEN}`).send(fixture('firing-single-QueueDepthHigh').toString('utf8')).expect(202);
          await quiesce(t.app);
          await new Promise((r) => setTimeout(r, 300));
        } finally {
          await t.close();
        }
      }
      const text = lines.join('');
      // The capture really holds the failing Slack calls and the decisions (the scan is not vacuous).
      expect(text).toMatch(/Slack (webhook|chat\.postMessage) failed/);
      expect(text).toMatch(/cooldown/);
      expect(scan(text, [WEBHOOK_TOKEN, ADMIN_TOKEN, BASIC_PASSWORD, SLACK_PATH, 'webhookpathsecret0123456789', BOT_TOKEN, WRONG])).toEqual([]);
    } finally {
      await slack.close();
    }
  });

  test.each<[string, Record<string, string>, RegExp[]]>([
    // the core variables (parsed first)
    [
      'core variables',
      { WEBHOOK_TOKEN: 'short-secret', ADMIN_TOKEN: 'short-admin', WEBHOOK_BASIC_AUTH: `${BASIC_USER}:`, DATABASE_URL: `postgres://user:${DB_PASSWORD}@127.0.0.1:1/x`, MAX_BODY_BYTES: 'lots' },
      [/WEBHOOK_TOKEN/, /ADMIN_TOKEN/, /WEBHOOK_BASIC_AUTH/],
    ],
    // the Slack variables (parsed once the core ones are valid)
    [
      'Slack variables',
      { WEBHOOK_TOKEN, ADMIN_TOKEN, SLACK_WEBHOOK_URL: `ftp://hooks.example${SLACK_PATH}`, SLACK_BOT_TOKEN: `${BOT_TOKEN} with spaces`, SLACK_CHANNEL: '#ops' },
      [/SLACK_WEBHOOK_URL/, /SLACK_BOT_TOKEN/],
    ],
  ])('configuration errors (%s) name the variable, never its value', (_name, env, names) => {
    let message = '';
    try {
      loadConfig(env);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    for (const n of names) expect(message).toMatch(n);
    expect(scan(message, ['short-secret', 'short-admin', SLACK_PATH, BOT_TOKEN, DB_PASSWORD, WEBHOOK_TOKEN, ADMIN_TOKEN])).toEqual([]);
  });

  test.each<[string, Record<string, string>, RegExp]>([
    // every variable wrong at once
    [
      'invalid configuration',
      { WEBHOOK_TOKEN: 'short-secret', ADMIN_TOKEN: 'short-secret', SLACK_WEBHOOK_URL: `ftp://hooks.example${SLACK_PATH}`, SLACK_BOT_TOKEN: BOT_TOKEN },
      /invalid configuration/,
    ],
    // valid configuration, but the database is unreachable: the error names DATABASE_URL without its password
    ['an unreachable PostgreSQL with a password in DATABASE_URL', { WEBHOOK_TOKEN, ADMIN_TOKEN, DATABASE_URL: `postgres://autoremediator:${DB_PASSWORD}@127.0.0.1:1/x`, SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_CHANNEL: '#ops' }, /DATABASE_URL/],
  ])('autoremediator serve with %s: exits 1, output without secrets', async (_name, env, expected) => {
    const cli = startCli(['serve'], { ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'trace' });
    const exit = await cli.exited;
    expect(exit.code).toBe(1);
    expect(cli.output()).toMatch(expected);
    expect(scan(cli.output(), ['short-secret', SLACK_PATH, BOT_TOKEN, DB_PASSWORD, WEBHOOK_TOKEN, ADMIN_TOKEN])).toEqual([]);
  }, 20_000);
});
