/**
 * The restore job: once the alerts that made a rule raise a target have stayed
 * resolved for the rule's `restore.after`, step the target back toward its
 * snapshot, one paced step per run, each recorded and validated like any action,
 * never while another run holds the target.
 */
import type { ClusterPort } from '../domain/cluster.js';
import type { ActDecision } from '../domain/decision.js';
import type { Remediation } from '../domain/remediation.js';
import type { Rule, RuleTable } from '../domain/rule.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { formatDuration } from '../platform/duration.js';
import { planRestore } from '../planner/restore.js';
import { actionOf, type Runner, type Validator } from '../remediation/runner.js';
import type { Store } from '../store/store.js';

export interface RestoreJobDeps {
  store: Store;
  rules: () => RuleTable;
  cluster: ClusterPort;
  runner: Runner;
  clock: Clock;
  logger: Logger;
  validator: Validator;
  /** Shadow mode: no restore (nothing was raised). */
  dryRun: boolean;
  /** This process: the step-down run is leased to it when recorded, so no other replica's resume takes it over. */
  instanceId?: string;
}

const ACTIVE = new Set(['planned', 'applying', 'validating', 'rolling_back']);

/** Has every alert behind these runs stayed resolved for `afterMs`? Returns the reason when not. */
async function resolvedLongEnough(store: Store, sources: readonly Remediation[], afterMs: number, now: Date): Promise<{ ok: boolean; why: string; names: string[] }> {
  const names = new Set<string>();
  for (const rem of sources) {
    if (!rem.alertId) continue;
    const alert = await store.getAlert(rem.alertId);
    if (!alert) continue;
    names.add(alert.labels.alertname ?? 'alert');
    const latest = (await store.listAlerts({ fingerprint: alert.fingerprint, limit: 1 })).items[0];
    if (!latest || latest.status !== 'resolved' || !latest.endsAt) return { ok: false, why: `${alert.labels.alertname} is still firing`, names: [...names] };
    const since = now.getTime() - Date.parse(latest.endsAt);
    if (since < afterMs) return { ok: false, why: `${alert.labels.alertname} resolved only ${formatDuration(since)} ago`, names: [...names] };
  }
  return { ok: true, why: '', names: [...names] };
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
  const { store, clock, cluster, runner } = deps;
  const restore = rule.restore!;
  const now = clock.now();
  const gate = await resolvedLongEnough(store, runs, restore.after, now);
  if (!gate.ok) return 0;
  // The floor is the state before the first action of the episode: the oldest run's snapshot.
  const oldest = runs.reduce((a, b) => (a.createdAt <= b.createdAt ? a : b));
  const action = actionOf(oldest);
  const target = oldest.target!;
  return store.withTargetLock(key, async () => {
    const longest = Math.max(...restore.policies.map((p) => p.periodSeconds)) * 1000;
    const history = await store.actionHistory({ since: new Date(now.getTime() - Math.max(longest, 3_600_000)), targetKey: key });
    // A run of any age still active on the target (not only inside the window) holds the restore back.
    if (history.some((h) => !h.dryRun && ACTIVE.has(h.phase)) || (await store.activeActions(key)).some((h) => !h.dryRun)) return 0;
    const state = await cluster.readState(target, action);
    if (!state.found) return 0;
    const plan = planRestore({ action, target, restore, snapshot: oldest.snapshot ?? {}, state, targetHistory: history.filter((h) => !h.dryRun), now });
    if (plan.kind === 'wait') return 0;
    if (plan.kind === 'done') {
      for (const r of runs) await store.mergeRemediationResult(r.id, { restore: { done: true, at: now.toISOString(), detail: plan.detail } }, now);
      return 0;
    }
    const explanation = `${plan.summary[0]!.toUpperCase()}${plan.summary.slice(1)}: ${gate.names.join(', ') || 'the alerts'} resolved and stayed resolved for ${formatDuration(restore.after)} (rule ${rule.name} restores after resolve, at most ${restore.policies
      .map((p) => (p.type === 'Pods' ? `${p.value} per ${p.periodSeconds}s` : `${p.value}% per ${p.periodSeconds}s`))
      .join(', ')} (${restore.selectPolicy})).`;
    const facts = { restoreOf: runs.map((r) => r.id), snapshot: oldest.snapshot };
    // Shadow mode changes nothing, so there is nothing to step back from.
    if (deps.dryRun || rule.dryRun) return 0;
    const decision: ActDecision = { outcome: 'act', rule: rule.name, target, action: action.type, before: plan.before, after: plan.after, explanation, facts };
    const rem = await store.createRemediation({ alertId: oldest.alertId, decision, target, targetKey: key, phase: 'planned', dryRun: false, origin: 'restore', snapshot: null, at: now, note: explanation, ...(deps.instanceId ? { owner: deps.instanceId } : {}) });
    runner.created(rem);
    try {
      const alert = oldest.alertId ? await store.getAlert(oldest.alertId) : null;
      const baseline = alert && rule.validate?.checks.length && deps.validator.baseline ? await deps.validator.baseline(rule, alert) : {};
      const applied = await runner.apply(rem, action, baseline);
      if (applied.phase === 'validating') await runner.validate(applied, rule);
    } catch (err) {
      runner.release(rem.id); // the resume job takes it up once its lease is stale
      throw err;
    }
    return 1;
  });
}
