import type { Migration } from './migration.js';

/**
 * PostgreSQL schema. Times are timestamptz (written with millisecond precision);
 * labels and annotations are `json` (text kept as written, key order included),
 * decision/snapshot/result are `jsonb`. Unqualified names: the tables go into the
 * first schema of the connection's search_path.
 */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
CREATE TABLE notifications (
  id               text PRIMARY KEY,
  received_at      timestamptz NOT NULL,
  receiver         text NOT NULL,
  status           text NOT NULL CHECK (status IN ('firing', 'resolved')),
  group_key        text NOT NULL,
  external_url     text NOT NULL,
  truncated_alerts integer NOT NULL,
  body             text NOT NULL
);

CREATE TABLE alerts (
  id              text PRIMARY KEY,
  notification_id text NOT NULL REFERENCES notifications (id),
  received_at     timestamptz NOT NULL,
  identity        text NOT NULL,
  duplicate_of    text REFERENCES alerts (id),
  status          text NOT NULL CHECK (status IN ('firing', 'resolved')),
  alertname       text NOT NULL,
  fingerprint     text NOT NULL,
  labels          json NOT NULL,
  annotations     json NOT NULL,
  starts_at       text NOT NULL,
  ends_at         text,
  generator_url   text NOT NULL,
  decided_at      timestamptz,
  claimed_by      text,
  claimed_at      timestamptz
);
-- exactly one first delivery per identity, across replicas: INSERT ... ON CONFLICT DO NOTHING decides
CREATE UNIQUE INDEX alerts_first_delivery ON alerts (identity) WHERE duplicate_of IS NULL;
CREATE INDEX alerts_by_received ON alerts (received_at, id);
CREATE INDEX alerts_undecided ON alerts (received_at, id) WHERE duplicate_of IS NULL AND decided_at IS NULL;
CREATE INDEX alerts_by_fingerprint ON alerts (fingerprint, received_at);
CREATE INDEX alerts_by_alertname ON alerts (alertname, received_at);
CREATE INDEX alerts_by_notification ON alerts (notification_id);
CREATE INDEX alerts_by_duplicate_of ON alerts (duplicate_of) WHERE duplicate_of IS NOT NULL;

CREATE TABLE remediations (
  id           text PRIMARY KEY,
  alert_id     text REFERENCES alerts (id),
  rule         text,
  target_key   text,
  target       jsonb,
  namespace    text,
  phase        text NOT NULL,
  outcome      text NOT NULL CHECK (outcome IN ('act', 'skip')),
  reason       text,
  is_action    boolean NOT NULL,
  decision     jsonb NOT NULL,
  before_state jsonb,
  after_state  jsonb,
  snapshot     jsonb,
  result       jsonb,
  dry_run      boolean NOT NULL,
  origin       text NOT NULL,
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  undone_at    timestamptz
);
CREATE INDEX remediations_by_created ON remediations (created_at, id);
CREATE INDEX remediations_by_target ON remediations (target_key, created_at, id);
CREATE INDEX remediations_by_rule ON remediations (rule, created_at, id);
CREATE INDEX remediations_by_phase ON remediations (phase, created_at, id);
CREATE INDEX remediations_by_alert ON remediations (alert_id);
-- actionHistory runs on every decision: partial indexes over actions only
CREATE INDEX remediations_actions ON remediations (created_at, id) WHERE is_action;
CREATE INDEX remediations_actions_by_target ON remediations (target_key, created_at, id) WHERE is_action;
CREATE INDEX remediations_actions_by_namespace ON remediations (namespace, created_at, id) WHERE is_action;

CREATE TABLE remediation_transitions (
  remediation_id text NOT NULL REFERENCES remediations (id),
  seq            integer NOT NULL,
  from_phase     text,
  to_phase       text NOT NULL,
  at             timestamptz NOT NULL,
  note           text NOT NULL,
  PRIMARY KEY (remediation_id, seq)
);

CREATE TABLE breakers (
  target_key text PRIMARY KEY,
  open       boolean NOT NULL,
  reason     text NOT NULL,
  opened_at  timestamptz NOT NULL,
  reset_at   timestamptz,
  reset_by   text
);
`,
  },
  {
    version: 2,
    name: 'run leases',
    sql: `
-- Which process drives a run, and when it last said so: a live replica's runs are left alone,
-- a dead one's are taken over once its heartbeat is older than the lease.
ALTER TABLE remediations ADD COLUMN owner TEXT;
ALTER TABLE remediations ADD COLUMN heartbeat_at TIMESTAMPTZ;
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
  remediation_id text PRIMARY KEY REFERENCES remediations (id),
  channel        text NOT NULL,
  ts             text NOT NULL
);
`,
  },
  {
    version: 6,
    name: 'pauses',
    sql: `
-- The kill switch (src/control/pause.ts). Read on every decision: a pause set through any
-- replica holds the next decision of every replica. Ended pauses stay, as the audit trail.
CREATE TABLE pauses (
  id         text PRIMARY KEY,
  scope_key  text NOT NULL,
  actor      text NOT NULL,
  reason     text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz,
  ended_at   timestamptz,
  ended_by   text
);
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
  signature text PRIMARY KEY,
  seen_at   timestamptz NOT NULL
);
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
-- copy's (read through it), stored as JSON null and ''.
ALTER TABLE alerts ADD COLUMN last_seen_at timestamptz;
CREATE INDEX alerts_duplicates ON alerts (duplicate_of) WHERE duplicate_of IS NOT NULL;
-- Deleting a notification makes PostgreSQL's foreign-key trigger look for alerts referring to it:
-- without this index a scan of all alerts per notification deleted. (SQLite's retention turns its
-- foreign-key checks off for its own transaction instead; PostgreSQL cannot, short of superuser.)
CREATE INDEX alerts_by_notification ON alerts (notification_id);
`,
  },
  {
    version: 9,
    name: 'store probe',
    sql: `
-- One row that /readyz writes (Store.probe): readiness means the store can be written, not
-- only read.
CREATE TABLE store_probe (
  id integer PRIMARY KEY CHECK (id = 1),
  at timestamptz NOT NULL
);
`,
  },
];
