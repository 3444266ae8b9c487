/**
 * The sandbox serves its simulated workload's metrics from its live objects: scale
 * a Deployment through the Kubernetes API and the series follow; set the load or a
 * fault over HTTP and the rates follow; counters only grow between scrapes.
 */
import { AppsV1Api } from '@kubernetes/client-node';
import { waitFor } from '../../helpers/binaries.js';
import { loadSeed, startSandboxApi, type SandboxApi } from '../../../src/sandbox/index.js';

/** A scrape body as `name{labels}` → value. */
async function scrape(api: SandboxApi, path: string): Promise<Map<string, number>> {
  const res = await fetch(`${api.url}${path}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const out = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** The label names of a `name{labels}` key, sorted (empty-valued labels are absent ones, as Prometheus stores them). */
const labelNames = (key: string): string[] => [...key.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].filter((m) => m[2] !== '').map((m) => m[1]!).sort();
const series = (m: Map<string, number>, prefix: string) => [...m.entries()].filter(([k]) => k.startsWith(prefix));
const podsIn = (m: Map<string, number>, metric: string, label: string) => new Set(series(m, `${metric}{`).map(([k]) => new RegExp(`${label}="([^"]+)"`).exec(k)![1]!));
/** Scales a Deployment through the Kubernetes API (its scale subresource), as kubectl scale does. */
async function scaleTo(api: SandboxApi, name: string, replicas: number): Promise<void> {
  const apps = api.kubeConfig().makeApiClient(AppsV1Api);
  await apps.replaceNamespacedDeploymentScale({ name, namespace: 'ci', body: { metadata: { name, namespace: 'ci' }, spec: { replicas } } });
}

const post = (api: SandboxApi, path: string, body: unknown, method = 'POST') => fetch(`${api.url}${path}`, { method, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('sandbox workload metrics', () => {
  let api: SandboxApi;

  beforeEach(async () => {
    api = await startSandboxApi({ seed: loadSeed(), readyDelayMs: 100, tickMs: 20 });
    await waitFor('3 ready API pods', () => Promise.resolve(api.workload.snapshot().api.ready === 3), 5000, 20);
  });

  afterEach(async () => {
    await api.close();
  });

  test('app series per API pod, with the labels the alert rules select on', async () => {
    const m = await scrape(api, '/metrics');
    const pods = podsIn(m, 'http_requests_total', 'pod');
    expect(pods.size).toBe(3);
    for (const p of pods) expect(p).toMatch(/^ci-failure-agent-[a-z0-9]+-[a-z0-9]{5}$/);
    expect(series(m, 'http_request_duration_seconds_bucket{').some(([k]) => k.includes('le="1"'))).toBe(true);
    // one queue series; its depth depends on how long the consumers took to become ready (the model's own tests pin the numbers)
    // every API pod reports the one queue's depth; its depth depends on how long the consumers took to become ready (the model's own tests pin the numbers)
    const queue = series(m, 'queue_depth{');
    expect(new Set(queue.map(([k]) => /queue="([^"]+)"/.exec(k)![1]))).toEqual(new Set(['ci-failure-events']));
    expect(new Set(queue.map(([k]) => /pod="([^"]+)"/.exec(k)![1]))).toEqual(pods);
    expect(new Set(queue.map(([, v]) => v)).size).toBe(1);
    expect(queue[0]![1]).toBeGreaterThanOrEqual(0);
    // the labels a ServiceMonitor scrape gives the API's series: job and service the Service, instance the pod IP
    for (const [k] of [...series(m, 'http_'), ...series(m, 'queue_')]) {
      expect(labelNames(k)).toEqual(expect.arrayContaining(['container', 'endpoint', 'instance', 'job', 'namespace', 'pod', 'service']));
      expect(k).toMatch(/namespace="ci".*job="ci-failure-agent"|job="ci-failure-agent".*namespace="ci"/);
      expect(/instance="([^"]+)"/.exec(k)![1]).toMatch(/^10\.244\.\d+\.\d+:8080$/);
    }
  });

  test('scaling the Deployment through the API adds pods to /metrics and /metrics/cadvisor once they exist', async () => {
    await scaleTo(api, 'ci-failure-agent', 5);
    await waitFor('5 ready API pods', () => Promise.resolve(api.workload.snapshot().api.ready === 5), 5000, 20);
    const cadvisor = await scrape(api, '/metrics/cadvisor');
    const apiPods = [...podsIn(cadvisor, 'container_cpu_usage_seconds_total', 'pod')].filter((p) => /^ci-failure-agent-[a-z0-9]+-[a-z0-9]{5}$/.test(p));
    expect(apiPods).toHaveLength(5);
    expect(podsIn(await scrape(api, '/metrics'), 'http_requests_total', 'pod').size).toBe(5);
  });

  test("cAdvisor's series carry the kubelet's label set; each pod also has its pod-level cgroup and pause series", async () => {
    const cadvisor = await scrape(api, '/metrics/cadvisor');
    const memory = series(cadvisor, 'container_memory_working_set_bytes{');
    // Kubernetes ≥ 1.16 names: pod and container, never pod_name / container_name
    expect(memory.some(([k]) => /pod_name=|container_name=/.test(k))).toBe(false);
    const pod = [...podsIn(cadvisor, 'container_memory_working_set_bytes', 'pod')].find((p) => /^ci-failure-agent-[a-z0-9]+-[a-z0-9]{5}$/.test(p))!;
    const ofPod = memory.filter(([k]) => k.includes(`pod="${pod}"`));
    const containers = ofPod.filter(([k]) => /container="[^"]+"/.test(k));
    expect(containers.map(([k]) => labelNames(k))).toEqual([['container', 'endpoint', 'id', 'image', 'instance', 'job', 'metrics_path', 'name', 'namespace', 'node', 'pod', 'service']]);
    expect(containers[0]![0]).toMatch(/job="kubelet"/);
    expect(containers[0]![0]).toMatch(/metrics_path="\/metrics\/cadvisor"/);
    expect(containers[0]![0]).toMatch(/image="registry\.example\/ci-failure-agent:1\.0\.0"/);
    // the pause container (containerd: no container label, the pause image) and the pod-level cgroup (no image)
    const others = ofPod.filter(([k]) => !/container="/.test(k));
    expect(others.map(([k]) => (/image="([^"]+)"/.exec(k) ?? [])[1] ?? 'pod-level').sort()).toEqual(['pod-level', 'registry.k8s.io/pause:3.10']);
    // the pod-level series is the sum of the others
    const podLevel = others.find(([k]) => !k.includes('image='))![1];
    expect(podLevel).toBe(ofPod.filter(([k]) => k.includes('image=')).reduce((sum, [, v]) => sum + v, 0));
  });

  test('CPU per pod follows load ÷ READY replicas; counters only grow between scrapes', async () => {
    expect((await post(api, '/sandbox/load', { rps: 900 })).status).toBe(200);
    const cpu = (m: Map<string, number>) => series(m, 'container_cpu_usage_seconds_total{').filter(([k]) => k.includes('container="ci-failure-agent"'));
    const a = cpu(await scrape(api, '/metrics/cadvisor'));
    await new Promise((r) => setTimeout(r, 300));
    const b = new Map(cpu(await scrape(api, '/metrics/cadvisor')));
    for (const [k, v] of a) expect(b.get(k)!).toBeGreaterThan(v);
    expect(api.workload.snapshot().api.cpuPerPod).toBeCloseTo(0.95, 6);
    api.faults.neverReady('ci', 'ci-failure-agent');
    await scaleTo(api, 'ci-failure-agent', 5);
    await waitFor('5 API pods', () => Promise.resolve(api.workload.snapshot().api.pods === 5), 5000, 20);
    // the two new pods never become ready: the three old ones still carry all the load
    expect(api.workload.snapshot().api).toMatchObject({ ready: 3, cpuPerPod: expect.closeTo(0.95, 6) as number });
  });

  test("CloudNativePG's exporter per instance pod (backends, max_connections) and redis_exporter's Redis address", async () => {
    const cnpg = await scrape(api, '/metrics/cnpg');
    const setting = series(cnpg, 'cnpg_pg_settings_setting{').filter(([k]) => k.includes('name="max_connections"'));
    expect(setting.map(([k, v]) => [/pod="([^"]+)"/.exec(k)![1], v])).toEqual([
      ['ci-failure-agent-db-1', 200],
      ['ci-failure-agent-db-2', 200],
    ]);
    // the PodMonitor's labels: job namespace/cluster, instance the pod IP on 9187
    for (const [k] of setting) {
      expect(labelNames(k)).toEqual(['container', 'endpoint', 'instance', 'job', 'name', 'namespace', 'pod']);
      expect(k).toContain('job="ci/ci-failure-agent-db"');
      expect(/instance="([^"]+)"/.exec(k)![1]).toMatch(/^10\.244\.\d+\.\d+:9187$/);
    }
    // 3 API pods × 30 + 2 consumers × 10 = 110 connections over 2 instances, over every database, user and state
    const db1 = series(cnpg, 'cnpg_backends_total{').filter(([k]) => k.includes('pod="ci-failure-agent-db-1"'));
    expect(db1.reduce((s, [, v]) => s + v, 0)).toBe(55);
    expect(new Set(db1.map(([k]) => /state="([^"]+)"/.exec(k)![1]))).toEqual(new Set(['active', 'idle', 'idle in transaction', 'idle in transaction (aborted)', 'fastpath function call', 'disabled']));
    expect(db1.map(([k]) => labelNames(k))[0]).toEqual(['container', 'datname', 'endpoint', 'instance', 'job', 'namespace', 'pod', 'state', 'usename']);
    // postgres_exporter's names are not CloudNativePG's
    expect(series(cnpg, 'pg_').length).toBe(0);
    const redis = await scrape(api, '/metrics/redis');
    expect([...redis.keys()].every((k) => k.includes('instance="ci-failure-agent-redis.ci.svc:6379"'))).toBe(true);
    expect(redis.get('redis_memory_max_bytes{instance="ci-failure-agent-redis.ci.svc:6379",job="redis-exporter",namespace="ci"}')).toBe(256 * 1024 * 1024);
  });

  test('kube-state-metrics (v2 names) for the Deployments, the HPA and the pods, with the ksm scrape labels under the objects\' own', async () => {
    const ksm = await scrape(api, '/metrics/kube-state-metrics');
    /** The one series of `metric` that carries every `label="value"` given. */
    const one = (metric: string, ...labels: string[]) => {
      const found = series(ksm, `${metric}{`).filter(([k]) => labels.every((l) => k.includes(l)));
      expect({ metric, labels, found: found.length }).toEqual({ metric, labels, found: 1 });
      return found[0]!;
    };
    const [spec, replicas] = one('kube_deployment_spec_replicas', 'deployment="ci-failure-agent"');
    expect(replicas).toBe(3);
    expect(labelNames(spec)).toEqual(['container', 'deployment', 'endpoint', 'instance', 'job', 'namespace', 'pod', 'service']);
    expect(spec).toContain('job="kube-state-metrics"');
    expect(spec).toContain('namespace="ci"');
    expect(one('kube_deployment_status_replicas_available', 'deployment="ci-failure-agent"')[1]).toBe(3);
    // the HPA by its own name, in the label kube-state-metrics v2 uses (v1 had kube_hpa_*{hpa})
    expect(one('kube_horizontalpodautoscaler_spec_min_replicas', 'horizontalpodautoscaler="ci-failure-agent"')[1]).toBe(3);
    expect(one('kube_horizontalpodautoscaler_spec_max_replicas', 'horizontalpodautoscaler="ci-failure-agent"')[1]).toBe(20);
    expect(series(ksm, 'kube_hpa_')).toEqual([]);
    // pod series name the object's pod and container (not kube-state-metrics' own), with its uid
    const apiPod = [...podsIn(ksm, 'kube_pod_container_status_restarts_total', 'pod')].find((p) => /^ci-failure-agent-[a-z0-9]+-[a-z0-9]{5}$/.test(p))!;
    const [restarts, count] = one('kube_pod_container_status_restarts_total', 'namespace="ci"', `pod="${apiPod}"`);
    expect(count).toBe(0);
    expect(restarts).toContain('container="ci-failure-agent"');
    expect(labelNames(restarts)).toEqual(['container', 'endpoint', 'instance', 'job', 'namespace', 'pod', 'service', 'uid']);
    // kube_pod_owner links the pod to its ReplicaSet: <deployment>-<hash>
    expect(one('kube_pod_owner', 'namespace="ci"', `pod="${apiPod}"`)[0]).toMatch(/owner_kind="ReplicaSet".*owner_name="ci-failure-agent-[a-z0-9]+"/);
  });

  test('a harmful fault over HTTP: consumers beyond the pool limit make the API answer 500', async () => {
    // The seed healthy first (its pods Ready after readyDelayMs, later on a loaded machine).
    await waitFor('the seed serving without errors', () => Promise.resolve(api.workload.snapshot().api.errorRatio === 0), 10_000, 20);
    let res = await post(api, '/sandbox/workload/faults', { dbPoolExhaustedAbove: { replicas: 2, deployment: 'ci-failure-agent-consumer' } });
    expect(await res.json()).toEqual({ faults: { dbPoolExhaustedAbove: { replicas: 2, deployment: 'ci-failure-agent-consumer' } } });
    expect(api.workload.snapshot().api.errorRatio).toBe(0);
    await scaleTo(api, 'ci-failure-agent-consumer', 4);
    await waitFor('4 ready consumers', () => Promise.resolve(api.workload.snapshot().consumers.ready === 4), 5000, 20);
    expect(api.workload.snapshot().api.errorRatio).toBeCloseTo(0.1, 6);
    await new Promise((r) => setTimeout(r, 200));
    const m = await scrape(api, '/metrics');
    expect(series(m, 'http_requests_total{').filter(([k]) => k.includes('code="500"')).every(([, v]) => v > 0)).toBe(true);
    res = await post(api, '/sandbox/workload/faults', '', 'DELETE');
    expect(await res.json()).toEqual({ faults: {} });
    expect(api.workload.snapshot().api.errorRatio).toBe(0);
  });

  test('GET/POST /sandbox/load, and bad bodies are refused with the key named', async () => {
    let res = await post(api, '/sandbox/load', { rps: 100, profile: { type: 'ramp', to: 500, durationSeconds: 60 } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { load: { rps: number }; profiles: Array<{ from: number }> };
    expect(body.load.rps).toBeGreaterThanOrEqual(100);
    expect(body.profiles[0]!.from).toBe(100);
    res = await post(api, '/sandbox/load', { profile: { type: 'ramp', to: -5, durationSeconds: 1 } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/^profile\.to: /);
    res = await post(api, '/sandbox/load', 'not json');
    expect(res.status).toBe(400);
    expect((await post(api, '/sandbox/workload/faults', { dbPoolExhaustedAbove: { replicas: -1 } })).status).toBe(400);
    expect((await post(api, '/metrics', '{}')).status).toBe(405);
    expect((await fetch(`${api.url}/sandbox/load`)).status).toBe(200);
  });

  test('metrics and control requests stay out of the API request log', async () => {
    api.clearRequests();
    await scrape(api, '/metrics');
    await fetch(`${api.url}/sandbox/workload`);
    expect(api.requests).toEqual([]);
  });

  test('the queue grows with the message rate and drains with ready consumers', async () => {
    // 2 consumers × 150/s = 300/s against 1300/s: +1000/s
    await post(api, '/sandbox/load', { messagesPerSecond: 1300 });
    await waitFor('a backlog', () => Promise.resolve(api.workload.snapshot().queue.depth > 500), 5000, 50);
    await post(api, '/sandbox/load', { messagesPerSecond: 0 });
    await waitFor('the backlog drained', () => Promise.resolve(api.workload.snapshot().queue.depth === 0), 10_000, 50);
  });
});
