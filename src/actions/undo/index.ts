/** `undo`: kubectl rollout undo to the previous revision; restored by an undo to the revision it left. */
import type { TargetFields } from '../../domain/cluster.js';
import type { UndoAction } from '../../rule-table/schema.js';
import { workloadState, type ActionKind } from '../kind.js';
import { undoPlan, type RevisionSnapshot } from './plan.js';
import { requireDeployment, restoreRevision, undo } from './revision.js';

export const undoKind: ActionKind<UndoAction, TargetFields, RevisionSnapshot> = {
  ...undoPlan,
  events: { up: 'AutoremediatorRolledBackRevision', down: 'AutoremediatorRolledBackRevisionRestored' },
  async read({ kube }, target) {
    requireDeployment(target);
    return workloadState(await kube.getObject(target));
  },
  async apply({ kube }, decision) {
    const t = decision.target;
    requireDeployment(t);
    const r = await undo(kube, t, 0);
    return { detail: r.detail, snapshot: { revision: r.from }, applied: { revision: r.to } };
  },
  restore: (ctx, t, _a, snapshot) => restoreRevision(ctx, t, snapshot),
};
