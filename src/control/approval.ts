/**
 * Approval mode: an act that must wait for a person. Three pure verdicts, asked by the driver
 * (src/remediation/runner.ts), which carries them out:
 *
 *   approvalNeed()     planned: does this run need a person's approval, why, until when?
 *   waitingVerdict()   awaiting_approval: approved, denied, expired, or still waiting?
 *   recheckVerdict()   approved: is the plan still what the live state says (else the run ends, with why)?
 *
 * Who may require approval: the rule (`approval: { required: true, timeout }`), the namespace
 * (APPROVAL_NAMESPACES), the whole service (APPROVAL_REQUIRED), or a freeze window in `approval`
 * mode that is in force. Restore steps never wait: they step back toward the state before an
 * action that was itself approved (or needed none).
 */
import type { ActDecision, SkipDecision, SkipReason } from '../domain/decision.js';
import { approvalOf, type ApprovalRecord, type Remediation } from '../domain/remediation.js';

export { approvalOf, type ApprovalRecord };
import { activeSpan, type FreezeWindow, type SourcedWindow } from './freeze.js';
import type { Hold } from './hold.js';

/** APPROVAL_REQUIRED, APPROVAL_NAMESPACES, APPROVAL_TIMEOUT. */
export interface ApprovalPolicy {
  /** Every act of the service waits for approval. */
  required: boolean;
  /** Acts on targets in these namespaces wait for approval. */
  namespaces: readonly string[];
  /** How long a run waits when its rule does not say. */
  timeoutMs: number;
  /** The service's windows (FREEZE_WINDOWS); those in `approval` mode make acts inside them wait. */
  windows: readonly FreezeWindow[];
}

export const NO_APPROVAL: ApprovalPolicy = { required: false, namespaces: [], timeoutMs: 3_600_000, windows: [] };

export interface ApprovalSubject {
  rule: { name: string; approval?: { required: boolean; timeout?: number | undefined } | undefined; freeze?: readonly FreezeWindow[] | undefined } | null;
  namespace: string | null;
  origin: Remediation['origin'];
}

/**
 * Does this run need approval before it applies? null: no. Pure.
 * The sources are listed in a fixed order (rule, namespace, service, windows); the timeout is
 * the rule's when it gives one, else the service's.
 */
export function approvalNeed(policy: ApprovalPolicy, s: ApprovalSubject, now: Date): ApprovalRecord | null {
  if (s.origin === 'restore') return null;
  const sources: string[] = [];
  if (s.rule?.approval?.required) sources.push(`rule ${s.rule.name}`);
  if (s.namespace !== null && policy.namespaces.includes(s.namespace)) sources.push(`namespace ${s.namespace} (APPROVAL_NAMESPACES)`);
  if (policy.required) sources.push('service (APPROVAL_REQUIRED)');
  const windows: SourcedWindow[] = [...policy.windows.map((w) => ({ ...w, source: 'service' })), ...(s.rule?.freeze ?? []).map((w) => ({ ...w, source: `rule ${s.rule!.name}` }))];
  for (const w of windows) {
    if (w.mode !== 'approval') continue;
    const span = activeSpan(w, now);
    if (span) sources.push(`window "${w.name}" (${w.source}, until ${span.end.toISOString()})`);
  }
  if (sources.length === 0) return null;
  const timeoutMs = s.rule?.approval?.timeout ?? policy.timeoutMs;
  const deadline = new Date(now.getTime() + timeoutMs);
  return {
    sources,
    requestedAt: now.toISOString(),
    deadline: deadline.toISOString(),
    timeoutMs,
    explanation: `Waiting for approval (required by ${sources.join(', ')}) until ${deadline.toISOString()}: approve or deny it (POST /api/v1/remediations/:id/approve | deny, or Slack); unapproved by then it ends as approval-expired.`,
  };
}

/** A person's answer to a waiting run. */
export interface ApprovalAnswer {
  verdict: 'approve' | 'deny';
  by: string;
  reason?: string;
}

export type WaitingVerdict = { next: 'wait' } | { next: 'expire'; explanation: string } | { next: 'deny'; explanation: string } | { next: 'recheck' };

/**
 * What a waiting run does now. The deadline wins over a late answer: approving a run whose
 * time is up ends it expired, never applies it. Pure.
 */
export function waitingVerdict(record: ApprovalRecord, answer: ApprovalAnswer | undefined, now: Date): WaitingVerdict {
  if (now.getTime() >= Date.parse(record.deadline)) {
    return { next: 'expire', explanation: `Approval expired: nobody approved it within ${Math.round(record.timeoutMs / 1000)}s (required by ${record.sources.join(', ')}; deadline ${record.deadline}); nothing was done.` };
  }
  if (!answer) return { next: 'wait' };
  if (answer.verdict === 'deny') return { next: 'deny', explanation: `Denied by ${answer.by}${answer.reason ? ` ("${answer.reason}")` : ''}; nothing was done.` };
  return { next: 'recheck' };
}

export interface RecheckInput {
  /** The pauses and freeze windows (hold.ts) at the approval: a person's pause outranks another's approval. */
  hold: Hold | null;
  breakerOpen: boolean;
  /** The live target, read at the approval; null when it could not be read (stateError says why). */
  found: boolean | null;
  stateError?: string;
  /** Does the live state still show the plan's `before`? `unknown` when the kind cannot tell. */
  showsBefore: boolean | 'unknown';
  /** The live values of the plan's fields, for the explanation. */
  live?: Record<string, unknown>;
}

export type RecheckVerdict = { ok: true } | { ok: false; reason: SkipReason; explanation: string };

/**
 * Is the approved plan still the plan? In the planner's order: a pause or freeze, the breaker,
 * the target readable, the target there, then the fields the plan starts from. Pure.
 */
export function recheckVerdict(d: Pick<ActDecision, 'before' | 'after'>, i: RecheckInput): RecheckVerdict {
  if (i.hold) return { ok: false, reason: i.hold.reason, explanation: `Approved, but not applied: ${i.hold.explanation}` };
  if (i.breakerOpen) return { ok: false, reason: 'breaker-open', explanation: 'Approved, but not applied: the target\'s breaker opened while the run waited; nothing was done.' };
  if (i.found === null) return { ok: false, reason: 'state-unavailable', explanation: `Approved, but not applied: the target could not be read to check the plan (${i.stateError ?? 'unknown error'}); nothing was done.` };
  if (!i.found) return { ok: false, reason: 'target-not-found', explanation: 'Approved, but not applied: the target is gone since the run was planned; nothing was done.' };
  if (i.showsBefore === false) {
    const planned = JSON.stringify(d.before);
    const live = i.live ? `, now ${JSON.stringify(i.live)}` : '';
    return { ok: false, reason: 'plan-stale', explanation: `Approved, but not applied: the target changed since the run was planned (planned from ${planned}${live}); the plan ${planned} → ${JSON.stringify(d.after)} is stale; nothing was done.` };
  }
  return { ok: true };
}

/** The decision a run that waited ends with: the act it would have been, as a skip with why. Pure. */
export function endedDecision(d: ActDecision, reason: SkipReason, explanation: string, approval: ApprovalRecord): SkipDecision {
  return { outcome: 'skip', reason, rule: d.rule, target: d.target, action: d.action, explanation, facts: { ...d.facts, approval }, before: d.before, after: d.after };
}
