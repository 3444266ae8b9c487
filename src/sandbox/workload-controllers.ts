/**
 * The controllers that own pods: ReplicaSet, StatefulSet (ordered, with
 * revisions), and a CloudNativePG-style Cluster operator (instances `<name>-<n>`,
 * a primary and replicas). Each creates and deletes pods, then reports status
 * from the pods the simulated kubelet has made Ready.
 */
import { isControlledBy, randomSuffix, templateHash, type Cluster } from './cluster.js';
import { createPod, isPodAvailable, isPodReady, newPod } from './pod-simulator.js';
import { R } from './resources.js';
import { deepEqual, type CnpgCluster, type CnpgClusterStatus, type Pod, type PodTemplate, type ReplicaSet, type ReplicaSetStatus, type StatefulSet, type StatefulSetStatus, type StoredObject } from './types.js';
import { labelSelectorMatcher } from './selectors.js';

function ownedPods(cluster: Cluster, owner: StoredObject): Pod[] {
  return (cluster.store.listShared(R.pods, owner.metadata.namespace) as readonly Pod[]).filter((p) => isControlledBy(p, owner) && !p.metadata.deletionTimestamp);
}

function deletePod(cluster: Cluster, pod: Pod): void {
  cluster.store.remove(R.pods, pod.metadata.namespace, pod.metadata.name);
}

function writeStatus<T extends StoredObject>(cluster: Cluster, def: typeof R.replicasets, obj: T, status: Record<string, unknown>): void {
  if (deepEqual(obj.status, status)) return;
  const fresh = cluster.store.get(def, obj.metadata.namespace, obj.metadata.name);
  if (!fresh) return;
  fresh.status = status;
  cluster.store.update(def, fresh);
}

/** Which pods a ReplicaSet gives up first: not ready, then most recently ready, then newest (controller.ActivePods order). */
function deletionOrder(cluster: Cluster, a: Pod, b: Pod): number {
  const ra = isPodReady(a) ? 1 : 0;
  const rb = isPodReady(b) ? 1 : 0;
  if (ra !== rb) return ra - rb;
  const ta = cluster.podTimes.get(a.metadata.uid);
  const tb = cluster.podTimes.get(b.metadata.uid);
  const readyA = ta?.readyMs ?? 0;
  const readyB = tb?.readyMs ?? 0;
  if (readyA !== readyB) return readyB - readyA;
  return (tb?.createdMs ?? 0) - (ta?.createdMs ?? 0);
}

/** ReplicaSet controller: keep spec.replicas pods, report status. */
export function syncReplicaSets(cluster: Cluster): void {
  for (const rs of cluster.store.listShared(R.replicasets) as readonly ReplicaSet[]) {
    let pods = ownedPods(cluster, rs);
    const want = rs.spec.replicas ?? 1;
    if (pods.length < want) {
      for (let i = pods.length; i < want; i++) {
        const name = `${rs.metadata.name}-${randomSuffix()}`;
        pods.push(createPod(cluster, newPod(cluster, rs, name, rs.spec.template, {})) as Pod);
      }
    } else if (pods.length > want) {
      const doomed = [...pods].sort((a, b) => deletionOrder(cluster, a, b)).slice(0, pods.length - want);
      for (const p of doomed) deletePod(cluster, p);
      const gone = new Set(doomed.map((p) => p.metadata.uid));
      pods = pods.filter((p) => !gone.has(p.metadata.uid));
    }
    const labelled = labelSelectorMatcher({ matchLabels: rs.spec.template.metadata?.labels ?? {} });
    const minReady = rs.spec.minReadySeconds ?? 0;
    const status: ReplicaSetStatus = { replicas: pods.length };
    const fully = pods.filter((p) => labelled(p.metadata.labels)).length;
    const ready = pods.filter(isPodReady).length;
    const available = pods.filter((p) => isPodAvailable(cluster, p, minReady)).length;
    if (fully > 0) status.fullyLabeledReplicas = fully;
    if (ready > 0) status.readyReplicas = ready;
    if (available > 0) status.availableReplicas = available;
    status.observedGeneration = rs.metadata.generation ?? 1;
    writeStatus(cluster, R.replicasets, rs, status);
  }
}

const REVISION_LABEL = 'controller-revision-hash';

function ordinalOf(sts: StatefulSet, pod: Pod): number {
  const suffix = pod.metadata.name.slice(sts.metadata.name.length + 1);
  return /^\d+$/.test(suffix) ? Number(suffix) : -1;
}

/** StatefulSet controller: pods `<name>-<ordinal>`, created in order (OrderedReady) or at once (Parallel), rolled from the highest ordinal. */
export function syncStatefulSets(cluster: Cluster): void {
  for (const sts of cluster.store.listShared(R.statefulsets) as readonly StatefulSet[]) {
    const updateRevision = `${sts.metadata.name}-${templateHash(sts.spec.template)}`;
    const currentRevision = sts.status?.currentRevision ?? updateRevision;
    const want = sts.spec.replicas ?? 1;
    const parallel = sts.spec.podManagementPolicy === 'Parallel';
    let pods = ownedPods(cluster, sts).sort((a, b) => ordinalOf(sts, a) - ordinalOf(sts, b));
    const byOrdinal = new Map(pods.map((p) => [ordinalOf(sts, p), p]));

    // Scale down from the highest ordinal; one at a time unless Parallel.
    const extra = pods.filter((p) => ordinalOf(sts, p) >= want || ordinalOf(sts, p) < 0).reverse();
    for (const p of parallel ? extra : extra.slice(0, 1)) deletePod(cluster, p);
    let changed = extra.length > 0;

    if (!changed) {
      for (let i = 0; i < want; i++) {
        if (byOrdinal.has(i)) {
          if (!parallel && !isPodReady(byOrdinal.get(i)!)) break;
          continue;
        }
        const name = `${sts.metadata.name}-${i}`;
        const labels = { [REVISION_LABEL]: updateRevision, 'statefulset.kubernetes.io/pod-name': name, 'apps.kubernetes.io/pod-index': String(i) };
        createPod(cluster, newPod(cluster, sts, name, sts.spec.template, labels));
        changed = true;
        if (!parallel) break;
      }
    }
    // Rolling update: once every pod is Ready, replace the highest-ordinal pod still at an old revision.
    const partition = sts.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
    if (!changed && sts.spec.updateStrategy?.type !== 'OnDelete') {
      pods = ownedPods(cluster, sts);
      if (pods.length === want && pods.every(isPodReady)) {
        const stale = pods
          .filter((p) => ordinalOf(sts, p) >= partition && p.metadata.labels?.[REVISION_LABEL] !== updateRevision)
          .sort((a, b) => ordinalOf(sts, b) - ordinalOf(sts, a))[0];
        if (stale) deletePod(cluster, stale);
      }
    }

    pods = ownedPods(cluster, sts);
    const minReady = sts.spec.minReadySeconds ?? 0;
    const updated = pods.filter((p) => p.metadata.labels?.[REVISION_LABEL] === updateRevision).length;
    const status: StatefulSetStatus = {
      observedGeneration: sts.metadata.generation ?? 1,
      replicas: pods.length,
      readyReplicas: pods.filter(isPodReady).length,
      currentReplicas: pods.filter((p) => p.metadata.labels?.[REVISION_LABEL] === currentRevision).length,
      updatedReplicas: updated,
      availableReplicas: pods.filter((p) => isPodAvailable(cluster, p, minReady)).length,
      currentRevision: updated === want && pods.length === want ? updateRevision : currentRevision,
      updateRevision,
      collisionCount: 0,
    };
    if (status.currentRevision === updateRevision) status.currentReplicas = updated;
    writeStatus(cluster, R.statefulsets, sts, status);
  }
}

const CNPG_CLUSTER_LABEL = 'cnpg.io/cluster';
const CNPG_DEFAULT_IMAGE = 'ghcr.io/cloudnative-pg/postgresql:17';

function serialOf(cluster: CnpgCluster, pod: Pod): number {
  const suffix = pod.metadata.name.slice(cluster.metadata.name.length + 1);
  return /^\d+$/.test(suffix) ? Number(suffix) : 0;
}

/**
 * CloudNativePG operator: instances `<cluster>-<serial>` (serials never reused),
 * the first is the primary; a scale-down removes the newest replicas, never the primary.
 */
export function syncCnpgClusters(cluster: Cluster): void {
  for (const pg of cluster.store.listShared(R.cnpgClusters) as readonly CnpgCluster[]) {
    const name = pg.metadata.name;
    const want = typeof pg.spec.instances === 'number' ? pg.spec.instances : 1;
    let latest = pg.status?.latestGeneratedNode ?? 0;
    let pods = ownedPods(cluster, pg).sort((a, b) => serialOf(pg, a) - serialOf(pg, b));
    let primary = pg.status?.currentPrimary && pods.some((p) => p.metadata.name === pg.status?.currentPrimary) ? pg.status.currentPrimary : pods[0]?.metadata.name;
    for (let i = pods.length; i < want; i++) {
      latest = Math.max(latest, ...pods.map((p) => serialOf(pg, p))) + 1;
      const podName = `${name}-${latest}`;
      primary ??= podName;
      const role = podName === primary ? 'primary' : 'replica';
      const template: PodTemplate = {
        metadata: { labels: { [CNPG_CLUSTER_LABEL]: name } },
        spec: { containers: [{ name: 'postgres', image: typeof pg.spec.imageName === 'string' ? pg.spec.imageName : CNPG_DEFAULT_IMAGE }] },
      };
      const labels = { 'cnpg.io/instanceName': podName, 'cnpg.io/instanceRole': role, role, 'cnpg.io/podRole': 'instance' };
      pods.push(createPod(cluster, newPod(cluster, pg, podName, template, labels)) as Pod);
    }
    if (pods.length > want) {
      const doomed = pods.filter((p) => p.metadata.name !== primary).sort((a, b) => serialOf(pg, b) - serialOf(pg, a)).slice(0, pods.length - want);
      for (const p of doomed) deletePod(cluster, p);
      pods = pods.filter((p) => !doomed.includes(p));
    }
    const ready = pods.filter(isPodReady).length;
    const healthy = ready === want && pods.length === want;
    const status: CnpgClusterStatus = {
      ...(pg.status ?? {}),
      instances: pods.length,
      readyInstances: ready,
      instanceNames: pods.map((p) => p.metadata.name).sort(),
      latestGeneratedNode: latest,
      phase: healthy ? 'Cluster in healthy state' : pods.length < want ? 'Creating a new replica' : 'Waiting for the instances to become active',
      selector: `${CNPG_CLUSTER_LABEL}=${name},cnpg.io/podRole=instance`,
      conditions: [
        healthy
          ? { type: 'Ready', status: 'True', reason: 'ClusterIsReady', message: 'Cluster is Ready' }
          : { type: 'Ready', status: 'False', reason: 'ClusterIsNotReady', message: 'Cluster Is Not Ready' },
      ],
    };
    if (primary) {
      status.currentPrimary = primary;
      status.targetPrimary = primary;
    } else {
      delete status.currentPrimary;
      delete status.targetPrimary;
    }
    writeStatus(cluster, R.cnpgClusters, pg, status);
  }
}
