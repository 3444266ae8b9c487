// Every fault the sandbox injects, switched on programmatically and over HTTP,
// and the request log a test (or RBAC generation) reads afterwards.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { apiError, ManualClock, READY_DELAY_MS, rolloutStatus, startHarness, type Harness } from './helpers.js';

const clock = new ManualClock();
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clock: clock.now, tickMs: 3_600_000 });
  settle();
});
afterEach(() => {
  h.api.faults.clear();
});
afterAll(async () => {
  await h.api.close();
});

function settle(): void {
  for (let i = 0; i < 12; i++) {
    clock.advance(READY_DELAY_MS);
    h.api.tick();
  }
}

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const consumer = { namespace: 'ci', name: 'ci-failure-agent-consumer' };
const scaleTo = (replicas: number) => h.apps.patchNamespacedDeploymentScale({ ...consumer, body: { spec: { replicas } } }, merge);

test('neverReady: new pods of the workload run but never become Ready, so the rollout waits', async () => {
  h.api.faults.neverReady('ci', 'ci-failure-agent-consumer');
  await scaleTo(4);
  settle();
  const d = await h.apps.readNamespacedDeployment(consumer);
  expect(d.status).toMatchObject({ replicas: 4, readyReplicas: 2, availableReplicas: 2 });
  expect(rolloutStatus(d)).toBe('waiting: updated replicas available');
  h.api.faults.clear();
  settle();
  expect(rolloutStatus(await h.apps.readNamespacedDeployment(consumer))).toBe('done');
  await scaleTo(2);
  settle();
});

test('progressDeadlineExceeded: the Deployment reports Progressing=False at once, until cleared', async () => {
  h.api.faults.progressDeadlineExceeded('ci', 'ci-failure-agent-redis');
  h.api.tick();
  const d = await h.apps.readNamespacedDeployment({ namespace: 'ci', name: 'ci-failure-agent-redis' });
  const progressing = d.status?.conditions?.find((c) => c.type === 'Progressing');
  expect([progressing?.status, progressing?.reason]).toEqual(['False', 'ProgressDeadlineExceeded']);
  expect(rolloutStatus(d)).toBe('error: exceeded its progress deadline');
  h.api.faults.clear();
  h.api.tick();
  expect(rolloutStatus(await h.apps.readNamespacedDeployment({ namespace: 'ci', name: 'ci-failure-agent-redis' }))).toBe('done');
});

test('latency: matching requests are slowed down, others are not', async () => {
  h.api.faults.latency(600, { verb: 'get', resource: 'deployments' });
  const timed = async (fn: () => Promise<unknown>) => {
    const t = performance.now();
    await fn();
    return performance.now() - t;
  };
  expect(await timed(() => h.apps.readNamespacedDeployment(consumer))).toBeGreaterThanOrEqual(600);
  expect(await timed(() => h.apps.listNamespacedDeployment({ namespace: 'ci' }))).toBeLessThan(600);
});

test('error: the next N matching requests answer 429 with Retry-After, then requests succeed', async () => {
  h.api.faults.failNext(2, 429, { verb: 'patch', resource: 'deployments/scale' });
  for (let i = 0; i < 2; i++) {
    const { code, status, headers } = await apiError(() => scaleTo(2));
    expect(code).toBe(429);
    expect(headers['retry-after']).toBe('1');
    expect(status).toMatchObject({ reason: 'TooManyRequests', details: { retryAfterSeconds: 1 } });
  }
  expect((await scaleTo(2)).spec?.replicas).toBe(2);
  expect(h.api.faults.list()).toEqual([]);
});

test('error: 500 InternalError for a matching request only', async () => {
  h.api.faults.failNext(1, 500, { resource: 'horizontalpodautoscalers' });
  await h.apps.readNamespacedDeployment(consumer);
  const { code, status } = await apiError(() => h.autoscaling.readNamespacedHorizontalPodAutoscaler({ namespace: 'ci', name: 'ci-failure-agent' }));
  expect(code).toBe(500);
  expect(status.reason).toBe('InternalError');
  await h.autoscaling.readNamespacedHorizontalPodAutoscaler({ namespace: 'ci', name: 'ci-failure-agent' });
});

test('forbidden: a verb on a resource is refused with RBAC\'s message; other verbs pass', async () => {
  h.api.faults.forbid({ verb: 'patch', resource: 'deployments', subresource: 'scale' });
  const { code, status } = await apiError(() => scaleTo(3));
  expect(code).toBe(403);
  expect(status).toMatchObject({
    reason: 'Forbidden',
    message: 'deployments.apps "ci-failure-agent-consumer" is forbidden: User "system:anonymous" cannot patch resource "deployments/scale" in API group "apps" in the namespace "ci"',
  });
  expect((await h.apps.readNamespacedDeploymentScale(consumer)).spec?.replicas).toBe(2);
  h.api.faults.forbid({ verb: 'list', resource: 'pods' });
  const list = await apiError(() => h.core.listNamespacedPod({ namespace: 'ci' }));
  expect(list.status.message).toBe('pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "ci"');
});

test('conflict storm: the next N writes to an object are 409 whatever their resourceVersion', async () => {
  h.api.faults.conflictNext(2, { namespace: 'ci', name: 'ci-failure-agent-consumer' });
  await h.apps.readNamespacedDeployment(consumer);
  for (let i = 0; i < 2; i++) {
    const fresh = await h.apps.readNamespacedDeploymentScale(consumer);
    const { code, status } = await apiError(() => h.apps.replaceNamespacedDeploymentScale({ ...consumer, body: fresh }));
    expect([code, status.reason]).toEqual([409, 'Conflict']);
  }
  const fresh = await h.apps.readNamespacedDeploymentScale(consumer);
  expect((await h.apps.replaceNamespacedDeploymentScale({ ...consumer, body: fresh })).spec?.replicas).toBe(2);
});

test('faults over HTTP: POST adds (one or a list), GET lists, DELETE removes one or all, a bad body is 400', async () => {
  const post = async (body: unknown) => fetch(`${h.api.url}/sandbox/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const added = await post([{ type: 'forbidden', match: { verb: 'get', resource: 'leases' } }, { type: 'error', status: 500, count: 3, match: { resource: 'events' } }]);
  expect(added.status).toBe(201);
  const { ids } = (await added.json()) as { ids: string[] };
  expect(ids).toHaveLength(2);
  await expect(h.coordination.readNamespacedLease({ namespace: 'ci', name: 'x' })).rejects.toMatchObject({ code: 403 });
  const listed = (await (await fetch(`${h.api.url}/sandbox/faults`)).json()) as { faults: { id: string; type: string }[] };
  expect(listed.faults.map((f) => f.type)).toEqual(['forbidden', 'error']);
  expect((await fetch(`${h.api.url}/sandbox/faults/${ids[0]}`, { method: 'DELETE' })).status).toBe(200);
  await expect(h.coordination.readNamespacedLease({ namespace: 'ci', name: 'x' })).rejects.toMatchObject({ code: 404 });
  expect((await fetch(`${h.api.url}/sandbox/faults`, { method: 'DELETE' })).status).toBe(200);
  expect(h.api.faults.list()).toEqual([]);
  for (const bad of [{ type: 'latency', ms: -5 }, { type: 'explode' }, { type: 'error', status: 418, count: 1 }]) {
    expect((await post(bad)).status).toBe(400);
  }
});

test('the request log records each request in RBAC terms', async () => {
  h.api.clearRequests();
  await h.apps.readNamespacedDeploymentScale(consumer);
  await scaleTo(2);
  await h.core.listNamespacedPod({ namespace: 'ci', labelSelector: 'app.kubernetes.io/component=api' });
  const seen = h.api.requests.map(({ verb, apiGroup, resource, subresource, namespace, name, code }) => ({ verb, apiGroup, resource, subresource, namespace, name, code }));
  expect(seen).toEqual([
    { verb: 'get', apiGroup: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'ci', name: 'ci-failure-agent-consumer', code: 200 },
    { verb: 'patch', apiGroup: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'ci', name: 'ci-failure-agent-consumer', code: 200 },
    { verb: 'list', apiGroup: '', resource: 'pods', subresource: undefined, namespace: 'ci', name: undefined, code: 200 },
  ]);
});
