/**
 * A new action kind is its folder plus one registry line: the test-only `level` kind
 * (test/helpers/kinds/level/, nothing in src/ knows it) is registered beside the built-in ones
 * and goes through the planner's plan, the port's apply, "the state shows it", the planner's
 * restore plan and the port's restore, against the sandbox API server over HTTP.
 */
import { KubeCluster } from '../../../src/actions/kube-cluster.js';
import { ACTION_KINDS, kindOf, registerKinds } from '../../../src/actions/registry.js';
import type { TargetFields } from '../../../src/domain/cluster.js';
import type { ActDecision, StateFields } from '../../../src/domain/decision.js';
import type { TargetRef } from '../../../src/domain/target.js';
import { planChange } from '../../../src/planner/changes.js';
import { planRestore } from '../../../src/planner/restore.js';
import { systemClock } from '../../../src/platform/clock.js';
import { silentLogger } from '../../../src/platform/logger.js';
import type { ActionSpec } from '../../../src/rule-table/schema.js';
import { levelKind } from '../../helpers/kinds/level/index.js';
import type { LevelAction, LevelState, LevelTargetState } from '../../helpers/kinds/level/plan.js';
import { startSandboxCluster, type SandboxCluster } from '../../helpers/sandbox.js';

const KINDS = registerKinds([...Object.values(ACTION_KINDS), levelKind]);
const target: TargetRef = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: 'ci-failure-agent' };
const action: LevelAction = { type: 'level', annotation: 'example.io/level', max: 3 };
const act = (before: StateFields, after: StateFields, explanation: string): ActDecision => ({ outcome: 'act', rule: 'level-test', target, action: 'level', before, after, explanation, facts: {} });

function found(s: LevelTargetState): LevelState {
  if (!s.found) throw new Error(`expected the target to be found: ${s.detail}`);
  return s;
}

let s: SandboxCluster;
let cluster: KubeCluster<LevelAction, LevelState>;
beforeEach(async () => {
  s = await startSandboxCluster();
  cluster = new KubeCluster<LevelAction, LevelState>(s.kube, s.redis, systemClock, silentLogger, KINDS);
});
afterEach(() => s.close());

test('plan → apply → the state shows it → plan restore → restore, through the same port and planner as the built-in kinds', async () => {
  const now = new Date();
  const read = await cluster.readState(target, action);
  expect(found(read).level).toBe(0);

  const plan = planChange<LevelAction, LevelState>({ action, target, state: found(read), targetHistory: [], now }, KINDS);
  expect(plan).toMatchObject({ outcome: 'change', before: { level: 0 }, after: { level: 1 } });
  if (plan.outcome !== 'change') throw new Error('no change planned');

  const applied = await cluster.apply(act(plan.before, plan.after, plan.summary), action, 'r-level-1', read);
  expect(applied).toMatchObject({ ok: true, snapshot: { level: 0 }, applied: { level: 1 } });
  const after = found(await cluster.readState(target, action));
  expect(kindOf<LevelAction, LevelState>(action, KINDS).shows(after, plan.after, action)).toBe(true);
  // The port recorded it on the object like any kind's change.
  const obj = await s.kube.getObject(target);
  expect(obj.metadata?.annotations).toMatchObject({ 'example.io/level': '1', 'autoremediator.io/last-remediation': 'r-level-1' });

  const back = planRestore<LevelAction, LevelState>(
    { action, target, restore: { after: 0, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }], selectPolicy: 'Max' }, snapshot: applied.ok ? applied.snapshot : {}, state: after, targetHistory: [], now },
    KINDS,
  );
  expect(back).toMatchObject({ kind: 'step', before: { level: 1 }, after: { level: 0 } });
  const restored = await cluster.restore(target, action, applied.ok ? applied.snapshot : {}, 'r-level-1');
  expect(restored.ok).toBe(true);
  expect(found(await cluster.readState(target, action)).level).toBe(0);
});

test('its own guards hold through the port: a stale plan is refused, a snapshot that is not its own is refused naming the field', async () => {
  const read = found(await cluster.readState(target, action));
  await s.kube.patchObject(target, { metadata: { annotations: { 'example.io/level': '2' } } }, 'application/merge-patch+json');
  expect(await cluster.apply(act({ level: read.level }, { level: read.level + 1 }, 'stale'), action, 'r-level-2')).toMatchObject({ ok: false, reason: 'refused' });
  expect(found(await cluster.readState(target, action)).level).toBe(2);
  const corrupt = await cluster.restore(target, action, { replicas: 3 }, 'r-level-3');
  expect(corrupt).toMatchObject({ ok: false, reason: 'refused', retryable: false });
  expect(corrupt.ok ? '' : corrupt.detail).toMatch(/level snapshot\.level: expected a number/);
  // A decision whose fields are not the kind's: refused too, naming the field, nothing written.
  const bad = await cluster.apply(act({ level: 'two' }, { level: 3 }, 'bad'), action, 'r-level-4');
  expect(bad).toMatchObject({ ok: false, reason: 'refused', retryable: false });
  expect(bad.ok ? '' : bad.detail).toMatch(/level decision\.before\.level: expected a number, found "two"/);
  expect(found(await cluster.readState(target, action)).level).toBe(2);
});

test('the built-in kinds work unchanged through the extended registry', async () => {
  const builtIn = new KubeCluster<ActionSpec, TargetFields>(s.kube, s.redis, systemClock, silentLogger, KINDS);
  const scale: ActionSpec = { type: 'scale', minReplicas: 1, maxReplicas: 10, policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }], selectPolicy: 'Max' };
  const consumer: TargetRef = { ...target, name: 'ci-failure-agent-consumer' };
  const read = await builtIn.readState(consumer, scale);
  if (!read.found || read.replicas === null) throw new Error('the seeded consumer has replicas');
  const out = await builtIn.apply({ outcome: 'act', rule: 'r', target: consumer, action: 'scale', before: { replicas: read.replicas }, after: { replicas: read.replicas + 1 }, explanation: 'x', facts: {} }, scale, 'r-scale', read);
  expect(out).toMatchObject({ ok: true, snapshot: { replicas: read.replicas } });
});

test('a kind registered twice, and an action of a kind nobody registered, are errors naming the type', () => {
  expect(() => registerKinds([levelKind, levelKind])).toThrow(/action kind "level" is registered twice/);
  expect(() => kindOf({ type: 'nope' })).toThrow(/action type "nope": no such action kind is registered/);
});
