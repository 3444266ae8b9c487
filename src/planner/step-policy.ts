/**
 * HPA `behavior` rate limiting, as the HPA controller implements it
 * (normalizeDesiredReplicasWithBehaviors; shared/reference/k8s-semantics.md §1.6).
 * Pure: the caller passes the changes that happened (with their times) and now.
 */
import type { ActionRecord } from '../domain/history.js';
import type { StepPolicy } from '../rule-table/schema.js';

export type SelectPolicy = 'Max' | 'Min' | 'Disabled';

/** A past change of the stepped value: +n (up) or -n (down) at a time. */
export interface ChangeEvent {
  at: Date;
  change: number;
}

/**
 * The value at the start of a policy's period: today's value minus what was added
 * in the period plus what was removed (HPA's `periodStart`). Events strictly newer
 * than `now - period` count, as HPA's `timestamp.After(cutoff)`.
 */
export function periodStart(current: number, events: readonly ChangeEvent[], periodSeconds: number, now: Date): number {
  const cutoff = now.getTime() - periodSeconds * 1000;
  let added = 0;
  let removed = 0;
  for (const e of events) {
    if (e.at.getTime() > cutoff) {
      if (e.change > 0) added += e.change;
      else removed += -e.change;
    }
  }
  return current - added + removed;
}

/** The highest value the policies allow right now when scaling up (never below current). */
export function scaleUpLimit(
  current: number,
  policies: readonly StepPolicy[],
  selectPolicy: SelectPolicy,
  events: readonly ChangeEvent[],
  now: Date,
): number {
  if (selectPolicy === 'Disabled') return current;
  const proposals = policies.map((p) => {
    const start = periodStart(current, events, p.periodSeconds, now);
    return p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
  });
  const limit = selectPolicy === 'Max' ? Math.max(...proposals) : Math.min(...proposals);
  return Math.max(limit, current);
}

/** The lowest value the policies allow right now when scaling down (never above current). */
export function scaleDownLimit(
  current: number,
  policies: readonly StepPolicy[],
  selectPolicy: SelectPolicy,
  events: readonly ChangeEvent[],
  now: Date,
): number {
  if (selectPolicy === 'Disabled') return current;
  const proposals = policies.map((p) => {
    const start = periodStart(current, events, p.periodSeconds, now);
    return p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
  });
  // "Max" selects the policy that allows the largest change, i.e. the lowest value.
  const limit = selectPolicy === 'Max' ? Math.min(...proposals) : Math.max(...proposals);
  return Math.min(limit, current);
}

/**
 * One scale-up step toward `desired`, clamped to [min, max] as HPA does: a value
 * below min goes to min and one above max to max, bypassing the policies.
 */
export function stepUp(args: {
  current: number;
  desired: number;
  min: number;
  max: number;
  policies: readonly StepPolicy[];
  selectPolicy: SelectPolicy;
  events: readonly ChangeEvent[];
  now: Date;
}): { next: number; limitedBy: 'policy' | 'max' | 'desired' | 'min-clamp' | 'max-clamp' } {
  const { current, desired, min, max } = args;
  if (current > max) return { next: max, limitedBy: 'max-clamp' };
  if (current < min) return { next: Math.min(Math.max(min, desired), max), limitedBy: 'min-clamp' };
  const limit = scaleUpLimit(current, args.policies, args.selectPolicy, args.events, args.now);
  const allowed = Math.min(max, limit);
  const next = Math.min(desired, allowed);
  const limitedBy = next === desired ? 'desired' : allowed === max && max <= limit ? 'max' : 'policy';
  return { next, limitedBy };
}

/** One scale-down step toward `desired` (restore), never below `floor`. */
export function stepDown(args: {
  current: number;
  desired: number;
  floor: number;
  policies: readonly StepPolicy[];
  selectPolicy: SelectPolicy;
  events: readonly ChangeEvent[];
  now: Date;
}): number {
  const limit = scaleDownLimit(args.current, args.policies, args.selectPolicy, args.events, args.now);
  return Math.max(args.desired, args.floor, limit);
}

/** The changes of one numeric field recorded for this target (an undone change counts twice, as HPA counts both directions). */
export function changeEvents(history: readonly ActionRecord[], field: string): ChangeEvent[] {
  const events: ChangeEvent[] = [];
  for (const h of history) {
    const before = h.before[field];
    const after = h.after[field];
    if (typeof before !== 'number' || typeof after !== 'number' || before === after) continue;
    events.push({ at: h.at, change: after - before });
    if (h.undoneAt) events.push({ at: h.undoneAt, change: before - after });
  }
  return events;
}

/** "step policies +4 per 15s, +100% per 15s (Max)": the policies in a sentence. */
export function describePolicies(policies: readonly StepPolicy[], selectPolicy: string): string {
  const list = policies.map((p) => (p.type === 'Pods' ? `+${p.value} per ${p.periodSeconds}s` : `+${p.value}% per ${p.periodSeconds}s`)).join(', ');
  return `step policies ${list} (${selectPolicy})`;
}

/** What the recorded changes added within the longest policy period. */
export function addedInPeriod(events: readonly ChangeEvent[], policies: readonly StepPolicy[], now: Date): number {
  const longest = Math.max(...policies.map((p) => p.periodSeconds)) * 1000;
  return events.filter((e) => e.at.getTime() > now.getTime() - longest).reduce((sum, e) => sum + e.change, 0);
}

/** One restore step of `field` toward `floor`, at the pace of the rule's restore policies and the target's recorded changes. */
export function restoreStep(restore: { policies: readonly StepPolicy[]; selectPolicy: SelectPolicy }, history: readonly ActionRecord[], now: Date, field: string, current: number, floor: number): number {
  return stepDown({ current, desired: floor, floor, policies: restore.policies, selectPolicy: restore.selectPolicy, events: changeEvents(history, field), now });
}
