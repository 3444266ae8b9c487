/**
 * alertmanager/alertmanager.yml and alertmanager.e2e.yml: valid for Alertmanager 0.25
 * (amtool check-config), routing autoremediator's alerts to it and to people alike
 * (amtool config routes test), with the webhook settings autoremediator relies on.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describeWithBinaries } from '../../helpers/binaries.js';
import {
  E2E_ADDRESS_PLACEHOLDER,
  FILES,
  alertmanagerE2eConfig,
  alertnamesOf,
  e2eWebhookToken,
  readAlertingRules,
  readYaml,
  routeTo,
  webhookOf,
  type AmConfig,
} from './configs.js';
import { run } from './run.js';

const production = readYaml(FILES.alertmanager) as AmConfig;
const e2e = readYaml(FILES.alertmanagerE2e) as AmConfig;

describe('alertmanager.yml', () => {
  test('routes the autoremediator alerts per target, with the production timers, and goes on to people', () => {
    const route = routeTo(production, 'autoremediator');
    expect(route).toEqual({
      receiver: 'autoremediator',
      matchers: ['service="ci-failure-agent"', expect.stringMatching(/^alertname=~"/)],
      group_by: ['alertname', 'namespace', 'deployment'],
      group_wait: '30s',
      group_interval: '5m',
      repeat_interval: '4h',
      continue: true,
    });
    // With `continue: true` the root receiver is not used once this route matched, so a later
    // sibling must take the alerts for people.
    const routes = production.route.routes ?? [];
    expect(routes.indexOf(route)).toBeLessThan(routes.length - 1);
  });

  test('sends resolved alerts, at most 50 per notification, with a bearer token from a file', () => {
    expect(webhookOf(production, 'autoremediator')).toEqual({
      url: 'http://autoremediator.autoremediator.svc:8000/api/v1/alerts',
      send_resolved: true,
      max_alerts: 50,
      http_config: { authorization: { type: 'Bearer', credentials_file: '/etc/alertmanager/secrets/autoremediator-token' } },
    });
  });

  test('the route lists exactly the alerts of the rules file', () => {
    const alerts = readAlertingRules(FILES.rules).map((r) => r.alert);
    expect(alertnamesOf(routeTo(production, 'autoremediator')).sort()).toEqual([...alerts].sort());
  });
});

describe('alertmanager.e2e.yml', () => {
  test('has the production routing tree with short timers', () => {
    const shortTimers = (r: AmConfig['route']): AmConfig['route'] => ({ ...r, group_wait: '1s', group_interval: '2s', repeat_interval: '1h' });
    const prodRoutes = production.route.routes ?? [];
    expect(e2e.route).toEqual({
      ...shortTimers(production.route),
      routes: prodRoutes.map((r) => (r.receiver === 'autoremediator' ? shortTimers(r) : r)),
    });
  });

  test('has the production webhook, but with an inline test token and a placeholder address', () => {
    const hook = webhookOf(e2e, 'autoremediator');
    expect(hook.url).toBe(`http://${E2E_ADDRESS_PLACEHOLDER}/api/v1/alerts`);
    const { url: _u, http_config: _h, ...rest } = webhookOf(production, 'autoremediator');
    expect(hook).toEqual({ ...rest, url: hook.url, http_config: { authorization: { type: 'Bearer', credentials: e2eWebhookToken() } } });
  });

  test('alertmanagerE2eConfig fills in the address and refuses anything but host:port', () => {
    const filled = parse(alertmanagerE2eConfig('127.0.0.1:41234')) as AmConfig;
    expect(webhookOf(filled, 'autoremediator').url).toBe('http://127.0.0.1:41234/api/v1/alerts');
    // Only the url line changes.
    const before = readFileSync(FILES.alertmanagerE2e, 'utf8').split('\n');
    const after = alertmanagerE2eConfig('127.0.0.1:41234').split('\n');
    expect(after).toHaveLength(before.length);
    expect(after.filter((line, i) => line !== before[i])).toEqual(['      - url: http://127.0.0.1:41234/api/v1/alerts']);
    expect(() => alertmanagerE2eConfig('http://127.0.0.1:41234/x')).toThrow(/not host:port/);
  });
});

describeWithBinaries({ amtool: 'prometheus-alertmanager' }, 'Alertmanager configurations through amtool', () => {
  let dir: string;
  let e2eFilled: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'am-config-'));
    e2eFilled = join(dir, 'alertmanager.e2e.yml');
    writeFileSync(e2eFilled, alertmanagerE2eConfig('127.0.0.1:41234'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each([
    ['alertmanager.yml', FILES.alertmanager],
    ['alertmanager.e2e.yml as committed (placeholder address)', FILES.alertmanagerE2e],
    ['alertmanager.e2e.yml with a real address', ''],
  ])('amtool check-config %s', async (_name, file) => {
    const r = await run('amtool', ['check-config', file || e2eFilled]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS[\s\S]*2 receivers/);
  });

  const alerts = readAlertingRules(FILES.rules).map((r) => r.alert);
  const cases: { labels: string[]; receivers: string; why: string }[] = [
    // Every alert autoremediator handles goes to it and, through the catch-all, to people.
    ...alerts.map((alert) => ({ labels: [`alertname=${alert}`, 'service=ci-failure-agent', 'namespace=ci'], receivers: 'autoremediator,team-ci', why: alert })),
    // The same alert name from another service: people only.
    { labels: ['alertname=HighPodCPU', 'service=other-service', 'namespace=ci'], receivers: 'team-ci', why: 'another service' },
    // An alert without a rule in autoremediator: people only.
    { labels: ['alertname=KubePodCrashLooping', 'service=ci-failure-agent', 'namespace=ci'], receivers: 'team-ci', why: 'an alert autoremediator does not handle' },
    // A name that only contains a handled one: the matcher regex is anchored.
    { labels: ['alertname=HighPodCPUThrottling', 'service=ci-failure-agent'], receivers: 'team-ci', why: 'a longer alert name' },
  ];

  describe.each([
    ['alertmanager.yml', FILES.alertmanager],
    ['alertmanager.e2e.yml', ''],
  ])('%s routes', (_name, file) => {
    test.each(cases)('$why → $receivers', async ({ labels, receivers }) => {
      const r = await run('amtool', ['config', 'routes', 'test', `--config.file=${file || e2eFilled}`, ...labels]);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(receivers);
    });
  });
});
