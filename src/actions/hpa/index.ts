/** `hpa`: raise the min/max of the HorizontalPodAutoscaler that targets a workload. */
import type { TargetFields } from '../../domain/cluster.js';
import type { HpaAction } from '../../rule-table/schema.js';
import { targetKey, type TargetRef } from '../../domain/target.js';
import type { KubeClient } from '../../kube/client.js';
import { KubeError } from '../../kube/errors.js';
import { retryOnConflict } from '../../kube/retry.js';
import { foundState, Refused, type ActionKind } from '../kind.js';
import { numberField } from '../plan-kind.js';
import { hpaPlan, type HpaSnapshot } from './plan.js';
import { applyThroughScaledObject, restoreThroughScaledObject } from './keda-apply.js';
import { hpaStateOf, scaledObjectOwner } from './keda.js';

async function hpaOf(kube: KubeClient, t: TargetRef) {
  const hpa = await kube.findHpa(t);
  if (!hpa) throw new KubeError({ reason: 'not-found', retryable: false, status: 404, message: `no HorizontalPodAutoscaler targets ${targetKey(t)}`, retryAfterMs: null });
  return hpa;
}

/** minReplicas and maxReplicas of a decision's side, checked. */
const bounds = (fields: Record<string, unknown>, where: string) => ({ minReplicas: numberField(fields, 'minReplicas', where), maxReplicas: numberField(fields, 'maxReplicas', where) });

export const hpaKind: ActionKind<HpaAction, TargetFields, HpaSnapshot> = {
  ...hpaPlan,
  events: { up: 'AutoremediatorRaisedHPA', down: 'AutoremediatorLoweredHPA' },
  async read({ kube }, target) {
    const [obj, hpa] = await Promise.all([kube.getObject(target), kube.findHpa(target)]);
    const spec = obj.spec as { replicas?: number } | undefined;
    return foundState({
      replicas: spec?.replicas ?? null,
      resourceVersion: obj.metadata?.resourceVersion ?? null,
      // An HPA a KEDA ScaledObject owns reports the ScaledObject's bounds (keda.ts).
      hpa: hpa ? await hpaStateOf(kube, target.namespace, hpa) : null,
    });
  },

  async apply({ kube }, decision, _action, read) {
    const t = decision.target;
    const before = bounds(decision.before, 'hpa decision.before');
    const after = bounds(decision.after, 'hpa decision.after');
    // KEDA owns this HPA: change its ScaledObject instead (keda-apply.ts). The plan's read says when it does not.
    const plainHpa = read?.found === true && read.hpa !== null && !read.hpa.scaledObject;
    const owned = plainHpa ? null : await applyThroughScaledObject(kube, t, before, after);
    if (owned) return owned;
    let name = '';
    await retryOnConflict(async () => {
      const hpa = await hpaOf(kube, t);
      name = hpa.metadata?.name ?? '';
      if (scaledObjectOwner(hpa)) throw new Refused(`HPA ${name} of ${targetKey(t)} is now owned by a KEDA ScaledObject; not patching it`);
      const cur = { minReplicas: hpa.spec?.minReplicas ?? 1, maxReplicas: hpa.spec?.maxReplicas ?? 0 };
      if (cur.minReplicas !== before.minReplicas || cur.maxReplicas !== before.maxReplicas) {
        throw new Refused(`HPA ${name} changed since the plan: ${cur.minReplicas}..${cur.maxReplicas}, planned from ${before.minReplicas}..${before.maxReplicas}`);
      }
      await kube.patchHpaBounds(t.namespace, name, after, hpa.metadata?.resourceVersion ?? '');
    });
    return {
      detail: `${after.minReplicas + after.maxReplicas >= before.minReplicas + before.maxReplicas ? 'raised' : 'lowered'} HPA ${name} of ${targetKey(t)} from ${before.minReplicas}..${before.maxReplicas} to ${after.minReplicas}..${after.maxReplicas}`,
      snapshot: { hpa: name, ...before },
      applied: after,
    };
  },

  async restore({ kube }, t, _action, snapshot) {
    const to = { minReplicas: snapshot.minReplicas, maxReplicas: snapshot.maxReplicas };
    const owned = await restoreThroughScaledObject(kube, t, to);
    if (owned) return owned;
    await retryOnConflict(async () => {
      const hpa = await hpaOf(kube, t);
      if (scaledObjectOwner(hpa)) throw new Refused(`HPA ${hpa.metadata?.name} of ${targetKey(t)} is now owned by a KEDA ScaledObject; not patching it`);
      await kube.patchHpaBounds(t.namespace, hpa.metadata?.name ?? '', to, hpa.metadata?.resourceVersion ?? '');
    });
    return { detail: `restored HPA ${String(snapshot.hpa)} of ${targetKey(t)} to ${to.minReplicas}..${to.maxReplicas}` };
  },
};
