/** `resources`, the pure half: plan a raise of a container's requests/limits, plan the way back, read a snapshot. */
import type { TargetFields } from '../../domain/cluster.js';
import type { StateFields } from '../../domain/decision.js';
import { targetKey } from '../../domain/target.js';
import { formatBytes, formatQuantity, parseQuantity } from '../../planner/quantity.js';
import type { ResourcesAction } from '../../rule-table/schema.js';
import { textField, type KindPlan } from '../plan-kind.js';

/** What resources reads: the pod template's containers. */
export type ResourcesState = Pick<TargetFields, 'containers' | 'resourceVersion'>;
/** The container's values of the resource before the change (null: unset). */
export type ResourcesSnapshot = {
  container: string;
  resource: string;
  requests: string | null;
  limits: string | null;
};

export const resourcesPlan: KindPlan<ResourcesAction, ResourcesState, ResourcesSnapshot> = {
  type: 'resources',
  plan({ action, target, state }) {
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
  },

  planRestore({ action, target, snapshot, state }) {
    const key = targetKey(target);
    const c = state.containers.find((x) => x.name === action.container);
    if (!c) return { kind: 'done', detail: `container ${action.container} is gone from ${key}` };
    const res = action.resource;
    const before: StateFields = { [`requests.${res}`]: c.requests[res] ?? null, [`limits.${res}`]: c.limits[res] ?? null };
    const after: StateFields = { [`requests.${res}`]: snapshot.requests, [`limits.${res}`]: snapshot.limits };
    if (before[`requests.${res}`] === after[`requests.${res}`] && before[`limits.${res}`] === after[`limits.${res}`]) return { kind: 'done', detail: `${res} of ${key}/${action.container} is back at the snapshot` };
    return { kind: 'step', before, after, summary: `set ${res} of container ${action.container} in ${key} back to requests ${String(after[`requests.${res}`])}, limits ${String(after[`limits.${res}`])}` };
  },

  shows(state, fields, action) {
    for (const [key, want] of Object.entries(fields)) {
      const [field, res] = key.split('.') as [string, string | undefined];
      if ((field !== 'requests' && field !== 'limits') || res === undefined) return 'unknown';
      const c = state.containers.find((x) => x.name === action.container);
      if ((c?.[field][res] ?? null) !== want) return false;
    }
    return true;
  },
  snapshot: (raw) => ({
    container: textField(raw, 'container', 'resources snapshot') ?? '',
    resource: textField(raw, 'resource', 'resources snapshot') ?? '',
    requests: textField(raw, 'requests', 'resources snapshot'),
    limits: textField(raw, 'limits', 'resources snapshot'),
  }),
  snapshotFromDecision: (decision, action) => ({
    container: action.container,
    resource: action.resource,
    requests: textField(decision.before, `requests.${action.resource}`, 'resources decision.before'),
    limits: textField(decision.before, `limits.${action.resource}`, 'resources decision.before'),
  }),
  rollout: { waits: 'workload' },
};
