/**
 * The pure half of every registered kind, table-driven: "does the state show it" for each kind's
 * fields, the snapshot checks that refuse a record that is not the kind's (naming the field), the
 * snapshot rebuilt from a decision, and what the rollout wait waits for.
 */
import { foundState } from '../../../src/actions/kind.js';
import { planOf } from '../../../src/actions/plan-kind.js';
import { ACTION_KINDS } from '../../../src/actions/registry.js';
import type { ActDecision, StateFields } from '../../../src/domain/decision.js';
import { actionSchema, type ActionSpec } from '../../../src/rule-table/schema.js';

const A = {
  scale: actionSchema.parse({ type: 'scale', maxReplicas: 10 }),
  hpa: actionSchema.parse({ type: 'hpa', bound: 'min', ceiling: 10 }),
  resources: actionSchema.parse({ type: 'resources', container: 'app', resource: 'cpu', factor: 2, cap: '2' }),
  redis: actionSchema.parse({ type: 'redis', address: 'redis://127.0.0.1:6379', factor: 2, cap: '1Gi' }),
  restart: actionSchema.parse({ type: 'restart' }),
  undo: actionSchema.parse({ type: 'undo' }),
} satisfies Record<ActionSpec['type'], ActionSpec>;

const STATE = foundState({
  replicas: 3,
  hpa: { name: 'agent', minReplicas: 3, maxReplicas: 20, currentReplicas: 3 },
  containers: [{ name: 'app', requests: { cpu: '100m' }, limits: { cpu: '200m' } }],
  maxmemory: 1024,
});

const decision = (a: ActionSpec, before: StateFields, after: StateFields): ActDecision => ({ outcome: 'act', rule: 'r', target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: 'agent' }, action: a.type, before, after, explanation: 'x', facts: {} });

test('every action type of the rule table has a registered kind under its own type', () => {
  for (const [type, a] of Object.entries(A)) expect(planOf(ACTION_KINDS, a).type).toBe(type);
});

describe('does the state show these fields', () => {
  test.each<[keyof typeof A, StateFields, boolean | 'unknown']>([
    ['scale', { replicas: 3 }, true],
    ['scale', { replicas: 4 }, false],
    ['scale', { minReplicas: 3 }, 'unknown'],
    ['hpa', { minReplicas: 3, maxReplicas: 20 }, true],
    ['hpa', { minReplicas: 5, maxReplicas: 20 }, false],
    ['hpa', { replicas: 3 }, 'unknown'],
    ['resources', { 'requests.cpu': '100m', 'limits.cpu': '200m' }, true],
    ['resources', { 'requests.cpu': '200m', 'limits.cpu': '200m' }, false],
    ['resources', { 'requests.memory': null }, true],
    ['resources', { replicas: 3 }, 'unknown'],
    ['redis', { maxmemory: 1024 }, true],
    ['redis', { maxmemory: 2048 }, false],
    ['restart', { restartedAt: null }, 'unknown'],
    ['undo', { revision: 'current' }, 'unknown'],
  ])('%s %j → %s', (type, fields, expected) => {
    const a = A[type];
    expect(planOf(ACTION_KINDS, a).shows(STATE, fields, a)).toBe(expected);
  });
});

describe('a stored snapshot is checked by its kind', () => {
  test.each<[keyof typeof A, Record<string, unknown>, unknown]>([
    ['scale', { replicas: 2 }, { replicas: 2 }],
    ['hpa', { hpa: 'agent', minReplicas: 3, maxReplicas: 20 }, { hpa: 'agent', minReplicas: 3, maxReplicas: 20 }],
    ['hpa', { minReplicas: 3, maxReplicas: 20 }, { minReplicas: 3, maxReplicas: 20 }],
    ['resources', { container: 'app', resource: 'cpu', requests: '100m', limits: null }, { container: 'app', resource: 'cpu', requests: '100m', limits: null }],
    ['redis', { maxmemory: 1024 }, { maxmemory: 1024 }],
    ['restart', { revision: 4 }, { revision: 4 }],
  ])('%s %j is read as it was written', (type, raw, expected) => {
    expect(planOf(ACTION_KINDS, A[type]).snapshot(raw)).toEqual(expected);
  });

  test.each<[keyof typeof A, Record<string, unknown>, RegExp]>([
    ['scale', { minReplicas: 3 }, /^scale snapshot\.replicas: expected a number, found undefined$/],
    ['scale', { replicas: '3' }, /^scale snapshot\.replicas: expected a number, found "3"$/],
    ['hpa', { minReplicas: 3 }, /^hpa snapshot\.maxReplicas: expected a number/],
    ['resources', { container: 'app', resource: 'cpu', requests: 100 }, /^resources snapshot\.requests: expected a string or null, found 100$/],
    ['redis', { maxmemory: null }, /^redis snapshot\.maxmemory: expected a number, found null$/],
    ['undo', {}, /^undo snapshot\.revision: expected a number/],
  ])('%s %j is refused, naming the field', (type, raw, message) => {
    expect(() => planOf(ACTION_KINDS, A[type]).snapshot(raw)).toThrow(message);
  });
});

describe('the snapshot rebuilt from a decision (the converge step found the change made)', () => {
  test.each<[keyof typeof A, StateFields, unknown]>([
    ['scale', { replicas: 3 }, { replicas: 3 }],
    ['hpa', { minReplicas: 3, maxReplicas: 20 }, { minReplicas: 3, maxReplicas: 20 }],
    ['resources', { 'requests.cpu': '100m', 'limits.cpu': null }, { container: 'app', resource: 'cpu', requests: '100m', limits: null }],
    ['redis', { maxmemory: 1024 }, { maxmemory: 1024 }],
  ])('%s from %j', (type, before, expected) => {
    const a = A[type];
    expect(planOf(ACTION_KINDS, a).snapshotFromDecision(decision(a, before, before), a)).toEqual(expected);
  });

  test('a restart cannot be rebuilt: the revision before it is known only to its apply', () => {
    expect(() => planOf(ACTION_KINDS, A.restart).snapshotFromDecision(decision(A.restart, { restartedAt: null }, {}), A.restart)).toThrow(/cannot be rebuilt from its decision/);
  });
});

describe('what the rollout wait waits for', () => {
  test.each<[keyof typeof A, 'workload' | 'none']>([
    ['scale', 'workload'],
    ['hpa', 'workload'],
    ['resources', 'workload'],
    ['restart', 'workload'],
    ['undo', 'workload'],
    ['redis', 'none'],
  ])('%s → %s', (type, waits) => {
    expect(planOf(ACTION_KINDS, A[type]).rollout.waits).toBe(waits);
  });

  test.each<[StateFields, StateFields, number | null]>([
    [{ minReplicas: 3, maxReplicas: 20 }, { minReplicas: 5, maxReplicas: 20 }, 5],
    [{ minReplicas: 3, maxReplicas: 20 }, { minReplicas: 3, maxReplicas: 25 }, null],
    [{ minReplicas: 5, maxReplicas: 20 }, { minReplicas: 3, maxReplicas: 20 }, null],
  ])('hpa %j → %j: floor %s', (before, after, floor) => {
    expect(planOf(ACTION_KINDS, A.hpa).rollout.floor!(decision(A.hpa, before, after))).toBe(floor);
  });
});
