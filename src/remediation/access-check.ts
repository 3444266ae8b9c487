/**
 * The RBAC preflight while serving: asked once at start (one log line: all allowed, or each
 * missing permission named) and again when the rule table changes or the last answer is older
 * than `maxAgeMs`; its last report is `/readyz` detail. Never a reason to be unready, never
 * throws: a cluster that cannot be asked is logged and shown.
 */
import type { ClusterPort } from '../actions/port.js';
import type { Logger } from '../platform/logger.js';
import { describeMissing, type AccessReport } from '../planner/permissions.js';
import type { RuleTable } from '../rule-table/rule.js';

export interface AccessCheck {
  /** Ask now (at start); resolves when answered. */
  run(): Promise<AccessReport | null>;
  /** The last report (null before the first answer), refreshed in the background when stale. */
  current(): AccessReport | { error: string } | null;
}

export function accessCheck(deps: { cluster: ClusterPort; rules: () => RuleTable; allowed: readonly string[] | '*'; logger: Logger; now: () => Date; maxAgeMs?: number }): AccessCheck {
  const maxAgeMs = deps.maxAgeMs ?? 300_000;
  let last: { report: AccessReport | { error: string }; version: string; at: number } | null = null;
  let running: Promise<AccessReport | null> | null = null;
  const ask = (): Promise<AccessReport | null> => {
    if (!deps.cluster.reviewAccess) return Promise.resolve(null);
    running ??= (async () => {
      const table = deps.rules();
      try {
        const report = await deps.cluster.reviewAccess!(table.rules, deps.allowed);
        last = { report, version: table.version, at: deps.now().getTime() };
        if (report.ok) deps.logger.info({ checked: report.checked, unchecked: report.unchecked }, `RBAC preflight: the rules' ${report.checked} permissions are all allowed`);
        else deps.logger.warn({ missing: report.missing.map(describeMissing) }, `RBAC preflight: ${report.missing.length} permission(s) the rules need are missing: ${report.missing.map(describeMissing).join('; ')}`);
        return report;
      } catch (err) {
        last = { report: { error: (err as Error).message }, version: table.version, at: deps.now().getTime() };
        deps.logger.warn({ err: (err as Error).message }, 'RBAC preflight: could not ask the cluster');
        return null;
      } finally {
        running = null;
      }
    })();
    return running;
  };
  return {
    run: ask,
    current() {
      const stale = !last || last.version !== deps.rules().version || deps.now().getTime() - last.at > maxAgeMs;
      if (stale && deps.allowed !== '*' && deps.allowed.length === 0) return last?.report ?? null;
      if (stale) void ask();
      return last?.report ?? null;
    },
  };
}
