/**
 * Who else manages the object an action changes: a GitOps tool that would revert the change
 * (Argo CD, Flux), and the field managers (managedFields) that own the fields it changes.
 * Read before acting (actions/owners.ts), judged by planner/owners.ts, said in the decision.
 */

/** A GitOps owner, named as its own resource: an Argo CD Application, a Flux Kustomization or HelmRelease. */
export interface GitOpsOwner {
  tool: 'argocd' | 'flux';
  kind: 'Application' | 'Kustomization' | 'HelmRelease';
  /** null when the tracking does not say (Argo CD's label tracking, an Application in its control-plane namespace). */
  namespace: string | null;
  name: string;
  /** What showed it: `annotation argocd.argoproj.io/tracking-id=…`, `label kustomize.toolkit.fluxcd.io/name=…`. */
  via: string;
}

/** A field manager (not autoremediator) that owns a field the action changes. */
export interface FieldOwner {
  manager: string;
  operation: string;
  /** The fields it owns among those the action changes, as paths (`spec.replicas`). */
  fields: string[];
  time: string | null;
}

export interface TargetOwners {
  /** The object the action changes: the target, its HPA, or the HPA's KEDA ScaledObject (`Kind namespace/name`). */
  object: string;
  gitops: GitOpsOwner | null;
  fieldOwners: FieldOwner[];
}
