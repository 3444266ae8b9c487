/**
 * The kubernetes-mixin starter pack (rules/kubernetes-mixin/) on a real control plane, the service
 * as its ServiceAccount, given alerts labelled as kube-prometheus-stack sends them: an alert that
 * names an HPA acts on the HPA's scaleTargetRef; one that names a pod finds its workload through
 * the real ownerReferences (pod → ReplicaSet → Deployment) the real controllers wrote.
 */
import { jest } from '@jest/globals';
import { join } from 'node:path';
import { AppsV1Api, AutoscalingV2Api, CoreV1Api } from '@kubernetes/client-node';
import { waitFor } from '../helpers/binaries.js';
import { describeWithComponents } from '../helpers/components.js';
import { REPO_ROOT } from '../helpers/fixtures.js';
import { mixinLabels, webhookBody } from '../helpers/mixin-alerts.js';
import { CONTROL_PLANE_COMPONENTS, startControlPlane, type ControlPlane } from './control-plane.js';
import { startServiceOn, type ServiceOnControlPlane } from './service-process.js';

jest.setTimeout(180_000);

interface Remediation {
  rule: string | null;
  phase: string;
  decision: { outcome: string; reason?: string; explanation: string; after?: Record<string, unknown> };
}

describeWithComponents(CONTROL_PLANE_COMPONENTS, 'the kubernetes-mixin pack on a real control plane', () => {
  let cp: ControlPlane;
  let svc: ServiceOnControlPlane;

  const post = async (body: string) => expect(await svc.post(body)).toBe(202);
  const decided = async (rule: string): Promise<Remediation> => {
    let found: Remediation | undefined;
    await waitFor(`a decision of ${rule}`, async () => {
      found = (await svc.admin<{ items: Remediation[] }>('/api/v1/remediations?limit=100')).items.find((r) => r.rule === rule && r.phase !== 'planned' && r.phase !== 'applying');
      return found !== undefined;
    }, 60_000, 250);
    return found!;
  };

  beforeAll(async () => {
    cp = await startControlPlane();
    svc = await startServiceOn(cp, () => join(REPO_ROOT, 'rules', 'kubernetes-mixin'));
  });

  afterAll(async () => {
    await svc?.stop();
    await cp?.stop();
  });

  test('KubeHpaMaxedOut names the HPA: its maxReplicas is raised on the real HPA, and the decision says how the target was found', async () => {
    const hpas = cp.admin.makeApiClient(AutoscalingV2Api);
    const before = (await hpas.readNamespacedHorizontalPodAutoscaler({ namespace: 'ci', name: 'ci-failure-agent' })).spec!.maxReplicas;
    await post(webhookBody(mixinLabels.KubeHpaMaxedOut('ci', 'ci-failure-agent')));
    const run = await decided('mixin-hpa-maxed-out');
    expect({ outcome: run.decision.outcome, explanation: run.decision.explanation }).toEqual({ outcome: 'act', explanation: expect.stringMatching(/HorizontalPodAutoscaler ci\/ci-failure-agent → Deployment ci\/ci-failure-agent/) });
    const after = (await hpas.readNamespacedHorizontalPodAutoscaler({ namespace: 'ci', name: 'ci-failure-agent' })).spec!.maxReplicas;
    expect(after).toBeGreaterThan(before);
    expect(after).toBe(run.decision.after?.maxReplicas);
  });

  test('an OOM kill names a pod: pod → ReplicaSet → Deployment through the real ownerReferences, its memory raised', async () => {
    const pods = await cp.admin.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'ci', labelSelector: 'app.kubernetes.io/name=ci-failure-agent,app.kubernetes.io/component=api' });
    const pod = pods.items[0]!.metadata!.name!;
    await post(webhookBody(mixinLabels.KubeContainerOOMKilled('ci', pod, 'ci-failure-agent')));
    const run = await decided('mixin-oomkilled-raise-memory');
    expect(run.decision.outcome).toBe('act');
    expect(run.decision.explanation).toMatch(new RegExp(`pod ci/${pod} → ReplicaSet ci/ci-failure-agent-[a-z0-9]+ → Deployment ci/ci-failure-agent`));
    const d = await cp.admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ namespace: 'ci', name: 'ci-failure-agent' });
    const c = d.spec!.template.spec!.containers.find((x) => x.name === 'ci-failure-agent')!;
    expect({ requests: c.resources?.requests?.memory, limits: c.resources?.limits?.memory }).toEqual({ requests: run.decision.after?.['requests.memory'], limits: run.decision.after?.['limits.memory'] });
  });
});
