/**
 * Issue 21: the Redis host of a `redis` action never comes from an alert label. The shipped
 * rule resolves it from the Service in the target's namespace; a rule whose address is a
 * template is a load error. A TCP "trap" listens where an attacker's label points and must
 * see no connection at all (with `passwordEnv`, the first bytes would be the AUTH password).
 */
import { createServer, type Server } from 'node:net';
import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import request from 'supertest';
import { loadRuleTable } from '../../src/rule-table/loader.js';
import { serviceAddress } from '../../src/actions/redis-address.js';
import { startSandboxCluster, type SandboxCluster } from '../helpers/sandbox.js';
import { HOOK, allRemediations, buildApp, notification, passingValidator, quiesce, rulesDir, type HardenedApp } from './helpers.js';

const REDIS = 'redis://127.0.0.1:6379';

test.each([
  ['"redis://{{ $labels.instance }}"'],
  ['"redis://{{ $labels.host }}:6379"'],
  ['"rediss://cache-{{ $labels.shard }}.ci.svc:6379"'],
])('a templated Redis address (%s) is a load error naming the file and the field', async (address) => {
  const dir = rulesDir(`rules:
  - name: r
    matchers: ['alertname="RedisMemoryPressure"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: ci, name: ci-failure-agent-redis }
    action: { type: redis, address: ${address}, passwordEnv: REDIS_PASSWORD, factor: 1.5, cap: 1Gi }
`);
  try {
    const r = await loadRuleTable(dir);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => `${e.path}: ${e.message}`).join('\n')).toMatch(/action\.address: .*must not come from a label/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.each([
  [{ spec: { clusterIP: '10.96.0.7', ports: [{ name: 'redis', port: 6379 }] } }, undefined, { ok: true, address: 'redis://10.96.0.7:6379' }],
  [{ spec: { clusterIP: '10.96.0.7', ports: [{ name: 'redis', port: 6379 }, { name: 'metrics', port: 9121 }] } }, 'redis', { ok: true, address: 'redis://10.96.0.7:6379' }],
  [{ spec: { clusterIP: 'fd00::7', ports: [{ port: 6380 }] } }, 6380, { ok: true, address: 'redis://[fd00::7]:6380' }],
  [{ spec: { clusterIP: 'None', ports: [{ port: 6379 }] } }, undefined, { ok: false, reason: expect.stringMatching(/headless/) }],
  [{ spec: { clusterIP: '10.96.0.7', ports: [{ name: 'a', port: 1 }, { name: 'b', port: 2 }] } }, undefined, { ok: false, reason: expect.stringMatching(/more than one port/) }],
  [{ spec: { clusterIP: '10.96.0.7', ports: [{ name: 'a', port: 1 }] } }, 'redis', { ok: false, reason: expect.stringMatching(/no port named "redis"/) }],
])('serviceAddress(%j, port %j) → %j', (svc, port, expected) => {
  expect(serviceAddress(svc, 'ci/cache', port)).toEqual(expected);
});

describe('the shipped cache-raise-maxmemory rule through the running service (real Redis at 127.0.0.1:6379)', () => {
  let s: SandboxCluster;
  let t: HardenedApp;
  let trap: Server;
  let trapped: number;
  let direct: Redis;
  let original: string;

  beforeEach(async () => {
    s = await startSandboxCluster();
    trapped = 0;
    trap = createServer((sock) => {
      trapped++;
      sock.destroy();
    });
    await new Promise<void>((r) => trap.listen(0, '127.0.0.1', r));
    direct = new Redis(REDIS, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await direct.connect();
    original = ((await direct.config('GET', 'maxmemory')) as string[])[1]!;
    await direct.config('SET', 'maxmemory', String(64 * 1024 * 1024));
    t = await buildApp({ cluster: s.cluster, validator: passingValidator });
  });
  afterEach(async () => {
    await t.close();
    await direct.config('SET', 'maxmemory', original);
    await direct.quit();
    await new Promise((r) => trap.close(r));
    await s.close();
  });

  const trapPort = () => (trap.address() as { port: number }).port;
  const alert = () => notification([{ labels: { alertname: 'RedisMemoryPressure', service: 'ci-failure-agent', namespace: 'ci', instance: `127.0.0.1:${trapPort()}`, severity: 'warning' } }]);

  test('the change goes to the Service of the target namespace; the host the label names gets no connection', async () => {
    s.api.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'ci-failure-agent-redis', namespace: 'ci' }, spec: { clusterIP: '127.0.0.1', ports: [{ name: 'redis', port: 6379 }] } });
    await request(t.app.http).post('/api/v1/alerts').set(HOOK).send(alert()).expect(202);
    await quiesce(t.app);
    const runs = await allRemediations(t.app.store);
    expect(runs.map((r) => [r.rule, r.phase])).toEqual([['cache-raise-maxmemory', 'succeeded']]);
    expect(((await direct.config('GET', 'maxmemory')) as string[])[1]).toBe(String(96 * 1024 * 1024));
    expect(trapped).toBe(0);
  });

  test('without the Service nothing is changed anywhere and the reason names the Service', async () => {
    await request(t.app.http).post('/api/v1/alerts').set(HOOK).send(alert()).expect(202);
    await quiesce(t.app);
    expect(trapped).toBe(0);
    expect(((await direct.config('GET', 'maxmemory')) as string[])[1]).toBe(String(64 * 1024 * 1024));
    const runs = await allRemediations(t.app.store);
    expect(runs.filter((r) => r.phase === 'succeeded')).toEqual([]);
    expect(JSON.stringify(runs.map((r) => r.decision))).toMatch(/services ci\/ci-failure-agent-redis/);
  });
});
