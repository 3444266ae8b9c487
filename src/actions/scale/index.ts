/** `scale`: replicas through the scale subresource of any scalable kind (Deployment, StatefulSet, CNPG Cluster …). */
import type { TargetFields } from '../../domain/cluster.js';
import type { ScaleAction } from '../../rule-table/schema.js';
import { targetKey } from '../../domain/target.js';
import { KubeError } from '../../kube/errors.js';
import { retryOnConflict } from '../../kube/retry.js';
import { foundState, Refused, type ActionKind } from '../kind.js';
import { numberField } from '../plan-kind.js';
import { scalePlan, type ScaleSnapshot } from './plan.js';

export const scaleKind: ActionKind<ScaleAction, TargetFields, ScaleSnapshot> = {
  ...scalePlan,
  events: { up: 'AutoremediatorScaled', down: 'AutoremediatorScaledDown' },
  async read({ kube }, target) {
    const [scale, hpa] = await Promise.all([kube.getScale(target), kube.findHpa(target)]);
    return foundState({
      replicas: scale.replicas,
      resourceVersion: scale.resourceVersion,
      hpa: hpa ? { name: hpa.metadata?.name ?? '', minReplicas: hpa.spec?.minReplicas ?? 1, maxReplicas: hpa.spec?.maxReplicas ?? 0, currentReplicas: hpa.status?.currentReplicas ?? null } : null,
    });
  },

  async apply({ kube }, decision, _action, read) {
    const t = decision.target;
    const before = numberField(decision.before, 'replicas', 'scale decision.before');
    const after = numberField(decision.after, 'replicas', 'scale decision.after');
    const done = { detail: `scaled ${targetKey(t)} from ${before} to ${after} replicas`, snapshot: { replicas: before }, applied: { replicas: after } };
    let sent = false;
    try {
      // The planner's read of the scale subresource, handed over by the driver (no second read).
      const fresh = read?.found && read.resourceVersion ? { replicas: read.replicas, resourceVersion: read.resourceVersion, hpa: read.hpa !== null } : null;
      // An HPA that appeared since the plan would undo a direct scale.
      const hpa = await kube.findHpa(t);
      if (hpa) throw new Refused(`HorizontalPodAutoscaler ${hpa.metadata?.name} now manages ${targetKey(t)}; not scaling it directly`);
      // The plan read the scale a moment ago with these replicas: write against that read
      // instead of reading it again. Any change since makes it a 409, and the loop
      // below re-reads and re-checks, as it does when there is no fresh read.
      if (fresh && !fresh.hpa && fresh.replicas === before) {
        try {
          sent = true;
          await kube.replaceScale(t, after, fresh.resourceVersion);
          return done;
        } catch (err) {
          if (!(err instanceof KubeError && err.failure.reason === 'conflict')) throw err;
          sent = false; // a 409 is a write the API server refused
        }
      }
      await retryOnConflict(async () => {
        const s = await kube.getScale(t);
        // A write of ours that timed out may have landed after all (the 409 that brought us here says something changed).
        if (sent && s.replicas === after) return;
        if (s.replicas !== before) throw new Refused(`${targetKey(t)} changed since the plan: ${s.replicas} replicas, planned from ${before}`);
        sent = true;
        await kube.replaceScale(t, after, s.resourceVersion);
      });
    } catch (err) {
      // A timed-out write is not a failed one: the API server may have applied it after we gave up.
      // Ask the live state before reporting a failure the cluster would contradict.
      if (!(err instanceof KubeError && err.failure.reason === 'timeout')) throw err;
      const s = await kube.getScale(t);
      if (s.replicas !== after) throw err;
    }
    return done;
  },

  async restore({ kube }, t, _action, { replicas }) {
    await retryOnConflict(async () => {
      const s = await kube.getScale(t);
      await kube.replaceScale(t, replicas, s.resourceVersion);
    });
    return { detail: `restored ${targetKey(t)} to ${replicas} replicas` };
  },
};
