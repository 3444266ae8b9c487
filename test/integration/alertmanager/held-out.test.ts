/**
 * The held-out set: series of a second cluster, shaped as its exporters publish them and written
 * apart from the rules and their unit tests (test/fixtures/exporter-series/held-out.promtool.yml).
 * promtool proves that they make every shipped alert fire with the label sets the file lists
 * (with every promtool there is); then those alerts, with the external labels Prometheus adds,
 * go through autoremediator's own rule table (loader, matcher, templates) and must land on the
 * reference workload's objects: the API Deployment (and its HPA), the consumer Deployment, the
 * CloudNativePG Cluster and the Redis Deployment, as the reference seed defines them.
 */
import { join } from 'node:path';
import type { LabelSet } from '../../../src/domain/alert.js';
import type { RuleTable } from '../../../src/rule-table/rule.js';
import { loadRuleTable, matchAlert, renderTarget, renderValue, type TemplateData } from '../../../src/rule-table/index.js';
import { loadSeed } from '../../../src/sandbox/seed.js';
import { isRecord, type KubeObject } from '../../../src/sandbox/types.js';
import { REPO_ROOT } from '../../helpers/fixtures.js';
import { FILES, readAlertingRules, readYaml } from './configs.js';
import { describePerPromtool } from './promtools.js';
import { run } from './run.js';

const HELD_OUT = join(REPO_ROOT, 'test', 'fixtures', 'exporter-series', 'held-out.promtool.yml');

/** What Prometheus adds to every alert it sends (global.external_labels). */
const EXTERNAL_LABELS = { cluster: 'prod-eu-1', prometheus: 'monitoring/kube-prometheus-stack-prometheus' };

/** Per alert: the rule that must take it, the object it must act on (namespace ci), and the action's rendered field. */
const WANT: Record<string, { rule: string; target: { apiVersion: string; kind: string; name: string }; action?: { field: 'container' | 'address'; value: (l: LabelSet) => string } }> = {
  HighPodCPU: { rule: 'cpu-raise-hpa-floor', target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'ci-failure-agent' } },
  HighMemoryUsage: {
    rule: 'memory-raise-limits',
    target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'ci-failure-agent' },
    action: { field: 'container', value: () => 'ci-failure-agent' },
  },
  HighLatencyP99: { rule: 'latency-raise-hpa-floor', target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'ci-failure-agent' } },
  DatabaseConnectionsHigh: { rule: 'db-add-read-replicas', target: { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', name: 'ci-failure-agent-db' } },
  QueueDepthHigh: { rule: 'queue-add-consumers', target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'ci-failure-agent-consumer' } },
  RedisMemoryPressure: {
    rule: 'cache-raise-maxmemory',
    target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'ci-failure-agent-redis' },
    action: { field: 'address', value: (l) => `redis://${l.instance}` },
  },
};

interface PromtoolTests {
  rule_files: string[];
  tests: { alert_rule_test?: { alertname: string; exp_alerts: { exp_labels: LabelSet }[] }[] }[];
}

/** Every alert the held-out file says fires (promtool checks that exactly these do), with Prometheus's external labels. */
function firedAlerts(): LabelSet[] {
  const doc = readYaml(HELD_OUT) as PromtoolTests;
  return doc.tests.flatMap((t) => (t.alert_rule_test ?? []).flatMap((a) => a.exp_alerts.map((e) => ({ ...EXTERNAL_LABELS, ...e.exp_labels }))));
}

describePerPromtool('held-out exporter series', ({ bin }) => {
  test('make every shipped alert fire, with exactly the label sets the file lists', async () => {
    const r = await run(bin, ['test', 'rules', HELD_OUT]);
    expect(`${r.stdout}${r.stderr}`).not.toContain('FAILED');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('SUCCESS');
  });
});

describe('held-out alerts through the rule table', () => {
  let table: RuleTable;
  const seed: KubeObject[] = loadSeed();
  const alerts = firedAlerts();

  beforeAll(async () => {
    const loaded = await loadRuleTable(join(REPO_ROOT, 'rules'));
    if (!loaded.ok) throw new Error(`rules/ does not load: ${JSON.stringify(loaded.errors)}`);
    table = loaded.table;
  });

  test('the file evaluates the shipped production rules, and each of their alerts fires from it', () => {
    expect((readYaml(HELD_OUT) as PromtoolTests).rule_files.map((f) => join(HELD_OUT, '..', f))).toEqual([FILES.rules]);
    const shipped = readAlertingRules(FILES.rules).map((r) => r.alert).sort();
    expect([...new Set(alerts.map((a) => a.alertname))].sort()).toEqual(shipped);
    expect(Object.keys(WANT).sort()).toEqual(shipped);
  });

  test.each(alerts.map((labels) => [labels.alertname!, labels] as const))('%s matches its rule and acts on the reference workload', (alertname, labels) => {
    const want = WANT[alertname]!;
    const matched = matchAlert(table, labels);
    expect(matched.map((r) => r.name)).toEqual([want.rule]);
    const rule = matched[0]!;
    const data: TemplateData = { labels, annotations: {} };

    const target = renderTarget(rule.target, data);
    expect(target).toEqual({ ok: true, value: { ...want.target, namespace: 'ci' } });
    // The object is one of the reference workload's, as the seed defines it.
    const object = seed.find((o) => o.apiVersion === want.target.apiVersion && o.kind === want.target.kind && o.metadata.namespace === 'ci' && o.metadata.name === want.target.name);
    expect({ alertname, found: object !== undefined }).toEqual({ alertname, found: true });

    const action = rule.action;
    if (action.type === 'hpa') {
      // An HPA of the seed scales exactly that object.
      const hpa = seed.find((o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.namespace === 'ci' && isRecord(o.spec) && isRecord(o.spec.scaleTargetRef) && o.spec.scaleTargetRef.kind === want.target.kind && o.spec.scaleTargetRef.name === want.target.name);
      expect({ alertname, hpa: hpa?.metadata.name }).toEqual({ alertname, hpa: expect.any(String) as string });
    }
    if (action.type === 'resources') {
      const container = renderValue(action.container, data, 'container');
      expect(container).toEqual({ ok: true, value: want.action!.value(labels) });
      // The container is one of the Deployment's.
      const spec = object?.spec as { template?: { spec?: { containers?: { name: string }[] } } } | undefined;
      expect(spec?.template?.spec?.containers?.map((c) => c.name)).toContain(container.ok ? container.value : '');
    }
    // The Redis host is the Service named in the rule (its cluster IP, in the target's namespace), never a label.
    if (action.type === 'redis') expect([action.service, action.address]).toEqual(['ci-failure-agent-redis', undefined]);
    if (want.action) expect(action.type).toBe(want.action.field === 'container' ? 'resources' : 'redis');
    for (const check of rule.validate?.checks ?? []) expect({ check: check.name, rendered: renderValue(check.query, data, 'promql').ok }).toEqual({ check: check.name, rendered: true });
  });
});
