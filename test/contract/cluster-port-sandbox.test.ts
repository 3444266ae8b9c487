/** The cluster port's contract on the real KubeCluster against the sandbox API server over HTTP. */
import { startSandboxCluster } from '../helpers/sandbox.js';
import { adminWorld } from './cluster.contract.js';
import { runClusterPortContract } from './cluster-port.contract.js';

runClusterPortContract('KubeCluster on the sandbox', async () => {
  const s = await startSandboxCluster();
  return { cluster: s.cluster, ...adminWorld(s.api.kubeConfig(), 'ci', s.cluster), close: () => s.close() };
});
