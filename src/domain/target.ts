/** A Kubernetes object reference; filled from the rule's (templated) target. */
export interface TargetRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

/**
 * The stable key of a target, used for cooldowns, locks, breakers and the API:
 * `<namespace>/<kind>/<name>` with the kind lower-cased (e.g. `ci/deployment/ci-failure-agent`).
 */
export function targetKey(t: Pick<TargetRef, 'namespace' | 'kind' | 'name'>): string {
  return `${t.namespace}/${t.kind.toLowerCase()}/${t.name}`;
}
