/**
 * Which transitions are announced, and where. Pure: the notifier asks before it
 * queues anything, so a quiet rule's skips cost nothing.
 */
import type { SkipReason } from '../domain/decision.js';
import type { Phase } from '../domain/remediation.js';
import type { RemediationEvent } from '../domain/remediation.js';
import type { RuleSpec } from '../rule-table/schema.js';

export type NotifySpec = RuleSpec['notify'];

/** Skips that always reach a person, whatever the rule's verbosity: a target or a budget is blocked. */
export const LOUD_SKIP_REASONS: ReadonlySet<SkipReason> = new Set<SkipReason>(['breaker-open', 'budget-namespace', 'budget-global', 'approval-denied', 'approval-expired', 'plan-stale']);

/**
 * A dry-run skip is a would-be act: the rule schema promises dry-run rules are
 * "recorded and announced", so quiet rules announce them like acts.
 */
export const WOULD_ACT_SKIP_REASONS: ReadonlySet<SkipReason> = new Set<SkipReason>(['dry-run']);

const ALWAYS_LOUD_PHASES: ReadonlySet<Phase> = new Set<Phase>(['failed', 'rolled_back']);

/**
 * Announce this transition? Quiet (the default): every transition of an act,
 * every failure and rollback, dry runs, and the loud skips (breaker, budgets).
 * Verbose: every skip too.
 *
 * @example shouldAnnounce({ remediation, from: null, to: 'skipped', note }, { verbosity: 'quiet' }) // false for a cooldown skip
 */
export function shouldAnnounce(e: RemediationEvent, notify: NotifySpec | undefined): boolean {
  const d = e.remediation.decision;
  if (d.outcome === 'act') return true;
  // The end of a run a person was asked to approve (whatever the skip: paused, plan-stale …): the question gets its answer.
  if (e.from === 'awaiting_approval') return true;
  if (ALWAYS_LOUD_PHASES.has(e.to)) return true;
  if (notify?.verbosity === 'verbose') return true;
  return LOUD_SKIP_REASONS.has(d.reason) || WOULD_ACT_SKIP_REASONS.has(d.reason);
}

/** The channel a remediation's thread goes to in bot mode: the rule's override, else the configured one. */
export function channelFor(notify: NotifySpec | undefined, fallback: string): string {
  const c = notify?.channel?.trim();
  return c ? c : fallback;
}
