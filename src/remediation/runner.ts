/**
 * The order of a remediation's steps, written once, top to bottom. Each
 * transition is stored before the next side effect starts (the journal).
 */
import type { ApplyOutcome, ClusterPort } from '../domain/cluster.js';
import type { ActDecision } from '../domain/decision.js';
import type { Phase, Remediation } from '../domain/remediation.js';
import type { Rule } from '../domain/rule.js';
import type { ActionSpec } from '../rule-table/schema.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { Metrics } from '../platform/metrics.js';
import type { Store, TransitionPatch } from '../store/store.js';

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

export interface RunnerDeps {
  store: Store;
  cluster: ClusterPort;
  validator: Validator;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  listeners: RemediationListener[];
}

export class Runner {
  constructor(private readonly deps: RunnerDeps) {}

  /** Move a remediation one step and tell everyone; the single place transitions happen. */
  async transition(rem: Remediation, to: Phase, patch: TransitionPatch): Promise<Remediation> {
    const { store, clock, logger, metrics, listeners } = this.deps;
    const next = await store.transitionRemediation(rem.id, rem.phase, to, patch, clock.now());
    logger.info({ remediation: rem.id, rule: rem.rule, target: rem.targetKey, note: patch.note }, `remediation ${rem.id} ${rem.phase} -> ${to}`);
    metrics.remediations.inc({ rule: rem.rule ?? '', action: rem.decision.action ?? '', phase: to });
    for (const l of listeners) l.onTransition({ remediation: next, from: rem.phase, to, note: patch.note });
    return next;
  }

  /** Announce a freshly created remediation (planned or skipped). */
  created(rem: Remediation): void {
    const { metrics, listeners } = this.deps;
    metrics.remediations.inc({ rule: rem.rule ?? '', action: rem.decision.action ?? '', phase: rem.phase });
    for (const l of listeners) l.onTransition({ remediation: rem, from: null, to: rem.phase, note: rem.decision.explanation });
  }

  /**
   * planned → applying → (apply) → validating. Runs under the target lock: plan
   * and apply never interleave with another run on the same target.
   */
  async apply(rem: Remediation, action: ActionSpec): Promise<Remediation> {
    const decision = rem.decision as ActDecision;
    let current = await this.transition(rem, 'applying', { note: decision.explanation });
    const outcome: ApplyOutcome = await this.deps.cluster.apply(decision, action, rem.id);
    if (!outcome.ok) {
      return this.transition(current, 'failed', { note: `apply failed (${outcome.reason}): ${outcome.detail}`, result: { apply: { ok: false, reason: outcome.reason, detail: outcome.detail } } });
    }
    current = await this.transition(current, 'validating', {
      note: outcome.detail,
      snapshot: outcome.snapshot,
      result: { apply: { ok: true, detail: outcome.detail, applied: outcome.applied, at: this.deps.clock.now().toISOString() } },
    });
    return current;
  }

  /** validating → succeeded, or → rolling_back → rolled_back | failed. Runs outside the target lock. */
  async validate(rem: Remediation, rule: Rule | null, action: ActionSpec): Promise<Remediation> {
    const v = await this.deps.validator.validate(rem, rule, action);
    const result = { validation: { outcome: v.outcome, summary: v.summary, ...v.details } };
    const rollbackOnInconclusive = rule?.validate?.onInconclusive === 'rollback';
    if (v.outcome === 'passed' || (v.outcome === 'inconclusive' && !rollbackOnInconclusive)) {
      return this.transition(rem, 'succeeded', { note: v.summary, result });
    }
    const rolling = await this.transition(rem, 'rolling_back', { note: v.summary, result });
    return this.rollback(rolling, action);
  }

  /** rolling_back → rolled_back | failed, restoring the snapshot with a precondition. */
  async rollback(rem: Remediation, action: ActionSpec): Promise<Remediation> {
    if (!rem.target || !rem.snapshot) {
      return this.transition(rem, 'failed', { note: 'rollback impossible: no snapshot was recorded' });
    }
    const outcome = await this.deps.cluster.restore(rem.target, action, rem.snapshot, rem.id);
    if (!outcome.ok) {
      return this.transition(rem, 'failed', { note: `rollback failed (${outcome.reason}): ${outcome.detail}`, result: { rollback: { ok: false, reason: outcome.reason, detail: outcome.detail } } });
    }
    return this.transition(rem, 'rolled_back', { note: outcome.detail, result: { rollback: { ok: true, detail: outcome.detail } } });
  }
}

/** Passes at once; used when a rule configures no validation. */
export const noValidation: Validator = {
  validate: () => Promise.resolve({ outcome: 'passed', summary: 'no validation configured for this rule', details: {} }),
};
