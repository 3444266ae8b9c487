/**
 * "Does the live state show it": what the driver's converge step (runner.ts, phase
 * `applying`) asks of a run whose write may or may not have happened before a crash, so
 * nothing is applied twice. Pure; each kind answers for itself (actions/<kind>/plan.ts).
 */
import type { TargetState } from '../domain/cluster.js';
import type { ActDecision, StateFields } from '../domain/decision.js';
import type { ActionSpec } from '../rule-table/schema.js';
import { ACTION_KINDS, kindOf, type KindRegistry } from '../actions/registry.js';

/** Does the live state show these fields (a decision's before or after)? `unknown` when the kind cannot tell. */
export function stateShows(state: TargetState, fields: StateFields, action: ActionSpec, kinds: KindRegistry = ACTION_KINDS): boolean | 'unknown' {
  if (!state.found) return false;
  return kindOf<ActionSpec, TargetState>(action, kinds).shows(state, fields, action);
}

/** The snapshot apply would have returned, rebuilt from the decision (when resume finds the change already made). */
export function snapshotFromDecision(decision: ActDecision, action: ActionSpec, kinds: KindRegistry = ACTION_KINDS): Record<string, unknown> {
  return kindOf(action, kinds).snapshotFromDecision(decision, action);
}
