import { ACTION_KINDS } from '../../../src/actions/registry.js';
import type { TargetState } from '../../../src/domain/cluster.js';
import type { TargetOwners } from '../../../src/domain/owners.js';
import { decide, type PlanInput } from '../../../src/planner/decide.js';
import { planChange } from '../../../src/planner/changes.js';
import {
  changedFieldPaths,
  fieldOwnersOf,
  gitOpsOwnerOf,
  ownersVerdict,
  parseTrackingId,
  revertVerdict,
  type ArgoTrackingMethod,
  type ObjectMeta,
} from '../../../src/planner/owners.js';
import type { Rule } from '../../../src/rule-table/rule.js';
import { ruleSchema } from '../../../src/rule-table/schema.js';

const DEPLOY = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: 'ci-failure-agent' };
const HPA = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', namespace: 'ci', name: 'ci-failure-agent' };

describe('gitOpsOwnerOf: the marks Argo CD and Flux put on what they apply', () => {
  test.each<[string, ObjectMeta, typeof DEPLOY, ArgoTrackingMethod, string | null]>([
    // Argo CD's annotation tracking (the default since 3.0), as its docs show it
    ['argo annotation', { annotations: { 'argocd.argoproj.io/tracking-id': 'ci-app:apps/Deployment:ci/ci-failure-agent' } }, DEPLOY, 'annotation', 'argocd Application ci-app'],
    // an Application outside Argo CD's namespace (apps in any namespace): <namespace>_<name>
    ['argo annotation, app in any namespace', { annotations: { 'argocd.argoproj.io/tracking-id': 'team-a_ci-app:apps/Deployment:ci/ci-failure-agent' } }, DEPLOY, 'annotation', 'argocd Application team-a/ci-app'],
    // core group (empty) and the HPA's group
    ['argo annotation on an HPA', { annotations: { 'argocd.argoproj.io/tracking-id': 'ci-app:autoscaling/HorizontalPodAutoscaler:ci/ci-failure-agent' } }, HPA, 'annotation', 'argocd Application ci-app'],
    // a tracking id copied from another object is not tracking (Argo CD ignores it too)
    ['argo annotation naming another object', { annotations: { 'argocd.argoproj.io/tracking-id': 'ci-app:apps/Deployment:ci/other' } }, DEPLOY, 'annotation', null],
    ['argo annotation, wrong kind', { annotations: { 'argocd.argoproj.io/tracking-id': 'ci-app:apps/StatefulSet:ci/ci-failure-agent' } }, DEPLOY, 'annotation', null],
    ['malformed tracking id', { annotations: { 'argocd.argoproj.io/tracking-id': 'ci-app' } }, DEPLOY, 'annotation', null],
    // label tracking counts only when Argo CD tracks by label
    ['instance label, annotation tracking', { labels: { 'app.kubernetes.io/instance': 'ci-app' } }, DEPLOY, 'annotation', null],
    ['instance label, label tracking', { labels: { 'app.kubernetes.io/instance': 'ci-app' } }, DEPLOY, 'label', 'argocd Application ci-app'],
    ['instance label, annotation+label tracking', { labels: { 'app.kubernetes.io/instance': 'ci-app' } }, DEPLOY, 'annotation+label', null],
    // a Helm release sets the same label: not Argo CD's
    ['instance label on a helm release', { labels: { 'app.kubernetes.io/instance': 'ci-app' }, annotations: { 'meta.helm.sh/release-name': 'ci-app' } }, DEPLOY, 'label', null],
    // with label tracking the annotation is not Argo CD's mark
    ['annotation with label tracking', { annotations: { 'argocd.argoproj.io/tracking-id': 'ci-app:apps/Deployment:ci/ci-failure-agent' } }, DEPLOY, 'label', null],
    // Flux: kustomize-controller and helm-controller labels
    ['flux kustomization', { labels: { 'kustomize.toolkit.fluxcd.io/name': 'apps', 'kustomize.toolkit.fluxcd.io/namespace': 'flux-system' } }, DEPLOY, 'annotation', 'flux Kustomization flux-system/apps'],
    ['flux helmrelease', { labels: { 'helm.toolkit.fluxcd.io/name': 'agent', 'helm.toolkit.fluxcd.io/namespace': 'ci' }, annotations: { 'meta.helm.sh/release-name': 'ci-agent' } }, DEPLOY, 'annotation', 'flux HelmRelease ci/agent'],
    ['nothing', { labels: { app: 'x' } }, DEPLOY, 'annotation', null],
    ['no metadata', {}, DEPLOY, 'label', null],
  ])('%s', (_name, meta, object, tracking, want) => {
    const g = gitOpsOwnerOf(meta, object, tracking);
    expect(g ? `${g.tool} ${g.kind} ${g.namespace ? `${g.namespace}/` : ''}${g.name}` : null).toBe(want);
  });

  test('the tracking id of the docs parses', () => {
    expect(parseTrackingId('my-app:apps/Deployment:default/my-deployment')).toEqual({ app: 'my-app', appNamespace: null, group: 'apps', kind: 'Deployment', namespace: 'default', name: 'my-deployment' });
    expect(parseTrackingId('my-app:/ConfigMap:default/cm')).toMatchObject({ group: '', kind: 'ConfigMap' });
  });
});

describe('fieldOwnersOf: managers of the fields an action changes', () => {
  const managed = [
    { manager: 'kubectl-client-side-apply', operation: 'Update', time: '2026-12-01T10:00:00Z', fieldsV1: { 'f:spec': { 'f:replicas': {}, 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:resources': { 'f:limits': {} } } } } } } } },
    { manager: 'autoremediator', operation: 'Update', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
    { manager: 'kube-controller-manager', operation: 'Update', subresource: 'status', fieldsV1: { 'f:status': { 'f:replicas': {} } } },
    { manager: 'argocd-controller', operation: 'Apply', fieldsV1: { 'f:spec': { 'f:minReplicas': {} } } },
  ];
  test.each<[string, string[][], string[]]>([
    ['spec.replicas', [['f:spec', 'f:replicas']], ['kubectl-client-side-apply Update spec.replicas']],
    ['a container\'s resources', [['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"app"}', 'f:resources']], ['kubectl-client-side-apply Update spec.template.spec.containers[{"name":"app"}].resources']],
    ['another container', [['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"sidecar"}', 'f:resources']], []],
    ['HPA bounds', [['f:spec', 'f:minReplicas'], ['f:spec', 'f:maxReplicas']], ['argocd-controller Apply spec.minReplicas']],
    ['nothing asked', [], []],
  ])('%s', (_n, paths, want) => {
    expect(fieldOwnersOf(managed, paths, 'autoremediator').map((f) => `${f.manager} ${f.operation} ${f.fields.join(',')}`)).toEqual(want);
  });

  test('no managedFields', () => expect(fieldOwnersOf(undefined, [['f:spec']], 'autoremediator')).toEqual([]));

  test.each<[string, Parameters<typeof changedFieldPaths>[0], boolean, string]>([
    ['scale', { type: 'scale', minReplicas: 1, maxReplicas: 3, policies: [], selectPolicy: 'Max' }, false, 'f:spec/f:replicas'],
    ['hpa', { type: 'hpa', bound: 'min', ceiling: 9, policies: [], selectPolicy: 'Max' }, false, 'f:spec/f:minReplicas f:spec/f:maxReplicas'],
    ['hpa through KEDA', { type: 'hpa', bound: 'min', ceiling: 9, policies: [], selectPolicy: 'Max' }, true, 'f:spec/f:minReplicaCount f:spec/f:maxReplicaCount'],
  ])('changed fields of %s', (_n, action, keda, want) => {
    expect(changedFieldPaths(action, keda).map((p) => p.join('/')).join(' ')).toBe(want);
  });
});

function rule(over: Record<string, unknown> = {}): Rule {
  const spec = ruleSchema.parse({
    name: 'queue-add-consumers',
    matchers: ['alertname="QueueDepthHigh"'],
    target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: 'consumer' },
    action: { type: 'scale', minReplicas: 2, maxReplicas: 12, policies: [{ type: 'Pods', value: 2, periodSeconds: 120 }] },
    ...over,
  });
  return { ...spec, source: { file: 'test.yaml', index: 0 }, compiled: [] };
}

const ARGO: TargetOwners = {
  object: 'Deployment ci/consumer',
  gitops: { tool: 'argocd', kind: 'Application', namespace: 'argocd', name: 'ci-app', via: 'annotation argocd.argoproj.io/tracking-id=ci-app:apps/Deployment:ci/consumer' },
  fieldOwners: [],
};
const KUBECTL: TargetOwners = { object: 'Deployment ci/consumer', gitops: null, fieldOwners: [{ manager: 'kubectl-edit', operation: 'Update', fields: ['spec.replicas'], time: null }] };

function state(owners?: TargetOwners): TargetState {
  return { found: true, replicas: 2, hpa: null, containers: [], maxmemory: null, paused: false, resourceVersion: '1', ...(owners ? { owners } : {}) };
}

function input(over: Partial<PlanInput>): PlanInput {
  const r = over.rule ?? rule();
  return {
    alert: { status: 'firing', labels: { alertname: 'QueueDepthHigh' }, annotations: {}, startsAt: '2026-11-28T11:59:00Z' },
    rule: r,
    target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: 'consumer' },
    action: r.action,
    state: state(),
    history: [],
    actionsInWindow: { namespace: 0, global: 0 },
    breakerOpen: false,
    now: new Date('2026-11-28T12:00:00Z'),
    settings: { dryRun: false, allowedNamespaces: ['ci'], budgets: { namespace: { max: 5, windowMs: 600_000 }, global: { max: 20, windowMs: 600_000 } } },
    ...over,
    kinds: over.kinds ?? ACTION_KINDS,
  };
}

describe('owners in the decision (ownersVerdict through decide)', () => {
  test.each<[string, Partial<PlanInput>, string, RegExp]>([
    ['Argo CD manages it: skip naming the Application', { state: state(ARGO) }, 'gitops-managed', /managed by Argo CD Application argocd\/ci-app \(annotation argocd\.argoproj\.io\/tracking-id=/],
    ['opted in: acts, says so and watches', { rule: rule({ owners: { gitops: 'act' } }), state: state(ARGO) }, 'act', /rule queue-add-consumers acts anyway \(owners\.gitops: act\) and validation checks that the change was not reverted/],
    ['explicit skip', { rule: rule({ owners: { gitops: 'skip' } }), state: state(ARGO) }, 'gitops-managed', /owners\.gitops: act/],
    ['another field manager: acts and says who', { state: state(KUBECTL) }, 'act', /Field manager kubectl-edit \(Update\) also owns spec\.replicas of Deployment ci\/consumer\./],
    ['no owners read: unchanged', { state: state() }, 'act', /^Scale ci\/deployment\/consumer from 2 to 4 replicas: [^.]*\)\.$/],
    // order: state-unavailable and target-not-found come first
    ['cluster unreadable', { state: null, stateError: 'x' }, 'state-unavailable', /Could not read/],
    ['target missing', { state: { found: false, detail: 'gone' } }, 'target-not-found', /not found/],
    // gitops-managed comes before what the change would be (at-bound …)
    ['before at-bound', { state: { ...state(ARGO), replicas: 12 } as TargetState }, 'gitops-managed', /Argo CD/],
    // dry-run says who else manages it too
    ['dry-run, field manager', { rule: rule({ dryRun: true }), state: state(KUBECTL) }, 'dry-run', /Field manager kubectl-edit/],
  ])('%s', (_n, over, want, explanation) => {
    const d = decide(input(over));
    expect(d.outcome === 'act' ? 'act' : d.reason).toBe(want);
    expect(d.explanation).toMatch(explanation);
  });

  test('the facts carry the owners, and the watch only when opted in', () => {
    const acted = decide(input({ rule: rule({ owners: { gitops: 'act' } }), state: state(ARGO) }));
    expect(acted.facts).toMatchObject({ owners: ARGO, revertWatch: true });
    const plain = decide(input({ state: state(KUBECTL) }));
    expect(plain.facts.owners).toEqual(KUBECTL);
    expect(plain.facts.revertWatch).toBeUndefined();
  });

  test('ownersVerdict is null when nothing was read', () => {
    expect(ownersVerdict({ rule: rule(), target: DEPLOY, state: state() })).toBeNull();
    expect(ownersVerdict({ rule: rule(), target: DEPLOY, state: null })).toBeNull();
  });
});

describe('revertVerdict: did the GitOps owner put the change back?', () => {
  const facts = { owners: ARGO, revertWatch: true };
  test.each<[string, Record<string, unknown>, boolean | 'unknown' | null, boolean]>([
    ['live state no longer shows the change', facts, false, true],
    ['live state shows the change', facts, true, false],
    ['live state unreadable: not a revert', facts, null, false],
    ['kind cannot tell: not a revert', facts, 'unknown', false],
    ['no watch (not opted in)', { owners: ARGO }, false, false],
  ])('%s', (_n, f, showsAfter, reverted) => {
    const v = revertVerdict({ facts: f, after: { replicas: 4 }, showsAfter, state: state() });
    expect(v.reverted).toBe(reverted);
    if (v.reverted) {
      expect(v.reason).toBe('reverted-by-owner');
      expect(v.note).toBe('reverted by Argo CD Application argocd/ci-app: applied {"replicas":4}, the live state shows {"replicas":2}; the owner does not ignore the field (see the README, "GitOps owners")');
    }
  });
});

describe('KEDA: a ScaledObject\'s bounds stand for its HPA in the plan', () => {
  test('the summary names the ScaledObject and its fields', () => {
    const r = rule({ action: { type: 'hpa', bound: 'min', ceiling: 10, policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] } });
    const plan = planChange({
      action: r.action,
      target: DEPLOY,
      state: { found: true, replicas: 1, hpa: { name: 'keda-hpa-agent', minReplicas: 1, maxReplicas: 8, currentReplicas: 1, scaledObject: 'agent' }, containers: [], maxmemory: null, paused: false, resourceVersion: '1' },
      targetHistory: [],
      now: new Date(),
    }, ACTION_KINDS);
    expect(plan).toMatchObject({ outcome: 'change', before: { minReplicas: 1, maxReplicas: 8 }, after: { minReplicas: 3, maxReplicas: 8 } });
    expect(plan.outcome === 'change' && plan.summary).toBe('raise ScaledObject agent (KEDA, owner of HPA keda-hpa-agent) of ci/deployment/ci-failure-agent: minReplicaCount 1→3');
  });
});
