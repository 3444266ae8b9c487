/** `scale`, the pure half: plan a step up within the rule's bounds and policies, plan a step back, read a snapshot. */
import type { TargetFields } from '../../domain/cluster.js';
import { targetKey } from '../../domain/target.js';
import { addedInPeriod, changeEvents, describePolicies, restoreStep, stepUp } from '../../planner/step-policy.js';
import type { ScaleAction } from '../../rule-table/schema.js';
import { numberField, type KindPlan } from '../plan-kind.js';

/** What scale reads: the replicas of the scale subresource and the HPA that may manage them. */
export type ScaleState = Pick<TargetFields, 'replicas' | 'hpa' | 'resourceVersion'>;
/** The replicas before the change: what restore puts back. */
export type ScaleSnapshot = {
  replicas: number;
};

export const scalePlan: KindPlan<ScaleAction, ScaleState, ScaleSnapshot> = {
  type: 'scale',
  plan({ action, target, state, targetHistory, now }) {
    const key = targetKey(target);
    if (state.hpa) {
      return {
        outcome: 'skip',
        reason: 'hpa-managed',
        explanation: `${key} is managed by HorizontalPodAutoscaler ${state.hpa.name} (${state.hpa.minReplicas}..${state.hpa.maxReplicas}); a direct scale would be undone at its next sync. Use action type "hpa" to raise its bounds instead.`,
        facts: { hpa: state.hpa },
      };
    }
    if (state.replicas === null) {
      return { outcome: 'skip', reason: 'target-not-found', explanation: `${key} has no scale subresource to change.`, facts: {} };
    }
    const current = state.replicas;
    if (action.selectPolicy === 'Disabled') {
      return { outcome: 'skip', reason: 'policy-disabled', explanation: `Rule's selectPolicy is Disabled: scaling ${key} up is switched off.`, facts: { replicas: current } };
    }
    if (current >= action.maxReplicas) {
      return {
        outcome: 'skip',
        reason: 'at-bound',
        explanation: `${key} already has ${current} replicas, at or above the rule's maxReplicas ${action.maxReplicas}.`,
        facts: { replicas: current, maxReplicas: action.maxReplicas },
      };
    }
    const events = changeEvents(targetHistory, 'replicas');
    const { next, limitedBy } = stepUp({
      current,
      desired: action.maxReplicas,
      min: action.minReplicas,
      max: action.maxReplicas,
      policies: action.policies,
      selectPolicy: action.selectPolicy,
      events,
      now,
    });
    const facts = { replicas: current, minReplicas: action.minReplicas, maxReplicas: action.maxReplicas, addedInPeriod: addedInPeriod(events, action.policies, now), limitedBy };
    if (next <= current) {
      return {
        outcome: 'skip',
        reason: 'policy-limit',
        explanation: `The ${describePolicies(action.policies, action.selectPolicy)} allow no further scale-up of ${key} yet: ${facts.addedInPeriod} replicas were already added in the period.`,
        facts,
      };
    }
    return {
      outcome: 'change',
      before: { replicas: current },
      after: { replicas: next },
      summary: `scale ${key} from ${current} to ${next} replicas`,
      reasoning: `allows up to ${action.maxReplicas}; ${describePolicies(action.policies, action.selectPolicy)} allow ${next} now`,
      facts,
    };
  },

  planRestore({ target, restore, snapshot, state, targetHistory, now }) {
    const key = targetKey(target);
    const current = state.replicas;
    const floor = snapshot.replicas;
    if (current === null) return { kind: 'done', detail: `${key}: nothing to restore` };
    if (current <= floor) return { kind: 'done', detail: `${key} is back at ${current} replicas (snapshot ${floor})` };
    const next = restoreStep(restore, targetHistory, now, 'replicas', current, floor);
    if (next >= current) return { kind: 'wait', detail: `the restore policies allow no step down of ${key} in this period` };
    return { kind: 'step', before: { replicas: current }, after: { replicas: next }, summary: `scale ${key} back from ${current} to ${next} replicas (toward ${floor})` };
  },

  shows(state, fields) {
    for (const [key, want] of Object.entries(fields)) {
      if (key !== 'replicas') return 'unknown';
      if (state.replicas !== want) return false;
    }
    return true;
  },
  snapshot: (raw) => ({ replicas: numberField(raw, 'replicas', 'scale snapshot') }),
  snapshotFromDecision: (decision) => ({ replicas: numberField(decision.before, 'replicas', 'scale decision.before') }),
  rollout: { waits: 'workload' },
};
