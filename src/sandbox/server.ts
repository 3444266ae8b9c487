/**
 * The sandbox API server: a simulated Kubernetes cluster behind the real REST
 * API over plain HTTP, for @kubernetes/client-node and kubectl alike, with its
 * controllers on a tick loop, a request log, and fault injection.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import { EventRecorder, type Cluster } from './cluster.js';
import { runControllers } from './controllers.js';
import { SANDBOX_NODE } from './pod-simulator.js';
import { cnpgClusterCrd, kedaScaledObjectCrd } from './crd.js';
import { faultBodySchema, SandboxFaults, type RequestInfo } from './faults.js';
import { kubeconfigYaml, sandboxKubeConfig } from './kubeconfig.js';
import { ObjectStore } from './object-store.js';
import { readBoundedBody } from './read-body.js';
import { route, type ResourceRoute } from './request-router.js';
import { ResourceApi } from './resource-api.js';
import { apiVersionOf, R, resourceByKind, type ResourceDef } from './resources.js';
import { ApiError, conflict, forbidden, internalError, invalid, tooManyRequests } from './status.js';
import { clone, type KubeObject, type StoredObject } from './types.js';
import { applyDefaults, validateObject } from './validation.js';
import { startWatch, type WatchHandle } from './watch.js';
import { WorkloadSimulator, type WorkloadOptions } from './workload/index.js';

export interface SandboxOptions {
  /** Loopback address to listen on (default 127.0.0.1). */
  host?: string;
  /** Port; 0 (default) picks a free one. */
  port?: number;
  /** Objects the cluster starts with (see loadSeed); the `default` namespace always exists. */
  seed?: KubeObject[];
  /** How long a new pod takes to become Ready (default 1000 ms). */
  readyDelayMs?: number;
  /** Controller loop period (default 100 ms). */
  tickMs?: number;
  /** The cluster's clock (timestamps, readiness, progress deadlines); default `() => new Date()`. */
  clock?: () => Date;
  /** Changes kept for watches that resume from a resourceVersion (default 5000); older ones get 410 Expired. */
  watchHistoryLimit?: number;
  /** Most requests kept in the request log (default 100 000; the oldest are dropped). */
  requestLogLimit?: number;
  /** Called when a controller pass throws (default: console.error). */
  onControllerError?: (err: unknown) => void;
  /** The simulated workload behind /metrics and /sandbox/load (default: the reference workload). */
  workload?: WorkloadOptions;
}

/** One answered request, in the terms RBAC uses (verb, apiGroup, resource, subresource …). */
export interface SandboxRequest {
  time: string;
  method: string;
  path: string;
  /** get, list, watch, create, update, patch, delete, deletecollection. */
  verb: string;
  /** '' for the core group; absent for non-resource requests. */
  apiGroup?: string;
  apiVersion?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** Set for non-resource requests (discovery, /version …). */
  nonResourceURL?: string;
  code: number;
  durationMs: number;
  userAgent?: string;
  contentType?: string;
  fieldManager?: string;
}

export interface SandboxApi {
  /** Base URL, e.g. http://127.0.0.1:43121. */
  readonly url: string;
  readonly faults: SandboxFaults;
  /** The simulated workload: its load, faults and metrics (served at /metrics, /sandbox/load, /sandbox/workload). */
  readonly workload: WorkloadSimulator;
  /** Every answered API request, oldest first (the /sandbox control routes are not logged). */
  readonly requests: readonly SandboxRequest[];
  /** TCP connections accepted so far (clients that keep connections alive open few). */
  readonly connections: number;
  clearRequests(): void;
  /** A copy of a stored object, or undefined. */
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): StoredObject | undefined;
  /** Copies of all objects of a kind, in one namespace or all. */
  list(apiVersion: string, kind: string, namespace?: string): StoredObject[];
  /** Creates or replaces an object directly (no API request, no faults); status is kept if given. */
  put(obj: KubeObject): StoredObject;
  /** Deletes an object (and its dependents) directly; true if it existed. */
  remove(apiVersion: string, kind: string, namespace: string | undefined, name: string): boolean;
  /** Runs every controller once, now (the loop also runs every tickMs). */
  tick(): void;
  /** A client-node KubeConfig pointing at this server. */
  kubeConfig(): KubeConfig;
  /** Writes a kubeconfig file for kubectl (`--kubeconfig <path>`). */
  writeKubeconfig(path: string): Promise<void>;
  close(): Promise<void>;
}

const MAX_BODY = 3 * 1024 * 1024;

/** The one node of the sandbox (pod-simulator.ts SANDBOX_NODE), Ready, with a kwok-sized allocatable. */
function sandboxNode(now: Date): KubeObject {
  const at = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const room = { cpu: '32', memory: '128Gi', pods: '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: SANDBOX_NODE, labels: { 'kubernetes.io/hostname': SANDBOX_NODE, 'kubernetes.io/os': 'linux', 'node-role.kubernetes.io/agent': '' } },
    spec: {},
    status: {
      capacity: room,
      allocatable: room,
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: at, lastTransitionTime: at }],
    },
  };
}

function defFor(apiVersion: string, kind: string): ResourceDef {
  const def = resourceByKind(apiVersion, kind);
  if (!def) throw new Error(`sandbox: no resource serves ${apiVersion} ${kind}`);
  return def;
}

function userOf(req: IncomingMessage): string {
  const auth = req.headers.authorization ?? '';
  if (auth.startsWith('Basic ')) return Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':')[0] ?? 'system:anonymous';
  return 'system:anonymous';
}

async function readBody(req: IncomingMessage): Promise<string> {
  const body = await readBoundedBody(req, MAX_BODY);
  if (body === null) throw new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${MAX_BODY}`);
  return body;
}

function send(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a sandbox API server and its controllers.
 *
 * @example
 * const api = await startSandboxApi({ seed: loadSeed(), readyDelayMs: 50, tickMs: 10 });
 * const apps = api.kubeConfig().makeApiClient(AppsV1Api);
 * await apps.readNamespacedDeploymentScale({ name: 'ci-failure-agent', namespace: 'ci' });
 * await api.close();
 */
export async function startSandboxApi(opts: SandboxOptions = {}): Promise<SandboxApi> {
  const clock = opts.clock ?? (() => new Date());
  const store = new ObjectStore(clock, opts.watchHistoryLimit);
  const faults = new SandboxFaults();
  const cluster: Cluster = {
    store, clock, faults,
    readyDelayMs: opts.readyDelayMs ?? 1000,
    podTimes: new Map(),
    events: new EventRecorder(store, clock),
  };
  const api = new ResourceApi(cluster);
  const workload = new WorkloadSimulator(store, clock, opts.workload);
  const requests: SandboxRequest[] = [];
  const logLimit = opts.requestLogLimit ?? 100_000;
  const watches = new Set<WatchHandle>();
  const onControllerError = opts.onControllerError ?? ((e: unknown) => console.error('sandbox controller error', e));

  const put = (input: KubeObject): StoredObject => {
    const def = defFor(input.apiVersion, input.kind);
    const obj = clone(input) as StoredObject;
    obj.metadata = { ...(obj.metadata ?? {}) };
    if (def.namespaced) obj.metadata.namespace ??= 'default';
    else delete obj.metadata.namespace;
    const ns = obj.metadata.namespace;
    if (def.namespaced && !store.has(R.namespaces, undefined, ns!)) throw new Error(`sandbox put: namespace "${ns}" does not exist (${input.kind} ${obj.metadata.name})`);
    const hadStatus = input.status !== undefined;
    applyDefaults(def, obj);
    const current = store.get(def, ns, obj.metadata.name);
    const errors = validateObject(def, obj, current);
    if (errors.length > 0) throw new Error(`sandbox put: ${invalid(def.kind, def.group, obj.metadata.name, errors).message}`);
    if (!current) return store.create(def, obj);
    if (!hadStatus) obj.status = current.status;
    return store.update(def, obj);
  };

  // The cluster as it exists before any user object: the default namespace, the CNPG and KEDA CRDs.
  put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  put(cnpgClusterCrd());
  put(kedaScaledObjectCrd());
  const seed = [...(opts.seed ?? [])].sort((a, b) => Number(b.kind === 'Namespace') - Number(a.kind === 'Namespace'));
  // The node the simulated kubelet runs every pod on, unless the seed brings its own nodes.
  if (!seed.some((o) => o.kind === 'Node')) put(sandboxNode(clock()));
  for (const obj of seed) put(obj);

  // The loop skips a pass when nothing can have changed: no write and no fault change
  // since the last pass, no pod waiting to become Ready, and less than a second since
  // the last full pass (which catches clock-driven changes such as progress deadlines).
  let seen = { rv: '', faults: -1, at: 0 };
  const tick = (): void => {
    runControllers(cluster);
    seen = { rv: store.resourceVersion(), faults: faults.version, at: performance.now() };
  };
  const idle = (): boolean =>
    seen.rv === store.resourceVersion() && seen.faults === faults.version && performance.now() - seen.at < 1000 &&
    ![...cluster.podTimes.values()].some((t) => t.readyMs === undefined);
  tick();
  const timer = setInterval(() => {
    if (idle()) return;
    try {
      tick();
    } catch (e) {
      onControllerError(e);
    }
  }, opts.tickMs ?? 100);
  timer.unref();

  let serverAddress = '';

  const log = (entry: SandboxRequest): void => {
    requests.push(entry);
    // Trim in chunks of a tenth, so a long benchmark does not shift the whole log on every request.
    if (requests.length > logLimit) requests.splice(0, requests.length - Math.floor(logLimit * 0.9));
  };

  async function control(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const body = await readBody(req);
    const method = req.method ?? 'GET';
    if (url.pathname === '/sandbox/faults') {
      if (method === 'GET') return send(res, 200, { faults: faults.list() });
      if (method === 'DELETE') {
        faults.clear();
        return send(res, 200, { faults: [] });
      }
      if (method === 'POST') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          return send(res, 400, { error: 'body is not JSON' });
        }
        const result = faultBodySchema.safeParse(parsed);
        if (!result.success) return send(res, 400, { error: result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ') });
        const specs = Array.isArray(result.data) ? result.data : [result.data];
        return send(res, 201, { ids: specs.map((s) => faults.add(s)) });
      }
    }
    const one = /^\/sandbox\/faults\/([^/]+)$/.exec(url.pathname);
    if (one && method === 'DELETE') return faults.remove(one[1]!) ? send(res, 200, {}) : send(res, 404, { error: `no fault ${one[1]}` });
    if (url.pathname === '/sandbox/requests' && method === 'GET') return send(res, 200, { requests });
    if (url.pathname === '/sandbox/requests' && method === 'DELETE') {
      requests.length = 0;
      return send(res, 200, {});
    }
    return send(res, 404, { error: `no sandbox route ${method} ${url.pathname}` });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const method = req.method ?? 'GET';
    if (workload.serves(url.pathname)) return void (await workload.handle(req, res, url));
    if (url.pathname.startsWith('/sandbox/')) return control(req, res, url);
    const entry: SandboxRequest = { time: clock().toISOString(), method, path: url.pathname + url.search, verb: method.toLowerCase(), code: 0, durationMs: 0 };
    if (req.headers['user-agent']) entry.userAgent = req.headers['user-agent'];
    if (req.headers['content-type']) entry.contentType = req.headers['content-type'];
    const fieldManager = url.searchParams.get('fieldManager');
    if (fieldManager) entry.fieldManager = fieldManager;
    let streaming = false;
    try {
      const body = await readBody(req);
      if (['/healthz', '/livez', '/readyz'].includes(url.pathname)) {
        entry.verb = 'get';
        entry.nonResourceURL = url.pathname;
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('ok');
        entry.code = 200;
        return;
      }
      const r = route(method, url, serverAddress);
      if (!r || r.type === 'nonResource') {
        entry.verb = 'get';
        entry.nonResourceURL = url.pathname;
        const latency = faults.latencyFor({ verb: 'get' });
        if (latency > 0) await sleep(latency);
        if (!r) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
        send(res, 200, r.body);
        entry.code = 200;
        return;
      }
      describeRequest(entry, r);
      const info: RequestInfo = { verb: r.verb };
      if (entry.resource !== undefined) info.resource = entry.resource;
      if (r.subresource) info.subresource = r.subresource;
      if (r.namespace !== undefined) info.namespace = r.namespace;
      if (r.name !== undefined) info.name = r.name;
      const latency = faults.latencyFor(info);
      if (latency > 0) await sleep(latency);
      if (faults.isForbidden(info)) throw forbidden(userOf(req), r.verb, r.def, r.subresource, r.namespace, r.name);
      const injected = faults.takeError(info);
      if (injected?.status === 429) throw tooManyRequests(injected.retryAfterSeconds);
      if (injected?.status === 500) throw internalError('injected by the sandbox');
      if (faults.takeConflict(info)) throw conflict(r.def, r.name ?? '');
      if (r.verb === 'watch') {
        streaming = true;
        entry.code = 200;
        entry.durationMs = performance.now() - started;
        log(entry);
        const handleRef: { h?: WatchHandle } = {};
        handleRef.h = startWatch(cluster, r, url.searchParams, res, () => {
          if (handleRef.h) watches.delete(handleRef.h);
        });
        watches.add(handleRef.h);
        return;
      }
      const request = { ...r, query: url.searchParams, body } as Parameters<ResourceApi['handle']>[0];
      if (req.headers['content-type']) request.contentType = req.headers['content-type'];
      if (req.headers.accept) request.accept = req.headers.accept;
      const result = api.handle(request);
      send(res, result.code, result.body);
      entry.code = result.code;
    } catch (e) {
      if (streaming) throw e;
      const err = e instanceof ApiError ? e : internalError(e instanceof Error ? e.message : String(e));
      if (!res.headersSent) send(res, err.code, err.toStatus(), err.headers);
      else res.end();
      entry.code = err.code;
    } finally {
      if (!streaming) {
        entry.durationMs = performance.now() - started;
        log(entry);
      }
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, internalError(String(e)).toStatus());
      else res.end();
    });
  });
  server.keepAliveTimeout = 30_000;
  let connections = 0;
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  serverAddress = `${host}:${address.port}`;
  const baseUrl = `http://${serverAddress}`;

  let closed: Promise<void> | undefined;
  return {
    url: baseUrl,
    faults,
    workload,
    get requests() {
      return requests;
    },
    get connections() {
      return connections;
    },
    clearRequests: () => {
      requests.length = 0;
    },
    get: (apiVersion, kind, namespace, name) => store.get(defFor(apiVersion, kind), namespace, name),
    list: (apiVersion, kind, namespace) => store.list(defFor(apiVersion, kind), namespace),
    put,
    remove: (apiVersion, kind, namespace, name) => {
      const def = defFor(apiVersion, kind);
      const obj = store.get(def, namespace, name);
      if (!obj) return false;
      api.removeCascading(def, obj, true);
      return true;
    },
    tick,
    kubeConfig: () => sandboxKubeConfig(baseUrl),
    writeKubeconfig: (path) => writeFile(path, kubeconfigYaml(baseUrl), 'utf8'),
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        clearInterval(timer);
        for (const w of [...watches]) w.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

/** Fills the RBAC attributes of a resource request into its log entry. */
function describeRequest(entry: SandboxRequest, r: ResourceRoute): void {
  entry.verb = r.verb;
  entry.apiGroup = r.def.group;
  entry.apiVersion = apiVersionOf(r.def);
  entry.resource = r.def.plural;
  if (r.subresource) entry.subresource = r.subresource;
  if (r.namespace !== undefined) entry.namespace = r.namespace;
  if (r.name !== undefined) entry.name = r.name;
}

