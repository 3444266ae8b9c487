/**
 * deploy/observability: the ServiceMonitor and PrometheusRule (renderings of the Helm chart;
 * prometheus-operator CRDs, checked by hand: no schema package for them is installed) and the
 * Grafana dashboard. Every PromQL expression may only select metrics the service defines (the
 * metrics.ts files under src/) or `up`; every runbook_url leads to a section of
 * deploy/RUNBOOKS.md. With promtool installed, the rules are checked and unit-tested on series
 * shaped as Prometheus stores them from a prometheus-operator scrape (job, instance, namespace,
 * pod, service, endpoint, container labels), and the dashboard's queries are checked for syntax.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { describeWithBinaries } from '../../helpers/binaries.js';
import { DEPLOY_DIR, definedMetrics, isDefinedSeries, metricNamesIn, readObjects } from './manifests.js';

/** Series Prometheus itself adds for every target: `up` (what the absent/down alerts watch). */
const SCRAPE_SERIES = new Set(['up']);

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

  test('the health alerts, each with severity, summary, description and runbook_url', () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual(
      [
        'AutoremediatorAbsent',
        'AutoremediatorBreakerOpen',
        'AutoremediatorDown',
        'AutoremediatorQueueBackingUp',
        'AutoremediatorRollbacksRising',
        'AutoremediatorRuleReloadFailing',
        'AutoremediatorSlackDeliveryFailing',
        'AutoremediatorSlackNotificationsDropped',
        'AutoremediatorStateUnavailable',
        'AutoremediatorWebhookRejected',
      ].sort(),
    );
    for (const a of alerts) {
      expect({ alert: a.alert, severity: a.labels?.severity }).toEqual({ alert: a.alert, severity: expect.stringMatching(/^(warning|critical)$/) });
      expect({ alert: a.alert, annotations: Object.keys(a.annotations ?? {}).sort() }).toEqual({ alert: a.alert, annotations: ['description', 'runbook_url', 'summary'] });
    }
  });

  test('every runbook_url is an absolute URL to the section of deploy/RUNBOOKS.md named after the alert', () => {
    const runbooks = readFileSync(join(DEPLOY_DIR, 'RUNBOOKS.md'), 'utf8');
    // GitHub-style anchors of the `## ` headings: lower case, spaces to dashes.
    const anchors = new Set([...runbooks.matchAll(/^## (.+)$/gm)].map((m) => m[1]!.trim().toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')));
    for (const a of alerts) {
      const url = new URL(a.annotations!.runbook_url!);
      expect({ alert: a.alert, path: url.pathname.endsWith('/deploy/RUNBOOKS.md'), anchor: url.hash }).toEqual({ alert: a.alert, path: true, anchor: `#${a.alert.toLowerCase()}` });
      expect({ alert: a.alert, section: anchors.has(url.hash.slice(1)) }).toEqual({ alert: a.alert, section: true });
    }
  });

  test('each alert watches the metric it is named for', () => {
    expect(exprOf('AutoremediatorRollbacksRising')).toMatch(/increase\(autoremediator_remediation_transitions_total\{phase="rolled_back"\}\[1h\]\)\) > 2$/);
    expect(exprOf('AutoremediatorBreakerOpen')).toMatch(/autoremediator_breakers_open\) > 0$/);
    expect(exprOf('AutoremediatorWebhookRejected')).toMatch(/^sum by \([^)]*\breason\b[^)]*\) \(increase\(autoremediator_intake_rejected_total\[10m\]\)\) > 0$/);
    expect(exprOf('AutoremediatorRuleReloadFailing')).toBe('autoremediator_rule_table_last_reload_successful == 0');
    expect(exprOf('AutoremediatorQueueBackingUp')).toBe('autoremediator_queue_alerts > 1000');
    // The job is the Service's name (prometheus-operator's default job label for a ServiceMonitor).
    expect(exprOf('AutoremediatorDown')).toBe('up{job="autoremediator"} == 0');
    expect(exprOf('AutoremediatorAbsent')).toBe('absent(up{job="autoremediator"})');
    expect(exprOf('AutoremediatorStateUnavailable')).toMatch(/increase\(autoremediator_decisions_total\{outcome="skip",reason="state-unavailable"\}\[10m\]\)\) > 0$/);
    expect(exprOf('AutoremediatorSlackDeliveryFailing')).toMatch(/increase\(autoremediator_notifications_sent_total\{result="failed"\}\[15m\]\)\) > 0$/);
    expect(exprOf('AutoremediatorSlackNotificationsDropped')).toMatch(/increase\(autoremediator_notifications_dropped_total\{reason="queue_full"\}\[15m\]\)\) > 0$/);
  });

  test('the label values the alerts select are ones the service sets', () => {
    const read = (f: string) => readFileSync(join(DEPLOY_DIR, '..', f), 'utf8');
    expect(read('src/domain/decision.ts')).toMatch(/'state-unavailable'/);
    expect(read('src/notify/metrics.ts')).toMatch(/export type SendResult = [^;]*'failed'/);
    expect(read('src/notify/metrics.ts')).toMatch(/export type DropReason = [^;]*'queue_full'/);
  });

  test('expressions select only metrics defined in src/platform/metrics.ts', () => {
    expect(defined.size).toBeGreaterThanOrEqual(10);
    const used = alerts.flatMap((a) => metricNamesIn(a.expr));
    expect(used.length).toBeGreaterThanOrEqual(alerts.length);
    expect(used.filter((n) => !isDefinedSeries(n, defined) && !SCRAPE_SERIES.has(n))).toEqual([]);
  });
});

describe('deploy/observability/servicemonitor.yaml', () => {
  test('shape of a monitoring.coreos.com/v1 ServiceMonitor scraping /metrics on port http', () => {
    const sm = serviceMonitor!;
    expect([sm.apiVersion, sm.kind, sm.metadata.name]).toEqual(['monitoring.coreos.com/v1', 'ServiceMonitor', 'autoremediator']);
    // No namespaceSelector: its own namespace, so that a kustomize `namespace:` override moves it along.
    expect(Object.keys(sm.spec).sort()).toEqual(['endpoints', 'selector']);
    expect(sm.spec.selector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'autoremediator', 'app.kubernetes.io/instance': 'autoremediator' } });
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
    expect(await promtool('check', 'rules', 'rules.yaml')).toMatch(new RegExp(`SUCCESS: ${alerts.length} rules found`));
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

  test('promtool test rules: the absent/down, state-unavailable and Slack alerts on series shaped as a prometheus-operator scrape stores them', async () => {
    writeFileSync(join(dir, 'rules.yaml'), stringify(prometheusRule!.spec));
    // The target labels prometheus-operator gives a ServiceMonitor's targets (job = the Service's name).
    const target = (pod: string, ip: string) => ({ container: 'autoremediator', endpoint: 'http', instance: `${ip}:8000`, job: 'autoremediator', namespace: 'autoremediator', pod, service: 'autoremediator' });
    const a = target('autoremediator-6b8f9c7d4-x2x9q', '10.244.1.7');
    const b = target('autoremediator-6b8f9c7d4-k7p2m', '10.244.2.9');
    const sel = (labels: Record<string, string>) => `{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',')}}`;
    const series = (name: string, labels: Record<string, string>, values: string) => ({ series: `${name}${sel(labels)}`, values });
    const annotations = (alert: string, labels: Record<string, string>, value = '') => {
      // The alert's own annotations with $labels and $value filled in, as Prometheus expands them.
      const expand = (t: string) => t.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_m, k: string) => labels[k] ?? '').replace(/\{\{ \$value \| printf "%\.0f" \}\}/g, value);
      const own = alerts.find((x) => x.alert === alert)!.annotations!;
      return Object.fromEntries(Object.entries(own).map(([k, v]) => [k, expand(v)]));
    };
    const ns = { namespace: 'autoremediator' };
    const test = {
      rule_files: ['rules.yaml'],
      evaluation_interval: '1m',
      tests: [
        {
          // Replica a stops answering at minute 3; replica b keeps serving.
          interval: '1m',
          input_series: [
            series('up', a, '1 1 1 0x30'),
            series('up', b, '1+0x33'),
            // Kubernetes API unreachable for one rule from minute 2: 3 skips; other skips and acts do not count.
            series('autoremediator_decisions_total', { ...a, rule: 'cpu-raise-hpa-floor', outcome: 'skip', reason: 'state-unavailable', action: 'hpa' }, '0 0 1 2 3+0x30'),
            series('autoremediator_decisions_total', { ...a, rule: 'cpu-raise-hpa-floor', outcome: 'skip', reason: 'cooldown', action: 'hpa' }, '0+1x33'),
            series('autoremediator_decisions_total', { ...b, rule: 'queue-add-consumers', outcome: 'act', action: 'scale' }, '0+1x33'),
            // Slack: 2 given up (fires), retries and successes (quiet); 4 dropped for a full queue (fires), 1 at shutdown (quiet).
            series('autoremediator_notifications_sent_total', { ...a, result: 'failed' }, '0 0 2+0x30'),
            series('autoremediator_notifications_sent_total', { ...a, result: 'retry' }, '0+1x33'),
            series('autoremediator_notifications_sent_total', { ...a, result: 'ok' }, '0+5x33'),
            series('autoremediator_notifications_dropped_total', { ...a, reason: 'queue_full' }, '0 0 0 4+0x30'),
            series('autoremediator_notifications_dropped_total', { ...b, reason: 'shutdown' }, '0 0 1+0x30'),
          ],
          promql_expr_test: [
            { expr: exprOf('AutoremediatorStateUnavailable'), eval_time: '8m', exp_samples: [{ labels: sel({ ...ns, rule: 'cpu-raise-hpa-floor', action: 'hpa' }), value: 3 }] },
            { expr: exprOf('AutoremediatorSlackDeliveryFailing'), eval_time: '10m', exp_samples: [{ labels: sel(ns), value: 2 }] },
            { expr: exprOf('AutoremediatorSlackNotificationsDropped'), eval_time: '10m', exp_samples: [{ labels: sel(ns), value: 4 }] },
          ],
          alert_rule_test: [
            // Down after 5 minutes without a scrape, for replica a only.
            { eval_time: '7m', alertname: 'AutoremediatorDown', exp_alerts: [] },
            { eval_time: '9m', alertname: 'AutoremediatorDown', exp_alerts: [{ exp_labels: { ...a, severity: 'critical' }, exp_annotations: annotations('AutoremediatorDown', a) }] },
            // Targets exist (one is down): not absent.
            { eval_time: '20m', alertname: 'AutoremediatorAbsent', exp_alerts: [] },
          ],
        },
        {
          // No target of job autoremediator at all (Deployment gone, ServiceMonitor not selected); other jobs are scraped.
          interval: '1m',
          input_series: [series('up', { instance: '10.244.1.3:9100', job: 'node-exporter', namespace: 'monitoring', pod: 'node-exporter-abcde', service: 'node-exporter' }, '1+0x20')],
          alert_rule_test: [
            { eval_time: '9m', alertname: 'AutoremediatorAbsent', exp_alerts: [] },
            { eval_time: '11m', alertname: 'AutoremediatorAbsent', exp_alerts: [{ exp_labels: { job: 'autoremediator', severity: 'critical' }, exp_annotations: annotations('AutoremediatorAbsent', { job: 'autoremediator' }) }] },
            { eval_time: '11m', alertname: 'AutoremediatorDown', exp_alerts: [] },
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
