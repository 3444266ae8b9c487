/**
 * A rule's target for one alert: the rendered templates (render.ts) and, for a target written
 * `from: Pod | HorizontalPodAutoscaler`, the workload found from the object the alert names.
 * The engine asks this where it used to render; everything it decides comes out of the pure
 * resolveStep / newestRevisionVerdict; this module only reads what they ask for.
 *
 * Nothing is read for a rule that is disabled, an alert that is resolved, or a namespace outside
 * ALLOWED_NAMESPACES (ownerReferences and scaleTargetRef stay in the namespace, so it is known
 * before any read): the planner then skips with those reasons on the object the alert names, and
 * a label cannot make the service read objects where it may not act.
 */
import type { LabelSet } from '../domain/alert.js';
import type { ClusterPort } from '../actions/port.js';
import type { Decision } from '../domain/decision.js';
import type { Rule } from '../rule-table/rule.js';
import type { TargetRef } from '../domain/target.js';
import { classifyKubeError, KubeError } from '../kube/errors.js';
import { namespaceAllowed, type PlannerSettings } from '../planner/decide.js';
import { renderRule } from '../rule-table/render.js';
import type { ActionSpec } from '../rule-table/schema.js';
import { describeChain, describeRef, resolveStep, type ReadResult } from './resolve.js';
import { newestRevisionVerdict } from './revision.js';

/** How a target was found, for the decision's explanation and facts. */
export interface Resolution {
  /** `pod ci/x → ReplicaSet ci/y → Deployment ci/z`. */
  chain: string;
  /** The newest-revision verdict, when the rule asked for one. */
  revision?: string;
}

export type ResolvedRule =
  | { ok: true; target: TargetRef; action: ActionSpec; resolution?: Resolution }
  | {
      ok: false;
      reason: 'template-missing-label' | 'template-invalid-value' | 'target-unresolved' | 'not-newest-revision' | 'state-unavailable';
      message: string;
      facts?: Record<string, unknown>;
    };

export interface ResolveDeps {
  cluster: Pick<ClusterPort, 'readObject'>;
  settings: Pick<PlannerSettings, 'allowedNamespaces'>;
}

export interface ResolveAlert {
  status: 'firing' | 'resolved';
  labels: LabelSet;
  annotations: LabelSet;
  startsAt: string;
}

/**
 * Render the rule for the alert and, when its target is written `from:`, find the workload.
 *
 * @example await resolveRule(rule, alert, { cluster, settings })
 *   // → { ok: true, target: { kind: 'Deployment', … }, action, resolution: { chain: 'pod ci/x-6f7c9d8b5-2xk4p → ReplicaSet ci/x-6f7c9d8b5 → Deployment ci/x' } }
 */
export async function resolveRule(rule: Rule, alert: ResolveAlert, deps: ResolveDeps): Promise<ResolvedRule> {
  const rendered = renderRule(rule, alert);
  if (!rendered.ok || rule.target.from === undefined) return rendered;
  const start = rendered.target;
  if (!rule.enabled || alert.status === 'resolved' || !namespaceAllowed(start.namespace, deps.settings.allowedNamespaces)) return rendered;

  const reads: ReadResult[] = [];
  for (;;) {
    const step = resolveStep(start, reads, rendered.action.type);
    if (step.outcome === 'unresolved') {
      return { ok: false, reason: 'target-unresolved', message: `target.from: ${step.message}`, facts: { resolution: describeChain(step.chain) } };
    }
    if (step.outcome === 'resolved') {
      const resolution: Resolution = { chain: describeChain(step.chain) };
      const action = rendered.action;
      if (action.type === 'undo' && action.newestRevisionOnly) {
        const verdict = newestRevisionVerdict({ chain: step.chain, objects: step.objects, startsAt: alert.startsAt, withinMs: action.newestRevisionOnly.within });
        if (!verdict.ok) return { ok: false, reason: 'not-newest-revision', message: verdict.message, facts: { ...verdict.facts, resolution: resolution.chain } };
        resolution.revision = verdict.detail;
      }
      return { ok: true, target: step.target, action, resolution };
    }
    try {
      reads.push({ ref: step.ref, object: await deps.cluster.readObject(step.ref) });
    } catch (err) {
      const failure = err instanceof KubeError ? err.failure : classifyKubeError(err);
      if (failure.reason !== 'not-found') {
        return { ok: false, reason: 'state-unavailable', message: `could not read ${describeRef(step.ref)} to find the workload: ${failure.message}` };
      }
      reads.push({ ref: step.ref, object: null });
    }
  }
}

/** The decision, with how its target was found said in the explanation and kept in the facts. */
export function withResolution<D extends Decision>(decision: D, resolution: Resolution | undefined): D {
  if (!resolution) return decision;
  const revision = resolution.revision ? `; ${resolution.revision}` : '';
  return {
    ...decision,
    explanation: `${decision.explanation} Target found from the alert: ${resolution.chain}${revision}.`,
    facts: { ...decision.facts, resolution: resolution.chain, ...(resolution.revision ? { revision: resolution.revision } : {}) },
  };
}
