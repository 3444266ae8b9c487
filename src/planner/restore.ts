/**
 * Restore after resolve: one step back toward the state before autoremediator
 * raised a target, at the pace of HPA scale-down (Percent/Pods per period), never
 * below that snapshot. Pure.
 */
import type { TargetState } from '../domain/cluster.js';
import type { StateFields } from '../domain/decision.js';
import { targetKey, type TargetRef } from '../domain/target.js';
import type { ActionSpec, RestoreSpec } from '../rule-table/schema.js';
import type { ActionRecord } from '../store/store.js';
import { changeEvents } from './changes.js';
import { formatBytes } from './quantity.js';
import { stepDown } from './step-policy.js';

export type RestorePlan =
  | { kind: 'step'; before: StateFields; after: StateFields; summary: string }
  | { kind: 'done'; detail: string }
  | { kind: 'wait'; detail: string };

export interface RestoreInput {
  action: ActionSpec;
  target: TargetRef;
  restore: RestoreSpec;
  /** The snapshot taken before the first action of this episode: the floor. */
  snapshot: Record<string, unknown>;
  state: Extract<TargetState, { found: true }>;
  targetHistory: readonly ActionRecord[];
  now: Date;
}

export function planRestore(input: RestoreInput): RestorePlan {
  const { action, target, restore, snapshot, state, targetHistory, now } = input;
  const key = targetKey(target);
  const step = (field: string, current: number, floor: number): number =>
    stepDown({ current, desired: floor, floor, policies: restore.policies, selectPolicy: restore.selectPolicy, events: changeEvents(targetHistory, field), now });

  switch (action.type) {
    case 'scale': {
      const current = state.replicas;
      const floor = Number(snapshot.replicas);
      if (current === null || !Number.isFinite(floor)) return { kind: 'done', detail: `${key}: nothing to restore` };
      if (current <= floor) return { kind: 'done', detail: `${key} is back at ${current} replicas (snapshot ${floor})` };
      const next = step('replicas', current, floor);
      if (next >= current) return { kind: 'wait', detail: `the restore policies allow no step down of ${key} in this period` };
      return { kind: 'step', before: { replicas: current }, after: { replicas: next }, summary: `scale ${key} back from ${current} to ${next} replicas (toward ${floor})` };
    }
    case 'hpa': {
      const hpa = state.hpa;
      if (!hpa) return { kind: 'done', detail: `${key} has no HPA any more` };
      const floorMin = Number(snapshot.minReplicas);
      const floorMax = Number(snapshot.maxReplicas);
      const min = hpa.minReplicas > floorMin ? step('minReplicas', hpa.minReplicas, floorMin) : hpa.minReplicas;
      const max = hpa.maxReplicas > floorMax ? Math.max(min, step('maxReplicas', hpa.maxReplicas, floorMax)) : hpa.maxReplicas;
      if (hpa.minReplicas <= floorMin && hpa.maxReplicas <= floorMax) return { kind: 'done', detail: `HPA ${hpa.name} of ${key} is back at ${hpa.minReplicas}..${hpa.maxReplicas}` };
      if (min === hpa.minReplicas && max === hpa.maxReplicas) return { kind: 'wait', detail: `the restore policies allow no step down of HPA ${hpa.name} in this period` };
      return {
        kind: 'step',
        before: { minReplicas: hpa.minReplicas, maxReplicas: hpa.maxReplicas },
        after: { minReplicas: min, maxReplicas: max },
        summary: `lower HPA ${hpa.name} of ${key} from ${hpa.minReplicas}..${hpa.maxReplicas} to ${min}..${max} (toward ${floorMin}..${floorMax})`,
      };
    }
    case 'resources': {
      const c = state.containers.find((x) => x.name === action.container);
      if (!c) return { kind: 'done', detail: `container ${action.container} is gone from ${key}` };
      const res = action.resource;
      const before: StateFields = { [`requests.${res}`]: c.requests[res] ?? null, [`limits.${res}`]: c.limits[res] ?? null };
      const after: StateFields = { [`requests.${res}`]: (snapshot.requests as string | null) ?? null, [`limits.${res}`]: (snapshot.limits as string | null) ?? null };
      if (before[`requests.${res}`] === after[`requests.${res}`] && before[`limits.${res}`] === after[`limits.${res}`]) return { kind: 'done', detail: `${res} of ${key}/${action.container} is back at the snapshot` };
      return { kind: 'step', before, after, summary: `set ${res} of container ${action.container} in ${key} back to requests ${String(after[`requests.${res}`])}, limits ${String(after[`limits.${res}`])}` };
    }
    case 'redis': {
      const floor = Number(snapshot.maxmemory);
      if (state.maxmemory === null || state.maxmemory <= floor) return { kind: 'done', detail: `Redis maxmemory for ${key} is back at or below ${formatBytes(floor)}` };
      return { kind: 'step', before: { maxmemory: state.maxmemory }, after: { maxmemory: floor }, summary: `lower Redis maxmemory for ${key} from ${formatBytes(state.maxmemory)} back to ${formatBytes(floor)}` };
    }
    case 'restart':
    case 'undo':
      return { kind: 'done', detail: `a ${action.type} is not restored after resolve` };
  }
}
