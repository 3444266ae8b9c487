/**
 * The simulated kubelet: pods are created Running, become Ready `readyDelayMs`
 * after they were created (never, under a neverReady fault), and stay Ready.
 */
import { controllerOf, ownerReference, nowMs, templateHash, type Cluster } from './cluster.js';
import { formatTime } from './object-store.js';
import { parseQuantity } from './validation.js';
import { R } from './resources.js';
import { clone, deepEqual, isRecord, type Condition, type Container, type JsonObject, type Pod, type PodStatus, type PodTemplate, type StoredObject } from './types.js';

export const SANDBOX_NODE = 'sandbox-node';

/** A pod stamped from a template, owned by `owner`, in the state the kubelet starts it in. */
export function newPod(cluster: Cluster, owner: StoredObject, name: string, template: PodTemplate, extraLabels: Record<string, string>): Pod {
  const spec = clone(template.spec ?? {}) as Pod['spec'];
  spec.nodeName = SANDBOX_NODE;
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: owner.metadata.namespace,
      labels: { ...(template.metadata?.labels ?? {}), ...extraLabels },
      ownerReferences: [ownerReference(owner)],
      uid: '', resourceVersion: '', creationTimestamp: '',
    },
    spec,
  };
  if (template.metadata?.annotations) pod.metadata.annotations = { ...template.metadata.annotations };
  pod.status = podStatus(pod, nowMs(cluster), false);
  return pod;
}

/** Stores a new pod and starts its readiness clock. */
export function createPod(cluster: Cluster, pod: Pod): StoredObject {
  const stored = cluster.store.create(R.pods, pod);
  cluster.podTimes.set(stored.metadata.uid, { createdMs: nowMs(cluster) });
  return stored;
}

function qosClass(containers: Container[]): string {
  let anySet = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length > 0 || Object.keys(lim).length > 0) anySet = true;
    for (const r of ['cpu', 'memory']) {
      const l = lim[r];
      const q = req[r] ?? l;
      if (l === undefined || parseQuantity(q) !== parseQuantity(l)) guaranteed = false;
    }
  }
  if (guaranteed) return 'Guaranteed';
  return anySet ? 'Burstable' : 'BestEffort';
}

/** The pod status the kubelet reports: Running, Ready or not. */
export function podStatus(pod: Pod, createdMs: number, ready: boolean, readyMs?: number): PodStatus {
  const created = formatTime(new Date(createdMs));
  const readySince = formatTime(new Date(readyMs ?? createdMs));
  const containers = pod.spec.containers ?? [];
  const unready = containers.map((c) => c.name);
  const readiness = (type: string): Condition =>
    ready
      ? { type, status: 'True', lastTransitionTime: readySince }
      : { type, status: 'False', lastTransitionTime: created, reason: 'ContainersNotReady', message: `containers with unready status: [${unready.join(' ')}]` };
  return {
    phase: 'Running',
    conditions: [
      { type: 'Initialized', status: 'True', lastTransitionTime: created },
      readiness('Ready'),
      readiness('ContainersReady'),
      { type: 'PodScheduled', status: 'True', lastTransitionTime: created },
    ],
    startTime: created,
    containerStatuses: containers.map(
      (c): JsonObject => ({
        name: c.name,
        image: c.image ?? '',
        imageID: '',
        containerID: `containerd://${templateHash(`${pod.metadata.namespace}/${pod.metadata.name}/${c.name}`)}`,
        ready,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: created } },
      }),
    ),
    qosClass: qosClass(containers),
  };
}

/** Ready per the pod's own Ready condition. */
export function isPodReady(pod: StoredObject): boolean {
  const conditions = pod.status?.conditions;
  return Array.isArray(conditions) && (conditions as Condition[]).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Ready for at least minReadySeconds. */
export function isPodAvailable(cluster: Cluster, pod: StoredObject, minReadySeconds: number): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const t = cluster.podTimes.get(pod.metadata.uid);
  const readyMs = t?.readyMs ?? Date.parse(pod.metadata.creationTimestamp);
  return nowMs(cluster) - readyMs >= minReadySeconds * 1000;
}

/** Name of the workload a pod belongs to (Deployment above its ReplicaSet, StatefulSet, CNPG Cluster). */
function workloadName(cluster: Cluster, pod: Pod, rsOwners: Map<string, string>): string | undefined {
  const owner = controllerOf(pod);
  if (!owner) return undefined;
  if (owner.kind !== 'ReplicaSet') return owner.name;
  let name = rsOwners.get(owner.uid);
  if (name === undefined) {
    const rs = cluster.store.get(R.replicasets, pod.metadata.namespace, owner.name);
    name = (rs && controllerOf(rs)?.name) ?? owner.name;
    rsOwners.set(owner.uid, name);
  }
  return name;
}

/** One pass of the kubelet over every pod. */
export function syncPods(cluster: Cluster): void {
  const now = nowMs(cluster);
  const rsOwners = new Map<string, string>();
  const seen = new Set<string>();
  for (const raw of cluster.store.listShared(R.pods)) {
    const pod = raw as Pod;
    if (!isRecord(pod.spec)) continue;
    const uid = pod.metadata.uid;
    seen.add(uid);
    let t = cluster.podTimes.get(uid);
    if (!t) {
      t = { createdMs: now };
      if (isPodReady(pod)) t.readyMs = now;
      cluster.podTimes.set(uid, t);
    }
    if (t.readyMs === undefined && now - t.createdMs >= cluster.readyDelayMs) {
      const workload = workloadName(cluster, pod, rsOwners);
      const ns = pod.metadata.namespace ?? '';
      if (!(workload && cluster.faults.isNeverReady(ns, workload)) && !cluster.faults.isNeverReady(ns, pod.metadata.name)) {
        t.readyMs = now;
      }
    }
    const status = podStatus(pod, t.createdMs, t.readyMs !== undefined, t.readyMs);
    if (!deepEqual(pod.status, status)) cluster.store.update(R.pods, { ...pod, status });
  }
  for (const uid of cluster.podTimes.keys()) if (!seen.has(uid)) cluster.podTimes.delete(uid);
}
