/** `resources`: a container's requests/limits (a pod-template change: a new rollout). */
import { PatchStrategy } from '@kubernetes/client-node';
import type { TargetFields } from '../../domain/cluster.js';
import type { ResourcesAction } from '../../rule-table/schema.js';
import { targetKey } from '../../domain/target.js';
import { retryOnConflict } from '../../kube/retry.js';
import { Refused, templateContainers, workloadState, type ActionKind } from '../kind.js';
import { textField } from '../plan-kind.js';
import { resourcesPlan, type ResourcesSnapshot } from './plan.js';

type Values = { requests: string | null; limits: string | null };

function patchBody(container: string, resource: string, values: Values, resourceVersion?: string): Record<string, unknown> {
  // Strategic merge: containers merge by name; a null value removes the key.
  return {
    ...(resourceVersion ? { metadata: { resourceVersion } } : {}),
    spec: { template: { spec: { containers: [{ name: container, resources: { requests: { [resource]: values.requests }, limits: { [resource]: values.limits } } }] } } },
  };
}

export const resourcesKind: ActionKind<ResourcesAction, TargetFields, ResourcesSnapshot> = {
  ...resourcesPlan,
  events: { up: 'AutoremediatorResources', down: 'AutoremediatorResourcesRestored' },
  async read({ kube }, target) {
    return workloadState(await kube.getObject(target));
  },

  async apply({ kube }, decision, action) {
    const t = decision.target;
    const res = action.resource;
    const field = (f: 'requests' | 'limits', side: 'before' | 'after') => textField(decision[side], `${f}.${res}`, `resources decision.${side}`);
    const before: Values = { requests: field('requests', 'before'), limits: field('limits', 'before') };
    const after: Values = { requests: field('requests', 'after'), limits: field('limits', 'after') };
    let uid: string | undefined;
    await retryOnConflict(async () => {
      const obj = await kube.getObject(t);
      uid = obj.metadata?.uid;
      const c = templateContainers(obj).find((x) => x.name === action.container);
      if (!c) throw new Refused(`container ${action.container} is gone from ${targetKey(t)}`);
      const now: Values = { requests: c.requests[res] ?? null, limits: c.limits[res] ?? null };
      if (now.requests !== before.requests || now.limits !== before.limits) {
        throw new Refused(`${res} of ${targetKey(t)}/${action.container} changed since the plan (${JSON.stringify(now)}, planned from ${JSON.stringify(before)})`);
      }
      await kube.patchObject(t, patchBody(action.container, res, after, obj.metadata?.resourceVersion), PatchStrategy.StrategicMergePatch);
    });
    return {
      detail: `set ${res} of container ${action.container} in ${targetKey(t)}: requests ${before.requests ?? 'unset'}→${after.requests ?? 'unset'}, limits ${before.limits ?? 'unset'}→${after.limits ?? 'unset'}`,
      snapshot: { container: action.container, resource: res, ...before },
      applied: { ...after },
      ...(uid ? { uid } : {}),
    };
  },

  async restore({ kube }, t, action, snapshot) {
    const values: Values = { requests: snapshot.requests, limits: snapshot.limits };
    await retryOnConflict(async () => {
      const obj = await kube.getObject(t);
      await kube.patchObject(t, patchBody(action.container, action.resource, values, obj.metadata?.resourceVersion), PatchStrategy.StrategicMergePatch);
    });
    return { detail: `restored ${action.resource} of container ${action.container} in ${targetKey(t)} to requests ${values.requests ?? 'unset'}, limits ${values.limits ?? 'unset'}` };
  },
};
