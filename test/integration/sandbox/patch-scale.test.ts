// Writes that change part of an object: the three patch types as client-node
// sends them (and the pitfall that JSON Patch is its default content type), the
// merge rules as pure functions, and the scale subresource (autoscaling/v1 Scale)
// on Deployments, StatefulSets, ReplicaSets and the CNPG Cluster (spec.instances).
import { PatchStrategy, setHeaderOptions, type V1Deployment, type V1Scale } from '@kubernetes/client-node';
import { mergePatch, strategicMerge } from '../../../src/sandbox/patch.js';
import type { JsonObject } from '../../../src/sandbox/types.js';
import { apiError, ManualClock, READY_DELAY_MS, startHarness, type Harness } from './helpers.js';

const clock = new ManualClock();
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clock: clock.now, tickMs: 3_600_000 });
  await h.core.createNamespace({ body: { metadata: { name: 'patch' } } });
});
afterAll(async () => {
  await h.api.close();
});

describe('patch', () => {
  function twoContainers(name: string): V1Deployment {
    const labels = { app: name };
    return {
      metadata: { name, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              { name: 'app', image: 'app:1', resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } } },
              { name: 'sidecar', image: 'sidecar:1' },
            ],
          },
        },
      },
    };
  }

  const lastRequest = () => h.api.requests[h.api.requests.length - 1]!;

  test('client-node sends a patch as application/json-patch+json unless told otherwise', async () => {
    await h.apps.createNamespacedDeployment({ namespace: 'patch', body: twoContainers('default-type') });
    const patched = await h.apps.patchNamespacedDeployment({
      namespace: 'patch', name: 'default-type', body: [{ op: 'replace', path: '/spec/replicas', value: 3 }],
    });
    expect(patched.spec?.replicas).toBe(3);
    expect(lastRequest()).toMatchObject({ verb: 'patch', resource: 'deployments', contentType: 'application/json-patch+json' });
    // A merge-style object sent without the header goes out as a JSON Patch and is refused.
    const refused = await apiError(() => h.apps.patchNamespacedDeployment({ namespace: 'patch', name: 'default-type', body: { spec: { replicas: 4 } } }));
    expect(refused.code).toBe(400);
    expect(refused.status.reason).toBe('BadRequest');
  });

  test('a JSON merge patch replaces the whole containers list', async () => {
    await h.apps.createNamespacedDeployment({ namespace: 'patch', body: twoContainers('merge') });
    const patched = await h.apps.patchNamespacedDeployment(
      { namespace: 'patch', name: 'merge', body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'app:2' }] } } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(lastRequest().contentType).toBe('application/merge-patch+json');
    expect(patched.spec?.template.spec?.containers.map((c) => [c.name, c.image, c.resources])).toEqual([['app', 'app:2', undefined]]);
  });

  test('a strategic merge patch merges containers by name and keeps the others', async () => {
    await h.apps.createNamespacedDeployment({ namespace: 'patch', body: twoContainers('strategic') });
    const patched = await h.apps.patchNamespacedDeployment(
      { namespace: 'patch', name: 'strategic', body: { spec: { template: { spec: { containers: [{ name: 'app', resources: { limits: { memory: '512Mi' } } }] } } } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(lastRequest().contentType).toBe('application/strategic-merge-patch+json');
    const containers = patched.spec?.template.spec?.containers ?? [];
    expect(containers.map((c) => c.name)).toEqual(['app', 'sidecar']);
    expect(containers[0]).toMatchObject({ image: 'app:1', resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } } });
    expect(containers[1]).toMatchObject({ image: 'sidecar:1' });
    expect(patched.metadata?.generation).toBe(2);
  });

  test.each([
    // server-side apply is not simulated
    ['application/apply-patch+yaml'],
    // not a patch type at all
    ['text/plain'],
  ])('PATCH with Content-Type %s is 415 UnsupportedMediaType', async (contentType) => {
    const res = await fetch(`${h.api.url}/apis/apps/v1/namespaces/ci/deployments/ci-failure-agent`, {
      method: 'PATCH', headers: { 'Content-Type': contentType }, body: '{}',
    });
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'UnsupportedMediaType', code: 415 });
  });

  test('custom resources refuse strategic merge (415) and accept a merge patch', async () => {
    const target = { group: 'postgresql.cnpg.io', version: 'v1', namespace: 'ci', plural: 'clusters', name: 'ci-failure-agent-db' };
    const refused = await apiError(() =>
      h.custom.patchNamespacedCustomObject({ ...target, body: { metadata: { labels: { x: 'y' } } } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch)));
    expect(refused.code).toBe(415);
    const ok = (await h.custom.patchNamespacedCustomObject({ ...target, body: { metadata: { labels: { x: 'y' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))) as { metadata: { labels: Record<string, string> } };
    expect(ok.metadata.labels.x).toBe('y');
  });

  test('a JSON Patch whose test op fails is 422; a merge patch with a stale resourceVersion is 409', async () => {
    const failed = await apiError(() => h.apps.patchNamespacedDeployment({
      namespace: 'ci', name: 'ci-failure-agent', body: [{ op: 'test', path: '/spec/replicas', value: 99 }, { op: 'replace', path: '/spec/replicas', value: 5 }],
    }));
    expect(failed.code).toBe(422);
    const stale = await apiError(() => h.apps.patchNamespacedDeployment(
      { namespace: 'ci', name: 'ci-failure-agent', body: { metadata: { resourceVersion: '1' }, spec: { replicas: 5 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    ));
    expect(stale.code).toBe(409);
    expect(stale.status.reason).toBe('Conflict');
    expect(h.api.get('apps/v1', 'Deployment', 'ci', 'ci-failure-agent')!.spec).toMatchObject({ replicas: 3 });
  });

  describe('merge rules', () => {
    test.each<[string, JsonObject, JsonObject, JsonObject]>([
      // null deletes a key, maps merge
      ['null deletes', { a: 1, b: { c: 2, d: 3 } }, { b: { c: null } }, { a: 1, b: { d: 3 } }],
      // lists are replaced, never merged
      ['lists replace', { l: [1, 2, 3] }, { l: [4] }, { l: [4] }],
      // a scalar replaces a map
      ['scalar over map', { a: { b: 1 } }, { a: 'x' }, { a: 'x' }],
    ])('JSON merge patch: %s', (_name, target, patch, want) => {
      expect(mergePatch(target, patch)).toEqual(want);
    });

    test.each<[string, JsonObject, JsonObject, JsonObject]>([
      // containers merge by name; a new name is appended
      ['merge by name',
        { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] },
        { containers: [{ name: 'b', image: 'b:2' }, { name: 'c', image: 'c:1' }] },
        { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:2' }, { name: 'c', image: 'c:1' }] }],
      // $patch: delete removes one element by key
      ['delete by key',
        { containers: [{ name: 'a' }, { name: 'b' }] },
        { containers: [{ name: 'a', $patch: 'delete' }] },
        { containers: [{ name: 'b' }] }],
      // env inside a container merges by name too
      ['nested env',
        { containers: [{ name: 'a', env: [{ name: 'X', value: '1' }, { name: 'Y', value: '2' }] }] },
        { containers: [{ name: 'a', env: [{ name: 'Y', value: '3' }] }] },
        { containers: [{ name: 'a', env: [{ name: 'X', value: '1' }, { name: 'Y', value: '3' }] }] }],
      // a list without a merge key is replaced
      ['args replaced', { args: ['a', 'b'] }, { args: ['c'] }, { args: ['c'] }],
      // $patch: replace on a map replaces it whole
      ['map replace', { resources: { limits: { cpu: '1' }, requests: { cpu: '1' } } }, { resources: { $patch: 'replace', limits: { cpu: '2' } } }, { resources: { limits: { cpu: '2' } } }],
      // finalizers merge as a set
      ['set list', { finalizers: ['a'] }, { finalizers: ['a', 'b'] }, { finalizers: ['a', 'b'] }],
    ])('strategic merge: %s', (_name, target, patch, want) => {
      expect(strategicMerge(target, patch)).toEqual(want);
    });
  });
});

describe('scale subresource', () => {
  /** Lets the simulated cluster settle: ticks past the pod ready delay. */
  function settle(): void {
    for (let i = 0; i < 12; i++) {
      clock.advance(READY_DELAY_MS);
      h.api.tick();
    }
  }

  const db = { group: 'postgresql.cnpg.io', version: 'v1', namespace: 'ci', plural: 'clusters', name: 'ci-failure-agent-db' };
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

  test('Deployment scale: spec/status replicas, selector, and a merge patch that the controller follows', async () => {
    settle();
    const scale = await h.apps.readNamespacedDeploymentScale({ namespace: 'ci', name: 'ci-failure-agent-consumer' });
    expect(scale).toMatchObject({
      apiVersion: 'autoscaling/v1', kind: 'Scale', spec: { replicas: 2 },
      status: { replicas: 2, selector: 'app.kubernetes.io/component=consumer,app.kubernetes.io/name=ci-failure-agent' },
    });
    const patched = await h.apps.patchNamespacedDeploymentScale({ namespace: 'ci', name: 'ci-failure-agent-consumer', body: { spec: { replicas: 4 } } }, merge);
    expect(patched.spec?.replicas).toBe(4);
    expect(patched.status?.replicas).toBe(2);
    settle();
    const after = await h.apps.readNamespacedDeploymentScale({ namespace: 'ci', name: 'ci-failure-agent-consumer' });
    expect(after.status?.replicas).toBe(4);
    expect((await h.apps.readNamespacedDeployment({ namespace: 'ci', name: 'ci-failure-agent-consumer' })).status?.readyReplicas).toBe(4);
  });

  test('StatefulSet scale: read, replace, and status.replicas following', async () => {
    const labels = { app: 'kafka' };
    await h.apps.createNamespacedStatefulSet({
      namespace: 'ci',
      body: { metadata: { name: 'kafka' }, spec: { replicas: 1, serviceName: 'kafka', selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'kafka', image: 'kafka:3' }] } } } },
    });
    settle();
    const scale = await h.apps.readNamespacedStatefulSetScale({ namespace: 'ci', name: 'kafka' });
    expect(scale.spec?.replicas).toBe(1);
    expect(scale.status).toEqual({ replicas: 1, selector: 'app=kafka' });
    const replaced = await h.apps.replaceNamespacedStatefulSetScale({ namespace: 'ci', name: 'kafka', body: { ...scale, spec: { replicas: 3 } } });
    expect(replaced.spec?.replicas).toBe(3);
    settle();
    expect((await h.apps.readNamespacedStatefulSetScale({ namespace: 'ci', name: 'kafka' })).status?.replicas).toBe(3);
  });

  test('ReplicaSet scale reads the ReplicaSet the Deployment controller made', async () => {
    const rs = (await h.apps.listNamespacedReplicaSet({ namespace: 'ci', labelSelector: 'app.kubernetes.io/component=cache' })).items[0]!;
    const scale = await h.apps.readNamespacedReplicaSetScale({ namespace: 'ci', name: rs.metadata!.name! });
    expect(scale.spec?.replicas).toBe(1);
    expect(scale.status?.selector).toContain(`pod-template-hash=${rs.metadata!.labels!['pod-template-hash']}`);
  });

  test('CNPG Cluster scale through CustomObjectsApi maps to spec.instances and status.instances', async () => {
    settle();
    const scale = (await h.custom.getNamespacedCustomObjectScale(db)) as V1Scale;
    expect(scale).toMatchObject({
      kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 2 },
      status: { replicas: 2, selector: 'cnpg.io/cluster=ci-failure-agent-db,cnpg.io/podRole=instance' },
    });
    const patched = (await h.custom.patchNamespacedCustomObjectScale({ ...db, body: { spec: { replicas: 3 } } }, merge)) as V1Scale;
    expect(patched.spec?.replicas).toBe(3);
    const cluster = (await h.custom.getNamespacedCustomObject(db)) as { spec: { instances: number }; metadata: { generation: number } };
    expect(cluster.spec.instances).toBe(3);
    expect(cluster.metadata.generation).toBe(2);
    settle();
    const status = ((await h.custom.getNamespacedCustomObjectStatus(db)) as { status: { instances: number; readyInstances: number } }).status;
    expect(status).toMatchObject({ instances: 3, readyInstances: 3 });
  });

  test('CNPG Cluster scale: stale resourceVersion is 409, instances below 1 is 422', async () => {
    const scale = (await h.custom.getNamespacedCustomObjectScale(db)) as V1Scale;
    await h.custom.patchNamespacedCustomObject({ ...db, body: { metadata: { annotations: { touched: 'yes' } } } }, merge);
    const stale = await apiError(() => h.custom.replaceNamespacedCustomObjectScale({ ...db, body: { ...scale, spec: { replicas: 4 } } }));
    expect(stale.code).toBe(409);
    expect(stale.status.message).toBe('Operation cannot be fulfilled on clusters.postgresql.cnpg.io "ci-failure-agent-db": the object has been modified; please apply your changes to the latest version and try again');
    const zero = await apiError(() => h.custom.patchNamespacedCustomObjectScale({ ...db, body: { spec: { replicas: 0 } } }, merge));
    expect(zero.code).toBe(422);
    expect(zero.status.message).toContain('spec.instances in body should be greater than or equal to 1');
  });
});
