/**
 * Restore after resolve: one step back toward the state before autoremediator
 * raised a target, at the pace of HPA scale-down (Percent/Pods per period), never
 * below that snapshot; and whether a restore pass may step at all (decideRestore: the same
 * breaker, in-progress check, budgets and dry-run as any action, a cooldown after a restore step
 * that did not hold). Pure.
 */
import type { TargetState } from '../domain/cluster.js';
import type { ActDecision, SkipDecision, SkipReason, StateFields } from '../domain/decision.js';
import { isActive } from '../domain/remediation.js';
import type { Rule } from '../rule-table/rule.js';
import { formatDuration } from '../platform/duration.js';
import type { PlannerSettings } from './decide.js';
import { targetKey, type TargetRef } from '../domain/target.js';
import type { ActionSpec, RestoreSpec } from '../rule-table/schema.js';
import type { ActionRecord } from '../domain/history.js';
import { changeEvents } from './changes.js';
import { formatBytes } from './quantity.js';
import { stepDown } from './step-policy.js';
import { hpaLabel } from './owners.js'; // KEDA: a ScaledObject's bounds stand for its HPA's
import { holdVerdict, type Controls } from '../control/hold.js';

export type RestorePlan =
  | { kind: 'step'; before: StateFields; after: StateFields; summary: string }
  | { kind: 'done'; detail: string }
  | { kind: 'wait'; detail: string };

export interface RestoreInput {
  action: ActionSpec;
  target: TargetRef;
  restore: RestoreSpec;
  /** The snapshot taken before the first action of this episode: the floor. */
  snapshot: Record<string, unknown>;
  state: Extract<TargetState, { found: true }>;
  targetHistory: readonly ActionRecord[];
  now: Date;
}

export function planRestore(input: RestoreInput): RestorePlan {
  const { action, target, restore, snapshot, state, targetHistory, now } = input;
  const key = targetKey(target);
  const step = (field: string, current: number, floor: number): number =>
    stepDown({ current, desired: floor, floor, policies: restore.policies, selectPolicy: restore.selectPolicy, events: changeEvents(targetHistory, field), now });

  switch (action.type) {
    case 'scale': {
      const current = state.replicas;
      const floor = Number(snapshot.replicas);
      if (current === null || !Number.isFinite(floor)) return { kind: 'done', detail: `${key}: nothing to restore` };
      if (current <= floor) return { kind: 'done', detail: `${key} is back at ${current} replicas (snapshot ${floor})` };
      const next = step('replicas', current, floor);
      if (next >= current) return { kind: 'wait', detail: `the restore policies allow no step down of ${key} in this period` };
      return { kind: 'step', before: { replicas: current }, after: { replicas: next }, summary: `scale ${key} back from ${current} to ${next} replicas (toward ${floor})` };
    }
    case 'hpa': {
      const hpa = state.hpa;
      if (!hpa) return { kind: 'done', detail: `${key} has no HPA any more` };
      const floorMin = Number(snapshot.minReplicas);
      const floorMax = Number(snapshot.maxReplicas);
      const min = hpa.minReplicas > floorMin ? step('minReplicas', hpa.minReplicas, floorMin) : hpa.minReplicas;
      const max = hpa.maxReplicas > floorMax ? Math.max(min, step('maxReplicas', hpa.maxReplicas, floorMax)) : hpa.maxReplicas;
      if (hpa.minReplicas <= floorMin && hpa.maxReplicas <= floorMax) return { kind: 'done', detail: `${hpaLabel(hpa)} of ${key} is back at ${hpa.minReplicas}..${hpa.maxReplicas}` };
      if (min === hpa.minReplicas && max === hpa.maxReplicas) return { kind: 'wait', detail: `the restore policies allow no step down of ${hpaLabel(hpa)} in this period` };
      return {
        kind: 'step',
        before: { minReplicas: hpa.minReplicas, maxReplicas: hpa.maxReplicas },
        after: { minReplicas: min, maxReplicas: max },
        summary: `lower ${hpaLabel(hpa)} of ${key} from ${hpa.minReplicas}..${hpa.maxReplicas} to ${min}..${max} (toward ${floorMin}..${floorMax})`,
      };
    }
    case 'resources': {
      const c = state.containers.find((x) => x.name === action.container);
      if (!c) return { kind: 'done', detail: `container ${action.container} is gone from ${key}` };
      const res = action.resource;
      const before: StateFields = { [`requests.${res}`]: c.requests[res] ?? null, [`limits.${res}`]: c.limits[res] ?? null };
      const after: StateFields = { [`requests.${res}`]: (snapshot.requests as string | null) ?? null, [`limits.${res}`]: (snapshot.limits as string | null) ?? null };
      if (before[`requests.${res}`] === after[`requests.${res}`] && before[`limits.${res}`] === after[`limits.${res}`]) return { kind: 'done', detail: `${res} of ${key}/${action.container} is back at the snapshot` };
      return { kind: 'step', before, after, summary: `set ${res} of container ${action.container} in ${key} back to requests ${String(after[`requests.${res}`])}, limits ${String(after[`limits.${res}`])}` };
    }
    case 'redis': {
      const floor = Number(snapshot.maxmemory);
      if (state.maxmemory === null || state.maxmemory <= floor) return { kind: 'done', detail: `Redis maxmemory for ${key} is back at or below ${formatBytes(floor)}` };
      return { kind: 'step', before: { maxmemory: state.maxmemory }, after: { maxmemory: floor }, summary: `lower Redis maxmemory for ${key} from ${formatBytes(state.maxmemory)} back to ${formatBytes(floor)}` };
    }
    case 'restart':
    case 'undo':
      return { kind: 'done', detail: `a ${action.type} is not restored after resolve` };
  }
}

/** The alert behind a raise, as restore judges it: the newest delivery of its fingerprint. */
export interface RestoreAlert {
  name: string;
  status: 'firing' | 'resolved';
  /** When it resolved (null while firing). */
  endsAt: string | null;
}

/** Everything the restore decision needs, read by the restore job. */
export interface RestoreDecisionInput {
  rule: Rule;
  target: TargetRef;
  /** The rendered action of the oldest run of the episode: what restore steps back. */
  action: ActionSpec;
  /** The snapshot taken before the first action of the episode: the floor. */
  snapshot: Record<string, unknown>;
  /** The runs that raised the target (restoreOf), oldest first. */
  sources: readonly string[];
  alerts: readonly RestoreAlert[];
  breakerOpen: boolean;
  /** This target's actions (restore steps included, dry-run excluded) over the longest pace period, or an hour. */
  targetHistory: readonly ActionRecord[];
  /** null when the cluster could not be read; `stateError` says why. */
  state: TargetState | null;
  stateError?: string;
  /** What the budgets count (Store.countActions with budgetQueries()). */
  actionsInWindow: { namespace: number; global: number };
  settings: PlannerSettings;
  /** Pauses and freeze windows in force: a held target takes no restore step (the same verdict as for decisions). */
  controls?: Controls;
  now: Date;
}

/** Every restore pass ends in one of these: a step to take, a recorded reason not to, or the episode restored. */
export type RestoreDecision = { kind: 'act'; decision: ActDecision } | { kind: 'skip'; decision: SkipDecision } | { kind: 'done'; detail: string };

/**
 * The restore gates that need neither the cluster nor the budgets, in order: the alerts
 * stayed resolved for restore.after, the breaker is closed, no run holds the target, and
 * no restore step of this rule failed or was rolled back within the rule's cooldown. The
 * restore job asks this before it reads the cluster.
 */
export function restorePrecheck(input: Omit<RestoreDecisionInput, 'state' | 'stateError' | 'actionsInWindow'>): SkipDecision | null {
  const { rule, target, action, alerts, now } = input;
  const key = targetKey(target);
  const skip = (reason: SkipReason, explanation: string, facts: Record<string, unknown> = {}): SkipDecision => ({
    outcome: 'skip',
    reason,
    rule: rule.name,
    target,
    action: action.type,
    explanation,
    facts: { restoreOf: input.sources, ...facts },
  });
  const after = rule.restore?.after ?? 0;
  for (const a of alerts) {
    if (a.status !== 'resolved' || !a.endsAt) return skip('restore-waiting', `No restore of ${key} yet: ${a.name} is still firing (rule ${rule.name} restores ${formatDuration(after)} after it resolves).`);
    const since = now.getTime() - Date.parse(a.endsAt);
    if (since < after) {
      return skip('restore-waiting', `No restore of ${key} yet: ${a.name} resolved only ${formatDuration(since)} ago (rule ${rule.name} restores after ${formatDuration(after)}).`, {
        restoreAt: new Date(Date.parse(a.endsAt) + after).toISOString(),
      });
    }
  }
  const held = input.controls ? holdVerdict(input.controls, { rule, target }, now) : null;
  if (held) return skip(held.reason, `No restore of ${key}: ${held.explanation}`, held.facts);
  if (input.breakerOpen) {
    return skip('breaker-open', `No restore of ${key}: its breaker is open after failed or repeated rollbacks; nothing automatic touches it, restore included, until a person resets it (POST /api/v1/breakers/:target/reset).`);
  }
  const running = input.targetHistory.find((h) => !h.dryRun && isActive(h.phase));
  if (running) {
    return skip('in-progress', `No restore of ${key} now: remediation ${running.remediationId} (rule ${running.rule}) is still ${running.phase} on it; one run at a time per target.`, {
      runningRemediationId: running.remediationId,
    });
  }
  // A restore step that did not hold (rolled back, failed) is not retried before the rule's cooldown.
  const lastFailed = input.targetHistory.find((h) => h.origin === 'restore' && h.rule === rule.name && (h.phase === 'rolled_back' || h.phase === 'failed'));
  const failedAt = lastFailed ? (lastFailed.undoneAt ?? lastFailed.at) : null;
  if (lastFailed && failedAt && now.getTime() - failedAt.getTime() < rule.cooldown) {
    const until = new Date(failedAt.getTime() + rule.cooldown);
    return skip('cooldown', `No restore of ${key} now: the last restore step (remediation ${lastFailed.remediationId}) was ${lastFailed.phase.replace('_', ' ')} ${formatDuration(now.getTime() - failedAt.getTime())} ago; the next is tried after the rule's cooldown, at ${until.toISOString()}.`, {
      lastRemediationId: lastFailed.remediationId,
      cooldownUntil: until.toISOString(),
    });
  }
  return null;
}

/** One restore pass for one target of one rule: step, skip (with why), or done. Pure. */
export function decideRestore(input: RestoreDecisionInput): RestoreDecision {
  const early = restorePrecheck(input);
  if (early) return { kind: 'skip', decision: early };
  return decideRestoreAfterPrecheck(input);
}

/** decideRestore() for an input restorePrecheck() passed. */
export function decideRestoreAfterPrecheck(input: RestoreDecisionInput): RestoreDecision {
  const { rule, target, action, state, settings, now } = input;
  const key = targetKey(target);
  const restore = rule.restore!;
  const base = { rule: rule.name, target, action: action.type } as const;
  const facts = { restoreOf: input.sources, snapshot: input.snapshot };
  const skip = (reason: SkipReason, explanation: string, extra: Record<string, unknown> = {}, change?: { before: StateFields; after: StateFields }): RestoreDecision => ({
    kind: 'skip',
    decision: { outcome: 'skip', reason, ...base, explanation, facts: { ...facts, ...extra }, ...(change ?? {}) },
  });
  if (state === null) return skip('state-unavailable', `No restore of ${key}: could not read it from the cluster: ${input.stateError ?? 'unknown error'}.`);
  if (!state.found) return skip('target-not-found', `No restore of ${key}: it was not found: ${state.detail}.`);
  const plan = planRestore({ action, target, restore, snapshot: input.snapshot, state, targetHistory: input.targetHistory, now });
  if (plan.kind === 'done') return { kind: 'done', detail: plan.detail };
  if (plan.kind === 'wait') return skip('policy-limit', `No restore step of ${key} now: ${plan.detail}.`);
  const change = { before: plan.before, after: plan.after };
  const ns = settings.budgets.namespace;
  if (input.actionsInWindow.namespace >= ns.max) {
    return skip('budget-namespace', `The action budget of namespace ${target.namespace} is spent: ${input.actionsInWindow.namespace} actions in the last ${formatDuration(ns.windowMs)} (limit ${ns.max}). Would have done: ${plan.summary}.`, { actionsInWindow: input.actionsInWindow.namespace, budget: ns }, change);
  }
  const global = settings.budgets.global;
  if (input.actionsInWindow.global >= global.max) {
    return skip('budget-global', `The global action budget is spent: ${input.actionsInWindow.global} actions in the last ${formatDuration(global.windowMs)} (limit ${global.max}). Would have done: ${plan.summary}.`, { actionsInWindow: input.actionsInWindow.global, budget: global }, change);
  }
  const names = [...new Set(input.alerts.map((a) => a.name))];
  const explanation = `${plan.summary[0]!.toUpperCase()}${plan.summary.slice(1)}: ${names.join(', ') || 'the alerts'} resolved and stayed resolved for ${formatDuration(restore.after)} (rule ${rule.name} restores after resolve, at most ${restore.policies
    .map((p) => (p.type === 'Pods' ? `${p.value} per ${p.periodSeconds}s` : `${p.value}% per ${p.periodSeconds}s`))
    .join(', ')} (${restore.selectPolicy})).`;
  if (settings.dryRun || rule.dryRun) {
    return skip('dry-run', `Would ${plan.summary}. Not applied: ${settings.dryRun ? 'DRY_RUN is on' : `rule ${rule.name} is in dry-run`}.`, {}, change);
  }
  return { kind: 'act', decision: { outcome: 'act', ...base, ...change, explanation, facts } };
}

/**
 * Does a restore pass record its skip? Only when the reason changed since the last thing
 * recorded for this target's restore (a step, or a skip with another reason): "why did it
 * not restore?" always has an answer, and a pass every few seconds does not fill the journal.
 */
export function recordRestoreSkip(last: { outcome: 'act' | 'skip'; reason: SkipReason | null } | null, next: SkipDecision): boolean {
  return !last || last.outcome !== 'skip' || last.reason !== next.reason;
}
