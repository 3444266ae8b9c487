/**
 * Connections to the Redis servers that `redis` actions change, one per address,
 * created on first use. Passwords come from the environment variable the rule
 * names, never from the rule itself.
 */
import { Redis } from 'ioredis';

export interface RedisConnector {
  get(address: string, passwordEnv?: string): Redis;
  close(): Promise<void>;
}

export function createRedisConnector(env: Record<string, string | undefined> = process.env): RedisConnector {
  const clients = new Map<string, Redis>();
  return {
    get(address, passwordEnv) {
      const key = `${address}|${passwordEnv ?? ''}`;
      let c = clients.get(key);
      if (!c) {
        const password = passwordEnv ? env[passwordEnv] : undefined;
        if (passwordEnv && password === undefined) throw new Error(`environment variable ${passwordEnv} (the rule's passwordEnv) is not set`);
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
