/**
 * `hpa`, the pure half: plan a raise of the HPA's bounds, plan a step back, the floor the rollout
 * wait must see reached. An HPA a KEDA ScaledObject owns is read with the ScaledObject's
 * minReplicaCount/maxReplicaCount as its bounds (`hpa.scaledObject` set, keda.ts): the same plan,
 * said of the ScaledObject.
 */
import type { TargetFields } from '../../domain/cluster.js';
import { targetKey } from '../../domain/target.js';
import { changeEvents, describePolicies, restoreStep, stepUp } from '../../planner/step-policy.js';
import { boundLabel, hpaLabel } from '../../planner/owners.js'; // KEDA: a ScaledObject's bounds stand for its HPA's
import type { HpaAction } from '../../rule-table/schema.js';
import { numberField, type KindPlan } from '../plan-kind.js';

/** What hpa reads: the HPA that targets the workload (and the workload's replicas). */
export type HpaKindState = Pick<TargetFields, 'replicas' | 'hpa' | 'resourceVersion'>;
/** The HPA's bounds before the change, and its name (and the KEDA ScaledObject's, when one owns it). */
export type HpaSnapshot = {
  /** The HPA's name (absent when the converge step rebuilt the snapshot from the decision). */
  hpa?: string;
  /** The KEDA ScaledObject whose minReplicaCount/maxReplicaCount were changed, when one owns the HPA. */
  scaledObject?: string;
  minReplicas: number;
  maxReplicas: number;
};

const BOUNDS = ['minReplicas', 'maxReplicas'] as const;

export const hpaPlan: KindPlan<HpaAction, HpaKindState, HpaSnapshot> = {
  type: 'hpa',
  plan({ action, target, state, targetHistory, now }) {
    const key = targetKey(target);
    const hpa = state.hpa;
    if (!hpa) {
      return { outcome: 'skip', reason: 'no-hpa', explanation: `No HorizontalPodAutoscaler targets ${key}; the rule's "hpa" action has nothing to raise.`, facts: {} };
    }
    if (action.selectPolicy === 'Disabled') {
      return { outcome: 'skip', reason: 'policy-disabled', explanation: `Rule's selectPolicy is Disabled: raising the HPA of ${key} is switched off.`, facts: { hpa } };
    }
    const step = (field: 'minReplicas' | 'maxReplicas', current: number): number =>
      stepUp({
        current,
        desired: action.ceiling,
        min: 0,
        max: action.ceiling,
        policies: action.policies,
        selectPolicy: action.selectPolicy,
        events: changeEvents(targetHistory, field),
        now,
      }).next;
    let min = hpa.minReplicas;
    let max = hpa.maxReplicas;
    if (action.bound === 'min' || action.bound === 'both') min = Math.max(min, step('minReplicas', hpa.minReplicas));
    if (action.bound === 'max' || action.bound === 'both') max = Math.max(max, step('maxReplicas', hpa.maxReplicas));
    // A floor above the ceiling of the HPA would be invalid: lift the ceiling with it.
    if (min > max) max = min;
    const before = { minReplicas: hpa.minReplicas, maxReplicas: hpa.maxReplicas };
    const after = { minReplicas: min, maxReplicas: max };
    const facts = { hpa: hpa.name, ...(hpa.scaledObject ? { scaledObject: hpa.scaledObject } : {}), ...before, ceiling: action.ceiling, bound: action.bound };
    const raised = action.bound === 'max' ? hpa.maxReplicas : action.bound === 'min' ? hpa.minReplicas : Math.min(hpa.minReplicas, hpa.maxReplicas);
    if (min === hpa.minReplicas && max === hpa.maxReplicas) {
      if (raised >= action.ceiling) {
        return { outcome: 'skip', reason: 'at-bound', explanation: `${hpaLabel(hpa)} of ${key} is already at the rule's ceiling ${action.ceiling} (min ${hpa.minReplicas}, max ${hpa.maxReplicas}).`, facts };
      }
      return {
        outcome: 'skip',
        reason: 'policy-limit',
        explanation: `The ${describePolicies(action.policies, action.selectPolicy)} allow no further raise of ${hpaLabel(hpa)} of ${key} in this period.`,
        facts,
      };
    }
    const parts: string[] = [];
    if (min !== hpa.minReplicas) parts.push(`${boundLabel(hpa, 'minReplicas')} ${hpa.minReplicas}→${min}`);
    if (max !== hpa.maxReplicas) parts.push(`${boundLabel(hpa, 'maxReplicas')} ${hpa.maxReplicas}→${max}`);
    return {
      outcome: 'change',
      before,
      after,
      summary: `raise ${hpaLabel(hpa)} of ${key}: ${parts.join(', ')}`,
      reasoning: `ceiling ${action.ceiling}; ${describePolicies(action.policies, action.selectPolicy)}`,
      facts,
    };
  },

  planRestore({ target, restore, snapshot, state, targetHistory, now }) {
    const key = targetKey(target);
    const hpa = state.hpa;
    if (!hpa) return { kind: 'done', detail: `${key} has no HPA any more` };
    const floorMin = snapshot.minReplicas;
    const floorMax = snapshot.maxReplicas;
    const step = (field: string, current: number, floor: number): number => restoreStep(restore, targetHistory, now, field, current, floor);
    const min = hpa.minReplicas > floorMin ? step('minReplicas', hpa.minReplicas, floorMin) : hpa.minReplicas;
    const max = hpa.maxReplicas > floorMax ? Math.max(min, step('maxReplicas', hpa.maxReplicas, floorMax)) : hpa.maxReplicas;
    if (hpa.minReplicas <= floorMin && hpa.maxReplicas <= floorMax) return { kind: 'done', detail: `${hpaLabel(hpa)} of ${key} is back at ${hpa.minReplicas}..${hpa.maxReplicas}` };
    if (min === hpa.minReplicas && max === hpa.maxReplicas) return { kind: 'wait', detail: `the restore policies allow no step down of ${hpaLabel(hpa)} in this period` };
    return {
      kind: 'step',
      before: { minReplicas: hpa.minReplicas, maxReplicas: hpa.maxReplicas },
      after: { minReplicas: min, maxReplicas: max },
      summary: `lower ${hpaLabel(hpa)} of ${key} from ${hpa.minReplicas}..${hpa.maxReplicas} to ${min}..${max} (toward ${floorMin}..${floorMax})`,
    };
  },

  shows(state, fields) {
    for (const [key, want] of Object.entries(fields)) {
      if (key !== 'minReplicas' && key !== 'maxReplicas') return 'unknown';
      if (state.hpa?.[key] !== want) return false;
    }
    return true;
  },
  snapshot: (raw) => ({
    ...(typeof raw.hpa === 'string' ? { hpa: raw.hpa } : {}),
    ...(typeof raw.scaledObject === 'string' ? { scaledObject: raw.scaledObject } : {}),
    minReplicas: numberField(raw, 'minReplicas', 'hpa snapshot'),
    maxReplicas: numberField(raw, 'maxReplicas', 'hpa snapshot'),
  }),
  snapshotFromDecision: (decision) => {
    const [min, max] = BOUNDS.map((b) => numberField(decision.before, b, 'hpa decision.before'));
    return { minReplicas: min!, maxReplicas: max! };
  },
  rollout: {
    waits: 'workload',
    /** The floor the HPA must scale the workload to before it is judged, when the action raised it. */
    floor(decision) {
      const after = decision.after.minReplicas;
      const before = decision.before.minReplicas;
      return typeof after === 'number' && (typeof before !== 'number' || after > before) ? after : null;
    },
  },
};
