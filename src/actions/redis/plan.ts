/** `redis`, the pure half: plan a raise of `maxmemory` up to the cap, plan the way back, read a snapshot. */
import type { TargetFields } from '../../domain/cluster.js';
import { targetKey } from '../../domain/target.js';
import { formatBytes, parseQuantity } from '../../planner/quantity.js';
import type { RedisAction } from '../../rule-table/schema.js';
import { numberField, type KindPlan } from '../plan-kind.js';

/** What redis reads: the server's maxmemory (null when it could not be read). */
export type RedisState = Pick<TargetFields, 'maxmemory' | 'resourceVersion'>;
/** maxmemory in bytes before the change. */
export type RedisSnapshot = {
  maxmemory: number;
};

export const redisPlan: KindPlan<RedisAction, RedisState, RedisSnapshot> = {
  type: 'redis',
  plan({ action, target, state }) {
    const key = targetKey(target);
    const current = state.maxmemory;
    const cap = parseQuantity(action.cap)!;
    if (current === null) {
      return { outcome: 'skip', reason: 'state-unavailable', explanation: `Could not read maxmemory of the Redis server for ${key}.`, facts: {} };
    }
    if (current === 0) {
      return { outcome: 'skip', reason: 'at-bound', explanation: `Redis for ${key} has maxmemory 0 (no limit); there is nothing to raise.`, facts: { maxmemory: 0 } };
    }
    const wanted = action.to !== undefined ? parseQuantity(action.to)! : Math.ceil(current * action.factor!);
    const next = Math.min(wanted, cap);
    const facts = { maxmemory: current, cap };
    if (next <= current) {
      return { outcome: 'skip', reason: 'at-bound', explanation: `Redis maxmemory for ${key} is ${formatBytes(current)}, already at or above the rule's cap ${formatBytes(cap)}.`, facts };
    }
    return {
      outcome: 'change',
      before: { maxmemory: current },
      after: { maxmemory: next },
      summary: `raise Redis maxmemory for ${key} from ${formatBytes(current)} to ${formatBytes(next)}`,
      reasoning: `${action.factor !== undefined ? `factor ${action.factor}` : `to ${String(action.to)}`}, capped at ${formatBytes(cap)}`,
      facts,
    };
  },

  planRestore({ target, snapshot, state }) {
    const key = targetKey(target);
    const floor = snapshot.maxmemory;
    if (state.maxmemory === null || state.maxmemory <= floor) return { kind: 'done', detail: `Redis maxmemory for ${key} is back at or below ${formatBytes(floor)}` };
    return { kind: 'step', before: { maxmemory: state.maxmemory }, after: { maxmemory: floor }, summary: `lower Redis maxmemory for ${key} from ${formatBytes(state.maxmemory)} back to ${formatBytes(floor)}` };
  },

  shows(state, fields) {
    for (const [key, want] of Object.entries(fields)) {
      if (key !== 'maxmemory') return 'unknown';
      if (state.maxmemory !== want) return false;
    }
    return true;
  },
  snapshot: (raw) => ({ maxmemory: numberField(raw, 'maxmemory', 'redis snapshot') }),
  snapshotFromDecision: (decision) => ({ maxmemory: numberField(decision.before, 'maxmemory', 'redis decision.before') }),
  // The change goes to Redis: no rollout to wait for.
  rollout: { waits: 'none' },
};
