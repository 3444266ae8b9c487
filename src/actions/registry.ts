/**
 * Every action kind, registered once: adding a kind is its folder (actions/<kind>/) and one
 * line here (plus its schema in the rule table's union and its plan in the planner).
 */
import type { ActionSpec } from '../rule-table/schema.js';
import { hpaKind } from './hpa/index.js';
import type { ActionKind } from './kind.js';
import { redisKind } from './redis/index.js';
import { resourcesKind } from './resources/index.js';
import { restartKind } from './restart/index.js';
import { scaleKind } from './scale/index.js';
import { undoKind } from './undo/index.js';

export const ACTION_KINDS: { [T in ActionSpec['type']]: ActionKind<Extract<ActionSpec, { type: T }>> } = {
  scale: scaleKind,
  hpa: hpaKind,
  resources: resourcesKind,
  restart: restartKind,
  undo: undoKind,
  redis: redisKind,
};

export function kindOf<A extends ActionSpec>(action: A): ActionKind<A> {
  return ACTION_KINDS[action.type] as unknown as ActionKind<A>;
}
