/**
 * `npm run control-plane` as a user runs it: one line CONTROL_PLANE_READY with two working
 * kubeconfigs (the service's ServiceAccount, bound by deploy/'s RBAC, and an admin), the
 * reference workload running on kwok nodes with Ready pods, and SIGTERM leaving nothing behind.
 */
import { jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, AppsV1Api, KubeConfig, AutoscalingV2Api } from '@kubernetes/client-node';
import { describeWithComponents } from '../helpers/components.js';
import { REPO_ROOT } from '../helpers/fixtures.js';
import { CONTROL_PLANE_COMPONENTS } from './control-plane.js';

jest.setTimeout(180_000);

const kc = (file: string) => {
  const k = new KubeConfig();
  k.loadFromFile(file);
  return k;
};
const status = (err: unknown) => (err as { code?: number }).code;

describeWithComponents(CONTROL_PLANE_COMPONENTS, 'npm run control-plane', () => {
  test('prints CONTROL_PLANE_READY, serves the seed with Ready pods under real RBAC, and SIGTERM stops everything', async () => {
    const proc = spawn(process.execPath, [join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'test/cluster/main.ts'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        const t = setInterval(() => {
          const l = out.split('\n').find((x) => x.startsWith('CONTROL_PLANE_READY '));
          if (l) {
            clearInterval(t);
            resolve(l);
          }
          if (proc.exitCode !== null) {
            clearInterval(t);
            reject(new Error(`control plane exited ${proc.exitCode}:\n${out}`));
          }
        }, 100);
      });
      const ready = JSON.parse(line.slice('CONTROL_PLANE_READY '.length)) as { kubeconfig: string; adminKubeconfig: string; server: string; version: string };
      expect(ready.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(ready.version).toMatch(/^v1\.\d+\.\d+$/);

      const admin = kc(ready.adminKubeconfig);
      const sa = kc(ready.kubeconfig);
      // The seed's HPA floor (3) is enforced by the real HPA controller; kwok makes the pods Ready.
      const apps = admin.makeApiClient(AppsV1Api);
      const until = Date.now() + 90_000;
      let d = await apps.readNamespacedDeployment({ namespace: 'ci', name: 'ci-failure-agent' });
      while ((d.status?.readyReplicas ?? 0) < 3 && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 500));
        d = await apps.readNamespacedDeployment({ namespace: 'ci', name: 'ci-failure-agent' });
      }
      expect(d.status?.readyReplicas).toBeGreaterThanOrEqual(3);
      const pods = await admin.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'ci', labelSelector: 'app.kubernetes.io/name=ci-failure-agent,app.kubernetes.io/component=api' });
      expect(pods.items.filter((p) => p.spec?.nodeName?.startsWith('kwok-node-')).length).toBeGreaterThanOrEqual(3);

      // The ServiceAccount may do what deploy/base/rbac.yaml grants and nothing else.
      const saApps = sa.makeApiClient(AppsV1Api);
      await expect(saApps.readNamespacedDeployment({ namespace: 'ci', name: 'ci-failure-agent' })).resolves.toBeDefined();
      await expect(sa.makeApiClient(AutoscalingV2Api).listNamespacedHorizontalPodAutoscaler({ namespace: 'ci' })).resolves.toBeDefined();
      expect(status(await sa.makeApiClient(CoreV1Api).listNamespacedSecret({ namespace: 'ci' }).catch((e: unknown) => e))).toBe(403);
      expect(status(await saApps.deleteNamespacedDeployment({ namespace: 'ci', name: 'ci-failure-agent' }).catch((e: unknown) => e))).toBe(403);

      const dir = ready.kubeconfig.replace(/\/[^/]+$/, '');
      expect(existsSync(dir)).toBe(true);
      proc.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(existsSync(dir)).toBe(false);
      // Nothing it started is still running.
      const { execFileSync } = await import('node:child_process');
      const left = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(dir));
      expect(left).toEqual([]);
    } finally {
      // Its own process group: whatever it started goes with it, even if the test failed midway.
      if (proc.exitCode === null) {
        process.kill(-proc.pid!, 'SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
        if (proc.exitCode === null) process.kill(-proc.pid!, 'SIGKILL');
      }
    }
  });
});
