/**
 * The Prometheus alert rules in alertmanager/rules: valid for Prometheus 2.42 (promtool
 * check rules), behaving as their unit tests say (promtool test rules), and the end-to-end
 * copy exactly what make-e2e-rules.sh generates from the production file.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describeWithBinaries } from '../../helpers/binaries.js';
import { FILES, readAlertingRules, readRuleGroups } from './configs.js';
import { run } from './run.js';

const ALERTS = ['HighPodCPU', 'HighMemoryUsage', 'HighLatencyP99', 'DatabaseConnectionsHigh', 'QueueDepthHigh', 'RedisMemoryPressure'];

describeWithBinaries({ promtool: 'prometheus' }, 'alert rules through promtool', () => {
  test.each([FILES.rules, FILES.e2eRules])('promtool check rules %s', async (file) => {
    const r = await run('promtool', ['check', 'rules', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`SUCCESS: ${ALERTS.length} rules found`);
  });

  test.each([FILES.rulesTest, FILES.e2eRulesTest])('promtool test rules %s', async (file) => {
    const r = await run('promtool', ['test', 'rules', basename(file)], { cwd: join(file, '..') });
    expect(`${r.stdout}${r.stderr}`).not.toContain('FAILED');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('SUCCESS');
  });

  test("the unit tests catch the runbook's by (pod_name), which drops namespace", async () => {
    // A negative control: the same tests against the rules with the runbook's aggregation.
    const dir = mkdtempSync(join(tmpdir(), 'am-rules-'));
    try {
      const rules = readFileSync(FILES.rules, 'utf8');
      const runbook = rules.replace('avg by (namespace, pod_name) (', 'avg by (pod_name) (');
      expect(runbook).not.toBe(rules);
      writeFileSync(join(dir, basename(FILES.rules)), runbook);
      copyFileSync(FILES.rulesTest, join(dir, basename(FILES.rulesTest)));
      const r = await run('promtool', ['test', 'rules', basename(FILES.rulesTest)], { cwd: dir });
      expect(r.code).not.toBe(0);
      expect(`${r.stdout}${r.stderr}`).toMatch(/FAILED[\s\S]*alertname: HighPodCPU/);
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
