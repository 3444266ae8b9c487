/** The restore decision: the same gates as any action, in order, and a reason for every pass that does not step. */
import type { TargetState } from '../../../src/domain/cluster.js';
import type { SkipDecision } from '../../../src/domain/decision.js';
import type { Rule } from '../../../src/rule-table/rule.js';
import { ACTION_KINDS } from '../../../src/actions/registry.js';
import { decideRestore, recordRestoreSkip, type RestoreDecisionInput } from '../../../src/planner/restore.js';
import { ruleSchema } from '../../../src/rule-table/schema.js';
import type { ActionRecord } from '../../../src/store/store.js';

const NOW = new Date('2026-11-28T12:00:00Z');
const ago = (s: number): Date => new Date(NOW.getTime() - s * 1000);

function rule(over: Record<string, unknown> = {}): Rule {
  const spec = ruleSchema.parse({
    name: 'raise-floor',
    matchers: ['alertname="QueueDepthHigh"'],
    target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: 'agent' },
    action: { type: 'hpa', bound: 'min', ceiling: 7 },
    cooldown: '5m',
    restore: { after: '10m', policies: [{ type: 'Pods', value: 4, periodSeconds: 60 }] },
    ...over,
  });
  return { ...spec, source: { file: 'test.yaml', index: 0 }, compiled: [] };
}

const state = (min: number): TargetState => ({ found: true, replicas: min, hpa: { name: 'agent', minReplicas: min, maxReplicas: 20, currentReplicas: min }, containers: [], maxmemory: null, paused: false, resourceVersion: '9' });

function step(over: Partial<ActionRecord>): ActionRecord {
  return { remediationId: 'r-restore', rule: 'raise-floor', targetKey: 'ci/deployment/agent', namespace: 'ci', at: ago(60), phase: 'succeeded', dryRun: false, before: { minReplicas: 7 }, after: { minReplicas: 3 }, undoneAt: null, origin: 'restore', ...over };
}

function input(over: Partial<RestoreDecisionInput> = {}): RestoreDecisionInput {
  const r = over.rule ?? rule();
  return {
    rule: r,
    target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: 'agent' },
    action: r.action,
    snapshot: { hpa: 'agent', minReplicas: 3, maxReplicas: 20 },
    sources: ['r-raise'],
    alerts: [{ name: 'QueueDepthHigh', status: 'resolved', endsAt: ago(11 * 60).toISOString() }],
    breakerOpen: false,
    targetHistory: [],
    state: state(7),
    actionsInWindow: { namespace: 0, global: 0 },
    settings: { dryRun: false, allowedNamespaces: ['ci'], budgets: { namespace: { max: 5, windowMs: 600_000 }, global: { max: 20, windowMs: 600_000 } } },
    now: NOW,
    kinds: ACTION_KINDS,
    ...over,
  };
}

const reasonOf = (i: RestoreDecisionInput): string => {
  const d = decideRestore(i);
  return d.kind === 'skip' ? d.decision.reason : d.kind;
};

describe('decideRestore', () => {
  test.each<[string, Partial<RestoreDecisionInput>, string]>([
    ['everything allows it', {}, 'act'],
    ['the alert still fires', { alerts: [{ name: 'QueueDepthHigh', status: 'firing', endsAt: null }] }, 'restore-waiting'],
    ['resolved only 5 min ago', { alerts: [{ name: 'QueueDepthHigh', status: 'resolved', endsAt: ago(300).toISOString() }] }, 'restore-waiting'],
    ['the breaker is open', { breakerOpen: true }, 'breaker-open'],
    ['still firing beats the breaker (checked first)', { breakerOpen: true, alerts: [{ name: 'QueueDepthHigh', status: 'firing', endsAt: null }] }, 'restore-waiting'],
    ['another run holds the target', { targetHistory: [step({ phase: 'validating', origin: 'alert' })] }, 'in-progress'],
    ['the last restore step was rolled back 1 min ago (cooldown 5m)', { targetHistory: [step({ phase: 'rolled_back', at: ago(70), undoneAt: ago(60) })] }, 'cooldown'],
    ['… and 6 min ago: the cooldown is over', { targetHistory: [step({ phase: 'rolled_back', at: ago(370), undoneAt: ago(360) })] }, 'act'],
    ['a failed restore step of another rule does not hold this one back', { targetHistory: [step({ phase: 'failed', rule: 'other' })] }, 'act'],
    ['the cluster could not be read', { state: null, stateError: 'timeout' }, 'state-unavailable'],
    ['the target is gone', { state: { found: false, detail: 'deployments "agent" not found' } }, 'target-not-found'],
    ['back at the snapshot', { state: state(3) }, 'done'],
    ['the restore pace allows no step now', { targetHistory: [step({ before: { minReplicas: 11 }, after: { minReplicas: 7 }, at: ago(30) })] }, 'policy-limit'],
    ['the namespace budget is spent', { actionsInWindow: { namespace: 5, global: 5 } }, 'budget-namespace'],
    ['the global budget is spent', { actionsInWindow: { namespace: 0, global: 20 } }, 'budget-global'],
    ['dry-run', { settings: { dryRun: true, allowedNamespaces: ['ci'], budgets: { namespace: { max: 5, windowMs: 600_000 }, global: { max: 20, windowMs: 600_000 } } } }, 'dry-run'],
  ])('%s → %s', (_name, over, expected) => {
    expect(reasonOf(input(over))).toBe(expected);
  });

  test('a step says what and why, and records the runs it steps back from', () => {
    const d = decideRestore(input());
    expect(d.kind).toBe('act');
    if (d.kind !== 'act') return;
    expect(d.decision).toMatchObject({ before: { minReplicas: 7, maxReplicas: 20 }, after: { minReplicas: 3, maxReplicas: 20 }, facts: { restoreOf: ['r-raise'] } });
    expect(d.decision.explanation).toMatch(/^Lower HPA agent of ci\/deployment\/agent from 7\.\.20 to 3\.\.20 \(toward 3\.\.20\): QueueDepthHigh resolved and stayed resolved for 10m/);
  });
});

describe('recordRestoreSkip: once per change of reason', () => {
  const skip = (reason: SkipDecision['reason']): SkipDecision => ({ outcome: 'skip', reason, rule: 'r', target: null, action: 'hpa', explanation: '', facts: {} });
  test.each<[string, Parameters<typeof recordRestoreSkip>[0], SkipDecision['reason'], boolean]>([
    ['nothing recorded yet', null, 'restore-waiting', true],
    ['the same reason as the last skip', { outcome: 'skip', reason: 'breaker-open' }, 'breaker-open', false],
    ['another reason', { outcome: 'skip', reason: 'restore-waiting' }, 'breaker-open', true],
    ['the last record was a step', { outcome: 'act', reason: null }, 'policy-limit', true],
  ])('%s → %s', (_name, last, reason, expected) => {
    expect(recordRestoreSkip(last, skip(reason))).toBe(expected);
  });
});
