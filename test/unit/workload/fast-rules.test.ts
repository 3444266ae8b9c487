/** The fast copy of the rule table (tests, demo), the sandbox's Prometheus configuration, and small parsers. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../helpers/fixtures.js';
import { ruleFileSchema } from '../../../src/rule-table/schema.js';
import { fastRuleTable } from '../../../src/sandbox/workload/fast-rules.js';
import { prometheusConfig } from '../../../src/sandbox/workload/prometheus-config.js';
import { Exposition, formatValue } from '../../../src/sandbox/workload/exposition.js';
import { maxmemoryFromArgs, parseRedisBytes } from '../../../src/sandbox/workload/observe.js';

const production = readFileSync(join(REPO_ROOT, 'rules', 'ci-failure-agent.yaml'), 'utf8');

describe('fastRuleTable', () => {
  const slow = ruleFileSchema.parse(parse(production)).rules;
  const fast = ruleFileSchema.parse(parse(fastRuleTable(production))).rules;

  test('the same rules, in the same order, still valid', () => {
    expect(fast.map((r) => r.name)).toEqual(slow.map((r) => r.name));
    expect(fast.map((r) => r.matchers)).toEqual(slow.map((r) => r.matchers));
  });

  test('every time is divided by 60 (at least 1 s; rollout timeouts at least 15 s), counts and thresholds kept', () => {
    fast.forEach((r, i) => {
      const s = slow[i]!;
      expect(r.cooldown).toBe(Math.max(1000, s.cooldown / 60));
      expect(r.restore?.after).toBe(s.restore ? Math.max(1000, s.restore.after / 60) : undefined);
      if (s.validate) expect(r.validate!.rolloutTimeout).toBe(Math.max(15_000, s.validate.rolloutTimeout / 60));
      r.validate?.checks.forEach((c, j) => {
        const sc = s.validate!.checks[j]!;
        expect(c.interval).toBe(Math.max(1000, sc.interval / 60));
        expect([c.count, c.failureLimit, c.below, c.above, c.belowBaseline]).toEqual([sc.count, sc.failureLimit, sc.below, sc.above, sc.belowBaseline]);
        expect(c.query).not.toMatch(/\[5m\]/);
        expect(c.query).toBe(sc.query.replace(/\[5m\]/g, '[5s]'));
      });
    });
  });

  test('rules that share a YAML anchor (validate: *api-validate) are each shortened once', () => {
    // Without floors, so that shortening the shared block twice would show: 1m ÷ 10 = 6s, not 600ms.
    const rules = ruleFileSchema.parse(parse(fastRuleTable(production, { divisor: 10, minimumMs: 0, minimumRolloutTimeoutMs: 0 }))).rules;
    const cpu = rules.find((r) => r.name === 'cpu-raise-hpa-floor')!;
    const latency = rules.find((r) => r.name === 'latency-raise-hpa-floor')!;
    expect(cpu.validate!.checks.map((c) => c.interval)).toEqual([6000, 6000, 6000]);
    expect(latency.validate!.checks.map((c) => c.interval)).toEqual([6000, 6000, 6000]);
    expect([cpu.validate!.rolloutTimeout, latency.validate!.rolloutTimeout]).toEqual([30_000, 30_000]);
  });

  test('step and restore periods are shortened; defaults are written out and shortened too', () => {
    const cpu = fast.find((r) => r.name === 'cpu-raise-hpa-floor')!;
    expect(cpu.action.type === 'hpa' && cpu.action.policies).toEqual([
      { type: 'Pods', value: 2, periodSeconds: 1 },
      { type: 'Percent', value: 50, periodSeconds: 1 },
    ]);
    // the production rule leaves restore.policies at the default, 10 % per 60 s
    expect(cpu.restore!.policies).toEqual([{ type: 'Percent', value: 10, periodSeconds: 1 }]);
    const db = fast.find((r) => r.name === 'db-add-read-replicas')!;
    expect(db.action.type === 'scale' && db.action.policies).toEqual([{ type: 'Pods', value: 1, periodSeconds: 10 }]);
  });

  test('a file that is not a rule table is refused', () => {
    expect(() => fastRuleTable('groups: []')).toThrow(/not a rule file/);
    expect(() => fastRuleTable('rules:\n  - name: x\n    cooldown: soon\n')).toThrow(/rules\[0\] \(x\)\.cooldown: "soon" is not a duration/);
  });
});

describe('prometheusConfig', () => {
  test('five scrape jobs on the sandbox, each keeping the job and instance labels its simulated exporter publishes', () => {
    const c = parse(prometheusConfig({ sandbox: '127.0.0.1:4000', alertmanagers: ['127.0.0.1:9093'], ruleFiles: ['/r.yml'], interval: '500ms' })) as {
      global: { scrape_interval: string; evaluation_interval: string };
      rule_files: string[];
      alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
      scrape_configs: Array<{ job_name: string; metrics_path: string; honor_labels: boolean; static_configs: Array<{ targets: string[] }> }>;
    };
    expect(c.global).toMatchObject({ scrape_interval: '500ms', evaluation_interval: '500ms' });
    expect(c.rule_files).toEqual(['/r.yml']);
    expect(c.alerting.alertmanagers[0]!.static_configs[0]!.targets).toEqual(['127.0.0.1:9093']);
    expect(c.scrape_configs.map((j) => [j.job_name, j.metrics_path, j.honor_labels, j.static_configs[0]!.targets[0]])).toEqual([
      ['ci-failure-agent', '/metrics', true, '127.0.0.1:4000'],
      ['kubelet', '/metrics/cadvisor', true, '127.0.0.1:4000'],
      ['cnpg', '/metrics/cnpg', true, '127.0.0.1:4000'],
      ['redis-exporter', '/metrics/redis', true, '127.0.0.1:4000'],
      ['kube-state-metrics', '/metrics/kube-state-metrics', true, '127.0.0.1:4000'],
    ]);
  });
});

describe('parsers and the exposition writer', () => {
  test.each([
    // Redis units: k/m/g are powers of 1000, kb/mb/gb of 1024
    ['256mb', 256 * 1024 * 1024],
    ['1gb', 1024 ** 3],
    ['100m', 100_000_000],
    ['1048576', 1048576],
    ['2GB', 2 * 1024 ** 3],
    ['lots', null],
  ])('parseRedisBytes(%s) = %p', (text, bytes) => {
    expect(parseRedisBytes(text)).toBe(bytes);
  });

  test('maxmemory comes from the argument after --maxmemory, 0 when there is none', () => {
    expect(maxmemoryFromArgs(['--maxmemory', '256mb', '--maxmemory-policy', 'allkeys-lru'])).toBe(256 * 1024 * 1024);
    expect(maxmemoryFromArgs(['--appendonly', 'yes'])).toBe(0);
  });

  test('values and label escaping as the text format wants them', () => {
    expect([NaN, Infinity, -Infinity, 1.5].map(formatValue)).toEqual(['NaN', '+Inf', '-Inf', '1.5']);
    const text = new Exposition().family('x_total', 'counter', 'A\\B').sample('x_total', { a: 'q"\\\n' }, 2).text();
    expect(text).toBe('# HELP x_total A\\\\B\n# TYPE x_total counter\nx_total{a="q\\"\\\\\\n"} 2\n');
  });
});
