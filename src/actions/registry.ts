/**
 * Every action kind, registered once: adding a kind is its folder (actions/<kind>/: plan.ts and
 * index.ts) and one line here (plus its schema in the rule table's union, which types the rules).
 * The planner is handed this registry (it imports no kind); KubeCluster dispatches through it.
 */
import type { ActionSpec, ActionType } from '../rule-table/schema.js';
import { hpaKind } from './hpa/index.js';
import type { ActionKind, AnyKind } from './kind.js';
import type { AnyAction } from './plan-kind.js';
import { redisKind } from './redis/index.js';
import { resourcesKind } from './resources/index.js';
import { restartKind } from './restart/index.js';
import { scaleKind } from './scale/index.js';
import { undoKind } from './undo/index.js';

/** Kinds by their type. */
export type KindRegistry = Readonly<Record<string, AnyKind>>;

/** A registry of these kinds, keyed by their type; a type given twice is an error naming it. */
export function registerKinds(kinds: readonly AnyKind[]): KindRegistry {
  const out: Record<string, AnyKind> = {};
  for (const k of kinds) {
    if (out[k.type]) throw new Error(`action kind ${JSON.stringify(k.type)} is registered twice`);
    out[k.type] = k;
  }
  return Object.freeze(out);
}

const BUILT_IN = [
  scaleKind,
  hpaKind,
  resourcesKind,
  restartKind,
  undoKind,
  redisKind,
] as const satisfies readonly AnyKind[];

/** The built-in kinds: one for every action type the rule table knows (checked at compile time). */
export const ACTION_KINDS: KindRegistry = registerKinds(BUILT_IN);
type Missing = Exclude<ActionType, (typeof BUILT_IN)[number]['type']>;
const _everyTypeHasAKind: [Missing] extends [never] ? true : Missing = true;

/** The kind of `action`; an unregistered type is an error naming it. */
export function kindOf<A extends AnyAction = ActionSpec, S = unknown>(action: A, kinds: KindRegistry = ACTION_KINDS): ActionKind<A, S, Record<string, unknown>> {
  const kind = kinds[action.type];
  if (!kind) throw new Error(`action type ${JSON.stringify(action.type)}: no such action kind is registered (actions/registry.ts)`);
  // Keyed by type: the kind found under action.type is the kind of this action.
  return kind as unknown as ActionKind<A, S, Record<string, unknown>>;
}
