/**
 * KEDA: an HPA owned by a ScaledObject (ownerReferences, keda.sh/v1alpha1) is KEDA's to write:
 * its operator puts back any change to it. An `hpa` action on such a target changes the
 * ScaledObject's minReplicaCount/maxReplicaCount instead (KEDA then updates its HPA), with the
 * same plan, step policies, snapshot, rollback and restore as for a plain HPA.
 */
import type { V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import type { HpaState } from '../../domain/cluster.js';
import type { TargetRef } from '../../domain/target.js';
import { PatchStrategy, type KubeClient, type KubeObject } from '../../kube/client.js';

export const KEDA_API_VERSION = 'keda.sh/v1alpha1';
/** KEDA's defaults when a ScaledObject leaves them out. */
export const KEDA_DEFAULT_MIN = 0;
export const KEDA_DEFAULT_MAX = 100;

/** The ScaledObject that controls this HPA, if any. */
export function scaledObjectOwner(hpa: V2HorizontalPodAutoscaler): string | null {
  const ref = (hpa.metadata?.ownerReferences ?? []).find((o) => o.kind === 'ScaledObject' && o.apiVersion.split('/')[0] === 'keda.sh');
  return ref?.name ?? null;
}

export function scaledObjectRef(namespace: string, name: string): TargetRef {
  return { apiVersion: KEDA_API_VERSION, kind: 'ScaledObject', namespace, name };
}

export function scaledObjectBounds(so: KubeObject): { minReplicas: number; maxReplicas: number } {
  const spec = (so.spec ?? {}) as { minReplicaCount?: number; maxReplicaCount?: number };
  return { minReplicas: spec.minReplicaCount ?? KEDA_DEFAULT_MIN, maxReplicas: spec.maxReplicaCount ?? KEDA_DEFAULT_MAX };
}

/** The HPA as decisions see it: a plain HPA's bounds, or its ScaledObject's. */
export async function hpaStateOf(kube: KubeClient, namespace: string, hpa: V2HorizontalPodAutoscaler): Promise<HpaState> {
  const name = hpa.metadata?.name ?? '';
  const currentReplicas = hpa.status?.currentReplicas ?? null;
  const so = scaledObjectOwner(hpa);
  if (!so) return { name, minReplicas: hpa.spec?.minReplicas ?? 1, maxReplicas: hpa.spec?.maxReplicas ?? 0, currentReplicas };
  const obj = await kube.getObject(scaledObjectRef(namespace, so));
  return { name, ...scaledObjectBounds(obj), currentReplicas, scaledObject: so };
}

/** Read the ScaledObject: its bounds and resourceVersion (the precondition of the write). */
export async function readScaledObject(kube: KubeClient, namespace: string, name: string): Promise<{ minReplicas: number; maxReplicas: number; resourceVersion: string }> {
  const obj = await kube.getObject(scaledObjectRef(namespace, name));
  return { ...scaledObjectBounds(obj), resourceVersion: obj.metadata?.resourceVersion ?? '' };
}

/** Merge-patch minReplicaCount/maxReplicaCount; `metadata.resourceVersion` is the precondition (409 when stale). */
export async function patchScaledObjectBounds(kube: KubeClient, namespace: string, name: string, bounds: { minReplicas: number; maxReplicas: number }, resourceVersion: string): Promise<void> {
  await kube.patchObject(scaledObjectRef(namespace, name), { metadata: { resourceVersion }, spec: { minReplicaCount: bounds.minReplicas, maxReplicaCount: bounds.maxReplicas } }, PatchStrategy.MergePatch);
}
