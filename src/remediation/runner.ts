/**
 * The driver: the one place that knows the order of a remediation's steps.
 *
 * `drive(run)` takes a stored run from whatever phase it is in to a terminal one (or to
 * `ctx.stopAt`) and is safe to call twice: each step starts from the stored phase, and each
 * transition is a compare-and-set stored before the next side effect starts (the journal).
 *
 *   planned      → awaiting_approval         approvalNeed(): a person must approve first (the rendered action stored with it)
 *   awaiting_approval → planned | skipped  LOCK waitingVerdict(): wait (return), expire, deny, or, approved, recheckVerdict()
 *                                          against the live state: still the plan → planned (approved), else skipped with why
 *   planned      → applying                  `applying` stored under the lock (the baseline is read later, at validating, as of the decision)
 *   applying     → validating | failed   LOCK converge: convergeVerdict() → write (cluster.apply) | done | failed
 *   validating   → succeeded | rolling_back   no lock: the baseline (read at the decision's time), the validator, then phaseAfterValidation()
 *                → failed                    a GitOps owner reverted the change: revertVerdict() (planner/owners.ts)
 *   rolling_back → rolled_back | failed  LOCK cluster.restore of the snapshot, then breakerVerdict()
 *   succeeded    → rolling_back          LOCK only when a person asked (ctx.manualRollbackBy), flagged manual
 *   succeeded, rolled_back, failed, skipped: terminal, returned as they are
 *
 * Who enters it: Engine.evaluateRule (a fresh act right after it is recorded), Engine.resume
 * (a run a process that is gone left active), Engine.rollbackByHand (ctx.manualRollbackBy: succeeded
 * → rolling_back with a typed manual flag), and the restore job (a step the planner's
 * decideRestore() chose, recorded with origin `restore`). Nobody else calls a step.
 *
 * Decisions are pure functions (planner/verdicts.ts); this file carries them out and records
 * them. A new gate (e.g. "is the lease still ours", "is the target frozen") is a pure verdict
 * evaluated in the `case` of the phase it guards, before that phase's side effect; a new
 * step (as the approval before `applying`) is a new phase and a new `case`, nowhere else.
 * A run awaiting approval is driven by nobody: drive() returns it as it is until a person's
 * answer (ctx.answer) or its deadline (the approvals job) moves it on.
 * A resolution of the target (pod → ReplicaSet → Deployment) happens before the decision,
 * where the engine renders the rule (rule-table/render.ts), not here.
 */
import type { LabelSet } from '../domain/alert.js';
import type { ApplyOutcome, TargetState } from '../domain/cluster.js';
import type { ClusterPort } from '../actions/port.js';
import type { ActDecision } from '../domain/decision.js';
import { approvalOf, isTerminal, isWaiting, manualRollbackOf, type ApprovalRecord, type Phase, type Remediation, type RemediationListener } from '../domain/remediation.js';
import { approvalNeed, endedDecision, NO_APPROVAL, recheckVerdict, waitingVerdict, type ApprovalAnswer, type ApprovalPolicy, type WaitingVerdict } from '../control/approval.js';
import { holdVerdict, type Controls } from '../control/hold.js';
import { WrongPhaseError } from '../domain/errors.js';
import type { Rule, RuleTable } from '../rule-table/rule.js';
import { breakerVerdict, convergeVerdict, fenceVerdict, manualRollbackVerdict, phaseAfterValidation, type BreakerPolicy, type RollbackEnd } from '../planner/verdicts.js';
import type { ActionSpec } from '../rule-table/schema.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { Metrics } from '../platform/metrics.js';
import type { Store, TransitionPatch } from '../store/store.js';
import { LeaseLostError, StateChangedError } from '../domain/errors.js';
import type { Validator } from '../validation/port.js';
import { crashPoint } from './crash-points.js';
import { renderRule } from '../rule-table/render.js';
import { snapshotFromDecision, stateShows } from './resume.js';
import { revertVerdict, type RevertVerdict } from '../planner/owners.js';

export type { BreakerPolicy };

export interface RunnerDeps {
  breaker: BreakerPolicy;
  /** Called when a breaker opens (metrics, the loud Slack message). */
  onBreakerOpen?: (targetKey: string, reason: string) => void;
  store: Store;
  cluster: ClusterPort;
  validator: Validator;
  /** The current rule table: a resumed run finds its rule by name. */
  rules: () => RuleTable;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  listeners: RemediationListener[];
  /** APPROVAL_REQUIRED, APPROVAL_NAMESPACES, APPROVAL_TIMEOUT; absent: only rules ask for approval. */
  approval?: ApprovalPolicy;
  /** Pauses and freeze windows, read again when a person approves (a pause outranks an approval). */
  controls?: { current(): Promise<Controls> };
  /** This process in run leases; with it every Kubernetes write is fenced by the lease (issue 21). */
  instanceId?: string;
  /** RUN_LEASE_TTL (default 30 s). */
  leaseTtlMs?: number;
}

/** What the caller of drive() already knows; everything is found again when absent (resume). */
export interface DriveContext {
  /** The run's rule; looked up by name when undefined (null: the rule is gone). */
  rule?: Rule | null;
  /** The rendered action (a fresh run); else the one recorded with the run, else rendered again from rule and alert. */
  action?: ActionSpec;
  /** The alert behind the run, for the baseline and a re-render; read from the store when undefined. */
  alert?: { labels: LabelSet; annotations: LabelSet } | null;
  /** The planner's read of the target, handed to the write (so it needs no second read). */
  read?: TargetState;
  /** Return as soon as the run reaches one of these phases (the engine returns after the write and validates in the background). */
  stopAt?: readonly Phase[];
  /** A person asked to undo this succeeded run (POST /api/v1/remediations/:id/rollback): who. */
  manualRollbackBy?: string;
  /** A person's answer to a run awaiting approval (POST /api/v1/remediations/:id/approve | deny, Slack). */
  answer?: ApprovalAnswer;
}

export class Runner {
  /** Runs this process drives right now: their leases are renewed by the heartbeat job. */
  readonly driving = new Set<string>();

  constructor(private readonly deps: RunnerDeps) {}

  /**
   * THE order of a remediation's steps (see the file comment). Writes hold the target lock,
   * validation does not. Throws only on an unexpected error (the store is gone …): the run
   * then stays in its phase and the resume job takes it up once its lease is stale.
   */
  async drive(start: Remediation, context: DriveContext = {}): Promise<Remediation> {
    let ctx = context;
    let run = start;
    // True only right after this call stored `applying` itself: nothing can have been written since.
    let justEntered = false;
    for (;;) {
      if (run.phase === 'succeeded' && ctx.manualRollbackBy !== undefined) {
        // succeeded → rolling_back, flagged manual: it never counts toward the breaker.
        const current = run;
        const by = ctx.manualRollbackBy;
        ctx = { ...ctx, manualRollbackBy: undefined };
        run = await this.locked(run, async () => {
          // --- issue 21 gate: only while the live state still shows this run's `after` (else StateChangedError, nothing changed).
          await this.checkManualRollback(current);
          return this.transition(current, 'rolling_back', { note: `manual rollback requested by ${by}`, result: { manualRollback: { by, at: this.deps.clock.now().toISOString() } } });
        });
        continue;
      }
      if (isTerminal(run.phase) || ctx.stopAt?.includes(run.phase)) return run;
      switch (run.phase) {
        case 'planned': {
          const need = await this.approvalNeeded(run, ctx);
          if (need) {
            const current = run;
            run = await this.locked(run, () => this.transition(current, 'awaiting_approval', { note: need.record.explanation, snapshot: { action: need.action }, result: { approval: need.record } }));
            break;
          }
          const prepared = await this.prepare(run, ctx);
          run = await this.locked(run, () => (prepared.ok ? this.transition(run, 'applying', prepared.patch) : this.transition(run, 'failed', { note: prepared.note })));
          justEntered = run.phase === 'applying';
          break;
        }
        case 'applying': {
          const entered = justEntered;
          justEntered = false;
          const current = run;
          run = await this.locked(run, () => this.converge(current, entered ? (ctx.read ?? null) : null, entered));
          break;
        }
        case 'awaiting_approval': {
          const record = approvalOf(run);
          if (!record) throw new Error(`remediation ${run.id} awaits approval without an approval record`);
          const answer = ctx.answer;
          ctx = { ...ctx, answer: undefined };
          const verdict = waitingVerdict(record, answer, this.deps.clock.now());
          if (verdict.next === 'wait') return run;
          const current = run;
          const out = await this.locked(run, () => this.answered(current, record, verdict, answer));
          run = out.run;
          if (out.read) ctx = { ...ctx, read: out.read };
          break;
        }
        case 'validating':
          run = await this.validate(run, ctx);
          break;
        case 'rolling_back': {
          const current = run;
          run = await this.locked(run, () => this.rollback(current));
          break;
        }
        default:
          return run;
      }
    }
  }

  /** Take over a run (resume): this process drives it from now on. */
  adopt(id: string): void {
    this.driving.add(id);
  }

  /**
   * Stop driving a run that is not finished (an unexpected error cut it short): its lease is
   * no longer renewed, so once it is stale the resume job takes the run up again, here or on
   * another replica, exactly as after a crash.
   */
  release(id: string): void {
    this.driving.delete(id);
  }

  /** Move a remediation one step and tell everyone; the single place transitions happen. */
  async transition(rem: Remediation, to: Phase, patch: TransitionPatch): Promise<Remediation> {
    const { store, clock, logger, metrics, listeners } = this.deps;
    const next = await store.transitionRemediation(rem.id, rem.phase, to, patch, clock.now());
    // A run awaiting approval is driven by nobody (and leased to nobody) until it is answered.
    if (isTerminal(to) || isWaiting(to)) this.driving.delete(rem.id);
    logger.info({ remediation: rem.id, rule: rem.rule, target: rem.targetKey, note: patch.note }, `remediation ${rem.id} ${rem.phase} -> ${to}`);
    metrics.remediations.inc({ rule: rem.rule ?? '', action: rem.decision.action ?? '', phase: to });
    for (const l of listeners) l.onTransition({ remediation: next, from: rem.phase, to, note: patch.note });
    crashPoint(to);
    return next;
  }

  /** Announce a freshly created remediation (planned or skipped). */
  created(rem: Remediation): void {
    const { metrics, listeners } = this.deps;
    if (!isTerminal(rem.phase)) this.driving.add(rem.id);
    metrics.remediations.inc({ rule: rem.rule ?? '', action: rem.decision.action ?? '', phase: rem.phase });
    for (const l of listeners) l.onTransition({ remediation: rem, from: null, to: rem.phase, note: rem.decision.explanation });
    crashPoint(rem.phase);
  }

  private locked<T>(rem: Remediation, fn: () => Promise<T>): Promise<T> {
    return this.deps.store.withTargetLock(rem.targetKey ?? `remediation/${rem.id}`, fn);
  }

  private ruleOf(rem: Remediation, ctx: DriveContext): Rule | null {
    if (ctx.rule !== undefined) return ctx.rule;
    return this.deps.rules().rules.find((r) => r.name === rem.rule) ?? null;
  }

  private async alertOf(rem: Remediation, ctx: DriveContext): Promise<{ labels: LabelSet; annotations: LabelSet } | null> {
    if (ctx.alert !== undefined) return ctx.alert;
    return rem.alertId ? this.deps.store.getAlert(rem.alertId) : null;
  }

  /**
   * `planned`: must a person approve this run first? Not when it was approved already (a resume
   * after the approval), nor for a restore step. The action to approve is rendered now and stored
   * with the wait: what is applied is what was approved, even if the rule changes meanwhile.
   */
  private async approvalNeeded(rem: Remediation, ctx: DriveContext): Promise<{ record: ApprovalRecord; action: ActionSpec } | null> {
    if (approvalOf(rem) !== null) return null;
    const rule = this.ruleOf(rem, ctx);
    const record = approvalNeed(this.deps.approval ?? NO_APPROVAL, { rule, namespace: rem.namespace, origin: rem.origin }, this.deps.clock.now());
    if (!record) return null;
    let action = ctx.action ?? (rem.snapshot?.action as ActionSpec | undefined);
    if (!action) {
      const alert = await this.alertOf(rem, ctx);
      const rendered = rule && alert ? renderRule(rule, alert) : null;
      if (!rendered?.ok) return null; // prepare() fails the run: nothing to approve
      action = rendered.action;
    }
    return { record, action };
  }

  /**
   * `awaiting_approval`, answered (or past its deadline), under the target lock: read the run again
   * (another replica may have answered it first), then expire, deny, or re-check the approved plan
   * against the live state and the controls: still the plan → planned, else skipped with why.
   */
  private async answered(rem: Remediation, record: ApprovalRecord, verdict: Exclude<WaitingVerdict, { next: 'wait' }>, answer: ApprovalAnswer | undefined): Promise<{ run: Remediation; read?: TargetState }> {
    const { store, clock, cluster } = this.deps;
    const fresh = await store.getRemediation(rem.id);
    if (!fresh || fresh.phase !== 'awaiting_approval') throw new WrongPhaseError(`remediation ${rem.id} is ${fresh?.phase ?? 'gone'}: it no longer awaits approval (answered already, or expired)`);
    const at = clock.now().toISOString();
    const decision = fresh.decision as ActDecision;
    const end = (reason: Parameters<typeof endedDecision>[1], explanation: string, approval: ApprovalRecord) =>
      this.transition(fresh, 'skipped', { note: explanation, decision: endedDecision(decision, reason, explanation, approval), result: { approval } }).then((run) => ({ run }));
    if (verdict.next === 'expire') return end('approval-expired', verdict.explanation, { ...record, outcome: 'expired', at });
    const by = { by: answer!.by, at, ...(answer!.reason ? { reason: answer!.reason } : {}) };
    if (verdict.next === 'deny') return end('approval-denied', verdict.explanation, { ...record, outcome: 'denied', ...by });
    const action = actionOf(fresh);
    let state: TargetState | null = null;
    let stateError: string | undefined;
    try {
      state = await cluster.readState(decision.target, action);
    } catch (err) {
      stateError = err instanceof Error ? err.message : String(err);
    }
    const rule = this.ruleOf(fresh, {});
    const controls = await this.deps.controls?.current();
    const hold = controls ? holdVerdict(controls, { rule: { name: decision.rule, ...(rule?.freeze ? { freeze: rule.freeze } : {}) }, target: decision.target }, clock.now()) : null;
    const breakerOpen = fresh.targetKey ? ((await store.getBreaker(fresh.targetKey))?.open ?? false) : false;
    const check = recheckVerdict(decision, {
      hold,
      breakerOpen,
      found: state === null ? null : state.found,
      ...(stateError !== undefined ? { stateError } : {}),
      showsBefore: state ? stateShows(state, decision.before, action) : false,
      ...(state?.found ? { live: liveFields(state, decision.before) } : {}),
    });
    if (!check.ok) return end(check.reason, check.explanation, { ...record, outcome: 'refused', ...by });
    const run = await this.transition(fresh, 'planned', { note: `approved by ${by.by}${by.reason ? ` ("${by.reason}")` : ''}; the plan still matches the live state`, result: { approval: { ...record, outcome: 'approved', ...by } } });
    crashPoint('approved');
    return state ? { run, read: state } : { run };
  }

  /**
   * Before `applying`: the action to apply and the baseline of the rule's checks, both stored
   * with `applying` so that a resume knows what was about to happen. A run interrupted before
   * that (still `planned`: nothing was applied) is rendered again from its rule and alert.
   */
  private async prepare(rem: Remediation, ctx: DriveContext): Promise<{ ok: true; patch: TransitionPatch } | { ok: false; note: string }> {
    const rule = this.ruleOf(rem, ctx);
    const alert = await this.alertOf(rem, ctx);
    let action = ctx.action ?? (rem.snapshot?.action as ActionSpec | undefined);
    if (!action) {
      const rendered = rule && alert ? renderRule(rule, alert) : null;
      if (!rendered?.ok) return { ok: false, note: 'interrupted before apply and cannot be re-planned (rule or alert gone); nothing was changed' };
      action = rendered.action;
    }
    const decision = rem.decision as ActDecision;
    return { ok: true, patch: { note: decision.explanation, snapshot: { action } } };
  }

  /** `applying`: did the write happen? convergeVerdict decides; then write, record it as done, or fail. */
  private async converge(rem: Remediation, planRead: TargetState | null, justEntered: boolean): Promise<Remediation> {
    const action = actionOf(rem);
    const decision = rem.decision as ActDecision;
    let showsAfter: boolean | 'unknown' = false;
    let showsBefore: boolean | 'unknown' = false;
    if (!justEntered) {
      let state: TargetState;
      try {
        state = await this.deps.cluster.readState(decision.target, action);
      } catch (err) {
        throw new Error(`cannot read ${rem.targetKey} to resume: ${(err as Error).message}`);
      }
      showsAfter = stateShows(state, decision.after, action);
      showsBefore = stateShows(state, decision.before, action);
    }
    const verdict = convergeVerdict({ justEntered, showsAfter, showsBefore, actionType: action.type });
    if (verdict.next === 'done') {
      return this.applied(rem, `resumed after a restart: the change was already applied (${JSON.stringify(decision.after)})`, snapshotFromDecision(decision, action), decision.after);
    }
    if (verdict.next === 'failed') return this.transition(rem, 'failed', { note: `interrupted while applying; ${verdict.why}; not applied again` });
    await this.fence(rem);
    const outcome: ApplyOutcome = await this.deps.cluster.apply(decision, action, rem.id, planRead ?? undefined);
    crashPoint('apply');
    if (!outcome.ok) {
      return this.transition(rem, 'failed', { note: `apply failed (${outcome.reason}): ${outcome.detail}`, result: { apply: { ok: false, reason: outcome.reason, detail: outcome.detail } } });
    }
    return this.applied(rem, outcome.detail, outcome.snapshot, outcome.applied);
  }

  /** applying → validating, with the snapshot restore needs. */
  private async applied(rem: Remediation, detail: string, snapshot: Record<string, unknown>, applied: Record<string, unknown>): Promise<Remediation> {
    return this.transition(rem, 'validating', {
      note: detail,
      // The rendered action travels with the snapshot: a rollback, a resume or a manual undo restores it even after the rule changed.
      snapshot: { ...snapshot, action: actionOf(rem) },
      result: { apply: { ok: true, detail, applied, at: this.deps.clock.now().toISOString() } },
    });
  }

  /** validating → succeeded | rolling_back. Runs outside the target lock: the planner's in-progress check keeps other runs off. */
  private async validate(rem: Remediation, ctx: DriveContext): Promise<Remediation> {
    const rule = this.ruleOf(rem, ctx);
    rem = await this.withBaseline(rem, rule, ctx);
    const v = await this.deps.validator.validate(rem, rule, actionOf(rem));
    const result = { validation: { outcome: v.outcome, summary: v.summary, ...v.details } };
    // A run that acted under a GitOps owner (owners.gitops: act): did the owner put the change back?
    const reverted = await this.revertedByOwner(rem);
    if (reverted.reverted) return this.transition(rem, 'failed', { note: reverted.note, result: { ...result, failure: { reason: reverted.reason, detail: reverted.note } } });
    return this.transition(rem, phaseAfterValidation(v.outcome, rule?.validate?.onInconclusive), { note: v.summary, result });
  }

  /**
   * The baseline of the rule's checks: their values at the decision's time (the run's createdAt,
   * just before the action), asked for after the write with Prometheus's `time=`, so that they do
   * not stand between the alert and the write. Stored with the run before it is judged; a resumed
   * run that has one keeps it.
   */
  private async withBaseline(rem: Remediation, rule: Rule | null, ctx: DriveContext): Promise<Remediation> {
    if (!rule?.validate?.checks.length || !this.deps.validator.baseline || (rem.result && 'baseline' in rem.result)) return rem;
    const alert = await this.alertOf(rem, ctx);
    if (!alert) return rem;
    const baseline = await this.deps.validator.baseline(rule, alert, rem.createdAt);
    await this.deps.store.mergeRemediationResult(rem.id, { baseline }, this.deps.clock.now());
    return { ...rem, result: { ...rem.result, baseline } };
  }

  /** revertVerdict (planner/owners.ts) on the live state; reads the cluster only for a run that watches for a revert. */
  private async revertedByOwner(rem: Remediation): Promise<RevertVerdict> {
    const decision = rem.decision;
    if (decision.outcome !== 'act' || decision.facts.revertWatch !== true) return { reverted: false };
    const action = actionOf(rem);
    const state = await this.deps.cluster.readState(decision.target, action).catch(() => null);
    return revertVerdict({ facts: decision.facts, after: decision.after, showsAfter: state ? stateShows(state, decision.after, action) : null, state });
  }

  /** rolling_back → rolled_back | failed, restoring the snapshot with a precondition; then the breaker verdict. */
  private async rollback(rem: Remediation): Promise<Remediation> {
    const action = rem.snapshot ? (rem.snapshot.action as ActionSpec | undefined) : undefined;
    if (!rem.target || !rem.snapshot || !action) {
      const failed = await this.transition(rem, 'failed', { note: 'rollback impossible: no snapshot was recorded' });
      await this.carryOutBreaker(failed, { kind: 'impossible' });
      return failed;
    }
    await this.fence(rem);
    const outcome = await this.deps.cluster.restore(rem.target, action, rem.snapshot, rem.id);
    crashPoint('restore');
    if (!outcome.ok) {
      const failed = await this.transition(rem, 'failed', { note: `rollback failed (${outcome.reason}): ${outcome.detail}`, result: { rollback: { ok: false, reason: outcome.reason, detail: outcome.detail } } });
      await this.carryOutBreaker(failed, { kind: 'failed', remediationId: rem.id, detail: outcome.detail });
      return failed;
    }
    const done = await this.transition(rem, 'rolled_back', { note: outcome.detail, result: { rollback: { ok: true, detail: outcome.detail } } });
    const manual = manualRollbackOf(done) !== null;
    await this.carryOutBreaker(done, { kind: 'rolled-back', manual, rollbacksInWindow: manual ? 0 : await this.rollbacksInWindow(done) });
    return done;
  }

  /**
   * --- issue 21 lease fence, right before each Kubernetes write (apply, restore): renew this
   * process's lease on the run; fenceVerdict() decides. Refused (another replica took the run
   * over, or the database cannot be reached in time): LeaseLostError, nothing written; the run
   * stays in its phase for its lease holder (or the resume job once the lease is stale).
   */
  private async fence(rem: Remediation): Promise<void> {
    const { store, clock, instanceId, leaseTtlMs = 30_000 } = this.deps;
    if (instanceId === undefined) return;
    const started = Date.now();
    const at = clock.now();
    let ours: boolean;
    try {
      ours = await store.fenceLease(rem.id, instanceId, new Date(at.getTime() - leaseTtlMs), at);
    } catch (err) {
      throw new LeaseLostError(`remediation ${rem.id}: not writing to ${rem.targetKey}: the run's lease could not be renewed (${(err as Error).message})`);
    }
    const verdict = fenceVerdict({ ours, tookMs: Date.now() - started, leaseTtlMs });
    if (!verdict.ok) throw new LeaseLostError(`remediation ${rem.id}: not writing to ${rem.targetKey}: ${verdict.why}`);
  }

  /** The manual-rollback gate (issue 21): read the target, manualRollbackVerdict(); refused → StateChangedError (409), nothing changed. */
  private async checkManualRollback(rem: Remediation): Promise<void> {
    const action = rem.snapshot?.action as ActionSpec | undefined;
    const decision = rem.decision as ActDecision;
    if (!rem.target || !action) return; // rollback() records "no snapshot" as it always did
    let showsAfter: boolean | 'unknown' = false;
    let readError: string | undefined;
    try {
      showsAfter = stateShows(await this.deps.cluster.readState(rem.target, action), decision.after, action);
    } catch (err) {
      readError = (err as Error).message;
    }
    const verdict = manualRollbackVerdict({ targetKey: rem.targetKey ?? rem.id, after: decision.after, showsAfter, ...(readError !== undefined ? { readError } : {}) });
    if (!verdict.ok) throw new StateChangedError(`remediation ${rem.id} cannot be rolled back: ${verdict.why}`);
  }

  /** Automatic rollbacks of the run's target within the breaker's window (a person's rollbacks do not count). */
  private async rollbacksInWindow(rem: Remediation): Promise<number> {
    const { store, clock, breaker } = this.deps;
    if (!rem.targetKey) return 0;
    const since = clock.now().getTime() - breaker.windowMs;
    const recent = await store.listRemediations({ targetKey: rem.targetKey, phase: 'rolled_back', limit: breaker.rollbacks * 2 });
    return recent.items.filter((r) => r.origin !== 'manual' && r.updatedAt.getTime() >= since && manualRollbackOf(r) === null).length;
  }

  private async carryOutBreaker(rem: Remediation, end: RollbackEnd): Promise<void> {
    if (!rem.targetKey) return;
    const verdict = breakerVerdict(end, this.deps.breaker, rem.targetKey);
    if (!verdict.open) return;
    await this.deps.store.openBreaker(rem.targetKey, verdict.reason, this.deps.clock.now());
    this.deps.logger.warn({ remediation: rem.id, rule: rem.rule, target: rem.targetKey, reason: verdict.reason }, `breaker opened for ${rem.targetKey}`);
    this.deps.onBreakerOpen?.(rem.targetKey, verdict.reason);
  }
}

/** The rendered action a run applied (stored with its snapshot). */
export function actionOf(rem: Remediation): ActionSpec {
  const a = rem.snapshot?.action as ActionSpec | undefined;
  if (!a) throw new Error(`remediation ${rem.id} has no recorded action`);
  return a;
}

/** The live values of the fields a plan starts from, for a stale plan's explanation. */
function liveFields(state: Extract<TargetState, { found: true }>, before: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(before)) {
    if (key === 'replicas') out[key] = state.replicas;
    else if (key === 'minReplicas') out[key] = state.hpa?.minReplicas ?? null;
    else if (key === 'maxReplicas') out[key] = state.hpa?.maxReplicas ?? null;
    else if (key === 'maxmemory') out[key] = state.maxmemory ?? null;
  }
  return out;
}
