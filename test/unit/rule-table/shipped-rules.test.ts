// The shipped rules/ table against alerts as Alertmanager really sends them (captured fixtures).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WebhookNotification } from '../../../src/domain/alert.js';
import type { RuleTable } from '../../../src/rule-table/rule.js';
import { formatRuleError } from '../../../src/rule-table/errors.js';
import { loadRuleTable } from '../../../src/rule-table/loader.js';
import { matchAlert } from '../../../src/rule-table/match.js';
import { renderTarget, renderValue } from '../../../src/rule-table/templates.js';
import { CURRENT_FIXTURE_DIR } from '../../helpers/fixtures.js';
import { FIXTURES_DIR, SHIPPED_RULES_DIR } from './helpers.js';

let table: RuleTable;
beforeAll(async () => {
  const r = await loadRuleTable(SHIPPED_RULES_DIR);
  if (!r.ok) throw new Error(r.errors.map(formatRuleError).join('\n'));
  table = r.table;
});

/** What each alert name in the fixtures should lead to. */
const EXPECTED: Record<string, { rule: string; target: { namespace: string; name: string; kind: string; apiVersion: string } }> = {
  QueueDepthHigh: { rule: 'queue-add-consumers', target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: 'ci-failure-agent-consumer' } },
  HighPodCPU: { rule: 'cpu-raise-hpa-floor', target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: 'ci-failure-agent' } },
  HighMemoryUsage: { rule: 'memory-raise-limits', target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: 'ci-failure-agent' } },
};

describe('captured Alertmanager fixtures', () => {
  test('every alert of every fixture matches its rule and renders its target', async () => {
    const files = (await readdir(FIXTURES_DIR)).filter((f) => f.endsWith('.json')).sort();
    expect(files.length).toBeGreaterThanOrEqual(11);
    let alerts = 0;
    for (const file of files) {
      const body = JSON.parse(await readFile(join(FIXTURES_DIR, file), 'utf8')) as WebhookNotification;
      for (const alert of body.alerts) {
        const expected = EXPECTED[alert.labels.alertname!];
        if (!expected) throw new Error(`${file}: no expectation for ${alert.labels.alertname}`);
        const matched = matchAlert(table, alert.labels);
        expect({ file, rules: matched.map((r) => r.name) }).toEqual({ file, rules: [expected.rule] });
        expect({ file, target: renderTarget(matched[0]!.target, alert) }).toEqual({ file, target: { ok: true, value: expected.target } });
        alerts++;
      }
    }
    expect(alerts).toBeGreaterThanOrEqual(15);
  });

  test('HighMemoryUsage of the pre-1.16 capture (container_name, no container) cannot render the container: a skip naming the label, never a wrong container', async () => {
    const body = JSON.parse(await readFile(join(FIXTURES_DIR, 'firing-HighMemoryUsage.json'), 'utf8')) as WebhookNotification;
    const alert = body.alerts[0]!;
    expect(alert.labels).toMatchObject({ container_name: 'ci-failure-agent' });
    const [rule] = matchAlert(table, alert.labels);
    if (rule?.action.type !== 'resources') throw new Error('expected the resources rule');
    expect(renderValue(rule.action.container, alert, 'container')).toMatchObject({ ok: false, reason: 'template-missing-label', missing: '$labels.container' });
  });
});

/** What each alert of today's captures should lead to, and the action's rendered field. */
const CURRENT: Record<string, { rule: string; target: { apiVersion: string; kind: string; name: string }; container?: string; address?: string }> = {
  HighPodCPU: { rule: 'cpu-raise-hpa-floor', target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'ci-failure-agent' } },
  HighMemoryUsage: { rule: 'memory-raise-limits', target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'ci-failure-agent' }, container: 'ci-failure-agent' },
  HighLatencyP99: { rule: 'latency-raise-hpa-floor', target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'ci-failure-agent' } },
  DatabaseConnectionsHigh: { rule: 'db-add-read-replicas', target: { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', name: 'ci-failure-agent-db' } },
  QueueDepthHigh: { rule: 'queue-add-consumers', target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'ci-failure-agent-consumer' } },
  RedisMemoryPressure: { rule: 'cache-raise-maxmemory', target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'ci-failure-agent-redis' }, address: 'redis://ci-failure-agent-redis.ci.svc:6379' },
};

describe("Alertmanager bodies captured for today's alert rules (test/fixtures/alertmanager-current)", () => {
  test('every alert of every capture matches its rule, renders its target in its namespace and its action', async () => {
    const files = (await readdir(CURRENT_FIXTURE_DIR)).filter((f) => f.endsWith('.json')).sort();
    const seen = new Set<string>();
    for (const file of files) {
      const body = JSON.parse(await readFile(join(CURRENT_FIXTURE_DIR, file), 'utf8')) as WebhookNotification;
      for (const alert of body.alerts) {
        const alertname = alert.labels.alertname!;
        const want = CURRENT[alertname];
        if (!want) throw new Error(`${file}: no expectation for ${alertname}`);
        seen.add(alertname);
        const matched = matchAlert(table, alert.labels);
        expect({ file, rules: matched.map((r) => r.name) }).toEqual({ file, rules: [want.rule] });
        const rule = matched[0]!;
        expect({ file, target: renderTarget(rule.target, alert) }).toEqual({ file, target: { ok: true, value: { ...want.target, namespace: alert.labels.namespace } } });
        if (rule.action.type === 'resources') expect({ file, container: renderValue(rule.action.container, alert, 'container') }).toEqual({ file, container: { ok: true, value: want.container } });
        if (rule.action.type === 'redis') expect({ file, service: rule.action.service, address: rule.action.address }).toEqual({ file, service: 'ci-failure-agent-redis', address: undefined });
        for (const check of rule.validate?.checks ?? []) expect({ file, check: check.name, ok: renderValue(check.query, alert, 'promql').ok }).toEqual({ file, check: check.name, ok: true });
      }
    }
    // Every shipped alert has a capture.
    expect([...seen].sort()).toEqual(Object.keys(CURRENT).sort());
  });
});

describe('alerts without fixtures, with the labels §3.3 of the protocol notes lists', () => {
  test.each([
    // HighLatencyP99 carries no namespace: the rule names ci literally
    [
      { alertname: 'HighLatencyP99', cluster: 'e2e-local', service: 'ci-failure-agent', severity: 'warning' },
      'latency-raise-hpa-floor',
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: 'ci-failure-agent' },
    ],
    // DatabaseConnectionsHigh carries namespace: the CNPG Cluster in it
    [
      { alertname: 'DatabaseConnectionsHigh', cluster: 'e2e-local', database: 'ci', instance: '127.0.0.1:18080', job: 'ci-failure-agent', namespace: 'ci', service: 'ci-failure-agent', severity: 'warning' },
      'db-add-read-replicas',
      { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', namespace: 'ci', name: 'ci-failure-agent-db' },
    ],
    // a Redis memory alert (labels assumed: as the others, plus instance)
    [
      { alertname: 'RedisMemoryPressure', instance: 'redis.ci.svc:6379', namespace: 'ci', service: 'ci-failure-agent', severity: 'warning' },
      'cache-raise-maxmemory',
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: 'ci-failure-agent-redis' },
    ],
  ])('%j → %s', (labels, ruleName, target) => {
    const matched = matchAlert(table, labels);
    expect(matched.map((r) => r.name)).toEqual([ruleName]);
    expect(renderTarget(matched[0]!.target, { labels })).toEqual({ ok: true, value: target });
  });

  test('the Redis rule connects to its Service in the target namespace, never to an address from a label', () => {
    const labels = { alertname: 'RedisMemoryPressure', instance: 'redis.ci.svc:6379', namespace: 'ci', service: 'ci-failure-agent' };
    const [rule] = matchAlert(table, labels);
    if (rule?.action.type !== 'redis') throw new Error('expected the redis rule');
    expect(rule.action).toMatchObject({ service: 'ci-failure-agent-redis', port: 'redis' });
    expect(rule.action.address).toBeUndefined();
  });

  test.each([
    // the same alert name from another service matches nothing
    [{ alertname: 'HighPodCPU', service: 'billing', namespace: 'billing', pod: 'billing-6d5f8c7b9-x2x2x' }],
    // an alert name no rule knows
    [{ alertname: 'Watchdog', service: 'ci-failure-agent' }],
  ])('%j matches no rule', (labels) => {
    expect(matchAlert(table, labels)).toEqual([]);
  });

  test('a QueueDepthHigh alert without namespace matches, but its target cannot be rendered', () => {
    const labels = { alertname: 'QueueDepthHigh', service: 'ci-failure-agent' };
    const [rule] = matchAlert(table, labels);
    expect(renderTarget(rule!.target, { labels })).toMatchObject({ ok: false, reason: 'template-missing-label', missing: '$labels.namespace' });
  });
});
