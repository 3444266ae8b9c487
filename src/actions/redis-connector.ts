/**
 * Connections to the Redis servers that `redis` actions change, one per address,
 * created on first use. Passwords come from the environment variable the rule
 * names, never from the rule itself.
 */
import type { Redis } from 'ioredis';

export interface RedisConnector {
  get(address: string, passwordEnv?: string): Promise<Redis>;
  close(): Promise<void>;
}

/** ioredis is loaded on the first redis action, not at start: most deployments never run one. */
let ioredis: Promise<{ Redis: typeof Redis }> | undefined;

export function createRedisConnector(env: Record<string, string | undefined> = process.env): RedisConnector {
  const clients = new Map<string, Redis>();
  return {
    async get(address, passwordEnv) {
      const key = `${address}|${passwordEnv ?? ''}`;
      let c = clients.get(key);
      if (!c) {
        const password = passwordEnv ? env[passwordEnv] : undefined;
        if (passwordEnv && password === undefined) throw new Error(`environment variable ${passwordEnv} (the rule's passwordEnv) is not set`);
        const { Redis } = await (ioredis ??= import('ioredis'));
        // Another caller may have connected while this one waited for the module.
        const raced = clients.get(key);
        if (raced) return raced;
        c = new Redis(address, { lazyConnect: true, connectTimeout: 2000, commandTimeout: 2000, maxRetriesPerRequest: 1, enableOfflineQueue: true, ...(password ? { password } : {}) });
        c.on('error', () => {});
        clients.set(key, c);
      }
      return c;
    },
    async close() {
      await Promise.all([...clients.values()].map((c) => c.quit().catch(() => c.disconnect())));
      clients.clear();
    },
  };
}
