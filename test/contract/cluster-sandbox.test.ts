/**
 * The cluster contract against the sandbox API server, through the real HTTP Kubernetes
 * client. The lead's harness runs the same suite against a real kube-apiserver.
 */
import { startSandboxCluster } from '../helpers/sandbox.js';
import { localRedis, runClusterContract } from './cluster.contract.js';

runClusterContract('sandbox', async () => {
  const s = await startSandboxCluster();
  return {
    cluster: s.cluster,
    admin: s.api.kubeConfig(),
    namespace: 'ci',
    hasCnpgCrd: true,
    // The sandbox has one user: RBAC's refusal is simulated by a fault on every write.
    forbidden: () => {
      for (const verb of ['update', 'patch', 'create', 'delete']) s.api.faults.forbid({ verb });
      return Promise.resolve(s.cluster);
    },
    redis: localRedis,
    close: () => s.close(),
  };
});
