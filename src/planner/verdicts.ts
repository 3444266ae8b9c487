/**
 * The driver's decisions, each a pure function of what it knows: which skip an alert
 * gets when no rule matches or a template does not render, whether a half-done write
 * happened, the phase after validation, and whether a breaker opens. The driver
 * (remediation/runner.ts) only carries them out and records them.
 */
import type { LabelSet } from '../domain/alert.js';
import type { SkipDecision } from '../domain/decision.js';
import type { Rule, RuleTable } from '../rule-table/rule.js';

/** The single skip of an alert no rule matched. */
export function noMatchDecision(alert: { labels: LabelSet }, table: Pick<RuleTable, 'rules' | 'version'>): SkipDecision {
  return {
    outcome: 'skip',
    reason: 'no-match',
    rule: null,
    target: null,
    action: null,
    explanation: `No rule matched ${alert.labels.alertname ?? 'the alert'} (${table.rules.length} rules in table ${table.version.slice(0, 12)}); nothing was done.`,
    facts: { labels: alert.labels, ruleTableVersion: table.version },
  };
}

/** The skip of a matched rule whose target or action template does not render for this alert. */
export function templateSkipDecision(
  rule: Pick<Rule, 'name' | 'action'>,
  alert: { labels: LabelSet },
  failure: { reason: 'template-missing-label' | 'template-invalid-value' | 'target-unresolved' | 'not-newest-revision' | 'state-unavailable'; message: string; facts?: Record<string, unknown> },
): SkipDecision {
  return {
    outcome: 'skip',
    reason: failure.reason,
    rule: rule.name,
    target: null,
    action: rule.action.type,
    explanation: `Rule ${rule.name} matched ${alert.labels.alertname ?? 'the alert'} but does not apply: ${failure.message}.`,
    facts: { labels: alert.labels, ...failure.facts },
  };
}

/**
 * The converge step of a run in `applying`: did the write happen? `justEntered` is true when
 * the driver itself stored `applying` a moment ago in this call (nothing can have been written
 * since). Otherwise the live state decides: it shows `after` → done; `before` → write; neither,
 * or a kind that cannot tell → failed (never write twice on a guess).
 */
export type ConvergeVerdict = { next: 'write' } | { next: 'done' } | { next: 'failed'; why: string };

export function convergeVerdict(input: { justEntered: boolean; showsAfter: boolean | 'unknown'; showsBefore: boolean | 'unknown'; actionType: string }): ConvergeVerdict {
  if (input.justEntered) return { next: 'write' };
  if (input.showsAfter === true) return { next: 'done' };
  if (input.showsBefore === true) return { next: 'write' };
  if (input.showsAfter === 'unknown') return { next: 'failed', why: `cannot tell from the live state whether the ${input.actionType} happened` };
  return { next: 'failed', why: 'the target is in neither the planned before nor after state' };
}

/**
 * The lease fence before a Kubernetes write (apply, restore): write only while this process
 * holds the run's lease, renewed just now. `ours` is the store's answer to the renewal; a
 * renewal that took longer than a third of the lease leaves too little of it for the write
 * (another replica may take the run over once the lease is stale), so it does not count.
 */
export type FenceVerdict = { ok: true } | { ok: false; why: string };

export function fenceVerdict(input: { ours: boolean; tookMs: number; leaseTtlMs: number }): FenceVerdict {
  if (!input.ours) return { ok: false, why: 'another replica holds the run\'s lease (it took the run over); this process must not write' };
  if (input.tookMs > input.leaseTtlMs / 3) {
    return { ok: false, why: `renewing the run's lease took ${input.tookMs} ms, over a third of RUN_LEASE_TTL (${input.leaseTtlMs} ms): too little of the lease is left to write` };
  }
  return { ok: true };
}

/**
 * A manual rollback (a person asked to undo a succeeded run): only while the live state still
 * shows the run's `after`. Otherwise something changed the target since (a later run, a person,
 * a controller) and restoring this run's snapshot would undo that: refused, with the reason.
 */
export type ManualRollbackVerdict = { ok: true } | { ok: false; why: string };

export function manualRollbackVerdict(input: { targetKey: string; after: Record<string, unknown>; showsAfter: boolean | 'unknown'; readError?: string }): ManualRollbackVerdict {
  const after = JSON.stringify(input.after);
  if (input.readError !== undefined) return { ok: false, why: `cannot read ${input.targetKey} to check it still shows this run's change ${after}: ${input.readError}; nothing was changed` };
  if (input.showsAfter === 'unknown') return { ok: false, why: `cannot tell from the live state of ${input.targetKey} whether it still shows this run's change ${after}; nothing was changed` };
  if (!input.showsAfter) {
    return { ok: false, why: `${input.targetKey} no longer shows this run's change ${after} (a later run or someone else changed it since); restoring this run's snapshot would undo that, so nothing was changed` };
  }
  return { ok: true };
}

/** After validation: keep the change, or roll it back. Inconclusive keeps it unless the rule says `onInconclusive: rollback`. */
export function phaseAfterValidation(outcome: 'passed' | 'failed' | 'inconclusive', onInconclusive: 'keep' | 'rollback' | undefined): 'succeeded' | 'rolling_back' {
  if (outcome === 'passed') return 'succeeded';
  if (outcome === 'inconclusive' && onInconclusive !== 'rollback') return 'succeeded';
  return 'rolling_back';
}

export interface BreakerPolicy {
  /** Open a target's breaker after this many rollbacks … */
  rollbacks: number;
  /** … within this window. A failed rollback opens it at once. */
  windowMs: number;
}

/** How a rollback ended, as the breaker sees it. */
export type RollbackEnd =
  | { kind: 'impossible' } // no snapshot was recorded
  | { kind: 'failed'; remediationId: string; detail: string }
  | {
      kind: 'rolled-back';
      /** Asked for by a person: never counts, the breaker is about the automation failing. */
      manual: boolean;
      /** Automatic rollbacks of the target within the policy's window, this one included. */
      rollbacksInWindow: number;
    };

export type BreakerVerdict = { open: false } | { open: true; reason: string };

/** Does the breaker of `targetKey` open now? */
export function breakerVerdict(end: RollbackEnd, policy: BreakerPolicy, targetKey: string): BreakerVerdict {
  switch (end.kind) {
    case 'impossible':
      return { open: true, reason: 'rollback impossible: no snapshot' };
    case 'failed':
      return { open: true, reason: `rollback of remediation ${end.remediationId} failed: ${end.detail}` };
    case 'rolled-back':
      if (end.manual || end.rollbacksInWindow < policy.rollbacks) return { open: false };
      return { open: true, reason: `${end.rollbacksInWindow} rollbacks of ${targetKey} within ${Math.round(policy.windowMs / 60_000)} min` };
  }
}
