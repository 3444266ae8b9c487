/** The history a decision reads. Pure. */
import type { ActionRecord } from '../domain/history.js';

/**
 * The target's history of the window plus its runs still active, whatever their age:
 * a run validating for longer than the window reaches back (a 15m window, 20m of
 * validation) must still keep every other run off the target (`in-progress`).
 * Each run once, newest first.
 */
export function withActiveRuns(history: readonly ActionRecord[], active: readonly ActionRecord[]): ActionRecord[] {
  const seen = new Set(history.map((h) => h.remediationId));
  const older = active.filter((a) => !seen.has(a.remediationId));
  if (older.length === 0) return [...history];
  return [...history, ...older].sort((a, b) => b.at.getTime() - a.at.getTime() || (a.remediationId < b.remediationId ? 1 : a.remediationId > b.remediationId ? -1 : 0));
}
