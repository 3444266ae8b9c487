import { periodStart, scaleDownLimit, scaleUpLimit, stepDown, stepUp, type ChangeEvent } from '../../../src/planner/step-policy.js';
import type { StepPolicy } from '../../../src/rule-table/schema.js';

const NOW = new Date('2026-11-28T12:00:00Z');
const ago = (s: number): Date => new Date(NOW.getTime() - s * 1000);
const HPA_DEFAULT_UP: StepPolicy[] = [
  { type: 'Pods', value: 4, periodSeconds: 15 },
  { type: 'Percent', value: 100, periodSeconds: 15 },
];

describe('periodStart', () => {
  test.each<[string, number, ChangeEvent[], number, number]>([
    // no events: the period starts at today's value
    ['no events', 5, [], 60, 5],
    // +3 ten seconds ago is inside a 60 s period
    ['recent up', 8, [{ at: ago(10), change: 3 }], 60, 5],
    // an event exactly period-old no longer counts (HPA uses After(cutoff))
    ['exactly at cutoff', 8, [{ at: ago(60), change: 3 }], 60, 8],
    // a scale-down in the period raises the base for the next scale-up
    ['recent down', 6, [{ at: ago(5), change: -2 }], 60, 8],
    ['up then down', 6, [{ at: ago(30), change: 4 }, { at: ago(5), change: -2 }], 60, 4],
  ])('%s', (_name, current, events, period, expected) => {
    expect(periodStart(current, events, period, NOW)).toBe(expected);
  });
});

describe('scaleUpLimit (HPA behavior.scaleUp)', () => {
  test.each<[string, number, StepPolicy[], 'Max' | 'Min' | 'Disabled', ChangeEvent[], number]>([
    // HPA doc example: default scaleUp, 3 replicas → max(3+4, 3*2) = 7
    ['default policies from 3', 3, HPA_DEFAULT_UP, 'Max', [], 7],
    // within the next 15 s the base is still 3, so the limit stays 7
    ['default, 4 added 5 s ago', 7, HPA_DEFAULT_UP, 'Max', [{ at: ago(5), change: 4 }], 7],
    // after 15 s the event no longer counts: max(7+4, 14) = 14
    ['default, 4 added 15 s ago', 7, HPA_DEFAULT_UP, 'Max', [{ at: ago(15), change: 4 }], 14],
    // Min picks the smaller proposal: min(7, 6) = 6
    ['Min from 3', 3, HPA_DEFAULT_UP, 'Min', [], 6],
    // Disabled never moves
    ['Disabled', 3, HPA_DEFAULT_UP, 'Disabled', [], 3],
    // Percent up rounds up: ceil(3 * 1.1) = 4
    ['Percent rounds up', 3, [{ type: 'Percent', value: 10, periodSeconds: 60 }], 'Max', [], 4],
    // the limit never goes below current even when the period base is low
    ['never below current', 10, [{ type: 'Pods', value: 1, periodSeconds: 60 }], 'Max', [{ at: ago(10), change: 8 }], 10],
  ])('%s', (_name, current, policies, select, events, expected) => {
    expect(scaleUpLimit(current, policies, select, events, NOW)).toBe(expected);
  });
});

describe('scaleDownLimit (HPA behavior.scaleDown)', () => {
  const docPolicies: StepPolicy[] = [
    { type: 'Percent', value: 10, periodSeconds: 60 },
    { type: 'Pods', value: 4, periodSeconds: 60 },
  ];
  test.each<[string, number, StepPolicy[], 'Max' | 'Min' | 'Disabled', ChangeEvent[], number]>([
    // HPA doc example: 80 replicas, Percent 10 and Pods 4 per 60 s, Max → 72 (8 removed)
    ['doc example step 1', 80, docPolicies, 'Max', [], 72],
    // for the next 60 s the base is 80 again, so the limit stays 72
    ['doc example inside the period', 72, docPolicies, 'Max', [{ at: ago(30), change: -8 }], 72],
    // after 60 s: trunc(72 * 0.9) = 64
    ['doc example next period', 72, docPolicies, 'Max', [{ at: ago(61), change: -8 }], 64],
    // Min picks the smaller change: max(72, 76) = 76
    ['Min picks the smaller change', 80, docPolicies, 'Min', [], 76],
    // Percent down truncates: trunc(5 * 0.5) = 2
    ['Percent truncates', 5, [{ type: 'Percent', value: 50, periodSeconds: 60 }], 'Max', [], 2],
    ['Disabled', 5, docPolicies, 'Disabled', [], 5],
  ])('%s', (_name, current, policies, select, events, expected) => {
    expect(scaleDownLimit(current, policies, select, events, NOW)).toBe(expected);
  });
});

describe('stepUp clamps like HPA', () => {
  const base = { policies: HPA_DEFAULT_UP, selectPolicy: 'Max' as const, events: [], now: NOW };
  test.each<[string, number, number, number, number, number, string]>([
    // 3 → 7 by the policies, below max 20
    ['policy limited', 3, 20, 1, 20, 7, 'policy'],
    // max binds before the policy does
    ['max limited', 3, 5, 1, 5, 5, 'desired'],
    // desired below the policy limit
    ['desired reached', 3, 4, 1, 20, 4, 'desired'],
    // above max: clamp down to max, bypassing policies (HPA's special case)
    ['above max', 25, 25, 1, 20, 20, 'max-clamp'],
    // below min: clamp up to min, bypassing policies
    ['below min', 1, 20, 10, 20, 20, 'min-clamp'],
  ])('%s', (_name, current, desired, min, max, next, limitedBy) => {
    expect(stepUp({ ...base, current, desired, min, max })).toEqual({ next, limitedBy });
  });
});

describe('stepDown (restore pacing)', () => {
  const policies: StepPolicy[] = [{ type: 'Percent', value: 10, periodSeconds: 60 }];
  test.each<[string, number, number, number, ChangeEvent[], number]>([
    // 10 % of 20 per minute: 20 → 18
    ['paced', 20, 3, 3, [], 18],
    // never below the snapshot floor
    ['floor', 4, 3, 4, [], 4],
    // a step already taken in this period blocks the next one
    ['period used', 18, 3, 3, [{ at: ago(10), change: -2 }], 18],
    // desired above the limit: stop at desired
    ['desired', 20, 19, 3, [], 19],
  ])('%s', (_name, current, desired, floor, events, expected) => {
    expect(stepDown({ current, desired, floor, policies, selectPolicy: 'Max', events, now: NOW })).toBe(expected);
  });
});
