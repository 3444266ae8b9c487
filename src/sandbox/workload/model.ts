/**
 * The load model of the simulated workload (ci-failure-agent): pure functions from
 * the offered load and what the cluster runs right now (READY replicas, CPU limits,
 * database instances, Redis maxmemory) to the rates and gauges its exporters would
 * report, and one `advance` step that integrates those rates into monotonic counters.
 *
 * The couplings a real team meets are deliberate: CPU and p99 per pod fall when
 * the API scales out; every API and consumer replica holds database connections,
 * so scaling either raises the share of max_connections; the queue grows with the
 * message rate and drains with ready consumers; the Redis hit ratio falls once the
 * working set outgrows maxmemory.
 */

/** Tunables of the model; `DEFAULT_PARAMS` are the reference workload's. */
export interface WorkloadParams {
  api: {
    /** CPU seconds one request costs. */
    cpuPerRequest: number;
    /** Cores an idle (or starting) API pod uses. */
    baseCpu: number;
    /** Cores when the pod spec sets no CPU limit. */
    defaultCpuLimit: number;
    /** p99 of an idle pod. */
    baseP99Seconds: number;
    /** p99 grows as `queueingSeconds / (1 - utilisation)` … */
    queueingSeconds: number;
    /** … up to this, which is also the p99 of an overloaded pod (client time-outs). */
    maxP99Seconds: number;
    memoryBaseBytes: number;
    /** Working set added per request/s the pod serves. */
    memoryPerRpsBytes: number;
    /** Connections each API pod's pool holds open. */
    dbConnectionsPerPod: number;
  };
  consumer: {
    /** Messages one ready consumer processes per second. */
    messagesPerSecondPerPod: number;
    baseCpu: number;
    cpuPerMessage: number;
    memoryBaseBytes: number;
    dbConnectionsPerPod: number;
  };
  db: {
    /** max_connections when the Cluster sets none. */
    defaultMaxConnections: number;
    /** Share of held connections that are busy (state="active"); the rest are idle. */
    activeShare: number;
  };
  redis: {
    /** Cache lookups per API request. */
    lookupsPerRequest: number;
    workingSetBaseBytes: number;
    workingSetPerRpsBytes: number;
    /** Hit ratio when the whole working set fits. */
    maxHitRatio: number;
  };
}

const MiB = 1024 * 1024;

export const DEFAULT_PARAMS: WorkloadParams = {
  api: {
    cpuPerRequest: 0.003,
    baseCpu: 0.05,
    defaultCpuLimit: 1,
    baseP99Seconds: 0.02,
    queueingSeconds: 0.01,
    maxP99Seconds: 2.5,
    memoryBaseBytes: 256 * MiB,
    memoryPerRpsBytes: 0.5 * MiB,
    dbConnectionsPerPod: 30,
  },
  consumer: {
    messagesPerSecondPerPod: 150,
    baseCpu: 0.02,
    cpuPerMessage: 0.002,
    memoryBaseBytes: 192 * MiB,
    dbConnectionsPerPod: 10,
  },
  db: { defaultMaxConnections: 100, activeShare: 0.25 },
  redis: { lookupsPerRequest: 2, workingSetBaseBytes: 120 * MiB, workingSetPerRpsBytes: 0.05 * MiB, maxHitRatio: 0.98 },
};

/** The offered load at one moment. */
export interface Load {
  /** HTTP requests per second offered to the API (through its Service: ready pods only). */
  rps: number;
  /** Messages per second published to the queue. */
  messagesPerSecond: number;
}

/** Misbehaviours that make a change harmful, switched on by tests and the demo. */
export interface WorkloadFaults {
  /**
   * When the ready replicas of `deployment` (default: the API) exceed `replicas`,
   * the database connection pool is exhausted: a share of API requests fail with
   * 500, growing with every replica beyond the limit.
   */
  dbPoolExhaustedAbove?: { replicas: number; deployment?: string };
  /** The API leaks memory: each pod's working set grows by this much per minute of its age. */
  memoryLeakMiBPerMinute?: number;
}

/** One running pod as the model sees it. */
export interface PodView {
  namespace: string;
  name: string;
  ready: boolean;
  /** Seconds since the pod was created. */
  ageSeconds: number;
  /** Container names, their CPU limits in cores (null: none set) and images. */
  containers: { name: string; cpuLimit: number | null; image?: string }[];
  /** metadata.uid and spec.nodeName, for the exporters' labels (cAdvisor's id, the pod IP). */
  uid?: string;
  node?: string;
}

/** What the cluster runs right now, read from the sandbox's live objects. */
export interface Observed {
  /** Pods of the API Deployment. */
  api: PodView[];
  /** Pods of the consumer Deployment. */
  consumers: PodView[];
  /** Ready instances (pods) of the database Cluster. */
  dbInstances: string[];
  /** The same instance pods, for the exporter's labels (absent: named only). */
  dbPods?: PodView[];
  /** max_connections of each database instance (0: not set, the model's default applies). */
  dbMaxConnections: number;
  /** Redis maxmemory in bytes (0: no limit). */
  redisMaxmemoryBytes: number;
  /** Every other pod, exported by cAdvisor with idle values. */
  others: PodView[];
  /** Ready replicas of any Deployment a fault names, by name. */
  readyByDeployment: Record<string, number>;
}

/** What one API pod does at the current load. */
export interface ApiPodRates {
  cpuCores: number;
  /** Requests per second answered, by status code. */
  requests: { '200': number; '500': number; '503': number };
  p99Seconds: number;
  memoryBytes: number;
}

/** Everything the exporters report, as rates and gauges, at one moment. */
export interface Derived {
  apiReady: number;
  /** Per API pod, by pod name (unready pods serve nothing). */
  apiPods: Record<string, ApiPodRates>;
  /** Share of API requests answered 5xx. */
  errorRatio: number;
  /** Cluster-wide p99 (the worst ready pod's; NaN without traffic). */
  p99Seconds: number;
  consumerReady: number;
  /** Messages per second the consumers can process. */
  consumeCapacity: number;
  /** Per consumer pod. */
  consumerPods: Record<string, { cpuCores: number; memoryBytes: number }>;
  /** Connections held on each ready instance (capped at max_connections). */
  dbConnectionsPerInstance: number;
  /** Connections the pools want, over all instances. */
  dbConnectionsWanted: number;
  dbMaxConnections: number;
  /** Share of max_connections in use on each instance. */
  dbUsage: number;
  poolExhausted: boolean;
  redis: { usedBytes: number; maxBytes: number; hitRatio: number; lookupsPerSecond: number };
}

function cpuLimitOf(pod: PodView, fallback: number): number {
  const limit = pod.containers[0]?.cpuLimit;
  return limit !== null && limit !== undefined && limit > 0 ? limit : fallback;
}

/** p99 of a pod at utilisation `u` of its capacity (0..1); overload is the time-out ceiling. */
export function p99At(u: number, params: WorkloadParams['api']): number {
  if (u >= 1) return params.maxP99Seconds;
  return Math.min(params.maxP99Seconds, params.baseP99Seconds + params.queueingSeconds / Math.max(1 - u, 1e-6));
}

/** Share of requests failed because the pool is exhausted: 5 % per replica beyond the limit, at most 50 %. */
export function poolErrorShare(replicas: number, limit: number): number {
  return replicas > limit ? Math.min(0.5, 0.05 * (replicas - limit)) : 0;
}

/** Redis hit ratio: everything fits → maxHitRatio; beyond maxmemory the share that fits. */
export function redisHitRatio(workingSetBytes: number, maxmemoryBytes: number, maxHitRatio: number): number {
  if (maxmemoryBytes <= 0 || workingSetBytes <= maxmemoryBytes) return maxHitRatio;
  return maxHitRatio * (maxmemoryBytes / workingSetBytes);
}

/** The rates and gauges at `load` for what the cluster runs (`obs`). Pure. */
export function derive(obs: Observed, load: Load, faults: WorkloadFaults, params: WorkloadParams = DEFAULT_PARAMS): Derived {
  const { api: a, consumer: c, db, redis } = params;

  // Database: every ready API and consumer pod holds its pool; the Service spreads
  // them evenly over the ready instances; an instance refuses beyond max_connections.
  const apiReady = obs.api.filter((p) => p.ready).length;
  const consumerReady = obs.consumers.filter((p) => p.ready).length;
  const wanted = apiReady * a.dbConnectionsPerPod + consumerReady * c.dbConnectionsPerPod;
  const instances = obs.dbInstances.length;
  const maxConnections = obs.dbMaxConnections > 0 ? obs.dbMaxConnections : db.defaultMaxConnections;
  const perInstanceWanted = instances > 0 ? wanted / instances : 0;
  const perInstance = Math.min(perInstanceWanted, maxConnections);
  const refusedShare = wanted === 0 ? 0 : instances === 0 ? 1 : Math.max(0, perInstanceWanted - maxConnections) / perInstanceWanted;

  const fault = faults.dbPoolExhaustedAbove;
  const faultReplicas = fault ? (fault.deployment === undefined ? apiReady : (obs.readyByDeployment[fault.deployment] ?? 0)) : 0;
  const poolShare = fault ? poolErrorShare(faultReplicas, fault.replicas) : 0;
  // Requests that get no connection fail with 500: refused by the server or starved by the pool.
  const dbErrorShare = Math.min(1, 1 - (1 - refusedShare) * (1 - poolShare));

  const rpsPerPod = apiReady > 0 ? load.rps / apiReady : 0;
  const leak = (pod: PodView): number => (faults.memoryLeakMiBPerMinute ?? 0) * MiB * (pod.ageSeconds / 60);
  const apiPods: Record<string, ApiPodRates> = {};
  let errors = 0;
  let answered = 0;
  let worstP99 = Number.NaN;
  for (const pod of obs.api) {
    const limit = cpuLimitOf(pod, a.defaultCpuLimit);
    if (!pod.ready) {
      apiPods[pod.name] = { cpuCores: Math.min(a.baseCpu, limit), requests: { '200': 0, '500': 0, '503': 0 }, p99Seconds: Number.NaN, memoryBytes: a.memoryBaseBytes + leak(pod) };
      continue;
    }
    const capacity = Math.max(0, (limit - a.baseCpu) / a.cpuPerRequest);
    const served = Math.min(rpsPerPod, capacity);
    const shed = rpsPerPod - served;
    const u = capacity > 0 ? served / capacity : 1;
    const p99 = shed > 0 ? a.maxP99Seconds : p99At(u, a);
    const failed = served * dbErrorShare;
    apiPods[pod.name] = {
      cpuCores: Math.min(limit, a.baseCpu + served * a.cpuPerRequest),
      requests: { '200': served - failed, '500': failed, '503': shed },
      p99Seconds: p99,
      memoryBytes: a.memoryBaseBytes + served * a.memoryPerRpsBytes + leak(pod),
    };
    errors += failed + shed;
    answered += rpsPerPod;
    if (rpsPerPod > 0 && !(p99 <= worstP99)) worstP99 = p99;
  }

  const consumeCapacity = consumerReady * c.messagesPerSecondPerPod;
  const consumerPods: Record<string, { cpuCores: number; memoryBytes: number }> = {};
  const perConsumer = consumerReady > 0 ? Math.min(load.messagesPerSecond, consumeCapacity) / consumerReady : 0;
  for (const pod of obs.consumers) {
    const limit = cpuLimitOf(pod, a.defaultCpuLimit);
    const rate = pod.ready ? perConsumer : 0;
    consumerPods[pod.name] = { cpuCores: Math.min(limit, c.baseCpu + rate * c.cpuPerMessage), memoryBytes: c.memoryBaseBytes };
  }

  const workingSet = redis.workingSetBaseBytes + load.rps * redis.workingSetPerRpsBytes;
  const maxBytes = obs.redisMaxmemoryBytes;
  return {
    apiReady,
    apiPods,
    errorRatio: answered > 0 ? errors / answered : 0,
    p99Seconds: worstP99,
    consumerReady,
    consumeCapacity,
    consumerPods,
    dbConnectionsPerInstance: perInstance,
    dbConnectionsWanted: wanted,
    dbMaxConnections: maxConnections,
    dbUsage: perInstance / maxConnections,
    poolExhausted: poolShare > 0,
    redis: {
      usedBytes: maxBytes > 0 ? Math.min(workingSet, maxBytes) : workingSet,
      maxBytes,
      hitRatio: redisHitRatio(workingSet, maxBytes, redis.maxHitRatio),
      lookupsPerSecond: load.rps * redis.lookupsPerRequest,
    },
  };
}

/** The upper bounds (seconds) of the latency histogram; the SLA (0.5 s) is a bound. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/**
 * The share of requests in each bucket (cumulative, one per LATENCY_BUCKETS bound)
 * for latencies distributed exponentially with the given p99; and the mean.
 */
export function latencyDistribution(p99Seconds: number): { cumulative: number[]; mean: number } {
  const lambda = Math.log(100) / p99Seconds;
  return { cumulative: LATENCY_BUCKETS.map((le) => 1 - Math.exp(-lambda * le)), mean: 1 / lambda };
}

/** Monotonic counters of one API pod (what its /metrics has counted since it started). */
export interface ApiPodCounters {
  requests: { '200': number; '500': number; '503': number };
  /** Cumulative bucket counts, one per LATENCY_BUCKETS bound; +Inf is `count`. */
  buckets: number[];
  count: number;
  sum: number;
}

/** Everything the exporters count, since the simulation started. */
export interface WorkloadCounters {
  /** CPU seconds by `namespace/pod/container`. */
  cpuSeconds: Record<string, number>;
  /** By API pod name. */
  api: Record<string, ApiPodCounters>;
  queueDepth: number;
  messagesConsumed: number;
  redisHits: number;
  redisMisses: number;
}

export function emptyCounters(): WorkloadCounters {
  return { cpuSeconds: {}, api: {}, queueDepth: 0, messagesConsumed: 0, redisHits: 0, redisMisses: 0 };
}

/** The key of a container's CPU counter. */
export function containerKey(namespace: string, pod: string, container: string): string {
  return `${namespace}/${pod}/${container}`;
}

/** The queue after `dt` seconds: grows with the inflow, drains with the consumers, never below 0. */
export function stepQueue(depth: number, inflowPerSecond: number, capacityPerSecond: number, dt: number): { depth: number; consumed: number } {
  const available = depth + inflowPerSecond * dt;
  const consumed = Math.min(available, capacityPerSecond * dt);
  return { depth: available - consumed, consumed };
}

/** CPU cores of every container the model knows nothing particular about. */
export const IDLE_CPU_CORES = 0.01;

/** The key of a pod's pause (sandbox) container among its counters, and its CPU use. */
export const PAUSE_CONTAINER = 'POD';
const PAUSE_CPU_CORES = 0.001;

/**
 * The counters after `dt` seconds at the rates of `d`. Pure: returns new counters;
 * counters of pods that are gone are dropped (their series end, as a restarted
 * exporter's would), every other counter only grows.
 */
export function advance(prev: WorkloadCounters, obs: Observed, load: Load, d: Derived, dt: number): WorkloadCounters {
  const next = emptyCounters();
  const addCpu = (key: string, cores: number): void => {
    next.cpuSeconds[key] = (prev.cpuSeconds[key] ?? 0) + cores * dt;
  };
  for (const pod of obs.api) {
    pod.containers.forEach((ctr, i) => addCpu(containerKey(pod.namespace, pod.name, ctr.name), i === 0 ? (d.apiPods[pod.name]?.cpuCores ?? 0) : IDLE_CPU_CORES));
    const rates = d.apiPods[pod.name];
    const before = prev.api[pod.name] ?? { requests: { '200': 0, '500': 0, '503': 0 }, buckets: LATENCY_BUCKETS.map(() => 0), count: 0, sum: 0 };
    const total = rates ? (rates.requests['200'] + rates.requests['500'] + rates.requests['503']) * dt : 0;
    const dist = rates && total > 0 ? latencyDistribution(rates.p99Seconds) : null;
    next.api[pod.name] = {
      requests: {
        '200': before.requests['200'] + (rates?.requests['200'] ?? 0) * dt,
        '500': before.requests['500'] + (rates?.requests['500'] ?? 0) * dt,
        '503': before.requests['503'] + (rates?.requests['503'] ?? 0) * dt,
      },
      buckets: before.buckets.map((b, i) => b + (dist ? total * dist.cumulative[i]! : 0)),
      count: before.count + total,
      sum: before.sum + (dist ? total * dist.mean : 0),
    };
  }
  for (const pod of obs.consumers) {
    pod.containers.forEach((ctr, i) => addCpu(containerKey(pod.namespace, pod.name, ctr.name), i === 0 ? (d.consumerPods[pod.name]?.cpuCores ?? 0) : IDLE_CPU_CORES));
  }
  for (const pod of obs.others) for (const ctr of pod.containers) addCpu(containerKey(pod.namespace, pod.name, ctr.name), IDLE_CPU_CORES);
  // cAdvisor also reports each pod's pause container, which the alert rules filter out.
  for (const pod of [...obs.api, ...obs.consumers, ...obs.others]) addCpu(containerKey(pod.namespace, pod.name, PAUSE_CONTAINER), PAUSE_CPU_CORES);

  const q = stepQueue(prev.queueDepth, load.messagesPerSecond, d.consumeCapacity, dt);
  next.queueDepth = q.depth;
  next.messagesConsumed = prev.messagesConsumed + q.consumed;
  const lookups = d.redis.lookupsPerSecond * dt;
  next.redisHits = prev.redisHits + lookups * d.redis.hitRatio;
  next.redisMisses = prev.redisMisses + lookups * (1 - d.redis.hitRatio);
  return next;
}
