/**
 * The guards (planner/guards.ts) through decide(): each case a rule's guards, what was read,
 * and the decision expected, with the numbers the explanation must carry.
 */
import { ACTION_KINDS } from '../../../src/actions/registry.js';
import type { TargetState } from '../../../src/domain/cluster.js';
import type { GuardReadings, QuotaReading } from '../../../src/domain/guards.js';
import type { Rule } from '../../../src/rule-table/rule.js';
import { decide, type PlanInput } from '../../../src/planner/decide.js';
import { addedLoad, guardNeeds, planNumbers } from '../../../src/planner/guards.js';
import { ruleSchema } from '../../../src/rule-table/schema.js';

const NOW = new Date('2026-12-06T06:00:00Z');

function rule(guards: Record<string, unknown>, action: Record<string, unknown> = {}): Rule {
  const spec = ruleSchema.parse({
    name: 'queue-add-consumers',
    matchers: ['alertname="QueueDepthHigh"'],
    target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: 'consumer' },
    action: { type: 'scale', minReplicas: 2, maxReplicas: 12, policies: [{ type: 'Pods', value: 2, periodSeconds: 120 }], ...action },
    guards,
  });
  return { ...spec, source: { file: 'test.yaml', index: 0 }, compiled: [] };
}

const state: TargetState = { found: true, replicas: 2, hpa: null, containers: [], maxmemory: null, paused: false, resourceVersion: '1' };
const pod = { ok: true as const, value: { requests: { cpu: 0.5, memory: 256 * 2 ** 20 }, limits: { cpu: 1, memory: 512 * 2 ** 20 } } };
const quota = (hard: Record<string, string>, used: Record<string, string> | null, name = 'compute'): QuotaReading => ({ name, hard, used, scoped: false });

const DB = '{{ .added }} * 20 <= max(cnpg_pg_settings_setting{namespace="ci",name="max_connections"}) - sum(cnpg_backends_total{namespace="ci"})';
const ROOM_QUERY = 'max(cnpg_pg_settings_setting{namespace="ci",name="max_connections"}) - sum(cnpg_backends_total{namespace="ci"})';

function input(r: Rule, guards: GuardReadings | undefined): PlanInput {
  return {
    alert: { status: 'firing', labels: { alertname: 'QueueDepthHigh', namespace: 'ci' }, annotations: {}, startsAt: NOW.toISOString() },
    rule: r,
    target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: 'consumer' },
    action: r.action,
    state,
    history: [],
    actionsInWindow: { namespace: 0, global: 0 },
    breakerOpen: false,
    now: NOW,
    settings: { dryRun: false, allowedNamespaces: ['ci'], budgets: { namespace: { max: 5, windowMs: 600_000 }, global: { max: 20, windowMs: 600_000 } } },
    kinds: ACTION_KINDS,
    ...(guards ? { guards } : {}),
  };
}

type Case = [name: string, guards: Record<string, unknown>, readings: GuardReadings | undefined, outcome: string, mustSay: string[]];

const CASES: Case[] = [
  ['no guards: acts', {}, undefined, 'act', ['Scale ci/deployment/consumer from 2 to 4']],
  ['quota with room: acts', { quota: true }, { pod, quotas: { ok: true, value: [quota({ 'requests.cpu': '4', pods: '10' }, { 'requests.cpu': '2', pods: '4' })] } }, 'act', []],
  [
    'quota: requests.cpu full',
    { quota: true },
    { pod, quotas: { ok: true, value: [quota({ 'requests.cpu': '4', pods: '10' }, { 'requests.cpu': '3500m', pods: '7' })] } },
    'quota-exceeded',
    ['ResourceQuota compute requests.cpu: 2 more pods × 500m = 1 needed, 3500m of 4 used, room for 500m', 'replicas 2→4', 'Would have done: scale ci/deployment/consumer from 2 to 4'],
  ],
  [
    'quota: pod count full (count/pods)',
    { quota: true },
    { pod, quotas: { ok: true, value: [quota({ 'count/pods': '5' }, { 'count/pods': '4' }, 'objects')] } },
    'quota-exceeded',
    ['ResourceQuota objects count/pods: 2 more needed, 4 of 5 used, room for 1'],
  ],
  [
    'quota: memory limits full in a second quota',
    { quota: true },
    { pod, quotas: { ok: true, value: [quota({ pods: '10' }, { pods: '2' }), quota({ 'limits.memory': '2Gi' }, { 'limits.memory': '1536Mi' }, 'mem')] } },
    'quota-exceeded',
    ['ResourceQuota mem limits.memory: 2 more pods × 512Mi = 1Gi needed, 1536Mi of 2Gi used, room for 512Mi'],
  ],
  ['quota not yet computed by the controller', { quota: true }, { pod, quotas: { ok: true, value: [quota({ pods: '10' }, null)] } }, 'state-unavailable', ['has not yet computed the usage of ResourceQuota ci/compute']],
  ['quota read failed', { quota: true }, { pod, quotas: { ok: false, error: 'forbidden: cannot list resourcequotas' } }, 'state-unavailable', ['Could not read the ResourceQuotas of namespace ci', 'forbidden']],
  ['quota guard, nothing read: does not pass', { quota: true }, undefined, 'state-unavailable', ['not read']],
  [
    'capacity short of cpu',
    { capacity: true },
    { pod, capacity: { ok: true, value: { nodes: 2, allocatable: { cpu: 8, memory: 32 * 2 ** 30, pods: 220 }, requested: { cpu: 7.8, memory: 2 ** 30, pods: 30 } } } },
    'capacity-insufficient',
    ['cpu requests: 2 more pods × 500m = 1 needed, 7800m of 8 allocatable requested, room for 200m', '2 Ready, schedulable nodes'],
  ],
  ['capacity with room: acts', { capacity: true }, { pod, capacity: { ok: true, value: { nodes: 1, allocatable: { cpu: 8, memory: 2 ** 34, pods: 110 }, requested: { cpu: 1, memory: 2 ** 30, pods: 10 } } } }, 'act', []],
  [
    'precondition holds: 2 × 20 ≤ 45',
    { preconditions: [{ name: 'db-connections', expr: DB }] },
    { queries: { [ROOM_QUERY]: { ok: true, value: 45 } } },
    'act',
    [],
  ],
  [
    'precondition fails with both numbers: saturated database',
    { preconditions: [{ name: 'db-connections', expr: DB, description: 'each consumer opens a pool of 20' }] },
    { queries: { [ROOM_QUERY]: { ok: true, value: 15 } } },
    'precondition-failed',
    ['Precondition db-connections (each consumer opens a pool of 20) does not hold', '`2 * 20` = 40 is not <=', `\`${ROOM_QUERY}\` = 15`],
  ],
  [
    'precondition: Prometheus has no data',
    { preconditions: [{ name: 'db-connections', expr: DB }] },
    { queries: { [ROOM_QUERY]: { ok: false, error: 'the query returned no data (empty vector)' } } },
    'precondition-failed',
    ['could not be evaluated', 'empty vector'],
  ],
  [
    'precondition unknown with onUnknown: act: acts, saying so',
    { preconditions: [{ name: 'db-connections', expr: DB, onUnknown: 'act' }] },
    { queries: { [ROOM_QUERY]: { ok: false, error: 'Prometheus unreachable: connect ECONNREFUSED' } } },
    'act',
    ['Precondition db-connections could not be evaluated', 'ECONNREFUSED', 'acting as without it (onUnknown: act)'],
  ],
  [
    'quota before precondition: the first failing guard is named',
    { quota: true, preconditions: [{ name: 'db-connections', expr: DB }] },
    { pod, quotas: { ok: true, value: [quota({ pods: '3' }, { pods: '3' })] }, queries: { [ROOM_QUERY]: { ok: true, value: 0 } } },
    'quota-exceeded',
    ['pods: 2 more needed, 3 of 3 used, room for 0'],
  ],
];

describe('guards (decide)', () => {
  test.each(CASES)('%s', (_name, guards, readings, outcome, mustSay) => {
    const d = decide(input(rule(guards), readings));
    expect(d.outcome === 'act' ? 'act' : d.reason).toBe(outcome);
    for (const s of mustSay) expect(d.explanation).toContain(s);
    if (outcome !== 'act' && d.outcome === 'skip') expect(d.after).toEqual({ replicas: 4 });
  });

  test('a label the precondition names but the alert lacks: precondition-failed naming it', () => {
    const r = rule({ preconditions: [{ name: 'p', expr: '{{ .added }} <= max(x{queue="{{ $labels.queue }}"})' }] });
    const d = decide(input(r, { queries: {} }));
    expect(d.outcome === 'skip' && d.reason).toBe('precondition-failed');
    expect(d.explanation).toContain('$labels.queue');
  });
});

describe('guardNeeds and the load a change adds', () => {
  const change = { before: { replicas: 2 }, after: { replicas: 4 } };
  test.each([
    ['quota only', { quota: true }, { quotas: true, pod: true, capacity: false, queries: [] }],
    ['capacity only', { capacity: true }, { quotas: false, pod: true, capacity: true, queries: [] }],
    ['precondition: only its series side is queried', { preconditions: [{ name: 'p', expr: DB }] }, { quotas: false, pod: false, capacity: false, queries: [ROOM_QUERY] }],
  ])('%s', (_n, guards, needs) => {
    const r = rule(guards);
    expect(guardNeeds({ guards: r.guards, target: input(r, undefined).target, action: r.action, alert: { labels: { namespace: 'ci' }, annotations: {} }, state: state, change })).toEqual(needs);
  });

  test.each([
    ['scale 2→4', { type: 'scale', minReplicas: 1, maxReplicas: 5, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }], selectPolicy: 'Max' }, { replicas: 2 }, { replicas: 4 }, null, 2],
    ['hpa floor 3→5 with 4 running', { type: 'hpa', bound: 'min', ceiling: 12, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }], selectPolicy: 'Max' }, { minReplicas: 3, maxReplicas: 20 }, { minReplicas: 5, maxReplicas: 20 }, 4, 1],
    ['hpa ceiling 10→14, maxed out', { type: 'hpa', bound: 'max', ceiling: 50, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }], selectPolicy: 'Max' }, { minReplicas: 2, maxReplicas: 10 }, { minReplicas: 2, maxReplicas: 14 }, 10, 4],
  ] as const)('%s', (_n, action, before, after, current, pods) => {
    const s = { ...(state), hpa: current === null ? null : { name: 'h', minReplicas: 3, maxReplicas: 20, currentReplicas: current } };
    expect(addedLoad(action as never, s, { before, after }).pods).toBe(pods);
  });

  test('resources: the raise per pod times the replicas, no new pods', () => {
    const load = addedLoad({ type: 'resources', container: 'app', resource: 'memory', factor: 1.5, cap: '4Gi', fields: ['requests', 'limits'] }, state, {
      before: { 'requests.memory': '256Mi', 'limits.memory': '512Mi' },
      after: { 'requests.memory': '384Mi', 'limits.memory': '768Mi' },
    });
    expect(load).toMatchObject({ pods: 0, extra: { requests: { memory: 2 * 128 * 2 ** 20 }, limits: { memory: 2 * 256 * 2 ** 20 } } });
  });

  test('planNumbers: the first numeric field that changes', () => {
    expect(planNumbers({ before: { minReplicas: 3, maxReplicas: 20 }, after: { minReplicas: 5, maxReplicas: 20 } })).toEqual({ before: 3, after: 5, added: 2 });
    expect(planNumbers({ before: { restartedAt: null }, after: { restartedAt: 'x' } })).toEqual({ before: 0, after: 0, added: 0 });
  });
});

describe('preconditions at load time: file, key and position', () => {
  const file = (expr: string): string => `rules:
  - name: r
    matchers: ['alertname="A"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: ci, name: x }
    action: { type: scale, maxReplicas: 3 }
    guards:
      preconditions:
        - name: db
          expr: '${expr}'
`;
  test.each([
    ['{{ .added }} * 20 <= max(x{namespace="{{ $labels.namespace }}"})', null],
    ['{{ .addd }} <= 3', 'rules[0].guards.preconditions[0].expr: rule r, precondition db: column 1: {{ .addd }} is not a number of the plan'],
    ['{{ .added }} <= sum(rate(x[5m1h]))', 'rule r, precondition db: PromQL syntax error at line 1, column 30 of the expression: unexpected "1h"'],
    ['sum(x)', 'a precondition is one comparison'],
    ['x > bool 3', 'no bool, on or ignoring'],
    ['{{ .added }} <= max(x{namespace={{ $labels.namespace }}})', 'put the template inside a quoted string'],
  ])('%s', async (expr, error) => {
    const { buildRuleTable } = await import('../../../src/rule-table/loader.js');
    const r = buildRuleTable([{ file: 'rules/x.yaml', text: file(expr) }]);
    if (error === null) expect(r.ok).toBe(true);
    else {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.errors.map((e) => `${e.file}: ${e.path}: ${e.message}`).join('\n')).toContain(error);
    }
  });
});
