/**
 * The simulated workload of a sandbox: the load model driven by the cluster's live
 * objects, exported with the names and label sets a current cluster's exporters publish
 * (the app through its ServiceMonitor, the kubelet's cAdvisor, CloudNativePG's exporter,
 * redis_exporter; see exporter-labels.ts), and controlled over HTTP. Every series carries its
 * own job and instance: scrape with honor_labels (prometheus-config.ts).
 *
 * Routes (on the sandbox API server's port):
 *   GET  /metrics                 app series per API pod (job `ci-failure-agent`)
 *   GET  /metrics/cadvisor        container series (job `kubelet`, metrics_path /metrics/cadvisor)
 *   GET  /metrics/cnpg            CloudNativePG's exporter, per database instance (job `ci/ci-failure-agent-db`)
 *   GET  /metrics/redis           redis_exporter (`instance` is the Redis address)
 *   GET  /metrics/kube-state-metrics  kube-state-metrics v2 for the store's Deployments, HPAs and Pods
 *   GET  /sandbox/load            the load now, and the profiles running
 *   POST /sandbox/load            {rps?, messagesPerSecond?, profile?: {type, to, durationSeconds, target?, steps?}}
 *   GET  /sandbox/workload        what the model computes now (replicas, CPU, p99, errors, queue, DB, Redis)
 *   GET|POST|DELETE /sandbox/workload/faults   {dbPoolExhaustedAbove?: {replicas, deployment?} | null, memoryLeakMiBPerMinute?: n | null}
 *
 * The model advances lazily: each read integrates the rates over the time since
 * the previous read, with the cluster as it is at that read.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { ObjectStore } from '../object-store.js';
import { readBoundedBody } from '../read-body.js';
import { Exposition, EXPOSITION_CONTENT_TYPE } from './exposition.js';
import {
  advance,
  containerKey,
  DEFAULT_PARAMS,
  derive,
  emptyCounters,
  LATENCY_BUCKETS,
  PAUSE_CONTAINER,
  type Derived,
  type Load,
  type Observed,
  type PodView,
  type WorkloadCounters,
  type WorkloadFaults,
  type WorkloadParams,
} from './model.js';
import { appLabels, cadvisorContainerLabels, cadvisorPauseLabels, cadvisorPodLabels, cnpgLabels, redisExporterLabels, type PodIdentity } from './exporter-labels.js';
import { renderKubeStateMetrics } from './kube-state-metrics.js';
import { observe, REFERENCE_WORKLOAD, type WorkloadRefs } from './observe.js';
import { SANDBOX_NODE } from '../pod-simulator.js';
import { faultsBodySchema, loadBodySchema, LoadController, type ActiveProfile } from './profile.js';

export interface WorkloadOptions {
  /** Which objects are the workload (default: the reference workload in namespace `ci`). */
  refs?: Partial<WorkloadRefs>;
  params?: WorkloadParams;
  /** The load at start (default 300 req/s and 100 messages/s). */
  load?: Partial<Load>;
  faults?: WorkloadFaults;
  /** The `instance` label of the Redis series: the address the Redis rule would connect to. */
  redisAddress?: string;
  /** The queue's name in `queue_depth{queue=…}`. */
  queue?: string;
}

export const DEFAULT_LOAD: Load = { rps: 300, messagesPerSecond: 100 };
export const DEFAULT_QUEUE = 'ci-failure-events';
/** Not resolvable on purpose: a Redis action taken on the simulated cache reaches no real Redis. */
export const DEFAULT_REDIS_ADDRESS = 'ci-failure-agent-redis.ci.svc:6379';

/** What `GET /sandbox/workload` answers. */
export interface WorkloadSnapshot {
  at: string;
  load: Load;
  profiles: ActiveProfile[];
  faults: WorkloadFaults;
  api: { ready: number; pods: number; rpsPerPod: number; cpuPerPod: number; p99Seconds: number | null; errorRatio: number };
  consumers: { ready: number; pods: number; capacityPerSecond: number };
  queue: { name: string; depth: number; inflowPerSecond: number };
  database: { instances: number; maxConnections: number; connectionsPerInstance: number; connectionsWanted: number; usage: number; poolExhausted: boolean };
  redis: { address: string; usedBytes: number; maxBytes: number; hitRatio: number };
}

const MiB = 1024 * 1024;
const OTHER_MEMORY_BYTES = 64 * MiB;
const PAUSE_MEMORY_BYTES = 1 * MiB;

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}

/** A JSON body checked against a schema; the error names each offending key. */
export function parseJsonBody<T>(schema: z.ZodType<T>, body: string): { ok: true; data: T } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, error: 'body is not JSON' };
  }
  const r = schema.safeParse(json);
  if (!r.success) return { ok: false, error: r.error.issues.map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`).join('; ') };
  return { ok: true, data: r.data };
}


const METRIC_PATHS = new Set(['/metrics', '/metrics/cadvisor', '/metrics/cnpg', '/metrics/redis', '/metrics/kube-state-metrics']);
const CONTROL_PATHS = new Set(['/sandbox/load', '/sandbox/workload', '/sandbox/workload/faults']);

export class WorkloadSimulator {
  private readonly refs: WorkloadRefs;
  private readonly params: WorkloadParams;
  private readonly loads: LoadController;
  private faultSet: WorkloadFaults;
  private readonly redisAddress: string;
  private readonly queue: string;
  private counters: WorkloadCounters = emptyCounters();
  private lastMs: number;
  private last: { obs: Observed; derived: Derived; load: Load } | undefined;

  constructor(
    private readonly store: ObjectStore,
    private readonly clock: () => Date,
    opts: WorkloadOptions = {},
  ) {
    this.refs = { ...REFERENCE_WORKLOAD, ...opts.refs };
    this.params = opts.params ?? DEFAULT_PARAMS;
    this.loads = new LoadController({ ...DEFAULT_LOAD, ...opts.load });
    this.faultSet = structuredClone(opts.faults ?? {});
    this.redisAddress = opts.redisAddress ?? DEFAULT_REDIS_ADDRESS;
    this.queue = opts.queue ?? DEFAULT_QUEUE;
    this.lastMs = clock().getTime();
  }

  /** Integrates the model up to now and returns what it computes at this moment. */
  advance(): { obs: Observed; derived: Derived; load: Load } {
    const now = this.clock().getTime();
    const obs = observe(this.store, now, this.refs);
    const load = this.loads.at(now);
    const derived = derive(obs, load, this.faultSet, this.params);
    const dt = Math.max(0, (now - this.lastMs) / 1000);
    this.counters = advance(this.counters, obs, load, derived, dt);
    this.lastMs = now;
    this.last = { obs, derived, load };
    return this.last;
  }

  /** Changes the load (as `POST /sandbox/load`). */
  setLoad(body: z.input<typeof loadBodySchema>): void {
    this.advance();
    this.loads.set(loadBodySchema.parse(body), this.clock().getTime());
  }

  /** Sets or clears faults (as `POST /sandbox/workload/faults`); `null` clears one. */
  setFaults(body: z.input<typeof faultsBodySchema>): void {
    this.advance();
    const parsed = faultsBodySchema.parse(body);
    if (parsed.dbPoolExhaustedAbove === null) delete this.faultSet.dbPoolExhaustedAbove;
    else if (parsed.dbPoolExhaustedAbove) {
      const f = parsed.dbPoolExhaustedAbove;
      this.faultSet.dbPoolExhaustedAbove = f.deployment === undefined ? { replicas: f.replicas } : { replicas: f.replicas, deployment: f.deployment };
    }
    if (parsed.memoryLeakMiBPerMinute === null) delete this.faultSet.memoryLeakMiBPerMinute;
    else if (parsed.memoryLeakMiBPerMinute !== undefined) this.faultSet.memoryLeakMiBPerMinute = parsed.memoryLeakMiBPerMinute;
  }

  clearFaults(): void {
    this.advance();
    this.faultSet = {};
  }

  faults(): WorkloadFaults {
    return structuredClone(this.faultSet);
  }

  /** The model now, for people and tests. */
  snapshot(): WorkloadSnapshot {
    const { obs, derived: d, load } = this.advance();
    const ready = obs.api.filter((p) => p.ready);
    const cpu = ready.length ? ready.reduce((s, p) => s + (d.apiPods[p.name]?.cpuCores ?? 0), 0) / ready.length : 0;
    return {
      at: this.clock().toISOString(),
      load,
      profiles: this.loads.active(this.clock().getTime()),
      faults: this.faults(),
      api: { ready: d.apiReady, pods: obs.api.length, rpsPerPod: d.apiReady ? load.rps / d.apiReady : 0, cpuPerPod: cpu, p99Seconds: Number.isNaN(d.p99Seconds) ? null : d.p99Seconds, errorRatio: d.errorRatio },
      consumers: { ready: d.consumerReady, pods: obs.consumers.length, capacityPerSecond: d.consumeCapacity },
      queue: { name: this.queue, depth: this.counters.queueDepth, inflowPerSecond: load.messagesPerSecond },
      database: {
        instances: obs.dbInstances.length,
        maxConnections: d.dbMaxConnections,
        connectionsPerInstance: d.dbConnectionsPerInstance,
        connectionsWanted: d.dbConnectionsWanted,
        usage: d.dbUsage,
        poolExhausted: d.poolExhausted,
      },
      redis: { address: this.redisAddress, usedBytes: d.redis.usedBytes, maxBytes: d.redis.maxBytes, hitRatio: d.redis.hitRatio },
    };
  }

  /** The scrape body of one metrics path, or undefined for a path it does not serve. */
  render(path: string): string | undefined {
    if (!METRIC_PATHS.has(path)) return undefined;
    const { obs, derived } = this.advance();
    switch (path) {
      case '/metrics':
        return this.renderApp(obs);
      case '/metrics/cadvisor':
        return this.renderCadvisor(obs, derived);
      case '/metrics/cnpg':
        return this.renderCnpg(obs, derived);
      case '/metrics/kube-state-metrics':
        return renderKubeStateMetrics(this.store);
      default:
        return this.renderRedis(derived);
    }
  }

  /** True for the paths `handle` serves. */
  serves(pathname: string): boolean {
    return METRIC_PATHS.has(pathname) || CONTROL_PATHS.has(pathname);
  }

  /** Answers a metrics or control request; false when the path is not one of its own. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const path = url.pathname;
    if (!this.serves(path)) return false;
    const method = req.method ?? 'GET';
    // Over 64 KiB: read as empty, which the JSON routes refuse.
    const body = (await readBoundedBody(req, 64 * 1024)) ?? '';
    if (METRIC_PATHS.has(path)) {
      if (method !== 'GET' && method !== 'HEAD') {
        send(res, 405, { error: `${method} ${path}: only GET` });
        return true;
      }
      const text = this.render(path) ?? '';
      res.writeHead(200, { 'Content-Type': EXPOSITION_CONTENT_TYPE, 'Content-Length': String(Buffer.byteLength(text)) });
      res.end(method === 'HEAD' ? undefined : text);
      return true;
    }
    const parse = <T>(schema: z.ZodType<T>): { ok: true; data: T } | { ok: false } => {
      const r = parseJsonBody(schema, body);
      if (!r.ok) send(res, 400, { error: r.error });
      return r.ok ? r : { ok: false };
    };
    if (path === '/sandbox/load') {
      if (method === 'POST') {
        const r = parse(loadBodySchema);
        if (!r.ok) return true;
        this.setLoad(r.data);
      } else if (method !== 'GET') {
        send(res, 405, { error: `${method} ${path}: use GET or POST` });
        return true;
      }
      const now = this.clock().getTime();
      send(res, 200, { load: this.advance().load, profiles: this.loads.active(now) });
      return true;
    }
    if (path === '/sandbox/workload') {
      if (method !== 'GET') send(res, 405, { error: `${method} ${path}: only GET` });
      else send(res, 200, this.snapshot());
      return true;
    }
    if (method === 'POST') {
      const r = parse(faultsBodySchema);
      if (!r.ok) return true;
      this.setFaults(r.data);
    } else if (method === 'DELETE') this.clearFaults();
    else if (method !== 'GET') {
      send(res, 405, { error: `${method} ${path}: use GET, POST or DELETE` });
      return true;
    }
    send(res, 200, { faults: this.faults() });
    return true;
  }

  private identity(pod: PodView): PodIdentity {
    return { namespace: pod.namespace, name: pod.name, uid: pod.uid ?? `${pod.namespace}/${pod.name}`, node: pod.node ?? SANDBOX_NODE };
  }

  /** The API's own metrics, one set per API pod as its ServiceMonitor scrapes them. */
  private renderApp(obs: Observed): string {
    const out = new Exposition();
    const labelsOf = (pod: PodView): Record<string, string> => appLabels(this.identity(pod), this.refs.api, this.refs.api);
    out.family('http_requests_total', 'counter', 'HTTP requests answered, by status code.');
    for (const pod of obs.api) {
      const c = this.counters.api[pod.name];
      if (!c) continue;
      for (const code of ['200', '500', '503'] as const) out.sample('http_requests_total', { ...labelsOf(pod), code }, c.requests[code]);
    }
    out.family('http_request_duration_seconds', 'histogram', 'HTTP request latency.');
    for (const pod of obs.api) {
      const c = this.counters.api[pod.name];
      if (!c) continue;
      const labels = labelsOf(pod);
      LATENCY_BUCKETS.forEach((le, i) => out.sample('http_request_duration_seconds_bucket', { ...labels, le: String(le) }, Math.min(c.buckets[i]!, c.count)));
      out.sample('http_request_duration_seconds_bucket', { ...labels, le: '+Inf' }, c.count);
      out.sample('http_request_duration_seconds_sum', labels, c.sum);
      out.sample('http_request_duration_seconds_count', labels, c.count);
    }
    // Every API pod reads the queue's depth (the alert takes the max per queue); the consumed
    // counter is one pod's, as one process would count it.
    out.family('queue_depth', 'gauge', 'Messages waiting in the queue.');
    for (const pod of obs.api) out.sample('queue_depth', { ...labelsOf(pod), queue: this.queue }, Math.round(this.counters.queueDepth));
    const first = [...obs.api].sort((x, y) => x.name.localeCompare(y.name))[0];
    out.family('queue_messages_consumed_total', 'counter', 'Messages the consumers processed.');
    if (first) out.sample('queue_messages_consumed_total', { ...labelsOf(first), queue: this.queue }, this.counters.messagesConsumed);
    return out.text();
  }

  /**
   * cAdvisor as the kubelet publishes it: per container, plus each pod's pod-level cgroup (the
   * sum of its containers) and its sandbox (pause) container, which the alert rules filter out.
   */
  private renderCadvisor(obs: Observed, d: Derived): string {
    const out = new Exposition();
    const pods = [...obs.api, ...obs.consumers, ...obs.others];
    const memory = (pod: (typeof pods)[number], container: string, first: boolean): number => {
      if (container === PAUSE_CONTAINER) return PAUSE_MEMORY_BYTES;
      if (!first) return OTHER_MEMORY_BYTES;
      return d.apiPods[pod.name]?.memoryBytes ?? d.consumerPods[pod.name]?.memoryBytes ?? OTHER_MEMORY_BYTES;
    };
    const image = (c: PodView['containers'][number]): string => c.image ?? 'registry.example/unknown:latest';
    out.family('container_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed in seconds.');
    for (const pod of pods) {
      const id = this.identity(pod);
      const cpu = (name: string): number | undefined => this.counters.cpuSeconds[containerKey(pod.namespace, pod.name, name)];
      let podTotal = 0;
      for (const c of pod.containers) {
        const v = cpu(c.name);
        if (v === undefined) continue;
        podTotal += v;
        out.sample('container_cpu_usage_seconds_total', cadvisorContainerLabels(id, c.name, image(c)), v);
      }
      const pause = cpu(PAUSE_CONTAINER);
      if (pause !== undefined) {
        podTotal += pause;
        out.sample('container_cpu_usage_seconds_total', cadvisorPauseLabels(id), pause);
      }
      out.sample('container_cpu_usage_seconds_total', cadvisorPodLabels(id), podTotal);
    }
    out.family('container_memory_working_set_bytes', 'gauge', 'Current working set in bytes.');
    for (const pod of pods) {
      const id = this.identity(pod);
      let podTotal = 0;
      pod.containers.forEach((c, i) => {
        const v = Math.round(memory(pod, c.name, i === 0));
        podTotal += v;
        out.sample('container_memory_working_set_bytes', cadvisorContainerLabels(id, c.name, image(c)), v);
      });
      const pause = memory(pod, PAUSE_CONTAINER, false);
      out.sample('container_memory_working_set_bytes', cadvisorPauseLabels(id), pause);
      out.sample('container_memory_working_set_bytes', cadvisorPodLabels(id), podTotal + pause);
    }
    return out.text();
  }

  /**
   * CloudNativePG's exporter on each ready instance: the `backends` query (one series per
   * database, user, application and state; states without connections as 0) and the
   * `pg_settings` query (every numeric setting, by name).
   */
  private renderCnpg(obs: Observed, d: Derived): string {
    const out = new Exposition();
    const active = Math.round(d.dbConnectionsPerInstance * this.params.db.activeShare);
    const idle = Math.round(d.dbConnectionsPerInstance) - active;
    const pods: PodView[] = obs.dbPods ?? obs.dbInstances.map((name) => ({ namespace: this.refs.namespace, name, ready: true, ageSeconds: 0, containers: [] }));
    const scrape = (pod: PodView): Record<string, string> => cnpgLabels(this.identity(pod), this.refs.database);
    out.family('cnpg_backends_total', 'gauge', 'Number of backends');
    for (const pod of pods) {
      const labels = scrape(pod);
      const app = { datname: 'app', usename: 'app', application_name: '' };
      out.sample('cnpg_backends_total', { ...labels, ...app, state: 'active' }, active);
      out.sample('cnpg_backends_total', { ...labels, ...app, state: 'idle' }, idle);
      for (const state of ['idle in transaction', 'idle in transaction (aborted)', 'fastpath function call', 'disabled']) {
        out.sample('cnpg_backends_total', { ...labels, datname: '', usename: '', application_name: '', state }, 0);
      }
    }
    out.family('cnpg_pg_settings_setting', 'gauge', 'Setting value');
    for (const pod of pods) {
      const labels = scrape(pod);
      out.sample('cnpg_pg_settings_setting', { ...labels, name: 'max_connections' }, d.dbMaxConnections);
      out.sample('cnpg_pg_settings_setting', { ...labels, name: 'shared_buffers' }, 16384);
      out.sample('cnpg_pg_settings_setting', { ...labels, name: 'superuser_reserved_connections' }, 3);
    }
    out.family('cnpg_collector_up', 'gauge', '1 if PostgreSQL is up, 0 otherwise.');
    for (const pod of pods) out.sample('cnpg_collector_up', { ...scrape(pod), cluster: this.refs.database }, 1);
    return out.text();
  }

  private renderRedis(d: Derived): string {
    const labels = redisExporterLabels(this.refs.namespace, this.redisAddress);
    const out = new Exposition();
    out.family('redis_up', 'gauge', 'Information about the Redis instance');
    out.sample('redis_up', labels, 1);
    out.family('redis_keyspace_hits_total', 'counter', 'keyspace_hits metric');
    out.sample('redis_keyspace_hits_total', labels, this.counters.redisHits);
    out.family('redis_keyspace_misses_total', 'counter', 'keyspace_misses metric');
    out.sample('redis_keyspace_misses_total', labels, this.counters.redisMisses);
    out.family('redis_memory_used_bytes', 'gauge', 'memory_used_bytes metric');
    out.sample('redis_memory_used_bytes', labels, Math.round(d.redis.usedBytes));
    out.family('redis_memory_max_bytes', 'gauge', 'memory_max_bytes metric');
    out.sample('redis_memory_max_bytes', labels, d.redis.maxBytes);
    return out.text();
  }
}
