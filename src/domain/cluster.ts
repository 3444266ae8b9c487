import type { TargetOwners } from './owners.js';

/** The HPA that targets a workload, as far as decisions need it. */
export interface HpaState {
  name: string;
  minReplicas: number;
  maxReplicas: number;
  currentReplicas: number | null;
  /**
   * The KEDA ScaledObject that owns this HPA (ownerReferences, keda.sh/v1alpha1), if any: the HPA
   * is then never patched, and minReplicas/maxReplicas are the ScaledObject's
   * minReplicaCount/maxReplicaCount, which an `hpa` action changes instead.
   */
  scaledObject?: string;
}

export interface ContainerResources {
  name: string;
  requests: Record<string, string>;
  limits: Record<string, string>;
}

/**
 * What the cluster says about a target for the built-in kinds, read just before deciding. Each
 * kind reads its part (actions/<kind>/plan.ts names it: scale and hpa the replicas and the HPA,
 * the workload kinds the containers and `paused`, redis `maxmemory`).
 */
export interface TargetFields {
  /** spec.replicas through the scale subresource, when the kind has one. */
  replicas: number | null;
  /** The HPA whose scaleTargetRef is this target, if any. */
  hpa: HpaState | null;
  containers: ContainerResources[];
  /** Redis `maxmemory` in bytes, for the redis action. */
  maxmemory: number | null;
  paused: boolean;
  resourceVersion: string | null;
}

/** What the cluster says about a target, read just before deciding: not found (why), or found with the kind's fields `S`. */
export type TargetState<S = TargetFields> =
  | { found: false; detail: string }
  | ({
      found: true;
      /** Who else manages the object the action changes (GitOps, other field managers); absent when not read (redis). */
      owners?: TargetOwners;
    } & S);

/** Outcome of applying or restoring, classified where it happened (STYLE habit 5). */
export type ApplyOutcome =
  | { ok: true; detail: string; snapshot: Record<string, unknown>; applied: Record<string, unknown> }
  | { ok: false; retryable: boolean; reason: ApplyFailureReason; detail: string };

export const APPLY_FAILURE_REASONS = [
  'conflict', // 409 after bounded re-read and re-plan
  'throttled', // 429 after bounded backoff
  'server-error', // 5xx after bounded backoff
  'timeout',
  'forbidden', // 403: RBAC does not allow it
  'not-found', // 404: target deleted
  'invalid', // 422
  'refused', // our own guard (e.g. paused deployment, HPA appeared mid-run)
  'unavailable', // cannot reach the API / Redis
] as const;
export type ApplyFailureReason = (typeof APPLY_FAILURE_REASONS)[number];
