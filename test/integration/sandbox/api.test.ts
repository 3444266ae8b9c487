// The resource API as clients see it, through the real client-node: discovery,
// CRUD with server-set metadata, resourceVersion preconditions, generation,
// validation and Status errors, selectors and paging, Events and Leases, watches,
// and the reference seed. The controllers run only when a test calls api.tick():
// they write status and annotations, which would otherwise race the
// resourceVersions these tests hold.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApisApi, AppsV1Api, CoreApi, CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, VersionApi, Watch,
  type V1Deployment, type V1Lease,
} from '@kubernetes/client-node';
import { loadSeed } from '../../../src/sandbox/index.js';
import { apiError, eventually, startHarness, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ tickMs: 3_600_000 });
  await h.core.createNamespace({ body: { metadata: { name: 'crud' } } });
});
afterAll(async () => {
  await h.api.close();
});

describe('discovery', () => {
  test('/version reports a Kubernetes version', async () => {
    const v = await h.kc.makeApiClient(VersionApi).getCode();
    expect(v.major).toBe('1');
    expect(v.gitVersion).toMatch(/^v1\.\d+\.\d+/);
  });

  test('/api lists v1 and /apis lists every served group with its preferred version', async () => {
    const core = await h.kc.makeApiClient(CoreApi).getAPIVersions();
    expect(core.versions).toEqual(['v1']);
    const groups = await h.kc.makeApiClient(ApisApi).getAPIVersions();
    const byName = new Map(groups.groups.map((g) => [g.name, g.preferredVersion?.groupVersion]));
    expect(Object.fromEntries(byName)).toEqual({
      apps: 'apps/v1',
      autoscaling: 'autoscaling/v2',
      'coordination.k8s.io': 'coordination.k8s.io/v1',
      'keda.sh': 'keda.sh/v1alpha1',
      'postgresql.cnpg.io': 'postgresql.cnpg.io/v1',
      'apiextensions.k8s.io': 'apiextensions.k8s.io/v1',
    });
  });

  test('apps/v1 lists deployments with verbs, short names and the scale subresource as autoscaling/v1 Scale', async () => {
    const list = await h.kc.makeApiClient(AppsV1Api).getAPIResources();
    const deployments = list.resources.find((r) => r.name === 'deployments');
    expect(deployments).toMatchObject({ kind: 'Deployment', namespaced: true, shortNames: ['deploy'], singularName: 'deployment' });
    expect([...deployments!.verbs].sort()).toEqual(['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']);
    for (const parent of ['deployments', 'statefulsets', 'replicasets']) {
      expect(list.resources.find((r) => r.name === `${parent}/scale`)).toMatchObject({
        group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'],
      });
      expect(list.resources.find((r) => r.name === `${parent}/status`)).toBeDefined();
    }
  });

  test('core v1 lists pods, events and the cluster-scoped namespaces', async () => {
    const list = await h.kc.makeApiClient(CoreV1Api).getAPIResources();
    const names = list.resources.map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(['pods', 'events', 'namespaces', 'pods/status']));
    expect(list.resources.find((r) => r.name === 'namespaces')?.namespaced).toBe(false);
  });

  test('the CNPG Cluster custom resource is discoverable with its scale subresource, and its CRD is served', async () => {
    const list = await h.kc.makeApiClient(CustomObjectsApi).getAPIResources({ group: 'postgresql.cnpg.io', version: 'v1' });
    expect(list.resources.map((r) => r.name)).toEqual(['clusters', 'clusters/scale', 'clusters/status']);
    const crd = h.api.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, 'clusters.postgresql.cnpg.io');
    expect((crd?.spec as { versions: { subresources: { scale: unknown } }[] }).versions[0]!.subresources.scale).toEqual({
      specReplicasPath: '.spec.instances', statusReplicasPath: '.status.instances', labelSelectorPath: '.status.selector',
    });
  });

  test.each([
    // an unknown group version
    ['/apis/example.com/v1'],
    // an unknown resource in a served group
    ['/apis/apps/v1/namespaces/ci/daemonsets'],
    // a namespaced resource addressed by name without a namespace
    ['/apis/apps/v1/deployments/ci-failure-agent'],
  ])('GET %s answers 404 with a Status', async (path) => {
    const res = await fetch(`${h.api.url}${path}`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 });
  });
});

describe('objects', () => {
  function deployment(name: string, replicas = 2): V1Deployment {
    const labels = { app: name };
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, labels },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'app', image: 'registry.example/app:1', resources: { requests: { cpu: '100m' }, limits: { cpu: '1' } } }] },
        },
      },
    };
  }

  test('create sets uid, creationTimestamp, resourceVersion, generation and defaults; get and list return it', async () => {
    const created = await h.apps.createNamespacedDeployment({ namespace: 'crud', body: deployment('web') });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(created.metadata?.generation).toBe(1);
    expect(created.spec?.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
    expect(created.spec?.progressDeadlineSeconds).toBe(600);
    const got = await h.apps.readNamespacedDeployment({ namespace: 'crud', name: 'web' });
    expect(got.metadata?.uid).toBe(created.metadata?.uid);
    const list = await h.apps.listNamespacedDeployment({ namespace: 'crud' });
    expect(list.items.map((d) => d.metadata?.name)).toEqual(['web']);
    expect(Number(list.metadata?.resourceVersion)).toBeGreaterThanOrEqual(Number(created.metadata?.resourceVersion));
  });

  test('a second create of the same name is 409 AlreadyExists', async () => {
    await h.apps.createNamespacedDeployment({ namespace: 'crud', body: deployment('dup') });
    const { code, status } = await apiError(() => h.apps.createNamespacedDeployment({ namespace: 'crud', body: deployment('dup') }));
    expect(code).toBe(409);
    expect(status).toMatchObject({ kind: 'Status', reason: 'AlreadyExists', message: 'deployments.apps "dup" already exists', details: { name: 'dup', group: 'apps', kind: 'deployments' } });
  });

  test('reading a missing object is 404 NotFound; creating in a missing namespace names the namespace', async () => {
    const missing = await apiError(() => h.apps.readNamespacedDeployment({ namespace: 'crud', name: 'nope' }));
    expect(missing.code).toBe(404);
    expect(missing.status).toMatchObject({ reason: 'NotFound', message: 'deployments.apps "nope" not found' });
    const pod = await apiError(() => h.core.readNamespacedPod({ namespace: 'crud', name: 'nope' }));
    expect(pod.status.message).toBe('pods "nope" not found');
    const noNs = await apiError(() => h.apps.createNamespacedDeployment({ namespace: 'nowhere', body: deployment('x') }));
    expect(noNs.code).toBe(404);
    expect(noNs.status.message).toBe('namespaces "nowhere" not found');
  });

  test('every write gets a new, higher resourceVersion from one global counter', async () => {
    const a = await h.apps.createNamespacedDeployment({ namespace: 'crud', body: deployment('rv') });
    const b = await h.apps.patchNamespacedDeployment({ namespace: 'crud', name: 'rv', body: [{ op: 'add', path: '/metadata/labels/x', value: 'y' }] });
    const lease = await h.coordination.createNamespacedLease({ namespace: 'crud', body: { metadata: { name: 'rv' }, spec: {} } });
    expect(Number(b.metadata?.resourceVersion)).toBeGreaterThan(Number(a.metadata?.resourceVersion));
    expect(Number(lease.metadata?.resourceVersion)).toBeGreaterThan(Number(b.metadata?.resourceVersion));
  });

  test('replace with a stale resourceVersion is 409 Conflict in the exact Kubernetes form; with the current one it succeeds', async () => {
    const created = await h.apps.createNamespacedDeployment({ namespace: 'crud', body: deployment('occ') });
    const fresh = await h.apps.replaceNamespacedDeployment({ namespace: 'crud', name: 'occ', body: { ...created, metadata: { ...created.metadata, labels: { app: 'occ', v: '2' } } } });
    const { code, status } = await apiError(() => h.apps.replaceNamespacedDeployment({ namespace: 'crud', name: 'occ', body: created }));
    expect(code).toBe(409);
    expect(status).toMatchObject({
      kind: 'Status', status: 'Failure', reason: 'Conflict', code: 409,
      message: 'Operation cannot be fulfilled on deployments.apps "occ": the object has been modified; please apply your changes to the latest version and try again',
      details: { name: 'occ', group: 'apps', kind: 'deployments' },
    });
    const again = await h.apps.replaceNamespacedDeployment({ namespace: 'crud', name: 'occ', body: fresh });
    expect(again.metadata?.labels).toEqual({ app: 'occ', v: '2' });
  });

  test('replaceNamespacedDeploymentScale with a stale resourceVersion is 409; the Scale carries the parent resourceVersion', async () => {
    await h.apps.createNamespacedDeployment({ namespace: 'crud', body: deployment('scaled', 2) });
    const scale = await h.apps.readNamespacedDeploymentScale({ namespace: 'crud', name: 'scaled' });
    const parent = await h.apps.readNamespacedDeployment({ namespace: 'crud', name: 'scaled' });
    expect(scale.metadata?.resourceVersion).toBe(parent.metadata?.resourceVersion);
    // Someone else writes the Deployment: the Scale read above is now stale.
    await h.apps.patchNamespacedDeployment({ namespace: 'crud', name: 'scaled', body: [{ op: 'add', path: '/metadata/annotations', value: { touched: 'yes' } }] });
    const stale = await apiError(() => h.apps.replaceNamespacedDeploymentScale({ namespace: 'crud', name: 'scaled', body: { ...scale, spec: { replicas: 5 } } }));
    expect(stale.code).toBe(409);
    expect(stale.status.message).toBe('Operation cannot be fulfilled on deployments.apps "scaled": the object has been modified; please apply your changes to the latest version and try again');
    const current = await h.apps.readNamespacedDeploymentScale({ namespace: 'crud', name: 'scaled' });
    const replaced = await h.apps.replaceNamespacedDeploymentScale({ namespace: 'crud', name: 'scaled', body: { ...current, spec: { replicas: 5 } } });
    expect(replaced.spec?.replicas).toBe(5);
    expect((await h.apps.readNamespacedDeployment({ namespace: 'crud', name: 'scaled' })).spec?.replicas).toBe(5);
  });

  test('generation moves on spec changes only; status in a PUT body is ignored; observedGeneration catches up', async () => {
    const d = await h.apps.createNamespacedDeployment({ namespace: 'crud', body: deployment('gen', 1) });
    const relabeled = await h.apps.patchNamespacedDeployment({ namespace: 'crud', name: 'gen', body: [{ op: 'add', path: '/metadata/labels/team', value: 'sre' }] });
    expect(relabeled.metadata?.generation).toBe(1);
    const withStatus = await h.apps.replaceNamespacedDeployment({ namespace: 'crud', name: 'gen', body: { ...relabeled, status: { replicas: 99, observedGeneration: 42 } } });
    expect(withStatus.metadata?.generation).toBe(1);
    expect(withStatus.status?.replicas).not.toBe(99);
    const rescaled = await h.apps.replaceNamespacedDeployment({ namespace: 'crud', name: 'gen', body: { ...withStatus, spec: { ...withStatus.spec!, replicas: 2 } } });
    expect(rescaled.metadata?.generation).toBe(2);
    expect(d.metadata?.generation).toBe(1);
    expect((await h.apps.readNamespacedDeployment({ namespace: 'crud', name: 'gen' })).status?.observedGeneration).toBeUndefined();
    h.api.tick();
    expect((await h.apps.readNamespacedDeployment({ namespace: 'crud', name: 'gen' })).status?.observedGeneration).toBe(2);
  });

  test('a write that changes nothing keeps the resourceVersion', async () => {
    const d = await h.apps.createNamespacedDeployment({ namespace: 'crud', body: deployment('noop') });
    const same = await h.apps.patchNamespacedDeployment({ namespace: 'crud', name: 'noop', body: [{ op: 'replace', path: '/spec/replicas', value: 2 }] });
    expect(same.metadata?.resourceVersion).toBe(d.metadata?.resourceVersion);
  });

  test('objects handed out are copies: changing one changes nothing in the cluster', () => {
    const copy = h.api.get('apps/v1', 'Deployment', 'ci', 'ci-failure-agent')!;
    (copy.spec as { replicas: number }).replicas = 17;
    copy.metadata.labels = { hijacked: 'yes' };
    const again = h.api.get('apps/v1', 'Deployment', 'ci', 'ci-failure-agent')!;
    expect((again.spec as { replicas: number }).replicas).toBe(3);
    expect(again.metadata.labels).not.toHaveProperty('hijacked');
  });

  test.each([
    // negative replicas through the scale subresource
    ['scale', () => h.apps.patchNamespacedDeploymentScale({ namespace: 'ci', name: 'ci-failure-agent', body: [{ op: 'replace', path: '/spec/replicas', value: -1 }] }),
      'Scale.autoscaling "ci-failure-agent" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0'],
    // negative replicas on the Deployment itself
    ['deployment', () => h.apps.createNamespacedDeployment({ namespace: 'crud', body: deployment('neg', -2) }),
      'Deployment.apps "neg" is invalid: spec.replicas: Invalid value: -2: must be greater than or equal to 0'],
    // requests above limits
    ['resources', () => h.apps.patchNamespacedDeployment({ namespace: 'ci', name: 'ci-failure-agent', body: [{ op: 'replace', path: '/spec/template/spec/containers/0/resources/requests/memory', value: '2Gi' }] }),
      'Deployment.apps "ci-failure-agent" is invalid: spec.template.spec.containers[0].resources.requests: Invalid value: "2Gi": must be less than or equal to memory limit of 1Gi'],
    // HPA maxReplicas below minReplicas
    ['hpa', () => h.autoscaling.patchNamespacedHorizontalPodAutoscaler({ namespace: 'ci', name: 'ci-failure-agent', body: [{ op: 'replace', path: '/spec/maxReplicas', value: 2 }] }),
      'HorizontalPodAutoscaler.autoscaling "ci-failure-agent" is invalid: spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`'],
  ])('invalid %s write is 422 Invalid with the field named', async (_case, call, message) => {
    const { code, status } = await apiError(call);
    expect(code).toBe(422);
    expect(status.reason).toBe('Invalid');
    expect(status.message).toBe(message);
  });

  test.each([
    // PUT on a collection
    ['PUT', '/apis/apps/v1/namespaces/ci/deployments'],
    // POST to a named object
    ['POST', '/apis/apps/v1/namespaces/ci/deployments/ci-failure-agent'],
    // DELETE is not a verb of the scale subresource
    ['DELETE', '/apis/apps/v1/namespaces/ci/deployments/ci-failure-agent/scale'],
    // namespaces have no deletecollection
    ['DELETE', '/api/v1/namespaces'],
  ])('%s %s is 405 MethodNotAllowed', async (method, path) => {
    const res = await fetch(`${h.api.url}${path}`, { method, headers: { 'Content-Type': 'application/json' }, body: method === 'DELETE' ? undefined : '{}' });
    expect(res.status).toBe(405);
    expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'MethodNotAllowed', code: 405 });
    expect(h.api.get('apps/v1', 'Deployment', 'ci', 'ci-failure-agent')).toBeDefined();
  });

  test('put, get and remove act on the cluster directly: put keeps a given status, remove cascades', async () => {
    const labels = { app: 'direct' };
    const stored = h.api.put({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'direct', namespace: 'crud' },
      spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'c:1' }] } } },
      status: { replicas: 7 },
    });
    expect(stored.metadata.uid).toBeTruthy();
    expect((await h.apps.readNamespacedDeployment({ namespace: 'crud', name: 'direct' })).status?.replicas).toBe(7);
    h.api.tick();
    expect(h.api.list('apps/v1', 'ReplicaSet', 'crud').filter((rs) => rs.metadata.name.startsWith('direct-'))).toHaveLength(1);
    expect(h.api.remove('apps/v1', 'Deployment', 'crud', 'direct')).toBe(true);
    expect(h.api.list('apps/v1', 'ReplicaSet', 'crud').filter((rs) => rs.metadata.name.startsWith('direct-'))).toEqual([]);
    expect(h.api.remove('apps/v1', 'Deployment', 'crud', 'direct')).toBe(false);
    expect(() => h.api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'nowhere' }, spec: { containers: [{ name: 'c', image: 'c' }] } })).toThrow('namespace "nowhere" does not exist');
  });

  test('a body that does not parse is 400 BadRequest as a Status', async () => {
    const res = await fetch(`${h.api.url}/apis/apps/v1/namespaces/crud/deployments`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"metadata": ' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
  });

  test('dryRun=All validates and answers but stores nothing', async () => {
    const answered = await h.apps.createNamespacedDeployment({ namespace: 'crud', body: deployment('dry'), dryRun: 'All' });
    expect(answered.metadata?.name).toBe('dry');
    await expect(h.apps.readNamespacedDeployment({ namespace: 'crud', name: 'dry' })).rejects.toMatchObject({ code: 404 });
  });

  test('deleting a Deployment answers Success and removes its ReplicaSets and pods', async () => {
    await h.apps.createNamespacedDeployment({ namespace: 'crud', body: deployment('gone', 2) });
    h.api.tick();
    expect((await h.core.listNamespacedPod({ namespace: 'crud', labelSelector: 'app=gone' })).items).toHaveLength(2);
    const status = await h.apps.deleteNamespacedDeployment({ namespace: 'crud', name: 'gone' });
    expect(status).toMatchObject({ status: 'Success', details: { name: 'gone', group: 'apps', kind: 'deployments' } });
    expect((await h.apps.listNamespacedReplicaSet({ namespace: 'crud', labelSelector: 'app=gone' })).items).toEqual([]);
    expect((await h.core.listNamespacedPod({ namespace: 'crud', labelSelector: 'app=gone' })).items).toEqual([]);
  });

  test.each([
    // equality
    ['app.kubernetes.io/component=consumer', ['ci-failure-agent-consumer']],
    // inequality keeps objects without the key too
    ['app.kubernetes.io/component!=api,app.kubernetes.io/component!=cache', ['ci-failure-agent-consumer']],
    // set-based
    ['app.kubernetes.io/component in (api,cache)', ['ci-failure-agent', 'ci-failure-agent-redis']],
    // existence
    ['!app.kubernetes.io/component', []],
  ])('list with labelSelector %s', async (labelSelector, names) => {
    const list = await h.apps.listNamespacedDeployment({ namespace: 'ci', labelSelector });
    expect(list.items.map((d) => d.metadata?.name)).toEqual(names);
  });

  test('list with fieldSelector metadata.name, and paging with limit/continue', async () => {
    const one = await h.apps.listNamespacedDeployment({ namespace: 'ci', fieldSelector: 'metadata.name=ci-failure-agent-redis' });
    expect(one.items.map((d) => d.metadata?.name)).toEqual(['ci-failure-agent-redis']);
    const first = await h.apps.listNamespacedDeployment({ namespace: 'ci', limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.metadata?.remainingItemCount).toBe(1);
    const rest = await h.apps.listNamespacedDeployment({ namespace: 'ci', limit: 2, _continue: first.metadata!._continue! });
    expect([...first.items, ...rest.items].map((d) => d.metadata?.name)).toEqual(['ci-failure-agent', 'ci-failure-agent-consumer', 'ci-failure-agent-redis']);
    expect(rest.metadata?._continue).toBeUndefined();
  });
});

describe('events and leases', () => {
  test('events list by involvedObject.* field selectors returns only that object\'s events', async () => {
    const d = await h.apps.readNamespacedDeployment({ namespace: 'ci', name: 'ci-failure-agent' });
    const now = new Date();
    // e3 is about an earlier object of the same name (another uid), as after a delete and re-create.
    const cases = [['e1', 'ci-failure-agent', d.metadata!.uid!], ['e2', 'ci-failure-agent-consumer', 'other-uid'], ['e3', 'ci-failure-agent', 'old-uid']] as const;
    for (const [name, target, uid] of cases) {
      await h.core.createNamespacedEvent({
        namespace: 'ci',
        body: {
          metadata: { name },
          involvedObject: { apiVersion: 'apps/v1', kind: 'Deployment', name: target, namespace: 'ci', uid },
          reason: 'RemediationSucceeded', message: `scaled ${target}`, type: 'Normal',
          source: { component: 'autoremediator' }, firstTimestamp: now, lastTimestamp: now, count: 1,
        },
      });
    }
    const selector = `involvedObject.kind=Deployment,involvedObject.name=ci-failure-agent,involvedObject.namespace=ci,involvedObject.uid=${d.metadata!.uid!}`;
    const events = await h.core.listNamespacedEvent({ namespace: 'ci', fieldSelector: selector });
    // The deployment controller's own ScalingReplicaSet event is about this object too.
    expect(events.items.map((e) => [e.reason, e.source?.component]).sort()).toEqual([
      ['RemediationSucceeded', 'autoremediator'], ['ScalingReplicaSet', 'deployment-controller'],
    ]);
    expect(events.items.find((e) => e.reason === 'RemediationSucceeded')?.metadata?.name).toBe('e1');
    const bySource = await h.core.listNamespacedEvent({ namespace: 'ci', fieldSelector: 'source=autoremediator,involvedObject.name!=ci-failure-agent' });
    expect(bySource.items.map((e) => e.metadata?.name)).toEqual(['e2']);
  });

  test('an unknown field selector is 400; an event whose involvedObject is in another namespace is 422', async () => {
    const bad = await apiError(() => h.core.listNamespacedEvent({ namespace: 'ci', fieldSelector: 'spec.nope=1' }));
    expect(bad.code).toBe(400);
    expect(bad.status.message).toBe('field label not supported: spec.nope');
    const wrongNs = await apiError(() => h.core.createNamespacedEvent({
      namespace: 'ci', body: { metadata: { name: 'x' }, involvedObject: { kind: 'Deployment', name: 'x', namespace: 'default' }, reason: 'R', message: 'm' },
    }));
    expect(wrongNs.code).toBe(422);
  });

  test('leases: create, AlreadyExists on a second create, replace with the read resourceVersion, 409 on a stale one', async () => {
    const lease: V1Lease = { metadata: { name: 'autoremediator' }, spec: { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: new Date(), renewTime: new Date(), leaseTransitions: 0 } };
    const created = await h.coordination.createNamespacedLease({ namespace: 'default', body: lease });
    const taken = await apiError(() => h.coordination.createNamespacedLease({ namespace: 'default', body: lease }));
    expect(taken.code).toBe(409);
    expect(taken.status).toMatchObject({ reason: 'AlreadyExists', message: 'leases.coordination.k8s.io "autoremediator" already exists' });
    const read = await h.coordination.readNamespacedLease({ namespace: 'default', name: 'autoremediator' });
    expect(read.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
    const renewed = await h.coordination.replaceNamespacedLease({ namespace: 'default', name: 'autoremediator', body: { ...read, spec: { ...read.spec, holderIdentity: 'b', leaseTransitions: 1 } } });
    expect(renewed.spec?.holderIdentity).toBe('b');
    expect(renewed.metadata?.resourceVersion).not.toBe(read.metadata?.resourceVersion);
    const lost = await apiError(() => h.coordination.replaceNamespacedLease({ namespace: 'default', name: 'autoremediator', body: { ...read, spec: { ...read.spec, holderIdentity: 'c' } } }));
    expect(lost.code).toBe(409);
    expect(lost.status.message).toBe('Operation cannot be fulfilled on leases.coordination.k8s.io "autoremediator": the object has been modified; please apply your changes to the latest version and try again');
    expect((await h.coordination.readNamespacedLease({ namespace: 'default', name: 'autoremediator' })).spec?.holderIdentity).toBe('b');
  });
});

describe('watch and seed', () => {
  test('a watch from the list resourceVersion sees the scale of a Deployment as MODIFIED events', async () => {
    const list = await h.apps.listNamespacedDeployment({ namespace: 'ci', fieldSelector: 'metadata.name=ci-failure-agent-consumer' });
    const seen: { phase: string; replicas: number | undefined }[] = [];
    const done = new Promise<unknown>((resolve) => {
      void new Watch(h.kc)
        .watch('/apis/apps/v1/namespaces/ci/deployments', { fieldSelector: 'metadata.name=ci-failure-agent-consumer', resourceVersion: list.metadata!.resourceVersion! },
          (phase, obj: { spec: { replicas: number } }) => seen.push({ phase, replicas: obj.spec.replicas }), resolve)
        .then((abort) => eventually(() => seen.some((e) => e.replicas === 5), 5000, 'a MODIFIED event with 5 replicas').finally(() => abort.abort()));
    });
    await h.apps.patchNamespacedDeploymentScale({ namespace: 'ci', name: 'ci-failure-agent-consumer', body: { spec: { replicas: 5 } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await done;
    expect(seen.every((e) => e.phase === 'MODIFIED')).toBe(true);
    expect(seen.map((e) => e.replicas)).toContain(5);
  });

  test('a watch from a resourceVersion older than the kept history gets a 410 Expired ERROR event', async () => {
    const small = await startHarness({ watchHistoryLimit: 5 });
    try {
      // Seeding alone writes more than five changes, so resourceVersion 1 has fallen out of the history.
      const res = await fetch(`${small.api.url}/apis/apps/v1/namespaces/ci/deployments?watch=true&resourceVersion=1`);
      const line = JSON.parse((await res.text()).trim()) as { type: string; object: { code: number; reason: string } };
      expect(line).toMatchObject({ type: 'ERROR', object: { code: 410, reason: 'Expired' } });
    } finally {
      await small.api.close();
    }
  });

  test('loadSeed() returns the reference workload of DESIGN.md', () => {
    const seed = loadSeed();
    const ids = seed.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
    expect(ids).toEqual([
      'Namespace//default', 'Namespace//ci',
      'Deployment/ci/ci-failure-agent', 'HorizontalPodAutoscaler/ci/ci-failure-agent',
      'Deployment/ci/ci-failure-agent-consumer', 'Deployment/ci/ci-failure-agent-redis', 'Cluster/ci/ci-failure-agent-db',
    ]);
    const agent = seed[2] as unknown as { spec: { replicas: number; template: { spec: { containers: { name: string; resources: unknown }[] } } } };
    expect(agent.spec.replicas).toBe(3);
    expect(agent.spec.template.spec.containers[0]).toMatchObject({
      name: 'ci-failure-agent', resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } },
    });
    expect(seed[3]).toMatchObject({ spec: { minReplicas: 3, maxReplicas: 20, scaleTargetRef: { kind: 'Deployment', name: 'ci-failure-agent' } } });
    expect(seed[6]).toMatchObject({ apiVersion: 'postgresql.cnpg.io/v1', spec: { instances: 2 } });
  });

  test('loadSeed(path) names the file and document of an object without a kind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sandbox-seed-'));
    try {
      const file = join(dir, 'bad.yaml');
      await writeFile(file, 'apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nmetadata: {name: b}\n');
      expect(() => loadSeed(file)).toThrow(`${file}: document 2: not a Kubernetes object`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
