/**
 * The RBAC preflight on a real control plane, as the `autoremediator` ServiceAccount deploy/'s RBAC
 * binds (the control plane's SA kubeconfig), with the shipped rules and ALLOWED_NAMESPACES=ci:
 * - `autoremediator check --cluster rules/` answers from real SelfSubjectAccessReviews: all allowed;
 * - one verb removed from the ClusterRole (update on deployments/scale): exit 1, naming that verb,
 *   resource and namespace, and the rules that need it;
 * - the service at start says the same in one log line, and /readyz carries it in its detail.
 */
import { jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RbacAuthorizationV1Api, type V1ClusterRole } from '@kubernetes/client-node';
import { freePort, waitFor } from '../helpers/binaries.js';
import { describeWithComponents } from '../helpers/components.js';
import { startCli } from '../helpers/process.js';
import { CONTROL_PLANE_COMPONENTS, startControlPlane, type ControlPlane } from './control-plane.js';

jest.setTimeout(180_000);

describeWithComponents(CONTROL_PLANE_COMPONENTS, 'RBAC preflight on a real control plane', () => {
  let cp: ControlPlane;
  let role: V1ClusterRole;
  let rbac: RbacAuthorizationV1Api;
  beforeAll(async () => {
    cp = await startControlPlane({ seed: false });
    rbac = cp.admin.makeApiClient(RbacAuthorizationV1Api);
    role = await rbac.readClusterRole({ name: 'autoremediator' });
  }, 180_000);
  afterAll(async () => cp?.stop(), 60_000);

  const check = async () => {
    const p = startCli(['check', '--cluster', 'rules/'], { KUBECONFIG: cp.kubeconfig, ALLOWED_NAMESPACES: 'ci' });
    const { code } = await p.exited;
    return { code, output: p.output() };
  };

  /** The ClusterRole without `update` on deployments/scale (what a hand-edited install might lose). */
  const removeScaleUpdate = async () => {
    const without = structuredClone(role);
    without.metadata = { ...without.metadata, resourceVersion: undefined }; // a replace after the last one
    without.rules = (without.rules ?? []).map((r) => (r.resources?.includes('deployments/scale') ? { ...r, verbs: r.verbs.filter((v) => v !== 'update') } : r));
    expect(JSON.stringify(without.rules)).not.toEqual(JSON.stringify(role.rules));
    await rbac.replaceClusterRole({ name: 'autoremediator', body: without });
  };
  const putBack = () => rbac.replaceClusterRole({ name: 'autoremediator', body: { ...role, metadata: { ...role.metadata, resourceVersion: undefined } } });

  test('check --cluster with deploy/\'s RBAC: every permission the shipped rules need is allowed', async () => {
    const { code, output } = await check();
    expect(output).toMatch(/RBAC: the rules' \d+ permissions are all allowed/);
    expect(output).not.toMatch(/not allowed \(optional\)/);
    expect(code).toBe(0);
  });

  test('one verb removed from the ClusterRole: check --cluster exits 1 naming it', async () => {
    await removeScaleUpdate();
    try {
      // RBAC changes reach the authorizer through its informer: wait until the answer changes.
      let last = { code: 0 as number | null, output: '' };
      await waitFor('the preflight to see the change', async () => {
        last = await check();
        return last.code === 1;
      }, 30_000, 500);
      expect(last.output).toMatch(/RBAC: 1 of the rules' \d+ permissions missing:/);
      expect(last.output).toMatch(/ {2}missing update apps\/deployments\/scale in namespace ci \(rules: [^)]*queue-add-consumers[^)]*\)/);
    } finally {
      await putBack();
    }
  });

  test('the service says it at start (one log line) and in /readyz detail', async () => {
    await removeScaleUpdate();
    const dir = mkdtempSync(join(tmpdir(), 'autoremediator-preflight-'));
    const port = await freePort();
    const svc = startCli(['serve'], {
      PORT: String(port),
      HOST: '127.0.0.1',
      INSECURE_NO_AUTH: 'true',
      RULES_DIR: 'rules',
      DATABASE_URL: `sqlite:${join(dir, 'service.db')}`,
      ALLOWED_NAMESPACES: 'ci',
      KUBECONFIG: cp.kubeconfig,
    });
    try {
      const line = await svc.waitForLine(/RBAC preflight/, 60_000);
      expect(line).toMatch(/permission\(s\) the rules need are missing: update apps\/deployments\/scale in namespace ci/);
      const url = `http://127.0.0.1:${port}/readyz`;
      let body: { detail?: { permissions?: { ok: boolean; missing: { need: { verb: string; namespace: string }; resource: string }[] } } } = {};
      await waitFor('/readyz with the preflight', async () => {
        body = (await (await fetch(url)).json()) as typeof body;
        return body.detail?.permissions !== undefined;
      }, 30_000);
      expect(body.detail!.permissions!.ok).toBe(false);
      expect(body.detail!.permissions!.missing.map((m) => `${m.need.verb} ${m.resource} ${m.need.namespace}`)).toEqual(['update apps/deployments/scale ci']);
    } finally {
      svc.kill('SIGTERM');
      await svc.exited;
      rmSync(dir, { recursive: true, force: true });
      await putBack();
    }
  });
});
