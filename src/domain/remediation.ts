import type { Decision } from './decision.js';
import type { TargetRef } from './target.js';

/**
 * The lifecycle of a remediation. `planned → applying → validating → succeeded`;
 * `validating → rolling_back → rolled_back`; `applying | rolling_back → failed`; `validating → failed`
 * when the target's GitOps owner reverted the change (`reverted-by-owner`: nothing left to roll back);
 * `skipped` is terminal and carries the decision's reason. A run that needs a person's
 * approval waits `planned → awaiting_approval`, then goes back to `planned` (approved, the
 * plan still fresh) or ends `skipped` (`approval-denied`, `approval-expired`, `plan-stale` …).
 */
export const PHASES = ['planned', 'awaiting_approval', 'applying', 'validating', 'succeeded', 'rolling_back', 'rolled_back', 'failed', 'skipped'] as const;
export type Phase = (typeof PHASES)[number];

const TERMINAL: ReadonlySet<Phase> = new Set(['succeeded', 'rolled_back', 'failed', 'skipped']);

/**
 * The phases in which a run still holds its target (the planner's in-progress check, resume,
 * restore). Written once: the stores build their SQL from it.
 */
export const ACTIVE_PHASES = ['planned', 'awaiting_approval', 'applying', 'validating', 'rolling_back'] as const satisfies readonly Phase[];
export type ActivePhase = (typeof ACTIVE_PHASES)[number];

export function isActive(p: Phase): p is ActivePhase {
  return (ACTIVE_PHASES as readonly Phase[]).includes(p);
}

const ALLOWED: Readonly<Record<Phase, readonly Phase[]>> = {
  planned: ['applying', 'awaiting_approval', 'skipped', 'failed'],
  awaiting_approval: ['planned', 'skipped'],
  applying: ['validating', 'failed'],
  validating: ['succeeded', 'rolling_back', 'failed'], // failed: reverted by the target's GitOps owner
  succeeded: ['rolling_back'], // a manual rollback of a succeeded run
  rolling_back: ['rolled_back', 'failed'],
  rolled_back: [],
  failed: [],
  skipped: [],
};

/**
 * Phases in which no process drives the run: it waits for a person (or its deadline). It still
 * holds its target (ACTIVE_PHASES), but carries no lease and is never resumed.
 */
export function isWaiting(p: Phase): boolean {
  return p === 'awaiting_approval';
}

/**
 * Why a run ended `failed` other than by its apply or rollback failing (stored in its result as
 * `failure.reason`). A closed set, like SKIP_REASONS.
 */
export const RUN_FAILURE_REASONS = [
  'reverted-by-owner', // validation found the change put back by the target's GitOps owner (a rule with owners.gitops: act)
] as const;
export type RunFailureReason = (typeof RUN_FAILURE_REASONS)[number];

export function isTerminal(p: Phase): boolean {
  return TERMINAL.has(p);
}

/** The one transition function: throws on a move the lifecycle does not allow. */
export function assertTransition(from: Phase, to: Phase): void {
  if (!ALLOWED[from].includes(to)) throw new Error(`illegal remediation transition ${from} -> ${to}`);
}

export function canTransition(from: Phase, to: Phase): boolean {
  return ALLOWED[from].includes(to);
}

export interface Transition {
  from: Phase | null;
  to: Phase;
  at: Date;
  /** Why; e.g. the validation outcome or the error. */
  note: string;
}

/** A remediation: one decision (act or skip) of one rule for one alert, and what became of it. */
export interface Remediation {
  id: string;
  alertId: string | null;
  rule: string | null;
  /** `targetKey(target)`, or null for a no-match. */
  targetKey: string | null;
  target: TargetRef | null;
  namespace: string | null;
  phase: Phase;
  decision: Decision;
  /** Snapshot of the target before the action, to restore it. */
  snapshot: Record<string, unknown> | null;
  /** Results of validation (each measurement, baseline and after) and of the apply. */
  result: Record<string, unknown> | null;
  dryRun: boolean;
  /** true when started by replay, by hand or by restore rather than by an alert. */
  origin: 'alert' | 'replay' | 'manual' | 'restore';
  createdAt: Date;
  updatedAt: Date;
  transitions: Transition[];
}

/**
 * A rollback a person asked for (POST /api/v1/remediations/:id/rollback), stored in the
 * run's result as `manualRollback`: such rollbacks never count toward a breaker.
 */
export interface ManualRollback {
  by: string;
  at: string;
}

export function manualRollbackOf(rem: Pick<Remediation, 'result'>): ManualRollback | null {
  const m = (rem.result as { manualRollback?: ManualRollback } | null)?.manualRollback;
  return m && typeof m.by === 'string' ? m : null;
}

/** What result.approval records while a run waits and after. */
export interface ApprovalRecord {
  /** Who asked for approval: `rule scale-api`, `namespace prod (APPROVAL_NAMESPACES)`, `service (APPROVAL_REQUIRED)`, `window "release" (service)`. */
  sources: string[];
  requestedAt: string;
  deadline: string;
  timeoutMs: number;
  explanation: string;
  /** Set once a person (or the deadline) ended the wait. */
  outcome?: 'approved' | 'denied' | 'expired' | 'refused';
  by?: string;
  at?: string;
  reason?: string;
}

/** The approval record of a run, or null when it never needed one. */
export function approvalOf(rem: Pick<Remediation, 'result'>): ApprovalRecord | null {
  const a = (rem.result as { approval?: ApprovalRecord } | null)?.approval;
  return a && typeof a.deadline === 'string' && Array.isArray(a.sources) ? a : null;
}

/** A lifecycle event for notifiers (Slack) and Kubernetes Events. */
export interface RemediationEvent {
  remediation: Remediation;
  from: Phase | null;
  to: Phase;
  note: string;
}

/** Told of every creation and transition of a run (declared here, beside the event, so notify does not import the driver). */
export interface RemediationListener {
  onTransition(e: RemediationEvent): void;
}
