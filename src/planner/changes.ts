/**
 * Per action kind: from the live state and the target's recent changes, the next
 * value the rule allows (before → after), or why there is none. Pure.
 */
import type { TargetState } from '../domain/cluster.js';
import type { SkipReason, StateFields } from '../domain/decision.js';
import { targetKey, type TargetRef } from '../domain/target.js';
import type { ActionSpec, HpaAction, RedisAction, ResourcesAction, ScaleAction, StepPolicy } from '../rule-table/schema.js';
import type { ActionRecord } from '../domain/history.js';
import { formatBytes, formatQuantity, parseQuantity } from './quantity.js';
import { stepUp, type ChangeEvent } from './step-policy.js';
import { boundLabel, hpaLabel } from './owners.js'; // KEDA: a ScaledObject's bounds stand for its HPA's

export interface ChangePlan {
  outcome: 'change';
  before: StateFields;
  after: StateFields;
  /** "scale ci/deployment/x from 3 to 7 replicas" */
  summary: string;
  /** why exactly that far: bounds and policies */
  reasoning: string;
  facts: Record<string, unknown>;
}

export interface ChangeSkip {
  outcome: 'skip';
  reason: SkipReason;
  explanation: string;
  facts: Record<string, unknown>;
  would?: { before: StateFields; after: StateFields };
}

type Found = Extract<TargetState, { found: true }>;

export interface ChangeInput {
  action: ActionSpec;
  target: TargetRef;
  state: Found;
  /** This target's records (live, or live + dry-run in shadow mode), newest first. */
  targetHistory: readonly ActionRecord[];
  now: Date;
}

export function planChange(input: ChangeInput): ChangePlan | ChangeSkip {
  const { action } = input;
  switch (action.type) {
    case 'scale':
      return planScale(action, input);
    case 'hpa':
      return planHpa(action, input);
    case 'resources':
      return planResources(action, input);
    case 'redis':
      return planRedis(action, input);
    case 'restart':
    case 'undo':
      return planRollout(action.type, input);
  }
}

/** The changes of one numeric field recorded for this target (an undone change counts twice, as HPA counts both directions). */
export function changeEvents(history: readonly ActionRecord[], field: string): ChangeEvent[] {
  const events: ChangeEvent[] = [];
  for (const h of history) {
    const before = h.before[field];
    const after = h.after[field];
    if (typeof before !== 'number' || typeof after !== 'number' || before === after) continue;
    events.push({ at: h.at, change: after - before });
    if (h.undoneAt) events.push({ at: h.undoneAt, change: before - after });
  }
  return events;
}

function describePolicies(policies: readonly StepPolicy[], selectPolicy: string): string {
  const list = policies.map((p) => (p.type === 'Pods' ? `+${p.value} per ${p.periodSeconds}s` : `+${p.value}% per ${p.periodSeconds}s`)).join(', ');
  return `step policies ${list} (${selectPolicy})`;
}

function addedInPeriod(events: readonly ChangeEvent[], policies: readonly StepPolicy[], now: Date): number {
  const longest = Math.max(...policies.map((p) => p.periodSeconds)) * 1000;
  return events.filter((e) => e.at.getTime() > now.getTime() - longest).reduce((sum, e) => sum + e.change, 0);
}

function planScale(action: ScaleAction, { target, state, targetHistory, now }: ChangeInput): ChangePlan | ChangeSkip {
  const key = targetKey(target);
  if (state.hpa) {
    return {
      outcome: 'skip',
      reason: 'hpa-managed',
      explanation: `${key} is managed by HorizontalPodAutoscaler ${state.hpa.name} (${state.hpa.minReplicas}..${state.hpa.maxReplicas}); a direct scale would be undone at its next sync. Use action type "hpa" to raise its bounds instead.`,
      facts: { hpa: state.hpa },
    };
  }
  if (state.replicas === null) {
    return { outcome: 'skip', reason: 'target-not-found', explanation: `${key} has no scale subresource to change.`, facts: {} };
  }
  const current = state.replicas;
  if (action.selectPolicy === 'Disabled') {
    return { outcome: 'skip', reason: 'policy-disabled', explanation: `Rule's selectPolicy is Disabled: scaling ${key} up is switched off.`, facts: { replicas: current } };
  }
  if (current >= action.maxReplicas) {
    return {
      outcome: 'skip',
      reason: 'at-bound',
      explanation: `${key} already has ${current} replicas, at or above the rule's maxReplicas ${action.maxReplicas}.`,
      facts: { replicas: current, maxReplicas: action.maxReplicas },
    };
  }
  const events = changeEvents(targetHistory, 'replicas');
  const { next, limitedBy } = stepUp({
    current,
    desired: action.maxReplicas,
    min: action.minReplicas,
    max: action.maxReplicas,
    policies: action.policies,
    selectPolicy: action.selectPolicy,
    events,
    now,
  });
  const facts = { replicas: current, minReplicas: action.minReplicas, maxReplicas: action.maxReplicas, addedInPeriod: addedInPeriod(events, action.policies, now), limitedBy };
  if (next <= current) {
    return {
      outcome: 'skip',
      reason: 'policy-limit',
      explanation: `The ${describePolicies(action.policies, action.selectPolicy)} allow no further scale-up of ${key} yet: ${facts.addedInPeriod} replicas were already added in the period.`,
      facts,
    };
  }
  return {
    outcome: 'change',
    before: { replicas: current },
    after: { replicas: next },
    summary: `scale ${key} from ${current} to ${next} replicas`,
    reasoning: `allows up to ${action.maxReplicas}; ${describePolicies(action.policies, action.selectPolicy)} allow ${next} now`,
    facts,
  };
}

function planHpa(action: HpaAction, { target, state, targetHistory, now }: ChangeInput): ChangePlan | ChangeSkip {
  const key = targetKey(target);
  const hpa = state.hpa;
  if (!hpa) {
    return { outcome: 'skip', reason: 'no-hpa', explanation: `No HorizontalPodAutoscaler targets ${key}; the rule's "hpa" action has nothing to raise.`, facts: {} };
  }
  if (action.selectPolicy === 'Disabled') {
    return { outcome: 'skip', reason: 'policy-disabled', explanation: `Rule's selectPolicy is Disabled: raising the HPA of ${key} is switched off.`, facts: { hpa } };
  }
  const step = (field: 'minReplicas' | 'maxReplicas', current: number): number =>
    stepUp({
      current,
      desired: action.ceiling,
      min: 0,
      max: action.ceiling,
      policies: action.policies,
      selectPolicy: action.selectPolicy,
      events: changeEvents(targetHistory, field),
      now,
    }).next;
  let min = hpa.minReplicas;
  let max = hpa.maxReplicas;
  if (action.bound === 'min' || action.bound === 'both') min = Math.max(min, step('minReplicas', hpa.minReplicas));
  if (action.bound === 'max' || action.bound === 'both') max = Math.max(max, step('maxReplicas', hpa.maxReplicas));
  // A floor above the ceiling of the HPA would be invalid: lift the ceiling with it.
  if (min > max) max = min;
  const before = { minReplicas: hpa.minReplicas, maxReplicas: hpa.maxReplicas };
  const after = { minReplicas: min, maxReplicas: max };
  const facts = { hpa: hpa.name, ...(hpa.scaledObject ? { scaledObject: hpa.scaledObject } : {}), ...before, ceiling: action.ceiling, bound: action.bound };
  const raised = action.bound === 'max' ? hpa.maxReplicas : action.bound === 'min' ? hpa.minReplicas : Math.min(hpa.minReplicas, hpa.maxReplicas);
  if (min === hpa.minReplicas && max === hpa.maxReplicas) {
    if (raised >= action.ceiling) {
      return { outcome: 'skip', reason: 'at-bound', explanation: `${hpaLabel(hpa)} of ${key} is already at the rule's ceiling ${action.ceiling} (min ${hpa.minReplicas}, max ${hpa.maxReplicas}).`, facts };
    }
    return {
      outcome: 'skip',
      reason: 'policy-limit',
      explanation: `The ${describePolicies(action.policies, action.selectPolicy)} allow no further raise of ${hpaLabel(hpa)} of ${key} in this period.`,
      facts,
    };
  }
  const parts: string[] = [];
  if (min !== hpa.minReplicas) parts.push(`${boundLabel(hpa, 'minReplicas')} ${hpa.minReplicas}→${min}`);
  if (max !== hpa.maxReplicas) parts.push(`${boundLabel(hpa, 'maxReplicas')} ${hpa.maxReplicas}→${max}`);
  return {
    outcome: 'change',
    before,
    after,
    summary: `raise ${hpaLabel(hpa)} of ${key}: ${parts.join(', ')}`,
    reasoning: `ceiling ${action.ceiling}; ${describePolicies(action.policies, action.selectPolicy)}`,
    facts,
  };
}

function planResources(action: ResourcesAction, { target, state, now: _now }: ChangeInput): ChangePlan | ChangeSkip {
  const key = targetKey(target);
  const container = state.containers.find((c) => c.name === action.container);
  if (!container) {
    return {
      outcome: 'skip',
      reason: 'target-not-found',
      explanation: `${key} has no container "${action.container}" (containers: ${state.containers.map((c) => c.name).join(', ') || 'none'}).`,
      facts: {},
    };
  }
  const cap = parseQuantity(action.cap)!;
  const res = action.resource;
  const before: StateFields = {};
  const after: StateFields = {};
  const changed: string[] = [];
  for (const field of action.fields) {
    const text = container[field][res];
    const current = text === undefined ? null : parseQuantity(text);
    before[`${field}.${res}`] = text ?? null;
    let next: number | null;
    if (action.to !== undefined) next = parseQuantity(action.to);
    else next = current === null ? null : current * action.factor!;
    if (next === null || current === null && action.to === undefined) {
      after[`${field}.${res}`] = text ?? null;
      continue;
    }
    next = Math.min(next, cap);
    if (current !== null && next <= current) {
      after[`${field}.${res}`] = text ?? null;
      continue;
    }
    const formatted = formatQuantity(res, next);
    after[`${field}.${res}`] = formatted;
    changed.push(`${field} ${text ?? 'unset'}→${formatted}`);
  }
  // Requests above limits are invalid: never propose that.
  const req = after[`requests.${res}`];
  const lim = after[`limits.${res}`];
  if (typeof req === 'string' && typeof lim === 'string' && parseQuantity(req)! > parseQuantity(lim)!) {
    return {
      outcome: 'skip',
      reason: 'at-bound',
      explanation: `Raising ${res} requests of ${key}/${action.container} to ${req} would exceed its limits ${lim}; include "limits" in the rule's fields.`,
      facts: { before, after },
    };
  }
  const facts = { container: action.container, resource: res, cap: res === 'memory' ? formatBytes(cap) : action.cap, before };
  if (changed.length === 0) {
    return {
      outcome: 'skip',
      reason: 'at-bound',
      explanation: `${res} of container ${action.container} in ${key} is already at or above what the rule allows (cap ${String(facts.cap)}), or has no value to raise.`,
      facts,
    };
  }
  return {
    outcome: 'change',
    before,
    after,
    summary: `raise ${res} of container ${action.container} in ${key}: ${changed.join(', ')}`,
    reasoning: `${action.factor !== undefined ? `factor ${action.factor}` : `to ${String(action.to)}`}, capped at ${String(facts.cap)}`,
    facts,
  };
}

function planRedis(action: RedisAction, { target, state }: ChangeInput): ChangePlan | ChangeSkip {
  const key = targetKey(target);
  const current = state.maxmemory;
  const cap = parseQuantity(action.cap)!;
  if (current === null) {
    return { outcome: 'skip', reason: 'state-unavailable', explanation: `Could not read maxmemory of the Redis server for ${key}.`, facts: {} };
  }
  if (current === 0) {
    return { outcome: 'skip', reason: 'at-bound', explanation: `Redis for ${key} has maxmemory 0 (no limit); there is nothing to raise.`, facts: { maxmemory: 0 } };
  }
  const wanted = action.to !== undefined ? parseQuantity(action.to)! : Math.ceil(current * action.factor!);
  const next = Math.min(wanted, cap);
  const facts = { maxmemory: current, cap };
  if (next <= current) {
    return { outcome: 'skip', reason: 'at-bound', explanation: `Redis maxmemory for ${key} is ${formatBytes(current)}, already at or above the rule's cap ${formatBytes(cap)}.`, facts };
  }
  return {
    outcome: 'change',
    before: { maxmemory: current },
    after: { maxmemory: next },
    summary: `raise Redis maxmemory for ${key} from ${formatBytes(current)} to ${formatBytes(next)}`,
    reasoning: `${action.factor !== undefined ? `factor ${action.factor}` : `to ${String(action.to)}`}, capped at ${formatBytes(cap)}`,
    facts,
  };
}

function planRollout(kind: 'restart' | 'undo', { target, state, now }: ChangeInput): ChangePlan | ChangeSkip {
  const key = targetKey(target);
  if (state.paused) {
    return { outcome: 'skip', reason: 'target-paused', explanation: `${key} is paused; a rollout ${kind} would be refused (resume it first).`, facts: {} };
  }
  if (kind === 'restart') {
    return {
      outcome: 'change',
      before: { restartedAt: null },
      after: { restartedAt: now.toISOString() },
      summary: `restart the rollout of ${key}`,
      reasoning: 'as kubectl rollout restart does',
      facts: {},
    };
  }
  return {
    outcome: 'change',
    before: { revision: 'current' },
    after: { revision: 'previous' },
    summary: `roll ${key} back to its previous revision`,
    reasoning: 'as kubectl rollout undo does',
    facts: {},
  };
}
