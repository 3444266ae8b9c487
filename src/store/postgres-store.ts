import pg from 'pg';
import type { PoolClient, QueryResultRow } from 'pg';
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
import { POSTGRES_MIGRATIONS } from './migrations/postgres.js';
import { ACTIVE_PHASES, ALERT_CLAIM_TTL_MS, StaleTransitionError } from './store.js';
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

export interface PostgresStoreOptions {
  /** How long a claimAlert claim holds before another worker may take it over. */
  claimTtlMs?: number;
  /** Connections for queries (default 10). */
  poolSize?: number;
  /** Connections that hold target locks (default 16): at most this many targets locked at once per replica. */
  lockPoolSize?: number;
  /** How long to wait for a connection before a call fails (default: the query deadline + 2 s, at most 10 s). */
  connectionTimeoutMillis?: number;
  /**
   * Deadline of every query (default 10 s): the server cancels it (statement_timeout, so a
   * table lock held elsewhere cannot stall a decision for its whole duration) and the client
   * gives up on it a little later (query_timeout, for an answer lost in the network) and drops
   * the connection. Target-lock waits get LOCK_WAIT_FACTOR times as long: a lock is held across
   * a Kubernetes write. `?statement_timeout=…&query_timeout=…` in DATABASE_URL override both.
   */
  queryTimeoutMs?: number;
  /**
   * The server ends a target-lock session idle this long (idle_session_timeout; default 30 s,
   * RUN_LEASE_TTL): a replica cut off from the database while it holds a target lock would
   * otherwise keep the lock on the server forever (its session never sees the cut), and no
   * other replica could take its runs over. A Kubernetes write is fenced by the run's lease.
   */
  lockIdleTimeoutMs?: number;
}

/** A target lock is held across plan + apply (Kubernetes calls with retries): its wait gets longer. */
const LOCK_WAIT_FACTOR = 12;

/** The pg client settings that put a deadline on every query and keep idle connections probed. */
export function deadlineSettings(queryTimeoutMs: number): {
  statement_timeout: number;
  query_timeout: number;
  idle_in_transaction_session_timeout: number;
  keepAlive: true;
  keepAliveInitialDelayMillis: number;
} {
  // idle_in_transaction_session_timeout: a client whose answers are lost mid-transaction (a network cut)
  // leaves its session idle in the transaction; the server ends it, so its row locks do not stall the others.
  return { statement_timeout: queryTimeoutMs, query_timeout: queryTimeoutMs + 2000, idle_in_transaction_session_timeout: queryTimeoutMs + 2000, keepAlive: true, keepAliveInitialDelayMillis: 10_000 };
}

/**
 * Two-int advisory lock key for migrations. The two-int and the one-bigint key
 * spaces do not overlap, so it can never collide with a target lock.
 */
const MIGRATION_LOCK: readonly [number, number] = [0x61726d64, 1];

/** SQLSTATEs after which a transaction is simply run again. */
const RETRYABLE = new Set(['40001', '40P01']);

/**
 * Connect a pool to `url` (postgres:// or postgresql://; `?options=-c search_path=x`
 * selects a schema). No connection is made until the first call; the schema is not
 * touched: call `migrate()` (openStore does).
 */
export function openPostgresStore(url: string, options: PostgresStoreOptions = {}): PostgresStore {
  return new PostgresStore(url, options);
}

interface AlertRow {
  id: string;
  notification_id: string;
  received_at: Date;
  identity: string;
  duplicate_of: string | null;
  status: AlertStatus;
  labels: LabelSet;
  annotations: LabelSet;
  starts_at: string;
  ends_at: string | null;
  generator_url: string;
  fingerprint: string;
  decided_at: Date | null;
  group_key: string;
  receiver: string;
  external_url: string;
}

interface RemediationRow {
  id: string;
  alert_id: string | null;
  rule: string | null;
  target_key: string | null;
  target: TargetRef | null;
  namespace: string | null;
  phase: Phase;
  decision: Decision;
  snapshot: Record<string, unknown> | null;
  result: Record<string, unknown> | null;
  dry_run: boolean;
  origin: Remediation['origin'];
  created_at: Date;
  updated_at: Date;
}

interface TransitionRow {
  remediation_id: string;
  from_phase: Phase | null;
  to_phase: Phase;
  at: Date;
  note: string;
}

interface ActionRow {
  id: string;
  rule: string;
  target_key: string;
  namespace: string;
  created_at: Date;
  phase: Phase;
  dry_run: boolean;
  reason: string | null;
  before_state: StateFields | null;
  after_state: StateFields | null;
  undone_at: Date | null;
  origin: Remediation['origin'];
}

interface BreakerRow {
  target_key: string;
  open: boolean;
  reason: string;
  opened_at: Date;
  reset_at: Date | null;
  reset_by: string | null;
}



type Queryable = Pick<PoolClient, 'query'>;

/**
 * The Store for several replicas: one PostgreSQL database. Uniqueness of first
 * deliveries, claims and phase changes are decided by the database (unique index,
 * conditional UPDATE, SELECT … FOR UPDATE), so replicas need no other coordination;
 * `withTargetLock` holds a session advisory lock on a dedicated connection.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  /** Separate pool for lock holders: fn() inside a lock needs query connections, which lock waiters must not starve. */
  private readonly lockPool: pg.Pool;
  private readonly mutex = new KeyedMutex();
  private readonly claimTtlMs: number;
  private closed = false;

  constructor(url: string, options: PostgresStoreOptions = {}) {
    const timeout = options.queryTimeoutMs ?? 10_000;
    const base = { connectionString: url, connectionTimeoutMillis: options.connectionTimeoutMillis ?? Math.min(10_000, timeout + 2000), application_name: 'autoremediator' };
    this.pool = new pg.Pool({ ...base, ...deadlineSettings(timeout), max: options.poolSize ?? 10 });
    const lockIdle = Math.max(1000, Math.round(options.lockIdleTimeoutMs ?? 30_000));
    this.lockPool = new pg.Pool({ ...base, ...deadlineSettings(timeout * LOCK_WAIT_FACTOR), options: `-c idle_session_timeout=${lockIdle}`, idleTimeoutMillis: Math.min(10_000, lockIdle / 2), max: options.lockPoolSize ?? 16 });
    // An idle connection that dies (server restart) is dropped by the pool; without a
    // listener the 'error' event would crash the process.
    this.pool.on('error', () => undefined);
    this.lockPool.on('error', () => undefined);
    this.claimTtlMs = options.claimTtlMs ?? ALERT_CLAIM_TTL_MS;
  }

  async migrate(): Promise<void> {
    await this.tx(async (c) => {
      // Transaction-scoped: two replicas starting together apply the migrations once.
      await c.query('SELECT pg_advisory_xact_lock($1, $2)', [...MIGRATION_LOCK]);
      await c.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      const applied = await c.query<{ version: number }>('SELECT version FROM schema_migrations');
      for (const m of pendingMigrations(POSTGRES_MIGRATIONS, new Set(applied.rows.map((r) => r.version)))) {
        await c.query(m.sql);
        await c.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      }
    });
  }

  /**
   * Close both pools. pool.end() waits for every checked-out connection; one stuck on a lost
   * answer must not hold a shutdown past its grace period, so after `waitMs` this returns anyway
   * (the process exits and the sockets with it).
   */
  async close(waitMs = 5000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const ended = Promise.all([this.pool.end(), this.lockPool.end()]).then(() => true);
    const gaveUp = new Promise<boolean>((r) => setTimeout(() => r(false), waitMs).unref());
    await Promise.race([ended, gaveUp]);
  }

  async ping(): Promise<boolean> {
    try {
      await this.pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async probe(): Promise<string | null> {
    try {
      await this.pool.query('INSERT INTO store_probe (id, at) VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET at = excluded.at');
      return null;
    } catch (err) {
      return `PostgreSQL cannot be written: ${(err as Error).message}`;
    }
  }

  async recordNotification(n: NewNotification, alerts: WebhookAlert[]): Promise<{ notificationId: string; alerts: RecordedAlert[] }> {
    // Ids and identities in input order; inserts in identity order, so that two
    // replicas inserting overlapping alerts take the index locks in the same order
    // (no deadlock). A stable sort keeps the input order among equal identities:
    // the earlier of two identical alerts is the first delivery.
    const planned = alerts.map((a) => ({ alert: a, id: newId(), identity: alertIdentity(a) }));
    const insertOrder = planned
      .map((p, index) => ({ ...p, index }))
      .sort((x, y) => (x.identity < y.identity ? -1 : x.identity > y.identity ? 1 : x.index - y.index));
    return this.tx(async (c) => {
      const notificationId = newId();
      // A notification that brings nothing new (an HA peer's copy, a repeat) keeps no raw body.
      // (Read before the inserts: a first delivery racing this one only makes a body stay.)
      const identities = [...new Set(planned.map((p) => p.identity))];
      const known = identities.length === 0 ? 0 : Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM alerts WHERE identity = ANY($1) AND duplicate_of IS NULL', [identities])).rows[0]!.n);
      const body = identities.length > 0 && known === identities.length ? '' : n.body;
      await c.query(
        `INSERT INTO notifications (id, received_at, receiver, status, group_key, external_url, truncated_alerts, body)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [notificationId, n.receivedAt, n.receiver, n.status, n.groupKey, n.externalURL, n.truncatedAlerts, body],
      );
      const duplicateOf = new Map<number, string | null>();
      for (const p of insertOrder) {
        const a = p.alert;
        const columns = `(id, notification_id, received_at, identity, status, alertname, fingerprint, labels, annotations,
                          starts_at, ends_at, generator_url, duplicate_of)`;
        // Try to be first; a concurrent uncommitted first makes this wait for its outcome.
        const first = await c.query(
          `INSERT INTO alerts ${columns} VALUES ($1, $2, $3, $4, $5, $6, $7, $8::json, $9::json, $10, $11, $12, NULL)
           ON CONFLICT (identity) WHERE duplicate_of IS NULL DO NOTHING RETURNING id`,
          [
            p.id, notificationId, n.receivedAt, p.identity, a.status, a.labels.alertname ?? '', a.fingerprint,
            JSON.stringify(a.labels), JSON.stringify(a.annotations), a.startsAt, storedEndsAt(a.endsAt), a.generatorURL,
          ],
        );
        if (first.rowCount === 1) {
          duplicateOf.set(p.index, null);
          continue;
        }
        // The first copy learns when it was last delivered (retention keeps it and its duplicates
        // until then); the row lock this takes keeps a retention pass from deleting it under us.
        const existing = await c.query<{ id: string }>(
          'UPDATE alerts SET last_seen_at = GREATEST(COALESCE(last_seen_at, received_at), $2) WHERE identity = $1 AND duplicate_of IS NULL RETURNING id',
          [p.identity, n.receivedAt],
        );
        const firstId = existing.rows[0]?.id;
        if (firstId === undefined) throw new Error(`alert identity ${p.identity}: conflict but no first delivery found`);
        // Narrow: what the first copy holds already is read through it (ALERT_SELECT).
        await c.query(
          `INSERT INTO alerts ${columns} VALUES ($1, $2, $3, $4, $5, $6, $7, '${NARROW_JSON}'::json, '${NARROW_JSON}'::json, $8, $9, '${NARROW_TEXT}', $10)`,
          [p.id, notificationId, n.receivedAt, p.identity, a.status, a.labels.alertname ?? '', a.fingerprint, a.startsAt, storedEndsAt(a.endsAt), firstId],
        );
        duplicateOf.set(p.index, firstId);
      }
      return {
        notificationId,
        alerts: planned.map((p, index) => ({ id: p.id, identity: p.identity, duplicateOf: duplicateOf.get(index) ?? null })),
      };
    });
  }

  async pruneHistory(b: PruneBatch): Promise<Pruned> {
    assertLimit(b.limit);
    return this.tx(async (c) => {
      // SKIP LOCKED: a row another transaction holds (a run being touched, a first copy getting a
      // duplicate) waits for the next pass instead of holding this one.
      const rems = (
        await c.query<{ id: string }>(
          `SELECT id FROM remediations
           WHERE created_at < $1 AND phase NOT IN ${ACTIVE_PHASES_SQL} AND NOT (is_action AND created_at > $2)
             AND NOT (is_action AND phase = 'succeeded' AND origin <> 'restore' AND rule = ANY($4::text[])
                      AND (result -> 'restore' ->> 'done') IS DISTINCT FROM 'true')
           ORDER BY created_at, id LIMIT $3 FOR UPDATE SKIP LOCKED`,
          [b.before, b.keepActionsAfter, b.limit, [...b.keepUnrestoredOfRules]],
        )
      ).rows.map((r) => r.id);
      let remediations = 0;
      if (rems.length > 0) {
        await c.query('DELETE FROM slack_threads WHERE remediation_id = ANY($1)', [rems]);
        await c.query('DELETE FROM remediation_transitions WHERE remediation_id = ANY($1)', [rems]);
        remediations = (await c.query('DELETE FROM remediations WHERE id = ANY($1)', [rems])).rowCount ?? 0;
      }
      const firsts = (
        await c.query<{ id: string }>(
          `SELECT a.id FROM alerts a
           WHERE a.received_at < $1 AND a.duplicate_of IS NULL AND COALESCE(a.last_seen_at, a.received_at) < $1
             AND a.decided_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM remediations r WHERE r.alert_id = a.id)
           ORDER BY a.received_at, a.id LIMIT $2 FOR UPDATE SKIP LOCKED`,
          [b.before, b.limit],
        )
      ).rows.map((r) => r.id);
      if (firsts.length === 0) return { remediations, alerts: 0, notifications: 0 };
      const gone = [
        ...(await c.query<{ notification_id: string }>('DELETE FROM alerts WHERE duplicate_of = ANY($1) RETURNING notification_id', [firsts])).rows,
        ...(await c.query<{ notification_id: string }>('DELETE FROM alerts WHERE id = ANY($1) RETURNING notification_id', [firsts])).rows,
      ];
      // A notification's alerts carry its receipt time: the time index finds whether any is left.
      const notifications = await c.query(
        `DELETE FROM notifications n WHERE n.id = ANY($1)
           AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.received_at = n.received_at AND a.notification_id = n.id)`,
        [[...new Set(gone.map((g) => g.notification_id))]],
      );
      return { remediations, alerts: gone.length, notifications: notifications.rowCount ?? 0 };
    });
  }

  async alertBoundCutoff(max: number): Promise<Date | null> {
    if (!Number.isInteger(max) || max < 0) throw new Error(`alertBoundCutoff: max must be a whole number >= 0, got ${max}`);
    const { rows } = await this.pool.query<{ received_at: Date }>('SELECT received_at FROM alerts ORDER BY received_at DESC, id DESC OFFSET $1 LIMIT 1', [max]);
    return rows[0] ? new Date(rows[0].received_at.getTime() + 1) : null;
  }

  reclaimSpace(): Promise<number> {
    // Autovacuum makes the deleted rows' space reusable; nothing is handed back to the file system.
    return Promise.resolve(0);
  }

  async sizeBytes(): Promise<number> {
    const { rows } = await this.pool.query<{ bytes: string | null }>(
      `SELECT sum(pg_total_relation_size(t)) AS bytes FROM unnest($1::text[]) AS name, LATERAL to_regclass(name) AS t WHERE t IS NOT NULL`,
      [['notifications', 'alerts', 'remediations', 'remediation_transitions', 'breakers', 'slack_threads', 'pauses', 'schema_migrations']],
    );
    return Number(rows[0]?.bytes ?? 0);
  }

  async getAlert(id: string): Promise<StoredAlert | null> {
    const { rows } = await this.pool.query<AlertRow>(`${ALERT_SELECT} WHERE a.id = $1`, [id]);
    return rows[0] ? toStoredAlert(rows[0]) : null;
  }

  async listAlerts(q: AlertQuery): Promise<Page<StoredAlert>> {
    assertLimit(q.limit);
    const w = new SqlConditions('postgres');
    if (q.status !== undefined) w.add('a.status = ?', q.status);
    if (q.alertname !== undefined) w.add('a.alertname = ?', q.alertname);
    if (q.fingerprint !== undefined) w.add('a.fingerprint = ?', q.fingerprint);
    // As documented on AlertQuery: true = duplicates only, false = first deliveries only.
    if (q.duplicate !== undefined) w.add(q.duplicate ? 'a.duplicate_of IS NOT NULL' : 'a.duplicate_of IS NULL');
    if (q.cursor) {
      const c = decodeCursor(q.cursor);
      const at = new Date(c.atMs);
      w.add('(a.received_at < ? OR (a.received_at = ? AND a.id < ?))', at, at, c.id);
    }
    const { rows } = await this.pool.query<AlertRow>(
      `${ALERT_SELECT} ${w.sql} ORDER BY a.received_at DESC, a.id DESC LIMIT ${w.bind(q.limit + 1)}`,
      w.params,
    );
    return toPage(rows.map(toStoredAlert), q.limit, (a) => ({ at: a.receivedAt, id: a.id }));
  }

  async listUndecidedAlerts(limit: number): Promise<StoredAlert[]> {
    assertLimit(limit);
    const { rows } = await this.pool.query<AlertRow>(
      `${ALERT_SELECT} WHERE a.duplicate_of IS NULL AND a.decided_at IS NULL ORDER BY a.received_at, a.id LIMIT $1`,
      [limit],
    );
    return rows.map(toStoredAlert);
  }

  async markAlertDecided(id: string, at: Date): Promise<boolean> {
    const r = await this.pool.query('UPDATE alerts SET decided_at = $2 WHERE id = $1 AND duplicate_of IS NULL AND decided_at IS NULL', [id, at]);
    return r.rowCount === 1;
  }

  async claimAlert(id: string, owner: string, at: Date): Promise<boolean> {
    // Concurrent UPDATEs of one row serialise; the loser re-checks the WHERE against the winner's row and matches nothing.
    const r = await this.pool.query(
      `UPDATE alerts SET claimed_by = $2, claimed_at = $3
       WHERE id = $1 AND duplicate_of IS NULL AND decided_at IS NULL AND (claimed_at IS NULL OR claimed_at <= $4)`,
      [id, owner, at, new Date(at.getTime() - this.claimTtlMs)],
    );
    return r.rowCount === 1;
  }

  async releaseAlertClaims(owner: string | null): Promise<number> {
    const r = await this.pool.query(
      `UPDATE alerts SET claimed_by = NULL, claimed_at = NULL
       WHERE duplicate_of IS NULL AND decided_at IS NULL AND claimed_at IS NOT NULL AND ($1::text IS NULL OR claimed_by = $1)`,
      [owner],
    );
    return r.rowCount ?? 0;
  }

  async createRemediation(r: NewRemediation): Promise<Remediation> {
    const c = remediationColumns(r);
    const id = newId();
    return this.tx(async (client) => {
      await client.query(
        `INSERT INTO remediations (id, alert_id, rule, target_key, target, namespace, phase, outcome, reason, is_action,
                                   decision, before_state, after_state, snapshot, result, dry_run, origin, created_at, updated_at,
                                   owner, heartbeat_at)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb, $13::jsonb, $14::jsonb, NULL, $15, $16, $17, $17, $18, $19)`,
        [
          id, r.alertId, c.rule, r.targetKey, json(r.target), c.namespace, r.phase, c.outcome, c.reason, c.isAction,
          JSON.stringify(r.decision), json(c.before), json(c.after), json(r.snapshot), r.dryRun, r.origin, r.at,
          r.owner ?? null, r.owner ? r.at : null,
        ],
      );
      await client.query(
        'INSERT INTO remediation_transitions (remediation_id, seq, from_phase, to_phase, at, note) VALUES ($1, 1, NULL, $2, $3, $4)',
        [id, r.phase, r.at, r.note],
      );
      return (await this.loadRemediation(client, id))!;
    });
  }

  async transitionRemediation(id: string, from: Phase, to: Phase, patch: TransitionPatch, at: Date): Promise<Remediation> {
    assertTransition(from, to);
    return this.tx(async (c) => {
      const { rows } = await c.query<{ phase: Phase; result: Record<string, unknown> | null; target_key: string | null }>(
        'SELECT phase, result, target_key FROM remediations WHERE id = $1 FOR UPDATE',
        [id],
      );
      const row = rows[0];
      if (!row) throw new StaleTransitionError(id, from, null);
      if (row.phase !== from) throw new StaleTransitionError(id, from, row.phase);
      const result = mergeResult(row.result, patch.result);
      if (patch.decision) {
        const d = decisionColumns(patch.decision, row.target_key);
        await c.query(
          'UPDATE remediations SET decision = $2::jsonb, outcome = $3, reason = $4, is_action = $5, before_state = $6::jsonb, after_state = $7::jsonb WHERE id = $1',
          [id, JSON.stringify(patch.decision), d.outcome, d.reason, d.isAction, json(d.before), json(d.after)],
        );
      }
      await c.query(
        `UPDATE remediations SET phase = $2,
                snapshot = CASE WHEN $3::boolean THEN $4::jsonb ELSE snapshot END,
                result = $5::jsonb, updated_at = $6,
                undone_at = CASE WHEN $2 = 'rolled_back' THEN $6 ELSE undone_at END
         WHERE id = $1`,
        [id, to, patch.snapshot !== undefined, json(patch.snapshot), json(result), at],
      );
      await c.query(
        `INSERT INTO remediation_transitions (remediation_id, seq, from_phase, to_phase, at, note)
         SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5 FROM remediation_transitions WHERE remediation_id = $1`,
        [id, from, to, at, patch.note],
      );
      return (await this.loadRemediation(c, id))!;
    });
  }

  async mergeRemediationResult(id: string, result: Record<string, unknown>, at: Date): Promise<void> {
    // jsonb || jsonb is a shallow merge of two objects, atomic in one statement.
    const r = await this.pool.query(
      `UPDATE remediations SET result = COALESCE(result, '{}'::jsonb) || $2::jsonb, updated_at = $3 WHERE id = $1`,
      [id, JSON.stringify(result), at],
    );
    if (r.rowCount !== 1) throw new Error(`remediation ${id} not found`);
  }

  async getRemediation(id: string): Promise<Remediation | null> {
    return this.loadRemediation(this.pool, id);
  }

  async leaseRemediations(ids: readonly string[], owner: string, at: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query('UPDATE remediations SET owner = $1, heartbeat_at = $2 WHERE id = ANY($3::text[]) AND (owner = $1 OR owner IS NULL)', [owner, at, [...ids]]);
  }

  async claimRemediation(id: string, owner: string, staleBefore: Date, at: Date): Promise<boolean> {
    // One UPDATE with the staleness test in its WHERE: row locking makes exactly one claimer win.
    const r = await this.pool.query(
      `UPDATE remediations SET owner = $1, heartbeat_at = $2
       WHERE id = $3 AND phase IN ${ACTIVE_PHASES_SQL}
         AND (heartbeat_at IS NULL OR heartbeat_at < $4)`,
      [owner, at, id, staleBefore],
    );
    return r.rowCount === 1;
  }

  async fenceLease(id: string, owner: string, staleBefore: Date, at: Date): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE remediations SET owner = $1, heartbeat_at = $2
       WHERE id = $3 AND (owner = $1 OR owner IS NULL OR heartbeat_at IS NULL OR heartbeat_at < $4)`,
      [owner, at, id, staleBefore],
    );
    return r.rowCount === 1;
  }

  async listRemediations(q: RemediationQuery): Promise<Page<Remediation>> {
    assertLimit(q.limit);
    const w = new SqlConditions('postgres');
    for (const [column, value] of remediationFilters(q)) if (value !== undefined) w.add(`${column} = ?`, value);
    if (q.cursor) {
      const c = decodeCursor(q.cursor);
      const at = new Date(c.atMs);
      w.add('(created_at < ? OR (created_at = ? AND id < ?))', at, at, c.id);
    }
    const { rows } = await this.pool.query<RemediationRow>(
      `${REMEDIATION_SELECT} ${w.sql} ORDER BY created_at DESC, id DESC LIMIT ${w.bind(q.limit + 1)}`,
      w.params,
    );
    return toPage(await this.withTransitions(this.pool, rows), q.limit, (r) => ({ at: r.createdAt, id: r.id }));
  }

  async listRemediationsInPhases(phases: readonly Phase[]): Promise<Remediation[]> {
    if (phases.length === 0) return [];
    const { rows } = await this.pool.query<RemediationRow>(`${REMEDIATION_SELECT} WHERE phase = ANY($1::text[]) ORDER BY created_at, id`, [
      [...phases],
    ]);
    return this.withTransitions(this.pool, rows);
  }

  async countActions(q: { after: Date; namespace?: string; includeDryRun: boolean }): Promise<number> {
    const w = new SqlConditions('postgres').add('is_action').add('created_at > ?', q.after);
    if (q.namespace !== undefined) w.add('namespace = ?', q.namespace);
    // As ActionRecord.dryRun: the dry_run flag, or a would-be action recorded as a dry-run skip.
    if (!q.includeDryRun) w.add("NOT dry_run AND COALESCE(reason, '') <> 'dry-run'");
    const { rows } = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM remediations ${w.sql}`, w.params);
    return Number(rows[0]!.n);
  }

  async actionHistory(q: { since: Date; targetKey?: string; namespace?: string; rule?: string }): Promise<ActionRecord[]> {
    const w = new SqlConditions('postgres').add('is_action').add('created_at >= ?', q.since);
    if (q.targetKey !== undefined) w.add('target_key = ?', q.targetKey);
    if (q.namespace !== undefined) w.add('namespace = ?', q.namespace);
    if (q.rule !== undefined) w.add('rule = ?', q.rule);
    const { rows } = await this.pool.query<ActionRow>(
      `SELECT id, rule, target_key, namespace, created_at, phase, dry_run, reason, before_state, after_state, undone_at, origin
       FROM remediations ${w.sql} ORDER BY created_at DESC, id DESC`,
      w.params,
    );
    return rows.map(toActionRecord);
  }

  async activeActions(targetKey: string): Promise<ActionRecord[]> {
    // Active runs are few: the phase index finds them whatever their age.
    const { rows } = await this.pool.query<ActionRow>(
      `SELECT id, rule, target_key, namespace, created_at, phase, dry_run, reason, before_state, after_state, undone_at, origin
       FROM remediations WHERE phase = ANY($1::text[]) AND target_key = $2 AND is_action ORDER BY created_at DESC, id DESC`,
      [ACTIVE_PHASES, targetKey],
    );
    return rows.map(toActionRecord);
  }

  async getBreaker(targetKey: string): Promise<Breaker | null> {
    const { rows } = await this.pool.query<BreakerRow>('SELECT * FROM breakers WHERE target_key = $1', [targetKey]);
    return rows[0] ? toBreaker(rows[0]) : null;
  }

  async openBreaker(targetKey: string, reason: string, at: Date): Promise<void> {
    // Re-opening an open breaker keeps its openedAt; opening a reset one starts afresh.
    await this.pool.query(
      `INSERT INTO breakers (target_key, open, reason, opened_at, reset_at, reset_by) VALUES ($1, true, $2, $3, NULL, NULL)
       ON CONFLICT (target_key) DO UPDATE SET
         reason = EXCLUDED.reason,
         opened_at = CASE WHEN breakers.open THEN breakers.opened_at ELSE EXCLUDED.opened_at END,
         reset_at = CASE WHEN breakers.open THEN breakers.reset_at ELSE NULL END,
         reset_by = CASE WHEN breakers.open THEN breakers.reset_by ELSE NULL END,
         open = true`,
      [targetKey, reason, at],
    );
  }

  async resetBreaker(targetKey: string, by: string, at: Date): Promise<boolean> {
    const r = await this.pool.query('UPDATE breakers SET open = false, reset_at = $2, reset_by = $3 WHERE target_key = $1 AND open', [targetKey, at, by]);
    return r.rowCount === 1;
  }

  async listBreakers(): Promise<Breaker[]> {
    const { rows } = await this.pool.query<BreakerRow>('SELECT * FROM breakers ORDER BY open DESC, opened_at DESC, target_key');
    return rows.map(toBreaker);
  }

  async createPause(p: NewPause): Promise<Pause> {
    const id = newId(p.at.getTime());
    const key = scopeKey(p.subject);
    await this.pool.query('INSERT INTO pauses (id, scope_key, actor, reason, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)', [id, key, p.actor, p.reason, p.at, p.expiresAt]);
    return { ...p, id, scopeKey: key, endedAt: null, endedBy: null };
  }

  async listActivePauses(now: Date): Promise<Pause[]> {
    const { rows } = await this.pool.query<PauseRecord>('SELECT * FROM pauses WHERE ended_at IS NULL AND (expires_at IS NULL OR expires_at > $1) ORDER BY created_at, id', [now]);
    return rows.map(toPause);
  }

  async endPauses(key: string, by: string, at: Date): Promise<Pause[]> {
    const { rows } = await this.pool.query<PauseRecord>(
      'UPDATE pauses SET ended_at = $1, ended_by = $2 WHERE scope_key = $3 AND ended_at IS NULL AND (expires_at IS NULL OR expires_at > $1) RETURNING *',
      [at, by, key],
    );
    return rows.map(toPause);
  }

  async expirePauses(now: Date): Promise<Pause[]> {
    // One UPDATE: a row is ended by exactly one replica's statement, which alone gets it back.
    const { rows } = await this.pool.query<PauseRecord>("UPDATE pauses SET ended_at = expires_at, ended_by = 'expiry' WHERE ended_at IS NULL AND expires_at <= $1 RETURNING *", [now]);
    return rows.map(toPause);
  }

  async getSlackThread(remediationId: string): Promise<SlackThread | null> {
    const { rows } = await this.pool.query<SlackThread>('SELECT channel, ts FROM slack_threads WHERE remediation_id = $1', [remediationId]);
    return rows[0] ?? null;
  }

  async rememberSlackRequest(signature: string, at: Date, forgetBefore: Date): Promise<boolean> {
    await this.pool.query('DELETE FROM slack_requests WHERE seen_at < $1', [forgetBefore]);
    const r = await this.pool.query('INSERT INTO slack_requests (signature, seen_at) VALUES ($1, $2) ON CONFLICT (signature) DO NOTHING', [signature, at]);
    return r.rowCount === 1;
  }

  async setSlackThread(remediationId: string, thread: SlackThread | null): Promise<void> {
    if (thread === null) await this.pool.query('DELETE FROM slack_threads WHERE remediation_id = $1', [remediationId]);
    else {
      await this.pool.query(
        'INSERT INTO slack_threads (remediation_id, channel, ts) VALUES ($1, $2, $3) ON CONFLICT (remediation_id) DO UPDATE SET channel = excluded.channel, ts = excluded.ts',
        [remediationId, thread.channel, thread.ts],
      );
    }
  }

  /**
   * In-process mutex first (one lock connection per key per replica), then a session
   * advisory lock on `hashtextextended(targetKey, 0)` held on a dedicated connection
   * for the duration of fn. If that connection breaks, the server frees the lock;
   * the connection is then destroyed, never returned to the pool holding a lock.
   * Not re-entrant.
   */
  withTargetLock<T>(targetKey: string, fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(targetKey, async () => {
      const client = await this.lockPool.connect();
      let broken: Error | undefined;
      const onError = (err: Error): void => {
        broken = err;
      };
      client.on('error', onError);
      try {
        try {
          await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [targetKey]);
        } catch (err) {
          broken = asError(err);
          throw err;
        }
        try {
          return await fn();
        } finally {
          try {
            await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [targetKey]);
          } catch (err) {
            broken = asError(err);
          }
        }
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    });
  }

  /** BEGIN … COMMIT on one connection; runs fn again after a serialization failure or deadlock. */
  private async tx<T>(fn: (c: PoolClient) => Promise<T>, attempts = 3): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const c = await this.pool.connect();
      let destroy = false;
      // A connection cut while checked out emits 'error' on the client (the pool listens only on
      // idle ones): with no listener that is an uncaught exception. The failed query rejects anyway.
      const onError = (): void => {
        destroy = true;
      };
      c.on('error', onError);
      try {
        await c.query('BEGIN');
        const value = await fn(c);
        await c.query('COMMIT');
        return value;
      } catch (err) {
        // A query that timed out on the client may still run on the connection: drop it, no ROLLBACK
        // (the server rolls back the transaction of a closed session).
        if ((err as Error).message === 'Query read timeout') destroy = true;
        else {
          try {
            await c.query('ROLLBACK');
          } catch {
            destroy = true;
          }
        }
        if (attempt < attempts && RETRYABLE.has((err as { code?: string }).code ?? '')) continue;
        throw err;
      } finally {
        c.off('error', onError);
        c.release(destroy);
      }
    }
  }

  private async loadRemediation(c: Queryable, id: string): Promise<Remediation | null> {
    const { rows } = await c.query<RemediationRow>(`${REMEDIATION_SELECT} WHERE id = $1`, [id]);
    return (await this.withTransitions(c, rows))[0] ?? null;
  }

  private async withTransitions(c: Queryable, rows: RemediationRow[]): Promise<Remediation[]> {
    if (rows.length === 0) return [];
    const transitions = new Map<string, Transition[]>();
    const all = await c.query<TransitionRow & QueryResultRow>(
      `SELECT remediation_id, from_phase, to_phase, at, note FROM remediation_transitions
       WHERE remediation_id = ANY($1::text[]) ORDER BY remediation_id, seq`,
      [rows.map((r) => r.id)],
    );
    for (const t of all.rows) {
      const list = transitions.get(t.remediation_id) ?? [];
      list.push({ from: t.from_phase, to: t.to_phase, at: t.at, note: t.note });
      transitions.set(t.remediation_id, list);
    }
    return rows.map((r) => toRemediation(r, transitions.get(r.id) ?? []));
  }
}

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

function toStoredAlert(r: AlertRow): StoredAlert {
  return {
    id: r.id,
    notificationId: r.notification_id,
    receivedAt: r.received_at,
    identity: r.identity,
    duplicateOf: r.duplicate_of,
    status: r.status,
    labels: r.labels,
    annotations: r.annotations,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    generatorURL: r.generator_url,
    fingerprint: r.fingerprint,
    groupKey: r.group_key,
    receiver: r.receiver,
    externalURL: r.external_url,
    decidedAt: r.decided_at,
  };
}

function toRemediation(r: RemediationRow, transitions: Transition[]): Remediation {
  return {
    id: r.id,
    alertId: r.alert_id,
    rule: r.rule,
    targetKey: r.target_key,
    target: r.target,
    namespace: r.namespace,
    phase: r.phase,
    decision: r.decision,
    snapshot: r.snapshot,
    result: r.result,
    dryRun: r.dry_run,
    origin: r.origin,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    transitions,
  };
}

function toBreaker(r: BreakerRow): Breaker {
  return {
    targetKey: r.target_key,
    open: r.open,
    reason: r.reason,
    openedAt: r.opened_at,
    resetAt: r.reset_at,
    resetBy: r.reset_by,
  };
}

function toActionRecord(r: ActionRow): ActionRecord {
  return {
    remediationId: r.id,
    rule: r.rule,
    targetKey: r.target_key,
    namespace: r.namespace,
    at: r.created_at,
    phase: r.phase,
    dryRun: r.dry_run || r.reason === 'dry-run',
    before: r.before_state ?? {},
    after: r.after_state ?? {},
    undoneAt: r.undone_at,
    origin: r.origin,
  };
}
