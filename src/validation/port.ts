/**
 * The validator port, declared beside its implementation (ClusterValidator): the driver
 * asks it whether a change made things better. Tests hand in their own.
 */
import type { LabelSet } from '../domain/alert.js';
import type { Remediation } from '../domain/remediation.js';
import type { Rule } from '../rule-table/rule.js';
import type { ActionSpec } from '../rule-table/schema.js';

/** The validation result that decides between succeeded and rolling back (see planner/verdicts.ts phaseAfterValidation). */
export interface ValidationOutcome {
  outcome: 'passed' | 'failed' | 'inconclusive';
  /** One sentence for people. */
  summary: string;
  /** Every measured value, baseline and after, stored with the remediation. */
  details: Record<string, unknown>;
}

/** Checks that the target got better after an action; never throws (errors are data). */
export interface Validator {
  /**
   * Measure each check once as it was at `at` (the decision's time: just before the action, read
   * after it through Prometheus's `time=`, so that it does not delay the write); stored with the run
   * as its baseline.
   */
  baseline?(rule: Rule, alert: { labels: LabelSet; annotations: LabelSet }, at?: Date): Promise<Record<string, unknown>>;
  validate(rem: Remediation, rule: Rule | null, action: ActionSpec): Promise<ValidationOutcome>;
}

/** Passes at once; used when a rule configures no validation. */
export const noValidation: Validator = {
  validate: () => Promise.resolve({ outcome: 'passed', summary: 'no validation configured for this rule', details: {} }),
};
