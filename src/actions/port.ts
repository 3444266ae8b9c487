import type { ApplyOutcome, TargetFields, TargetState } from '../domain/cluster.js';
import type { ActDecision } from '../domain/decision.js';
import type { TargetRef } from '../domain/target.js';
import type { CapacityReading, PodResources, QuotaReading } from '../domain/guards.js';
import type { ActionSpec } from '../rule-table/schema.js';
import type { AnyAction } from './plan-kind.js';
import type { Rule } from '../rule-table/rule.js';
import type { AccessReport } from '../planner/permissions.js';

/**
 * The port through which decisions read and change the world. Declared beside its
 * implementation, KubeCluster (this folder); test/contract/cluster.contract.ts is what every
 * implementation must meet. `A`, `S`: the actions it carries out and the state its reads give
 * (the built-in kinds by default; a test registers one more kind through KubeCluster's registry).
 */
export interface ClusterPort<A extends AnyAction = ActionSpec, S = TargetFields> {
  readState(target: TargetRef, action: A): Promise<TargetState<S>>;
  /** The target object as the API returns it (for rollout readiness); rejects when it cannot be read. */
  readObject(target: TargetRef): Promise<Record<string, unknown>>;
  /**
   * Apply an act decision, with a resourceVersion precondition; never throws. `read` is the
   * planner's read of the target, when the write follows it at once: a kind may write against
   * it instead of reading again (the precondition turns any change since into a conflict).
   */
  apply(decision: ActDecision, action: A, remediationId: string, read?: TargetState<S>): Promise<ApplyOutcome>;
  /** Put the target back to the snapshot taken by apply; never throws. */
  restore(target: TargetRef, action: A, snapshot: Record<string, unknown>, remediationId: string): Promise<ApplyOutcome>;
  /** The reads behind a rule's guards (planner/guards.ts); a cluster without them cannot pass a quota or capacity guard. */
  guardReads?: GuardReadsPort;
  /** RBAC preflight: may this identity do what the rules need (SelfSubjectAccessReview)? Absent: cannot be asked. */
  reviewAccess?(rules: readonly Rule[], allowed: readonly string[] | '*'): Promise<AccessReport>;
}

/** Reads for guards.quota and guards.capacity; they reject when the API cannot be read. */
export interface GuardReadsPort {
  quotas(namespace: string): Promise<QuotaReading[]>;
  podResources(target: TargetRef): Promise<PodResources>;
  capacity(): Promise<CapacityReading>;
}
