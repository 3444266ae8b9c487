/**
 * From the live state and the target's recent changes, the next value the rule allows
 * (before → after), or why there is none. Pure. Each kind's own plan is in its folder
 * (actions/<kind>/plan.ts); the planner is handed the kinds and imports none.
 */
import type { ActionSpec } from '../rule-table/schema.js';
import { planOf, type AnyAction, type ChangeInput, type ChangePlan, type ChangeSkip, type Found, type KindPlans } from '../actions/plan-kind.js';

export type { ChangeInput, ChangePlan, ChangeSkip };
export { changeEvents } from './step-policy.js';

/** The plan of the action's kind (from `kinds`, by its type) for this input. */
export function planChange<A extends AnyAction = ActionSpec, S = Found>(input: ChangeInput<A, S>, kinds: KindPlans): ChangePlan | ChangeSkip {
  return planOf<A, S>(kinds, input.action).plan(input);
}
