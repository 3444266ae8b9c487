/**
 * The service as a real process (the bundle, `serve`) on a real control plane, authenticated as
 * the ServiceAccount deploy/'s RBAC binds, with an SQLite store of its own; started once the seed's
 * API Deployment is at its HPA floor (3 Ready). Shared by the tests that drive it over HTTP.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api } from '@kubernetes/client-node';
import { freePort, waitFor } from '../helpers/binaries.js';
import { startCli } from '../helpers/process.js';
import type { ControlPlane } from './control-plane.js';

export const SERVICE_WEBHOOK_TOKEN = 'cp-webhook-token-0123456789abcdef';
export const SERVICE_ADMIN_TOKEN = 'cp-admin-token-0123456789abcdefgh';

export interface ServiceOnControlPlane {
  url: string;
  /** A folder of its own (the store lives there; a test may put its rules there). */
  dir: string;
  /** POST /api/v1/alerts with the webhook token; resolves with the status. */
  post(body: Buffer | string): Promise<number>;
  /** GET an admin route, as JSON. */
  admin<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

export async function startServiceOn(cp: ControlPlane, rulesDir: (dir: string) => string): Promise<ServiceOnControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), 'autoremediator-cp-service-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const svc = startCli(['serve'], {
    PORT: String(port),
    HOST: '127.0.0.1',
    WEBHOOK_TOKEN: SERVICE_WEBHOOK_TOKEN,
    ADMIN_TOKEN: SERVICE_ADMIN_TOKEN,
    RULES_DIR: rulesDir(dir),
    DATABASE_URL: `sqlite:${join(dir, 'service.db')}`,
    ALLOWED_NAMESPACES: 'ci',
    DRY_RUN: 'false',
    KUBECONFIG: cp.kubeconfig,
    READINESS_POLL_MS: '200',
    LOG_LEVEL: 'warn',
  });
  const stop = async () => {
    svc.kill('SIGTERM');
    await svc.exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('the service /readyz', async () => (await fetch(`${url}/readyz`)).ok, 30_000);
    const apps = cp.admin.makeApiClient(AppsV1Api);
    await waitFor('ci-failure-agent 3/3 Ready', async () => (await apps.readNamespacedDeployment({ namespace: 'ci', name: 'ci-failure-agent' })).status?.readyReplicas === 3, 90_000, 500);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    dir,
    async post(body) {
      const res = await fetch(`${url}/api/v1/alerts`, { method: 'POST', headers: { Authorization: `Bearer ${SERVICE_WEBHOOK_TOKEN}`, 'Content-Type': 'application/json' }, body });
      return res.status;
    },
    async admin<T>(path: string) {
      const res = await fetch(`${url}${path}`, { headers: { Authorization: `Bearer ${SERVICE_ADMIN_TOKEN}` } });
      if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    },
    stop,
  };
}
