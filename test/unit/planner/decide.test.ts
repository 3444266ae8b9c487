import { ACTION_KINDS } from '../../../src/actions/registry.js';
import type { TargetState } from '../../../src/domain/cluster.js';
import type { Decision } from '../../../src/domain/decision.js';
import type { Rule } from '../../../src/rule-table/rule.js';
import { budgetQueries, decide, type PlanInput, type PlannerSettings } from '../../../src/planner/decide.js';
import { ruleSchema } from '../../../src/rule-table/schema.js';
import type { Controls } from '../../../src/control/hold.js';
import type { ActionRecord } from '../../../src/store/store.js';

const NOW = new Date('2026-11-28T12:00:00Z');
const ago = (s: number): Date => new Date(NOW.getTime() - s * 1000);

function rule(overrides: Record<string, unknown>): Rule {
  const spec = ruleSchema.parse({
    name: 'queue-add-consumers',
    matchers: ['alertname="QueueDepthHigh"'],
    target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: 'consumer' },
    action: { type: 'scale', minReplicas: 2, maxReplicas: 12, policies: [{ type: 'Pods', value: 2, periodSeconds: 120 }] },
    cooldown: '3m',
    ...overrides,
  });
  return { ...spec, source: { file: 'test.yaml', index: 0 }, compiled: [] };
}

const found = (over: Partial<Extract<TargetState, { found: true }>> = {}): TargetState => ({
  found: true,
  replicas: 2,
  hpa: null,
  containers: [{ name: 'app', requests: { memory: '512Mi', cpu: '250m' }, limits: { memory: '1Gi', cpu: '1' } }],
  maxmemory: null,
  paused: false,
  resourceVersion: '1',
  ...over,
});

const SETTINGS: PlannerSettings = {
  dryRun: false,
  allowedNamespaces: ['ci'],
  budgets: { namespace: { max: 5, windowMs: 600_000 }, global: { max: 20, windowMs: 600_000 } },
};

function record(over: Partial<ActionRecord>): ActionRecord {
  return {
    remediationId: 'r-old',
    rule: 'queue-add-consumers',
    targetKey: 'ci/deployment/consumer',
    namespace: 'ci',
    at: ago(60),
    phase: 'succeeded',
    dryRun: false,
    before: { replicas: 2 },
    after: { replicas: 4 },
    undoneAt: null,
    origin: 'alert',
    ...over,
  };
}

function input(over: Partial<PlanInput> = {}): PlanInput {
  const r = over.rule ?? rule({});
  return {
    alert: { status: 'firing', labels: { alertname: 'QueueDepthHigh', queue: 'events' }, annotations: {}, startsAt: ago(30).toISOString() },
    rule: r,
    target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: 'consumer' },
    action: r.action,
    state: found(),
    history: [],
    actionsInWindow: { namespace: 0, global: 0 },
    breakerOpen: false,
    now: NOW,
    settings: SETTINGS,
    kinds: ACTION_KINDS,
    ...over,
  };
}

const reason = (d: Decision): string => (d.outcome === 'act' ? 'act' : d.reason);

describe('decide: every path has an outcome and a reason', () => {
  test.each<[string, Partial<PlanInput>, string]>([
    // the plain case: 2 → 4 (Pods +2 per 120 s)
    ['acts', {}, 'act'],
    ['disabled rule', { rule: rule({ enabled: false }) }, 'disabled'],
    ['resolved alert', { alert: { status: 'resolved', labels: { alertname: 'QueueDepthHigh' }, annotations: {}, startsAt: NOW.toISOString() } }, 'resolved'],
    ['namespace not allowed', { target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'prod', name: 'consumer' } }, 'outside-allowed-namespaces'],
    ['empty allow-list refuses everything', { settings: { ...SETTINGS, allowedNamespaces: [] } }, 'outside-allowed-namespaces'],
    ['breaker open', { breakerOpen: true }, 'breaker-open'],
    ['cluster unreadable', { state: null, stateError: 'ECONNREFUSED' }, 'state-unavailable'],
    ['target missing', { state: { found: false, detail: 'deployments "consumer" not found' } }, 'target-not-found'],
    // the same rule acted 60 s ago, cooldown 3 m
    ['cooldown', { history: [record({})] }, 'cooldown'],
    // a different rule acted: no cooldown for this rule, but the period already added 2 → policy-limit
    ['other rule, policy period used', { state: found({ replicas: 4 }), history: [record({ rule: 'other' })] }, 'policy-limit'],
    // cooldown over, period over: acts again
    ['after cooldown and period', { state: found({ replicas: 4 }), history: [record({ at: ago(200) })] }, 'act'],
    ['at max', { state: found({ replicas: 12 }) }, 'at-bound'],
    ['HPA manages the target', { state: found({ hpa: { name: 'consumer', minReplicas: 2, maxReplicas: 10, currentReplicas: 2 } }) }, 'hpa-managed'],
    // five actions in the namespace in the window (budget 5): the budget is spent; four leave room
    ['namespace budget', { actionsInWindow: { namespace: 5, global: 5 } }, 'budget-namespace'],
    ['namespace budget not spent', { actionsInWindow: { namespace: 4, global: 4 } }, 'act'],
    ['global budget', { settings: { ...SETTINGS, budgets: { namespace: { max: 50, windowMs: 600_000 }, global: { max: 2, windowMs: 600_000 } } }, actionsInWindow: { namespace: 0, global: 2 } }, 'budget-global'],
    ['global dry-run', { settings: { ...SETTINGS, dryRun: true } }, 'dry-run'],
    ['rule dry-run', { rule: rule({ dryRun: true }) }, 'dry-run'],
    // a dry-run would-be action counts for the cooldown of later dry-run decisions …
    ['dry-run history in dry-run', { settings: { ...SETTINGS, dryRun: true }, history: [record({ dryRun: true })] }, 'cooldown'],
    // … but not for live decisions
    ['dry-run history when live', { history: [record({ dryRun: true })] }, 'act'],
    // a run of another rule is still validating on the target: one run at a time
    // a restore step of this rule does not start its cooldown: a re-firing alert may act again at once
    ['restore steps do not count for the cooldown', { state: found({ replicas: 4 }), history: [record({ origin: 'restore', at: ago(200), before: { replicas: 6 }, after: { replicas: 4 } })] }, 'act'],
    ['in progress', { history: [record({ rule: 'other', phase: 'validating', at: ago(20) })] }, 'in-progress'],
    // a run of this rule awaiting approval has not acted: it holds the target (in-progress), it starts no cooldown
    ['awaiting approval: in progress, not a cooldown', { history: [record({ phase: 'awaiting_approval', at: ago(20) })] }, 'in-progress'],
    ['selectPolicy Disabled', { rule: rule({ action: { type: 'scale', maxReplicas: 12, selectPolicy: 'Disabled' } }) }, 'policy-disabled'],
  ])('%s', (_name, over, expected) => {
    const d = decide(input(over));
    expect(reason(d)).toBe(expected);
    expect(d.explanation.length).toBeGreaterThan(20);
  });

  // People's controls: after disabled and resolved, before every automatic reason.
  describe('paused and frozen, in their place in the order of checks', () => {
    const paused: Controls = {
      pauses: [{ id: 'p1', subject: { scope: 'namespace', namespace: 'ci' }, scopeKey: 'namespace:ci', actor: 'alice', reason: 'incident', at: ago(60), expiresAt: null, endedAt: null, endedBy: null }],
      freezeWindows: [],
    };
    // every day from 11:00 UTC for 2 h: in force at NOW (12:00 UTC)
    const frozen: Controls = { pauses: [], freezeWindows: [{ name: 'lunch', cron: '0 11 * * *', durationMs: 7_200_000, timeZone: 'UTC' }] };
    const notNow: Controls = { pauses: [], freezeWindows: [{ name: 'night', cron: '0 1 * * *', durationMs: 3_600_000, timeZone: 'UTC' }] };
    test.each<[string, Partial<PlanInput>, string]>([
      ['paused', { controls: paused }, 'paused'],
      ['frozen', { controls: frozen }, 'frozen'],
      ['paused and frozen: paused', { controls: { ...paused, freezeWindows: frozen.freezeWindows } }, 'paused'],
      ['a window not in force', { controls: notNow }, 'act'],
      ['a rule window in force', { rule: rule({ freeze: [{ name: 'rule-lunch', cron: '0 11 * * *', duration: '2h' }] }), controls: notNow }, 'frozen'],
      ['disabled wins over paused', { rule: rule({ enabled: false }), controls: paused }, 'disabled'],
      ['resolved wins over frozen', { alert: { status: 'resolved', labels: { alertname: 'QueueDepthHigh' }, annotations: {}, startsAt: NOW.toISOString() }, controls: frozen }, 'resolved'],
      ['paused wins over outside-allowed-namespaces', { settings: { ...SETTINGS, allowedNamespaces: [] }, controls: { pauses: [{ ...paused.pauses[0]!, subject: { scope: 'global' }, scopeKey: 'global' }], freezeWindows: [] } }, 'paused'],
      ['frozen wins over breaker-open', { breakerOpen: true, controls: frozen }, 'frozen'],
      ['paused wins over cooldown', { history: [record({})], controls: paused }, 'paused'],
      ['paused wins over dry-run', { settings: { ...SETTINGS, dryRun: true }, controls: paused }, 'paused'],
    ])('%s', (_name, over, expected) => {
      expect(reason(decide(input(over)))).toBe(expected);
    });

    test('the facts name the pause and the window', () => {
      expect(decide(input({ controls: paused })).facts).toEqual({ pause: { id: 'p1', scope: 'namespace:ci', by: 'alice', reason: 'incident', since: ago(60).toISOString(), until: null }, pauses: ['p1'] });
      expect(decide(input({ controls: frozen })).facts).toMatchObject({ freeze: { name: 'lunch', source: 'service', start: '2026-11-28T11:00:00.000Z', end: '2026-11-28T13:00:00.000Z' } });
    });
  });

  test('an act carries before → after and a sentence that says why', () => {
    const d = decide(input());
    expect(d.outcome).toBe('act');
    if (d.outcome !== 'act') return;
    expect(d.before).toEqual({ replicas: 2 });
    expect(d.after).toEqual({ replicas: 4 });
    expect(d.explanation).toBe(
      'Scale ci/deployment/consumer from 2 to 4 replicas: QueueDepthHigh is firing (queue=events); rule queue-add-consumers (allows up to 12; step policies +2 per 120s (Max) allow 4 now).',
    );
  });

  test('a dry-run skip still says what would have been done', () => {
    const d = decide(input({ settings: { ...SETTINGS, dryRun: true } }));
    expect(d).toMatchObject({ outcome: 'skip', reason: 'dry-run', before: { replicas: 2 }, after: { replicas: 4 } });
    expect(d.explanation).toMatch(/^Would scale ci\/deployment\/consumer from 2 to 4 replicas: .*DRY_RUN is on\.$/);
  });

  test('a rolled-back action counts both directions in the period (HPA semantics)', () => {
    // +2 at -100 s, undone at -50 s: 2 added and 2 removed inside the 120 s period, so the base is 2 and the limit 4
    const d = decide(input({ history: [record({ rule: 'other', at: ago(100), undoneAt: ago(50) })] }));
    expect(d).toMatchObject({ outcome: 'act', after: { replicas: 4 } });
  });
});

describe('decide: hpa, resources, redis, rollout kinds', () => {
  const hpaRule = rule({ name: 'cpu-raise-hpa-floor', action: { type: 'hpa', bound: 'min', ceiling: 12, policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }, { type: 'Percent', value: 50, periodSeconds: 60 }] } });
  const hpa = { name: 'ci-failure-agent', minReplicas: 3, maxReplicas: 20, currentReplicas: 3 };
  test.each<[string, PlanInput, string, Record<string, unknown> | undefined]>([
    // min 3 → max(3+2, ceil(4.5)) = 5
    ['hpa floor', input({ rule: hpaRule, action: hpaRule.action, state: found({ hpa }) }), 'act', { minReplicas: 5, maxReplicas: 20 }],
    ['hpa at ceiling', input({ rule: hpaRule, action: hpaRule.action, state: found({ hpa: { ...hpa, minReplicas: 12 } }) }), 'at-bound', undefined],
    ['no hpa', input({ rule: hpaRule, action: hpaRule.action }), 'no-hpa', undefined],
    // raising the floor above the max lifts the max with it
    ['floor above max lifts max', input({ rule: hpaRule, action: hpaRule.action, state: found({ hpa: { ...hpa, minReplicas: 4, maxReplicas: 5 } }) }), 'act', { minReplicas: 6, maxReplicas: 6 }],
  ])('%s', (_name, inp, expected, after) => {
    const d = decide(inp);
    expect(reason(d)).toBe(expected);
    if (after) expect(d).toMatchObject({ after });
  });

  test('resources: memory × 1.25, capped, requests and limits', () => {
    const r = rule({ name: 'memory-raise-limits', action: { type: 'resources', container: 'app', resource: 'memory', factor: 1.25, cap: '1152Mi' } });
    const d = decide(input({ rule: r, action: r.action }));
    expect(d).toMatchObject({ outcome: 'act', before: { 'requests.memory': '512Mi', 'limits.memory': '1Gi' }, after: { 'requests.memory': '640Mi', 'limits.memory': '1152Mi' } });
  });

  test('resources: unknown container names the containers there are', () => {
    const r = rule({ name: 'memory-raise-limits', action: { type: 'resources', container: 'nope', resource: 'memory', factor: 1.25, cap: '2Gi' } });
    const d = decide(input({ rule: r, action: r.action }));
    expect(d).toMatchObject({ outcome: 'skip', reason: 'target-not-found' });
    expect(d.explanation).toContain('containers: app');
  });

  test('redis: maxmemory × 1.5 up to the cap', () => {
    const r = rule({ name: 'cache', action: { type: 'redis', address: 'redis://127.0.0.1:6379', factor: 1.5, cap: '1Gi' } });
    const d = decide(input({ rule: r, action: r.action, state: found({ maxmemory: 512 * 1024 * 1024 }) }));
    expect(d).toMatchObject({ outcome: 'act', after: { maxmemory: 768 * 1024 * 1024 } });
    const capped = decide(input({ rule: r, action: r.action, state: found({ maxmemory: 1024 ** 3 }) }));
    expect(reason(capped)).toBe('at-bound');
  });

  test('restart of a paused deployment is refused', () => {
    const r = rule({ name: 'restart', action: { type: 'restart' } });
    expect(reason(decide(input({ rule: r, action: r.action, state: found({ paused: true }) })))).toBe('target-paused');
    expect(reason(decide(input({ rule: r, action: r.action })))).toBe('act');
  });
});

describe('budgetQueries: what the store counts for the budgets', () => {
  const budgets = { namespace: { max: 5, windowMs: 600_000 }, global: { max: 30, windowMs: 3_600_000 } };
  test('each budget over its own window, the namespace one in the target namespace; live decisions do not count would-be actions', () => {
    expect(budgetQueries({ rule: rule({}), target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: 'consumer' }, now: NOW, settings: { ...SETTINGS, budgets } })).toEqual({
      namespace: { after: new Date(NOW.getTime() - 600_000), namespace: 'ci', includeDryRun: false },
      global: { after: new Date(NOW.getTime() - 3_600_000), includeDryRun: false },
    });
  });
  test.each([
    ['DRY_RUN on', { ...SETTINGS, dryRun: true }, rule({})],
    ['the rule in dry-run', SETTINGS, rule({ dryRun: true })],
  ])('in shadow mode (%s) would-be actions count like real ones', (_name, settings, r) => {
    const q = budgetQueries({ rule: r, target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: 'consumer' }, now: NOW, settings });
    expect([q.namespace.includeDryRun, q.global.includeDryRun]).toEqual([true, true]);
  });
});
