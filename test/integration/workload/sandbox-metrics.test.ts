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
    const queue = series(m, 'queue_depth{');
    expect(queue.map(([k]) => k)).toEqual(['queue_depth{namespace="ci",queue="ci-failure-events"}']);
    expect(queue[0]![1]).toBeGreaterThanOrEqual(0);
    for (const [k] of [...series(m, 'http_'), ...series(m, 'queue_')]) expect(k).toContain('namespace="ci"');
  });

  test('scaling the Deployment through the API adds pods to /metrics and /metrics/cadvisor once they exist', async () => {
    await scaleTo(api, 'ci-failure-agent', 5);
    await waitFor('5 ready API pods', () => Promise.resolve(api.workload.snapshot().api.ready === 5), 5000, 20);
    const cadvisor = await scrape(api, '/metrics/cadvisor');
    const apiPods = [...podsIn(cadvisor, 'container_cpu_usage_seconds_total', 'pod_name')].filter((p) => /^ci-failure-agent-[a-z0-9]+-[a-z0-9]{5}$/.test(p));
    expect(apiPods).toHaveLength(5);
    expect(podsIn(await scrape(api, '/metrics'), 'http_requests_total', 'pod').size).toBe(5);
    // every container has a name; the pause container is there too, as cAdvisor reports it
    expect(series(cadvisor, 'container_memory_working_set_bytes{').every(([k]) => /container_name="[^"]+"/.test(k))).toBe(true);
    expect(series(cadvisor, 'container_memory_working_set_bytes{').some(([k]) => k.includes('container_name="POD"'))).toBe(true);
  });

  test('CPU per pod follows load ÷ READY replicas; counters only grow between scrapes', async () => {
    expect((await post(api, '/sandbox/load', { rps: 900 })).status).toBe(200);
    const cpu = (m: Map<string, number>) => series(m, 'container_cpu_usage_seconds_total{').filter(([k]) => k.includes('container_name="ci-failure-agent"'));
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

  test('the database instances, max_connections and the Redis address are the exporters\' own labels', async () => {
    const pg = await scrape(api, '/metrics/postgres');
    expect(series(pg, 'pg_settings_max_connections{').map(([k, v]) => [/instance="([^"]+)"/.exec(k)![1], v])).toEqual([
      ['ci-failure-agent-db-1:9187', 200],
      ['ci-failure-agent-db-2:9187', 200],
    ]);
    // 3 API pods × 30 + 2 consumers × 10 = 110 connections over 2 instances
    const db1 = series(pg, 'pg_stat_activity_count{').filter(([k]) => k.includes('db-1:9187')).reduce((s, [, v]) => s + v, 0);
    expect(db1).toBe(55);
    const redis = await scrape(api, '/metrics/redis');
    expect([...redis.keys()].every((k) => k.includes('instance="ci-failure-agent-redis.ci.svc:6379"'))).toBe(true);
    expect(redis.get('redis_memory_max_bytes{namespace="ci",instance="ci-failure-agent-redis.ci.svc:6379"}')).toBe(256 * 1024 * 1024);
  });

  test('a harmful fault over HTTP: consumers beyond the pool limit make the API answer 500', async () => {
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
