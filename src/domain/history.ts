import type { Phase, Remediation } from './remediation.js';

/**
 * A past action (or, in dry-run, a would-be action) on a target: what cooldowns,
 * budgets and step-policy periods count.
 */
export interface ActionRecord {
  remediationId: string;
  rule: string;
  targetKey: string;
  namespace: string;
  at: Date;
  phase: Phase;
  dryRun: boolean;
  before: Record<string, number | string | null>;
  after: Record<string, number | string | null>;
  /** When the action was undone (rolled_back), if it was. */
  undoneAt: Date | null;
  /** `restore` steps count for step-policy periods and budgets, not for the rule's cooldown. */
  origin: Remediation['origin'];
}
