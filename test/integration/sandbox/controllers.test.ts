// The simulated controllers, driven tick by tick on a manual clock so that every
// intermediate state a real cluster passes through can be asserted.
import type { V1Deployment, V1ReplicaSet } from '@kubernetes/client-node';
import { ManualClock, READY_DELAY_MS, rolloutStatus, startHarness, type Harness } from './helpers.js';

const clock = new ManualClock();
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clock: clock.now, tickMs: 3_600_000 });
  await h.core.createNamespace({ body: { metadata: { name: 'ctl' } } });
});
afterAll(async () => {
  await h.api.close();
});

function step(ms = READY_DELAY_MS): void {
  clock.advance(ms);
  h.api.tick();
}

function settle(): void {
  for (let i = 0; i < 12; i++) step();
}

async function createDeployment(name: string, replicas: number, extra: Partial<NonNullable<V1Deployment['spec']>> = {}): Promise<void> {
  const labels = { app: name };
  await h.apps.createNamespacedDeployment({
    namespace: 'ctl',
    body: {
      metadata: { name },
      spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'app:1' }] } }, ...extra },
    },
  });
}

const read = (name: string) => h.apps.readNamespacedDeployment({ namespace: 'ctl', name });
const replicaSets = async (app: string): Promise<V1ReplicaSet[]> => (await h.apps.listNamespacedReplicaSet({ namespace: 'ctl', labelSelector: `app=${app}` })).items;
const revisionOf = (o: { metadata?: { annotations?: Record<string, string> } }) => o.metadata?.annotations?.['deployment.kubernetes.io/revision'];

test('a new Deployment gets a ReplicaSet at revision 1, owned by it, with pod-template-hash on the RS and its pods', async () => {
  await createDeployment('first', 2);
  h.api.tick();
  const [rs] = await replicaSets('first');
  const d = await read('first');
  expect(revisionOf(rs!)).toBe('1');
  expect(revisionOf(d)).toBe('1');
  expect(rs!.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'Deployment', name: 'first', uid: d.metadata?.uid, controller: true })]);
  const hash = rs!.metadata?.labels?.['pod-template-hash'];
  expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
  expect(rs!.metadata?.name).toBe(`first-${hash}`);
  expect(rs!.spec?.selector.matchLabels).toEqual({ app: 'first', 'pod-template-hash': hash });
  const pods = (await h.core.listNamespacedPod({ namespace: 'ctl', labelSelector: 'app=first' })).items;
  expect(pods.map((p) => p.metadata?.labels?.['pod-template-hash'])).toEqual([hash, hash]);
});

test('pods become Ready readyDelayMs after they are created, not before', async () => {
  await createDeployment('ready', 2);
  h.api.tick();
  const ready = async () => (await h.core.listNamespacedPod({ namespace: 'ctl', labelSelector: 'app=ready' })).items
    .map((p) => p.status?.conditions?.find((c) => c.type === 'Ready')?.status);
  expect(await ready()).toEqual(['False', 'False']);
  expect(rolloutStatus(await read('ready'))).toBe('waiting: updated replicas available');
  step(READY_DELAY_MS - 1);
  expect(await ready()).toEqual(['False', 'False']);
  step(1);
  expect(await ready()).toEqual(['True', 'True']);
  const d = await read('ready');
  expect(d.status).toMatchObject({ replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: 1 });
  expect(rolloutStatus(d)).toBe('done');
  expect(d.status?.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual(expect.arrayContaining([
    ['Available', 'True', 'MinimumReplicasAvailable'],
    ['Progressing', 'True', 'NewReplicaSetAvailable'],
  ]));
});

test('a template change rolls out a ReplicaSet at revision 2 and scales the old one to 0', async () => {
  await createDeployment('roll', 4);
  settle();
  const before = await read('roll');
  await h.apps.patchNamespacedDeployment({ namespace: 'ctl', name: 'roll', body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'app:2' }] });
  expect(rolloutStatus(await read('roll'))).toBe('waiting: spec update to be observed');
  h.api.tick();
  const seen: string[] = [rolloutStatus(await read('roll'))];
  for (let i = 0; i < 20 && seen[seen.length - 1] !== 'done'; i++) {
    step();
    seen.push(rolloutStatus(await read('roll')));
  }
  expect(seen[0]).toMatch(/^waiting/);
  expect(seen[seen.length - 1]).toBe('done');
  const sets = await replicaSets('roll');
  const byRevision = Object.fromEntries(sets.map((rs) => [revisionOf(rs), rs.spec?.replicas]));
  expect(byRevision).toEqual({ 1: 0, 2: 4 });
  const after = await read('roll');
  expect(revisionOf(after)).toBe('2');
  expect(after.metadata?.generation).toBe((before.metadata?.generation ?? 0) + 1);
  const images = (await h.core.listNamespacedPod({ namespace: 'ctl', labelSelector: 'app=roll' })).items.map((p) => p.spec?.containers[0]?.image);
  expect(images).toEqual(['app:2', 'app:2', 'app:2', 'app:2']);
});

test('an undo as kubectl does it (JSON Patch of the old template) re-uses the old ReplicaSet as revision 3', async () => {
  const sets = await replicaSets('roll');
  const old = sets.find((rs) => revisionOf(rs) === '1')!;
  const template = JSON.parse(JSON.stringify(old.spec!.template)) as { metadata: { labels: Record<string, string> } };
  delete template.metadata.labels['pod-template-hash'];
  await h.apps.patchNamespacedDeployment({ namespace: 'ctl', name: 'roll', body: [{ op: 'replace', path: '/spec/template', value: template }] });
  settle();
  const after = await replicaSets('roll');
  expect(after).toHaveLength(2);
  const reused = after.find((rs) => rs.metadata?.uid === old.metadata?.uid)!;
  expect(revisionOf(reused)).toBe('3');
  expect(reused.metadata?.annotations?.['deployment.kubernetes.io/revision-history']).toBe('1');
  expect(reused.spec?.replicas).toBe(4);
  expect(rolloutStatus(await read('roll'))).toBe('done');
});

test('a paused Deployment does not roll out a template change until resumed', async () => {
  await createDeployment('paused', 1);
  settle();
  await h.apps.patchNamespacedDeployment({ namespace: 'ctl', name: 'paused', body: [
    { op: 'add', path: '/spec/paused', value: true },
    { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'app:2' },
  ] });
  settle();
  expect(await replicaSets('paused')).toHaveLength(1);
  const progressing = (await read('paused')).status?.conditions?.find((c) => c.type === 'Progressing');
  expect([progressing?.status, progressing?.reason]).toEqual(['Unknown', 'DeploymentPaused']);
  await h.apps.patchNamespacedDeployment({ namespace: 'ctl', name: 'paused', body: [{ op: 'replace', path: '/spec/paused', value: false }] });
  settle();
  expect((await replicaSets('paused')).map(revisionOf).sort()).toEqual(['1', '2']);
  expect(rolloutStatus(await read('paused'))).toBe('done');
});

test('a rollout without progress for progressDeadlineSeconds reports ProgressDeadlineExceeded', async () => {
  await createDeployment('stuck', 1, { progressDeadlineSeconds: 30 });
  settle();
  h.api.faults.neverReady('ctl', 'stuck');
  await h.apps.patchNamespacedDeployment({ namespace: 'ctl', name: 'stuck', body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'app:2' }] });
  settle();
  expect(rolloutStatus(await read('stuck'))).toMatch(/^waiting/);
  step(31_000);
  const d = await read('stuck');
  const progressing = d.status?.conditions?.find((c) => c.type === 'Progressing');
  expect([progressing?.status, progressing?.reason]).toEqual(['False', 'ProgressDeadlineExceeded']);
  expect(progressing?.message).toMatch(/^ReplicaSet "stuck-[a-z0-9]+" has timed out progressing\.$/);
  expect(rolloutStatus(d)).toBe('error: exceeded its progress deadline');
  h.api.faults.clear();
});

test('the HPA undoes a direct scale outside [minReplicas, maxReplicas] and records why', async () => {
  settle();
  for (const [asked, clamped, reason] of [[25, 20, 'above Spec.MaxReplicas'], [1, 3, 'below Spec.MinReplicas']] as const) {
    await h.apps.replaceNamespacedDeploymentScale({ namespace: 'ci', name: 'ci-failure-agent', body: { metadata: { name: 'ci-failure-agent' }, spec: { replicas: asked } } });
    expect((await h.apps.readNamespacedDeploymentScale({ namespace: 'ci', name: 'ci-failure-agent' })).spec?.replicas).toBe(asked);
    h.api.tick();
    expect((await h.apps.readNamespacedDeploymentScale({ namespace: 'ci', name: 'ci-failure-agent' })).spec?.replicas).toBe(clamped);
    const hpa = await h.autoscaling.readNamespacedHorizontalPodAutoscaler({ namespace: 'ci', name: 'ci-failure-agent' });
    expect(hpa.status?.desiredReplicas).toBe(clamped);
    const events = await h.core.listNamespacedEvent({ namespace: 'ci', fieldSelector: 'involvedObject.kind=HorizontalPodAutoscaler,reason=SuccessfulRescale' });
    expect(events.items.map((e) => e.message)).toContain(`New size: ${clamped}; reason: Current number of replicas ${reason}`);
  }
  settle();
  const hpa = await h.autoscaling.readNamespacedHorizontalPodAutoscaler({ namespace: 'ci', name: 'ci-failure-agent' });
  expect(hpa.status?.currentReplicas).toBe(3);
});

test('a StatefulSet reports readyReplicas and moves currentRevision to updateRevision after a template change', async () => {
  const labels = { app: 'zk' };
  await h.apps.createNamespacedStatefulSet({
    namespace: 'ctl',
    body: { metadata: { name: 'zk' }, spec: { replicas: 2, serviceName: 'zk', selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'zk', image: 'zk:1' }] } } } },
  });
  h.api.tick();
  expect((await h.apps.readNamespacedStatefulSet({ namespace: 'ctl', name: 'zk' })).status?.readyReplicas).toBe(0);
  settle();
  const first = (await h.apps.readNamespacedStatefulSet({ namespace: 'ctl', name: 'zk' })).status!;
  expect(first).toMatchObject({ replicas: 2, readyReplicas: 2 });
  expect(first.currentRevision).toBe(first.updateRevision);
  await h.apps.patchNamespacedStatefulSet({ namespace: 'ctl', name: 'zk', body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'zk:2' }] });
  h.api.tick();
  const rolling = (await h.apps.readNamespacedStatefulSet({ namespace: 'ctl', name: 'zk' })).status!;
  expect(rolling.updateRevision).not.toBe(first.updateRevision);
  expect(rolling.currentRevision).toBe(first.currentRevision);
  settle();
  const done = (await h.apps.readNamespacedStatefulSet({ namespace: 'ctl', name: 'zk' })).status!;
  expect(done).toMatchObject({ replicas: 2, readyReplicas: 2, updatedReplicas: 2, currentRevision: rolling.updateRevision, observedGeneration: 2 });
});

test('a CNPG Cluster reports readyInstances only after its instances are ready', async () => {
  const target = { group: 'postgresql.cnpg.io', version: 'v1', namespace: 'ctl', plural: 'clusters', name: 'pg' };
  await h.custom.createNamespacedCustomObject({ ...target, body: { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name: 'pg' }, spec: { instances: 3 } } });
  h.api.tick();
  const status = async () => ((await h.custom.getNamespacedCustomObject(target)) as { status: Record<string, unknown> }).status;
  expect(await status()).toMatchObject({ instances: 3, readyInstances: 0, currentPrimary: 'pg-1' });
  settle();
  expect(await status()).toMatchObject({ instances: 3, readyInstances: 3, phase: 'Cluster in healthy state', instanceNames: ['pg-1', 'pg-2', 'pg-3'] });
});
