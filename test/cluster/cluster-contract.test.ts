/**
 * The cluster contract (test/contract/cluster.contract.ts) against a real kube-apiserver with its
 * controllers, through the port as the service builds it, authenticated as the service's
 * ServiceAccount with deploy/'s RBAC. The same cases run against the sandbox in
 * test/contract/cluster-sandbox.test.ts: what passes on one and fails on the other is a place
 * where the sandbox lies (fix the sandbox) or where we rely on more than Kubernetes promises.
 */
import { jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { KubeCluster } from '../../src/actions/kube-cluster.js';
import { createRedisConnector } from '../../src/actions/redis-connector.js';
import { KubeClient } from '../../src/kube/client.js';
import { systemClock } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { adminWorld, localRedis, runClusterContract } from '../contract/cluster.contract.js';
import { runClusterPortContract } from '../contract/cluster-port.contract.js';
import { describeWithComponents } from '../helpers/components.js';
import { FAST_RETRY } from '../helpers/sandbox.js';
import { CONTROL_PLANE_COMPONENTS, startControlPlane, type ControlPlane } from './control-plane.js';

/** A KubeConfig for the control plane with a bearer token. */
function tokenConfig(server: string, caFile: string, token: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'cp', server, caData: readFileSync(caFile).toString('base64') }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'c', cluster: 'cp', user: 'u' }],
    currentContext: 'c',
  });
  return kc;
}

jest.setTimeout(180_000);

describeWithComponents(CONTROL_PLANE_COMPONENTS, 'cluster contract on a real control plane', () => {
  // One control plane for the file (it takes tens of seconds to start); every case uses its own
  // objects (unique names), as the contract requires.
  let started: Promise<ControlPlane> | undefined;
  let forbiddenPort: Promise<KubeCluster> | undefined;
  const redis = createRedisConnector();
  afterAll(async () => {
    await redis.close();
    if (started) await (await started).stop();
  }, 60_000);

  runClusterContract('real kube-apiserver', async () => {
    started ??= startControlPlane({ seed: true });
    const cp = await started;
    const sa = new KubeConfig();
    sa.loadFromFile(cp.kubeconfig);
    const cluster = new KubeCluster(new KubeClient(sa, FAST_RETRY), redis, systemClock, silentLogger);
    return {
      cluster,
      admin: cp.admin,
      namespace: 'ci',
      hasCnpgCrd: true,
      hasArgoCrd: true,
      keepsManagedFields: true,
      // A second ServiceAccount that RBAC lets read but not write: real 403s.
      forbidden: () => (forbiddenPort ??= (async () => {
        const core = cp.admin.makeApiClient(CoreV1Api);
        const rbac = cp.admin.makeApiClient(RbacAuthorizationV1Api);
        await core.createNamespacedServiceAccount({ namespace: 'autoremediator', body: { metadata: { name: 'read-only' } } });
        await rbac.createClusterRole({
          body: {
            metadata: { name: 'contract-read-only' },
            rules: [{ apiGroups: ['', 'apps', 'autoscaling', 'postgresql.cnpg.io'], resources: ['*'], verbs: ['get', 'list'] }],
          },
        });
        await rbac.createClusterRoleBinding({
          body: {
            metadata: { name: 'contract-read-only' },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'contract-read-only' },
            subjects: [{ kind: 'ServiceAccount', name: 'read-only', namespace: 'autoremediator' }],
          },
        });
        const token = await core.createNamespacedServiceAccountToken({ name: 'read-only', namespace: 'autoremediator', body: { spec: { audiences: [], expirationSeconds: 3600 } } });
        const kc = tokenConfig(cp.server, join(cp.dir, 'ca.crt'), token.status!.token);
        return new KubeCluster(new KubeClient(kc, FAST_RETRY), redis, systemClock, silentLogger);
      })()),
      redis: localRedis,
      close: () => Promise.resolve(),
    };
  });

  // The port's contract (what the FakeCluster meets too), each kind through the planner's plan and restore.
  runClusterPortContract('KubeCluster on a real kube-apiserver', async () => {
    started ??= startControlPlane({ seed: true });
    const cp = await started;
    const sa = new KubeConfig();
    sa.loadFromFile(cp.kubeconfig);
    const cluster = new KubeCluster(new KubeClient(sa, FAST_RETRY), redis, systemClock, silentLogger);
    return { cluster, ...adminWorld(cp.admin, 'ci', cluster), close: () => Promise.resolve() };
  });
});
