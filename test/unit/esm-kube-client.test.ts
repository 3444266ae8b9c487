// Proves that jest (ESM mode) loads the ESM-only @kubernetes/client-node 1.x.
import { KubeConfig, AppsV1Api, PatchStrategy } from '@kubernetes/client-node';

test('the real @kubernetes/client-node loads under jest and builds a client', () => {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 't', server: 'http://127.0.0.1:1', skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'c', cluster: 't', user: 'u' }],
    currentContext: 'c',
  });
  const api = kc.makeApiClient(AppsV1Api);
  expect(typeof api.readNamespacedDeploymentScale).toBe('function');
  expect(PatchStrategy.MergePatch).toBe('application/merge-patch+json');
});
