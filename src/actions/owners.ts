/**
 * Reads who else manages the object an action changes (the target, its HPA, or the KEDA
 * ScaledObject that owns that HPA): its GitOps marks and its managedFields. One GET of that
 * object; the judging is pure (planner/owners.ts).
 */
import type { TargetState } from '../domain/cluster.js';
import type { TargetOwners } from '../domain/owners.js';
import type { TargetRef } from '../domain/target.js';
import { FIELD_MANAGER, type KubeClient } from '../kube/client.js';
import { changedFieldPaths, fieldOwnersOf, gitOpsOwnerOf, type ArgoTrackingMethod } from '../planner/owners.js';
import type { ActionSpec } from '../rule-table/schema.js';
import { scaledObjectRef } from './hpa/keda.js';

/** The object an action changes, or null when it changes none (redis) or there is none (no HPA). */
export function changedObject(target: TargetRef, action: ActionSpec, state: Extract<TargetState, { found: true }>): TargetRef | null {
  if (action.type === 'redis') return null;
  if (action.type !== 'hpa') return target;
  if (!state.hpa) return null;
  if (state.hpa.scaledObject) return scaledObjectRef(target.namespace, state.hpa.scaledObject);
  return { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', namespace: target.namespace, name: state.hpa.name };
}

export async function readOwners(kube: KubeClient, target: TargetRef, action: ActionSpec, state: Extract<TargetState, { found: true }>, argoTracking: ArgoTrackingMethod): Promise<TargetOwners | undefined> {
  const ref = changedObject(target, action, state);
  if (!ref) return undefined;
  const obj = await kube.getObject(ref);
  const meta = obj.metadata ?? {};
  return {
    object: `${ref.kind} ${ref.namespace}/${ref.name}`,
    gitops: gitOpsOwnerOf({ labels: meta.labels, annotations: meta.annotations }, ref, argoTracking),
    fieldOwners: fieldOwnersOf(meta.managedFields, changedFieldPaths(action, Boolean(action.type === 'hpa' && state.hpa?.scaledObject)), FIELD_MANAGER),
  };
}
