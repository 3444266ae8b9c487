/**
 * The retention job: keeps the history within RETENTION (age) and RETENTION_MAX_ALERTS (rows),
 * in small batches, each one short transaction, with a pause between them so that intake and
 * decisions get the write lock in between (SQLite has one writer). What it never deletes is the
 * store's part (Store.pruneHistory): runs in flight, undecided alerts, breakers, pauses, an alert
 * a kept remediation refers to, the duplicates of a kept first copy. What must stay as evidence
 * (cooldowns, budgets, the breaker's window, raises awaiting their restore) is decided here, by
 * retentionCutoffs(), from the rule table and the settings in force.
 */
import type { Rule } from '../rule-table/rule.js';
import type { Logger } from '../platform/logger.js';
import { historyWindowMs, type PlannerSettings } from '../planner/decide.js';
import type { PruneBatch, Store } from '../store/store.js';

export interface RetentionSettings {
  /** RETENTION: history older than this goes; 0: kept for ever (only the row bound applies). */
  maxAgeMs: number;
  /** RETENTION_MAX_ALERTS: at most this many alert rows (plus those something kept needs); null: no bound. */
  maxAlerts: number | null;
  /** RETENTION_BATCH: rows per transaction. */
  batchSize: number;
  /** Pause between two batches (the write lock is free in between). */
  pauseMs: number;
  /** SQLite: free pages handed back to the file system per step. */
  reclaimPagesPerStep: number;
}

export const DEFAULT_RETENTION: RetentionSettings = { maxAgeMs: 30 * 86_400_000, maxAlerts: null, batchSize: 100, pauseMs: 10, reclaimPagesPerStep: 128 };

/**
 * What one pass may delete (pure). `before`: the later of the age cutoff and the row bound's
 * (`boundCutoff`, Store.alertBoundCutoff); null when neither applies. `keepActionsAfter`: actions
 * this recent are the evidence of a decision still to come: the longest history window any rule
 * reads (cooldown, budgets, rate policies: planner historyWindowMs) or the breaker's window,
 * whichever is longer.
 */
export function retentionCutoffs(input: {
  now: Date;
  settings: Pick<RetentionSettings, 'maxAgeMs'>;
  boundCutoff: Date | null;
  rules: readonly Rule[];
  planner: PlannerSettings;
  breakerWindowMs: number;
}): Omit<PruneBatch, 'limit'> | null {
  const { now, settings, boundCutoff, rules, planner, breakerWindowMs } = input;
  const byAge = settings.maxAgeMs > 0 ? now.getTime() - settings.maxAgeMs : null;
  const bound = boundCutoff?.getTime() ?? null;
  if (byAge === null && bound === null) return null;
  const before = Math.max(byAge ?? Number.NEGATIVE_INFINITY, bound ?? Number.NEGATIVE_INFINITY);
  const evidenceMs = Math.max(
    breakerWindowMs,
    planner.budgets.namespace.windowMs,
    planner.budgets.global.windowMs,
    ...rules.map((r) => historyWindowMs(r, planner)),
  );
  return {
    before: new Date(before),
    keepActionsAfter: new Date(now.getTime() - evidenceMs),
    keepUnrestoredOfRules: rules.filter((r) => r.restore).map((r) => r.name),
  };
}

export interface RetentionPass {
  /** null: nothing to do (RETENTION=0 and no row bound, or the bound not reached). */
  before: string | null;
  remediations: number;
  alerts: number;
  notifications: number;
  batches: number;
  /** The longest single batch (one transaction, the write lock held): what intake may wait at most. */
  longestBatchMs: number;
  pagesReclaimed: number;
  longestReclaimMs: number;
  seconds: number;
  sizeBytesAfter: number;
}

export interface RetentionJobDeps {
  store: Store;
  rules: () => { rules: readonly Rule[] };
  planner: PlannerSettings;
  breakerWindowMs: number;
  settings: RetentionSettings;
  now: () => Date;
  logger?: Logger;
  /** Stop between batches (the service is stopping). */
  stopped?: () => boolean;
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One pass: batches until nothing more goes, then hands the freed pages back (SQLite). */
export async function retentionJob(deps: RetentionJobDeps): Promise<RetentionPass> {
  const { store, settings } = deps;
  const started = performance.now();
  const boundCutoff = settings.maxAlerts === null ? null : await store.alertBoundCutoff(settings.maxAlerts);
  const cut = retentionCutoffs({ now: deps.now(), settings, boundCutoff, rules: deps.rules().rules, planner: deps.planner, breakerWindowMs: deps.breakerWindowMs });
  const pass: RetentionPass = { before: cut?.before.toISOString() ?? null, remediations: 0, alerts: 0, notifications: 0, batches: 0, longestBatchMs: 0, pagesReclaimed: 0, longestReclaimMs: 0, seconds: 0, sizeBytesAfter: 0 };
  if (cut) {
    for (;;) {
      if (deps.stopped?.()) break;
      const t = performance.now();
      const r = await store.pruneHistory({ ...cut, limit: settings.batchSize });
      pass.longestBatchMs = Math.max(pass.longestBatchMs, performance.now() - t);
      pass.batches += 1;
      pass.remediations += r.remediations;
      pass.alerts += r.alerts;
      pass.notifications += r.notifications;
      if (r.remediations + r.alerts + r.notifications === 0) break;
      await pause(settings.pauseMs);
    }
  }
  for (;;) {
    if (deps.stopped?.()) break;
    const t = performance.now();
    const n = await store.reclaimSpace(settings.reclaimPagesPerStep);
    pass.longestReclaimMs = Math.max(pass.longestReclaimMs, performance.now() - t);
    pass.pagesReclaimed += n;
    if (n === 0) break;
    await pause(settings.pauseMs);
  }
  pass.sizeBytesAfter = await store.sizeBytes();
  pass.seconds = (performance.now() - started) / 1000;
  if (pass.alerts + pass.remediations > 0) deps.logger?.info({ retention: pass }, 'retention pass deleted old history');
  return pass;
}
