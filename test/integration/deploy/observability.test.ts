/**
 * deploy/observability: the ServiceMonitor and PrometheusRule (prometheus-operator CRDs, checked
 * by hand: no schema package for them is installed) and the Grafana dashboard. Every PromQL
 * expression may only select metrics the service defines (src/platform/metrics.ts); with
 * promtool installed, the rules are checked and their expressions unit-tested on synthetic
 * series, and the dashboard's queries are checked for syntax.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { describeWithBinaries } from '../../helpers/binaries.js';
import { DEPLOY_DIR, definedMetrics, isDefinedSeries, metricNamesIn, readObjects } from './manifests.js';

const execFileAsync = promisify(execFile);
const DIR = join(DEPLOY_DIR, 'observability');

interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const [prometheusRule] = readObjects(join(DIR, 'prometheusrule.yaml'));
const [serviceMonitor] = readObjects(join(DIR, 'servicemonitor.yaml'));
const groups = prometheusRule!.spec.groups as Array<{ name: string; rules: AlertingRule[] }>;
const alerts = groups.flatMap((g) => g.rules);
const exprOf = (name: string) => alerts.find((a) => a.alert === name)!.expr;

interface Panel {
  type: string;
  title: string;
  targets?: Array<{ expr: string; refId: string }>;
}
const dashboard = JSON.parse(readFileSync(join(DIR, 'grafana-dashboard.json'), 'utf8')) as {
  uid: string;
  title: string;
  templating: { list: Array<{ name: string; type: string }> };
  panels: Panel[];
};
const dashboardExprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
const defined = definedMetrics();
const DURATION = /^\d+(ms|s|m|h|d|w|y)$/;

describe('metricNamesIn (how the tests below find metric names in PromQL)', () => {
  test.each([
    // selector with matchers and a range, under functions and a grouping clause
    ['sum by (phase) (increase(m_total{phase="rolled_back"}[1h])) > 2', ['m_total']],
    // a bare name compared to a number
    ['up == 0', ['up']],
    // histogram quantile: `le` is a label, the bucket series is the metric
    ['histogram_quantile(0.9, sum by (le) (rate(h_bucket[$__rate_interval])))', ['h_bucket']],
    // two operands with vector matching
    ['a / on (pod) group_left (node) b', ['a', 'b']],
    // offset and a duration are not names
    ['rate(x[5m] offset 1h) * 1e3', ['x']],
    // a string that looks like a name is not one
    ['label_replace(y, "dst", "not_a_metric", "src", "(.*)")', ['y']],
  ])('%s', (expr, names) => {
    expect(metricNamesIn(expr)).toEqual(names);
  });
});

describe('deploy/observability/prometheusrule.yaml', () => {
  test('shape of a monitoring.coreos.com/v1 PrometheusRule', () => {
    expect(prometheusRule!.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(prometheusRule!.kind).toBe('PrometheusRule');
    expect(prometheusRule!.metadata.name).toBe('autoremediator');
    expect(Object.keys(prometheusRule!.spec)).toEqual(['groups']);
    for (const g of groups) {
      expect(typeof g.name).toBe('string');
      for (const r of g.rules) {
        expect(Object.keys(r).filter((k) => !['alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations'].includes(k))).toEqual([]);
        expect(typeof r.expr).toBe('string');
        if (r.for !== undefined) expect(r.for).toMatch(DURATION);
      }
    }
  });

  test('the five health alerts, each with severity, summary, description and runbook', () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual(
      ['AutoremediatorBreakerOpen', 'AutoremediatorQueueBackingUp', 'AutoremediatorRollbacksRising', 'AutoremediatorRuleReloadFailing', 'AutoremediatorWebhookRejected'].sort(),
    );
    for (const a of alerts) {
      expect({ alert: a.alert, severity: a.labels?.severity }).toEqual({ alert: a.alert, severity: expect.stringMatching(/^(warning|critical)$/) });
      expect({ alert: a.alert, annotations: Object.keys(a.annotations ?? {}).sort() }).toEqual({ alert: a.alert, annotations: ['description', 'runbook', 'summary'] });
    }
  });

  test('each alert watches the metric it is named for', () => {
    expect(exprOf('AutoremediatorRollbacksRising')).toMatch(/increase\(autoremediator_remediation_transitions_total\{phase="rolled_back"\}\[1h\]\)\) > 2$/);
    expect(exprOf('AutoremediatorBreakerOpen')).toMatch(/autoremediator_breakers_open\) > 0$/);
    expect(exprOf('AutoremediatorWebhookRejected')).toMatch(/^sum by \([^)]*\breason\b[^)]*\) \(increase\(autoremediator_intake_rejected_total\[10m\]\)\) > 0$/);
    expect(exprOf('AutoremediatorRuleReloadFailing')).toBe('autoremediator_rule_table_last_reload_successful == 0');
    expect(exprOf('AutoremediatorQueueBackingUp')).toBe('autoremediator_queue_alerts > 1000');
  });

  test('expressions select only metrics defined in src/platform/metrics.ts', () => {
    expect(defined.size).toBeGreaterThanOrEqual(10);
    const used = alerts.flatMap((a) => metricNamesIn(a.expr));
    expect(used.length).toBeGreaterThanOrEqual(alerts.length);
    expect(used.filter((n) => !isDefinedSeries(n, defined))).toEqual([]);
  });
});

describe('deploy/observability/servicemonitor.yaml', () => {
  test('shape of a monitoring.coreos.com/v1 ServiceMonitor scraping /metrics on port http', () => {
    const sm = serviceMonitor!;
    expect([sm.apiVersion, sm.kind, sm.metadata.name]).toEqual(['monitoring.coreos.com/v1', 'ServiceMonitor', 'autoremediator']);
    expect(Object.keys(sm.spec).sort()).toEqual(['endpoints', 'namespaceSelector', 'selector']);
    expect(sm.spec.selector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'autoremediator' } });
    for (const e of sm.spec.endpoints as Array<Record<string, string>>) {
      expect(Object.keys(e).filter((k) => !['port', 'path', 'interval', 'scrapeTimeout', 'scheme'].includes(k))).toEqual([]);
      expect([e.port, e.path]).toEqual(['http', '/metrics']);
      expect(e.interval).toMatch(DURATION);
    }
  });
});

describe('deploy/observability/grafana-dashboard.json', () => {
  test('a dashboard with a Prometheus data source variable; every variable used is defined', () => {
    expect([dashboard.uid, dashboard.title]).toEqual(['autoremediator', 'autoremediator']);
    expect(dashboard.templating.list.find((v) => v.name === 'datasource')?.type).toBe('datasource');
    const variables = new Set([...dashboard.templating.list.map((v) => v.name), '__rate_interval', '__range', '__interval']);
    const used = dashboardExprs.flatMap((e) => [...e.matchAll(/\$(\w+)/g)].map((m) => m[1]!));
    expect(used.filter((v) => !variables.has(v))).toEqual([]);
  });

  test('queries select only metrics defined in src/platform/metrics.ts', () => {
    const used = dashboardExprs.flatMap(metricNamesIn);
    expect(used.filter((n) => !isDefinedSeries(n, defined))).toEqual([]);
  });

  test('panels for outcomes, decision reasons, reaction time, decision latency, queue depth and breakers', () => {
    const panelUsing = (re: RegExp) => dashboard.panels.filter((p) => (p.targets ?? []).some((t) => re.test(t.expr))).map((p) => p.title);
    expect(panelUsing(/by \(phase\) \(increase\(autoremediator_remediation_transitions_total/)).not.toEqual([]);
    expect(panelUsing(/by \(outcome, reason\) \(increase\(autoremediator_decisions_total/)).not.toEqual([]);
    expect(panelUsing(/histogram_quantile\(0\.99, sum by \(le\) \(rate\(autoremediator_reaction_seconds_bucket/)).not.toEqual([]);
    expect(panelUsing(/histogram_quantile\(0\.99, sum by \(le\) \(rate\(autoremediator_decision_duration_seconds_bucket/)).not.toEqual([]);
    expect(panelUsing(/autoremediator_queue_alerts/)).not.toEqual([]);
    expect(panelUsing(/autoremediator_breakers_open/)).not.toEqual([]);
  });
});

describeWithBinaries({ promtool: 'prometheus' }, 'deploy/observability with promtool', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'autoremediator-promtool-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const promtool = async (...args: string[]) => {
    try {
      return (await execFileAsync('promtool', args, { cwd: dir, encoding: 'utf8', timeout: 30_000 })).stdout;
    } catch (err) {
      const e = err as Error & { stdout?: string; stderr?: string };
      throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`);
    }
  };

  test('promtool check rules accepts the PrometheusRule spec as a rules file', async () => {
    writeFileSync(join(dir, 'rules.yaml'), stringify(prometheusRule!.spec));
    expect(await promtool('check', 'rules', 'rules.yaml')).toMatch(/SUCCESS: 5 rules found/);
  });

  test('promtool test rules: each alert expression on synthetic series (fires where it should, only there)', async () => {
    writeFileSync(join(dir, 'rules.yaml'), stringify(prometheusRule!.spec));
    const ns = 'namespace="autoremediator"';
    const series = (name: string, labels: string, values: string) => ({ series: `${name}{${ns},${labels}}`, values });
    const test = {
      rule_files: ['rules.yaml'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            // r1: 5 rollbacks in the hour (fires); r2: 1 (quiet); r3: many successes (not rollbacks).
            series('autoremediator_remediation_transitions_total', 'pod="a",rule="r1",action="scale",phase="rolled_back"', '0 1 2 3 4 5+0x30'),
            series('autoremediator_remediation_transitions_total', 'pod="a",rule="r2",action="scale",phase="rolled_back"', '0 1+0x30'),
            series('autoremediator_remediation_transitions_total', 'pod="a",rule="r3",action="scale",phase="succeeded"', '0+1x30'),
            // r4: 2 + 1 on two replicas: 3 for the rule (fires).
            series('autoremediator_remediation_transitions_total', 'pod="a",rule="r4",action="hpa",phase="rolled_back"', '0 1 2+0x30'),
            series('autoremediator_remediation_transitions_total', 'pod="b",rule="r4",action="hpa",phase="rolled_back"', '0 1+0x30'),
            series('autoremediator_breakers_open', 'pod="a"', '0+0x30'),
            series('autoremediator_breakers_open', 'pod="b"', '2+0x30'),
            // one rejection a minute for invalid-payload (fires); queue-full long ago (quiet).
            series('autoremediator_intake_rejected_total', 'pod="a",reason="invalid-payload"', '0+1x30'),
            series('autoremediator_intake_rejected_total', 'pod="a",reason="queue-full"', '0 5+0x30'),
            series('autoremediator_rule_table_last_reload_successful', 'pod="a"', '1+0x30'),
            series('autoremediator_rule_table_last_reload_successful', 'pod="b"', '0+0x30'),
            series('autoremediator_queue_alerts', 'pod="a"', '1500+0x30'),
            series('autoremediator_queue_alerts', 'pod="b"', '10+0x30'),
          ],
          promql_expr_test: [
            { expr: exprOf('AutoremediatorRollbacksRising'), eval_time: '30m', exp_samples: [{ labels: `{${ns},rule="r1"}`, value: 5 }, { labels: `{${ns},rule="r4"}`, value: 3 }] },
            { expr: exprOf('AutoremediatorBreakerOpen'), eval_time: '30m', exp_samples: [{ labels: `{${ns}}`, value: 2 }] },
            { expr: exprOf('AutoremediatorWebhookRejected'), eval_time: '30m', exp_samples: [{ labels: `{${ns},reason="invalid-payload"}`, value: 10 }] },
            { expr: exprOf('AutoremediatorRuleReloadFailing'), eval_time: '30m', exp_samples: [{ labels: `autoremediator_rule_table_last_reload_successful{${ns},pod="b"}`, value: 0 }] },
            { expr: exprOf('AutoremediatorQueueBackingUp'), eval_time: '30m', exp_samples: [{ labels: `autoremediator_queue_alerts{${ns},pod="a"}`, value: 1500 }] },
          ],
        },
      ],
    };
    writeFileSync(join(dir, 'test.yaml'), stringify(test));
    expect(await promtool('test', 'rules', 'test.yaml')).toMatch(/SUCCESS/);
  });

  test("promtool check rules accepts every dashboard query (as recording rules, Grafana's variables filled in)", async () => {
    const fill = (e: string) => e.replaceAll('$__rate_interval', '5m').replaceAll('$__range', '1d').replaceAll('$__interval', '1m').replaceAll('$rule', '.*');
    const rules = dashboardExprs.map((e, i) => ({ record: `dashboard:query_${i}`, expr: fill(e) }));
    expect(rules.length).toBeGreaterThanOrEqual(10);
    writeFileSync(join(dir, 'dashboard.yaml'), stringify({ groups: [{ name: 'dashboard', rules }] }));
    expect(await promtool('check', 'rules', 'dashboard.yaml')).toMatch(new RegExp(`SUCCESS: ${rules.length} rules found`));
  });
});
