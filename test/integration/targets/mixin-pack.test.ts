/**
 * The kubernetes-mixin pack (rules/kubernetes-mixin/) acts on mixin-shaped alerts - labels exactly
 * as kube-prometheus-stack sends them, posted as Alertmanager webhook bodies to the app's HTTP
 * intake - against the sandbox API server, read and written over HTTP by the real client: each
 * alert reaches the workload it is about (found from the pod or the HPA it names, never from the
 * kube-state-metrics pod that an HPA alert also carries), and the decisions say how.
 */
import { join } from 'node:path';
import request from 'supertest';
import type { Remediation } from '../../../src/domain/remediation.js';
import { ADMIN_TOKEN, WEBHOOK_TOKEN, buildTestApp, settle, type TestApp } from '../../helpers/app.js';
import { REPO_ROOT, fixture } from '../../helpers/fixtures.js';
import { fingerprint, mixinLabels, webhookBody } from '../../helpers/mixin-alerts.js';
import { startSandboxCluster, type SandboxCluster } from '../../helpers/sandbox.js';

type Obj = { metadata: { name: string; uid: string; annotations?: Record<string, string>; ownerReferences?: Array<{ kind: string; name: string; uid: string; controller?: boolean }> }; spec: Record<string, unknown> };

const auth = { Authorization: `Bearer ${WEBHOOK_TOKEN}`, 'Content-Type': 'application/json' };
const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

describe('the kubernetes-mixin pack against the sandbox', () => {
  let s: SandboxCluster;
  let t: TestApp;

  beforeEach(async () => {
    s = await startSandboxCluster();
    t = await buildTestApp({ cluster: s.cluster, env: { RULES_DIR: join(REPO_ROOT, 'rules', 'kubernetes-mixin'), READINESS_POLL_MS: '20' } });
  });
  afterEach(async () => {
    await t.close();
    await s.close();
  });

  const KINDS: Record<string, [string, string]> = {
    deployments: ['apps/v1', 'Deployment'],
    replicasets: ['apps/v1', 'ReplicaSet'],
    pods: ['v1', 'Pod'],
    horizontalpodautoscalers: ['autoscaling/v2', 'HorizontalPodAutoscaler'],
  };
  const get = (plural: string, name: string, ns = 'ci') => s.api.get(KINDS[plural]![0], KINDS[plural]![1], ns, name) as unknown as Obj;
  const list = (plural: string, ns = 'ci') => s.api.list(KINDS[plural]![0], KINDS[plural]![1], ns) as unknown as Obj[];
  async function post(body: string): Promise<void> {
    await request(t.app.http).post('/api/v1/alerts').set(auth).send(body).expect(202);
    await settle(t.app, 15_000);
  }
  async function decisions(rule: string): Promise<Remediation[]> {
    const res = await request(t.app.http).get('/api/v1/remediations?limit=100').set(admin).expect(200);
    return (res.body as { items: Remediation[] }).items.filter((r) => r.rule === rule);
  }
  /** The pods of a Deployment's newest ReplicaSet, as the sandbox's controllers made them. */
  function podsOf(deployment: string): { rs: Obj; pods: Obj[] } {
    const dep = get('deployments', deployment);
    const revision = dep.metadata.annotations?.['deployment.kubernetes.io/revision'];
    const rs = list('replicasets').find((r) => r.metadata.ownerReferences?.some((o) => o.uid === dep.metadata.uid && o.controller) && r.metadata.annotations?.['deployment.kubernetes.io/revision'] === revision)!;
    const pods = list('pods').filter((p) => p.metadata.ownerReferences?.some((o) => o.uid === rs.metadata.uid && o.controller === true && o.kind === 'ReplicaSet'));
    return { rs, pods };
  }
  async function waitFor(what: string, cond: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
    if (!cond()) throw new Error(`timed out waiting for ${what}`);
  }

  test('the fingerprint helper computes what Alertmanager computed for a captured alert', () => {
    const body = JSON.parse(fixture('firing-HighMemoryUsage').toString('utf8')) as { alerts: Array<{ labels: Record<string, string>; fingerprint: string }> };
    expect(fingerprint(body.alerts[0]!.labels)).toBe(body.alerts[0]!.fingerprint);
  });

  test('the sandbox gives pods the ownerReferences a real cluster gives: pod → ReplicaSet → Deployment, controller: true, with uids', () => {
    const { rs, pods } = podsOf('ci-failure-agent');
    expect(pods.length).toBeGreaterThan(0);
    expect(rs.metadata.ownerReferences).toEqual([expect.objectContaining({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'ci-failure-agent', uid: get('deployments', 'ci-failure-agent').metadata.uid, controller: true })]);
    expect(pods[0]!.metadata.ownerReferences).toEqual([expect.objectContaining({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid, controller: true })]);
  });

  test('KubeHpaMaxedOut: the HPA it names has its maxReplicas raised, not the kube-state-metrics pod the alert also carries', async () => {
    await post(webhookBody(mixinLabels.KubeHpaMaxedOut('ci', 'ci-failure-agent')));
    const [rem] = await decisions('mixin-hpa-maxed-out');
    expect(rem).toMatchObject({ rule: 'mixin-hpa-maxed-out', targetKey: 'ci/deployment/ci-failure-agent', decision: { outcome: 'act', before: { minReplicas: 3, maxReplicas: 20 }, after: { minReplicas: 3, maxReplicas: 24 } } });
    expect(rem!.decision.explanation).toContain('Target found from the alert: HorizontalPodAutoscaler ci/ci-failure-agent → Deployment ci/ci-failure-agent.');
    expect((get('horizontalpodautoscalers', 'ci-failure-agent').spec as { maxReplicas: number }).maxReplicas).toBe(24);
  });

  test('KubePodCrashLooping on a pod of the newest revision, rolled out just before: rollout undo to the previous template', async () => {
    const before = get('deployments', 'ci-failure-agent-consumer');
    const oldImage = (before.spec.template as { spec: { containers: Array<{ image: string }> } }).spec.containers[0]!.image;
    // A bad rollout: revision 2 with a new image.
    s.api.put({ ...before, spec: { ...before.spec, template: { ...(before.spec.template as object), spec: { containers: [{ ...(before.spec.template as { spec: { containers: object[] } }).spec.containers[0], image: 'registry.example/ci-failure-agent:1.1.0-broken' }] } } } } as never);
    await waitFor('revision 2 pods', () => {
      s.api.tick();
      const { rs, pods } = podsOf('ci-failure-agent-consumer');
      return rs?.metadata.annotations?.['deployment.kubernetes.io/revision'] === '2' && pods.length > 0;
    });
    const { rs, pods } = podsOf('ci-failure-agent-consumer');
    await post(webhookBody(mixinLabels.KubePodCrashLooping('ci', pods[0]!.metadata.name, 'consumer')));
    const [rem] = await decisions('mixin-crashloop-undo');
    expect(rem).toMatchObject({ rule: 'mixin-crashloop-undo', targetKey: 'ci/deployment/ci-failure-agent-consumer', decision: { outcome: 'act' } });
    expect(rem!.decision.explanation).toContain(`Target found from the alert: pod ci/${pods[0]!.metadata.name} → ReplicaSet ci/${rs.metadata.name} → Deployment ci/ci-failure-agent-consumer; the crash started `);
    expect(rem!.decision.explanation).toMatch(/after revision 2 rolled out/);
    const after = get('deployments', 'ci-failure-agent-consumer');
    expect((after.spec.template as { spec: { containers: Array<{ image: string }> } }).spec.containers[0]!.image).toBe(oldImage);
  });

  test('KubePodCrashLooping that did not start with the newest revision: skipped, saying so, nothing changed', async () => {
    // ci-failure-agent has one revision only: there is nothing to go back to.
    const { pods } = podsOf('ci-failure-agent');
    const template = JSON.stringify(get('deployments', 'ci-failure-agent').spec.template);
    await post(webhookBody(mixinLabels.KubePodCrashLooping('ci', pods[0]!.metadata.name, 'ci-failure-agent')));
    const [rem] = await decisions('mixin-crashloop-undo');
    expect(rem).toMatchObject({ rule: 'mixin-crashloop-undo', phase: 'skipped', decision: { outcome: 'skip', reason: 'not-newest-revision' } });
    expect(rem!.decision.explanation).toMatch(/runs revision 1 of Deployment ci\/ci-failure-agent, its first: there is no earlier revision to go back to/);
    expect(JSON.stringify(get('deployments', 'ci-failure-agent').spec.template)).toBe(template);
  });

  test('KubeContainerOOMKilled: the memory of that container in its Deployment rises ×1.5', async () => {
    const { pods } = podsOf('ci-failure-agent');
    await post(webhookBody(mixinLabels.KubeContainerOOMKilled('ci', pods[0]!.metadata.name, 'ci-failure-agent')));
    const [rem] = await decisions('mixin-oomkilled-raise-memory');
    expect(rem).toMatchObject({
      rule: 'mixin-oomkilled-raise-memory',
      targetKey: 'ci/deployment/ci-failure-agent',
      decision: { outcome: 'act', before: { 'requests.memory': '512Mi', 'limits.memory': '1Gi' }, after: { 'requests.memory': '768Mi', 'limits.memory': '1536Mi' } },
    });
    const c = (get('deployments', 'ci-failure-agent').spec.template as { spec: { containers: Array<{ resources: unknown }> } }).spec.containers[0]!;
    expect(c.resources).toEqual({ requests: { cpu: '250m', memory: '768Mi' }, limits: { cpu: '1', memory: '1536Mi' } });
  });

  test('KubeDeploymentReplicasMismatch: nothing automatic, recorded with the reason why', async () => {
    // What a write of ours would change (the sandbox's controllers update the status, and with it the resourceVersion).
    const written = () => {
      const d = get('deployments', 'ci-failure-agent');
      return { annotations: d.metadata.annotations, spec: d.spec };
    };
    const version = written();
    await post(webhookBody(mixinLabels.KubeDeploymentReplicasMismatch('ci', 'ci-failure-agent')));
    const [rem] = await decisions('mixin-deployment-replicas-mismatch');
    expect(rem).toMatchObject({ rule: 'mixin-deployment-replicas-mismatch', phase: 'skipped', decision: { reason: 'disabled' } });
    expect(rem!.decision.explanation).toMatch(/^Rule mixin-deployment-replicas-mismatch is disabled \(nothing automatic: .*\); nothing was done for KubeDeploymentReplicasMismatch\.$/);
    expect(written()).toEqual(version);
  });

  test('a pod that cannot lead to a workload is a target-unresolved skip naming the hop; a pod outside ALLOWED_NAMESPACES is never read', async () => {
    s.api.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'debug-shell', namespace: 'ci' }, spec: { containers: [{ name: 'sh', image: 'busybox' }] } });
    await post(webhookBody(mixinLabels.KubeContainerOOMKilled('ci', 'debug-shell', 'sh')));
    await post(webhookBody(mixinLabels.KubeContainerOOMKilled('ci', 'gone-7d9f8-abcde', 'app')));
    await post(webhookBody(mixinLabels.KubeContainerOOMKilled('kube-system', 'coredns-5d78c9869d-7xk2p', 'coredns')));
    const rems = await decisions('mixin-oomkilled-raise-memory');
    const byPod = (pod: string) => rems.find((r) => JSON.stringify(r.decision).includes(pod))!;
    expect(byPod('debug-shell').decision).toMatchObject({ reason: 'target-unresolved', explanation: expect.stringContaining('target.from: pod ci/debug-shell: the pod has no controller (a bare pod): there is no workload to act on') });
    expect(byPod('gone-7d9f8-abcde').decision).toMatchObject({ reason: 'target-unresolved', explanation: expect.stringContaining('pod ci/gone-7d9f8-abcde: the Pod the alert names was not found') });
    expect(byPod('coredns-5d78c9869d-7xk2p').decision).toMatchObject({ reason: 'outside-allowed-namespaces' });
    expect(s.api.requests.filter((r) => r.namespace === 'kube-system')).toEqual([]);
  });
});
