/**
 * Rollout readiness as `kubectl rollout status` judges it (shared/reference
 * k8s-semantics.md §3.3), for Deployments, StatefulSets and scaled custom
 * resources. Pure: the object in, a verdict out.
 */
export interface RolloutVerdict {
  state: 'done' | 'waiting' | 'failed';
  message: string;
}

interface Obj {
  kind?: string;
  metadata?: { generation?: number; name?: string };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export function rolloutStatus(obj: Obj): RolloutVerdict {
  const name = obj.metadata?.name ?? '';
  const spec = obj.spec ?? {};
  const status = obj.status ?? {};
  const generation = obj.metadata?.generation ?? 0;
  const observed = Number(status.observedGeneration ?? 0);
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  if (obj.kind === 'Deployment') {
    if (generation > observed) return { state: 'waiting', message: 'Waiting for deployment spec update to be observed' };
    const conditions = (status.conditions as Array<{ type: string; reason?: string }> | undefined) ?? [];
    if (conditions.some((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded')) {
      return { state: 'failed', message: `deployment "${name}" exceeded its progress deadline` };
    }
    const want = typeof spec.replicas === 'number' ? spec.replicas : 1;
    const updated = num(status.updatedReplicas);
    if (updated < want) return { state: 'waiting', message: `${updated} out of ${want} new replicas have been updated` };
    if (num(status.replicas) > updated) return { state: 'waiting', message: `${num(status.replicas) - updated} old replicas are pending termination` };
    if (num(status.availableReplicas) < updated) return { state: 'waiting', message: `${num(status.availableReplicas)} of ${updated} updated replicas are available` };
    return { state: 'done', message: `deployment "${name}" successfully rolled out` };
  }
  if (obj.kind === 'StatefulSet') {
    if (observed === 0 || generation > observed) return { state: 'waiting', message: 'Waiting for statefulset spec update to be observed' };
    const want = typeof spec.replicas === 'number' ? spec.replicas : 1;
    if (num(status.readyReplicas) < want) return { state: 'waiting', message: `${num(status.readyReplicas)} of ${want} pods are ready` };
    if (status.updateRevision !== status.currentRevision) return { state: 'waiting', message: 'waiting for the rolling update to complete' };
    return { state: 'done', message: `statefulset "${name}" rolling update complete` };
  }
  // A scaled custom resource (e.g. CloudNativePG Cluster): its ready instances reach the spec.
  const want = num(spec.instances ?? spec.replicas);
  const ready = num(status.readyInstances ?? status.readyReplicas);
  if (ready < want) return { state: 'waiting', message: `${ready} of ${want} instances are ready` };
  return { state: 'done', message: `${obj.kind ?? 'resource'} "${name}" has ${ready} of ${want} ready` };
}

/**
 * After an `hpa` action that raised the floor: the workload is ready only once the HPA has
 * scaled it to at least the new floor and those replicas are ready. Without this the wait
 * judged the workload before the HPA acted (3/3 ready while the floor says 5) and validation
 * measured the old pods. `floor` null: no floor to reach (any other action).
 */
export function rolloutStatusAtFloor(obj: Obj, floor: number | null): RolloutVerdict {
  if (floor !== null) {
    const spec = obj.spec ?? {};
    const desired = typeof spec.replicas === 'number' ? spec.replicas : typeof spec.instances === 'number' ? spec.instances : 1;
    if (desired < floor) return { state: 'waiting', message: `waiting for the HPA to scale ${obj.metadata?.name ?? 'the workload'} to its new floor of ${floor} (spec.replicas ${desired})` };
  }
  return rolloutStatus(obj);
}
