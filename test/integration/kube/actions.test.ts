/**
 * Every action kind through the real @kubernetes/client-node against the sandbox
 * API server over HTTP (and Redis against the real server): apply with a
 * precondition, event + annotation on the target, restore of the snapshot; and
 * each failure class classified where it happens.
 */
import { CoreV1Api } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import type { ActDecision } from '../../../src/domain/decision.js';
import type { TargetRef } from '../../../src/domain/target.js';
import type { ActionSpec } from '../../../src/rule-table/schema.js';
import { actionSchema } from '../../../src/rule-table/schema.js';
import { LAST_REMEDIATION_ANNOTATION } from '../../../src/actions/kube-cluster.js';
import { startSandboxCluster, type SandboxCluster } from '../../helpers/sandbox.js';
import { waitFor } from '../../helpers/binaries.js';

const dep = (name: string): TargetRef => ({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name });
const API = dep('ci-failure-agent');
const CONSUMER = dep('ci-failure-agent-consumer');
const DB: TargetRef = { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', namespace: 'ci', name: 'ci-failure-agent-db' };

const action = (a: Record<string, unknown>): ActionSpec => actionSchema.parse(a);
const act = (target: TargetRef, a: ActionSpec, before: ActDecision['before'], after: ActDecision['after']): ActDecision => ({
  outcome: 'act',
  rule: 'test-rule',
  target,
  action: a.type,
  before,
  after,
  explanation: `Test ${a.type} on ${target.name}`,
  facts: {},
});

let s: SandboxCluster;
beforeEach(async () => {
  s = await startSandboxCluster();
});
afterEach(async () => s.close());

const replicasOf = (t: TargetRef) => (s.api.get(t.apiVersion, t.kind, t.namespace, t.name)!.spec as { replicas?: number; instances?: number });
const eventsFor = async (name: string) =>
  (await s.api.kubeConfig().makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: 'ci', fieldSelector: `involvedObject.name=${name}` })).items;

describe('scale', () => {
  const scale = action({ type: 'scale', minReplicas: 2, maxReplicas: 12 });

  test('reads replicas and HPA through the scale subresource and discovery', async () => {
    expect(await s.cluster.readState(CONSUMER, scale)).toMatchObject({ found: true, replicas: 2, hpa: null });
    expect(await s.cluster.readState(API, scale)).toMatchObject({ found: true, replicas: 3, hpa: { name: 'ci-failure-agent', minReplicas: 3, maxReplicas: 20 } });
    expect(await s.cluster.readState(dep('nope'), scale)).toMatchObject({ found: false });
  });

  test('applies 2 → 4 with a precondition, records an Event and annotates the target, restores 2', async () => {
    const out = await s.cluster.apply(act(CONSUMER, scale, { replicas: 2 }, { replicas: 4 }), scale, 'rem-1');
    expect(out).toMatchObject({ ok: true, snapshot: { replicas: 2 }, applied: { replicas: 4 } });
    expect(replicasOf(CONSUMER).replicas).toBe(4);
    const obj = s.api.get('apps/v1', 'Deployment', 'ci', 'ci-failure-agent-consumer')!;
    expect(obj.metadata.annotations?.[LAST_REMEDIATION_ANNOTATION]).toBe('rem-1');
    const events = await eventsFor('ci-failure-agent-consumer');
    expect(events.map((e) => e.reason)).toContain('AutoremediatorScaled');
    expect(events.find((e) => e.reason === 'AutoremediatorScaled')!.message).toMatch(/Test scale on ci-failure-agent-consumer \[remediation rem-1\]/);
    // the write went through the scale subresource with our field manager
    expect(s.api.requests.some((r) => r.verb === 'update' && r.resource === 'deployments' && r.subresource === 'scale' && r.fieldManager === 'autoremediator')).toBe(true);

    const back = await s.cluster.restore(CONSUMER, scale, { replicas: 2 }, 'rem-1');
    expect(back.ok).toBe(true);
    expect(replicasOf(CONSUMER).replicas).toBe(2);
  });

  test('a CloudNativePG Cluster scales through its custom scale subresource', async () => {
    expect(await s.cluster.readState(DB, scale)).toMatchObject({ found: true, replicas: 2 });
    const out = await s.cluster.apply(act(DB, scale, { replicas: 2 }, { replicas: 3 }), scale, 'rem-db');
    expect(out.ok).toBe(true);
    expect(replicasOf(DB).instances).toBe(3);
  });

  test('refused when the target changed since the plan (someone else scaled it)', async () => {
    const out = await s.cluster.apply(act(CONSUMER, scale, { replicas: 3 }, { replicas: 5 }), scale, 'rem-2');
    expect(out).toMatchObject({ ok: false, reason: 'refused', retryable: false });
    expect(replicasOf(CONSUMER).replicas).toBe(2);
  });

  test('right after the plan read it, the write goes against that read: no second read of the scale, still conditional', async () => {
    // Settled first: the controllers' status writes also move the resourceVersion.
    await waitFor('the consumer settled', () => Promise.resolve((s.api.get('apps/v1', 'Deployment', 'ci', 'ci-failure-agent-consumer')!.status as { readyReplicas?: number }).readyReplicas === 2), 5000, 20);
    await new Promise((r) => setTimeout(r, 100));
    const read = await s.cluster.readState(CONSUMER, scale);
    const from = s.api.requests.length;
    const out = await s.cluster.apply(act(CONSUMER, scale, { replicas: 2 }, { replicas: 4 }), scale, 'rem-fast', read);
    expect(out).toMatchObject({ ok: true, applied: { replicas: 4 } });
    // What reached the API server before the Event and the annotation that record the change.
    const upToWrite = s.api.requests.slice(from).filter((r) => r.resource !== undefined && r.resource !== 'events' && !(r.verb === 'patch' && !r.subresource));
    // The HPA check stays (an HPA created since would undo the scale); the scale is not read again.
    expect(upToWrite.map((r) => `${r.verb} ${r.resource}/${r.subresource ?? ''}`)).toEqual(['list horizontalpodautoscalers/', 'update deployments/scale']);
    expect(replicasOf(CONSUMER).replicas).toBe(4);
  });

  test('someone scaled it between the plan\'s read and the write: the 409 sends it back to re-read, and it is refused', async () => {
    const read = await s.cluster.readState(CONSUMER, scale);
    const obj = s.api.get('apps/v1', 'Deployment', 'ci', 'ci-failure-agent-consumer')!;
    s.api.put({ ...obj, spec: { ...(obj.spec as object), replicas: 3 } });
    const out = await s.cluster.apply(act(CONSUMER, scale, { replicas: 2 }, { replicas: 4 }), scale, 'rem-raced', read);
    expect(out).toMatchObject({ ok: false, reason: 'refused' });
    expect(out.ok || out.detail).toMatch(/changed since the plan: 3 replicas, planned from 2/);
    expect(replicasOf(CONSUMER).replicas).toBe(3);
  });

  test('refused when an HPA appeared mid-run: it would undo a direct scale', async () => {
    s.api.put({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'consumer', namespace: 'ci' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'ci-failure-agent-consumer' }, minReplicas: 2, maxReplicas: 6 },
    });
    const out = await s.cluster.apply(act(CONSUMER, scale, { replicas: 2 }, { replicas: 4 }), scale, 'rem-3');
    expect(out).toMatchObject({ ok: false, reason: 'refused' });
    expect(out.ok || out.detail).toMatch(/HorizontalPodAutoscaler consumer now manages/);
  });
});

describe('connections', () => {
  test('the client keeps connections alive: 40 reads and a write over a handful of connections, not one each', async () => {
    const scale = action({ type: 'scale', minReplicas: 2, maxReplicas: 12 });
    await s.cluster.readState(CONSUMER, scale); // discovery, warm
    const before = { connections: s.api.connections, requests: s.api.requests.length };
    for (let i = 0; i < 20; i++) await s.cluster.readState(CONSUMER, scale);
    expect((await s.cluster.apply(act(CONSUMER, scale, { replicas: 2 }, { replicas: 4 }), scale, 'rem-ka')).ok).toBe(true);
    const requests = s.api.requests.length - before.requests;
    expect(requests).toBeGreaterThanOrEqual(41);
    // Reads go two at a time (getScale ‖ list HPAs), so two sockets carry them; client-node alone would open one per request.
    expect(s.api.connections - before.connections).toBeLessThanOrEqual(4);
  });
});

describe('hpa', () => {
  const hpa = action({ type: 'hpa', bound: 'min', ceiling: 12 });
  test('raises the HPA floor 3 → 5; the HPA then scales the Deployment; restore puts 3..20 back', async () => {
    const out = await s.cluster.apply(act(API, hpa, { minReplicas: 3, maxReplicas: 20 }, { minReplicas: 5, maxReplicas: 20 }), hpa, 'rem-h');
    expect(out).toMatchObject({ ok: true, snapshot: { hpa: 'ci-failure-agent', minReplicas: 3, maxReplicas: 20 } });
    expect(s.api.get('autoscaling/v2', 'HorizontalPodAutoscaler', 'ci', 'ci-failure-agent')!.spec).toMatchObject({ minReplicas: 5, maxReplicas: 20 });
    await waitFor('the HPA to raise the Deployment', () => Promise.resolve(replicasOf(API).replicas === 5), 3000, 10);
    expect((await eventsFor('ci-failure-agent')).some((e) => e.reason === 'AutoremediatorRaisedHPA')).toBe(true);
    const back = await s.cluster.restore(API, hpa, out.ok ? out.snapshot : {}, 'rem-h');
    expect(back.ok).toBe(true);
    expect(s.api.get('autoscaling/v2', 'HorizontalPodAutoscaler', 'ci', 'ci-failure-agent')!.spec).toMatchObject({ minReplicas: 3, maxReplicas: 20 });
  });

  test('refused when the HPA bounds changed since the plan', async () => {
    const out = await s.cluster.apply(act(API, hpa, { minReplicas: 4, maxReplicas: 20 }, { minReplicas: 6, maxReplicas: 20 }), hpa, 'rem-h2');
    expect(out).toMatchObject({ ok: false, reason: 'refused' });
  });
});

describe('resources, restart and undo: template changes', () => {
  const resources = action({ type: 'resources', container: 'ci-failure-agent', resource: 'memory', factor: 1.25, cap: '2Gi' });
  const containerOf = () =>
    (s.api.get('apps/v1', 'Deployment', 'ci', 'ci-failure-agent')!.spec as { template: { spec: { containers: Array<{ name: string; resources: { requests: Record<string, string>; limits: Record<string, string> } }> } } }).template.spec.containers[0]!;
  const revision = () => s.api.get('apps/v1', 'Deployment', 'ci', 'ci-failure-agent')!.metadata.annotations?.['deployment.kubernetes.io/revision'];

  test('resources: strategic merge by container name keeps the other fields; restore puts the values back', async () => {
    s.api.tick();
    expect(await s.cluster.readState(API, resources)).toMatchObject({ containers: [{ name: 'ci-failure-agent', requests: { memory: '512Mi', cpu: '250m' }, limits: { memory: '1Gi', cpu: '1' } }] });
    const out = await s.cluster.apply(
      act(API, resources, { 'requests.memory': '512Mi', 'limits.memory': '1Gi' }, { 'requests.memory': '640Mi', 'limits.memory': '1280Mi' }),
      resources,
      'rem-r',
    );
    expect(out.ok).toBe(true);
    expect(containerOf().resources).toEqual({ requests: { cpu: '250m', memory: '640Mi' }, limits: { cpu: '1', memory: '1280Mi' } });
    s.api.tick();
    expect(revision()).toBe('2');
    const back = await s.cluster.restore(API, resources, out.ok ? out.snapshot : {}, 'rem-r');
    expect(back.ok).toBe(true);
    expect(containerOf().resources).toEqual({ requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } });
  });

  test('restart sets restartedAt on the template (a new revision); restore is an undo to the revision before', async () => {
    s.api.tick();
    const restart = action({ type: 'restart' });
    const out = await s.cluster.apply(act(API, restart, { restartedAt: null }, { restartedAt: 'now' }), restart, 'rem-restart');
    expect(out).toMatchObject({ ok: true, snapshot: { revision: 1 } });
    const dep1 = s.api.get('apps/v1', 'Deployment', 'ci', 'ci-failure-agent')!;
    expect((dep1.spec as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toBeTruthy();
    s.api.tick();
    expect(revision()).toBe('2');
    const back = await s.cluster.restore(API, restart, out.ok ? out.snapshot : {}, 'rem-restart');
    expect(back).toMatchObject({ ok: true, detail: expect.stringMatching(/back from revision 2 to revision 1/) });
    expect((s.api.get('apps/v1', 'Deployment', 'ci', 'ci-failure-agent')!.spec as { template: { metadata: { annotations?: Record<string, string> } } }).template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeUndefined();
  });

  test('undo goes back to the previous revision as kubectl does; with no history it refuses', async () => {
    s.api.tick();
    const undo = action({ type: 'undo' });
    const none = await s.cluster.apply(act(API, undo, { revision: 'current' }, { revision: 'previous' }), undo, 'rem-u0');
    expect(none).toMatchObject({ ok: false, reason: 'refused', detail: expect.stringMatching(/no rollout history/) });
    await s.cluster.apply(act(API, resources, { 'requests.memory': '512Mi', 'limits.memory': '1Gi' }, { 'requests.memory': '640Mi', 'limits.memory': '1280Mi' }), resources, 'rem-r2');
    s.api.tick();
    const out = await s.cluster.apply(act(API, undo, { revision: 'current' }, { revision: 'previous' }), undo, 'rem-u');
    expect(out).toMatchObject({ ok: true, snapshot: { revision: 2 }, applied: { revision: 1 } });
    expect(containerOf().resources.limits.memory).toBe('1Gi');
  });

  test('undo and restart of a paused Deployment are refused', async () => {
    s.api.tick();
    const obj = s.api.get('apps/v1', 'Deployment', 'ci', 'ci-failure-agent')!;
    s.api.put({ ...obj, spec: { ...(obj.spec as Record<string, unknown>), paused: true } });
    const restart = action({ type: 'restart' });
    expect(await s.cluster.apply(act(API, restart, {}, {}), restart, 'r')).toMatchObject({ ok: false, reason: 'refused', detail: expect.stringMatching(/paused/) });
    const undo = action({ type: 'undo' });
    expect(await s.cluster.apply(act(API, undo, {}, {}), undo, 'r')).toMatchObject({ ok: false, reason: 'refused', detail: expect.stringMatching(/paused/) });
  });
});

describe('redis (real Redis at 127.0.0.1:6379)', () => {
  let direct: Redis;
  let original: string;
  beforeAll(async () => {
    direct = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
    await direct.connect();
    original = ((await direct.config('GET', 'maxmemory')) as string[])[1]!;
  });
  afterAll(async () => {
    await direct.config('SET', 'maxmemory', original);
    await direct.quit();
  });

  test('CONFIG SET maxmemory ×1.5 and back; CONFIG REWRITE reported when the server has no config file', async () => {
    await direct.config('SET', 'maxmemory', String(64 * 1024 * 1024));
    const redis = action({ type: 'redis', address: 'redis://127.0.0.1:6379', factor: 1.5, cap: '1Gi' });
    const target = dep('ci-failure-agent-redis');
    expect(await s.cluster.readState(target, redis)).toMatchObject({ found: true, maxmemory: 64 * 1024 * 1024 });
    const out = await s.cluster.apply(act(target, redis, { maxmemory: 64 * 1024 * 1024 }, { maxmemory: 96 * 1024 * 1024 }), redis, 'rem-redis');
    expect(out).toMatchObject({ ok: true, snapshot: { maxmemory: 64 * 1024 * 1024 } });
    expect(out.ok && out.detail).toMatch(/from 64Mi to 96Mi/);
    expect(((await direct.config('GET', 'maxmemory')) as string[])[1]).toBe(String(96 * 1024 * 1024));
    const back = await s.cluster.restore(target, redis, { maxmemory: 64 * 1024 * 1024 }, 'rem-redis');
    expect(back.ok).toBe(true);
    expect(((await direct.config('GET', 'maxmemory')) as string[])[1]).toBe(String(64 * 1024 * 1024));
  });

  test('an unreachable Redis is a classified failure, not an exception', async () => {
    const redis = action({ type: 'redis', address: 'redis://127.0.0.1:1', factor: 1.5, cap: '1Gi' });
    await expect(s.cluster.readState(dep('ci-failure-agent-redis'), redis)).rejects.toThrow(/unavailable|ECONNREFUSED|connect/i);
    const out = await s.cluster.apply(act(dep('ci-failure-agent-redis'), redis, { maxmemory: 1 }, { maxmemory: 2 }), redis, 'r');
    expect(out).toMatchObject({ ok: false, reason: 'unavailable' });
  });
});

describe('failure classes', () => {
  const scale = action({ type: 'scale', minReplicas: 2, maxReplicas: 12 });
  const decision = () => act(CONSUMER, scale, { replicas: 2 }, { replicas: 4 });

  test('409 storm shorter than the retry budget: re-read, re-check, succeed', async () => {
    s.api.faults.conflictNext(2, { resource: 'deployments', subresource: 'scale', name: 'ci-failure-agent-consumer' });
    expect(await s.cluster.apply(decision(), scale, 'r')).toMatchObject({ ok: true });
    expect(replicasOf(CONSUMER).replicas).toBe(4);
  });

  test('409 storm longer than the retry budget: a terminal conflict, nothing changed', async () => {
    s.api.faults.conflictNext(10, { resource: 'deployments', subresource: 'scale', name: 'ci-failure-agent-consumer' });
    expect(await s.cluster.apply(decision(), scale, 'r')).toMatchObject({ ok: false, reason: 'conflict' });
    expect(replicasOf(CONSUMER).replicas).toBe(2);
  });

  test.each<[429 | 500, string]>([
    [429, 'throttled'],
    [500, 'server-error'],
  ])('%i burst: bounded backoff and success, or a classified failure when it lasts', async (status, reason) => {
    s.api.faults.failNext(2, status, { verb: 'update', subresource: 'scale' });
    expect(await s.cluster.apply(decision(), scale, 'r')).toMatchObject({ ok: true });
    s.api.faults.failNext(20, status, { verb: 'update', subresource: 'scale' });
    expect(await s.cluster.apply(act(CONSUMER, scale, { replicas: 4 }, { replicas: 6 }), scale, 'r')).toMatchObject({ ok: false, reason, retryable: true });
    expect(replicasOf(CONSUMER).replicas).toBe(4);
  });

  test('a timeout is classified as such', async () => {
    // One attempt of 1 s, and a write that lands 3 s after it was sent: the re-read that follows a
    // timed-out write (did it land after all?) comes ~2 s before it does, so the answer is a timeout.
    // (With retries, the retried writes outlast the latency and the re-read rightly finds the
    // first one applied: whether it had landed was a race.)
    const one = await startSandboxCluster({ retry: { attempts: 1, baseDelayMs: 10, maxDelayMs: 50, timeoutMs: 1000 } });
    try {
      one.api.faults.latency(3000, { verb: 'update', subresource: 'scale' });
      expect(await one.cluster.apply(decision(), scale, 'r')).toMatchObject({ ok: false, reason: 'timeout' });
    } finally {
      await one.close();
    }
  });

  test('403: no retry, a clear terminal reason', async () => {
    s.api.faults.forbid({ verb: 'update', resource: 'deployments', subresource: 'scale' });
    const before = s.api.requests.length;
    const out = await s.cluster.apply(decision(), scale, 'r');
    expect(out).toMatchObject({ ok: false, reason: 'forbidden', retryable: false });
    expect(s.api.requests.slice(before).filter((r) => r.verb === 'update' && r.code === 403)).toHaveLength(1);
  });

  test('the target deleted mid-run: not-found, terminal', async () => {
    s.api.remove('apps/v1', 'Deployment', 'ci', 'ci-failure-agent-consumer');
    expect(await s.cluster.apply(decision(), scale, 'r')).toMatchObject({ ok: false, reason: 'not-found', retryable: false });
  });

  test('422 from the API is invalid, terminal', async () => {
    await expect(s.kube.replaceScale(CONSUMER, -1, '')).rejects.toMatchObject({ failure: { reason: 'invalid', retryable: false } });
  });
});
