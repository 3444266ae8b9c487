/**
 * RBAC preflight, the I/O half: resolve each needed kind through discovery and ask the API
 * server (SelfSubjectAccessReview) whether this identity may do it. The needs and the report are
 * pure (planner/permissions.ts).
 */
import type { KubeClient } from '../kube/client.js';
import { KubeError } from '../kube/errors.js';
import { accessReport, requiredPermissions, type AccessReport, type AccessResult } from '../planner/permissions.js';
import type { Rule } from '../rule-table/rule.js';

export async function reviewAccess(kube: KubeClient, rules: readonly Rule[], allowed: readonly string[] | '*', now: () => Date = () => new Date()): Promise<AccessReport> {
  const plan = requiredPermissions(rules, allowed);
  const results: AccessResult[] = [];
  // Sequential: a handful of small requests, and a cluster under stress is not asked for dozens at once.
  for (const need of plan.needed) {
    let kind: { group: string; plural: string; namespaced: boolean };
    try {
      kind = await kube.resolve(need.apiVersion, need.kind);
    } catch (err) {
      results.push({ need, resource: `${need.apiVersion} ${need.kind}`, allowed: false, detail: `not served by this API server (${(err as Error).message})` });
      continue;
    }
    const resource = `${kind.group || 'core'}/${kind.plural}${need.subresource ? `/${need.subresource}` : ''}`;
    const attrs = { verb: need.verb, group: kind.group, resource: kind.plural, ...(need.subresource ? { subresource: need.subresource } : {}), ...(kind.namespaced && need.namespace ? { namespace: need.namespace } : {}) };
    try {
      const r = await kube.canI(attrs);
      results.push({ need, resource, allowed: r.allowed, detail: r.allowed ? '' : r.reason });
    } catch (err) {
      // A server without the authorization API (the sandbox) cannot be asked at all: one error, not N missing permissions.
      if (err instanceof KubeError && err.failure.reason === 'not-found') throw new Error(`the API server does not serve SelfSubjectAccessReview (${err.message})`);
      results.push({ need, resource, allowed: false, detail: `could not ask: ${(err as Error).message}` });
    }
  }
  return accessReport(results, plan.unchecked, now());
}
