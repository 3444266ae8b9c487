/**
 * The planner: a pure function from (alert, rule, target state, history, now) to a
 * Decision. Every path ends in `act` with before → after, or `skip` with a reason
 * from the closed set and a sentence a person on call can read.
 */
import type { LabelSet } from '../domain/alert.js';
import type { TargetState } from '../domain/cluster.js';
import type { ActDecision, Decision, SkipDecision, SkipReason, StateFields } from '../domain/decision.js';
import { isActive } from '../domain/remediation.js';
import type { Rule } from '../rule-table/rule.js';
import { targetKey, type TargetRef } from '../domain/target.js';
import type { ActionSpec } from '../rule-table/schema.js';
import type { ActionRecord } from '../domain/history.js';
import { formatDuration } from '../platform/duration.js';
import { planChange, type ChangePlan } from './changes.js';
import { holdVerdict, type Controls } from '../control/hold.js';
import type { KindPlans } from '../actions/plan-kind.js';
import type { GuardReadings } from '../domain/guards.js';
import { guardVerdict } from './guards.js';
import { ownersVerdict, type OwnersVerdict } from './owners.js';

export interface Budget {
  /** At most this many actions … */
  max: number;
  /** … per this sliding window. */
  windowMs: number;
}

export interface PlannerSettings {
  /** Global dry-run (shadow mode): decide and record, never apply. */
  dryRun: boolean;
  /** Namespaces autoremediator may change; `'*'` means any. */
  allowedNamespaces: readonly string[] | '*';
  budgets: { namespace: Budget; global: Budget };
}

export interface PlanInput {
  alert: { status: 'firing' | 'resolved'; labels: LabelSet; annotations: LabelSet; startsAt: string };
  rule: Rule;
  /** The rule's target with its templates rendered. */
  target: TargetRef;
  /** The rule's action with its templates rendered. */
  action: ActionSpec;
  /** null when the cluster could not be read; `stateError` says why. */
  state: TargetState | null;
  stateError?: string;
  /** This target's actions and dry-run would-be actions since `now - historyWindowMs(...)`. */
  history: readonly ActionRecord[];
  /**
   * What the budgets count, any target: actions in the target's namespace within the namespace
   * budget's window, and in all namespaces within the global one (the engine asks the store, with
   * the questions budgetQueries() puts). Not needed by precheck().
   */
  actionsInWindow: { namespace: number; global: number };
  breakerOpen: boolean;
  now: Date;
  settings: PlannerSettings;
  /** Pauses and freeze windows (src/control); absent: none. */
  controls?: Controls;
  /** The pure halves of the action kinds (actions/registry.ts ACTION_KINDS): the kind plans the change. Not needed by precheck(). */
  kinds: KindPlans;
  /** What the rule's guards were read from (guards.ts guardNeeds); absent: not read, so a guard that needs a read does not pass. */
  guards?: GuardReadings;
}

/** How far back the history must reach for one decision. */
export function historyWindowMs(rule: Rule, settings: PlannerSettings): number {
  const periods = 'policies' in rule.action ? rule.action.policies.map((p) => p.periodSeconds * 1000) : [];
  return Math.max(rule.cooldown, settings.budgets.namespace.windowMs, settings.budgets.global.windowMs, ...periods);
}

export function namespaceAllowed(namespace: string, allowed: PlannerSettings['allowedNamespaces']): boolean {
  return allowed === '*' || allowed.includes(namespace);
}

/** Everything decide needs except the target's live state. */
export type PrecheckInput = Omit<PlanInput, 'state' | 'stateError' | 'actionsInWindow' | 'kinds'>;

/** What the store counts for the budgets of one decision (Store.countActions). */
export interface ActionCountQuery {
  /** Actions strictly after this instant: "in the last windowMs". */
  after: Date;
  namespace?: string;
  /** In shadow mode the would-be actions count like real ones (see effectiveHistory). */
  includeDryRun: boolean;
}

/** The two counts a decision's budgets need, for PlanInput.actionsInWindow. */
export function budgetQueries(input: Pick<PlanInput, 'rule' | 'target' | 'now' | 'settings'>): { namespace: ActionCountQuery; global: ActionCountQuery } {
  const { rule, target, now, settings } = input;
  const includeDryRun = settings.dryRun || rule.dryRun;
  return {
    namespace: { after: new Date(now.getTime() - settings.budgets.namespace.windowMs), namespace: target.namespace, includeDryRun },
    global: { after: new Date(now.getTime() - settings.budgets.global.windowMs), includeDryRun },
  };
}

function skipper(rule: Rule, target: TargetRef, action: ActionSpec) {
  const base = { rule: rule.name, target, action: action.type } as const;
  return (reason: SkipReason, explanation: string, facts: Record<string, unknown> = {}, change?: Pick<ChangePlan, 'before' | 'after'>): SkipDecision => ({
    outcome: 'skip',
    reason,
    ...base,
    explanation,
    facts,
    ...(change ? { before: change.before, after: change.after } : {}),
  });
}

/**
 * The skips that do not depend on the target's live state: disabled, resolved,
 * paused, frozen, outside the allowed namespaces, breaker open, cooldown, another run in progress.
 * The engine asks this before it reads the cluster, so an alert storm on one target
 * costs the API server one read per action, not one per alert. decide() asks it first
 * too, so both give the same answer in the same order.
 */
export function precheck(input: PrecheckInput): SkipDecision | null {
  const { alert, rule, target, action, now, settings } = input;
  const key = targetKey(target);
  const skip = skipper(rule, target, action);

  if (!rule.enabled) {
    // A rule kept disabled on purpose says why in its description (a rule pack's "nothing automatic").
    const why = rule.description ? ` (${rule.description})` : '';
    return skip('disabled', `Rule ${rule.name} is disabled${why}; nothing was done for ${alertName(alert)}.`);
  }
  if (alert.status === 'resolved') {
    const restore = rule.restore ? ` Restore toward the pre-action state is considered after it stays resolved for ${formatDuration(rule.restore.after)}.` : '';
    return skip('resolved', `${alertName(alert)} is resolved; rule ${rule.name} only acts on firing alerts.${restore}`);
  }
  // People's controls come before every automatic reason: "who stopped it, until when" is the answer on call needs.
  const held = input.controls ? holdVerdict(input.controls, { rule, target }, now) : null;
  if (held) return skip(held.reason, held.explanation, held.facts);
  if (!namespaceAllowed(target.namespace, settings.allowedNamespaces)) {
    const allowed = settings.allowedNamespaces === '*' ? 'any' : settings.allowedNamespaces.join(', ') || 'none (ALLOWED_NAMESPACES is empty)';
    return skip('outside-allowed-namespaces', `Target ${key} is in namespace "${target.namespace}", which autoremediator may not change (allowed: ${allowed}).`, {
      allowedNamespaces: settings.allowedNamespaces,
    });
  }
  if (input.breakerOpen) {
    return skip('breaker-open', `The breaker of ${key} is open after failed or repeated rollbacks; nothing automatic touches it until a person resets it (POST /api/v1/breakers/:target/reset).`);
  }

  const history = effectiveHistory(input);
  // A run awaiting approval has not acted (yet): it holds the target as `in-progress`, not as a cooldown.
  const lastByRule = history.find((h) => h.rule === rule.name && h.targetKey === key && h.origin !== 'restore' && h.phase !== 'awaiting_approval');
  if (lastByRule && now.getTime() - lastByRule.at.getTime() < rule.cooldown) {
    const ago = now.getTime() - lastByRule.at.getTime();
    const nextAt = new Date(lastByRule.at.getTime() + rule.cooldown);
    return skip(
      'cooldown',
      `Rule ${rule.name} ${lastByRule.dryRun ? 'would have acted' : 'acted'} on ${key} ${formatDuration(ago)} ago (remediation ${lastByRule.remediationId}); its cooldown of ${formatDuration(rule.cooldown)} runs until ${nextAt.toISOString()}.`,
      { lastRemediationId: lastByRule.remediationId, lastActionAt: lastByRule.at.toISOString(), cooldownUntil: nextAt.toISOString() },
    );
  }

  const running = history.find((h) => h.targetKey === key && !h.dryRun && isActive(h.phase));
  if (running) {
    return skip('in-progress', `Remediation ${running.remediationId} (rule ${running.rule}) is still ${running.phase} on ${key}; one run at a time per target.`, {
      runningRemediationId: running.remediationId,
      runningPhase: running.phase,
    });
  }
  return null;
}

/**
 * The history that counts: in shadow mode the would-be actions count like real ones,
 * so that a week of dry-run decisions shows the cooldowns and budgets that acting
 * would have met.
 */
function effectiveHistory(input: PrecheckInput): readonly ActionRecord[] {
  const dryRun = input.settings.dryRun || input.rule.dryRun;
  return input.history.filter((h) => dryRun || !h.dryRun);
}

/** The decision for one rule that matched one alert. */
export function decide(input: PlanInput): Decision {
  return precheck(input) ?? decideAfterPrecheck(input);
}

/**
 * decide() for an input precheck() already passed: the engine asks precheck before it
 * reads the cluster, and then only this, so the checks run once per decision.
 */
export function decideAfterPrecheck(input: PlanInput): Decision {
  // Owners (planner/owners.ts): right after target-not-found, a GitOps-managed object is skipped;
  // otherwise who else manages it joins the decision.
  const owned = ownersVerdict(input);
  if (owned?.kind === 'skip') return skipper(input.rule, input.target, input.action)(owned.reason, owned.explanation, owned.facts);
  return withOwners(decideWithoutOwners(input), owned);
}

function withOwners(d: Decision, owned: OwnersVerdict | null): Decision {
  if (owned?.kind !== 'go') return d;
  const said = d.outcome === 'act' || (d.outcome === 'skip' && d.reason === 'dry-run');
  return { ...d, facts: { ...d.facts, ...owned.facts }, ...(said && owned.note ? { explanation: `${d.explanation}${owned.note}` } : {}) };
}

function decideWithoutOwners(input: PlanInput): Decision {
  const { alert, rule, target, action, state, now, settings } = input;
  const key = targetKey(target);
  const base = { rule: rule.name, target, action: action.type } as const;
  const skip = skipper(rule, target, action);

  if (state === null) {
    return skip('state-unavailable', `Could not read ${key} from the cluster: ${input.stateError ?? 'unknown error'}.`);
  }
  if (!state.found) return skip('target-not-found', `Target ${key} was not found: ${state.detail}.`);

  const dryRun = settings.dryRun || rule.dryRun;
  const history = effectiveHistory(input);

  const targetHistory = history.filter((h) => h.targetKey === key);
  const change = planChange({ action, target, state, targetHistory, now }, input.kinds);
  if (change.outcome === 'skip') return skip(change.reason, change.explanation, change.facts, change.would);
  const guarded = guardVerdict({ guards: rule.guards, target, action, alert, state, change, readings: input.guards });
  if (guarded.reason !== null) return skip(guarded.reason, `${guarded.explanation} Would have done: ${change.summary}.`, { ...change.facts, guard: guarded.facts }, change);
  const guardNotes = guarded.notes.map((n) => ` ${n}`).join('');

  const nsBudget = settings.budgets.namespace;
  const inNamespace = input.actionsInWindow.namespace;
  if (inNamespace >= nsBudget.max) {
    return skip(
      'budget-namespace',
      `The action budget of namespace ${target.namespace} is spent: ${inNamespace} actions in the last ${formatDuration(nsBudget.windowMs)} (limit ${nsBudget.max}). Would have done: ${change.summary}.`,
      { ...change.facts, actionsInWindow: inNamespace, budget: nsBudget },
      change,
    );
  }
  const globalBudget = settings.budgets.global;
  const inTotal = input.actionsInWindow.global;
  if (inTotal >= globalBudget.max) {
    return skip(
      'budget-global',
      `The global action budget is spent: ${inTotal} actions in the last ${formatDuration(globalBudget.windowMs)} (limit ${globalBudget.max}). Would have done: ${change.summary}.`,
      { ...change.facts, actionsInWindow: inTotal, budget: globalBudget },
      change,
    );
  }

  const why = `${alertName(alert)} is firing${alertDetail(alert)}; rule ${rule.name}`;
  if (dryRun) {
    const which = settings.dryRun ? 'DRY_RUN is on' : `rule ${rule.name} is in dry-run`;
    return skip('dry-run', `Would ${change.summary}: ${why} (${change.reasoning}). Not applied: ${which}.${guardNotes}`, change.facts, change);
  }
  const decision: ActDecision = {
    outcome: 'act',
    ...base,
    before: change.before,
    after: change.after,
    explanation: `${capitalize(change.summary)}: ${why} (${change.reasoning}).${guardNotes}`,
    facts: change.facts,
  };
  return decision;
}

function alertName(alert: PlanInput['alert']): string {
  return alert.labels.alertname ?? 'the alert';
}

/** A short, useful detail from the alert: its summary annotation, else a few identifying labels. */
function alertDetail(alert: PlanInput['alert']): string {
  const summary = alert.annotations.summary;
  if (summary) return ` (${summary})`;
  const parts = ['pod_name', 'pod', 'queue', 'database', 'instance'].filter((l) => alert.labels[l]).map((l) => `${l}=${alert.labels[l]}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export type { StateFields };
