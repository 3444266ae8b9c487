/**
 * Which kinds of object can carry which action: pure, used by `check` on a rule's literal target
 * kind and by the resolver on the workload it found. An answer of "never" comes with the reason a
 * person reads; a kind this table does not know (a custom resource) is given the benefit of the
 * doubt: discovery decides at run time whether it has a scale subresource, a pod template …
 */
import type { ActionType } from './schema.js';

/** Kinds with a pod template the `resources` action patches. */
const POD_TEMPLATE_KINDS = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'DaemonSet']);
/** Kinds an HPA can scale (scale subresource) among the built-in ones. */
const SCALABLE_BUILTIN = new Set(['Deployment', 'StatefulSet', 'ReplicaSet']);
/** Built-in kinds with neither replicas nor a pod template of their own. */
const PLAIN_BUILTIN = new Set(['Service', 'ConfigMap', 'Secret', 'Namespace', 'Node', 'Ingress', 'PersistentVolumeClaim', 'ServiceAccount', 'Event']);

const FIND_WORKLOAD = 'find its workload with target.from: Pod (pod → ReplicaSet → Deployment, or → StatefulSet)';

/**
 * Why an object of this kind can never carry the action, or null when it can (or may: an unknown
 * kind). `apiVersion` tells the built-in kinds from a custom resource of the same name.
 *
 * @example cannotCarry('hpa', 'v1', 'Pod') // → 'a Pod has no replicas: …'
 * @example cannotCarry('scale', 'apps/v1', 'Deployment') // → null
 */
export function cannotCarry(action: ActionType, apiVersion: string, kind: string): string | null {
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const builtin = group === '' || group === 'apps' || group === 'batch' || group === 'autoscaling' || group === 'networking.k8s.io';
  if (action === 'redis') return null; // the object is only read; the change goes to Redis
  if (action === 'restart' || action === 'undo') {
    if (kind === 'Deployment' && group === 'apps') return null;
    const hint = kind === 'Pod' ? `; ${FIND_WORKLOAD}` : '';
    return `rollout ${action} is implemented for apps/v1 Deployments only, not ${apiVersion} ${kind}${hint}`;
  }
  if (!builtin) return null;
  if (kind === 'Pod') {
    if (action === 'resources') return `a Pod's resources are set by its workload's pod template (a Pod is not changed in place); ${FIND_WORKLOAD}`;
    return `a Pod has no replicas to ${action === 'hpa' ? 'autoscale' : 'scale'}; ${FIND_WORKLOAD}`;
  }
  if (kind === 'HorizontalPodAutoscaler') {
    if (action === 'hpa') return 'an hpa action raises the bounds of the HPA whose scaleTargetRef is the target, so the target is the workload, not the HPA: write target.from: HorizontalPodAutoscaler to find the workload from the HPA the alert names';
    if (action === 'scale') return 'a HorizontalPodAutoscaler has no scale subresource: raise its bounds with an hpa action and target.from: HorizontalPodAutoscaler';
    return 'a HorizontalPodAutoscaler has no containers: act on its scaleTargetRef with target.from: HorizontalPodAutoscaler';
  }
  if (action === 'resources') {
    if (POD_TEMPLATE_KINDS.has(kind)) return null;
    if (kind === 'Job' || kind === 'CronJob' || PLAIN_BUILTIN.has(kind)) return `a ${kind} has no pod template the resources action can change (Deployment, StatefulSet, ReplicaSet, DaemonSet)`;
    return null;
  }
  // scale and hpa: the kind needs replicas behind a scale subresource.
  if (SCALABLE_BUILTIN.has(kind)) return null;
  if (kind === 'DaemonSet') return 'a DaemonSet runs one pod per node and has no replicas to scale';
  if (kind === 'Job' || kind === 'CronJob' || PLAIN_BUILTIN.has(kind)) return `a ${kind} has no replicas to scale (no scale subresource)`;
  return null;
}

/** `an hpa action`, `a scale action`: the action named in a sentence. */
export function actionPhrase(action: ActionType): string {
  return `${action === 'hpa' || action === 'undo' ? 'an' : 'a'} ${action} action`;
}
