/**
 * The people's controls over a decision, in one pure verdict: a pause (kill switch) or a
 * freeze window holds the decision, or nothing does. Asked by the planner's precheck
 * (right after `disabled` and `resolved`) and by the restore job before a step.
 */
import type { TargetRef } from '../domain/target.js';
import { freezeFacts, freezeVerdict, type FreezeWindow, type SourcedWindow } from './freeze.js';
import { pauseFacts, pauseVerdict, type Pause } from './pause.js';

/** What the controls are at one decision: the stored pauses in force and the service's freeze windows. */
export interface Controls {
  pauses: readonly Pause[];
  /** FREEZE_WINDOWS; a rule's own windows come with the rule. */
  freezeWindows: readonly FreezeWindow[];
}

export interface HoldSubject {
  rule: { name: string; freeze?: readonly FreezeWindow[] };
  target: Pick<TargetRef, 'namespace' | 'kind' | 'name'> | null;
}

export interface Hold {
  reason: 'paused' | 'frozen';
  explanation: string;
  facts: Record<string, unknown>;
}

/** Every window that applies to a rule: the service's, then the rule's own. */
export function windowsFor(controls: Pick<Controls, 'freezeWindows'>, rule: HoldSubject['rule']): SourcedWindow[] {
  return [...controls.freezeWindows.map((w) => ({ ...w, source: 'service' })), ...(rule.freeze ?? []).map((w) => ({ ...w, source: `rule ${rule.name}` }))];
}

/**
 * Paused before frozen: a pause is a person's instruction of now and names who to ask,
 * a window is a standing calendar. Pure.
 */
export function holdVerdict(controls: Controls, s: HoldSubject, now: Date): Hold | null {
  const paused = pauseVerdict(controls.pauses, { rule: s.rule.name, target: s.target }, now);
  if (paused) return { reason: 'paused', explanation: paused.explanation, facts: pauseFacts(paused) };
  // Windows in `approval` mode never hold a decision: they make an act wait for a person (approval.ts).
  const frozen = freezeVerdict(windowsFor(controls, s.rule).filter((w) => (w.mode ?? 'freeze') === 'freeze'), now);
  if (frozen) return { reason: 'frozen', explanation: frozen.explanation, facts: freezeFacts(frozen) };
  return null;
}
