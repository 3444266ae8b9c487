/**
 * Issue 21: the Redis clients of `redis` actions are bounded. Before, every distinct address
 * got a client that was never closed and, when its server was unreachable, reconnected
 * forever (500 addresses: 500 clients reconnecting, ~10x idle CPU). Now: at most
 * `maxClients` at once, an idle one is closed, and an unreachable one stops reconnecting.
 * Counted at the servers: each address is a TCP server on 127.0.0.1 that accepts and at once
 * drops the connection (a Redis that cannot be reached), and counts what arrives.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { createRedisConnector, type RedisConnector } from '../../src/actions/redis-connector.js';
import { waitFor } from '../helpers/binaries.js';

interface Refuser {
  address: string;
  connections: number;
  open: Set<Socket>;
  server: Server;
}

async function refuser(): Promise<Refuser> {
  const r: Refuser = { address: '', connections: 0, open: new Set(), server: createServer() };
  r.server.on('connection', (s) => {
    r.connections++;
    s.on('error', () => undefined);
    s.destroy();
  });
  await new Promise<void>((done) => r.server.listen(0, '127.0.0.1', done));
  r.address = `redis://127.0.0.1:${(r.server.address() as { port: number }).port}`;
  return r;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Redis clients are bounded', () => {
  let servers: Refuser[] = [];
  let connector: RedisConnector | null = null;
  afterEach(async () => {
    await connector?.close();
    connector = null;
    await Promise.all(servers.map((s) => new Promise((r) => s.server.close(r))));
    servers = [];
  });

  test('60 unreachable addresses: at most maxClients held, and none keeps reconnecting', async () => {
    servers = await Promise.all(Array.from({ length: 60 }, () => refuser()));
    connector = createRedisConnector({}, { maxClients: 8, idleMs: 60_000, maxReconnects: 3 });
    for (const s of servers) {
      const c = await connector.get(s.address);
      await c.ping().catch(() => undefined);
      expect(connector.size()).toBeLessThanOrEqual(8);
    }
    // Each unreachable client gives up after a few tries (200, 400, 600 ms apart).
    await waitFor('every client gave up', () => Promise.resolve(connector!.size() === 0), 15_000, 100);
    const settled = servers.reduce((n, s) => n + s.connections, 0);
    await sleep(2500);
    const later = servers.reduce((n, s) => n + s.connections, 0);
    // No connection attempt after they gave up, and a bounded number before (1 + maxReconnects each, at most).
    expect({ newConnections: later - settled, boundedTotal: settled <= 60 * 4 }).toEqual({ newConnections: 0, boundedTotal: true });
  }, 60_000);

  test('a client unused for idleMs is closed (seen at the real Redis: CLIENT LIST)', async () => {
    const url = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
    const probe = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    let reason: string | null = null;
    try {
      await probe.connect();
    } catch (err) {
      reason = `Redis not reachable at ${url} (${(err as Error).message}); start it or set TEST_REDIS_URL`;
    }
    if (reason) {
      probe.disconnect();
      if (process.env.CI === 'true') throw new Error(reason);
      console.warn(`SKIPPED: ${reason}`);
      return;
    }
    const ours = async () => ((await probe.call('CLIENT', 'LIST')) as string).split('\n').filter((l) => / name=autoremediator /.test(l)).length;
    try {
      const before = await ours();
      connector = createRedisConnector({}, { maxClients: 8, idleMs: 400 });
      const c = await connector.get(url);
      expect(await c.ping()).toBe('PONG');
      expect(await ours()).toBe(before + 1);
      await waitFor('the idle client closed', async () => (await ours()) === before && connector!.size() === 0, 10_000, 100);
    } finally {
      probe.disconnect();
    }
  }, 30_000);
});
