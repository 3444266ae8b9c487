/**
 * Watches the decision workers: a decision that has run longer than `stuckAfterMs`
 * (a store or cluster call that never answers) or several decisions in a row that
 * failed (a table lock held elsewhere makes every query time out) make `/readyz` say
 * so, instead of the service answering 202 and ready while it decides nothing.
 * Wall time (not the injected clock): this is about the process, not the world.
 */
export interface WatchdogStatus {
  ok: boolean;
  /** Why not ok, for /readyz; null when ok. */
  reason: string | null;
}

/** Consecutive failed decisions that make the service not ready (a success resets). */
export const FAILURES_IN_A_ROW = 3;

export class DecisionWatchdog {
  private readonly running = new Map<number, number>();
  private seq = 0;
  private failedInARow = 0;
  private lastError = '';

  constructor(
    readonly stuckAfterMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Run one decision under watch; its outcome is returned unchanged. */
  async watch<T>(fn: () => Promise<T>): Promise<T> {
    const id = this.seq++;
    this.running.set(id, this.now());
    try {
      const v = await fn();
      this.failedInARow = 0;
      return v;
    } catch (err) {
      this.failedInARow++;
      this.lastError = err instanceof Error ? err.message : String(err);
      throw err;
    } finally {
      this.running.delete(id);
    }
  }

  status(): WatchdogStatus {
    return watchdogStatus([...this.running.values()], this.now(), this.stuckAfterMs, this.failedInARow, this.lastError);
  }
}

/** The readiness verdict from the start times of the decisions running and the failures in a row. Pure. */
export function watchdogStatus(startedAt: readonly number[], now: number, stuckAfterMs: number, failedInARow: number, lastError: string): WatchdogStatus {
  const stuck = startedAt.filter((t) => now - t > stuckAfterMs);
  if (stuck.length > 0) {
    const oldest = Math.max(...stuck.map((t) => now - t));
    return { ok: false, reason: `${stuck.length} decision(s) running for more than ${stuckAfterMs} ms (oldest ${Math.round(oldest / 1000)} s): the store or the cluster does not answer` };
  }
  if (failedInARow >= FAILURES_IN_A_ROW) {
    return { ok: false, reason: `the last ${failedInARow} decisions failed (last: ${lastError.slice(0, 200)}); the alerts stay stored and the sweep retries them` };
  }
  return { ok: true, reason: null };
}
