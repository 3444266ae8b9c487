/** A sandbox API server (in the benchmark's process) seeded with many plain Deployments. */
import { startSandboxApi, type SandboxApi, type SandboxRequest } from '../../src/sandbox/index.js';
import type { KubeObject } from '../../src/sandbox/index.js';

export function deployment(namespace: string, name: string, replicas: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'registry.example/web:1.0.0' }] } },
    },
  };
}

export function deploymentNames(n: number, prefix = 'web'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(4, '0')}`);
}

/**
 * One namespace of Deployments. `tickMs` is the controller period; a very long one
 * keeps the simulated controllers still during a measurement (call `api.tick()`).
 */
export function startCluster(namespace: string, names: readonly string[], opts: { replicas?: number; tickMs?: number; readyDelayMs?: number } = {}): Promise<SandboxApi> {
  const seed: KubeObject[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }];
  for (const name of names) seed.push(deployment(namespace, name, opts.replicas ?? 1));
  return startSandboxApi({ seed, tickMs: opts.tickMs ?? 50, readyDelayMs: opts.readyDelayMs ?? 0 });
}

/** The scale writes in the request log: `update deployments/scale`. */
export function scaleWrites(requests: readonly SandboxRequest[]): SandboxRequest[] {
  return requests.filter((r) => r.resource === 'deployments' && r.subresource === 'scale' && r.verb === 'update');
}
