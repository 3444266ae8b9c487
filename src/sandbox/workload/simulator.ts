/**
 * The simulated workload of a sandbox: the load model driven by the cluster's live
 * objects, exported the way its real exporters would (app, cAdvisor,
 * postgres_exporter, redis_exporter), and controlled over HTTP.
 *
 * Routes (on the sandbox API server's port):
 *   GET  /metrics                 app series (scrape job `ci-failure-agent`)
 *   GET  /metrics/cadvisor        container series (job `cadvisor`)
 *   GET  /metrics/postgres        one series set per database instance (honor_labels: `instance`)
 *   GET  /metrics/redis           Redis series (honor_labels: `instance` is the Redis address)
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
  type WorkloadCounters,
  type WorkloadFaults,
  type WorkloadParams,
} from './model.js';
import { observe, REFERENCE_WORKLOAD, type WorkloadRefs } from './observe.js';
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


const METRIC_PATHS = new Set(['/metrics', '/metrics/cadvisor', '/metrics/postgres', '/metrics/redis']);
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
      case '/metrics/postgres':
        return this.renderPostgres(obs, derived);
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

  private renderApp(obs: Observed): string {
    const ns = this.refs.namespace;
    const out = new Exposition();
    out.family('http_requests_total', 'counter', 'HTTP requests answered, by status code.');
    for (const pod of obs.api) {
      const c = this.counters.api[pod.name];
      if (!c) continue;
      for (const code of ['200', '500', '503'] as const) out.sample('http_requests_total', { namespace: ns, pod: pod.name, code }, c.requests[code]);
    }
    out.family('http_request_duration_seconds', 'histogram', 'HTTP request latency.');
    for (const pod of obs.api) {
      const c = this.counters.api[pod.name];
      if (!c) continue;
      LATENCY_BUCKETS.forEach((le, i) => out.sample('http_request_duration_seconds_bucket', { namespace: ns, pod: pod.name, le: String(le) }, Math.min(c.buckets[i]!, c.count)));
      out.sample('http_request_duration_seconds_bucket', { namespace: ns, pod: pod.name, le: '+Inf' }, c.count);
      out.sample('http_request_duration_seconds_sum', { namespace: ns, pod: pod.name }, c.sum);
      out.sample('http_request_duration_seconds_count', { namespace: ns, pod: pod.name }, c.count);
    }
    out.family('queue_depth', 'gauge', 'Messages waiting in the queue.');
    out.sample('queue_depth', { namespace: ns, queue: this.queue }, Math.round(this.counters.queueDepth));
    out.family('queue_messages_consumed_total', 'counter', 'Messages the consumers processed.');
    out.sample('queue_messages_consumed_total', { namespace: ns, queue: this.queue }, this.counters.messagesConsumed);
    return out.text();
  }

  private renderCadvisor(obs: Observed, d: Derived): string {
    const out = new Exposition();
    const pods = [...obs.api, ...obs.consumers, ...obs.others];
    const memory = (pod: (typeof pods)[number], container: string, first: boolean): number => {
      if (container === PAUSE_CONTAINER) return PAUSE_MEMORY_BYTES;
      if (!first) return OTHER_MEMORY_BYTES;
      return d.apiPods[pod.name]?.memoryBytes ?? d.consumerPods[pod.name]?.memoryBytes ?? OTHER_MEMORY_BYTES;
    };
    out.family('container_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed in seconds.');
    for (const pod of pods) {
      for (const name of [...pod.containers.map((c) => c.name), PAUSE_CONTAINER]) {
        const v = this.counters.cpuSeconds[containerKey(pod.namespace, pod.name, name)];
        if (v !== undefined) out.sample('container_cpu_usage_seconds_total', { namespace: pod.namespace, pod_name: pod.name, container_name: name, cpu: 'total' }, v);
      }
    }
    out.family('container_memory_working_set_bytes', 'gauge', 'Current working set in bytes.');
    for (const pod of pods) {
      pod.containers.forEach((c, i) => out.sample('container_memory_working_set_bytes', { namespace: pod.namespace, pod_name: pod.name, container_name: c.name }, Math.round(memory(pod, c.name, i === 0))));
      out.sample('container_memory_working_set_bytes', { namespace: pod.namespace, pod_name: pod.name, container_name: PAUSE_CONTAINER }, memory(pod, PAUSE_CONTAINER, false));
    }
    return out.text();
  }

  private renderPostgres(obs: Observed, d: Derived): string {
    const ns = this.refs.namespace;
    const out = new Exposition();
    const active = Math.round(d.dbConnectionsPerInstance * this.params.db.activeShare);
    const idle = Math.round(d.dbConnectionsPerInstance) - active;
    out.family('pg_stat_activity_count', 'gauge', 'Number of connections in this state.');
    for (const pod of obs.dbInstances) {
      const labels = { namespace: ns, instance: `${pod}:9187`, pod, datname: 'app' };
      out.sample('pg_stat_activity_count', { ...labels, state: 'active' }, active);
      out.sample('pg_stat_activity_count', { ...labels, state: 'idle' }, idle);
    }
    out.family('pg_settings_max_connections', 'gauge', 'Sets the maximum number of concurrent connections.');
    for (const pod of obs.dbInstances) out.sample('pg_settings_max_connections', { namespace: ns, instance: `${pod}:9187`, pod }, d.dbMaxConnections);
    return out.text();
  }

  private renderRedis(d: Derived): string {
    const labels = { namespace: this.refs.namespace, instance: this.redisAddress };
    const out = new Exposition();
    out.family('redis_keyspace_hits_total', 'counter', 'Successful key lookups.');
    out.sample('redis_keyspace_hits_total', labels, this.counters.redisHits);
    out.family('redis_keyspace_misses_total', 'counter', 'Failed key lookups.');
    out.sample('redis_keyspace_misses_total', labels, this.counters.redisMisses);
    out.family('redis_memory_used_bytes', 'gauge', 'Bytes allocated by Redis.');
    out.sample('redis_memory_used_bytes', labels, Math.round(d.redis.usedBytes));
    out.family('redis_memory_max_bytes', 'gauge', 'maxmemory (0: no limit).');
    out.sample('redis_memory_max_bytes', labels, d.redis.maxBytes);
    return out.text();
  }
}
