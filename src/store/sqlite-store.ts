import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { alertIdentity } from '../domain/alert.js';
import type { AlertStatus, LabelSet, StoredAlert, WebhookAlert } from '../domain/alert.js';
import type { Decision, StateFields } from '../domain/decision.js';
import { assertTransition } from '../domain/remediation.js';
import type { Phase, Remediation, Transition } from '../domain/remediation.js';
import type { TargetRef } from '../domain/target.js';
import { decodeCursor, toPage } from './cursor.js';
import { assertLimit, decisionColumns, mergeResult, remediationColumns, SqlConditions, storedEndsAt } from './derive.js';
import { newId } from './ids.js';
import { scopeKey, type NewPause, type Pause } from '../control/pause.js';
import { toPause, type PauseRecord } from './pause-rows.js';
import { KeyedMutex } from './keyed-mutex.js';
import { pendingMigrations } from './migrations/migration.js';
import { SQLITE_MIGRATIONS } from './migrations/sqlite.js';
import { WalCheckpointer } from './sqlite-checkpointer.js';
import { ACTIVE_PHASES, ALERT_CLAIM_TTL_MS, StaleTransitionError, StoreLostError } from './store.js';
import type {
  ActionRecord,
  AlertQuery,
  Breaker,
  NewNotification,
  NewRemediation,
  Page,
  PruneBatch,
  Pruned,
  RecordedAlert,
  RemediationQuery,
  SlackThread,
  Store,
  TransitionPatch,
} from './store.js';
import { ACTIVE_PHASES_SQL, ALERT_SELECT, NARROW_JSON, NARROW_TEXT, REMEDIATION_SELECT, json, remediationFilters } from './sql.js';

export interface SqliteStoreOptions {
  /** How long a claimAlert claim holds before another worker may take it over. */
  claimTtlMs?: number;
  /** How long a write waits for another connection's write lock (SQLITE_BUSY). */
  busyTimeoutMs?: number;
  /**
   * WAL checkpoints on a background thread (see sqlite-checkpointer.ts), started once the WAL
   * file has grown past `afterBytes` (default 1 MiB; SQLite's automatic checkpoint, in the event
   * loop, would run at ~4 MiB), so that an idle or little-used store never starts the thread.
   * `false`: SQLite's automatic checkpoints only. `restartAfterBytes` (default 16 MiB): how long
   * the WAL may grow before this thread finishes a checkpoint so that the WAL starts over (see
   * restartWalIfLong). Measured under the storm benchmark: at 4 MiB (where SQLite would
   * checkpoint by itself) ~15 such checkpoints a second, 30-115 ms of the event loop's second;
   * at 16 MiB ~4, 15-43 ms.
   */
  walCheckpointer?: false | { afterBytes?: number; restartAfterBytes?: number; idleMs?: number };
  /** Told when the background checkpointer fails (automatic checkpoints are back on by then). */
  onCheckpointerFailure?: (err: Error) => void;
}

/** Above this the WAL file is truncated back when it restarts (it is reused from the start, not shrunk, otherwise). */
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * Open (creating it and its parent directory if needed) a SQLite database file, or
 * `:memory:`. The schema is not touched: call `migrate()` (openStore does).
 *
 * Pragmas: WAL (readers never block the writer); `synchronous = FULL`, because intake
 * answers 2xx only after recordNotification commits and Alertmanager never re-sends
 * a notification it got a 2xx for: with NORMAL a power loss may drop the last
 * commits, i.e. acknowledged alerts and journal entries; the extra fsync per commit
 * is cheap at alert rates. Foreign keys on; busy_timeout so a second connection
 * (another process, a CLI replay) waits instead of failing at once.
 *
 * @example const store = openSqliteStore('data/autoremediator.db'); await store.migrate();
 */
/**
 * better-sqlite3 hands its native layer the SqliteError class once per process;
 * where modules are loaded more than once (jest's per-file module registries) the
 * errors it throws are not `instanceof Error` here. Re-wrap those, keeping message and code.
 */
function asError(err: unknown): Error {
  if (err instanceof Error) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as { message?: unknown; code?: unknown };
  const wrapped = new Error(typeof e.message === 'string' ? e.message : 'SQLite error', { cause: err });
  if (typeof e.code === 'string') Object.assign(wrapped, { code: e.code });
  return wrapped;
}

export function openSqliteStore(fileOrMemory: string, options: SqliteStoreOptions = {}): SqliteStore {
  if (fileOrMemory === '') throw new Error('openSqliteStore: empty path (use ":memory:" for an in-memory database)');
  const memory = fileOrMemory === ':memory:';
  if (!memory) fs.mkdirSync(path.dirname(path.resolve(fileOrMemory)), { recursive: true });
  const db = new Database(fileOrMemory);
  try {
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    if (!memory) {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`SQLite ${fileOrMemory}: could not switch to WAL (journal_mode is ${String(mode)})`);
    }
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    if (!memory) db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  } catch (err) {
    db.close();
    throw err;
  }
  return new SqliteStore(db, options);
}

interface AlertRow {
  id: string;
  notification_id: string;
  received_at: number;
  identity: string;
  duplicate_of: string | null;
  status: AlertStatus;
  labels: string;
  annotations: string;
  starts_at: string;
  ends_at: string | null;
  generator_url: string;
  fingerprint: string;
  decided_at: number | null;
  group_key: string;
  receiver: string;
  external_url: string;
}

interface RemediationRow {
  id: string;
  alert_id: string | null;
  rule: string | null;
  target_key: string | null;
  target: string | null;
  namespace: string | null;
  phase: Phase;
  decision: string;
  snapshot: string | null;
  result: string | null;
  dry_run: number;
  origin: Remediation['origin'];
  created_at: number;
  updated_at: number;
}

interface TransitionRow {
  remediation_id: string;
  from_phase: Phase | null;
  to_phase: Phase;
  at: number;
  note: string;
}

interface ActionRow {
  id: string;
  rule: string;
  target_key: string;
  namespace: string;
  created_at: number;
  phase: Phase;
  dry_run: number;
  reason: string | null;
  before_state: string | null;
  after_state: string | null;
  undone_at: number | null;
  origin: Remediation['origin'];
}

interface BreakerRow {
  target_key: string;
  open: number;
  reason: string;
  opened_at: number;
  reset_at: number | null;
  reset_by: string | null;
}


const parse = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));
const dateOrNull = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

/**
 * The embedded Store: one SQLite file, one replica. better-sqlite3 is synchronous,
 * so each method runs to completion without interleaving inside this process;
 * writes use BEGIN IMMEDIATE so another connection to the same file (a second
 * process) cannot interleave between a read and the write that depends on it.
 * `withTargetLock` is in-process only: run one replica on SQLite.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly mutex = new KeyedMutex();
  private readonly statements = new Map<string, Database.Statement<unknown[], unknown>>();
  private readonly claimTtlMs: number;
  private closed = false;
  /**
   * One transaction function for all work, made once: `tx.immediate(fn)` at the top level, a
   * savepoint when nested. (db.transaction() builds several wrapper functions; making one per
   * write was a measurable part of storing a notification.)
   */
  private readonly tx: Database.Transaction<(fn: () => unknown) => unknown>;
  private readonly pending: Array<{ fn: () => unknown; resolve: (v: unknown) => void; reject: (e: Error) => void }> = [];
  /** Group-commit counters: transactions that carried more than one write, and the writes they carried. */
  readonly metrics = { batches: 0, batchedWrites: 0 };
  private readonly checkpointerOptions: { afterBytes: number; restartAfterBytes: number; idleMs: number } | null;
  private readonly onCheckpointerFailure: ((err: Error) => void) | undefined;
  private checkpointer: WalCheckpointer | null = null;
  private checkpointerState: 'off' | 'starting' | 'running' | 'failed' = 'off';
  private lastWalCheckMs = Number.NEGATIVE_INFINITY;
  /** Checkpoints this thread finished so that the WAL could start over (see restartWalIfLong). */
  private walRestarts = 0;
  private walProbe: { noop: Database.Statement; passive: Database.Statement; frameBytes: number } | null = null;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly db: Database.Database,
    options: SqliteStoreOptions = {},
  ) {
    this.claimTtlMs = options.claimTtlMs ?? ALERT_CLAIM_TTL_MS;
    this.tx = db.transaction((fn: () => unknown) => fn());
    const cp = options.walCheckpointer;
    // A checkpointer needs a WAL file of its own to work on: not for :memory: or a read-only file.
    this.checkpointerOptions = cp === false || db.memory || db.readonly ? null : { afterBytes: cp?.afterBytes ?? 1024 * 1024, restartAfterBytes: cp?.restartAfterBytes ?? 16 * 1024 * 1024, idleMs: cp?.idleMs ?? 100 };
    this.onCheckpointerFailure = options.onCheckpointerFailure;
    if (!db.memory) {
      const st = fs.statSync(db.name);
      this.opened = { file: path.resolve(db.name), dev: st.dev, ino: st.ino };
    }
  }

  /** The file as opened: a write first checks it is still there (issue 21, lostFile()). */
  private readonly opened: { file: string; dev: number; ino: number } | null = null;

  /** Why the opened file is no longer the database at its path (deleted, directory gone, replaced), or null. */
  private lostFile(): string | null {
    if (!this.opened) return null;
    const { file, dev, ino } = this.opened;
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch (err) {
      return `the SQLite file ${file} is gone (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}: deleted while the service runs?); writes would be lost at the next start, so none is made. Restore the file or restart with a new one`;
    }
    if (st.dev !== dev || st.ino !== ino) return `the SQLite file ${file} was replaced by another file while the service runs; writes would go to the old one, so none is made. Restart the service`;
    return null;
  }

  async probe(): Promise<string | null> {
    const lost = this.lostFile();
    if (lost) return lost;
    try {
      await this.write(() => this.run('INSERT INTO store_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at', Date.now()));
      return null;
    } catch (err) {
      return `the SQLite file cannot be written: ${(err as Error).message}`;
    }
  }

  /** The background checkpointer: whether it runs, and what it has done (tests, diagnostics). */
  checkpointerStatus(): { state: 'off' | 'starting' | 'running' | 'failed'; checkpoints: number; framesCheckpointed: number; walRestarts: number } {
    return {
      state: this.checkpointerState,
      checkpoints: this.checkpointer?.stats.checkpoints ?? 0,
      framesCheckpointed: this.checkpointer?.stats.framesCheckpointed ?? 0,
      walRestarts: this.walRestarts,
    };
  }

  /**
   * After a commit: start the background checkpointer once the WAL has grown past its threshold
   * (looked at once a second); once it runs, keep the WAL from growing without end.
   */
  private afterCommit(): void {
    const opts = this.checkpointerOptions;
    if (!opts || this.closed) return;
    if (this.checkpointerState === 'running') {
      this.restartWalIfLong(opts.restartAfterBytes);
      return;
    }
    if (this.checkpointerState !== 'off') return;
    const now = performance.now();
    if (now - this.lastWalCheckMs < 1000) return;
    this.lastWalCheckMs = now;
    const size = fs.statSync(`${this.db.name}-wal`, { throwIfNoEntry: false })?.size ?? 0;
    if (size < opts.afterBytes) return;
    this.checkpointerState = 'starting';
    const checkpointer = new WalCheckpointer(
      this.db.name,
      (err) => {
        // Back to SQLite's own checkpoints, in this thread; not retried.
        this.checkpointerState = 'failed';
        this.checkpointer = null;
        if (!this.closed) this.db.pragma('wal_autocheckpoint = 1000');
        this.onCheckpointerFailure?.(err);
      },
      { idleMs: opts.idleMs },
    );
    this.checkpointer = checkpointer;
    checkpointer.ready.then(
      () => {
        if (this.closed || this.checkpointer !== checkpointer) return;
        this.db.pragma('wal_autocheckpoint = 0');
        this.walProbe = {
          noop: this.db.prepare('PRAGMA wal_checkpoint(NOOP)'),
          passive: this.db.prepare('PRAGMA wal_checkpoint(PASSIVE)'),
          // A WAL frame: a 24-byte header and one page.
          frameBytes: 24 + Number(this.db.pragma('page_size', { simple: true })),
        };
        this.checkpointerState = 'running';
      },
      () => undefined, // reported through the failure callback
    );
  }

  /**
   * The worker's PASSIVE checkpoints copy the WAL into the database, but the WAL starts over from
   * its beginning only when a write finds it wholly copied. Under steady writes the worker is always
   * a commit or two behind, so the WAL would grow for as long as the writes go on (measured before
   * this: 2.2 GiB after 32 s of 50-alert notifications at 192/s, and reads slowing down with it).
   * Once the WAL holds more than `restartAfterBytes`, this thread, between two of its own commits,
   * copies what the worker has not copied yet (what came since its last pass; SQLite's automatic
   * checkpoint would copy all of it here, four times as often) and the next write starts the WAL
   * over. Busy (the worker is checkpointing right now): tried again after the next commit. Below
   * the threshold it costs one NOOP checkpoint pragma per commit (~1.4 µs).
   */
  private restartWalIfLong(restartAfterBytes: number): void {
    const probe = this.walProbe;
    if (!probe) return;
    try {
      const { log } = probe.noop.get() as { log: number };
      if (log * probe.frameBytes < restartAfterBytes) return;
      const r = probe.passive.get() as { busy: number; log: number; checkpointed: number };
      if (r.busy === 0 && r.log === r.checkpointed) this.walRestarts += 1;
    } catch {
      // Runs after a commit that succeeded: whatever fails here (SQLITE_BUSY, I/O) must not fail
      // that commit's writes. The next commit tries again; SQLite's own I/O errors surface there.
    }
  }

  migrate(): Promise<void> {
    return this.sync(() => {
      // Read first: a database that is up to date (or a read-only file) needs no write lock.
      if (pendingMigrations(SQLITE_MIGRATIONS, this.appliedVersions()).length === 0) return;
      this.useIncrementalVacuum();
      this.db
        .transaction(() => {
          this.db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`);
          for (const m of pendingMigrations(SQLITE_MIGRATIONS, this.appliedVersions())) {
            this.db.exec(m.sql);
            this.db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
          }
        })
        .immediate();
    });
  }

  /**
   * Part of migration 8: auto_vacuum = INCREMENTAL, so that reclaimSpace (the retention job) can
   * hand the pages retention freed back to the file system a few at a time. A new database takes
   * it as it is; one with tables already needs one VACUUM (it rewrites the file once, before any
   * traffic: seconds per GiB).
   */
  private useIncrementalVacuum(): void {
    if (this.db.readonly || this.db.pragma('auto_vacuum', { simple: true }) === 2) return;
    this.db.pragma('auto_vacuum = INCREMENTAL');
    if (this.db.pragma('auto_vacuum', { simple: true }) !== 2) this.db.exec('VACUUM');
  }

  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    if (!this.closed) {
      // Writes already asked for are committed, not dropped.
      this.flush();
      this.closed = true;
      // The checkpointer's connection first: closing the last connection checkpoints the WAL and removes it.
      const checkpointer = this.checkpointer;
      this.checkpointer = null;
      if (checkpointer) await checkpointer.stop();
      this.statements.clear();
      try {
        // SQLite's advice for long-lived connections: refresh planner statistics on close.
        this.db.pragma('optimize');
      } catch {
        // a read-only or broken database: nothing to refresh
      }
      this.db.close();
    }
  }

  ping(): Promise<boolean> {
    try {
      this.db.prepare('SELECT 1').get();
      return Promise.resolve(true);
    } catch {
      return Promise.resolve(false);
    }
  }

  recordNotification(n: NewNotification, alerts: WebhookAlert[]): Promise<{ notificationId: string; alerts: RecordedAlert[] }> {
    return this.write(() => {
      const notificationId = newId();
      const receivedAt = n.receivedAt.getTime();
      // Inside BEGIN IMMEDIATE nobody else writes, so these reads decide; the partial unique
      // index makes a second "first" impossible regardless.
      const identities = alerts.map((a) => alertIdentity(a));
      const firsts = identities.map((identity) => this.get<{ id: string }>('SELECT id FROM alerts WHERE identity = ? AND duplicate_of IS NULL', identity)?.id ?? null);
      // A notification that brings nothing new (an HA peer's copy, a repeat) keeps no raw body.
      const body = firsts.every((f) => f !== null) && alerts.length > 0 ? '' : n.body;
      this.run(
        `INSERT INTO notifications (id, received_at, receiver, status, group_key, external_url, truncated_alerts, body)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        notificationId, receivedAt, n.receiver, n.status, n.groupKey, n.externalURL, n.truncatedAlerts, body,
      );
      const seen = new Map<string, string>();
      const recorded = alerts.map((a, i): RecordedAlert => {
        const identity = identities[i]!;
        const first = firsts[i] ?? seen.get(identity) ?? null;
        const id = newId();
        if (first === null) {
          this.run(
            `INSERT INTO alerts (id, notification_id, received_at, identity, duplicate_of, status, alertname, fingerprint,
                                 labels, annotations, starts_at, ends_at, generator_url)
             VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?)`,
            id, notificationId, receivedAt, identity, a.status, a.labels.alertname ?? '', a.fingerprint,
            JSON.stringify(a.labels), JSON.stringify(a.annotations), a.startsAt, storedEndsAt(a.endsAt), a.generatorURL,
          );
          seen.set(identity, id);
        } else {
          // Narrow: what the first copy holds already is read through it (ALERT_SELECT).
          this.run(
            `INSERT INTO alerts (id, notification_id, received_at, identity, duplicate_of, status, alertname, fingerprint,
                                 labels, annotations, starts_at, ends_at, generator_url)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, '${NARROW_JSON}', '${NARROW_JSON}', ?, ?, '${NARROW_TEXT}')`,
            id, notificationId, receivedAt, identity, first, a.status, a.labels.alertname ?? '', a.fingerprint,
            a.startsAt, storedEndsAt(a.endsAt),
          );
          this.run('UPDATE alerts SET last_seen_at = max(COALESCE(last_seen_at, received_at), ?) WHERE id = ?', receivedAt, first);
        }
        return { id, identity, duplicateOf: first };
      });
      return { notificationId, alerts: recorded };
    });
  }

  /**
   * One transaction of its own, with foreign-key checks off for it: deleting a notification would
   * otherwise make SQLite look for alerts referring to it, and nothing indexes alerts by
   * notification (migration 3 dropped that index: it cost every stored alert) — a scan of the whole
   * table per notification (measured: 33 ms each at 50k alerts). The deletes below go children
   * first and check with NOT EXISTS what the constraints would. A table added later that refers to
   * remediations or alerts must be added here too.
   */
  pruneHistory(b: PruneBatch): Promise<Pruned> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    return this.sync(() => {
      assertLimit(b.limit);
      // Writes already asked for commit first, in their own transaction, as they would have.
      this.flush();
      this.db.pragma('foreign_keys = OFF');
      try {
        const pruned = this.tx.immediate(() => this.pruneBatch(b)) as Pruned;
        this.afterCommit();
        return pruned;
      } finally {
        this.db.pragma('foreign_keys = ON');
      }
    });
  }

  private pruneBatch(b: PruneBatch): Pruned {
    const before = b.before.getTime();
    const remediations = JSON.stringify(
      this.all<{ id: string }>(
        `SELECT id FROM remediations
         WHERE created_at < ? AND phase NOT IN ${ACTIVE_PHASES_SQL} AND NOT (is_action = 1 AND created_at > ?)
           AND NOT (is_action = 1 AND phase = 'succeeded' AND origin <> 'restore' AND rule IN (SELECT value FROM json_each(?))
                    AND COALESCE(json_extract(result, '$.restore.done'), 0) <> 1)
         ORDER BY created_at, id LIMIT ?`,
        before, b.keepActionsAfter.getTime(), JSON.stringify(b.keepUnrestoredOfRules), b.limit,
      ).map((r) => r.id),
    );
    this.run('DELETE FROM slack_threads WHERE remediation_id IN (SELECT value FROM json_each(?))', remediations);
    this.run('DELETE FROM remediation_transitions WHERE remediation_id IN (SELECT value FROM json_each(?))', remediations);
    const removedRemediations = this.run('DELETE FROM remediations WHERE id IN (SELECT value FROM json_each(?))', remediations).changes;
    const firsts = JSON.stringify(
      this.all<{ id: string }>(
        `SELECT a.id FROM alerts a
         WHERE a.received_at < ? AND a.duplicate_of IS NULL AND COALESCE(a.last_seen_at, a.received_at) < ?
           AND a.decided_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM remediations r WHERE r.alert_id = a.id)
         ORDER BY a.received_at, a.id LIMIT ?`,
        before, before, b.limit,
      ).map((r) => r.id),
    );
    const gone = [
      ...this.all<{ notification_id: string; received_at: number }>('DELETE FROM alerts WHERE duplicate_of IN (SELECT value FROM json_each(?)) RETURNING notification_id, received_at', firsts),
      ...this.all<{ notification_id: string; received_at: number }>('DELETE FROM alerts WHERE id IN (SELECT value FROM json_each(?)) RETURNING notification_id, received_at', firsts),
    ];
    // A notification's alerts carry its receipt time: the time index finds whether any is left.
    const notifications = [...new Set(gone.map((g) => g.notification_id))];
    const removedNotifications = this.run(
      `DELETE FROM notifications WHERE id IN (SELECT value FROM json_each(?))
         AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.received_at = notifications.received_at AND a.notification_id = notifications.id)`,
      JSON.stringify(notifications),
    ).changes;
    return { remediations: removedRemediations, alerts: gone.length, notifications: removedNotifications };
  }

  alertBoundCutoff(max: number): Promise<Date | null> {
    return this.sync(() => {
      if (!Number.isInteger(max) || max < 0) throw new Error(`alertBoundCutoff: max must be a whole number >= 0, got ${max}`);
      // Rows get ascending rowids as they are inserted: the rows beyond the newest `max` are
      // those at or below max(rowid) - max. Counting 5M rows would hold the event loop; this is two index lookups.
      const top = this.get<{ m: number | null }>('SELECT max(rowid) AS m FROM alerts')!.m;
      if (top === null || top <= max) return null;
      const row = this.get<{ received_at: number }>('SELECT received_at FROM alerts WHERE rowid <= ? ORDER BY rowid DESC LIMIT 1', top - max);
      return row ? new Date(row.received_at + 1) : null;
    });
  }

  reclaimSpace(pages: number): Promise<number> {
    return this.write(() => {
      if (this.db.pragma('auto_vacuum', { simple: true }) !== 2) return 0;
      const free = Number(this.db.pragma('freelist_count', { simple: true }));
      if (free === 0) return 0;
      this.db.pragma(`incremental_vacuum(${Math.max(1, Math.floor(pages))})`);
      return free - Number(this.db.pragma('freelist_count', { simple: true }));
    });
  }

  sizeBytes(): Promise<number> {
    return this.sync(() => {
      const pages = Number(this.db.pragma('page_count', { simple: true })) * Number(this.db.pragma('page_size', { simple: true }));
      if (this.db.memory) return pages;
      return pages + (fs.statSync(`${this.db.name}-wal`, { throwIfNoEntry: false })?.size ?? 0);
    });
  }

  getAlert(id: string): Promise<StoredAlert | null> {
    return this.sync(() => {
      const row = this.get<AlertRow>(`${ALERT_SELECT} WHERE a.id = ?`, id);
      return row ? toStoredAlert(row) : null;
    });
  }

  listAlerts(q: AlertQuery): Promise<Page<StoredAlert>> {
    return this.sync(() => {
      assertLimit(q.limit);
      const w = new SqlConditions('sqlite');
      if (q.status !== undefined) w.add('a.status = ?', q.status);
      if (q.alertname !== undefined) w.add('a.alertname = ?', q.alertname);
      if (q.fingerprint !== undefined) w.add('a.fingerprint = ?', q.fingerprint);
      // As documented on AlertQuery: true = duplicates only, false = first deliveries only.
      if (q.duplicate !== undefined) w.add(q.duplicate ? 'a.duplicate_of IS NOT NULL' : 'a.duplicate_of IS NULL');
      if (q.cursor) {
        const c = decodeCursor(q.cursor);
        w.add('(a.received_at < ? OR (a.received_at = ? AND a.id < ?))', c.atMs, c.atMs, c.id);
      }
      const sql = `${ALERT_SELECT} ${w.sql} ORDER BY a.received_at DESC, a.id DESC LIMIT ${w.bind(q.limit + 1)}`;
      const rows = this.all<AlertRow>(sql, ...w.params).map(toStoredAlert);
      return toPage(rows, q.limit, (a) => ({ at: a.receivedAt, id: a.id }));
    });
  }

  listUndecidedAlerts(limit: number): Promise<StoredAlert[]> {
    return this.sync(() => {
      assertLimit(limit);
      return this.all<AlertRow>(
        `${ALERT_SELECT} WHERE a.duplicate_of IS NULL AND a.decided_at IS NULL ORDER BY a.received_at, a.id LIMIT ?`,
        limit,
      ).map(toStoredAlert);
    });
  }

  markAlertDecided(id: string, at: Date): Promise<boolean> {
    return this.write(
      () => this.run('UPDATE alerts SET decided_at = ? WHERE id = ? AND duplicate_of IS NULL AND decided_at IS NULL', at.getTime(), id).changes === 1,
    );
  }

  claimAlert(id: string, owner: string, at: Date): Promise<boolean> {
    return this.write(
      () =>
        this.run(
          `UPDATE alerts SET claimed_by = ?, claimed_at = ?
           WHERE id = ? AND duplicate_of IS NULL AND decided_at IS NULL AND (claimed_at IS NULL OR claimed_at <= ?)`,
          owner, at.getTime(), id, at.getTime() - this.claimTtlMs,
        ).changes === 1,
    );
  }

  releaseAlertClaims(owner: string | null): Promise<number> {
    return this.write(
      () =>
        this.run(
          `UPDATE alerts SET claimed_by = NULL, claimed_at = NULL
           WHERE duplicate_of IS NULL AND decided_at IS NULL AND claimed_at IS NOT NULL AND (? IS NULL OR claimed_by = ?)`,
          owner, owner,
        ).changes,
    );
  }

  createRemediation(r: NewRemediation): Promise<Remediation> {
    return this.write(() => {
      const c = remediationColumns(r);
      const id = newId();
      const at = r.at.getTime();
      this.run(
        `INSERT INTO remediations (id, alert_id, rule, target_key, target, namespace, phase, outcome, reason, is_action,
                                   decision, before_state, after_state, snapshot, result, dry_run, origin, created_at, updated_at,
                                   owner, heartbeat_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)`,
        id, r.alertId, c.rule, r.targetKey, json(r.target), c.namespace, r.phase, c.outcome, c.reason, c.isAction ? 1 : 0,
        JSON.stringify(r.decision), json(c.before), json(c.after), json(r.snapshot), r.dryRun ? 1 : 0, r.origin, at, at,
        r.owner ?? null, r.owner ? at : null,
      );
      this.run(
        'INSERT INTO remediation_transitions (remediation_id, seq, from_phase, to_phase, at, note) VALUES (?, 1, NULL, ?, ?, ?)',
        id, r.phase, at, r.note,
      );
      return this.loadRemediation(id)!;
    });
  }

  transitionRemediation(id: string, from: Phase, to: Phase, patch: TransitionPatch, at: Date): Promise<Remediation> {
    return this.write(() => {
      assertTransition(from, to);
      const row = this.get<{ phase: Phase; snapshot: string | null; result: string | null; target_key: string | null }>(
        'SELECT phase, snapshot, result, target_key FROM remediations WHERE id = ?',
        id,
      );
      if (!row) throw new StaleTransitionError(id, from, null);
      if (row.phase !== from) throw new StaleTransitionError(id, from, row.phase);
      const result = mergeResult(parse<Record<string, unknown>>(row.result), patch.result);
      const snapshot = patch.snapshot === undefined ? row.snapshot : json(patch.snapshot);
      if (patch.decision) {
        const c = decisionColumns(patch.decision, row.target_key);
        this.run(
          'UPDATE remediations SET decision = ?, outcome = ?, reason = ?, is_action = ?, before_state = ?, after_state = ? WHERE id = ?',
          JSON.stringify(patch.decision), c.outcome, c.reason, c.isAction ? 1 : 0, json(c.before), json(c.after), id,
        );
      }
      this.run(
        `UPDATE remediations SET phase = ?, snapshot = ?, result = ?, updated_at = ?,
                undone_at = CASE WHEN ? = 'rolled_back' THEN ? ELSE undone_at END
         WHERE id = ? AND phase = ?`,
        to, snapshot, json(result), at.getTime(), to, at.getTime(), id, from,
      );
      this.run(
        `INSERT INTO remediation_transitions (remediation_id, seq, from_phase, to_phase, at, note)
         SELECT ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ? FROM remediation_transitions WHERE remediation_id = ?`,
        id, from, to, at.getTime(), patch.note, id,
      );
      return this.loadRemediation(id)!;
    });
  }

  mergeRemediationResult(id: string, result: Record<string, unknown>, at: Date): Promise<void> {
    return this.write(() => {
      const row = this.get<{ result: string | null }>('SELECT result FROM remediations WHERE id = ?', id);
      if (!row) throw new Error(`remediation ${id} not found`);
      const merged = mergeResult(parse<Record<string, unknown>>(row.result), result);
      this.run('UPDATE remediations SET result = ?, updated_at = ? WHERE id = ?', json(merged), at.getTime(), id);
    });
  }

  getRemediation(id: string): Promise<Remediation | null> {
    return this.sync(() => this.loadRemediation(id));
  }

  leaseRemediations(ids: readonly string[], owner: string, at: Date): Promise<void> {
    return this.write(() => {
      if (ids.length === 0) return;
      for (const id of ids) this.run('UPDATE remediations SET owner = ?, heartbeat_at = ? WHERE id = ? AND (owner = ? OR owner IS NULL)', owner, at.getTime(), id, owner);
    });
  }

  claimRemediation(id: string, owner: string, staleBefore: Date, at: Date): Promise<boolean> {
    return this.write(() => {
      const r = this.run(
        `UPDATE remediations SET owner = ?, heartbeat_at = ?
         WHERE id = ? AND phase IN ${ACTIVE_PHASES_SQL}
           AND (heartbeat_at IS NULL OR heartbeat_at < ?)`,
        owner, at.getTime(), id, staleBefore.getTime(),
      );
      return r.changes === 1;
    });
  }

  fenceLease(id: string, owner: string, staleBefore: Date, at: Date): Promise<boolean> {
    return this.write(() => {
      const r = this.run(
        `UPDATE remediations SET owner = ?, heartbeat_at = ?
         WHERE id = ? AND (owner = ? OR owner IS NULL OR heartbeat_at IS NULL OR heartbeat_at < ?)`,
        owner, at.getTime(), id, owner, staleBefore.getTime(),
      );
      return r.changes === 1;
    });
  }

  listRemediations(q: RemediationQuery): Promise<Page<Remediation>> {
    return this.sync(() => {
      assertLimit(q.limit);
      const w = new SqlConditions('sqlite');
      for (const [column, value] of remediationFilters(q)) if (value !== undefined) w.add(`${column} = ?`, value);
      if (q.cursor) {
        const c = decodeCursor(q.cursor);
        w.add('(created_at < ? OR (created_at = ? AND id < ?))', c.atMs, c.atMs, c.id);
      }
      const rows = this.all<RemediationRow>(
        `${REMEDIATION_SELECT} ${w.sql} ORDER BY created_at DESC, id DESC LIMIT ${w.bind(q.limit + 1)}`,
        ...w.params,
      );
      return toPage(this.withTransitions(rows), q.limit, (r) => ({ at: r.createdAt, id: r.id }));
    });
  }

  listRemediationsInPhases(phases: readonly Phase[]): Promise<Remediation[]> {
    return this.sync(() => {
      if (phases.length === 0) return [];
      // One bound parameter per phase, so that SQLite searches the phase index for each: with
      // `IN (SELECT value FROM json_each(?))` it scanned every remediation instead (the resume job
      // asks every 10 s: 0.4 s at 100k remediations, found by the scale benchmark).
      const rows = this.all<RemediationRow>(
        `${REMEDIATION_SELECT} WHERE phase IN (${phases.map(() => '?').join(', ')}) ORDER BY created_at, id`,
        ...phases,
      );
      return this.withTransitions(rows);
    });
  }

  countActions(q: { after: Date; namespace?: string; includeDryRun: boolean }): Promise<number> {
    return this.sync(() => {
      const w = new SqlConditions('sqlite').add('is_action = 1').add('created_at > ?', q.after.getTime());
      if (q.namespace !== undefined) w.add('namespace = ?', q.namespace);
      // As ActionRecord.dryRun: the dry_run flag, or a would-be action recorded as a dry-run skip.
      if (!q.includeDryRun) w.add("dry_run = 0 AND COALESCE(reason, '') <> 'dry-run'");
      return this.get<{ n: number }>(`SELECT count(*) AS n FROM remediations ${w.sql}`, ...w.params)!.n;
    });
  }

  actionHistory(q: { since: Date; targetKey?: string; namespace?: string; rule?: string }): Promise<ActionRecord[]> {
    return this.sync(() => {
      // `is_action = 1` written literally, so that SQLite picks the partial indexes.
      const w = new SqlConditions('sqlite').add('is_action = 1').add('created_at >= ?', q.since.getTime());
      if (q.targetKey !== undefined) w.add('target_key = ?', q.targetKey);
      if (q.namespace !== undefined) w.add('namespace = ?', q.namespace);
      if (q.rule !== undefined) w.add('rule = ?', q.rule);
      const rows = this.all<ActionRow>(
        `SELECT id, rule, target_key, namespace, created_at, phase, dry_run, reason, before_state, after_state, undone_at, origin
         FROM remediations ${w.sql} ORDER BY created_at DESC, id DESC`,
        ...w.params,
      );
      return rows.map(toActionRecord);
    });
  }

  activeActions(targetKey: string): Promise<ActionRecord[]> {
    return this.sync(() => {
      // Active runs are few: the phase index finds them whatever their age.
      const rows = this.all<ActionRow>(
        `SELECT id, rule, target_key, namespace, created_at, phase, dry_run, reason, before_state, after_state, undone_at, origin
         FROM remediations WHERE phase IN (SELECT value FROM json_each(?)) AND target_key = ? AND is_action = 1 ORDER BY created_at DESC, id DESC`,
        JSON.stringify(ACTIVE_PHASES),
        targetKey,
      );
      return rows.map(toActionRecord);
    });
  }

  getBreaker(targetKey: string): Promise<Breaker | null> {
    return this.sync(() => {
      const row = this.get<BreakerRow>('SELECT * FROM breakers WHERE target_key = ?', targetKey);
      return row ? toBreaker(row) : null;
    });
  }

  openBreaker(targetKey: string, reason: string, at: Date): Promise<void> {
    return this.write(() => {
      // Re-opening an open breaker keeps its openedAt; opening a reset one starts afresh.
      this.run(
        `INSERT INTO breakers (target_key, open, reason, opened_at, reset_at, reset_by) VALUES (?, 1, ?, ?, NULL, NULL)
         ON CONFLICT (target_key) DO UPDATE SET
           reason = excluded.reason,
           opened_at = CASE WHEN breakers.open = 1 THEN breakers.opened_at ELSE excluded.opened_at END,
           reset_at = CASE WHEN breakers.open = 1 THEN breakers.reset_at ELSE NULL END,
           reset_by = CASE WHEN breakers.open = 1 THEN breakers.reset_by ELSE NULL END,
           open = 1`,
        targetKey, reason, at.getTime(),
      );
    });
  }

  resetBreaker(targetKey: string, by: string, at: Date): Promise<boolean> {
    return this.write(
      () => this.run('UPDATE breakers SET open = 0, reset_at = ?, reset_by = ? WHERE target_key = ? AND open = 1', at.getTime(), by, targetKey).changes === 1,
    );
  }

  listBreakers(): Promise<Breaker[]> {
    return this.sync(() => this.all<BreakerRow>('SELECT * FROM breakers ORDER BY open DESC, opened_at DESC, target_key').map(toBreaker));
  }

  createPause(p: NewPause): Promise<Pause> {
    const id = newId(p.at.getTime());
    const key = scopeKey(p.subject);
    return this.write(() => {
      this.run('INSERT INTO pauses (id, scope_key, actor, reason, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)', id, key, p.actor, p.reason, p.at.getTime(), p.expiresAt?.getTime() ?? null);
      return { ...p, id, scopeKey: key, endedAt: null, endedBy: null };
    });
  }

  listActivePauses(now: Date): Promise<Pause[]> {
    return this.sync(() =>
      this.all<SqlitePauseRow>('SELECT * FROM pauses WHERE ended_at IS NULL AND (expires_at IS NULL OR expires_at > ?) ORDER BY created_at, id', now.getTime()).map(fromSqlitePause),
    );
  }

  endPauses(key: string, by: string, at: Date): Promise<Pause[]> {
    return this.write(() =>
      this.all<SqlitePauseRow>(
        'UPDATE pauses SET ended_at = ?, ended_by = ? WHERE scope_key = ? AND ended_at IS NULL AND (expires_at IS NULL OR expires_at > ?) RETURNING *',
        at.getTime(), by, key, at.getTime(),
      ).map(fromSqlitePause),
    );
  }

  expirePauses(now: Date): Promise<Pause[]> {
    return this.write(() =>
      this.all<SqlitePauseRow>("UPDATE pauses SET ended_at = expires_at, ended_by = 'expiry' WHERE ended_at IS NULL AND expires_at <= ? RETURNING *", now.getTime()).map(fromSqlitePause),
    );
  }

  getSlackThread(remediationId: string): Promise<SlackThread | null> {
    return this.sync(() => this.get<SlackThread>('SELECT channel, ts FROM slack_threads WHERE remediation_id = ?', remediationId) ?? null);
  }

  setSlackThread(remediationId: string, thread: SlackThread | null): Promise<void> {
    return this.write(() => {
      if (thread === null) this.run('DELETE FROM slack_threads WHERE remediation_id = ?', remediationId);
      else {
        this.run(
          'INSERT INTO slack_threads (remediation_id, channel, ts) VALUES (?, ?, ?) ON CONFLICT (remediation_id) DO UPDATE SET channel = excluded.channel, ts = excluded.ts',
          remediationId,
          thread.channel,
          thread.ts,
        );
      }
    });
  }

  rememberSlackRequest(signature: string, at: Date, forgetBefore: Date): Promise<boolean> {
    return this.write(() => {
      this.run('DELETE FROM slack_requests WHERE seen_at < ?', forgetBefore.getTime());
      return this.run('INSERT INTO slack_requests (signature, seen_at) VALUES (?, ?) ON CONFLICT (signature) DO NOTHING', signature, at.getTime()).changes === 1;
    });
  }

  withTargetLock<T>(targetKey: string, fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(targetKey, fn);
  }

  /**
   * Write work, group-committed. Every write asked for during one turn of the event
   * loop runs in one BEGIN IMMEDIATE transaction, each in its own savepoint (a write
   * that throws is rolled back alone and rejects alone), and the batch commits with
   * one fsync; no promise resolves before that commit, so "stored" still means on
   * disk. Under concurrent intake this turns many commits into one; alone, a write
   * costs one setImmediate more than it did. `fn` is always run inside a transaction
   * (BEGIN IMMEDIATE alone, a savepoint in a batch), so a write made of several
   * statements needs no transaction of its own.
   */
  private write<T>(fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  /** Commit what write() queued; see there. */
  private flush(): void {
    const batch = this.pending.splice(0);
    if (batch.length === 0) return;
    if (this.closed) {
      for (const job of batch) job.reject(new Error('the store is closed'));
      return;
    }
    const lost = this.lostFile();
    if (lost) {
      for (const job of batch) job.reject(new StoreLostError(lost));
      return;
    }
    if (batch.length === 1) {
      const job = batch[0]!;
      try {
        job.resolve(this.tx.immediate(job.fn));
      } catch (err) {
        job.reject(asError(err));
      }
      this.afterCommit();
      return;
    }
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; err: unknown }> = [];
    try {
      this.tx.immediate(() => {
        for (const job of batch) {
          try {
            outcomes.push({ ok: true, value: this.tx(job.fn) });
          } catch (err) {
            // An error that made SQLite abort the whole transaction (disk full, I/O) takes the batch with it.
            if (!this.db.inTransaction) throw err;
            outcomes.push({ ok: false, err });
          }
        }
      });
    } catch (err) {
      // BEGIN or COMMIT failed: nothing of the batch is stored.
      for (const job of batch) job.reject(asError(err));
      return;
    }
    this.metrics.batches += 1;
    this.metrics.batchedWrites += batch.length;
    this.afterCommit();
    batch.forEach((job, i) => {
      const o = outcomes[i]!;
      if (o.ok) job.resolve(o.value);
      else job.reject(asError(o.err));
    });
  }

  /** Runs synchronous database work as a promise; a throw becomes a rejection. */
  private sync<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      try {
        resolve(fn());
      } catch (err) {
        reject(asError(err));
      }
    });
  }

  private stmt(sql: string): Database.Statement<unknown[], unknown> {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare<unknown[], unknown>(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private get<R>(sql: string, ...params: unknown[]): R | undefined {
    return this.stmt(sql).get(...params) as R | undefined;
  }

  private all<R>(sql: string, ...params: unknown[]): R[] {
    return this.stmt(sql).all(...params) as R[];
  }

  private run(sql: string, ...params: unknown[]): Database.RunResult {
    return this.stmt(sql).run(...params);
  }

  private appliedVersions(): Set<number> {
    const exists = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
    if (!exists) return new Set();
    return new Set((this.db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
  }

  private loadRemediation(id: string): Remediation | null {
    const row = this.get<RemediationRow>(`${REMEDIATION_SELECT} WHERE id = ?`, id);
    return row ? (this.withTransitions([row])[0] ?? null) : null;
  }

  private withTransitions(rows: RemediationRow[]): Remediation[] {
    if (rows.length === 0) return [];
    const transitions = new Map<string, Transition[]>();
    const all = this.all<TransitionRow>(
      `SELECT remediation_id, from_phase, to_phase, at, note FROM remediation_transitions
       WHERE remediation_id IN (SELECT value FROM json_each(?)) ORDER BY remediation_id, seq`,
      JSON.stringify(rows.map((r) => r.id)),
    );
    for (const t of all) {
      const list = transitions.get(t.remediation_id) ?? [];
      list.push({ from: t.from_phase, to: t.to_phase, at: new Date(t.at), note: t.note });
      transitions.set(t.remediation_id, list);
    }
    return rows.map((r) => toRemediation(r, transitions.get(r.id) ?? []));
  }
}

function toStoredAlert(r: AlertRow): StoredAlert {
  return {
    id: r.id,
    notificationId: r.notification_id,
    receivedAt: new Date(r.received_at),
    identity: r.identity,
    duplicateOf: r.duplicate_of,
    status: r.status,
    labels: JSON.parse(r.labels) as LabelSet,
    annotations: JSON.parse(r.annotations) as LabelSet,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    generatorURL: r.generator_url,
    fingerprint: r.fingerprint,
    groupKey: r.group_key,
    receiver: r.receiver,
    externalURL: r.external_url,
    decidedAt: dateOrNull(r.decided_at),
  };
}

function toRemediation(r: RemediationRow, transitions: Transition[]): Remediation {
  return {
    id: r.id,
    alertId: r.alert_id,
    rule: r.rule,
    targetKey: r.target_key,
    target: parse<TargetRef>(r.target),
    namespace: r.namespace,
    phase: r.phase,
    decision: JSON.parse(r.decision) as Decision,
    snapshot: parse<Record<string, unknown>>(r.snapshot),
    result: parse<Record<string, unknown>>(r.result),
    dryRun: r.dry_run === 1,
    origin: r.origin,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    transitions,
  };
}

type SqlitePauseRow = Omit<PauseRecord, 'created_at' | 'expires_at' | 'ended_at'> & { created_at: number; expires_at: number | null; ended_at: number | null };

function fromSqlitePause(r: SqlitePauseRow): Pause {
  return toPause({ ...r, created_at: new Date(r.created_at), expires_at: dateOrNull(r.expires_at), ended_at: dateOrNull(r.ended_at) });
}

function toBreaker(r: BreakerRow): Breaker {
  return {
    targetKey: r.target_key,
    open: r.open === 1,
    reason: r.reason,
    openedAt: new Date(r.opened_at),
    resetAt: dateOrNull(r.reset_at),
    resetBy: r.reset_by,
  };
}

function toActionRecord(r: ActionRow): ActionRecord {
  return {
    remediationId: r.id,
    rule: r.rule,
    targetKey: r.target_key,
    namespace: r.namespace,
    at: new Date(r.created_at),
    phase: r.phase,
    dryRun: r.dry_run === 1 || r.reason === 'dry-run',
    before: parse<StateFields>(r.before_state) ?? {},
    after: parse<StateFields>(r.after_state) ?? {},
    undoneAt: dateOrNull(r.undone_at),
    origin: r.origin,
  };
}
