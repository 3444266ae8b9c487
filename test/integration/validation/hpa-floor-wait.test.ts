/**
 * After an hpa action the rollout wait ends when the HPA has scaled the workload to the new
 * floor and those pods are ready, not at once on the old pods: the sandbox's HPA controller
 * clamps to the floor on its next tick, its deployment controller makes pods ready after a delay.
 */
import { ACTION_KINDS } from '../../../src/actions/registry.js';
import type { ActDecision } from '../../../src/domain/decision.js';
import type { Remediation } from '../../../src/domain/remediation.js';
import type { TargetRef } from '../../../src/domain/target.js';
import { systemClock } from '../../../src/platform/clock.js';
import { silentLogger } from '../../../src/platform/logger.js';
import { actionSchema } from '../../../src/rule-table/schema.js';
import { ClusterValidator } from '../../../src/validation/validator.js';
import { startSandboxCluster, type SandboxCluster } from '../../helpers/sandbox.js';

const API: TargetRef = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: 'ci-failure-agent' };

let s: SandboxCluster;
beforeEach(async () => {
  s = await startSandboxCluster({ readyDelayMs: 300 });
});
afterEach(async () => s.close());

test('raising the HPA floor 3 → 5: the wait lasts until 5 pods are ready, and the record says how long', async () => {
  const hpa = actionSchema.parse({ type: 'hpa', bound: 'min', ceiling: 10 });
  const decision: ActDecision = { outcome: 'act', rule: 'r', target: API, action: 'hpa', before: { minReplicas: 3, maxReplicas: 20 }, after: { minReplicas: 5, maxReplicas: 20 }, explanation: 'raise', facts: {} };
  const applied = await s.cluster.apply(decision, hpa, 'rem-floor');
  expect(applied.ok).toBe(true);
  const validator = new ClusterValidator({ kinds: ACTION_KINDS, readObject: (t) => s.cluster.readObject(t), metrics: null, clock: systemClock, logger: silentLogger, pollMs: 20 });
  const rem = { id: 'rem-floor', target: API, decision, result: null } as unknown as Remediation;
  const v = await validator.validate(rem, null, hpa);
  expect(v.outcome).toBe('passed');
  const rollout = v.details.rollout as { state: string; waitedMs: number; floor: number };
  expect(rollout).toMatchObject({ state: 'done', floor: 5 });
  expect(rollout.waitedMs).toBeGreaterThan(0);
  // When the wait ended, the workload was at the floor with every pod ready.
  const obj = s.api.get('apps/v1', 'Deployment', 'ci', 'ci-failure-agent')!;
  expect((obj.spec as { replicas: number }).replicas).toBeGreaterThanOrEqual(5);
  expect((obj.status as { readyReplicas: number }).readyReplicas).toBeGreaterThanOrEqual(5);
});
