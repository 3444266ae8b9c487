/** A sandbox API server seeded with the reference workload, and a KubeCluster talking to it over HTTP. */
import { KubeCluster } from '../../src/actions/kube-cluster.js';
import { createRedisConnector, type RedisConnector } from '../../src/actions/redis-connector.js';
import { KubeClient } from '../../src/kube/client.js';
import type { RetryPolicy } from '../../src/kube/retry.js';
import { systemClock } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { loadSeed, startSandboxApi, type SandboxApi } from '../../src/sandbox/index.js';

export const FAST_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 10, maxDelayMs: 50, timeoutMs: 1000 };

export interface SandboxCluster {
  api: SandboxApi;
  kube: KubeClient;
  cluster: KubeCluster;
  redis: RedisConnector;
  close(): Promise<void>;
}

export async function startSandboxCluster(opts: { readyDelayMs?: number; retry?: RetryPolicy } = {}): Promise<SandboxCluster> {
  const api = await startSandboxApi({ seed: loadSeed(), readyDelayMs: opts.readyDelayMs ?? 30, tickMs: 10 });
  const kube = new KubeClient(api.kubeConfig(), opts.retry ?? FAST_RETRY);
  const redis = createRedisConnector();
  const cluster = new KubeCluster(kube, redis, systemClock, silentLogger);
  return {
    api,
    kube,
    cluster,
    redis,
    async close() {
      await redis.close();
      await api.close();
    },
  };
}
