/**
 * The order of a remediation's steps, written once, top to bottom. Each
 * transition is stored before the next side effect starts (the journal).
 */
import type { LabelSet } from '../domain/alert.js';
import type { ApplyOutcome, ClusterPort } from '../domain/cluster.js';
import type { ActDecision } from '../domain/decision.js';
import { isTerminal, type Phase, type Remediation } from '../domain/remediation.js';
import type { Rule } from '../domain/rule.js';
import type { ActionSpec } from '../rule-table/schema.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { Metrics } from '../platform/metrics.js';
import type { Store, TransitionPatch } from '../store/store.js';
import { crashPoint } from './crash-points.js';

/** The validation result that decides between succeeded and rolling back. */
export interface ValidationOutcome {
  outcome: 'passed' | 'failed' | 'inconclusive';
  /** One sentence for people. */
  summary: string;
  /** Every measured value, baseline and after, stored with the remediation. */
  details: Record<string, unknown>;
}

/** Checks that the target got better after an action; never throws (errors are data). */
export interface Validator {
  /** Measure each check once just before the action; stored with the run as its baseline. */
  baseline?(rule: Rule, alert: { labels: LabelSet; annotations: LabelSet }): Promise<Record<string, unknown>>;
  validate(rem: Remediation, rule: Rule | null, action: ActionSpec): Promise<ValidationOutcome>;
}

/** A lifecycle event for notifiers (Slack) and Kubernetes Events. */
export interface RemediationEvent {
  remediation: Remediation;
  from: Phase | null;
  to: Phase;
  note: string;
}

export interface RemediationListener {
  onTransition(e: RemediationEvent): void;
}

export interface BreakerPolicy {
  /** Open a target's breaker after this many rollbacks … */
  rollbacks: number;
  /** … within this window. A failed rollback opens it at once. */
  windowMs: number;
}

export interface RunnerDeps {
  breaker: BreakerPolicy;
  /** Called when a breaker opens (metrics, the loud Slack message). */
  onBreakerOpen?: (targetKey: string, reason: string) => void;
  store: Store;
  cluster: ClusterPort;
  validator: Validator;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  listeners: RemediationListener[];
}

export class Runner {
  /** Runs this process drives right now: their leases are renewed by the heartbeat job. */
  readonly driving = new Set<string>();

  constructor(private readonly deps: RunnerDeps) {}

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
    if (isTerminal(to)) this.driving.delete(rem.id);
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

  /**
   * planned → applying → (apply) → validating. Runs under the target lock: plan
   * and apply never interleave with another run on the same target.
   */
  async apply(rem: Remediation, action: ActionSpec, baseline: Record<string, unknown> = {}): Promise<Remediation> {
    const decision = rem.decision as ActDecision;
    // Stored before the side effect: after a crash, resume knows what was about to be applied.
    const applying = await this.transition(rem, 'applying', { note: decision.explanation, snapshot: { action }, result: { baseline } });
    return this.performApply(applying);
  }

  /** The side effect of `applying`, then → validating or → failed. */
  async performApply(rem: Remediation): Promise<Remediation> {
    const action = actionOf(rem);
    const outcome: ApplyOutcome = await this.deps.cluster.apply(rem.decision as ActDecision, action, rem.id);
    crashPoint('apply');
    if (!outcome.ok) {
      return this.transition(rem, 'failed', { note: `apply failed (${outcome.reason}): ${outcome.detail}`, result: { apply: { ok: false, reason: outcome.reason, detail: outcome.detail } } });
    }
    return this.applied(rem, outcome.detail, outcome.snapshot, outcome.applied);
  }

  /** applying → validating, with the snapshot restore needs. */
  async applied(rem: Remediation, detail: string, snapshot: Record<string, unknown>, applied: Record<string, unknown>): Promise<Remediation> {
    return this.transition(rem, 'validating', {
      note: detail,
      // The rendered action travels with the snapshot: a rollback, a resume or a manual undo restores it even after the rule changed.
      snapshot: { ...snapshot, action: actionOf(rem) },
      result: { apply: { ok: true, detail, applied, at: this.deps.clock.now().toISOString() } },
    });
  }

  /** validating → succeeded, or → rolling_back → rolled_back | failed. Runs outside the target lock. */
  async validate(rem: Remediation, rule: Rule | null): Promise<Remediation> {
    const action = actionOf(rem);
    const v = await this.deps.validator.validate(rem, rule, action);
    const result = { validation: { outcome: v.outcome, summary: v.summary, ...v.details } };
    const rollbackOnInconclusive = rule?.validate?.onInconclusive === 'rollback';
    if (v.outcome === 'passed' || (v.outcome === 'inconclusive' && !rollbackOnInconclusive)) {
      return this.transition(rem, 'succeeded', { note: v.summary, result });
    }
    const rolling = await this.transition(rem, 'rolling_back', { note: v.summary, result });
    return this.rollback(rolling);
  }

  /**
   * rolling_back → rolled_back | failed, restoring the snapshot with a
   * precondition. A failed rollback, or the K-th rollback of a target within the
   * window, opens the target's breaker.
   */
  async rollback(rem: Remediation, opts: { countsForBreaker: boolean } = { countsForBreaker: true }): Promise<Remediation> {
    const action = rem.snapshot ? actionOf(rem) : null;
    if (!rem.target || !rem.snapshot || !action) {
      const failed = await this.transition(rem, 'failed', { note: 'rollback impossible: no snapshot was recorded' });
      await this.openBreaker(failed, 'rollback impossible: no snapshot');
      return failed;
    }
    const outcome = await this.deps.cluster.restore(rem.target, action, rem.snapshot, rem.id);
    crashPoint('restore');
    if (!outcome.ok) {
      const failed = await this.transition(rem, 'failed', { note: `rollback failed (${outcome.reason}): ${outcome.detail}`, result: { rollback: { ok: false, reason: outcome.reason, detail: outcome.detail } } });
      await this.openBreaker(failed, `rollback of remediation ${rem.id} failed: ${outcome.detail}`);
      return failed;
    }
    const done = await this.transition(rem, 'rolled_back', { note: outcome.detail, result: { rollback: { ok: true, detail: outcome.detail } } });
    if (opts.countsForBreaker) await this.maybeOpenBreaker(done);
    return done;
  }

  private async maybeOpenBreaker(rem: Remediation): Promise<void> {
    const { store, clock, breaker } = this.deps;
    if (!rem.targetKey) return;
    const since = clock.now().getTime() - breaker.windowMs;
    const recent = await store.listRemediations({ targetKey: rem.targetKey, phase: 'rolled_back', limit: breaker.rollbacks * 2 });
    // Rollbacks asked for by a person do not count: the breaker is about the automation failing.
    const inWindow = recent.items.filter((r) => r.origin !== 'manual' && r.updatedAt.getTime() >= since && !r.transitions.some((x) => x.note.startsWith(MANUAL_ROLLBACK))).length;
    if (inWindow >= breaker.rollbacks) {
      await this.openBreaker(rem, `${inWindow} rollbacks of ${rem.targetKey} within ${Math.round(breaker.windowMs / 60_000)} min`);
    }
  }

  private async openBreaker(rem: Remediation, reason: string): Promise<void> {
    if (!rem.targetKey) return;
    await this.deps.store.openBreaker(rem.targetKey, reason, this.deps.clock.now());
    this.deps.logger.warn({ remediation: rem.id, rule: rem.rule, target: rem.targetKey, reason }, `breaker opened for ${rem.targetKey}`);
    this.deps.onBreakerOpen?.(rem.targetKey, reason);
  }
}

/** Notes of manual rollbacks start with this. */
export const MANUAL_ROLLBACK = 'manual rollback';

/** The rendered action a run applied (stored with its snapshot). */
export function actionOf(rem: Remediation): ActionSpec {
  const a = rem.snapshot?.action as ActionSpec | undefined;
  if (!a) throw new Error(`remediation ${rem.id} has no recorded action`);
  return a;
}

/** Passes at once; used when a rule configures no validation. */
export const noValidation: Validator = {
  validate: () => Promise.resolve({ outcome: 'passed', summary: 'no validation configured for this rule', details: {} }),
};
