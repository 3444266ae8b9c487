/**
 * What `restart` and `undo` share: template changes of a Deployment, done as kubectl does
 * them (shared/reference/k8s-semantics.md §3.1, §3.2). Both are restored by an undo to
 * the revision that was current before.
 */
import { PatchStrategy, setHeaderOptions, type V1PodTemplateSpec, type V1ReplicaSet } from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import { targetKey, type TargetRef } from '../../domain/target.js';
import type { KubeClient, KubeObject } from '../../kube/client.js';
import { FIELD_MANAGER } from '../../kube/client.js';
import { callKube } from '../../kube/retry.js';
import { Refused, type ActionContext } from '../kind.js';

const REVISION = 'deployment.kubernetes.io/revision';
export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
/** Annotations of the Deployment that an undo keeps (kubectl's skip set). */
const KEEP = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

export function requireDeployment(t: TargetRef): void {
  if (t.kind !== 'Deployment' || !t.apiVersion.startsWith('apps/')) throw new Refused(`rollout restart/undo is implemented for apps/v1 Deployments, not ${t.apiVersion} ${t.kind}`);
}

export function revisionOf(o: { metadata?: { annotations?: Record<string, string> } }): number {
  return Number(o.metadata?.annotations?.[REVISION] ?? 0) || 0;
}

function withoutHash(t: V1PodTemplateSpec | undefined): V1PodTemplateSpec {
  const copy = structuredClone<V1PodTemplateSpec>(t ?? {});
  if (copy.metadata?.labels) delete copy.metadata.labels['pod-template-hash'];
  return copy;
}

function selectorString(obj: KubeObject): string {
  const sel = (obj.spec as { selector?: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] } } | undefined)?.selector;
  if (sel?.matchExpressions?.length) throw new Refused('selectors with matchExpressions are not supported by undo');
  return Object.entries(sel?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** kubectl rollout undo [--to-revision]: returns what happened, in kubectl's words. */
export async function undo(kube: KubeClient, t: TargetRef, toRevision: number): Promise<{ detail: string; from: number; to: number }> {
  const dep = await kube.getObject(t);
  if ((dep.spec as { paused?: boolean } | undefined)?.paused) throw new Refused(`you cannot rollback a paused deployment; resume it first (${targetKey(t)})`);
  const uid = dep.metadata?.uid;
  const owned = (await kube.listReplicaSets(t.namespace, selectorString(dep))).filter((rs: V1ReplicaSet) => rs.metadata?.ownerReferences?.some((o) => o.controller && o.uid === uid));
  const byRevision = owned.map((rs) => ({ rs, revision: revisionOf(rs) })).sort((a, b) => b.revision - a.revision);
  const current = revisionOf(dep);
  const pick = toRevision > 0 ? byRevision.find((r) => r.revision === toRevision) : byRevision[1];
  if (!pick) throw new Refused(toRevision > 0 ? `unable to find the specified revision ${toRevision} of ${targetKey(t)}` : `no rollout history found for ${targetKey(t)}`);
  const template = withoutHash(pick.rs.spec?.template);
  const depTemplate = (dep.spec as { template?: V1PodTemplateSpec } | undefined)?.template;
  if (isDeepStrictEqual(JSON.parse(JSON.stringify(template)), JSON.parse(JSON.stringify(withoutHash(depTemplate))))) {
    return { detail: `skipped rollback of ${targetKey(t)} (current template already matches revision ${pick.revision})`, from: current, to: pick.revision };
  }
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(dep.metadata?.annotations ?? {})) if (KEEP.has(k)) annotations[k] = v;
  for (const [k, v] of Object.entries(pick.rs.metadata?.annotations ?? {})) if (!KEEP.has(k)) annotations[k] = v;
  const ops = [
    // The precondition kubectl does not send: nobody changed the pod template since we read it.
    // (Not resourceVersion: status updates by the controllers move that all the time.)
    { op: 'test', path: '/spec/template', value: depTemplate },
    { op: 'replace', path: '/spec/template', value: template },
    { op: 'replace', path: '/metadata/annotations', value: annotations },
  ];
  await callKube(`patch deployment ${t.namespace}/${t.name}`, () =>
    kube.apps.patchNamespacedDeployment({ name: t.name, namespace: t.namespace, body: ops, fieldManager: FIELD_MANAGER }, setHeaderOptions('Content-Type', PatchStrategy.JsonPatch)),
  );
  return { detail: `rolled ${targetKey(t)} back from revision ${current} to revision ${pick.revision}`, from: current, to: pick.revision };
}

export async function restoreRevision(ctx: ActionContext, t: TargetRef, snapshot: { revision: number }): Promise<{ detail: string }> {
  const revision = snapshot.revision;
  if (!revision) throw new Refused(`no revision recorded to restore ${targetKey(t)} to`);
  const r = await undo(ctx.kube, t, revision);
  return { detail: r.detail };
}
