/**
 * One folder per action kind (actions/<kind>/): its I/O half reads the state a decision needs,
 * applies the change with a precondition, and restores the snapshot taken before it. Modules
 * throw (KubeError, Refused); the KubeCluster turns that into a classified outcome.
 */
import type { TargetFields, TargetState } from '../domain/cluster.js';
import type { ActDecision } from '../domain/decision.js';
import type { TargetRef } from '../domain/target.js';
import type { KubeClient, KubeObject } from '../kube/client.js';
import type { Clock } from '../platform/clock.js';
import type { ActionSpec } from '../rule-table/schema.js';
import type { AnyAction, KindPlan } from './plan-kind.js';
import type { RedisConnector } from './redis-connector.js';

export interface ActionContext {
  kube: KubeClient;
  redis: RedisConnector;
  clock: Clock;
}

export interface Applied<Snap = Record<string, unknown>> {
  /** One sentence: what changed. */
  detail: string;
  /** What restore needs to put things back. */
  snapshot: Snap;
  applied: Record<string, unknown>;
  /** uid of the target object, for the Event. */
  uid?: string;
}

/**
 * One action kind, its folder actions/<kind>/: the pure half (plan.ts: plan, plan restore, "does
 * the state show it", its snapshot, what the rollout wait waits for) and the I/O half (index.ts:
 * read, apply, restore, the reasons of its Events), registered by one line in actions/registry.ts.
 * `S`: the state its read gives and its plan reads; `Snap`: the snapshot its apply takes.
 */
export interface ActionKind<A extends AnyAction = ActionSpec, S = TargetFields, Snap = Record<string, unknown>> extends KindPlan<A, S, Snap> {
  /** Reasons of the Event recorded on the target: a change up (or a plain apply), a step down (restore). */
  events: { up: string; down: string };
  read(ctx: ActionContext, target: TargetRef, action: A): Promise<TargetState<S>>;
  /** `read`: the planner's read of the target when the write follows it at once (see ClusterPort.apply). */
  apply(ctx: ActionContext, decision: ActDecision, action: A, read?: TargetState<S>): Promise<Applied<Snap>>;
  /** `snapshot`: what apply returned, checked by the kind's snapshot(). */
  restore(ctx: ActionContext, target: TargetRef, action: A, snapshot: Snap): Promise<{ detail: string }>;
}

/** Any kind: a registry holds these (ActionKind's methods take their input bivariantly). */
export type AnyKind = ActionKind<AnyAction, unknown, unknown>;

/** Our own guard said no (the world changed since the plan, a paused Deployment …): terminal. */
export class Refused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Refused';
  }
}

export type Found = Extract<TargetState, { found: true }>;

export function foundState(over: Partial<Found>): Found {
  return { found: true, replicas: null, hpa: null, containers: [], maxmemory: null, paused: false, resourceVersion: null, ...over };
}

/** Containers of a pod template, as the planner sees them. */
export function templateContainers(obj: KubeObject): Found['containers'] {
  const spec = obj.spec as { template?: { spec?: { containers?: Array<{ name: string; resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }> } } } | undefined;
  return (spec?.template?.spec?.containers ?? []).map((c) => ({ name: c.name, requests: { ...(c.resources?.requests ?? {}) }, limits: { ...(c.resources?.limits ?? {}) } }));
}

export function workloadState(obj: KubeObject): Found {
  const spec = obj.spec as { replicas?: number; paused?: boolean } | undefined;
  return foundState({
    replicas: typeof spec?.replicas === 'number' ? spec.replicas : null,
    containers: templateContainers(obj),
    paused: spec?.paused === true,
    resourceVersion: obj.metadata?.resourceVersion ?? null,
  });
}
