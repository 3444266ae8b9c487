/**
 * The alert rules against autoremediator's rule table (rules/): every alert, with the labels
 * it really carries, matches the intended rule, and that rule's target (and the action's
 * templated fields) render from those labels without a missing label.
 *
 * The label sets are the alert's static labels plus its `by (...)` labels with sample values.
 * Their names are checked against the production promtool tests' exp_labels, which promtool
 * (rules.test.ts) proves to be the complete label sets the rules produce.
 */
import { join } from 'node:path';
import { loadRuleTable, matchAlert, renderTarget, renderValue, type TemplateData } from '../../../src/rule-table/index.js';
import type { RuleTable } from '../../../src/rule-table/rule.js';
import type { LabelSet } from '../../../src/domain/alert.js';
import { REPO_ROOT } from '../../helpers/fixtures.js';
import { FILES, alertnamesOf, readAlertingRules, readYaml, routeTo, type AmConfig } from './configs.js';

/** Per alert: sample values of the labels its expression keeps, and what autoremediator should do. */
const CASES: Record<string, { byLabels: LabelSet; rule: string; target: { apiVersion: string; kind: string; name: string } }> = {
  HighPodCPU: {
    byLabels: { namespace: 'ci', pod: 'ci-failure-agent-6f7c9d8b5-2xk4p' },
    rule: 'cpu-raise-hpa-floor',
    target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'ci-failure-agent' },
  },
  HighMemoryUsage: {
    byLabels: { namespace: 'ci', pod: 'ci-failure-agent-6f7c9d8b5-2xk4p', container: 'ci-failure-agent' },
    rule: 'memory-raise-limits',
    target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'ci-failure-agent' },
  },
  HighLatencyP99: {
    byLabels: { namespace: 'ci' },
    rule: 'latency-raise-hpa-floor',
    target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'ci-failure-agent' },
  },
  DatabaseConnectionsHigh: {
    byLabels: { namespace: 'ci', pod: 'ci-failure-agent-db-1' },
    rule: 'db-add-read-replicas',
    target: { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', name: 'ci-failure-agent-db' },
  },
  QueueDepthHigh: {
    byLabels: { namespace: 'ci', queue: 'ci-failure-events' },
    rule: 'queue-add-consumers',
    target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'ci-failure-agent-consumer' },
  },
  RedisMemoryPressure: {
    byLabels: { namespace: 'ci', instance: 'ci-failure-agent-redis.ci.svc:6379' },
    rule: 'cache-raise-maxmemory',
    target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'ci-failure-agent-redis' },
  },
};

/** Alerts in the rules file that autoremediator deliberately leaves to people: none today. */
const NOT_HANDLED = new Set<string>();

const alertRules = readAlertingRules(FILES.rules);

/** The label set Prometheus sends for an alert: alertname, the rule's static labels, the kept series labels. */
function sampleLabels(alert: string): LabelSet {
  const rule = alertRules.find((r) => r.alert === alert);
  const c = CASES[alert];
  if (!rule || !c) throw new Error(`no rule or case for ${alert}`);
  return { ...c.byLabels, ...rule.labels, alertname: alert };
}

/** exp_labels of every expected alert in the production promtool tests, by alertname. */
function promtoolExpectedLabels(): Map<string, LabelSet[]> {
  const tests = (readYaml(FILES.rulesTest) as { tests: { alert_rule_test?: { alertname: string; exp_alerts: { exp_labels: LabelSet }[] }[] }[] }).tests;
  const out = new Map<string, LabelSet[]>();
  for (const t of tests) {
    for (const a of t.alert_rule_test ?? []) for (const e of a.exp_alerts) out.set(a.alertname, [...(out.get(a.alertname) ?? []), e.exp_labels]);
  }
  return out;
}

describe('alert rules × autoremediator rule table', () => {
  let table: RuleTable;

  beforeAll(async () => {
    const loaded = await loadRuleTable(join(REPO_ROOT, 'rules'));
    if (!loaded.ok) throw new Error(`rules/ does not load: ${JSON.stringify(loaded.errors)}`);
    table = loaded.table;
  });

  test('every alert of the rules file has a case here, and nothing else', () => {
    expect(alertRules.map((r) => r.alert).sort()).toEqual(Object.keys(CASES).sort());
  });

  test.each(Object.keys(CASES))('%s: the sample label set has exactly the labels promtool sees the alert carry', (alert) => {
    const expected = promtoolExpectedLabels().get(alert) ?? [];
    expect(expected.length).toBeGreaterThan(0);
    for (const labels of expected) expect(Object.keys(sampleLabels(alert)).sort()).toEqual(Object.keys(labels).sort());
  });

  test.each(Object.keys(CASES).filter((a) => !NOT_HANDLED.has(a)))('%s matches its rule, whose target and action render from the alert', (alert) => {
    const labels = sampleLabels(alert);
    const c = CASES[alert]!;
    const matched = matchAlert(table, labels);
    expect(matched.map((r) => r.name)).toEqual([c.rule]);
    const rule = matched[0]!;
    const data: TemplateData = { labels, annotations: {} };

    const target = renderTarget(rule.target, data);
    expect(target).toEqual({ ok: true, value: { ...c.target, namespace: labels.namespace } });
    // The workload label names the object autoremediator acts on.
    const workload = labels.deployment ?? labels.database;
    expect(target.ok && target.value.name).toBe(workload);

    // The templated fields of the action and of the validation checks render too.
    const action = rule.action;
    if (action.type === 'resources') expect(renderValue(action.container, data, 'container')).toEqual({ ok: true, value: labels.container });
    if (action.type === 'redis') expect([action.service, action.address]).toEqual([target.ok && target.value.name, undefined]);
    for (const check of rule.validate?.checks ?? []) expect(renderValue(check.query, data, 'promql')).toMatchObject({ ok: true });
  });

  test('the alerts left to people match no rule', () => {
    expect([...NOT_HANDLED].filter((alert) => matchAlert(table, sampleLabels(alert)).length > 0)).toEqual([]);
  });

  test('every autoremediator rule is matched by one of the alerts (none waits for an alert that never comes)', () => {
    const matched = new Set(Object.keys(CASES).flatMap((alert) => matchAlert(table, sampleLabels(alert)).map((r) => r.name)));
    expect(table.rules.map((r) => r.name).filter((name) => !matched.has(name))).toEqual([]);
  });

  test("Alertmanager's autoremediator route lists exactly the handled alerts", () => {
    const handled = Object.keys(CASES).filter((a) => !NOT_HANDLED.has(a));
    for (const file of [FILES.alertmanager, FILES.alertmanagerE2e]) {
      expect(alertnamesOf(routeTo(readYaml(file) as AmConfig, 'autoremediator')).sort()).toEqual(handled.sort());
    }
  });
});
