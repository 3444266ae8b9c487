/**
 * The ClusterPort for this process: Kubernetes from KUBE_API_URL, KUBECONFIG or
 * the in-cluster service account; or, when none is configured, a port that says
 * so on every read (every decision then skips with reason state-unavailable).
 */
import { KubeCluster } from '../actions/kube-cluster.js';
import { createRedisConnector } from '../actions/redis-connector.js';
import { ACTION_KINDS } from '../actions/registry.js';
import type { ClusterPort } from '../actions/port.js';
import { KubeClient } from '../kube/client.js';
import { kubeConfigFromEnv } from '../kube/config.js';
import { systemClock } from '../platform/clock.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import type { ArgoTrackingMethod } from '../planner/owners.js';

export function unconfiguredCluster(detail: string): ClusterPort {
  const fail = () => Promise.resolve({ ok: false as const, retryable: false, reason: 'unavailable' as const, detail });
  return {
    readState: () => Promise.reject(new Error(detail)),
    readObject: () => Promise.reject(new Error(detail)),
    apply: fail,
    restore: fail,
  };
}

export function clusterFromEnv(env: Record<string, string | undefined>, logger: Logger = silentLogger): { cluster: ClusterPort; description: string } {
  const target = kubeConfigFromEnv(env);
  if (!target) {
    return { cluster: unconfiguredCluster('no Kubernetes cluster configured (set KUBE_API_URL or KUBECONFIG, or run in a pod)'), description: 'none configured' };
  }
  const argoTracking = (env.ARGOCD_TRACKING_METHOD ?? 'annotation') as ArgoTrackingMethod;
  return { cluster: new KubeCluster(new KubeClient(target.kc), createRedisConnector(env), systemClock, logger, ACTION_KINDS, { argoTracking }), description: target.description };
}
