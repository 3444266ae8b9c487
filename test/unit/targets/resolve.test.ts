/**
 * The pure resolution: the objects read (as a real API server returns them: ownerReferences with
 * controller: true and the owner's uid, scaleTargetRef) give the chain and the verdict.
 */
import type { TargetRef } from '../../../src/domain/target.js';
import type { ActionType } from '../../../src/rule-table/schema.js';
import { describeChain, resolveStep, type ObjectLike, type ReadResult } from '../../../src/targets/resolve.js';
import { newestRevisionVerdict } from '../../../src/targets/revision.js';

const ns = 'ci';
const ref = (apiVersion: string, kind: string, name: string): TargetRef => ({ apiVersion, kind, namespace: ns, name });
const POD = ref('v1', 'Pod', 'ci-failure-agent-6f7c9d8b5-2xk4p');
const RS = ref('apps/v1', 'ReplicaSet', 'ci-failure-agent-6f7c9d8b5');
const DEP = ref('apps/v1', 'Deployment', 'ci-failure-agent');
const STS = ref('apps/v1', 'StatefulSet', 'redis');
const HPA = ref('autoscaling/v2', 'HorizontalPodAutoscaler', 'ci-failure-agent');

const owner = (apiVersion: string, kind: string, name: string, uid: string, controller = true) => ({ apiVersion, kind, name, uid, controller, blockOwnerDeletion: true });
const obj = (name: string, uid: string, extra: Partial<NonNullable<ObjectLike['metadata']>> = {}, spec?: unknown): ObjectLike => ({ metadata: { name, namespace: ns, uid, ...extra }, ...(spec ? { spec } : {}) });

const objects = new Map<string, ObjectLike | null>([
  [`Pod/${POD.name}`, obj(POD.name, 'pod-1', { ownerReferences: [owner('apps/v1', 'ReplicaSet', RS.name, 'rs-1')] })],
  [`ReplicaSet/${RS.name}`, obj(RS.name, 'rs-1', { ownerReferences: [owner('apps/v1', 'Deployment', DEP.name, 'dep-1')] })],
  [`Deployment/${DEP.name}`, obj(DEP.name, 'dep-1')],
  ['Pod/redis-0', obj('redis-0', 'pod-2', { ownerReferences: [owner('apps/v1', 'StatefulSet', 'redis', 'sts-1')] })],
  ['StatefulSet/redis', obj('redis', 'sts-1')],
  ['Pod/bare', obj('bare', 'pod-3')],
  ['Pod/only-non-controller-owner', obj('only-non-controller-owner', 'pod-4', { ownerReferences: [owner('apps/v1', 'ReplicaSet', RS.name, 'rs-1', false)] })],
  ['Pod/node-exporter-x', obj('node-exporter-x', 'pod-5', { ownerReferences: [owner('apps/v1', 'DaemonSet', 'node-exporter', 'ds-1')] })],
  ['Pod/stale-owner', obj('stale-owner', 'pod-6', { ownerReferences: [owner('apps/v1', 'ReplicaSet', RS.name, 'rs-OLD')] })],
  ['Pod/orphan-rs-pod', obj('orphan-rs-pod', 'pod-7', { ownerReferences: [owner('apps/v1', 'ReplicaSet', 'bare-rs', 'rs-2')] })],
  ['ReplicaSet/bare-rs', obj('bare-rs', 'rs-2')],
  ['Pod/gone-rs-pod', obj('gone-rs-pod', 'pod-8', { ownerReferences: [owner('apps/v1', 'ReplicaSet', 'deleted-rs', 'rs-3')] })],
  ['ReplicaSet/deleted-rs', null],
  ['Pod/db-1', obj('db-1', 'pod-9', { ownerReferences: [owner('postgresql.cnpg.io/v1', 'Cluster', 'db', 'cl-1')] })],
  ['Cluster/db', obj('db', 'cl-1')],
  [`HorizontalPodAutoscaler/${HPA.name}`, obj(HPA.name, 'hpa-1', {}, { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: DEP.name }, minReplicas: 3, maxReplicas: 20 })],
  ['HorizontalPodAutoscaler/no-apiversion', obj('no-apiversion', 'hpa-2', {}, { scaleTargetRef: { kind: 'StatefulSet', name: 'redis' } })],
  ['HorizontalPodAutoscaler/to-missing', obj('to-missing', 'hpa-3', {}, { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'gone' } })],
  ['Deployment/gone', null],
  ['Pod/missing', null],
]);

/** Drive the pure step function over the table of objects, as the reader drives it over the API. */
function resolve(start: TargetRef, action: ActionType = 'hpa') {
  const reads: ReadResult[] = [];
  for (let i = 0; i < 10; i++) {
    const step = resolveStep(start, reads, action);
    if (step.outcome !== 'read') return { ...step, reads: reads.map((r) => `${r.ref.kind}/${r.ref.name}`) };
    const o = objects.get(`${step.ref.kind}/${step.ref.name}`);
    if (o === undefined) throw new Error(`the test table has no ${step.ref.kind}/${step.ref.name}`);
    reads.push({ ref: step.ref, object: o });
  }
  throw new Error('no verdict after 10 reads');
}

describe('resolveStep: the chain and the verdict from the objects read', () => {
  test.each<[string, TargetRef, ActionType, string]>([
    ['pod → ReplicaSet → Deployment', POD, 'hpa', 'pod ci/ci-failure-agent-6f7c9d8b5-2xk4p → ReplicaSet ci/ci-failure-agent-6f7c9d8b5 → Deployment ci/ci-failure-agent'],
    ['pod → StatefulSet', ref('v1', 'Pod', 'redis-0'), 'resources', 'pod ci/redis-0 → StatefulSet ci/redis'],
    ['pod → custom controller (CloudNativePG Cluster)', ref('v1', 'Pod', 'db-1'), 'scale', 'pod ci/db-1 → Cluster ci/db'],
    ['HPA → its scaleTargetRef', HPA, 'hpa', 'HorizontalPodAutoscaler ci/ci-failure-agent → Deployment ci/ci-failure-agent'],
    ['HPA → scaleTargetRef without apiVersion (apps/v1 kinds)', ref('autoscaling/v2', 'HorizontalPodAutoscaler', 'no-apiversion'), 'hpa', 'HorizontalPodAutoscaler ci/no-apiversion → StatefulSet ci/redis'],
  ])('resolved: %s', (_name, start, action, chain) => {
    const r = resolve(start, action);
    expect(r.outcome).toBe('resolved');
    expect(describeChain(r.chain)).toBe(chain);
    if (r.outcome === 'resolved') expect(r.target).toEqual(r.chain[r.chain.length - 1]!.ref);
  });

  test.each<[string, TargetRef, ActionType, string]>([
    ['the pod is gone', ref('v1', 'Pod', 'missing'), 'hpa', 'pod ci/missing: the Pod the alert names was not found'],
    ['a bare pod', ref('v1', 'Pod', 'bare'), 'hpa', 'pod ci/bare: the pod has no controller (a bare pod): there is no workload to act on'],
    ['an owner that is not the controller', ref('v1', 'Pod', 'only-non-controller-owner'), 'hpa', 'pod ci/only-non-controller-owner: the pod has no controller (a bare pod): there is no workload to act on'],
    ['a DaemonSet pod', ref('v1', 'Pod', 'node-exporter-x'), 'resources', 'pod ci/node-exporter-x: the pod is controlled by DaemonSet node-exporter; only pods of a Deployment (through its ReplicaSet), a StatefulSet or a custom resource\'s controller are followed'],
    ['an ownerReference to a re-created ReplicaSet', ref('v1', 'Pod', 'stale-owner'), 'hpa', 'pod ci/stale-owner → ReplicaSet ci/ci-failure-agent-6f7c9d8b5: the ReplicaSet has uid rs-1, not the uid rs-OLD its ownerReference names (it was deleted and created again)'],
    ['a ReplicaSet no Deployment owns', ref('v1', 'Pod', 'orphan-rs-pod'), 'hpa', 'pod ci/orphan-rs-pod → ReplicaSet ci/bare-rs: the ReplicaSet has no controlling Deployment (a bare ReplicaSet)'],
    ['the ReplicaSet is gone', ref('v1', 'Pod', 'gone-rs-pod'), 'hpa', 'pod ci/gone-rs-pod → ReplicaSet ci/deleted-rs: the ReplicaSet was not found'],
    ['the HPA scales a Deployment that is gone', ref('autoscaling/v2', 'HorizontalPodAutoscaler', 'to-missing'), 'hpa', 'HorizontalPodAutoscaler ci/to-missing → Deployment ci/gone: the Deployment was not found'],
    ['undo on a StatefulSet found from its pod', ref('v1', 'Pod', 'redis-0'), 'undo', 'pod ci/redis-0 → StatefulSet ci/redis: the workload cannot carry an undo action: rollout undo is implemented for apps/v1 Deployments only, not apps/v1 StatefulSet'],
  ])('unresolved: %s', (_name, start, action, message) => {
    const r = resolve(start, action);
    expect(r).toMatchObject({ outcome: 'unresolved', message });
  });

  test('reads one object per hop, in order, and no more', () => {
    expect(resolve(POD).reads).toEqual([`Pod/${POD.name}`, `ReplicaSet/${RS.name}`, `Deployment/${DEP.name}`]);
    expect(resolve(ref('v1', 'Pod', 'bare')).reads).toEqual(['Pod/bare']);
  });
});

describe('newestRevisionVerdict: did the crash start with the newest revision?', () => {
  const rolledOut = '2026-12-06T01:00:00Z';
  const chainFor = (podRevision: string | undefined, newest: string | undefined, created: string | undefined = rolledOut) => {
    const reads: ReadResult[] = [
      { ref: POD, object: objects.get(`Pod/${POD.name}`)! },
      { ref: RS, object: obj(RS.name, 'rs-1', { ownerReferences: [owner('apps/v1', 'Deployment', DEP.name, 'dep-1')], ...(created ? { creationTimestamp: created } : {}), annotations: podRevision ? { 'deployment.kubernetes.io/revision': podRevision } : {} }) },
      { ref: DEP, object: obj(DEP.name, 'dep-1', { annotations: newest ? { 'deployment.kubernetes.io/revision': newest } : {} }) },
    ];
    const step = resolveStep(POD, reads, 'undo');
    if (step.outcome !== 'resolved') throw new Error(JSON.stringify(step));
    return step;
  };
  const HOUR = 3_600_000;

  test.each<[string, string | undefined, string | undefined, string, boolean, RegExp]>([
    ['the pod runs the newest revision, crash 4m after its rollout', '2', '2', '2026-12-06T01:04:00Z', true, /^the crash started 4m after revision 2 rolled out \(ReplicaSet ci\/ci-failure-agent-6f7c9d8b5\)$/],
    ['the pod runs an older revision (a rollout under way)', '1', '2', '2026-12-06T01:04:00Z', false, /^the crash did not start with the newest revision: pod ci\/\S+ runs revision 1 \(ReplicaSet ci\/\S+\), the newest of Deployment ci\/ci-failure-agent is 2/],
    ['the newest revision ran for a day before crashing', '2', '2', '2026-12-07T01:00:00Z', false, /^the crash did not start with the newest revision: it started 1d after revision 2 rolled out \(2026-12-06T01:00:00.000Z\), more than the rule's 1h/],
    ['the crash started before the rollout', '2', '2', '2026-12-06T00:59:00Z', false, /before revision 2 rolled out/],
    ['the first revision: nothing to go back to', '1', '1', '2026-12-06T01:04:00Z', false, /runs revision 1 of Deployment ci\/ci-failure-agent, its first: there is no earlier revision/],
    ['no revision annotations', undefined, '2', '2026-12-06T01:04:00Z', false, /the revisions are not known/],
  ])('%s', (_name, podRevision, newest, startsAt, ok, detail) => {
    const step = chainFor(podRevision, newest);
    const v = newestRevisionVerdict({ chain: step.chain, objects: step.objects, startsAt, withinMs: HOUR });
    expect(v.ok).toBe(ok);
    expect(v.ok ? v.detail : v.message).toMatch(detail);
  });

  test('a pod of a StatefulSet has no Deployment revision', () => {
    const reads: ReadResult[] = [
      { ref: ref('v1', 'Pod', 'redis-0'), object: objects.get('Pod/redis-0')! },
      { ref: STS, object: objects.get('StatefulSet/redis')! },
    ];
    const step = resolveStep(ref('v1', 'Pod', 'redis-0'), reads, 'scale');
    if (step.outcome !== 'resolved') throw new Error('expected resolved');
    expect(newestRevisionVerdict({ chain: step.chain, objects: step.objects, startsAt: rolledOut, withinMs: HOUR })).toMatchObject({ ok: false, message: /not a pod of a Deployment/ });
  });
});
