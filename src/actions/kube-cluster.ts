/**
 * The ClusterPort on a real Kubernetes API (and Redis): dispatches to the action
 * kinds, classifies every failure, and after each change records an Event on the
 * target and annotates it with the remediation id.
 */
import { PatchStrategy } from '@kubernetes/client-node';
import type { ApplyOutcome, TargetState } from '../domain/cluster.js';
import type { ClusterPort } from './port.js';
import type { ActDecision } from '../domain/decision.js';
import type { TargetRef } from '../domain/target.js';
import { KubeError, classifyKubeError } from '../kube/errors.js';
import type { KubeClient } from '../kube/client.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { ActionSpec } from '../rule-table/schema.js';
import { Refused, type ActionContext } from './kind.js';
import type { RedisConnector } from './redis-connector.js';
import { kindOf } from './registry.js';
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
  if (err instanceof KubeError) return { ok: false, retryable: err.failure.retryable, reason: err.failure.reason, detail: err.message };
  const f = classifyKubeError(err);
  return { ok: false, retryable: f.retryable, reason: f.reason, detail: f.message };
}

/** A step down (restore) says so: the reason names the direction of the change. */
function eventReason(action: ActionSpec, decision: ActDecision): string {
  const down = Object.entries(decision.after).some(([k, v]) => typeof v === 'number' && typeof decision.before[k] === 'number' && v < (decision.before[k]));
  const events = kindOf(action).events;
  return down ? events.down : events.up;
}

export class KubeCluster implements ClusterPort {
  private readonly ctx: ActionContext;

  constructor(
    kube: KubeClient,
    redis: RedisConnector,
    clock: Clock,
    private readonly logger: Logger,
    private readonly options: KubeClusterOptions = {},
  ) {
    this.ctx = { kube, redis, clock };
  }

  async readState(target: TargetRef, action: ActionSpec): Promise<TargetState> {
    try {
      const state = await kindOf(action).read(this.ctx, target, action);
      // Who else manages the object the action changes (GitOps, field managers): said in the decision.
      if (state.found) {
        const owners = await readOwners(this.ctx.kube, target, action, state, this.options.argoTracking ?? 'annotation');
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

  async apply(decision: ActDecision, action: ActionSpec, remediationId: string, read?: TargetState): Promise<ApplyOutcome> {
    try {
      const applied = await kindOf(action).apply(this.ctx, decision, action, read);
      await this.record(decision.target, applied.uid, eventReason(action, decision), `${decision.explanation} [remediation ${remediationId}]`, 'Normal', remediationId);
      return { ok: true, detail: applied.detail, snapshot: applied.snapshot, applied: applied.applied };
    } catch (err) {
      return failure(err);
    }
  }

  async restore(target: TargetRef, action: ActionSpec, snapshot: Record<string, unknown>, remediationId: string): Promise<ApplyOutcome> {
    try {
      const r = await kindOf(action).restore(this.ctx, target, action, snapshot);
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
