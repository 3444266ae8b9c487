/**
 * The restore job: for each target a rule with `restore` raised, ask the planner whether to
 * step it back now (planner/restore.ts decideRestore: the alerts stayed resolved for
 * `restore.after`, the breaker is closed, no run holds the target, the restore pace and the
 * budgets allow it, not dry-run) and carry the answer out: a step is recorded and handed to
 * the driver like any action (it validates, rolls back, counts toward the breaker); a pass
 * that does not step records why not, when the reason changed since the last one.
 */
import type { TargetState } from '../domain/cluster.js';
import type { ClusterPort } from '../actions/port.js';
import { ACTION_KINDS } from '../actions/registry.js';
import type { Remediation } from '../domain/remediation.js';
import type { Rule, RuleTable } from '../rule-table/rule.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { budgetQueries, type PlannerSettings } from '../planner/decide.js';
import { decideRestoreAfterPrecheck, recordRestoreSkip, restorePrecheck, type RestoreAlert, type RestoreDecision } from '../planner/restore.js';
import { actionOf, type Runner } from '../remediation/runner.js';
import type { Store } from '../store/store.js';
import type { Controls } from '../control/hold.js';
import { withActiveRuns } from '../planner/history.js';

export interface RestoreJobDeps {
  store: Store;
  rules: () => RuleTable;
  cluster: ClusterPort;
  runner: Runner;
  clock: Clock;
  logger: Logger;
  /** DRY_RUN, the allowed namespaces and the budgets: restore obeys them like any action. */
  settings: PlannerSettings;
  /** This process: the step-down run is leased to it when recorded, so no other replica's resume takes it over. */
  instanceId?: string;
  /** Pauses and freeze windows: a held target takes no restore step. */
  controls?: { current(): Promise<Controls> };
}

/** The newest delivery of the alert behind each run. */
async function alertsOf(store: Store, sources: readonly Remediation[]): Promise<RestoreAlert[]> {
  const out: RestoreAlert[] = [];
  for (const rem of sources) {
    if (!rem.alertId) continue;
    const alert = await store.getAlert(rem.alertId);
    if (!alert) continue;
    const latest = (await store.listAlerts({ fingerprint: alert.fingerprint, limit: 1 })).items[0] ?? alert;
    out.push({ name: alert.labels.alertname ?? 'alert', status: latest.status, endsAt: latest.endsAt });
  }
  return out;
}

/** One pass of the restore job; returns how many steps it took. */
export async function restoreJob(deps: RestoreJobDeps): Promise<number> {
  const { store, clock, logger } = deps;
  let steps = 0;
  for (const rule of deps.rules().rules) {
    if (!rule.restore || !rule.enabled) continue;
    const succeeded = await store.listRemediations({ rule: rule.name, phase: 'succeeded', limit: 500 });
    const sources = succeeded.items.filter((r) => r.origin !== 'restore' && r.targetKey && !(r.result as { restore?: { done?: boolean } } | null)?.restore?.done);
    const byTarget = new Map<string, Remediation[]>();
    for (const r of sources) byTarget.set(r.targetKey!, [...(byTarget.get(r.targetKey!) ?? []), r]);
    for (const [key, runs] of byTarget) {
      try {
        steps += await restoreTarget(deps, rule, key, runs);
      } catch (err) {
        logger.error({ err, rule: rule.name, target: key }, 'restore step failed');
      }
    }
  }
  if (steps) logger.info({ steps, at: clock.now().toISOString() }, 'restore job took steps');
  return steps;
}

async function restoreTarget(deps: RestoreJobDeps, rule: Rule, key: string, runs: Remediation[]): Promise<number> {
  const { store, clock, cluster, runner, settings } = deps;
  const restore = rule.restore!;
  const now = clock.now();
  // The floor is the state before the first action of the episode: the oldest run's snapshot.
  const oldest = runs.reduce((a, b) => (a.createdAt <= b.createdAt ? a : b));
  const action = actionOf(oldest);
  const target = oldest.target!;
  const alerts = await alertsOf(store, runs);
  // Decided and recorded under the target lock, as an alert's plan is; the driver takes it again for the write.
  const recorded = await store.withTargetLock(key, async (): Promise<Remediation | null> => {
    const longest = Math.max(...restore.policies.map((p) => p.periodSeconds)) * 1000;
    const since = new Date(now.getTime() - Math.max(longest, rule.cooldown, 3_600_000));
    // Plus the target's active runs of any age: one still validating past the window holds restore back.
    const [recent, active, breaker] = await Promise.all([store.actionHistory({ since, targetKey: key }), store.activeActions(key), store.getBreaker(key)]);
    const history = withActiveRuns(recent, active);
    const pre = {
      rule,
      target,
      action,
      snapshot: oldest.snapshot ?? {},
      sources: runs.map((r) => r.id),
      alerts,
      breakerOpen: breaker?.open ?? false,
      targetHistory: history.filter((h) => !h.dryRun),
      settings,
      ...(deps.controls ? { controls: await deps.controls.current() } : {}),
      now,
    };
    let decision: RestoreDecision;
    const early = restorePrecheck(pre);
    if (early) decision = { kind: 'skip', decision: early };
    else {
      let state: TargetState | null = null;
      let stateError: string | undefined;
      try {
        state = await cluster.readState(target, action);
      } catch (err) {
        stateError = err instanceof Error ? err.message : String(err);
      }
      const q = budgetQueries({ rule, target, now, settings });
      const [inNamespace, inAll] = await Promise.all([store.countActions(q.namespace), store.countActions(q.global)]);
      decision = decideRestoreAfterPrecheck({ ...pre, state, ...(stateError !== undefined ? { stateError } : {}), actionsInWindow: { namespace: inNamespace, global: inAll }, kinds: ACTION_KINDS });
    }
    if (decision.kind === 'done') {
      for (const r of runs) await store.mergeRemediationResult(r.id, { restore: { done: true, at: now.toISOString(), detail: decision.detail } }, now);
      return null;
    }
    if (decision.kind === 'skip') {
      const last = (await store.listRemediations({ targetKey: key, rule: rule.name, limit: 20 })).items.find((r) => r.origin === 'restore') ?? null;
      const lastDecision = last ? { outcome: last.decision.outcome, reason: last.decision.outcome === 'skip' ? last.decision.reason : null } : null;
      if (recordRestoreSkip(lastDecision, decision.decision)) {
        const skipped = await store.createRemediation({ alertId: oldest.alertId, decision: decision.decision, target, targetKey: key, phase: 'skipped', dryRun: decision.decision.reason === 'dry-run', origin: 'restore', snapshot: null, at: now, note: decision.decision.explanation });
        runner.created(skipped);
      }
      return null;
    }
    const rem = await store.createRemediation({ alertId: oldest.alertId, decision: decision.decision, target, targetKey: key, phase: 'planned', dryRun: false, origin: 'restore', snapshot: null, at: now, note: decision.decision.explanation, ...(deps.instanceId ? { owner: deps.instanceId } : {}) });
    runner.created(rem);
    return rem;
  });
  if (!recorded) return 0;
  try {
    const alert = oldest.alertId ? await store.getAlert(oldest.alertId) : null;
    await runner.drive(recorded, { rule, action, alert });
  } catch (err) {
    runner.release(recorded.id); // the resume job takes it up once its lease is stale
    throw err;
  }
  return 1;
}
