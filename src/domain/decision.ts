import type { TargetRef } from './target.js';

/**
 * Why nothing was done. A closed set: each value is also a metric label and a
 * filter in the API, so "why did it NOT scale?" always has an answer.
 */
export const SKIP_REASONS = [
  'no-match', // no rule matched the alert
  'disabled', // the rule is disabled
  'resolved', // the alert is resolved: nothing to scale out (restore is separate)
  'paused', // a person paused autoremediator for this rule, target, namespace or everything (POST /api/v1/pause)
  'frozen', // a freeze window (FREEZE_WINDOWS or the rule's `freeze`) is in force
  'approval-denied', // a person denied the run that waited for approval (POST /api/v1/remediations/:id/deny, Slack)
  'approval-expired', // nobody approved the run within its approval timeout
  'plan-stale', // approved, but the live state no longer matches the plan (the target changed since it was planned)
  'restore-waiting', // restore: the alerts behind the raise have not stayed resolved for the rule's restore.after
  'duplicate', // the same alert (fingerprint + startsAt + status) was already decided
  'template-missing-label', // the target template names a label/annotation the alert lacks
  'template-invalid-value', // a rendered target field is not a valid Kubernetes name (a label cannot steer the target)
  'target-unresolved', // target.from: the workload could not be found from the object the alert names (the hop that failed is named)
  'not-newest-revision', // undo with newestRevisionOnly: the crash did not start with the Deployment's newest revision
  'outside-allowed-namespaces', // the rendered target is not in ALLOWED_NAMESPACES
  'target-not-found', // the target object does not exist
  'gitops-managed', // Argo CD or Flux manages the object the action changes: its sync would revert it (a rule may opt in: owners.gitops: act)
  'hpa-managed', // `scale` on a workload an HPA manages: the HPA would undo it
  'no-hpa', // `hpa` action but no HPA targets the workload
  'cooldown', // the rule acted on this target less than `cooldown` ago
  'at-bound', // already at the rule's bound (maxReplicas, ceiling, cap)
  'policy-limit', // the step policies allow no change in this period
  'policy-disabled', // selectPolicy: Disabled
  'budget-namespace', // the namespace's action budget for the window is spent
  'budget-global', // the global action budget for the window is spent
  'breaker-open', // the target's breaker is open after failed rollbacks
  'in-progress', // another remediation holds the target
  'target-paused', // the Deployment is paused: restart/undo would be refused by kubectl too
  'quota-exceeded', // guards.quota: a ResourceQuota of the namespace has no room for the added pods' requests
  'capacity-insufficient', // guards.capacity: the nodes' allocatable room is smaller than the added pods' requests
  'precondition-failed', // guards.preconditions: a PromQL comparison does not hold (or could not be evaluated)
  'dry-run', // would act, but dry-run is on (globally or for the rule)
  'state-unavailable', // the cluster could not be read
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** A before/after pair of the fields an action changes (replicas, HPA bounds, a quantity …). */
export type StateFields = Record<string, number | string | null>;

export interface DecisionBase {
  /** null only for `no-match`. */
  rule: string | null;
  target: TargetRef | null;
  /** The action kind's name (`scale`, `hpa` …: the registry in actions/registry.ts), null for a no-match. */
  action: string | null;
  /** One sentence a person on call reads. */
  explanation: string;
  /** Facts the decision used (current replicas, period base, limits, times), for "why?". */
  facts: Record<string, unknown>;
}

export interface ActDecision extends DecisionBase {
  outcome: 'act';
  rule: string;
  target: TargetRef;
  action: string;
  before: StateFields;
  after: StateFields;
}

export interface SkipDecision extends DecisionBase {
  outcome: 'skip';
  reason: SkipReason;
  /** What would have been done (dry-run, budget …), when it was computed. */
  before?: StateFields;
  after?: StateFields;
}

export type Decision = ActDecision | SkipDecision;

export function isAct(d: Decision): d is ActDecision {
  return d.outcome === 'act';
}
