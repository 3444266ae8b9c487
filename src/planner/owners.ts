/**
 * Owners of the object an action changes, judged. Pure: the reading is in actions/owners.ts.
 *
 * - gitOpsOwnerOf: which Argo CD Application or Flux Kustomization/HelmRelease tracks an object,
 *   from the marks those tools put on what they apply (Argo CD's resource tracking, Flux's labels).
 * - fieldOwnersOf: which field managers (managedFields) own the fields the action changes.
 * - ownersVerdict: skip `gitops-managed`, or go on and say who else manages the object.
 * - revertVerdict: for a run that acted under a GitOps owner, did the owner put the change back?
 */
import type { TargetState } from '../domain/cluster.js';
import type { StateFields } from '../domain/decision.js';
import type { FieldOwner, GitOpsOwner, TargetOwners } from '../domain/owners.js';
import { targetKey, type TargetRef } from '../domain/target.js';
import type { Rule } from '../rule-table/rule.js';
import type { ActionSpec } from '../rule-table/schema.js';

/** Argo CD's tracking annotation (its default tracking method since Argo CD 3.0). */
export const ARGOCD_TRACKING_ANNOTATION = 'argocd.argoproj.io/tracking-id';
/** Argo CD's default instance label (tracking method `label`, the default before 3.0). */
export const ARGOCD_INSTANCE_LABEL = 'app.kubernetes.io/instance';
export const FLUX_LABELS = {
  Kustomization: { name: 'kustomize.toolkit.fluxcd.io/name', namespace: 'kustomize.toolkit.fluxcd.io/namespace' },
  HelmRelease: { name: 'helm.toolkit.fluxcd.io/name', namespace: 'helm.toolkit.fluxcd.io/namespace' },
} as const;
/** Set by `helm install/upgrade` (and Flux's helm-controller), never by `helm template` (Argo CD's Helm sources). */
const HELM_RELEASE_ANNOTATION = 'meta.helm.sh/release-name';

/**
 * How Argo CD tracks resources on this cluster (its `application.resourceTrackingMethod`):
 * `annotation` (Argo CD 3's default) and `annotation+label` track by the annotation alone;
 * `label` tracks by the instance label.
 */
export type ArgoTrackingMethod = 'annotation' | 'label' | 'annotation+label';

export interface ObjectMeta {
  labels?: Record<string, string> | undefined;
  annotations?: Record<string, string> | undefined;
}

export interface ObjectId {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

/**
 * The GitOps owner an object's marks name, or null. Argo CD's tracking id counts only when it
 * names this very object (`<app>:<group>/<kind>:<namespace>/<name>`, Argo CD ignores a copied
 * one); `<namespace>_<app>` is an Application outside Argo CD's own namespace. The instance
 * label counts only with `label` tracking, and not on an object a Helm release installed (Helm
 * charts set the same label).
 */
export function gitOpsOwnerOf(meta: ObjectMeta, object: ObjectId, argoTracking: ArgoTrackingMethod = 'annotation'): GitOpsOwner | null {
  const labels = meta.labels ?? {};
  const annotations = meta.annotations ?? {};
  const tracking = annotations[ARGOCD_TRACKING_ANNOTATION];
  if (tracking !== undefined && argoTracking !== 'label') {
    const parsed = parseTrackingId(tracking);
    if (parsed && trackingNames(parsed, object)) {
      return { tool: 'argocd', kind: 'Application', namespace: parsed.appNamespace, name: parsed.app, via: `annotation ${ARGOCD_TRACKING_ANNOTATION}=${tracking}` };
    }
  }
  for (const kind of ['Kustomization', 'HelmRelease'] as const) {
    const keys = FLUX_LABELS[kind];
    const name = labels[keys.name];
    if (name) return { tool: 'flux', kind, namespace: labels[keys.namespace] ?? null, name, via: `label ${keys.name}=${name}` };
  }
  const instance = labels[ARGOCD_INSTANCE_LABEL];
  if (argoTracking === 'label' && instance && annotations[HELM_RELEASE_ANNOTATION] === undefined) {
    return { tool: 'argocd', kind: 'Application', namespace: null, name: instance, via: `label ${ARGOCD_INSTANCE_LABEL}=${instance}` };
  }
  return null;
}

interface TrackingId {
  app: string;
  appNamespace: string | null;
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

/** `<app>:<group>/<kind>:<namespace>/<name>` (group empty for the core group). */
export function parseTrackingId(value: string): TrackingId | null {
  const m = /^([^:]+):([^/:]*)\/([^:]+):([^/]*)\/(.+)$/.exec(value.trim());
  if (!m) return null;
  const [, instance, group, kind, namespace, name] = m as unknown as [string, string, string, string, string, string];
  const sep = instance.indexOf('_');
  return {
    app: sep >= 0 ? instance.slice(sep + 1) : instance,
    appNamespace: sep >= 0 ? instance.slice(0, sep) : null,
    group,
    kind,
    namespace,
    name,
  };
}

function trackingNames(t: TrackingId, o: ObjectId): boolean {
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0]! : '';
  return t.group === group && t.kind === o.kind && t.name === o.name && (t.namespace === '' || t.namespace === o.namespace);
}

/** One managedFields entry as the API returns it. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  time?: string | Date;
  subresource?: string;
  fieldsV1?: Record<string, unknown>;
}

/**
 * The field managers other than `self` that own one of `paths` (each a list of fieldsV1 keys,
 * `['f:spec', 'f:replicas']`), with the paths they own written as dotted names.
 */
export function fieldOwnersOf(managedFields: readonly ManagedFieldsEntry[] | undefined, paths: readonly (readonly string[])[], self: string): FieldOwner[] {
  const out: FieldOwner[] = [];
  for (const e of managedFields ?? []) {
    if (!e.manager || e.manager === self || !e.fieldsV1) continue;
    const owned = paths.filter((p) => owns(e.fieldsV1!, p)).map(dotted);
    if (owned.length === 0) continue;
    const time = e.time instanceof Date ? e.time.toISOString() : (e.time ?? null);
    out.push({ manager: e.manager, operation: e.operation ?? 'Unknown', fields: owned, time });
  }
  return out;
}

function owns(fields: Record<string, unknown>, path: readonly string[]): boolean {
  let node: unknown = fields;
  for (const key of path) {
    if (!node || typeof node !== 'object' || !(key in node)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
}

function dotted(path: readonly string[]): string {
  return path.map((k) => (k.startsWith('f:') ? k.slice(2) : k.startsWith('k:') ? `[${k.slice(2)}]` : k)).join('.').replace(/\.\[/g, '[');
}

/**
 * The fields an action changes on the object it changes, as fieldsV1 paths: replicas, the HPA's
 * bounds (or a ScaledObject's), a container's resources, the pod template (restart, undo).
 * Empty for actions that change no Kubernetes object (redis).
 */
export function changedFieldPaths(action: ActionSpec, scaledObject: boolean): string[][] {
  switch (action.type) {
    case 'scale':
      return [['f:spec', 'f:replicas']];
    case 'hpa':
      return scaledObject
        ? [['f:spec', 'f:minReplicaCount'], ['f:spec', 'f:maxReplicaCount']]
        : [['f:spec', 'f:minReplicas'], ['f:spec', 'f:maxReplicas']];
    case 'resources':
      return [['f:spec', 'f:template', 'f:spec', 'f:containers', `k:{"name":"${action.container}"}`, 'f:resources']];
    case 'restart':
      return [['f:spec', 'f:template', 'f:metadata', 'f:annotations']];
    case 'undo':
      return [['f:spec', 'f:template']];
    case 'redis':
      return [];
  }
}

/** What a rule says to do when a GitOps tool manages the object: `skip` (default) or `act` anyway. */
export function gitopsPolicy(rule: Pick<Rule, 'owners'>): 'skip' | 'act' {
  return rule.owners?.gitops ?? 'skip';
}

export type OwnersVerdict =
  | { kind: 'skip'; reason: 'gitops-managed'; explanation: string; facts: Record<string, unknown> }
  /** Go on; `note` (a sentence or '') joins the decision's explanation, `facts` its facts. */
  | { kind: 'go'; note: string; facts: Record<string, unknown> };

export function describeGitOps(g: GitOpsOwner): string {
  const tool = g.tool === 'argocd' ? 'Argo CD' : 'Flux';
  return `${tool} ${g.kind} ${g.namespace ? `${g.namespace}/` : ''}${g.name}`;
}

/**
 * Before acting: a GitOps-managed object is skipped (`gitops-managed`, naming the owner) unless the
 * rule opted in (`owners: { gitops: act }`, for an owner told to ignore the field); other field
 * managers of the changed fields are said in the decision. null when the owners were not read.
 */
export function ownersVerdict(input: { rule: Pick<Rule, 'name' | 'owners'>; target: TargetRef; state: TargetState | null }): OwnersVerdict | null {
  const { rule, target, state } = input;
  if (!state?.found || !state.owners) return null;
  const owners: TargetOwners = state.owners;
  const facts: Record<string, unknown> = { owners };
  const others = owners.fieldOwners.length
    ? ` ${owners.fieldOwners.map((f) => `Field manager ${f.manager} (${f.operation}) also owns ${f.fields.join(', ')} of ${owners.object}`).join('; ')}.`
    : '';
  if (owners.gitops) {
    const who = describeGitOps(owners.gitops);
    if (gitopsPolicy(rule) === 'skip') {
      return {
        kind: 'skip',
        reason: 'gitops-managed',
        explanation: `${owners.object} (target ${targetKey(target)}) is managed by ${who} (${owners.gitops.via}); its sync would revert the change, possibly during validation. Rule ${rule.name} acts on such targets only with owners.gitops: act, once ${who} ignores the field (see the README, "GitOps owners").${others}`,
        facts,
      };
    }
    return {
      kind: 'go',
      note: ` ${owners.object} is managed by ${who} (${owners.gitops.via}); rule ${rule.name} acts anyway (owners.gitops: act) and validation checks that the change was not reverted.${others}`,
      facts: { ...facts, revertWatch: true },
    };
  }
  return { kind: 'go', note: others, facts };
}

export type RevertVerdict = { reverted: false } | { reverted: true; reason: 'reverted-by-owner'; note: string };

/**
 * After validation of a run that acted under a GitOps owner (its decision's facts say
 * `revertWatch`): the live state no longer shows what was applied (`showsAfter` false) → the
 * owner reverted it. A live state that could not be read or compared (null, 'unknown') is not a
 * revert: validation's own verdict stands.
 */
export function revertVerdict(input: { facts: Record<string, unknown>; after: StateFields; showsAfter: boolean | 'unknown' | null; state: TargetState | null }): RevertVerdict {
  if (input.facts.revertWatch !== true) return { reverted: false };
  if (input.showsAfter !== false) return { reverted: false };
  const owners = input.facts.owners as TargetOwners | undefined;
  const who = owners?.gitops ? describeGitOps(owners.gitops) : 'its GitOps owner';
  const live = liveOf(input.state, input.after);
  return {
    reverted: true,
    reason: 'reverted-by-owner',
    note: `reverted by ${who}: applied ${JSON.stringify(input.after)}, the live state shows ${live ? JSON.stringify(live) : 'otherwise'}; the owner does not ignore the field (see the README, "GitOps owners")`,
  };
}

/** The live values of the numeric fields an action changed (replicas, HPA bounds, maxmemory), when read. */
function liveOf(state: TargetState | null, after: StateFields): StateFields | null {
  if (!state?.found) return null;
  const out: StateFields = {};
  for (const key of Object.keys(after)) {
    if (key === 'replicas') out[key] = state.replicas;
    else if (key === 'minReplicas') out[key] = state.hpa?.minReplicas ?? null;
    else if (key === 'maxReplicas') out[key] = state.hpa?.maxReplicas ?? null;
    else if (key === 'maxmemory') out[key] = state.maxmemory;
  }
  return Object.keys(out).length ? out : null;
}

/** How a decision names an HPA: itself, or the KEDA ScaledObject whose bounds stand for it. */
export function hpaLabel(hpa: { name: string; scaledObject?: string | undefined }): string {
  return hpa.scaledObject ? `ScaledObject ${hpa.scaledObject} (KEDA, owner of HPA ${hpa.name})` : `HPA ${hpa.name}`;
}

/** The name of a bound on the object changed: minReplicas/maxReplicas, or the ScaledObject's minReplicaCount/maxReplicaCount. */
export function boundLabel(hpa: { scaledObject?: string | undefined }, field: 'minReplicas' | 'maxReplicas'): string {
  if (!hpa.scaledObject) return field;
  return field === 'minReplicas' ? 'minReplicaCount' : 'maxReplicaCount';
}
