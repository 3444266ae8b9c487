/** `redis`: raise `maxmemory` with CONFIG SET (and CONFIG REWRITE where the server has a config file). */
import type { TargetFields } from '../../domain/cluster.js';
import type { RedisAction } from '../../rule-table/schema.js';
import { targetKey } from '../../domain/target.js';
import { formatBytes } from '../../planner/quantity.js';
import { foundState, Refused, type ActionKind } from '../kind.js';
import { numberField } from '../plan-kind.js';
import { redisPlan, type RedisSnapshot } from './plan.js';
import type { RedisConnector } from '../redis-connector.js';
import { redisAddress } from '../redis-address.js';

async function maxmemory(redis: RedisConnector, address: string, action: RedisAction): Promise<number> {
  const c = await redis.get(address, action.passwordEnv);
  const reply = (await c.config('GET', 'maxmemory')) as string[];
  const v = Number(reply[1]);
  if (!Number.isFinite(v)) throw new Error(`CONFIG GET maxmemory at ${address} answered ${JSON.stringify(reply)}`);
  return v;
}

async function setMaxmemory(redis: RedisConnector, address: string, action: RedisAction, bytes: number): Promise<string> {
  const c = await redis.get(address, action.passwordEnv);
  await c.config('SET', 'maxmemory', String(bytes));
  if (!action.rewrite) return 'not persisted (rewrite: false)';
  try {
    await c.config('REWRITE');
    return 'persisted with CONFIG REWRITE';
  } catch (err) {
    // A server started without a config file cannot rewrite it; the change holds until it restarts.
    return `not persisted: ${(err as Error).message}`;
  }
}

export const redisKind: ActionKind<RedisAction, TargetFields, RedisSnapshot> = {
  ...redisPlan,
  events: { up: 'AutoremediatorRedisMaxmemory', down: 'AutoremediatorRedisMaxmemoryRestored' },
  async read({ kube, redis }, target, action) {
    const [obj, mm] = await Promise.all([kube.getObject(target), redisAddress(kube, target, action).then((a) => maxmemory(redis, a, action))]);
    return foundState({ maxmemory: mm, resourceVersion: obj.metadata?.resourceVersion ?? null });
  },
  async apply({ kube, redis }, decision, action) {
    const before = numberField(decision.before, 'maxmemory', 'redis decision.before');
    const after = numberField(decision.after, 'maxmemory', 'redis decision.after');
    const address = await redisAddress(kube, decision.target, action);
    const now = await maxmemory(redis, address, action);
    if (now !== before) throw new Refused(`maxmemory at ${address} changed since the plan: ${now}, planned from ${before}`);
    const persisted = await setMaxmemory(redis, address, action, after);
    return {
      detail: `raised Redis maxmemory for ${targetKey(decision.target)} from ${formatBytes(before)} to ${formatBytes(after)} (${persisted})`,
      snapshot: { maxmemory: before },
      applied: { maxmemory: after },
    };
  },
  async restore({ kube, redis }, t, action, { maxmemory: bytes }) {
    const persisted = await setMaxmemory(redis, await redisAddress(kube, t, action), action, bytes);
    return { detail: `restored Redis maxmemory for ${targetKey(t)} to ${formatBytes(bytes)} (${persisted})` };
  },
};
