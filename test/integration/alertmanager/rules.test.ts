/**
 * The Prometheus alert rules in alertmanager/rules: valid for Prometheus 2.42 and 3 (promtool
 * check rules, with each promtool), behaving as their unit tests say (promtool test rules, whose
 * input series are shaped as the exporters publish them), and the end-to-end copy exactly what
 * make-e2e-rules.sh generates from the production file.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { FILES, readAlertingRules, readRuleGroups } from './configs.js';
import { describePerPromtool } from './promtools.js';
import { run } from './run.js';

const ALERTS = ['HighPodCPU', 'HighMemoryUsage', 'HighLatencyP99', 'DatabaseConnectionsHigh', 'QueueDepthHigh', 'RedisMemoryPressure'];

/**
 * Mutations of the production rules that the unit tests must catch: each one is a way the
 * rules have been, or could easily be, wrong on a real cluster.
 */
const MUTANTS: { name: string; edits: [from: string, to: string][]; alert: string }[] = [
  // The runbook's aggregation drops namespace, and with it the target.
  { name: "the runbook's by (pod), which drops namespace", edits: [['sum by (namespace, pod) (', 'sum by (pod) (']], alert: 'HighPodCPU' },
  // An average over a pod's containers understates a pod with a sidecar.
  { name: "avg instead of sum over a pod's containers", edits: [['sum by (namespace, pod) (', 'avg by (namespace, pod) (']], alert: 'HighPodCPU' },
  // Pre-1.16 label names (the shipped rules' old ones) match nothing a current kubelet sends.
  {
    name: 'the removed pod_name / container_name labels',
    edits: [
      ['by (namespace, pod, container)', 'by (namespace, pod_name, container_name)'],
      ['by (namespace, pod) (\n            rate(container_cpu', 'by (namespace, pod_name) (\n            rate(container_cpu'],
      [' pod=~"ci-failure-agent-[a-z0-9]', ' pod_name=~"ci-failure-agent-[a-z0-9]'],
      ['container!=', 'container_name!='],
    ],
    alert: 'HighPodCPU',
  },
  // Without image!="", the kubelet's /metrics/resource copy is summed in too.
  { name: 'no image!="" filter', edits: [[', image!=""}', '}']], alert: 'HighPodCPU' },
  // Without container!="", the pod-level cgroup series (and containerd's pause) count.
  { name: 'no container!="" filter', edits: [['container!="", ', '']], alert: 'HighPodCPU' },
  // Every setting of CNPG's pg_settings query is the same metric: max_connections must be named.
  { name: 'cnpg_pg_settings_setting without name="max_connections"', edits: [[', name="max_connections"}', '}']], alert: 'DatabaseConnectionsHigh' },
];

describePerPromtool('alert rules through promtool', ({ bin }) => {
  test.each([FILES.rules, FILES.e2eRules])('promtool check rules %s', async (file) => {
    const r = await run(bin, ['check', 'rules', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`SUCCESS: ${ALERTS.length} rules found`);
  });

  test.each([FILES.rulesTest, FILES.e2eRulesTest])('promtool test rules %s', async (file) => {
    const r = await run(bin, ['test', 'rules', basename(file)], { cwd: join(file, '..') });
    expect(`${r.stdout}${r.stderr}`).not.toContain('FAILED');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('SUCCESS');
  });

  test.each(MUTANTS)('the unit tests catch $name', async ({ edits, alert }) => {
    // A negative control: the same tests against the rules with one mistake put back.
    const dir = mkdtempSync(join(tmpdir(), 'am-rules-'));
    try {
      const rules = readFileSync(FILES.rules, 'utf8');
      let mutant = rules;
      for (const [from, to] of edits) {
        expect({ from, found: mutant.includes(from) }).toEqual({ from, found: true });
        mutant = mutant.split(from).join(to);
      }
      writeFileSync(join(dir, basename(FILES.rules)), mutant);
      copyFileSync(FILES.rulesTest, join(dir, basename(FILES.rulesTest)));
      const r = await run(bin, ['test', 'rules', basename(FILES.rulesTest)], { cwd: dir });
      expect(r.code).not.toBe(0);
      expect(`${r.stdout}${r.stderr}`).toMatch(new RegExp(`FAILED[\\s\\S]*alertname: ${alert}`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the end-to-end rules', () => {
  test('equal the output of make-e2e-rules.sh (regenerate: alertmanager/make-e2e-rules.sh > alertmanager/rules/ci-failure-agent.e2e.rules.yml)', async () => {
    const r = await run('sh', [FILES.makeE2eRules]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(FILES.e2eRules, 'utf8')).toBe(r.stdout);
  });

  test('differ from production only in rate windows ([5s]) and for (2s)', () => {
    const prod = readRuleGroups(FILES.rules);
    const e2e = readRuleGroups(FILES.e2eRules);
    const shortened = prod.map((g) => ({
      ...g,
      rules: g.rules.map((rule) => ({ ...rule, expr: rule.expr.replace(/\[\d+[smhdwy]\]/g, '[5s]'), for: '2s' })),
    }));
    expect(e2e).toEqual(shortened);
    // The production rules really have longer windows: the generator changed something.
    expect(prod.flatMap((g) => g.rules).every((rule) => rule.for !== '2s')).toBe(true);
  });

  test('production rules define exactly the runbook alerts, each with severity, service, summary, description and runbook_url', () => {
    const rules = readAlertingRules(FILES.rules);
    expect(rules.map((rule) => rule.alert)).toEqual(ALERTS);
    for (const rule of rules) {
      expect({ alert: rule.alert, labels: rule.labels }).toEqual({
        alert: rule.alert,
        labels: expect.objectContaining({ severity: expect.stringMatching(/^(warning|critical)$/), service: 'ci-failure-agent' }),
      });
      expect(Object.keys(rule.annotations ?? {}).sort()).toEqual(['description', 'runbook_url', 'summary']);
      // The description states the measured value.
      expect(rule.annotations?.description).toContain('$value');
      expect(rule.annotations?.runbook_url).toBe(`https://runbooks.example.com/ci-failure-agent/${rule.alert}`);
      // `namespace` comes from the series, never from a static label (see the rules file).
      expect(rule.labels).not.toHaveProperty('namespace');
    }
  });
});
