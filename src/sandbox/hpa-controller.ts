/**
 * A minimal HorizontalPodAutoscaler controller: the min/max clamp that the real
 * controller applies before it looks at any metric (reconcileAutoscaler), so a
 * direct scale of an HPA-managed workload outside its bounds is undone as in a
 * cluster. No metrics are simulated yet: within bounds the replica count is left alone.
 */
import type { Cluster } from './cluster.js';
import { formatTime } from './object-store.js';
import { qualifiedName, R, resourceByKind, type ResourceDef } from './resources.js';
import { clone, deepEqual, isRecord, type Condition, type HorizontalPodAutoscaler, type StoredObject } from './types.js';

const COMPONENT = 'horizontal-pod-autoscaler';

/** The API group/version of a scaleTargetRef kind when apiVersion is left out. */
const DEFAULT_API_VERSION: Record<string, string> = { Deployment: 'apps/v1', StatefulSet: 'apps/v1', ReplicaSet: 'apps/v1' };

/** Reads `path` (keys) of an object as a number, or undefined. */
export function readNumber(obj: unknown, path: readonly string[]): number | undefined {
  let cur: unknown = obj;
  for (const key of path) {
    if (!isRecord(cur)) return undefined;
    cur = cur[key];
  }
  return typeof cur === 'number' ? cur : undefined;
}

/** Sets `path` (keys) of an object, creating maps on the way. */
export function writeValue(obj: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let cur = obj;
  for (const key of path.slice(0, -1)) {
    if (!isRecord(cur[key])) cur[key] = {};
    cur = cur[key] as Record<string, unknown>;
  }
  cur[path[path.length - 1]!] = value;
}

function setCondition(conds: Condition[], cond: Condition): Condition[] {
  const current = conds.find((c) => c.type === cond.type);
  if (current && current.status === cond.status) cond.lastTransitionTime = current.lastTransitionTime;
  if (current && deepEqual(current, cond)) return conds;
  return [...conds.filter((c) => c.type !== cond.type), cond];
}

/** One pass over every HPA. */
export function syncHpas(cluster: Cluster): void {
  for (const hpa of cluster.store.listShared(R.hpas) as readonly HorizontalPodAutoscaler[]) syncHpa(cluster, hpa);
}

function syncHpa(cluster: Cluster, hpa: HorizontalPodAutoscaler): void {
  const now = formatTime(cluster.clock());
  const ns = hpa.metadata.namespace;
  const ref = hpa.spec.scaleTargetRef;
  const status = clone(hpa.status ?? {});
  let conds = status.conditions ?? [];
  const cond = (type: string, s: Condition['status'], reason: string, message: string): void => {
    conds = setCondition(conds, { type, status: s, lastTransitionTime: now, reason, message });
  };
  const def: ResourceDef | undefined = resourceByKind(ref.apiVersion ?? DEFAULT_API_VERSION[ref.kind] ?? '', ref.kind);
  const target: StoredObject | undefined = def?.scale ? cluster.store.get(def, ns, ref.name) : undefined;
  status.observedGeneration = hpa.metadata.generation ?? 1;
  if (!def?.scale || !target) {
    const what = def ? `${qualifiedName(def)} "${ref.name}" not found` : `no matches for kind "${ref.kind}" in group "${(ref.apiVersion ?? '').split('/')[0]}"`;
    cond('AbleToScale', 'False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: ${what}`);
    status.desiredReplicas = status.desiredReplicas ?? 0;
    write(cluster, hpa, { ...status, conditions: conds });
    return;
  }
  const paths = def.scale;
  const current = readNumber(target, paths.specReplicasPath) ?? 0;
  const min = hpa.spec.minReplicas ?? 1;
  const max = hpa.spec.maxReplicas;
  let desired = current;
  let rescaleReason = '';
  if (current === 0 && min !== 0) {
    cond('ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero');
  } else if (current > max) {
    desired = max;
    rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
    cond('ScalingLimited', 'True', 'TooManyReplicas', 'the desired replica count is more than the maximum replica count');
  } else if (current < min) {
    desired = min;
    rescaleReason = 'Current number of replicas below Spec.MinReplicas';
    cond('ScalingLimited', 'True', 'TooFewReplicas', 'the desired replica count is less than the minimum replica count');
  } else {
    cond('ScalingActive', 'False', 'FailedGetResourceMetric', 'the HPA was unable to compute the replica count: the sandbox does not simulate metrics');
    cond('ScalingLimited', 'False', 'DesiredWithinRange', 'the desired count is within the acceptable range');
  }
  if (desired !== current) {
    const next = clone(target) as Record<string, unknown> & StoredObject;
    writeValue(next, paths.specReplicasPath, desired);
    cluster.store.update(def, next);
    status.lastScaleTime = now;
    cond('AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desired}`);
    cluster.events.record(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${rescaleReason}`, COMPONENT);
  } else {
    cond('AbleToScale', 'True', 'ReadyForNewScale', 'recommended size matches current size');
  }
  const currentReplicas = readNumber(target, paths.statusReplicasPath) ?? 0;
  if (currentReplicas > 0) status.currentReplicas = currentReplicas;
  else delete status.currentReplicas;
  status.desiredReplicas = desired;
  write(cluster, hpa, { ...status, conditions: conds });
}

function write(cluster: Cluster, hpa: HorizontalPodAutoscaler, status: NonNullable<HorizontalPodAutoscaler['status']>): void {
  if (deepEqual(hpa.status, status)) return;
  const fresh = cluster.store.get(R.hpas, hpa.metadata.namespace, hpa.metadata.name);
  if (!fresh) return;
  fresh.status = status;
  cluster.store.update(R.hpas, fresh);
}
