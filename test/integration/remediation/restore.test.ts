/**
 * Restore after resolve: once the alert has stayed resolved for `restore.after`,
 * the target steps back toward its pre-action snapshot at the restore policies'
 * pace, never below it, each step recorded and validated like any action.
 */
import { ScriptedMetrics } from '../../helpers/fake-metrics.js';
import { ACTION_KINDS } from '../../../src/actions/registry.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { referenceCluster, type FakeCluster } from '../../helpers/fake-cluster.js';
import { ADMIN_TOKEN, WEBHOOK_TOKEN, buildTestApp, settle, type TestApp } from '../../helpers/app.js';
import { fixture } from '../../helpers/fixtures.js';
import { ManualClock } from '../../../src/platform/clock.js';
import type { Remediation } from '../../../src/domain/remediation.js';
import { ClusterValidator } from '../../../src/validation/validator.js';
import { silentLogger } from '../../../src/platform/logger.js';

const hook = { Authorization: `Bearer ${WEBHOOK_TOKEN}`, 'Content-Type': 'application/json' };
const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const CONSUMER = 'ci/deployment/ci-failure-agent-consumer';

function rulesDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rules-'));
  writeFileSync(
    join(dir, 'rules.yaml'),
    `rules:
  - name: queue-add-consumers
    matchers: ['alertname="QueueDepthHigh"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: "{{ $labels.namespace }}", name: ci-failure-agent-consumer }
    action: { type: scale, minReplicas: 2, maxReplicas: 12, policies: [{ type: Pods, value: 3, periodSeconds: 60 }] }
    cooldown: 5m
    restore:
      after: 10m
      policies: [{ type: Pods, value: 1, periodSeconds: 60 }]
`,
  );
  return dir;
}

describe('restore after resolve', () => {
  let t: TestApp;
  let cluster: FakeCluster;
  let clock: ManualClock;
  const replicas = () => cluster.states.get(CONSUMER)!.replicas;
  const restoreRuns = async (): Promise<Remediation[]> =>
    ((await request(t.app.http).get('/api/v1/remediations?limit=100').set(admin)).body.items as Remediation[]).filter((r) => r.origin === 'restore');

  beforeEach(async () => {
    cluster = referenceCluster();
    // the captured alerts fired and resolved around 10:20 on 2026-11-28
    clock = new ManualClock(new Date('2026-11-28T10:21:00Z'));
    t = await buildTestApp({ cluster, clock, env: { RULES_DIR: rulesDir() } });
    await t.app.start();
  });
  afterEach(async () => t.close());

  const runRestore = () => t.app.scheduler!.runNow('restore');

  test('steps back 5 → 4 → 3 → 2 at one pod per minute, never below the snapshot, then stops', async () => {
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(fixture('firing-single-QueueDepthHigh').toString()).expect(202);
    await settle(t.app);
    expect(replicas()).toBe(5);

    // still firing: nothing happens
    clock.advance(20 * 60_000);
    await runRestore();
    expect(replicas()).toBe(5);

    await request(t.app.http).post('/api/v1/alerts').set(hook).send(fixture('resolved-single-QueueDepthHigh').toString()).expect(202);
    await settle(t.app);
    // resolved at 10:21:4x; now 10:41: resolved for more than 10 minutes
    await runRestore();
    expect(replicas()).toBe(4);
    // the same minute: the restore policy (1 pod per 60 s) allows no further step
    await runRestore();
    expect(replicas()).toBe(4);

    for (const expected of [3, 2, 2, 2]) {
      clock.advance(61_000);
      await runRestore();
      expect(replicas()).toBe(expected);
    }
    const all = await restoreRuns();
    const runs = all.filter((r) => r.decision.outcome === 'act');
    // Every pass that did not step says why, once per change of reason (not once per pass).
    expect(all.filter((r) => r.decision.outcome === 'skip').map((r) => (r.decision.outcome === 'skip' ? r.decision.reason : null))).toEqual(['policy-limit', 'restore-waiting']);
    expect(runs).toHaveLength(3);
    for (const r of runs) expect(r.phase).toBe('succeeded');
    expect(runs.map((r) => r.decision.after)).toEqual([{ replicas: 2 }, { replicas: 3 }, { replicas: 4 }]);
    expect(runs.at(-1)!.decision.explanation).toMatch(/^Scale ci\/deployment\/ci-failure-agent-consumer back from 5 to 4 replicas \(toward 2\): QueueDepthHigh resolved and stayed resolved for 10m/);
  });

  test('not before the alert has stayed resolved for restore.after', async () => {
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(fixture('firing-single-QueueDepthHigh').toString()).expect(202);
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(fixture('resolved-single-QueueDepthHigh').toString()).expect(202);
    await settle(t.app);
    expect(replicas()).toBe(5);
    clock.advance(5 * 60_000); // resolved about 5 minutes ago
    await runRestore();
    expect(replicas()).toBe(5);
    clock.advance(6 * 60_000);
    await runRestore();
    expect(replicas()).toBe(4);
  });

  test('a restore step does not start the cooldown: the alert firing again acts at once', async () => {
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(fixture('firing-single-QueueDepthHigh').toString()).expect(202);
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(fixture('resolved-single-QueueDepthHigh').toString()).expect(202);
    await settle(t.app);
    clock.advance(20 * 60_000);
    await runRestore();
    expect(replicas()).toBe(4);
    clock.advance(61_000);
    const again = JSON.parse(fixture('firing-single-QueueDepthHigh').toString()) as { alerts: Array<{ startsAt: string }> };
    again.alerts[0]!.startsAt = clock.now().toISOString();
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(JSON.stringify(again)).expect(202);
    await settle(t.app);
    expect(replicas()).toBe(7);
  });
});

/**
 * The flap measured with real Prometheus and Alertmanager (issue 16): a rule with restore.after
 * lowers an HPA floor, validation fails (p99 up), the step is rolled back, and the next restore
 * pass tried again, every few seconds, while the target's breaker was already open. Restore
 * steps count toward the breaker like any action, and an open breaker stops restore.
 */
describe('restore obeys the breaker: the restore flap', () => {
  const AGENT = 'ci/deployment/ci-failure-agent';
  const P99 = 'p99_latency_seconds{namespace="ci"}';

  /** The p99 the validation reads, scripted (ScriptedMetrics meets the metrics source's contract). */
  class P99Metrics extends ScriptedMetrics {
    set value(v: number) {
      this.set(P99, v);
    }
  }

  function flapRules(): string {
    const dir = mkdtempSync(join(tmpdir(), 'rules-'));
    writeFileSync(
      join(dir, 'rules.yaml'),
      `rules:
  - name: raise-agent-floor
    matchers: ['alertname="QueueDepthHigh"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: "{{ $labels.namespace }}", name: ci-failure-agent }
    action: { type: hpa, bound: min, ceiling: 7, policies: [{ type: Pods, value: 4, periodSeconds: 15 }] }
    cooldown: "0"
    validate:
      rolloutTimeout: 1s
      checks:
        - { name: p99, query: 'p99_latency_seconds{namespace="{{ $labels.namespace }}"}', below: 1, interval: 1ms, count: 1 }
    restore:
      after: 1m
      policies: [{ type: Pods, value: 4, periodSeconds: 60 }]
`,
    );
    return dir;
  }

  let t: TestApp;
  let cluster: FakeCluster;
  let clock: ManualClock;
  let metrics: P99Metrics;
  beforeEach(async () => {
    cluster = referenceCluster();
    clock = new ManualClock(new Date('2026-11-28T10:21:00Z'));
    metrics = new P99Metrics();
    metrics.value = 0.2;
    const validator = new ClusterValidator({ kinds: ACTION_KINDS, readObject: (x) => cluster.readObject(x), metrics, clock, logger: silentLogger, pollMs: 1, sleep: () => Promise.resolve() });
    t = await buildTestApp({ cluster, clock, validator, env: { RULES_DIR: flapRules(), BREAKER_ROLLBACKS: '3', BREAKER_WINDOW: '1h' } });
    await t.app.start();
  });
  afterEach(async () => t.close());

  test('three rolled-back restore steps open the breaker, and restore stops', async () => {
    const floor = () => cluster.states.get(AGENT)!.hpa!.minReplicas;
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(fixture('firing-single-QueueDepthHigh').toString()).expect(202);
    await settle(t.app);
    expect(floor()).toBe(7);
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(fixture('resolved-single-QueueDepthHigh').toString()).expect(202);
    await settle(t.app);
    clock.advance(2 * 60_000);

    // The step down hurts: p99 goes above the check's threshold for every restore step.
    metrics.value = 2;
    for (let pass = 0; pass < 15; pass++) {
      await t.app.scheduler!.runNow('restore');
      clock.advance(4_000);
    }

    const runs = ((await request(t.app.http).get('/api/v1/remediations?limit=100').set(admin)).body.items as Remediation[]).filter((r) => r.origin === 'restore');
    const steps = runs.filter((r) => r.decision.outcome === 'act');
    expect(steps.map((r) => r.phase)).toEqual(['rolled_back', 'rolled_back', 'rolled_back']);
    const breakers = (await request(t.app.http).get('/api/v1/breakers').set(admin)).body as { items?: Array<{ targetKey: string; open: boolean }> } | Array<{ targetKey: string; open: boolean }>;
    const list = Array.isArray(breakers) ? breakers : (breakers.items ?? []);
    expect(list.find((b) => b.targetKey === AGENT)?.open).toBe(true);
    // The floor stays where the rollbacks put it, and the restore job says why it stopped, once.
    expect(floor()).toBe(7);
    const skips = runs.filter((r) => r.decision.outcome === 'skip').map((r) => (r.decision.outcome === 'skip' ? r.decision.reason : null));
    expect(skips.filter((r) => r === 'breaker-open')).toHaveLength(1);
  });
});
