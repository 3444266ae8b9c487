import type { Migration } from './migration.js';

/**
 * SQLite schema. Times are INTEGER milliseconds since the epoch; JSON is TEXT as
 * written by JSON.stringify (so labels keep their key order). `startsAt`/`endsAt`
 * keep the string Alertmanager sent.
 */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
CREATE TABLE notifications (
  id               TEXT PRIMARY KEY,
  received_at      INTEGER NOT NULL,
  receiver         TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
  group_key        TEXT NOT NULL,
  external_url     TEXT NOT NULL,
  truncated_alerts INTEGER NOT NULL,
  body             TEXT NOT NULL
) STRICT;

CREATE TABLE alerts (
  id              TEXT PRIMARY KEY,
  notification_id TEXT NOT NULL REFERENCES notifications (id),
  received_at     INTEGER NOT NULL,
  identity        TEXT NOT NULL,
  duplicate_of    TEXT REFERENCES alerts (id),
  status          TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
  alertname       TEXT NOT NULL,
  fingerprint     TEXT NOT NULL,
  labels          TEXT NOT NULL,
  annotations     TEXT NOT NULL,
  starts_at       TEXT NOT NULL,
  ends_at         TEXT,
  generator_url   TEXT NOT NULL,
  decided_at      INTEGER,
  claimed_by      TEXT,
  claimed_at      INTEGER
) STRICT;
-- exactly one first delivery per identity: the database, not the caller, decides who is first
CREATE UNIQUE INDEX alerts_first_delivery ON alerts (identity) WHERE duplicate_of IS NULL;
CREATE INDEX alerts_by_received ON alerts (received_at, id);
CREATE INDEX alerts_undecided ON alerts (received_at, id) WHERE duplicate_of IS NULL AND decided_at IS NULL;
CREATE INDEX alerts_by_fingerprint ON alerts (fingerprint, received_at);
CREATE INDEX alerts_by_alertname ON alerts (alertname, received_at);
CREATE INDEX alerts_by_notification ON alerts (notification_id);
CREATE INDEX alerts_by_duplicate_of ON alerts (duplicate_of) WHERE duplicate_of IS NOT NULL;

CREATE TABLE remediations (
  id           TEXT PRIMARY KEY,
  alert_id     TEXT REFERENCES alerts (id),
  rule         TEXT,
  target_key   TEXT,
  target       TEXT,
  namespace    TEXT,
  phase        TEXT NOT NULL,
  outcome      TEXT NOT NULL CHECK (outcome IN ('act', 'skip')),
  reason       TEXT,
  is_action    INTEGER NOT NULL CHECK (is_action IN (0, 1)),
  decision     TEXT NOT NULL,
  before_state TEXT,
  after_state  TEXT,
  snapshot     TEXT,
  result       TEXT,
  dry_run      INTEGER NOT NULL CHECK (dry_run IN (0, 1)),
  origin       TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  undone_at    INTEGER
) STRICT;
CREATE INDEX remediations_by_created ON remediations (created_at, id);
CREATE INDEX remediations_by_target ON remediations (target_key, created_at, id);
CREATE INDEX remediations_by_rule ON remediations (rule, created_at, id);
CREATE INDEX remediations_by_phase ON remediations (phase, created_at, id);
CREATE INDEX remediations_by_alert ON remediations (alert_id);
-- actionHistory runs on every decision: partial indexes over actions only
CREATE INDEX remediations_actions ON remediations (created_at, id) WHERE is_action = 1;
CREATE INDEX remediations_actions_by_target ON remediations (target_key, created_at, id) WHERE is_action = 1;
CREATE INDEX remediations_actions_by_namespace ON remediations (namespace, created_at, id) WHERE is_action = 1;

CREATE TABLE remediation_transitions (
  remediation_id TEXT NOT NULL REFERENCES remediations (id),
  seq            INTEGER NOT NULL,
  from_phase     TEXT,
  to_phase       TEXT NOT NULL,
  at             INTEGER NOT NULL,
  note           TEXT NOT NULL,
  PRIMARY KEY (remediation_id, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE breakers (
  target_key TEXT PRIMARY KEY,
  open       INTEGER NOT NULL CHECK (open IN (0, 1)),
  reason     TEXT NOT NULL,
  opened_at  INTEGER NOT NULL,
  reset_at   INTEGER,
  reset_by   TEXT
) STRICT;
`,
  },
  {
    version: 2,
    name: 'run leases',
    sql: `
-- Which process drives a run, and when it last said so: a live replica's runs are left alone,
-- a dead one's are taken over once its heartbeat is older than the lease.
ALTER TABLE remediations ADD COLUMN owner TEXT;
ALTER TABLE remediations ADD COLUMN heartbeat_at INTEGER;
`,
  },
  {
    version: 3,
    name: 'drop unused alert indexes',
    sql: `
-- No query reads alerts by notification or by the first delivery they duplicate, and nothing
-- deletes notifications or alerts (whose foreign-key checks these would serve). Every index costs
-- every stored alert: these two were ~15 % of storing a 50-alert notification. Add an index back
-- with the query (or the retention job) that needs it.
DROP INDEX alerts_by_notification;
DROP INDEX alerts_by_duplicate_of;
`,
  },
  {
    version: 5,
    name: 'slack threads',
    sql: `
-- The Slack thread of each remediation (bot mode), so that a restarted process or another
-- replica posts a run's later transitions in the thread its first message started.
-- (Version 4 is another change's; versions need only ascend.)
CREATE TABLE slack_threads (
  remediation_id TEXT PRIMARY KEY REFERENCES remediations (id),
  channel        TEXT NOT NULL,
  ts             TEXT NOT NULL
) STRICT, WITHOUT ROWID;
`,
  },
  {
    version: 6,
    name: 'pauses',
    sql: `
-- The kill switch (src/control/pause.ts). Read on every decision: a pause set through any
-- replica holds the next decision of every replica. Ended pauses stay, as the audit trail.
CREATE TABLE pauses (
  id         TEXT PRIMARY KEY,
  scope_key  TEXT NOT NULL,
  actor      TEXT NOT NULL,
  reason     TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  ended_at   INTEGER,
  ended_by   TEXT
) STRICT;
CREATE INDEX pauses_in_force ON pauses (created_at, id) WHERE ended_at IS NULL;
`,
  },
  {
    version: 7,
    name: 'slack requests',
    sql: `
-- Signatures of Slack interaction requests (Approve / Deny buttons) seen within Slack's
-- 5-minute timestamp window: a replayed request is refused on every replica.
-- (A run awaiting approval needs no column: the phase is text, the approval is in result.)
CREATE TABLE slack_requests (
  signature TEXT PRIMARY KEY,
  seen_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX slack_requests_by_seen ON slack_requests (seen_at);
`,
  },
  {
    version: 8,
    name: 'retention and narrow duplicates',
    sql: `
-- Retention (src/scheduler/retention-job.ts) deletes an alert together with its duplicates, once
-- the last of them is older than the cutoff: the first copy carries when its identity was last
-- delivered, and the duplicates of a first copy are found through an index over duplicates only.
-- A duplicate is a narrow row from now on: its labels, annotations and generatorURL are its first
-- copy's (read through it), stored as JSON null and ''. (auto_vacuum = INCREMENTAL, which lets
-- the retention job hand freed pages back to the file system, is switched on by migrate() itself:
-- it needs a VACUUM, which cannot run inside this transaction.)
ALTER TABLE alerts ADD COLUMN last_seen_at INTEGER;
CREATE INDEX alerts_duplicates ON alerts (duplicate_of) WHERE duplicate_of IS NOT NULL;
`,
  },
  {
    version: 9,
    name: 'store probe',
    sql: `
-- One row that /readyz writes (Store.probe): readiness means the store can be written, not
-- only read (a read-only or full disk answers reads while every webhook would get 503).
CREATE TABLE store_probe (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  at INTEGER NOT NULL
) STRICT;
`,
  },
];
