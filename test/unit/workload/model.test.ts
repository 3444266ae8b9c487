/** The load model as pure functions: rates from load and live replicas, and counters that only grow. */
import fc from 'fast-check';
import {
  advance,
  DEFAULT_PARAMS,
  derive,
  emptyCounters,
  LATENCY_BUCKETS,
  latencyDistribution,
  p99At,
  poolErrorShare,
  redisHitRatio,
  stepQueue,
  type Observed,
  type PodView,
  type WorkloadFaults,
} from '../../../src/sandbox/workload/model.js';

const MiB = 1024 * 1024;

function pods(prefix: string, n: number, ready = n, container = 'ci-failure-agent', cpuLimit: number | null = 1): PodView[] {
  return Array.from({ length: n }, (_, i) => ({ namespace: 'ci', name: `${prefix}-${i}`, ready: i < ready, ageSeconds: 60, containers: [{ name: container, cpuLimit }] }));
}

function cluster(o: { api?: number; apiReady?: number; consumers?: number; consumersReady?: number; db?: number; maxConn?: number; maxmemory?: number } = {}): Observed {
  const consumers = pods('ci-failure-agent-consumer-abc', o.consumers ?? 2, o.consumersReady ?? o.consumers ?? 2, 'consumer', 0.5);
  return {
    api: pods('ci-failure-agent-abc', o.api ?? 3, o.apiReady ?? o.api ?? 3),
    consumers,
    dbInstances: Array.from({ length: o.db ?? 2 }, (_, i) => `ci-failure-agent-db-${i + 1}`),
    dbMaxConnections: o.maxConn ?? 200,
    redisMaxmemoryBytes: o.maxmemory ?? 256 * MiB,
    others: [],
    readyByDeployment: { 'ci-failure-agent': o.apiReady ?? o.api ?? 3, 'ci-failure-agent-consumer': o.consumersReady ?? o.consumers ?? 2 },
  };
}

const load = (rps: number, messagesPerSecond = 100) => ({ rps, messagesPerSecond });
const cpuOf = (obs: Observed, rps: number, faults: WorkloadFaults = {}) => Object.values(derive(obs, load(rps), faults).apiPods).filter((p) => p.requests['200'] + p.requests['500'] > 0).map((p) => p.cpuCores);

describe('derive: CPU, latency and errors of the API', () => {
  test.each([
    // 300 req/s over 3 ready pods: 100 each → 0.05 + 100 × 0.003
    [300, 3, 0.35],
    // 900 req/s over 3 pods: above HighPodCPU's 0.8
    [900, 3, 0.95],
    // the same load over 5 pods: below it
    [900, 5, 0.59],
  ])('%i req/s over %i ready pods → %f cores per pod', (rps, n, cores) => {
    for (const c of cpuOf(cluster({ api: n }), rps)) expect(c).toBeCloseTo(cores, 6);
  });

  test('only READY pods receive traffic; a starting pod uses its base CPU', () => {
    const d = derive(cluster({ api: 5, apiReady: 3 }), load(900), {});
    const rates = Object.values(d.apiPods);
    expect(rates.filter((r) => r.cpuCores > 0.9)).toHaveLength(3);
    expect(rates.filter((r) => r.cpuCores === DEFAULT_PARAMS.api.baseCpu)).toHaveLength(2);
    expect(d.apiReady).toBe(3);
  });

  test('beyond capacity a pod is pinned at its CPU limit, sheds with 503 and its p99 is the time-out ceiling', () => {
    const d = derive(cluster({ api: 3 }), load(3000), {});
    const pod = Object.values(d.apiPods)[0]!;
    expect(pod.cpuCores).toBe(1);
    expect(pod.requests['503']).toBeGreaterThan(0);
    expect(pod.p99Seconds).toBe(DEFAULT_PARAMS.api.maxP99Seconds);
    expect(d.errorRatio).toBeGreaterThan(0.5);
  });

  test('p99 stays within the 500 ms SLA below saturation and rises with utilisation', () => {
    const at = (rps: number, n: number) => derive(cluster({ api: n }), load(rps), {}).p99Seconds;
    expect(at(900, 5)).toBeLessThan(at(900, 3));
    expect(at(900, 3)).toBeLessThan(0.5);
    expect(Number.isNaN(derive(cluster(), load(0), {}).p99Seconds)).toBe(true);
  });

  test.each([
    // idle: base + queueing
    [0, 0.03],
    // 95 % utilised: 0.02 + 0.01 / 0.05
    [0.95, 0.22],
    // saturated: the ceiling
    [1, 2.5],
    [1.5, 2.5],
  ])('p99At(%f) = %f s', (u, p99) => {
    expect(p99At(u, DEFAULT_PARAMS.api)).toBeCloseTo(p99, 6);
  });
});

describe('derive: the database couples API and consumer replicas', () => {
  test.each([
    // seed: 3 × 30 + 2 × 10 = 110 over 2 instances of 200
    [3, 2, 2, 0.275],
    // the app scaled to 12: 380 / 2 = 190 → 95 %, DatabaseConnectionsHigh territory
    [12, 2, 2, 0.95],
    // a third instance takes its share: 380 / 3
    [12, 2, 3, 380 / 3 / 200],
    // more consumers hold more connections too: 3 × 30 + 12 × 10 = 210 / 2
    [3, 12, 2, 0.525],
  ])('%i API + %i consumer replicas on %i instances → %f of max_connections', (api, consumers, db, usage) => {
    expect(derive(cluster({ api, consumers, db }), load(300), {}).dbUsage).toBeCloseTo(usage, 6);
  });

  test('beyond max_connections an instance refuses: the usage is capped and the refused share fails with 500', () => {
    const d = derive(cluster({ api: 20, maxConn: 100 }), load(300), {});
    expect(d.dbUsage).toBe(1);
    expect(d.errorRatio).toBeGreaterThan(0.5);
    expect(Object.values(d.apiPods)[0]!.requests['500']).toBeGreaterThan(0);
  });

  test.each([
    // at or below the limit: no errors
    [2, 2, 0],
    // each replica beyond it: 5 % more
    [4, 2, 0.1],
    // at most half
    [40, 2, 0.5],
  ])('poolErrorShare(%i replicas, limit %i) = %f', (replicas, limit, share) => {
    expect(poolErrorShare(replicas, limit)).toBeCloseTo(share, 6);
  });

  test('the dbPoolExhaustedAbove fault counts the named Deployment, and only beyond its limit', () => {
    const fault: WorkloadFaults = { dbPoolExhaustedAbove: { replicas: 2, deployment: 'ci-failure-agent-consumer' } };
    expect(derive(cluster({ consumers: 2 }), load(300), fault).errorRatio).toBe(0);
    const harmful = derive(cluster({ consumers: 4 }), load(300), fault);
    expect(harmful.poolExhausted).toBe(true);
    expect(harmful.errorRatio).toBeCloseTo(0.1, 6);
    // without a deployment it counts the API
    expect(derive(cluster({ api: 5 }), load(300), { dbPoolExhaustedAbove: { replicas: 3 } }).errorRatio).toBeCloseTo(0.1, 6);
  });
});

describe('queue, Redis and memory', () => {
  test.each([
    // grows by inflow − capacity
    [0, 400, 300, 1, 100, 300],
    // drains
    [1000, 100, 300, 2, 600, 600],
    // never below 0: consumes only what is there
    [100, 0, 300, 1, 0, 100],
  ])('stepQueue(depth %i, in %i/s, capacity %i/s, %i s) → depth %i, consumed %i', (depth, inflow, cap, dt, next, consumed) => {
    expect(stepQueue(depth, inflow, cap, dt)).toEqual({ depth: next, consumed });
  });

  test('consumers: ready replicas × their throughput', () => {
    expect(derive(cluster({ consumers: 4, consumersReady: 3 }), load(300, 100), {}).consumeCapacity).toBe(3 * DEFAULT_PARAMS.consumer.messagesPerSecondPerPod);
  });

  test.each([
    // the working set fits: the best hit ratio
    [100, 256, 0.98],
    // twice maxmemory: half of it
    [512, 256, 0.49],
    // no maxmemory (0): no limit
    [512, 0, 0.98],
  ])('redisHitRatio(working set %i MiB, maxmemory %i MiB) = %f', (ws, max, ratio) => {
    expect(redisHitRatio(ws * MiB, max * MiB, 0.98)).toBeCloseTo(ratio, 6);
  });

  test('Redis memory used is capped at maxmemory and grows with the request rate', () => {
    const low = derive(cluster(), load(300), {}).redis;
    const high = derive(cluster({ api: 12 }), load(4000), {}).redis;
    expect(low.usedBytes).toBeLessThan(0.9 * low.maxBytes);
    expect(high.usedBytes).toBe(high.maxBytes);
    expect(high.hitRatio).toBeLessThan(low.hitRatio);
  });

  test('a memory leak grows the working set with pod age', () => {
    const young = cluster();
    const old: Observed = { ...young, api: young.api.map((p) => ({ ...p, ageSeconds: 600 })) };
    const fault = { memoryLeakMiBPerMinute: 100 };
    const mem = (o: Observed) => Object.values(derive(o, load(300), fault).apiPods)[0]!.memoryBytes;
    expect(mem(old) - mem(young)).toBeCloseTo(900 * MiB, 0);
  });
});

describe('latency histogram', () => {
  test('the exponential distribution puts 99 % of requests at or below the p99', () => {
    const p99 = 0.25;
    const { cumulative } = latencyDistribution(p99);
    const i = LATENCY_BUCKETS.indexOf(0.25);
    expect(cumulative[i]).toBeCloseTo(0.99, 9);
    for (let k = 1; k < cumulative.length; k++) expect(cumulative[k]!).toBeGreaterThanOrEqual(cumulative[k - 1]!);
  });
});

describe('advance: counters', () => {
  test('integrate rates over the interval: CPU seconds, requests by code, histogram count and sum', () => {
    const obs = cluster();
    const d = derive(obs, load(300), {});
    const c = advance(emptyCounters(), obs, load(300), d, 2);
    const pod = obs.api[0]!;
    expect(c.cpuSeconds[`ci/${pod.name}/ci-failure-agent`]).toBeCloseTo(0.7, 9);
    expect(c.api[pod.name]!.requests['200']).toBeCloseTo(200, 9);
    expect(c.api[pod.name]!.count).toBeCloseTo(200, 9);
    expect(c.api[pod.name]!.buckets.at(-1)).toBeLessThanOrEqual(c.api[pod.name]!.count);
    expect(c.redisHits + c.redisMisses).toBeCloseTo(300 * 2 * 2, 6);
  });

  test('a pod that is gone loses its series; a new one starts at zero', () => {
    const before = cluster({ api: 3 });
    const c1 = advance(emptyCounters(), before, load(300), derive(before, load(300), {}), 1);
    const after: Observed = { ...before, api: [...before.api.slice(1), { ...before.api[0]!, name: 'ci-failure-agent-abc-new' }] };
    const c2 = advance(c1, after, load(300), derive(after, load(300), {}), 1);
    expect(c2.api[before.api[0]!.name]).toBeUndefined();
    expect(c2.api['ci-failure-agent-abc-new']!.count).toBeCloseTo(100, 9);
    expect(c2.api[before.api[1]!.name]!.count).toBeCloseTo(200, 9);
  });

  test('property: whatever the load and the replicas do, no counter of a pod that stays ever decreases', () => {
    const step = fc.record({
      rps: fc.double({ min: 0, max: 5000, noNaN: true }),
      mps: fc.double({ min: 0, max: 3000, noNaN: true }),
      apiReady: fc.integer({ min: 0, max: 6 }),
      consumersReady: fc.integer({ min: 0, max: 4 }),
      db: fc.integer({ min: 0, max: 3 }),
      dt: fc.double({ min: 0, max: 5, noNaN: true }),
      fault: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 30 }), (steps) => {
        let c = emptyCounters();
        for (const s of steps) {
          const obs = cluster({ api: 6, apiReady: s.apiReady, consumers: 4, consumersReady: s.consumersReady, db: s.db });
          const faults: WorkloadFaults = s.fault ? { dbPoolExhaustedAbove: { replicas: 1 } } : {};
          const l = load(s.rps, s.mps);
          const next = advance(c, obs, l, derive(obs, l, faults), s.dt);
          const shrunk = [
            ...Object.entries(c.cpuSeconds).filter(([k, v]) => next.cpuSeconds[k]! < v).map(([k]) => `cpu ${k}`),
            ...Object.entries(c.api).flatMap(([name, p]) => {
              const n = next.api[name]!;
              const bad = (['200', '500', '503'] as const).filter((code) => n.requests[code] < p.requests[code]).map((code) => `requests ${code}`);
              if (n.buckets.some((b, i) => b < p.buckets[i]!)) bad.push('a bucket');
              if (n.count < p.count || n.sum < p.sum) bad.push('count/sum');
              return bad.map((b) => `${name} ${b}`);
            }),
            ...(next.redisHits < c.redisHits || next.redisMisses < c.redisMisses ? ['redis'] : []),
            ...(next.messagesConsumed < c.messagesConsumed || next.queueDepth < 0 ? ['queue'] : []),
          ];
          if (shrunk.length) return false;
          c = next;
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });
});
