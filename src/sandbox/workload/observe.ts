/**
 * Reads what the simulated cluster runs right now, for the load model: the pods
 * of the API and consumer Deployments (ready or not, with their CPU limits), the
 * ready instances of the database Cluster and its max_connections, and Redis'
 * maxmemory from its container arguments.
 */
import type { ObjectStore } from '../object-store.js';
import { isPodReady, SANDBOX_NODE } from '../pod-simulator.js';
import { R } from '../resources.js';
import { labelSelectorMatcher } from '../selectors.js';
import { isRecord, type Deployment, type Pod } from '../types.js';
import { parseQuantity } from '../validation.js';
import type { Observed, PodView } from './model.js';

/** Which objects of the sandbox are the reference workload. */
export interface WorkloadRefs {
  namespace: string;
  api: string;
  consumer: string;
  /** CloudNativePG Cluster. */
  database: string;
  /** Redis Deployment. */
  redis: string;
}

export const REFERENCE_WORKLOAD: WorkloadRefs = {
  namespace: 'ci',
  api: 'ci-failure-agent',
  consumer: 'ci-failure-agent-consumer',
  database: 'ci-failure-agent-db',
  redis: 'ci-failure-agent-redis',
};

function podView(pod: Pod, nowMs: number): PodView {
  const created = Date.parse(pod.metadata.creationTimestamp);
  return {
    namespace: pod.metadata.namespace ?? 'default',
    name: pod.metadata.name,
    ready: isPodReady(pod),
    ageSeconds: Number.isFinite(created) ? Math.max(0, (nowMs - created) / 1000) : 0,
    containers: (pod.spec.containers ?? []).map((c) => {
      const limit = parseQuantity(c.resources?.limits?.cpu);
      return { name: c.name, cpuLimit: limit, ...(typeof c.image === 'string' ? { image: c.image } : {}) };
    }),
    uid: pod.metadata.uid,
    node: typeof pod.spec.nodeName === 'string' ? pod.spec.nodeName : SANDBOX_NODE,
  };
}

const REDIS_UNITS: Record<string, number> = { '': 1, b: 1, k: 1000, kb: 1024, m: 1_000_000, mb: 1024 ** 2, g: 1_000_000_000, gb: 1024 ** 3 };

/** A Redis memory value (`256mb`, `1gb`, `1048576`) in bytes, or null. */
export function parseRedisBytes(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([a-z]*)$/i.exec(text.trim());
  const unit = m ? REDIS_UNITS[m[2]!.toLowerCase()] : undefined;
  return m && unit !== undefined ? Math.round(Number(m[1]) * unit) : null;
}

/** maxmemory from `--maxmemory <value>` in a container's args (0 when absent: no limit). */
export function maxmemoryFromArgs(args: readonly unknown[]): number {
  const i = args.findIndex((a) => a === '--maxmemory');
  const value = i >= 0 ? args[i + 1] : undefined;
  return typeof value === 'string' ? (parseRedisBytes(value) ?? 0) : 0;
}

/** Reads the workload's live objects from the sandbox store, at `nowMs` on the sandbox clock. */
export function observe(store: ObjectStore, nowMs: number, refs: WorkloadRefs = REFERENCE_WORKLOAD): Observed {
  const view = (p: Pod): PodView => podView(p, nowMs);
  const pods = store.listShared(R.pods) as readonly Pod[];
  const deploymentPods = (name: string): Pod[] => {
    const d = store.get(R.deployments, refs.namespace, name) as Deployment | undefined;
    if (!d) return [];
    const matches = labelSelectorMatcher(d.spec.selector);
    return pods.filter((p) => p.metadata.namespace === refs.namespace && !p.metadata.deletionTimestamp && matches(p.metadata.labels));
  };
  const api = deploymentPods(refs.api);
  const consumers = deploymentPods(refs.consumer);

  const db = store.get(R.cnpgClusters, refs.namespace, refs.database);
  const dbPods = db ? pods.filter((p) => p.metadata.namespace === refs.namespace && p.metadata.labels?.['cnpg.io/cluster'] === refs.database) : [];
  const params = db && isRecord(db.spec?.postgresql) && isRecord(db.spec.postgresql.parameters) ? db.spec.postgresql.parameters : {};
  const maxConnections = Number(params.max_connections);

  const redis = store.get(R.deployments, refs.namespace, refs.redis) as Deployment | undefined;
  const redisArgs = redis?.spec.template.spec?.containers?.[0]?.args;

  const known = new Set([...api, ...consumers].map((p) => p.metadata.uid));
  const readyByDeployment: Record<string, number> = {};
  for (const d of store.listShared(R.deployments, refs.namespace)) {
    readyByDeployment[d.metadata.name] = deploymentPods(d.metadata.name).filter(isPodReady).length;
  }
  return {
    api: api.map(view),
    consumers: consumers.map(view),
    dbInstances: dbPods.filter(isPodReady).map((p) => p.metadata.name),
    dbPods: dbPods.filter(isPodReady).map(view),
    dbMaxConnections: Number.isFinite(maxConnections) && maxConnections > 0 ? maxConnections : 0,
    redisMaxmemoryBytes: Array.isArray(redisArgs) ? maxmemoryFromArgs(redisArgs) : 0,
    others: pods.filter((p) => !known.has(p.metadata.uid)).map(view),
    readyByDeployment,
  };
}
