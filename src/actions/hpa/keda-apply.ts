/**
 * The `hpa` action's write and restore when a KEDA ScaledObject owns the HPA: the same
 * precondition ("changed since the plan" is refused), conflict retries and snapshot as the
 * HPA path, on the ScaledObject's minReplicaCount/maxReplicaCount. null: no ScaledObject owns
 * the HPA, the caller takes the HPA path.
 */
import { targetKey, type TargetRef } from '../../domain/target.js';
import type { KubeClient } from '../../kube/client.js';
import { retryOnConflict } from '../../kube/retry.js';
import { Refused, type Applied } from '../kind.js';
import { patchScaledObjectBounds, readScaledObject, scaledObjectOwner } from './keda.js';
import type { HpaSnapshot } from './plan.js';

type Bounds = { minReplicas: number; maxReplicas: number };

async function ownerOf(kube: KubeClient, t: TargetRef): Promise<{ hpa: string; scaledObject: string } | null> {
  const hpa = await kube.findHpa(t);
  const so = hpa ? scaledObjectOwner(hpa) : null;
  return hpa && so ? { hpa: hpa.metadata?.name ?? '', scaledObject: so } : null;
}

export async function applyThroughScaledObject(kube: KubeClient, t: TargetRef, before: Bounds, after: Bounds): Promise<Applied<HpaSnapshot> | null> {
  const owner = await ownerOf(kube, t);
  if (!owner) return null;
  const so = owner.scaledObject;
  await retryOnConflict(async () => {
    const cur = await readScaledObject(kube, t.namespace, so);
    if (cur.minReplicas !== before.minReplicas || cur.maxReplicas !== before.maxReplicas) {
      throw new Refused(`ScaledObject ${so} changed since the plan: ${cur.minReplicas}..${cur.maxReplicas}, planned from ${before.minReplicas}..${before.maxReplicas}`);
    }
    await patchScaledObjectBounds(kube, t.namespace, so, after, cur.resourceVersion);
  });
  const verb = after.minReplicas + after.maxReplicas >= before.minReplicas + before.maxReplicas ? 'raised' : 'lowered';
  return {
    detail: `${verb} ScaledObject ${so} (KEDA, owner of HPA ${owner.hpa}) of ${targetKey(t)} from ${before.minReplicas}..${before.maxReplicas} to ${after.minReplicas}..${after.maxReplicas} (minReplicaCount..maxReplicaCount)`,
    snapshot: { hpa: owner.hpa, scaledObject: so, ...before },
    applied: after,
  };
}

export async function restoreThroughScaledObject(kube: KubeClient, t: TargetRef, bounds: Bounds): Promise<{ detail: string } | null> {
  const owner = await ownerOf(kube, t);
  if (!owner) return null;
  await retryOnConflict(async () => {
    const cur = await readScaledObject(kube, t.namespace, owner.scaledObject);
    await patchScaledObjectBounds(kube, t.namespace, owner.scaledObject, bounds, cur.resourceVersion);
  });
  return { detail: `restored ScaledObject ${owner.scaledObject} (KEDA, owner of HPA ${owner.hpa}) of ${targetKey(t)} to ${bounds.minReplicas}..${bounds.maxReplicas} (minReplicaCount..maxReplicaCount)` };
}
