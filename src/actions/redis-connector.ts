/**
 * Connections to the Redis servers that `redis` actions change, one per address,
 * created on first use. Passwords come from the environment variable the rule
 * names, never from the rule itself.
 *
 * Bounded (issue 21): at most `maxClients` clients (the least recently used is closed to
 * make room), a client unused for `idleMs` is closed, and a client that cannot reach its
 * server gives up after `maxReconnects` tries instead of reconnecting forever (it is then
 * dropped; the next use connects afresh).
 */
import type { Redis } from 'ioredis';

export interface RedisConnector {
  get(address: string, passwordEnv?: string): Promise<Redis>;
  /** Clients held right now. */
  size(): number;
  close(): Promise<void>;
}

export interface RedisConnectorOptions {
  /** Clients held at most (default 16). */
  maxClients?: number;
  /** A client unused this long is closed (default 60 s). */
  idleMs?: number;
  /** Reconnection tries after a connection is lost or refused, then the client gives up (default 3). */
  maxReconnects?: number;
}

/** ioredis is loaded on the first redis action, not at start: most deployments never run one. */
let ioredis: Promise<{ Redis: typeof Redis }> | undefined;

export function createRedisConnector(env: Record<string, string | undefined> = process.env, opts: RedisConnectorOptions = {}): RedisConnector {
  const maxClients = Math.max(1, opts.maxClients ?? 16);
  const idleMs = opts.idleMs ?? 60_000;
  const maxReconnects = opts.maxReconnects ?? 3;
  // Insertion order = least recently used first (a use moves the entry to the end).
  const clients = new Map<string, { client: Redis; idle: NodeJS.Timeout }>();

  const drop = (key: string, client: Redis): void => {
    const held = clients.get(key);
    if (held?.client !== client) return;
    clearTimeout(held.idle);
    clients.delete(key);
    client.disconnect();
  };
  const touch = (key: string, client: Redis): void => {
    const held = clients.get(key);
    if (held) {
      clearTimeout(held.idle);
      clients.delete(key);
    }
    const idle = setTimeout(() => drop(key, client), idleMs);
    idle.unref();
    clients.set(key, { client, idle });
  };

  return {
    async get(address, passwordEnv) {
      const key = `${address}|${passwordEnv ?? ''}`;
      const held = clients.get(key);
      if (held) {
        touch(key, held.client);
        return held.client;
      }
      const password = passwordEnv ? env[passwordEnv] : undefined;
      if (passwordEnv && password === undefined) throw new Error(`environment variable ${passwordEnv} (the rule's passwordEnv) is not set`);
      const { Redis } = await (ioredis ??= import('ioredis'));
      // Another caller may have connected while this one waited for the module.
      const raced = clients.get(key);
      if (raced) {
        touch(key, raced.client);
        return raced.client;
      }
      const c = new Redis(address, {
        lazyConnect: true,
        connectTimeout: 2000,
        commandTimeout: 2000,
        maxRetriesPerRequest: 1,
        enableOfflineQueue: true,
        connectionName: 'autoremediator',
        // null: stop reconnecting (the client ends and is dropped below).
        retryStrategy: (times) => (times > maxReconnects ? null : Math.min(times * 200, 1000)),
        ...(password ? { password } : {}),
      });
      c.on('error', () => {});
      c.on('end', () => drop(key, c));
      while (clients.size >= maxClients) {
        const [oldest, entry] = clients.entries().next().value as [string, { client: Redis }];
        drop(oldest, entry.client);
      }
      touch(key, c);
      return c;
    },
    size: () => clients.size,
    async close() {
      const all = [...clients.values()];
      for (const { idle } of all) clearTimeout(idle);
      clients.clear();
      await Promise.all(all.map(({ client }) => client.quit().catch(() => client.disconnect())));
    },
  };
}
