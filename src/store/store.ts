import type { AlertStatus, StoredAlert, WebhookAlert } from '../domain/alert.js';
import type { Decision } from '../domain/decision.js';
import type { ActionRecord } from '../domain/history.js';
import type { Phase, Remediation } from '../domain/remediation.js';
import type { TargetRef } from '../domain/target.js';
import type { NewPause, Pause } from '../control/pause.js';

/** A notification as received, before its alerts are split out. */
export interface NewNotification {
  receivedAt: Date;
  receiver: string;
  status: AlertStatus;
  groupKey: string;
  externalURL: string;
  truncatedAlerts: number;
  /** The raw body, for audit and replay. */
  body: string;
}

export interface RecordedAlert {
  id: string;
  identity: string;
  /** The first delivery of the same identity, or null when this is the first. */
  duplicateOf: string | null;
}

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next (older) page; null at the end. */
  nextCursor: string | null;
}

export interface AlertQuery {
  status?: AlertStatus;
  alertname?: string;
  fingerprint?: string;
  /** only duplicate deliveries (true) or only first deliveries (false) */
  duplicate?: boolean;
  limit: number;
  cursor?: string | null;
}

export interface RemediationQuery {
  targetKey?: string;
  rule?: string;
  phase?: Phase;
  alertId?: string;
  /** act or skip */
  outcome?: 'act' | 'skip';
  reason?: string;
  limit: number;
  cursor?: string | null;
}

export interface NewRemediation {
  alertId: string | null;
  decision: Decision;
  target: TargetRef | null;
  targetKey: string | null;
  /** `planned` for an act, `skipped` for a skip. */
  phase: 'planned' | 'skipped';
  dryRun: boolean;
  origin: Remediation['origin'];
  snapshot: Record<string, unknown> | null;
  at: Date;
  note: string;
  /**
   * The process that will drive the run: leased to it from the start (as
   * leaseRemediations would, at `at`), in the same commit as the decision.
   */
  owner?: string;
}

export interface TransitionPatch {
  note: string;
  snapshot?: Record<string, unknown> | null;
  /** Shallow-merged into the stored result. */
  result?: Record<string, unknown>;
  /**
   * Replaces the stored decision (and its outcome, reason and action columns): a run that waited
   * for approval and ends without acting becomes the skip it is (`approval-expired` …).
   */
  decision?: Decision;
}

export type { ActionRecord };

export interface Breaker {
  targetKey: string;
  open: boolean;
  reason: string;
  openedAt: Date;
  resetAt: Date | null;
  resetBy: string | null;
}

/**
 * How long a `claimAlert` claim holds. A claim older than this (measured with the
 * `at` the caller passes) may be taken over, so an alert claimed by a worker that
 * crashed before `markAlertDecided` is decided by the next resume sweep.
 * `listUndecidedAlerts` ignores claims: the sweep lists, then claims.
 */
export const ALERT_CLAIM_TTL_MS = 60_000;

/** The phases of a run that is not over: one at a time per target. */
export { ACTIVE_PHASES } from '../domain/remediation.js';

/**
 * The SQLite file this process opened is gone (deleted, or replaced by another file): every
 * write would go to an unlinked file and vanish at the next start, so none is made.
 */
export class StoreLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreLostError';
  }
}

/** Thrown by transitionRemediation when the stored phase is not the expected `from`. */
export class StaleTransitionError extends Error {
  constructor(
    readonly id: string,
    readonly expected: Phase,
    readonly actual: Phase | null,
  ) {
    super(`remediation ${id}: expected phase ${expected}, found ${actual ?? 'none'}`);
    this.name = 'StaleTransitionError';
  }
}

/**
 * Durable state of the service. Every implementation passes the contract suite in
 * test/contract/store.contract.ts unchanged. All methods are async so that the
 * SQLite and PostgreSQL implementations share one shape.
 */
/** Where a remediation's Slack thread is (bot mode): the channel id and the parent message's ts. */
export interface SlackThread {
  channel: string;
  ts: string;
}

/** One batch of retention (Store.pruneHistory). */
export interface PruneBatch {
  /** History older than this may go: the later of RETENTION's cutoff and the row bound's. */
  before: Date;
  /**
   * Actions (and dry-run would-be actions) after this stay whatever their age: the evidence of
   * cooldowns, budgets and the breaker's window.
   */
  keepActionsAfter: Date;
  /**
   * The rules with `restore`: their succeeded raises not yet stepped back stay whatever their age
   * (the restore job reads them to know what to step back).
   */
  keepUnrestoredOfRules: readonly string[];
  /** At most this many remediations and this many alerts (first copies, each with its duplicates) per call. */
  limit: number;
}

export interface Pruned {
  remediations: number;
  /** Alert rows, duplicates included. */
  alerts: number;
  notifications: number;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Create or upgrade the schema; idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** true when the store answers a trivial query. */
  ping(): Promise<boolean>;
  /**
   * Can the store still keep what it is given? A real write (one row of `store_probe`), and
   * for SQLite the file still being the one opened (not deleted or replaced under the
   * process). null when fine, else the reason, for /readyz (issue 21).
   */
  probe(): Promise<string | null>;

  /**
   * Store a notification and every alert in it, in one transaction, before intake
   * answers 2xx. An alert whose identity was stored before is stored again with
   * `duplicateOf` set; across replicas the unique identity constraint decides who is first.
   */
  recordNotification(n: NewNotification, alerts: WebhookAlert[]): Promise<{ notificationId: string; alerts: RecordedAlert[] }>;
  getAlert(id: string): Promise<StoredAlert | null>;
  listAlerts(q: AlertQuery): Promise<Page<StoredAlert>>;
  /** First deliveries not yet decided, oldest first: the resume sweep's input. */
  listUndecidedAlerts(limit: number): Promise<StoredAlert[]>;
  /** Mark decided; returns false when it already was (another worker or replica got there first). */
  markAlertDecided(id: string, at: Date): Promise<boolean>;
  /** Atomically claim an undecided alert for deciding (true once per alert, across replicas). */
  claimAlert(id: string, owner: string, at: Date): Promise<boolean>;
  /**
   * Give up the claims on alerts not decided yet: those of `owner` (a graceful stop
   * hands its unfinished alerts back at once, instead of after ALERT_CLAIM_TTL_MS), or
   * every claim when `owner` is null (a single-process store at start: every claim is
   * its dead predecessor's). Returns how many were released.
   */
  releaseAlertClaims(owner: string | null): Promise<number>;

  createRemediation(r: NewRemediation): Promise<Remediation>;
  /** Compare-and-set on the phase, recording the transition; throws StaleTransitionError. */
  transitionRemediation(id: string, from: Phase, to: Phase, patch: TransitionPatch, at: Date): Promise<Remediation>;
  /** Merge measured values into the result without a phase change (validation progress). */
  mergeRemediationResult(id: string, result: Record<string, unknown>, at: Date): Promise<void>;
  getRemediation(id: string): Promise<Remediation | null>;
  listRemediations(q: RemediationQuery): Promise<Page<Remediation>>;
  /** Every remediation currently in one of these phases (resume after restart). */
  listRemediationsInPhases(phases: readonly Phase[]): Promise<Remediation[]>;

  /** Actions (and dry-run would-be actions) since `since`, newest first, optionally for one target or namespace. */
  actionHistory(q: { since: Date; targetKey?: string; namespace?: string; rule?: string }): Promise<ActionRecord[]>;
  /**
   * Every action on this target still in an active phase (ACTIVE_PHASES), whatever its age,
   * newest first: what the planner's `in-progress` check needs beyond the history window
   * (a run may validate longer than the window reaches back).
   */
  activeActions(targetKey: string): Promise<ActionRecord[]>;
  /**
   * How many actions were taken strictly after `after`, optionally in one namespace; dry-run
   * would-be actions count only with `includeDryRun`. What the budgets count, without reading
   * every action of the window.
   */
  countActions(q: { after: Date; namespace?: string; includeDryRun: boolean }): Promise<number>;

  /** Heartbeat: these runs are still driven by `owner` (only rows it owns are touched). */
  leaseRemediations(ids: readonly string[], owner: string, at: Date): Promise<void>;
  /**
   * Take over a run in an active phase whose heartbeat is older than `staleBefore`
   * (or that has none): true for exactly one caller, across replicas.
   */
  claimRemediation(id: string, owner: string, staleBefore: Date, at: Date): Promise<boolean>;
  /**
   * The fence before a Kubernetes write (issue 21): renew `owner`'s lease on the run at `at`,
   * or take it when nobody holds a live one (no owner, or a heartbeat older than `staleBefore`).
   * False when another owner's lease is live: that owner drives the run, the caller must not
   * write. Any phase (a manual rollback takes a succeeded run's lease before it starts).
   */
  fenceLease(id: string, owner: string, staleBefore: Date, at: Date): Promise<boolean>;

  getBreaker(targetKey: string): Promise<Breaker | null>;
  openBreaker(targetKey: string, reason: string, at: Date): Promise<void>;
  /** Returns false when there was no open breaker for the target. */
  resetBreaker(targetKey: string, by: string, at: Date): Promise<boolean>;
  listBreakers(): Promise<Breaker[]>;

  /** Store a pause (the kill switch); in force from `at` until resumed or `expiresAt`. */
  createPause(p: NewPause): Promise<Pause>;
  /** The pauses in force at `now` (not ended, not expired), oldest first: read on every decision. */
  listActivePauses(now: Date): Promise<Pause[]>;
  /** End the pauses in force at `at` whose scope key is exactly `scopeKey`; returns them (empty: none was in force). */
  endPauses(scopeKey: string, by: string, at: Date): Promise<Pause[]>;
  /**
   * Record the end of pauses whose expiry has passed (ended by `expiry`, at their expiry).
   * Each is returned to exactly one caller, across replicas, so its end is announced once.
   */
  expirePauses(now: Date): Promise<Pause[]>;
  /** The Slack thread of a remediation, or null when none was started (or it was forgotten). */
  getSlackThread(remediationId: string): Promise<SlackThread | null>;
  /**
   * Remember the thread of a remediation (replacing any), or forget it with null (its parent
   * message was deleted): a restarted process or another replica continues the same thread.
   */
  setSlackThread(remediationId: string, thread: SlackThread | null): Promise<void>;

  /**
   * Remember a Slack request's signature (replay protection of the interactivity endpoint): true
   * the first time, false when it was seen before, across replicas. Signatures seen before
   * `forgetBefore` (older than Slack's timestamp window, so refused anyway) are forgotten.
   */
  rememberSlackRequest(signature: string, at: Date, forgetBefore: Date): Promise<boolean>;
  /**
   * Retention: delete one batch of history, in one short transaction, and say what went (all
   * zero: nothing more goes for this cutoff). Goes: remediations created before `before`, in no
   * active phase, not an action after `keepActionsAfter`, not a raise awaiting its restore (with their transitions and Slack
   * thread); then first copies of alerts decided, last delivered before `before` and referred to by
   * no remediation left, each with all its duplicates; then notifications left without alerts.
   * Never touched: runs in an active phase, undecided alerts, breakers, pauses.
   */
  pruneHistory(b: PruneBatch): Promise<Pruned>;
  /**
   * The row bound: the receipt time just after the newest alert row that is not among the newest
   * `max` rows (pass it as a PruneBatch's `before`), or null when the store holds at most `max`.
   */
  alertBoundCutoff(max: number): Promise<Date | null>;
  /** Hand up to `pages` free pages back to the file system (SQLite incremental vacuum); how many went (PostgreSQL: 0, autovacuum's work). */
  reclaimSpace(pages: number): Promise<number>;
  /** What the store takes on disk, in bytes (SQLite: the file and its WAL; PostgreSQL: its tables with their indexes and TOAST). */
  sizeBytes(): Promise<number>;

  /**
   * Run fn while holding the per-target lock: no other holder (in this process or,
   * for PostgreSQL, in any replica) runs plan + apply on the same target at once.
   */
  withTargetLock<T>(targetKey: string, fn: () => Promise<T>): Promise<T>;
}
