import type { Rule } from '../../../src/rule-table/rule.js';
import { ruleSchema } from '../../../src/rule-table/schema.js';
import type { PlannerSettings } from '../../../src/planner/decide.js';
import { retentionCutoffs } from '../../../src/scheduler/retention-job.js';

const NOW = new Date('2026-11-28T12:00:00Z');
const MIN = 60_000;
const DAY = 86_400_000;
const ago = (ms: number) => new Date(NOW.getTime() - ms);

function rule(name: string, overrides: Record<string, unknown> = {}): Rule {
  const spec = ruleSchema.parse({
    name,
    matchers: ['alertname="QueueDepthHigh"'],
    target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: 'consumer' },
    action: { type: 'scale', maxReplicas: 12 },
    cooldown: '3m',
    ...overrides,
  });
  return { ...spec, source: { file: 'test.yaml', index: 0 }, compiled: [] };
}

const PLANNER: PlannerSettings = {
  dryRun: false,
  allowedNamespaces: ['ci'],
  budgets: { namespace: { max: 5, windowMs: 10 * MIN }, global: { max: 20, windowMs: 10 * MIN } },
};

describe('retentionCutoffs: what one retention pass may delete', () => {
  test.each([
    // name, maxAgeMs, boundCutoff, rules, breaker window, expected before, keepActionsAfter, unrestored rules
    ['age only: 30 days; evidence = the breaker window (longest)', 30 * DAY, null, [rule('a')], 60 * MIN, ago(30 * DAY), ago(60 * MIN), []],
    ['a rule cooldown longer than the breaker window is the evidence window', 30 * DAY, null, [rule('a', { cooldown: '6h' })], 60 * MIN, ago(30 * DAY), ago(6 * 60 * MIN), []],
    ['a rate policy period longer than the rest sets it', 30 * DAY, null, [rule('a', { action: { type: 'scale', maxReplicas: 12, policies: [{ type: 'Pods', value: 1, periodSeconds: 1800 }] } })], 20 * MIN, ago(30 * DAY), ago(30 * MIN), []],
    ['the row bound cuts later than the age: the bound wins', 30 * DAY, ago(DAY), [rule('a')], 60 * MIN, ago(DAY), ago(60 * MIN), []],
    ['the age cuts later than the row bound: the age wins', 1 * DAY, ago(3 * DAY), [rule('a')], 60 * MIN, ago(DAY), ago(60 * MIN), []],
    ['RETENTION=0 with a bound: only the bound', 0, ago(2 * DAY), [rule('a')], 60 * MIN, ago(2 * DAY), ago(60 * MIN), []],
    ['rules with restore keep their raises awaiting it', 30 * DAY, null, [rule('a', { restore: { after: '15m' } }), rule('b')], 60 * MIN, ago(30 * DAY), ago(60 * MIN), ['a']],
    ['no rules: budgets and breaker still set the evidence window', 30 * DAY, null, [], 5 * MIN, ago(30 * DAY), ago(10 * MIN), []],
  ] as const)('%s', (_name, maxAgeMs, boundCutoff, rules, breakerWindowMs, before, keepActionsAfter, unrestored) => {
    expect(retentionCutoffs({ now: NOW, settings: { maxAgeMs }, boundCutoff, rules, planner: PLANNER, breakerWindowMs })).toEqual({
      before,
      keepActionsAfter,
      keepUnrestoredOfRules: unrestored,
    });
  });

  test('RETENTION=0 and no row bound (or not reached): nothing to do', () => {
    expect(retentionCutoffs({ now: NOW, settings: { maxAgeMs: 0 }, boundCutoff: null, rules: [rule('a')], planner: PLANNER, breakerWindowMs: 60 * MIN })).toBeNull();
  });
});
