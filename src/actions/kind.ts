/**
 * One folder per action kind (actions/<kind>/): read the state a decision needs, apply the
 * change with a precondition, and restore the snapshot taken before it. Modules throw
 * (KubeError, Refused); the KubeCluster turns that into a classified outcome.
 */
import type { TargetState } from '../domain/cluster.js';
import type { ActDecision } from '../domain/decision.js';
import type { TargetRef } from '../domain/target.js';
import type { KubeClient, KubeObject } from '../kube/client.js';
import type { Clock } from '../platform/clock.js';
import type { ActionSpec } from '../rule-table/schema.js';
import type { RedisConnector } from './redis-connector.js';

export interface ActionContext {
  kube: KubeClient;
  redis: RedisConnector;
  clock: Clock;
}

export interface Applied {
  /** One sentence: what changed. */
  detail: string;
  /** What restore needs to put things back. */
  snapshot: Record<string, unknown>;
  applied: Record<string, unknown>;
  /** uid of the target object, for the Event. */
  uid?: string;
}

/**
 * The I/O half of one action kind (its folder, actions/<kind>/), registered in
 * actions/registry.ts. Its pure half (plan, plan restore, "does the state show it") is in
 * planner/ (changes.ts, restore.ts) and remediation/resume.ts, keyed by the same type.
 */
export interface ActionKind<A extends ActionSpec = ActionSpec> {
  /** Reasons of the Event recorded on the target: a change up (or a plain apply), a step down (restore). */
  events: { up: string; down: string };
  read(ctx: ActionContext, target: TargetRef, action: A): Promise<TargetState>;
  /** `read`: the planner's read of the target when the write follows it at once (see ClusterPort.apply). */
  apply(ctx: ActionContext, decision: ActDecision, action: A, read?: TargetState): Promise<Applied>;
  restore(ctx: ActionContext, target: TargetRef, action: A, snapshot: Record<string, unknown>): Promise<{ detail: string }>;
}

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
