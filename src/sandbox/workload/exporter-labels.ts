/**
 * The label sets the simulated exporters publish: those a current cluster's exporters carry
 * once Prometheus has scraped them through kube-prometheus-stack (ServiceMonitor / PodMonitor
 * relabelling), so that the alert rules and validation queries meet in the sandbox exactly the
 * series they meet on a real cluster. The sandbox is scraped as one static target with
 * `honor_labels: true`, so these labels (job, instance, …) are what Prometheus stores.
 *
 *   cAdvisor (kubelet /metrics/cadvisor)  container, endpoint, id, image, instance, job, metrics_path,
 *                                         name, namespace, node, pod, service. Since Kubernetes 1.16
 *                                         `pod`/`container`, never `pod_name`/`container_name`. A
 *                                         pod-level cgroup series (no container, image or name)
 *                                         and, with containerd, the sandbox (pause) container's
 *                                         (no container label, the pause image) come with each pod.
 *   the API through its ServiceMonitor    container, endpoint, instance (pod IP:port), job (the
 *                                         Service), namespace, pod, service.
 *   CloudNativePG through its PodMonitor  container="postgres", endpoint="metrics", instance (pod
 *                                         IP:9187), job="<namespace>/<cluster>", namespace, pod.
 *   redis_exporter, multi-target          instance = the Redis address host:port (relabelled from
 *                                         __param_target), job, namespace.
 */
import { createHash } from 'node:crypto';

export type Labels = Record<string, string>;

/** Pause image of current kubelets' sandboxes (containerd). */
export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';

/** What identifies a pod to its exporters. */
export interface PodIdentity {
  namespace: string;
  name: string;
  uid: string;
  node: string;
}

const hex = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A stable pod IP from the pod's uid (the sandbox assigns none): 10.244.x.y. */
export function podIp(uid: string): string {
  const h = createHash('sha256').update(uid).digest();
  return `10.244.${h[0]! % 250}.${(h[1]! % 250) + 2}`;
}

/** The kubelet's address for a node (instance of its scrapes). */
export function nodeAddress(node: string): string {
  const h = createHash('sha256').update(node).digest();
  return `10.0.${h[0]! % 250}.${(h[1]! % 250) + 2}:10250`;
}

/** The pod's cgroup under the systemd driver (cgroup v2), as cAdvisor's `id` names it. */
function podCgroup(pod: PodIdentity): string {
  return `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${pod.uid.replace(/-/g, '_')}.slice`;
}

function kubeletLabels(pod: PodIdentity): Labels {
  return {
    endpoint: 'https-metrics',
    instance: nodeAddress(pod.node),
    job: 'kubelet',
    metrics_path: '/metrics/cadvisor',
    namespace: pod.namespace,
    node: pod.node,
    pod: pod.name,
    service: 'kube-prometheus-stack-kubelet',
  };
}

/** A container's cAdvisor series labels (containerd: `name` is the container id). */
export function cadvisorContainerLabels(pod: PodIdentity, container: string, image: string): Labels {
  const id = hex(`${pod.uid}/${container}`);
  return { container, ...kubeletLabels(pod), id: `${podCgroup(pod)}/cri-containerd-${id}.scope`, image, name: id };
}

/** The pod-level cgroup series (the sum of the pod's containers): no container, image or name. */
export function cadvisorPodLabels(pod: PodIdentity): Labels {
  return { ...kubeletLabels(pod), id: podCgroup(pod) };
}

/** The sandbox (pause) container as containerd reports it: no container label, the pause image. */
export function cadvisorPauseLabels(pod: PodIdentity): Labels {
  const id = hex(`${pod.uid}/sandbox`);
  return { ...kubeletLabels(pod), id: `${podCgroup(pod)}/cri-containerd-${id}.scope`, image: PAUSE_IMAGE, name: id };
}

/** The application's own series as its ServiceMonitor scrapes them from one pod. */
export function appLabels(pod: PodIdentity, service: string, container: string, port = 8080): Labels {
  return { container, endpoint: 'http', instance: `${podIp(pod.uid)}:${port}`, job: service, namespace: pod.namespace, pod: pod.name, service };
}

/** CloudNativePG's exporter on an instance pod, as the operator's PodMonitor scrapes it. */
export function cnpgLabels(pod: PodIdentity, cluster: string): Labels {
  return { container: 'postgres', endpoint: 'metrics', instance: `${podIp(pod.uid)}:9187`, job: `${pod.namespace}/${cluster}`, namespace: pod.namespace, pod: pod.name };
}

/** redis_exporter in multi-target mode: `instance` is the Redis address. */
export function redisExporterLabels(namespace: string, address: string): Labels {
  return { instance: address, job: 'redis-exporter', namespace };
}
