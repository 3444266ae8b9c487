/**
 * "Does the live state show it": what the driver's converge step (runner.ts, phase
 * `applying`) asks of a run whose write may or may not have happened before a crash, so
 * nothing is applied twice. Pure; per action kind by its fields.
 */
import type { TargetState } from '../domain/cluster.js';
import type { ActDecision, StateFields } from '../domain/decision.js';
import type { ActionSpec } from '../rule-table/schema.js';

type Found = Extract<TargetState, { found: true }>;

/** Does the live state show these fields (a decision's before or after)? `unknown` when the kind cannot tell. */
export function stateShows(state: TargetState, fields: StateFields, action: ActionSpec): boolean | 'unknown' {
  if (!state.found) return false;
  const s: Found = state;
  for (const [key, want] of Object.entries(fields)) {
    let have: unknown;
    if (key === 'replicas') have = s.replicas;
    else if (key === 'minReplicas') have = s.hpa?.minReplicas;
    else if (key === 'maxReplicas') have = s.hpa?.maxReplicas;
    else if (key === 'maxmemory') have = s.maxmemory;
    else if (action.type === 'resources' && (key.startsWith('requests.') || key.startsWith('limits.'))) {
      const [field, res] = key.split('.') as ['requests' | 'limits', string];
      const c = s.containers.find((x) => x.name === action.container);
      have = c?.[field][res] ?? null;
    } else return 'unknown';
    if (have !== want) return false;
  }
  return true;
}

/** The snapshot apply would have returned, rebuilt from the decision (when resume finds the change already made). */
export function snapshotFromDecision(decision: ActDecision, action: ActionSpec): Record<string, unknown> {
  const b = decision.before;
  if (action.type === 'resources') {
    return { container: action.container, resource: action.resource, requests: b[`requests.${action.resource}`] ?? null, limits: b[`limits.${action.resource}`] ?? null };
  }
  return { ...b };
}
