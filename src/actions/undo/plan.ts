/**
 * `restart` and `undo`, the pure half: a rollout change of a Deployment (never stepped, not
 * restored after resolve; a rollback undoes it to the revision recorded before).
 */
import type { TargetFields } from '../../domain/cluster.js';
import { targetKey } from '../../domain/target.js';
import type { UndoAction } from '../../rule-table/schema.js';
import { numberField, type ChangeInput, type ChangePlan, type ChangeSkip, type KindPlan } from '../plan-kind.js';

/** What restart and undo read: whether the Deployment is paused. */
export type RolloutState = Pick<TargetFields, 'paused' | 'resourceVersion'>;
/** The revision before the change: a rollback undoes to it. */
export type RevisionSnapshot = {
  revision: number;
};

function planRollout(kind: 'restart' | 'undo', { target, state, now }: ChangeInput<{ type: string }, RolloutState>): ChangePlan | ChangeSkip {
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

/** The pure half of a rollout kind (`restart` or `undo`). */
export function rolloutPlan<A extends { type: 'restart' | 'undo' }>(kind: A['type']): KindPlan<A, RolloutState, RevisionSnapshot> {
  return {
    type: kind,
    plan: (input) => planRollout(kind, input),
    planRestore: () => ({ kind: 'done', detail: `a ${kind} is not restored after resolve` }),
    // The live state cannot tell whether a restart or an undo happened (a new revision may be anyone's).
    shows: (_state, fields) => (Object.keys(fields).length === 0 ? true : 'unknown'),
    snapshot: (raw) => ({ revision: numberField(raw, 'revision', `${kind} snapshot`) }),
    snapshotFromDecision: () => {
      throw new Error(`a ${kind} cannot be rebuilt from its decision: the revision before it is known only to its apply`);
    },
    rollout: { waits: 'workload' },
  };
}

export const undoPlan = rolloutPlan<UndoAction>('undo');
