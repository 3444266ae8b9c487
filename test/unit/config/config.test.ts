import { ConfigError, loadConfig } from '../../../src/config/config.js';

const BASE = { WEBHOOK_TOKEN: 'webhook-token-0123456789', ADMIN_TOKEN: 'admin-token-0123456789ab' };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('loadConfig', () => {
  test('defaults', () => {
    const c = loadConfig(BASE);
    expect(c).toMatchObject({
      port: 8000,
      rulesDir: './rules',
      databaseUrl: 'sqlite:./data/autoremediator.db',
      dryRun: false,
      allowedNamespaces: [],
      logLevel: 'info',
      limits: { maxBodyBytes: 16 * 1024 * 1024, maxAlertsPerNotification: 10_000, queueCapacity: 10_000 },
      budgets: { namespace: { max: 10, windowMs: 600_000 }, global: { max: 30, windowMs: 600_000 } },
      slack: null,
      retention: { maxAgeMs: 30 * 86_400_000, maxAlerts: null, batchSize: 100, schedule: '0 */5 * * * *' },
    });
  });

  test('retention: RETENTION, RETENTION_MAX_ALERTS, RETENTION_BATCH, RETENTION_SCHEDULE; RETENTION=0 keeps for ever', () => {
    expect(loadConfig({ ...BASE, RETENTION: '7d', RETENTION_MAX_ALERTS: '1000000', RETENTION_BATCH: '200', RETENTION_SCHEDULE: '*/30 * * * * *' }).retention).toEqual({
      maxAgeMs: 7 * 86_400_000,
      maxAlerts: 1_000_000,
      batchSize: 200,
      schedule: '*/30 * * * * *',
    });
    expect(loadConfig({ ...BASE, RETENTION: '0' }).retention.maxAgeMs).toBe(0);
  });

  test.each<[string, Record<string, string>, RegExp]>([
    // no credential at all: refuses to start, and says how to proceed
    ['no credential', {}, /no webhook credential: set WEBHOOK_TOKEN .* or INSECURE_NO_AUTH=true/],
    ['no admin token', { WEBHOOK_TOKEN: BASE.WEBHOOK_TOKEN }, /no admin credential: set ADMIN_TOKEN/],
    ['admin token equal to the webhook token', { WEBHOOK_TOKEN: BASE.WEBHOOK_TOKEN, ADMIN_TOKEN: BASE.WEBHOOK_TOKEN }, /ADMIN_TOKEN must differ from WEBHOOK_TOKEN/],
    ['short token', { ...BASE, WEBHOOK_TOKEN: 'short' }, /WEBHOOK_TOKEN must be at least 16 characters/],
    ['basic auth without password', { ...BASE, WEBHOOK_TOKEN: '', WEBHOOK_BASIC_AUTH: 'user:' }, /WEBHOOK_BASIC_AUTH must be "user:password"/],
    // issue 21: the same ≥16 rule as tokens, and never the admin token
    ['basic auth with a 1-character password', { ...BASE, WEBHOOK_TOKEN: '', WEBHOOK_BASIC_AUTH: 'user:x' }, /WEBHOOK_BASIC_AUTH: the password must be at least 16 characters/],
    ['basic auth with a 15-character password', { ...BASE, WEBHOOK_TOKEN: '', WEBHOOK_BASIC_AUTH: 'user:123456789012345' }, /WEBHOOK_BASIC_AUTH: the password must be at least 16 characters/],
    ['basic auth password equal to the admin token', { ...BASE, WEBHOOK_TOKEN: '', WEBHOOK_BASIC_AUTH: `user:${BASE.ADMIN_TOKEN}` }, /ADMIN_TOKEN must differ from the WEBHOOK_BASIC_AUTH password/],
    ['port out of range', { ...BASE, PORT: '70000' }, /PORT must be a whole number from 0 to 65535, got "70000"/],
    ['not a boolean', { ...BASE, DRY_RUN: 'maybe' }, /DRY_RUN must be true or false, got "maybe"/],
    ['bad budget', { ...BASE, BUDGET_GLOBAL: 'lots' }, /BUDGET_GLOBAL must look like "5\/10m"/],
    ['bad namespace', { ...BASE, ALLOWED_NAMESPACES: 'ci,Kube_System' }, /ALLOWED_NAMESPACES: not a namespace name: "Kube_System"/],
    ['bad log level', { ...BASE, LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    ['bad cron', { ...BASE, RESTORE_SCHEDULE: 'sometimes' }, /RESTORE_SCHEDULE: not a cron expression/],
    ['bad lease', { ...BASE, RUN_LEASE_TTL: '10ms' }, /RUN_LEASE_TTL must be a duration of at least 1s/],
    ['retention not a duration', { ...BASE, RETENTION: 'a month' }, /^RETENTION must be a duration of at least 1m like 30d, or 0 to keep the history for ever, got "a month"/],
    ['retention too short', { ...BASE, RETENTION: '30s' }, /^RETENTION must be a duration of at least 1m/],
    ['retention row bound too small', { ...BASE, RETENTION_MAX_ALERTS: '10' }, /RETENTION_MAX_ALERTS must be a whole number from 1000/],
    ['retention batch not a number', { ...BASE, RETENTION_BATCH: 'many' }, /RETENTION_BATCH must be a whole number/],
    ['retention schedule not cron', { ...BASE, RETENTION_SCHEDULE: 'nightly' }, /^RETENTION_SCHEDULE: not a cron expression/],
    ['bot token without channel', { ...BASE, SLACK_BOT_TOKEN: 'xoxb-1234567890' }, /SLACK_CHANNEL/],
    ['freeze windows not JSON', { ...BASE, FREEZE_WINDOWS: 'fridays' }, /^FREEZE_WINDOWS: not JSON/],
    ['freeze windows not an array', { ...BASE, FREEZE_WINDOWS: '{"name":"x"}' }, /^FREEZE_WINDOWS: must be a JSON array/],
    ['freeze window with a bad cron', { ...BASE, FREEZE_WINDOWS: '[{"name":"a","cron":"0 16 * * 5","duration":"1h"},{"name":"b","cron":"0 25 * * *","duration":"1h"}]' }, /^FREEZE_WINDOWS\[1\]\.cron: "0 25 \* \* \*" is not a cron expression/],
    ['freeze window with a bad zone', { ...BASE, FREEZE_WINDOWS: '[{"name":"a","cron":"0 16 * * 5","duration":"1h","timeZone":"Berlin"}]' }, /^FREEZE_WINDOWS\[0\]\.timeZone: "Berlin" is not an IANA time zone/],
    ['freeze windows with one name twice', { ...BASE, FREEZE_WINDOWS: '[{"name":"a","cron":"0 16 * * 5","duration":"1h"},{"name":"a","cron":"0 1 * * *","duration":"1h"}]' }, /names must be unique: a/],
    ['Alertmanager URL not a URL', { ...BASE, ALERTMANAGER_URL: 'http://am-0:9093,am-1:9093' }, /^ALERTMANAGER_URL: entry 2 is not an http\(s\) URL: "am-1:9093"/],
    ['silences without Alertmanager', { ...BASE, SILENCE_DURING_VALIDATION: 'true' }, /SILENCE_DURING_VALIDATION=true needs ALERTMANAGER_URL/],
  ])('%s', (_name, env, message) => {
    const p = problems(env);
    expect(p.some((x) => message.test(x))).toBe(true);
  });

  test('every problem is reported at once', () => {
    expect(problems({ PORT: 'x', DRY_RUN: 'maybe' }).length).toBeGreaterThanOrEqual(2);
  });

  test('INSECURE_NO_AUTH=true runs without credentials, said explicitly', () => {
    expect(loadConfig({ INSECURE_NO_AUTH: 'true' }).auth).toEqual({ webhookToken: null, webhookBasic: null, adminToken: null, insecure: true });
  });

  test('a config error never repeats a secret', () => {
    const secret = 'super-secret-but-short';
    const p = problems({ WEBHOOK_TOKEN: secret, ADMIN_TOKEN: secret });
    expect(p.join('\n')).not.toContain(secret);
  });

  test('freeze windows, Alertmanager URLs (an HA pair) and silences', () => {
    const c = loadConfig({
      ...BASE,
      FREEZE_WINDOWS: '[{"name":"release-freeze","cron":"0 16 * * 5","duration":"64h","timeZone":"Europe/Berlin"}]',
      ALERTMANAGER_URL: 'http://am-0:9093/, http://am-1:9093',
      SILENCE_DURING_VALIDATION: 'true',
    });
    expect(c.freezeWindows).toEqual([{ name: 'release-freeze', cron: '0 16 * * 5', durationMs: 64 * 3_600_000, timeZone: 'Europe/Berlin', mode: 'freeze' }]);
    expect(c.alertmanagerUrls).toEqual(['http://am-0:9093', 'http://am-1:9093']);
    expect(c.silenceDuringValidation).toBe(true);
    expect(loadConfig(BASE)).toMatchObject({ freezeWindows: [], alertmanagerUrls: [], silenceDuringValidation: false });
  });

  test('approval mode: APPROVAL_REQUIRED, APPROVAL_NAMESPACES, APPROVAL_TIMEOUT, approval windows, SLACK_SIGNING_SECRET', () => {
    const c = loadConfig({
      ...BASE,
      APPROVAL_REQUIRED: 'true',
      APPROVAL_NAMESPACES: 'prod, payments',
      APPROVAL_TIMEOUT: '30m',
      FREEZE_WINDOWS: '[{"name":"weekend","cron":"0 0 * * 6","duration":"48h","mode":"approval"}]',
      SLACK_BOT_TOKEN: 'xoxb-1-2-3',
      SLACK_CHANNEL: '#ops',
      SLACK_SIGNING_SECRET: 'signing-secret-0123',
    });
    expect(c.approval).toEqual({ required: true, namespaces: ['prod', 'payments'], timeoutMs: 1_800_000, windows: [expect.objectContaining({ name: 'weekend', mode: 'approval' })] });
    expect(c.slackSigningSecret).toBe('signing-secret-0123');
    expect(loadConfig(BASE)).toMatchObject({ approval: { required: false, namespaces: [], timeoutMs: 3_600_000, windows: [] }, slackSigningSecret: null });
  });

  test('approval settings that cannot work name their variable', () => {
    expect(problems({ ...BASE, APPROVAL_TIMEOUT: 'soon' })).toEqual([expect.stringContaining('APPROVAL_TIMEOUT must be a duration')]);
    expect(problems({ ...BASE, APPROVAL_NAMESPACES: 'prod, Bad_NS' })).toEqual(['APPROVAL_NAMESPACES: not a namespace name: "Bad_NS"']);
    expect(problems({ ...BASE, SLACK_SIGNING_SECRET: 'x' })).toEqual([expect.stringContaining('SLACK_SIGNING_SECRET: the Approve / Deny buttons need Slack bot mode')]);
    expect(problems({ ...BASE, FREEZE_WINDOWS: '[{"name":"w","cron":"0 0 * * 6","duration":"1h","mode":"ask"}]' })).toEqual([expect.stringMatching(/^FREEZE_WINDOWS\[0\]\.mode: /)]);
  });

  test('ALLOWED_NAMESPACES=* allows any namespace', () => {
    expect(loadConfig({ ...BASE, ALLOWED_NAMESPACES: '*' }).allowedNamespaces).toBe('*');
    expect(loadConfig({ ...BASE, ALLOWED_NAMESPACES: 'ci, prod' }).allowedNamespaces).toEqual(['ci', 'prod']);
  });
});
