/**
 * A test-only action kind, the pure half: `level` raises a numeric annotation of the target
 * (`example.io/level`) one step at a time up to `max`, and steps it back after resolve. It
 * exists to prove that a kind is its folder plus one registry line: nothing in src/ knows it.
 */
import type { TargetState } from '../../../../src/domain/cluster.js';
import { targetKey } from '../../../../src/domain/target.js';
import { numberField, type KindPlan } from '../../../../src/actions/plan-kind.js';

export interface LevelAction {
  type: 'level';
  /** The annotation that holds the level. */
  annotation: string;
  max: number;
}

/** What `level` reads: the annotation's value (0 when absent). */
export interface LevelState {
  level: number;
  resourceVersion: string | null;
}
export type LevelSnapshot = { level: number };
export type LevelTargetState = TargetState<LevelState>;

export const levelPlan: KindPlan<LevelAction, LevelState, LevelSnapshot> = {
  type: 'level',
  plan({ action, target, state }) {
    if (state.level >= action.max) return { outcome: 'skip', reason: 'at-bound', explanation: `${targetKey(target)} is at level ${state.level}, the rule's max.`, facts: { level: state.level } };
    return { outcome: 'change', before: { level: state.level }, after: { level: state.level + 1 }, summary: `raise the level of ${targetKey(target)} to ${state.level + 1}`, reasoning: `max ${action.max}`, facts: {} };
  },
  planRestore({ target, snapshot, state }) {
    if (state.level <= snapshot.level) return { kind: 'done', detail: `${targetKey(target)} is back at level ${state.level}` };
    return { kind: 'step', before: { level: state.level }, after: { level: snapshot.level }, summary: `lower the level of ${targetKey(target)} to ${snapshot.level}` };
  },
  shows(state, fields) {
    for (const [key, want] of Object.entries(fields)) {
      if (key !== 'level') return 'unknown';
      if (state.level !== want) return false;
    }
    return true;
  },
  snapshot: (raw) => ({ level: numberField(raw, 'level', 'level snapshot') }),
  snapshotFromDecision: (decision) => ({ level: numberField(decision.before, 'level', 'level decision.before') }),
  rollout: { waits: 'none' },
};
