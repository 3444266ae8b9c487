/**
 * kube-state-metrics (v2 names) for the sandbox's objects: the series kubernetes-mixin's alerts
 * (KubeHpaMaxedOut, KubeDeploymentReplicasMismatch, KubePodCrashLooping, …) and people's own
 * rules read, with the label sets kube-prometheus-stack stores them under (the ServiceMonitor
 * keeps the objects' own `namespace`, `pod`, `container` with honor_labels, and adds the
 * kube-state-metrics pod's job, instance, service, endpoint, and its pod/container where the
 * series has none). Read-only: everything comes from the store at the time of the scrape.
 */
import type { ObjectStore } from '../object-store.js';
import { R } from '../resources.js';
import type { Deployment, HorizontalPodAutoscaler, Pod } from '../types.js';
import { Exposition } from './exposition.js';

/** The kube-state-metrics scrape's own labels (kube-prometheus-stack's ServiceMonitor). */
export const KSM_SCRAPE_LABELS = {
  container: 'kube-state-metrics',
  endpoint: 'http',
  instance: '10.244.0.9:8080',
  job: 'kube-state-metrics',
  pod: 'kube-prometheus-stack-kube-state-metrics-6d9f8b7c5-x8k2m',
  service: 'kube-prometheus-stack-kube-state-metrics',
} as const;

type Labels = Record<string, string>;

interface ContainerStatus {
  name: string;
  restartCount?: number;
  state?: { waiting?: { reason?: string } };
  lastState?: { terminated?: { reason?: string } };
}

/** Object series: the scrape's labels under the object's own (object labels win, as with honor_labels). */
const objectLabels = (own: Labels): Labels => ({ ...KSM_SCRAPE_LABELS, ...own });

/** The scrape body of kube-state-metrics for every Deployment, HPA and Pod in the store. */
export function renderKubeStateMetrics(store: ObjectStore): string {
  const out = new Exposition();
  const deployments = store.listShared(R.deployments) as readonly Deployment[];
  const hpas = store.listShared(R.hpas) as readonly HorizontalPodAutoscaler[];
  const pods = (store.listShared(R.pods) as readonly Pod[]).filter((p) => !p.metadata.deletionTimestamp);

  const deploymentFamily = (name: string, help: string, value: (d: Deployment) => number): void => {
    out.family(name, 'gauge', help);
    for (const d of deployments) out.sample(name, objectLabels({ namespace: d.metadata.namespace ?? 'default', deployment: d.metadata.name }), value(d));
  };
  deploymentFamily('kube_deployment_spec_replicas', 'Number of desired pods for a deployment.', (d) => d.spec.replicas ?? 1);
  deploymentFamily('kube_deployment_status_replicas', 'The number of replicas per deployment.', (d) => d.status?.replicas ?? 0);
  deploymentFamily('kube_deployment_status_replicas_available', 'The number of available replicas per deployment.', (d) => d.status?.availableReplicas ?? 0);
  deploymentFamily('kube_deployment_status_replicas_updated', 'The number of updated replicas per deployment.', (d) => d.status?.updatedReplicas ?? 0);
  deploymentFamily('kube_deployment_metadata_generation', 'Sequence number representing a specific generation of the desired state.', (d) => d.metadata.generation ?? 1);
  deploymentFamily('kube_deployment_status_observed_generation', 'The generation observed by the deployment controller.', (d) => d.status?.observedGeneration ?? 0);

  const hpaFamily = (name: string, help: string, value: (h: HorizontalPodAutoscaler) => number): void => {
    out.family(name, 'gauge', help);
    for (const h of hpas) out.sample(name, objectLabels({ namespace: h.metadata.namespace ?? 'default', horizontalpodautoscaler: h.metadata.name }), value(h));
  };
  hpaFamily('kube_horizontalpodautoscaler_spec_min_replicas', 'Lower limit for the number of pods that can be set by the autoscaler, default 1.', (h) => h.spec.minReplicas ?? 1);
  hpaFamily('kube_horizontalpodautoscaler_spec_max_replicas', 'Upper limit for the number of pods that can be set by the autoscaler; cannot be smaller than MinReplicas.', (h) => h.spec.maxReplicas);
  hpaFamily('kube_horizontalpodautoscaler_status_current_replicas', 'Current number of replicas of pods managed by this autoscaler.', (h) => h.status?.currentReplicas ?? 0);
  hpaFamily('kube_horizontalpodautoscaler_status_desired_replicas', 'Desired number of replicas of pods managed by this autoscaler.', (h) => h.status?.desiredReplicas ?? 0);

  const podLabels = (p: Pod): Labels => ({ namespace: p.metadata.namespace ?? 'default', pod: p.metadata.name, uid: p.metadata.uid });
  const statuses = (p: Pod): ContainerStatus[] => (Array.isArray(p.status?.containerStatuses) ? (p.status.containerStatuses as unknown as ContainerStatus[]) : []);
  out.family('kube_pod_owner', 'gauge', 'Information about the Pod\'s owner.');
  for (const p of pods) {
    for (const o of p.metadata.ownerReferences ?? []) {
      out.sample('kube_pod_owner', objectLabels({ ...podLabels(p), owner_kind: o.kind, owner_name: o.name, owner_is_controller: String(o.controller === true) }), 1);
    }
  }
  out.family('kube_pod_container_status_restarts_total', 'counter', 'The number of container restarts per container.');
  for (const p of pods) for (const c of statuses(p)) out.sample('kube_pod_container_status_restarts_total', objectLabels({ ...podLabels(p), container: c.name }), c.restartCount ?? 0);
  out.family('kube_pod_container_status_waiting_reason', 'gauge', 'Describes the reason the container is currently in waiting state.');
  for (const p of pods) {
    for (const c of statuses(p)) {
      const reason = c.state?.waiting?.reason;
      if (reason) out.sample('kube_pod_container_status_waiting_reason', objectLabels({ ...podLabels(p), container: c.name, reason }), 1);
    }
  }
  out.family('kube_pod_container_status_last_terminated_reason', 'gauge', 'Describes the last reason the container was in terminated state.');
  for (const p of pods) {
    for (const c of statuses(p)) {
      const reason = c.lastState?.terminated?.reason;
      if (reason) out.sample('kube_pod_container_status_last_terminated_reason', objectLabels({ ...podLabels(p), container: c.name, reason }), 1);
    }
  }
  return out.text();
}
