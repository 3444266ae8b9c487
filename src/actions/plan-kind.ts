/**
 * The pure half of an action kind (actions/<kind>/plan.ts): what the planner, the driver's
 * converge step and the validator ask of a kind. No I/O here: this file and every kind's
 * plan.ts may import only platform, domain, rule-table and the planner's pure helpers (the
 * LAYERS lint in eslint.config.js), so that planner/ stays pure while the knowledge of a kind
 * lives in its folder. The I/O half (read, apply, restore) is ActionKind in kind.ts.
 */
import type { TargetState } from '../domain/cluster.js';
import type { ActDecision, SkipReason, StateFields } from '../domain/decision.js';
import type { ActionRecord } from '../domain/history.js';
import type { TargetRef } from '../domain/target.js';
import type { RestoreSpec } from '../rule-table/schema.js';

/** Any action of any kind: a rule's rendered action, told apart by its type. */
export interface AnyAction {
  type: string;
}

export type Found = Extract<TargetState, { found: true }>;

export interface ChangePlan {
  outcome: 'change';
  before: StateFields;
  after: StateFields;
  /** "scale ci/deployment/x from 3 to 7 replicas" */
  summary: string;
  /** why exactly that far: bounds and policies */
  reasoning: string;
  facts: Record<string, unknown>;
}

export interface ChangeSkip {
  outcome: 'skip';
  reason: SkipReason;
  explanation: string;
  facts: Record<string, unknown>;
  would?: { before: StateFields; after: StateFields };
}

export interface ChangeInput<A extends AnyAction = AnyAction, S = Found> {
  action: A;
  target: TargetRef;
  state: S;
  /** This target's records (live, or live + dry-run in shadow mode), newest first. */
  targetHistory: readonly ActionRecord[];
  now: Date;
}

export type RestorePlan =
  | { kind: 'step'; before: StateFields; after: StateFields; summary: string }
  | { kind: 'done'; detail: string }
  | { kind: 'wait'; detail: string };

export interface RestoreInput<A extends AnyAction = AnyAction, S = Found, Snap = Record<string, unknown>> {
  action: A;
  target: TargetRef;
  restore: RestoreSpec;
  /** The snapshot taken before the first action of this episode: the floor. */
  snapshot: Snap;
  state: S;
  targetHistory: readonly ActionRecord[];
  now: Date;
}

/**
 * The pure half of one action kind. `S` is the part of the target's state the kind reads,
 * `Snap` the snapshot its apply takes (what restore puts back).
 */
export interface KindPlan<A extends AnyAction = AnyAction, S = Found, Snap = Record<string, unknown>> {
  /** The action type this kind carries out (the rule's `action.type`): its key in the registry. */
  type: A['type'];
  /** From the live state and the target's recent changes: the next value the rule allows, or why there is none. */
  plan(input: ChangeInput<A, S>): ChangePlan | ChangeSkip;
  /** After resolve: one step back toward the snapshot, done, or wait (the pace allows none now). */
  planRestore(input: RestoreInput<A, S, Snap>): RestorePlan;
  /** Does the live state show these fields (a decision's before or after)? `unknown` when the kind cannot tell. */
  shows(state: S, fields: StateFields, action: A): boolean | 'unknown';
  /** A stored snapshot, checked: throws an Error naming the field when it is not this kind's. */
  snapshot(raw: Record<string, unknown>): Snap;
  /** The snapshot apply would have returned, rebuilt from the decision (the converge step found the change already made). */
  snapshotFromDecision(decision: ActDecision, action: A): Snap;
  /**
   * After the change, what the validator waits for before it measures: `workload` (the target
   * rolls out, as kubectl rollout status judges it) or `none`. `floor`: the replicas the workload
   * must reach first (an hpa action that raised the floor), or null.
   */
  rollout: { waits: 'workload' | 'none'; floor?(decision: ActDecision): number | null };
}

/**
 * The pure halves of the kinds, by type: what the planner is handed (it imports no kind itself;
 * actions/registry.ts is the one list). Any kind fits (KindPlan's methods take their input
 * bivariantly), so the lookup below is the one place that narrows a kind to its action.
 */
export type KindPlans = Readonly<Record<string, KindPlan<AnyAction, unknown, unknown>>>;

/** The pure half of the kind of `action`; an unregistered type is an error naming it. */
export function planOf<A extends AnyAction, S = Found>(kinds: KindPlans, action: A): KindPlan<A, S, unknown> {
  const kind = kinds[action.type];
  if (!kind) throw new Error(`action type ${JSON.stringify(action.type)}: no such action kind is registered (actions/registry.ts)`);
  // Keyed by type: the kind found under action.type is the kind of this action.
  return kind as unknown as KindPlan<A, S, unknown>;
}

/** A decision's or a snapshot's field is not what its kind wrote: the record is not this kind's (terminal, names the field). */
export class RecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordError';
  }
}

/** A number field of a decision or a snapshot, checked (a record that is not this kind's is an error naming the field). */
export function numberField(fields: Record<string, unknown>, key: string, where: string): number {
  const v = fields[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new RecordError(`${where}.${key}: expected a number, found ${JSON.stringify(v)}`);
  return v;
}

/** A string-or-null field of a decision or a snapshot, checked (absent reads as null). */
export function textField(fields: Record<string, unknown>, key: string, where: string): string | null {
  const v = fields[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new RecordError(`${where}.${key}: expected a string or null, found ${JSON.stringify(v)}`);
  return v;
}
