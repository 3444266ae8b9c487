/**
 * Pure rules both Store implementations share, so that they cannot drift apart:
 * what is stored for a Go zero time, which remediations count as actions, how a
 * result patch merges, what a list limit may be.
 */
import { GO_ZERO_TIME } from '../domain/alert.js';
import type { StateFields } from '../domain/decision.js';
import type { NewRemediation } from './store.js';

const GO_ZERO_MS = Date.parse(GO_ZERO_TIME);

/** `endsAt` as stored: null for a firing alert (Go zero time, or empty), else the string as received. */
export function storedEndsAt(endsAt: string): string | null {
  if (endsAt === '' || endsAt === GO_ZERO_TIME || Date.parse(endsAt) === GO_ZERO_MS) return null;
  return endsAt;
}

/** Columns derived from a new remediation; throws when phase and outcome disagree. */
export interface RemediationColumns {
  rule: string | null;
  namespace: string | null;
  outcome: 'act' | 'skip';
  /** the skip reason, null for an act */
  reason: string | null;
  /**
   * true for what `actionHistory` returns: an act, or a skip with reason `dry-run`
   * (a would-be action), of a rule on a target.
   */
  isAction: boolean;
  before: StateFields | null;
  after: StateFields | null;
}

export function remediationColumns(r: NewRemediation): RemediationColumns {
  const d = r.decision;
  const expected = d.outcome === 'act' ? 'planned' : 'skipped';
  if (r.phase !== expected) {
    throw new Error(`createRemediation: a decision with outcome ${d.outcome} starts in phase ${expected}, not ${String(r.phase)}`);
  }
  const reason = d.outcome === 'skip' ? d.reason : null;
  const countsAsAction = d.outcome === 'act' || reason === 'dry-run';
  return {
    rule: d.rule,
    namespace: r.target?.namespace ?? null,
    outcome: d.outcome,
    reason,
    isAction: countsAsAction && r.targetKey !== null && d.rule !== null,
    before: d.before ?? null,
    after: d.after ?? null,
  };
}

/**
 * The columns a decision replaced at a transition rewrites (a run that waited for approval ends
 * as a skip: `approval-expired`, `approval-denied`, `plan-stale` …): no longer an action.
 */
export function decisionColumns(d: import('../domain/decision.js').Decision, targetKey: string | null): Pick<RemediationColumns, 'outcome' | 'reason' | 'isAction' | 'before' | 'after'> {
  const reason = d.outcome === 'skip' ? d.reason : null;
  return {
    outcome: d.outcome,
    reason,
    isAction: (d.outcome === 'act' || reason === 'dry-run') && targetKey !== null && d.rule !== null,
    before: d.before ?? null,
    after: d.after ?? null,
  };
}

/** The stored result after shallow-merging a patch (no patch: unchanged). */
export function mergeResult(
  stored: Record<string, unknown> | null,
  patch: Record<string, unknown> | undefined,
): Record<string, unknown> | null {
  if (patch === undefined) return stored;
  return { ...(stored ?? {}), ...patch };
}

/** List limits are positive integers; the HTTP layer chooses its own maximum. */
export function assertLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
}

/**
 * A WHERE clause built from optional filters. Clauses are written with `?` per
 * value; for PostgreSQL they become `$1, $2, …` in order.
 */
export class SqlConditions {
  private readonly clauses: string[] = [];
  readonly params: unknown[] = [];

  constructor(private readonly style: 'sqlite' | 'postgres') {}

  add(clause: string, ...values: unknown[]): this {
    this.clauses.push(clause.replace(/\?/g, () => this.bind(values.shift())));
    return this;
  }

  /** Bind one more value (e.g. a LIMIT) and return its placeholder. */
  bind(value: unknown): string {
    this.params.push(value);
    return this.style === 'sqlite' ? '?' : `$${this.params.length}`;
  }

  /** `WHERE a AND b`, or '' without conditions. */
  get sql(): string {
    return this.clauses.length > 0 ? `WHERE ${this.clauses.join(' AND ')}` : '';
  }
}
