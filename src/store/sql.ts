/** SQL text both stores share, so that they cannot drift apart. */
import { ACTIVE_PHASES } from '../domain/remediation.js';

/** `('planned', 'applying', …)`: the active phases as an SQL list, from the one place they are written. */
export const ACTIVE_PHASES_SQL = `(${ACTIVE_PHASES.map((p) => `'${p}'`).join(', ')})`;

/**
 * A duplicate is stored narrow (migration 8): its labels, annotations and generatorURL are read
 * from its first copy, which retention keeps for as long as any of its duplicates stays.
 */
export const ALERT_SELECT = `
SELECT a.id, a.notification_id, a.received_at, a.identity, a.duplicate_of, a.status,
       CASE WHEN a.duplicate_of IS NULL THEN a.labels ELSE f.labels END AS labels,
       CASE WHEN a.duplicate_of IS NULL THEN a.annotations ELSE f.annotations END AS annotations,
       a.starts_at, a.ends_at,
       CASE WHEN a.duplicate_of IS NULL THEN a.generator_url ELSE f.generator_url END AS generator_url,
       a.fingerprint, a.decided_at, n.group_key, n.receiver, n.external_url
FROM alerts a JOIN notifications n ON n.id = a.notification_id LEFT JOIN alerts f ON f.id = a.duplicate_of`;

/** What a duplicate stores in place of its labels, annotations (JSON null) and generatorURL. */
export const NARROW_JSON = 'null';
export const NARROW_TEXT = '';

export const REMEDIATION_SELECT = `
SELECT id, alert_id, rule, target_key, target, namespace, phase, decision, snapshot, result,
       dry_run, origin, created_at, updated_at
FROM remediations`;

/** JSON parameters are sent as text (and cast in SQL for PostgreSQL: pg would turn a JS array into a PostgreSQL array). */
export const json = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));

/** The equality filters of a remediation listing, as column → value (undefined: not filtered). */
export function remediationFilters(q: { targetKey?: string; rule?: string; phase?: string; alertId?: string; outcome?: string; reason?: string }): Array<[string, unknown]> {
  return [
    ['target_key', q.targetKey],
    ['rule', q.rule],
    ['phase', q.phase],
    ['alert_id', q.alertId],
    ['outcome', q.outcome],
    ['reason', q.reason],
  ];
}
