/**
 * After an action: readiness and metric checks decide between succeeded and a
 * rollback; rollbacks open breakers; a succeeded run can be undone by hand; runs
 * interrupted by a restart resume without applying twice. Real SQLite store, the
 * engine and validator as in production; the cluster and Prometheus are
 * hand-written fakes (the same flows run against the sandbox and a real
 * Prometheus in test/e2e).
 */
import { ACTION_KINDS } from '../../../src/actions/registry.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { referenceCluster, type FakeCluster } from '../../helpers/fake-cluster.js';
import { ADMIN_TOKEN, WEBHOOK_TOKEN, buildTestApp, settle, type TestApp } from '../../helpers/app.js';
import { fixture } from '../../helpers/fixtures.js';
import { ClusterValidator } from '../../../src/validation/validator.js';
import { systemClock } from '../../../src/platform/clock.js';
import { silentLogger } from '../../../src/platform/logger.js';
import type { Remediation } from '../../../src/domain/remediation.js';
import type { Validator } from '../../../src/validation/port.js';
import type { MetricsSource, QueryResult } from '../../../src/validation/prometheus.js';

const hook = { Authorization: `Bearer ${WEBHOOK_TOKEN}`, 'Content-Type': 'application/json' };
const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

/** Answers queries from a script: a value or an error per query text. */
class FakeMetrics implements MetricsSource {
  values = new Map<string, QueryResult>();
  queries: string[] = [];
  /** Each query with the instant it asked about (null: now) and how many writes had reached the cluster by then. */
  asked: Array<{ q: string; at: Date | null; writesBefore: number }> = [];
  writes: () => number = () => 0;
  query(q: string, at?: Date): Promise<QueryResult> {
    this.queries.push(q);
    this.asked.push({ q, at: at ?? null, writesBefore: this.writes() });
    return Promise.resolve(this.values.get(q) ?? { ok: false, error: 'no data' });
  }
}

function rulesDir(extra: { onInconclusive?: string; rolloutTimeout?: string } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'rules-'));
  writeFileSync(
    join(dir, 'rules.yaml'),
    `rules:
  - name: queue-add-consumers
    matchers: ['alertname="QueueDepthHigh"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: "{{ $labels.namespace }}", name: ci-failure-agent-consumer }
    action: { type: scale, minReplicas: 2, maxReplicas: 12, policies: [{ type: Pods, value: 2, periodSeconds: 1 }] }
    cooldown: "0"
    validate:
      rolloutTimeout: ${extra.rolloutTimeout ?? '2s'}
      onInconclusive: ${extra.onInconclusive ?? 'keep'}
      checks:
        - name: error-rate
          query: 'sum(rate(errors{namespace="{{ $labels.namespace }}"}[1m]))'
          belowBaseline: 1.1
          interval: 10ms
          count: 2
          consecutiveErrorLimit: 1
        - name: queue-depth
          query: 'queue_depth{queue="{{ $labels.queue }}"}'
          below: 5000
          interval: 10ms
          count: 2
          consecutiveErrorLimit: 1
`,
  );
  return dir;
}

const ERR = 'sum(rate(errors{namespace="ci"}[1m]))';
const QUEUE = 'queue_depth{queue="ci-failure-events"}';

/** The captured QueueDepthHigh alert, made a new episode (new startsAt, so not a duplicate). */
function episode(n: number): string {
  const body = JSON.parse(fixture('firing-single-QueueDepthHigh').toString()) as { alerts: Array<{ startsAt: string }> };
  body.alerts[0]!.startsAt = new Date(Date.parse('2026-11-28T10:00:00Z') + n * 1000).toISOString();
  return JSON.stringify(body);
}

async function build(cluster: FakeCluster, metrics: FakeMetrics, extra: Parameters<typeof rulesDir>[0] = {}, env: Record<string, string> = {}): Promise<TestApp> {
  const validator = new ClusterValidator({ kinds: ACTION_KINDS, readObject: (t) => cluster.readObject(t), metrics, clock: systemClock, logger: silentLogger, pollMs: 10 });
  return buildTestApp({ cluster, env: { RULES_DIR: rulesDir(extra), ...env }, validator });
}

async function latest(t: TestApp): Promise<Remediation> {
  const res = await request(t.app.http).get('/api/v1/remediations?limit=1').set(admin).expect(200);
  return res.body.items[0] as Remediation;
}

describe('validation decides between succeeded and rollback', () => {
  let t: TestApp;
  let cluster: FakeCluster;
  let metrics: FakeMetrics;
  beforeEach(() => {
    cluster = referenceCluster();
    metrics = new FakeMetrics();
    metrics.values.set(ERR, { ok: true, value: 0.01 });
    metrics.values.set(QUEUE, { ok: true, value: 1500 });
  });
  afterEach(async () => t.close());

  test('healthy: succeeded, with baseline and measured values side by side', async () => {
    t = await build(cluster, metrics);
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(episode(1)).expect(202);
    await settle(t.app);
    const rem = await latest(t);
    expect(rem.phase).toBe('succeeded');
    expect(rem.result).toMatchObject({
      baseline: { 'error-rate': { query: ERR, value: 0.01 }, 'queue-depth': { value: 1500 } },
      validation: { outcome: 'passed', rollout: { state: 'done' }, checks: { 'error-rate': { phase: 'Successful', baseline: 0.01, after: 0.01 } } },
    });
    expect(cluster.restored).toHaveLength(0);
  });

  test('the baseline does not delay the write: asked for after it, about the decision\'s instant (time=)', async () => {
    metrics.writes = () => cluster.applied.length;
    t = await build(cluster, metrics);
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(episode(1)).expect(202);
    await settle(t.app);
    const rem = await latest(t);
    expect(rem.phase).toBe('succeeded');
    const baselineQueries = metrics.asked.filter((a) => a.at !== null);
    expect(baselineQueries.map((a) => a.q).sort()).toEqual([ERR, QUEUE].sort());
    for (const a of baselineQueries) {
      expect(a.at!.toISOString()).toBe(rem.createdAt);
      expect(a.writesBefore).toBe(1);
    }
    // The validation's own measurements ask about now.
    expect(metrics.asked.filter((a) => a.at === null).length).toBeGreaterThan(0);
    expect((rem.result as { baseline: Record<string, { at: string }> }).baseline['error-rate']!.at).toBe(rem.createdAt);
  });

  test('target never becomes ready: rolled back, replicas restored', async () => {
    t = await build(cluster, metrics, { rolloutTimeout: '100ms' });
    cluster.notReady.add('ci/deployment/ci-failure-agent-consumer');
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(episode(1)).expect(202);
    await settle(t.app);
    const rem = await latest(t);
    expect(rem.phase).toBe('rolled_back');
    expect(rem.transitions.map((x) => x.to)).toEqual(['planned', 'applying', 'validating', 'rolling_back', 'rolled_back']);
    expect(rem.result).toMatchObject({ validation: { outcome: 'failed', rollout: { state: 'failed' } }, rollback: { ok: true } });
    expect(cluster.restored).toEqual([{ key: 'ci/deployment/ci-failure-agent-consumer', snapshot: expect.objectContaining({ replicas: 2 }) }]);
    expect(cluster.states.get('ci/deployment/ci-failure-agent-consumer')!.replicas).toBe(2);
  });

  test('the error rate rises above 1.1 × baseline after the action: rolled back', async () => {
    t = await build(cluster, metrics);
    let calls = 0;
    metrics.query = (q: string) => {
      // the first error-rate query is the baseline; afterwards it triples
      if (q === ERR) return Promise.resolve({ ok: true as const, value: calls++ === 0 ? 0.01 : 0.03 });
      return Promise.resolve({ ok: true as const, value: 100 });
    };
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(episode(1)).expect(202);
    await settle(t.app);
    const rem = await latest(t);
    expect(rem.phase).toBe('rolled_back');
    expect((rem.result as { validation: { summary: string } }).validation.summary).toMatch(/error-rate: Failed \(after 0.03, baseline 0.01\)/);
  });

  test.each([
    ['keep', 'succeeded'],
    ['rollback', 'rolled_back'],
  ])('Prometheus down during validation, onInconclusive %s → %s', async (policy, phase) => {
    t = await build(cluster, metrics, { onInconclusive: policy });
    let n = 0;
    metrics.query = (q: string) => Promise.resolve(n++ < 2 ? { ok: true as const, value: q === ERR ? 0.01 : 10 } : { ok: false as const, error: 'Prometheus unreachable: connect ECONNREFUSED' });
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(episode(1)).expect(202);
    await settle(t.app);
    const rem = await latest(t);
    expect(rem.phase).toBe(phase);
    expect(rem.result).toMatchObject({ validation: { outcome: 'inconclusive' } });
  });

  test('K rollbacks of one target within the window open its breaker; then nothing automatic touches it', async () => {
    t = await build(cluster, metrics, { rolloutTimeout: '50ms' }, { BREAKER_ROLLBACKS: '2' });
    cluster.notReady.add('ci/deployment/ci-failure-agent-consumer');
    for (const n of [1, 2]) {
      await request(t.app.http).post('/api/v1/alerts').set(hook).send(episode(n)).expect(202);
      await settle(t.app);
      await new Promise((r) => setTimeout(r, 1100)); // the step policy's 1 s period
    }
    const breakers = await request(t.app.http).get('/api/v1/breakers').set(admin).expect(200);
    expect(breakers.body.items).toEqual([expect.objectContaining({ targetKey: 'ci/deployment/ci-failure-agent-consumer', open: true, reason: expect.stringMatching(/2 rollbacks/) })]);
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(episode(3)).expect(202);
    await settle(t.app);
    expect((await latest(t)).decision).toMatchObject({ outcome: 'skip', reason: 'breaker-open' });
    expect(cluster.applied).toHaveLength(2);
    const m = await request(t.app.http).get('/metrics').expect(200);
    expect(m.text).toMatch(/autoremediator_breakers_open 1/);
    // The two applied changes were timed from their webhooks; the breaker-open skip was not.
    expect(m.text).toMatch(/^autoremediator_reaction_seconds_count 2$/m);
  });

  test('a failed rollback ends failed and opens the breaker at once', async () => {
    t = await build(cluster, metrics, { rolloutTimeout: '50ms' });
    cluster.notReady.add('ci/deployment/ci-failure-agent-consumer');
    cluster.nextRestoreFailure = { ok: false, retryable: false, reason: 'forbidden', detail: 'deployments.apps/scale is forbidden' };
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(episode(1)).expect(202);
    await settle(t.app);
    const rem = await latest(t);
    expect(rem.phase).toBe('failed');
    expect(rem.transitions.at(-1)!.note).toMatch(/rollback failed \(forbidden\)/);
    expect((await t.app.store.getBreaker('ci/deployment/ci-failure-agent-consumer'))?.open).toBe(true);
  });

  test('a succeeded run can be rolled back by hand; that does not count toward the breaker', async () => {
    t = await build(cluster, metrics, {}, { BREAKER_ROLLBACKS: '1' });
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(episode(1)).expect(202);
    await settle(t.app);
    const rem = await latest(t);
    expect(rem.phase).toBe('succeeded');
    const res = await request(t.app.http).post(`/api/v1/remediations/${rem.id}/rollback`).set(admin).set('X-Actor', 'alice').expect(200);
    expect(res.body.phase).toBe('rolled_back');
    expect(res.body.transitions.find((x: { to: string }) => x.to === 'rolling_back').note).toBe('manual rollback requested by alice');
    expect(cluster.states.get('ci/deployment/ci-failure-agent-consumer')!.replicas).toBe(2);
    expect(await t.app.store.getBreaker('ci/deployment/ci-failure-agent-consumer')).toBeNull();
    const again = await request(t.app.http).post(`/api/v1/remediations/${rem.id}/rollback`).set(admin).expect(409);
    expect(again.body.error.message).toMatch(/rolled_back/);
  });

  test('a validation that throws unexpectedly lets its lease lapse: the resume job finishes the run', async () => {
    const real = new ClusterValidator({ kinds: ACTION_KINDS, readObject: (x) => cluster.readObject(x), metrics, clock: systemClock, logger: silentLogger, pollMs: 10 });
    let throws = 1;
    const validator: Validator = {
      baseline: (rule, alert, at) => real.baseline(rule, alert, at),
      validate: (rem, rule, action) => (throws-- > 0 ? Promise.reject(new Error('a bug in a check')) : real.validate(rem, rule, action)),
    };
    t = await buildTestApp({ cluster, env: { RULES_DIR: rulesDir() }, validator });
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(episode(1)).expect(202);
    await settle(t.app);
    const stuck = await latest(t);
    expect(stuck.phase).toBe('validating');
    // Once its lease is stale (here: at once), a resume pass of this very process takes it up again.
    expect(await t.app.engine.resume(new Date(Date.now() + 60_000))).toBe(1);
    const until = Date.now() + 5000;
    while ((await latest(t)).phase === 'validating' && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    const rem = await latest(t);
    expect(rem.id).toBe(stuck.id);
    expect(rem.phase).toBe('succeeded');
    expect(cluster.states.get('ci/deployment/ci-failure-agent-consumer')!.replicas).toBeGreaterThan(2);
  });

  test('a baseline measurement that throws unexpectedly (after the write, before judging): resumed the same way, applied once', async () => {
    const real = new ClusterValidator({ kinds: ACTION_KINDS, readObject: (x) => cluster.readObject(x), metrics, clock: systemClock, logger: silentLogger, pollMs: 10 });
    let throws = 1;
    const validator: Validator = {
      baseline: (rule, alert, at) => (throws-- > 0 ? Promise.reject(new Error('a bug in a check')) : real.baseline(rule, alert, at)),
      validate: (rem, rule, action) => real.validate(rem, rule, action),
    };
    t = await buildTestApp({ cluster, env: { RULES_DIR: rulesDir() }, validator });
    const writes = () => cluster.applied.length;
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(episode(1)).expect(202);
    await settle(t.app);
    const stuck = await latest(t);
    expect(stuck.phase).toBe('validating');
    expect(writes()).toBe(1);
    expect(await t.app.engine.resume(new Date(Date.now() + 60_000))).toBe(1);
    const until = Date.now() + 5000;
    while (!['succeeded', 'rolled_back', 'failed'].includes((await latest(t)).phase) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect((await latest(t)).phase).toBe('succeeded');
    expect(writes()).toBe(1);
  });
});
