/**
 * What we ship, checked by the real kube-apiserver: every object of deploy/ (each overlay and
 * deploy/observability, as kustomize renders them) and alertmanager/operator/ is applied with
 * server-side dry-run (`kubectl apply --dry-run=server`), the CRDs they need installed from their
 * projects' modules. The apiserver validates against its own OpenAPI and the CRDs' schemas, with
 * strict field validation: an unknown or misspelled field is an error, not a silent drop.
 */
import { jest } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { describeWithComponents } from '../helpers/components.js';
import { renderChartValueSets } from '../integration/deploy/chart.js';
import { REPO_ROOT } from '../helpers/fixtures.js';
import { CONTROL_PLANE_COMPONENTS, kustomize, parseManifests, startControlPlane, type ControlPlane } from './control-plane.js';

jest.setTimeout(180_000);

/** The sets we ship, each as the user would apply it. */
function shipped(): { name: string; objects: KubernetesObject[] }[] {
  const operatorDir = join(REPO_ROOT, 'alertmanager', 'operator');
  return [
    { name: 'deploy/overlays/single', objects: kustomize('deploy/overlays/single') },
    { name: 'deploy/overlays/ha', objects: kustomize('deploy/overlays/ha') },
    { name: 'deploy/observability', objects: kustomize('deploy/observability') },
    {
      name: 'alertmanager/operator',
      objects: readdirSync(operatorDir)
        .filter((f) => f.endsWith('.yaml'))
        .flatMap((f) => parseManifests(readFileSync(join(operatorDir, f), 'utf8'), `alertmanager/operator/${f}`)),
    },
  ];
}

describeWithComponents([...CONTROL_PLANE_COMPONENTS, 'helm'], 'server-side dry-run of the shipped manifests against a real kube-apiserver', () => {
  let cp: ControlPlane;
  beforeAll(async () => {
    cp = await startControlPlane({ seed: true });
  });
  afterAll(async () => cp?.stop());

  test.each(shipped().map((s) => [s.name, s.objects] as const))('%s passes', async (_name, objects) => {
    expect(objects.length).toBeGreaterThan(0);
    // Namespaces exist for real (a dry-run namespace cannot hold dry-run objects); the rest is dry-run only.
    await cp.apply(objects.filter((o) => o.kind === 'Namespace'));
    const failures: string[] = [];
    for (const o of objects.filter((x) => x.kind !== 'Namespace')) {
      // Strict field validation: the apiserver refuses unknown fields instead of dropping them.
      await cp.apply([o], { dryRun: true }).catch((err: Error) => failures.push(err.message));
    }
    expect(failures).toEqual([]);
  });

  test('the Helm chart, rendered for each of its tested value sets, passes too (any release namespace, both RBAC scopes)', async () => {
    const sets = await renderChartValueSets();
    expect(sets.length).toBeGreaterThan(3);
    const failures: string[] = [];
    for (const set of sets) {
      await cp.apply(set.namespaces.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })));
      for (const o of set.objects as unknown as KubernetesObject[]) {
        await cp.apply([o], { dryRun: true }).catch((err: Error) => failures.push(`${set.name}: ${err.message}`));
      }
    }
    expect(failures).toEqual([]);
  });

  test('a misspelled field is refused (the check can fail)', async () => {
    const bad = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'typo', namespace: 'ci' },
      spec: {
        selector: { matchLabels: { app: 'typo' } },
        template: { metadata: { labels: { app: 'typo' } }, spec: { containers: [{ name: 'c', image: 'i', securityContext: { readOnlyRootFileSystem: true } }] } },
      },
    } as KubernetesObject;
    await expect(cp.apply([bad], { dryRun: true })).rejects.toThrow(/readOnlyRootFileSystem/);
    // The same object spelled right passes: the refusal was the typo.
    const spec = (bad as unknown as { spec: { template: { spec: { containers: { securityContext: Record<string, unknown> }[] } } } }).spec;
    spec.template.spec.containers[0]!.securityContext = { readOnlyRootFilesystem: true };
    await expect(cp.apply([bad], { dryRun: true })).resolves.toBeUndefined();
  });
});
