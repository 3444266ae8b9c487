/** `restart`: kubectl rollout restart (a restartedAt annotation in the pod template); restored by an undo to the revision before. */
import { PatchStrategy } from '@kubernetes/client-node';
import type { TargetFields } from '../../domain/cluster.js';
import type { RestartAction } from '../../rule-table/schema.js';
import { targetKey } from '../../domain/target.js';
import { retryOnConflict } from '../../kube/retry.js';
import { Refused, workloadState, type ActionKind } from '../kind.js';
import { RESTARTED_AT, requireDeployment, restoreRevision, revisionOf } from '../undo/revision.js';
import type { RevisionSnapshot } from '../undo/plan.js';
import { restartPlan } from './plan.js';

export const restartKind: ActionKind<RestartAction, TargetFields, RevisionSnapshot> = {
  ...restartPlan,
  events: { up: 'AutoremediatorRestarted', down: 'AutoremediatorRestartedRestored' },
  async read({ kube }, target) {
    requireDeployment(target);
    return workloadState(await kube.getObject(target));
  },
  async apply({ kube, clock }, decision) {
    const t = decision.target;
    requireDeployment(t);
    const at = clock.now().toISOString();
    const dep = await retryOnConflict(async () => {
      const d = await kube.getObject(t);
      if ((d.spec as { paused?: boolean } | undefined)?.paused) throw new Refused(`can't restart paused deployment ${targetKey(t)} (run rollout resume first)`);
      await kube.patchObject(
        t,
        { metadata: { resourceVersion: d.metadata?.resourceVersion }, spec: { template: { metadata: { annotations: { [RESTARTED_AT]: at } } } } },
        PatchStrategy.StrategicMergePatch,
      );
      return d;
    });
    return { detail: `restarted the rollout of ${targetKey(t)} (${RESTARTED_AT}=${at})`, snapshot: { revision: revisionOf(dep) }, applied: { restartedAt: at }, ...(dep.metadata?.uid ? { uid: dep.metadata.uid } : {}) };
  },
  restore: (ctx, t, _a, snapshot) => restoreRevision(ctx, t, snapshot),
};

