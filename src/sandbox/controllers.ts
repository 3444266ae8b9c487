/**
 * One pass of every simulated controller, in dependency order: the HPA clamps
 * its targets, Deployments drive ReplicaSets, ReplicaSets, StatefulSets and the
 * CNPG operator drive pods, the kubelet makes pods Ready; then ReplicaSet and
 * Deployment status are refreshed so one pass reflects what the kubelet did.
 */
import type { Cluster } from './cluster.js';
import { syncDeployments } from './deployment-controller.js';
import { syncHpas } from './hpa-controller.js';
import { syncPods } from './pod-simulator.js';
import { syncResourceQuotas } from './quota-controller.js';
import { syncCnpgClusters, syncReplicaSets, syncStatefulSets } from './workload-controllers.js';

export function runControllers(cluster: Cluster): void {
  syncHpas(cluster);
  syncDeployments(cluster);
  syncReplicaSets(cluster);
  syncStatefulSets(cluster);
  syncCnpgClusters(cluster);
  syncPods(cluster);
  syncReplicaSets(cluster);
  syncDeployments(cluster);
  syncResourceQuotas(cluster);
}
