/**
 * Freeze windows: a cron expression (when a window starts), a duration and a time zone,
 * e.g. a release freeze from Friday 16:00 for 64h in Europe/Berlin. During a window every
 * decision is a skip `frozen`. Pure: the boundaries are computed from `now`, never from the
 * wall clock.
 *
 * cron-parser, not node-cron: node-cron (the scheduler's library) computes only the next run
 * of a scheduled task from the real current time, and never a previous one; a window in
 * force is found from the latest start at or before `now`.
 */
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { parseDuration } from '../platform/duration.js';

/** One window as configured (FREEZE_WINDOWS, or a rule's `freeze`). */
export interface FreezeWindow {
  name: string;
  /** Standard cron, 5 fields (or 6 with seconds first), evaluated in `timeZone`. */
  cron: string;
  /** Elapsed time from each start: across a DST change a window ends an hour earlier or later on the wall clock. */
  durationMs: number;
  /** IANA time zone; UTC by default. */
  timeZone: string;
  /** `freeze` (default): decisions inside are skips `frozen`; `approval`: acts inside wait for a person's approval instead. */
  mode?: 'freeze' | 'approval';
}

export interface WindowSpan {
  start: Date;
  end: Date;
}

/** A window and where it comes from: `service` (FREEZE_WINDOWS) or `rule <name>`. */
export interface SourcedWindow extends FreezeWindow {
  source: string;
}

/** An IANA time zone name this runtime knows. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** null when the expression is valid, else why not. */
export function cronProblem(expr: string): string | null {
  const fields = expr.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) return `"${expr}" has ${fields} fields; a cron expression has 5 (minute hour day-of-month month day-of-week) or 6 (seconds first)`;
  try {
    CronExpressionParser.parse(expr, { strict: false });
    return null;
  } catch (err) {
    return `"${expr}" is not a cron expression: ${(err as Error).message}`;
  }
}

/** The schema of one window in YAML or JSON: `{name, cron, duration: "64h", timeZone?: "Europe/Berlin"}`. */
export const freezeWindowSchema = z
  .strictObject({
    name: z.string().min(1).max(100),
    cron: z.string().min(1),
    duration: z.string(),
    timeZone: z.string().default('UTC'),
    mode: z.enum(['freeze', 'approval']).default('freeze'),
  })
  .transform((w, ctx): FreezeWindow => {
    const problem = cronProblem(w.cron);
    if (problem) ctx.addIssue({ code: 'custom', path: ['cron'], message: problem });
    const ms = parseDuration(w.duration);
    if (ms === null || ms <= 0) ctx.addIssue({ code: 'custom', path: ['duration'], message: `"${w.duration}" is not a positive duration (e.g. 30m, 64h)` });
    if (!isTimeZone(w.timeZone)) ctx.addIssue({ code: 'custom', path: ['timeZone'], message: `"${w.timeZone}" is not an IANA time zone (e.g. Europe/Berlin, UTC)` });
    return { name: w.name, cron: w.cron, durationMs: ms ?? 0, timeZone: w.timeZone, mode: w.mode };
  });

function parse(w: FreezeWindow, at: Date) {
  return CronExpressionParser.parse(w.cron, { currentDate: at, tz: w.timeZone });
}

/** The occurrence of `w` in force at `now` (start ≤ now < end), or null. */
export function activeSpan(w: FreezeWindow, now: Date): WindowSpan | null {
  // The latest start at or before now has the latest end: when it has ended, every earlier one has.
  // cron-parser's prev() is strictly before its current date: ask from just after now.
  const expr = parse(w, new Date(now.getTime() + 1));
  if (!expr.hasPrev()) return null;
  const start = expr.prev().toDate();
  const end = new Date(start.getTime() + w.durationMs);
  return end.getTime() > now.getTime() ? { start, end } : null;
}

/** The next occurrence of `w` that starts after `now`, or null when it never starts again. */
export function nextSpan(w: FreezeWindow, now: Date): WindowSpan | null {
  const expr = parse(w, now);
  if (!expr.hasNext()) return null;
  const start = expr.next().toDate();
  return { start, end: new Date(start.getTime() + w.durationMs) };
}

export interface FreezeVerdict {
  /** The window named in the explanation: of those in force, the one that ends last. */
  window: SourcedWindow;
  span: WindowSpan;
  all: Array<{ window: SourcedWindow; span: WindowSpan }>;
  explanation: string;
}

/** The windows in force at `now`, or null. Pure. */
export function freezeVerdict(windows: readonly SourcedWindow[], now: Date): FreezeVerdict | null {
  const all = windows.flatMap((window) => {
    const span = activeSpan(window, now);
    return span ? [{ window, span }] : [];
  });
  if (all.length === 0) return null;
  const last = all.reduce((a, b) => (b.span.end > a.span.end ? b : a));
  const more = all.length > 1 ? ` (${all.length - 1} more window${all.length > 2 ? 's' : ''} also in force)` : '';
  const explanation = `Frozen: freeze window "${last.window.name}" (${last.window.source}: cron "${last.window.cron}" in ${last.window.timeZone}) runs from ${last.span.start.toISOString()} until ${last.span.end.toISOString()}${more}; nothing was done.`;
  return { window: last.window, span: last.span, all, explanation };
}

export function freezeFacts(v: FreezeVerdict): Record<string, unknown> {
  return {
    freeze: { name: v.window.name, source: v.window.source, cron: v.window.cron, timeZone: v.window.timeZone, start: v.span.start.toISOString(), end: v.span.end.toISOString() },
    windows: v.all.map((w) => `${w.window.source}: ${w.window.name}`),
  };
}

/** What GET /api/v1/freeze shows for one window. */
export function windowStatus(w: SourcedWindow, now: Date): { name: string; source: string; cron: string; duration: number; timeZone: string; mode: 'freeze' | 'approval'; active: WindowSpan | null; next: WindowSpan | null } {
  return { name: w.name, source: w.source, cron: w.cron, duration: w.durationMs, timeZone: w.timeZone, mode: w.mode ?? 'freeze', active: activeSpan(w, now), next: nextSpan(w, now) };
}
