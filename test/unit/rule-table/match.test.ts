import fc from 'fast-check';
import { stringify } from 'yaml';
import type { LabelSet } from '../../../src/domain/alert.js';
import type { Matcher, RuleTable } from '../../../src/rule-table/rule.js';
import { formatRuleError } from '../../../src/rule-table/errors.js';
import { buildRuleTable } from '../../../src/rule-table/loader.js';
import { createMatcher } from '../../../src/rule-table/matchers.js';
import { explainMatch, formatMatcherFailure, matchAlert, matchAlertLinear } from '../../../src/rule-table/match.js';

interface RuleInput {
  name: string;
  matchers: string[];
  continue?: boolean;
  enabled?: boolean;
}

const TARGET = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: 'x' };

/** A table from rule stubs, through the real loader (restart actions; only matching matters here). */
function table(rules: RuleInput[]): RuleTable {
  const text = stringify({ rules: rules.map((r) => ({ ...r, target: { ...TARGET }, action: { type: 'restart' } })) });
  const r = buildRuleTable([{ file: 'rules.yaml', text }]);
  if (!r.ok) throw new Error(r.errors.map(formatRuleError).join('\n'));
  return r.table;
}

const names = (t: RuleTable, labels: LabelSet): string[] => matchAlert(t, labels).map((r) => r.name);

describe('first match wins, unless continue', () => {
  const t = table([
    { name: 'cpu-critical', matchers: ['alertname="HighPodCPU"', 'severity="critical"'] },
    { name: 'cpu-audit', matchers: ['alertname="HighPodCPU"'], continue: true },
    { name: 'cpu-any', matchers: ['alertname="HighPodCPU"'] },
    { name: 'cpu-never-reached', matchers: ['alertname="HighPodCPU"'] },
    { name: 'catch-all-warning', matchers: ['severity=~"warning|critical"'] },
    { name: 'disabled-queue', matchers: ['alertname="QueueDepthHigh"'], enabled: false },
    { name: 'queue', matchers: ['alertname="QueueDepthHigh"'] },
  ]);

  test.each([
    // the first matching rule stops the search
    [{ alertname: 'HighPodCPU', severity: 'critical' }, ['cpu-critical']],
    // a rule with continue: true lets the search go on to the next match, which stops it
    [{ alertname: 'HighPodCPU', severity: 'warning' }, ['cpu-audit', 'cpu-any']],
    // a rule without an alertname matcher applies to any alert name, in table order
    [{ alertname: 'Other', severity: 'warning' }, ['catch-all-warning']],
    // nothing matches
    [{ alertname: 'Other', severity: 'info' }, []],
    // a disabled rule matches and stops the search (the planner records `disabled`)
    [{ alertname: 'QueueDepthHigh' }, ['disabled-queue']],
    // an alert without alertname only meets rules without an alertname matcher
    [{ severity: 'critical' }, ['catch-all-warning']],
  ])('%j → %j', (labels, expected) => {
    expect(names(t, labels)).toEqual(expected);
  });

  test('a rule after an alertname-specific one keeps its table position among candidates', () => {
    const t2 = table([
      { name: 'generic-first', matchers: ['severity="critical"'], continue: true },
      { name: 'specific', matchers: ['alertname="A"'], continue: true },
      { name: 'generic-last', matchers: ['severity="critical"'] },
    ]);
    expect(names(t2, { alertname: 'A', severity: 'critical' })).toEqual(['generic-first', 'specific', 'generic-last']);
  });

  test('a label named like an Object property is not found on the prototype', () => {
    const t3 = table([{ name: 'no-ctor', matchers: ['constructor=""'] }]);
    expect(names(t3, { alertname: 'A' })).toEqual(['no-ctor']);
  });
});

describe('the alertname index gives the same result as a linear scan', () => {
  const ALERTNAMES = ['A', 'B', 'C'];
  const matcherArb = fc.constantFrom(
    'severity="warning"',
    'severity!="info"',
    'severity=~"warn.*|critical"',
    'severity!~"crit.*"',
    'team=""',
    'team="a"',
    'alertname=~"A|B"',
    'alertname!="C"',
  );
  const ruleArb = fc.record({
    alertname: fc.option(fc.constantFrom(...ALERTNAMES, ''), { nil: undefined }),
    extra: fc.array(matcherArb, { maxLength: 3 }),
    continue: fc.boolean(),
  });
  const labelsArb = fc.record(
    {
      alertname: fc.constantFrom(...ALERTNAMES, 'D'),
      severity: fc.constantFrom('warning', 'critical', 'info'),
      team: fc.constantFrom('a', 'b'),
    },
    { requiredKeys: [] },
  );

  test('on randomized tables and alerts', () => {
    fc.assert(
      fc.property(fc.array(ruleArb, { minLength: 1, maxLength: 40 }), fc.array(labelsArb, { minLength: 1, maxLength: 20 }), (specs, alerts) => {
        const t = table(
          specs.map((s, i) => {
            const matchers = [...(s.alertname === undefined ? [] : [`alertname="${s.alertname}"`]), ...s.extra];
            return { name: `r${i}`, matchers: matchers.length > 0 ? matchers : ['x!="y"'], continue: s.continue };
          }),
        );
        for (const labels of alerts) {
          expect(matchAlert(t, labels).map((r) => r.name)).toEqual(matchAlertLinear(t, labels).map((r) => r.name));
        }
      }),
      { seed: 20261128, numRuns: 200 },
    );
  });

  test('matching in a table of 10,000 rules evaluates only the candidates for the alert name', () => {
    // Hand-built rules whose matchers count their evaluations (the loader is not what is tested here).
    let evaluations = 0;
    const counting = (m: Matcher): Matcher => ({
      ...m,
      matches: (v) => {
        evaluations++;
        return m.matches(v);
      },
    });
    const rules = Array.from({ length: 10_000 }, (_, i) => ({
      name: `r${i}`,
      continue: false,
      compiled: [counting(createMatcher('alertname', '=', `Alert${i}`)), counting(createMatcher('severity', '!=', 'info'))],
    }));
    const big = { rules, files: [], loadedAt: new Date(0), version: 'v' } as unknown as RuleTable;
    for (const i of [0, 4_999, 9_999]) {
      evaluations = 0;
      expect(names(big, { alertname: `Alert${i}`, severity: 'warning' })).toEqual([`r${i}`]);
      expect(evaluations).toBe(2);
    }
    evaluations = 0;
    expect(names(big, { alertname: 'Unknown', severity: 'warning' })).toEqual([]);
    expect(evaluations).toBe(0);
  });
});

describe('explainMatch', () => {
  const [rule] = table([{ name: 'cpu', matchers: ['alertname="HighPodCPU"', 'service="ci-failure-agent"', 'namespace=~"ci|ci-staging"'] }]).rules;

  test.each([
    // everything holds: no failures
    [{ alertname: 'HighPodCPU', service: 'ci-failure-agent', namespace: 'ci' }, []],
    // a different value
    [
      { alertname: 'HighPodCPU', service: 'other', namespace: 'ci' },
      ['service="ci-failure-agent" (alert has service="other")'],
    ],
    // a missing label, and an anchored regex that does not match
    [{ alertname: 'HighPodCPU', namespace: 'ci-prod' }, ['service="ci-failure-agent" (alert has no service)', 'namespace=~"ci|ci-staging" (alert has namespace="ci-prod")']],
  ])('%j → %j', (labels, expected) => {
    expect(explainMatch(rule!, labels).map(formatMatcherFailure)).toEqual(expected);
  });

  test('failures carry the matcher and the value', () => {
    const [f] = explainMatch(rule!, { alertname: 'X', service: 'ci-failure-agent', namespace: 'ci' });
    expect(f?.matcher.name).toBe('alertname');
    expect(f?.value).toBe('X');
  });
});
