/**
 * alertmanager/operator: the PrometheusRule carries the production rules unchanged, and the
 * AlertmanagerConfig says what alertmanager.yml says about autoremediator.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describeWithBinaries } from '../../helpers/binaries.js';
import { FILES, readRuleGroups, readYaml, routeTo, webhookOf, type AmConfig, type RuleGroup } from './configs.js';
import { run } from './run.js';

interface PrometheusRule {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: { groups: RuleGroup[] };
}

interface AlertmanagerConfig {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: {
    route: {
      receiver: string;
      matchers: { name: string; matchType?: string; value: string }[];
      groupBy?: string[];
      groupWait?: string;
      groupInterval?: string;
      repeatInterval?: string;
      continue?: boolean;
    };
    receivers: {
      name: string;
      webhookConfigs?: {
        url?: string;
        sendResolved?: boolean;
        maxAlerts?: number;
        httpConfig?: { authorization?: { type?: string; credentials?: { name: string; key: string } } };
      }[];
    }[];
  };
}

const prometheusRule = readYaml(FILES.prometheusRule) as PrometheusRule;
const amc = readYaml(FILES.alertmanagerConfig) as AlertmanagerConfig;
const production = readYaml(FILES.alertmanager) as AmConfig;

describe('operator PrometheusRule', () => {
  test('is a monitoring.coreos.com/v1 PrometheusRule in the workload namespace', () => {
    expect(prometheusRule).toMatchObject({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: { name: 'ci-failure-agent', namespace: 'ci' } });
  });

  test("spec.groups equals the production rules file's groups", () => {
    expect(prometheusRule.spec.groups).toEqual(readRuleGroups(FILES.rules));
  });
});

describeWithBinaries({ promtool: 'prometheus' }, 'operator PrometheusRule through promtool', () => {
  test('spec.groups written out as a rules file passes promtool check rules', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'am-operator-'));
    try {
      const file = join(dir, 'prometheusrule-groups.yml');
      writeFileSync(file, stringify({ groups: prometheusRule.spec.groups }));
      const r = await run('promtool', ['check', 'rules', file]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`SUCCESS: ${prometheusRule.spec.groups.flatMap((g) => g.rules).length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('operator AlertmanagerConfig', () => {
  const route = routeTo(production, 'autoremediator');
  const receiver = amc.spec.receivers.find((r) => r.name === amc.spec.route.receiver);

  test('is a monitoring.coreos.com/v1alpha1 AlertmanagerConfig in the namespace the alerts carry', () => {
    // The operator adds namespace="<its namespace>" to the route: the alerts' namespace.
    expect(amc).toMatchObject({ apiVersion: 'monitoring.coreos.com/v1alpha1', kind: 'AlertmanagerConfig', metadata: { namespace: 'ci' } });
    expect(amc.spec.route.matchers.some((m) => m.name === 'namespace')).toBe(false); // the operator would replace it
  });

  test("route: alertmanager.yml's matchers, grouping and timers, continue: true", () => {
    const ops: Record<string, string> = { '=': '=', '!=': '!=', '=~': '=~', '!~': '!~' };
    const matchers = amc.spec.route.matchers.map((m) => `${m.name}${ops[m.matchType ?? '=']}"${m.value}"`);
    expect(matchers).toEqual(route.matchers);
    expect({
      groupBy: amc.spec.route.groupBy,
      groupWait: amc.spec.route.groupWait,
      groupInterval: amc.spec.route.groupInterval,
      repeatInterval: amc.spec.route.repeatInterval,
      continue: amc.spec.route.continue,
    }).toEqual({
      groupBy: route.group_by,
      groupWait: route.group_wait,
      groupInterval: route.group_interval,
      repeatInterval: route.repeat_interval,
      continue: true,
    });
  });

  test("receiver: alertmanager.yml's webhook, with the bearer token from a Secret key", () => {
    const hook = webhookOf(production, 'autoremediator');
    expect(receiver?.webhookConfigs).toEqual([
      {
        url: hook.url,
        sendResolved: true,
        maxAlerts: hook.max_alerts,
        httpConfig: { authorization: { type: 'Bearer', credentials: { name: expect.stringMatching(/^[a-z0-9-]+$/), key: expect.stringMatching(/^[A-Za-z0-9._-]+$/) } } },
      },
    ]);
  });
});
