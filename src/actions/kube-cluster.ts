/**
 * The ClusterPort on a real Kubernetes API (and Redis): dispatches to the action
 * kinds, classifies every failure, and after each change records an Event on the
 * target and annotates it with the remediation id.
 */
import { PatchStrategy } from '@kubernetes/client-node';
import type { ApplyOutcome, TargetFields, TargetState } from '../domain/cluster.js';
import type { ClusterPort, GuardReadsPort } from './port.js';
import { readCapacity, readPodResources, readQuotas } from '../kube/guard-reads.js';
import type { ActDecision } from '../domain/decision.js';
import type { TargetRef } from '../domain/target.js';
import { KubeError, classifyKubeError } from '../kube/errors.js';
import type { KubeClient } from '../kube/client.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { ActionSpec } from '../rule-table/schema.js';
import { Refused, type ActionContext } from './kind.js';
import { RecordError, type AnyAction } from './plan-kind.js';
import type { RedisConnector } from './redis-connector.js';
import { ACTION_KINDS, kindOf, type KindRegistry } from './registry.js';
import { readOwners } from './owners.js';
import { reviewAccess } from './access.js';
import type { AccessReport } from '../planner/permissions.js';
import type { Rule } from '../rule-table/rule.js';
import type { ArgoTrackingMethod } from '../planner/owners.js';

export interface KubeClusterOptions {
  /** How Argo CD tracks resources on this cluster (ARGOCD_TRACKING_METHOD); default `annotation`, Argo CD 3's default. */
  argoTracking?: ArgoTrackingMethod;
}

export const LAST_REMEDIATION_ANNOTATION = 'autoremediator.io/last-remediation';
export const LAST_REMEDIATION_AT_ANNOTATION = 'autoremediator.io/last-remediation-at';

function failure(err: unknown): Extract<ApplyOutcome, { ok: false }> {
  if (err instanceof Refused) return { ok: false, retryable: false, reason: 'refused', detail: err.message };
  if (err instanceof RecordError) return { ok: false, retryable: false, reason: 'refused', detail: `the recorded decision cannot be applied: ${err.message}` };
  if (err instanceof KubeError) return { ok: false, retryable: err.failure.retryable, reason: err.failure.reason, detail: err.message };
  const f = classifyKubeError(err);
  return { ok: false, retryable: f.retryable, reason: f.reason, detail: f.message };
}

/** A step down (restore) says so: the reason names the direction of the change. */
function eventReason(events: { up: string; down: string }, decision: ActDecision): string {
  const down = Object.entries(decision.after).some(([k, v]) => typeof v === 'number' && typeof decision.before[k] === 'number' && v < (decision.before[k]));
  return down ? events.down : events.up;
}

/** The kind's check of a stored snapshot; one that is not the kind's is refused (terminal), naming the field. */
function checked<Snap>(parse: (raw: Record<string, unknown>) => Snap, raw: Record<string, unknown>): Snap {
  try {
    return parse(raw);
  } catch (err) {
    throw new Refused(`the recorded snapshot cannot be restored: ${(err as Error).message}`);
  }
}

/** `A`, `S`: the actions of the registry's kinds and the state their reads give (the built-in ones by default). */
export class KubeCluster<A extends AnyAction = ActionSpec, S = TargetFields> implements ClusterPort<A, S> {
  private readonly ctx: ActionContext;

  constructor(
    kube: KubeClient,
    redis: RedisConnector,
    clock: Clock,
    private readonly logger: Logger,
    private readonly kinds: KindRegistry = ACTION_KINDS,
    private readonly options: KubeClusterOptions = {},
  ) {
    this.ctx = { kube, redis, clock };
    this.guardReads = { quotas: (ns) => readQuotas(kube, ns), podResources: (t) => readPodResources(kube, t), capacity: () => readCapacity(kube) };
  }

  readonly guardReads: GuardReadsPort;

  async readState(target: TargetRef, action: A): Promise<TargetState<S>> {
    try {
      const kind = kindOf<A, S>(action, this.kinds);
      const state = await kind.read(this.ctx, target, action);
      // Who else manages the object the action changes (GitOps, field managers): said in the decision.
      // Read for the built-in kinds (actions/owners.ts knows what each changes); a kind registered
      // beside them is read without.
      if (state.found && ACTION_KINDS[action.type] === (kind as unknown)) {
        const builtIn = state as unknown as Extract<TargetState, { found: true }>;
        const owners = await readOwners(this.ctx.kube, target, action as unknown as ActionSpec, builtIn, this.options.argoTracking ?? 'annotation');
        if (owners) return { ...state, owners };
      }
      return state;
    } catch (err) {
      const f = failure(err);
      if (f.reason === 'not-found') return { found: false, detail: f.detail };
      throw new Error(`${f.reason}: ${f.detail}`);
    }
  }

  reviewAccess(rules: readonly Rule[], allowed: readonly string[] | '*'): Promise<AccessReport> {
    return reviewAccess(this.ctx.kube, rules, allowed, () => this.ctx.clock.now());
  }

  async readObject(target: TargetRef): Promise<Record<string, unknown>> {
    return (await this.ctx.kube.getObject(target)) as unknown as Record<string, unknown>;
  }

  async apply(decision: ActDecision, action: A, remediationId: string, read?: TargetState<S>): Promise<ApplyOutcome> {
    try {
      const kind = kindOf<A, S>(action, this.kinds);
      const applied = await kind.apply(this.ctx, decision, action, read);
      await this.record(decision.target, applied.uid, eventReason(kind.events, decision), `${decision.explanation} [remediation ${remediationId}]`, 'Normal', remediationId);
      return { ok: true, detail: applied.detail, snapshot: applied.snapshot, applied: applied.applied };
    } catch (err) {
      return failure(err);
    }
  }

  async restore(target: TargetRef, action: A, snapshot: Record<string, unknown>, remediationId: string): Promise<ApplyOutcome> {
    try {
      const kind = kindOf<A, S>(action, this.kinds);
      const r = await kind.restore(this.ctx, target, action, checked((raw) => kind.snapshot(raw), snapshot));
      await this.record(target, undefined, 'AutoremediatorRolledBack', `${r.detail} [remediation ${remediationId}]`, 'Warning', remediationId);
      return { ok: true, detail: r.detail, snapshot, applied: snapshot };
    } catch (err) {
      return failure(err);
    }
  }

  /**
   * Annotation, then Event: best effort, never failing the change they describe.
   * The patched object gives the uid that `kubectl describe` matches events on.
   */
  private async record(t: TargetRef, uid: string | undefined, reason: string, message: string, type: 'Normal' | 'Warning', remediationId: string): Promise<void> {
    const now = this.ctx.clock.now();
    let objectUid = uid;
    try {
      const patched = await this.ctx.kube.patchObject(
        t,
        { metadata: { annotations: { [LAST_REMEDIATION_ANNOTATION]: remediationId, [LAST_REMEDIATION_AT_ANNOTATION]: now.toISOString() } } },
        PatchStrategy.MergePatch,
      );
      objectUid ??= patched.metadata?.uid;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, remediation: remediationId }, 'could not annotate the target');
    }
    try {
      await this.ctx.kube.createEvent(t, objectUid, reason, message, type, now);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, remediation: remediationId }, 'could not record an Event on the target');
    }
  }
}
