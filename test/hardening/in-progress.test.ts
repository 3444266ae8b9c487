/**
 * Issue 21: one run at a time per target, whatever the run's age. A run still validating
 * after the planner's history window (here 10 minutes: the budgets' window) must keep the
 * next alert on its target off (`in-progress`), instead of a second run acting under it
 * and the first one's rollback later restoring an old snapshot under the second.
 */
import request from 'supertest';
import type { Validator } from '../../src/validation/port.js';
import { withActiveRuns } from '../../src/planner/history.js';
import type { ActionRecord } from '../../src/store/store.js';
import { referenceCluster } from '../helpers/fake-cluster.js';
import { HOOK, JumpClock, Latch, allRemediations, buildApp, notification, quiesce } from './helpers.js';

const rec = (id: string, atMs: number, phase: ActionRecord['phase']): ActionRecord => ({
  remediationId: id, rule: 'r', targetKey: 'ci/deployment/x', namespace: 'ci', at: new Date(atMs), phase, dryRun: false, before: {}, after: {}, undoneAt: null, origin: 'alert',
});

test.each([
  ['nothing active', [rec('b', 20, 'succeeded')], [], ['b']],
  ['an active run older than the window joins, oldest last', [rec('c', 30, 'succeeded'), rec('b', 20, 'failed')], [rec('a', 1, 'validating')], ['c', 'b', 'a']],
  ['an active run inside the window appears once', [rec('b', 20, 'validating')], [rec('b', 20, 'validating')], ['b']],
])('withActiveRuns: %s', (_name, history, active, ids) => {
  expect(withActiveRuns(history, active).map((h) => h.remediationId)).toEqual(ids);
});

test('a run validating past the history window keeps a second run off its target (in-progress)', async () => {
  const clock = new JumpClock();
  const gate = new Latch();
  let validating = 0;
  const validator: Validator = {
    async validate() {
      validating++;
      await gate.opened;
      return { outcome: 'passed', summary: 'passed (held by the test)', details: {} };
    },
  };
  const cluster = referenceCluster();
  const t = await buildApp({ cluster, validator, clock });
  try {
    const queue = (fp: string) => notification([{ labels: { alertname: 'QueueDepthHigh', service: 'ci-failure-agent', namespace: 'ci', queue: 'ci-failure-events', severity: 'warning' }, fingerprint: fp }]);
    await request(t.app.http).post('/api/v1/alerts').set(HOOK).send(queue('00000000000000a1')).expect(202);
    for (let i = 0; validating === 0 && i < 500; i++) await new Promise((r) => setTimeout(r, 10));
    expect(validating).toBe(1);
    // 20 minutes later (window: max(cooldown 3m, budgets 10m, policy 2m)), the first run still validates.
    clock.jump(20 * 60_000);
    await request(t.app.http).post('/api/v1/alerts').set(HOOK).send(queue('00000000000000a2')).expect(202);
    for (let i = 0; i < 500 && (await allRemediations(t.app.store)).length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    gate.open();
    await quiesce(t.app);
    const runs = await allRemediations(t.app.store);
    expect(runs.map((r) => [r.phase, r.decision.outcome === 'skip' ? r.decision.reason : 'act']).sort()).toEqual([['skipped', 'in-progress'], ['succeeded', 'act']]);
    expect(cluster.applied).toHaveLength(1);
  } finally {
    gate.open();
    await t.close();
  }
});
