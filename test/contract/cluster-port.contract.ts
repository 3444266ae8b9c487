/**
 * The contract of the cluster port as the driver and the planner use it, written only against
 * ClusterPort and the kinds' pure halves (ACTION_KINDS), so that every implementation runs it:
 * the real KubeCluster on the sandbox API server (cluster-port-sandbox.test.ts) and on a real
 * kube-apiserver (test/cluster/cluster-contract.test.ts), and the hand-written FakeCluster the
 * engine and HTTP tests use (cluster-port-fake.test.ts). What Kubernetes alone can show
 * (restart, undo, RBAC, CRDs) is in cluster.contract.ts.
 *
 * Each kind goes read → plan (the planner, with the kind's plan) → apply → the state shows
 * `after` → plan restore (the planner) → restore → the state shows `before`. A plan gone stale
 * is refused and changes nothing; a deleted target is not found; apply and restore resolve to a
 * value whatever happens.
 */
import type { ClusterPort } from '../../src/actions/port.js';
import { ACTION_KINDS } from '../../src/actions/registry.js';
import type { ApplyOutcome, TargetState } from '../../src/domain/cluster.js';
import type { ActDecision, StateFields } from '../../src/domain/decision.js';
import type { TargetRef } from '../../src/domain/target.js';
import { planChange } from '../../src/planner/changes.js';
import { planRestore } from '../../src/planner/restore.js';
import { stateShows } from '../../src/remediation/resume.js';
import { actionSchema, restoreSchema, type ActionSpec } from '../../src/rule-table/schema.js';

/** The world behind the port, as a test seeds and disturbs it. */
export interface PortHarness {
  cluster: ClusterPort;
  /**
   * A Deployment (unique name) with these replicas and one container `app` (requests cpu 100m,
   * memory 64Mi; limits cpu 200m, memory 128Mi), and an HPA min..max targeting it when asked.
   */
  seed(replicas: number, hpa?: { min: number; max: number }): Promise<TargetRef>;
  /** Someone else scales it (kubectl scale) / sets the HPA's floor (kubectl edit). */
  scaleElsewhere(t: TargetRef, replicas: number): Promise<void>;
  setHpaMinElsewhere(t: TargetRef, min: number): Promise<void>;
  /** Someone deletes it; resolves once the port can no longer find it. */
  remove(t: TargetRef): Promise<void>;
  close(): Promise<void>;
}

const action = (a: Record<string, unknown>): ActionSpec => actionSchema.parse(a);
const RESTORE = restoreSchema.parse({ after: '1m', policies: [{ type: 'Percent', value: 100, periodSeconds: 60 }] });

function found(s: TargetState): Extract<TargetState, { found: true }> {
  if (!s.found) throw new Error(`expected the target to be found: ${s.detail}`);
  return s;
}

const act = (target: TargetRef, a: ActionSpec, before: StateFields, after: StateFields): ActDecision => ({ outcome: 'act', rule: 'port-contract', target, action: a.type, before, after, explanation: `port contract ${a.type}`, facts: {} });

/** Apply and restore resolve to a value, whatever the server says. */
async function settled(p: Promise<ApplyOutcome>): Promise<ApplyOutcome> {
  return expect(p).resolves.toBeDefined().then(() => p);
}

export function runClusterPortContract(name: string, makeHarness: () => Promise<PortHarness>): void {
  describe(`cluster port contract: ${name}`, () => {
    let h: PortHarness;
    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(async () => h.close());

    /** The whole round through the port and the planner; returns the plan's before and after. */
    async function round(target: TargetRef, a: ActionSpec, id: string): Promise<{ before: StateFields; after: StateFields }> {
      const now = new Date();
      const read = await h.cluster.readState(target, a);
      const plan = planChange({ action: a, target, state: found(read), targetHistory: [], now }, ACTION_KINDS);
      if (plan.outcome !== 'change') throw new Error(`expected a change: ${plan.explanation}`);
      const out = await settled(h.cluster.apply(act(target, a, plan.before, plan.after), a, id, read));
      if (!out.ok) throw new Error(`apply failed (${out.reason}): ${out.detail}`);
      const afterRead = await h.cluster.readState(target, a);
      expect(stateShows(afterRead, plan.after, a)).toBe(true);
      expect(stateShows(afterRead, plan.before, a)).toBe(false);
      const back = planRestore({ action: a, target, restore: RESTORE, snapshot: out.snapshot, state: found(afterRead), targetHistory: [], now }, ACTION_KINDS);
      expect(back).toMatchObject({ kind: 'step', before: plan.after, after: plan.before });
      const restored = await settled(h.cluster.restore(target, a, out.snapshot, id));
      expect(restored.ok).toBe(true);
      const final = await h.cluster.readState(target, a);
      expect(stateShows(final, plan.before, a)).toBe(true);
      const again = planRestore({ action: a, target, restore: RESTORE, snapshot: out.snapshot, state: found(final), targetHistory: [], now }, ACTION_KINDS);
      expect(again.kind).toBe('done');
      return plan;
    }

    test('scale: read → plan → apply → shows after → plan restore → restore → shows before', async () => {
      const t = await h.seed(2);
      const plan = await round(t, action({ type: 'scale', minReplicas: 1, maxReplicas: 3 }), 'port-scale');
      expect(plan).toMatchObject({ before: { replicas: 2 }, after: { replicas: 3 } });
    });

    test('hpa: the floor raised and put back', async () => {
      const t = await h.seed(2, { min: 2, max: 5 });
      const plan = await round(t, action({ type: 'hpa', bound: 'min', ceiling: 3 }), 'port-hpa');
      expect(plan).toMatchObject({ before: { minReplicas: 2, maxReplicas: 5 }, after: { minReplicas: 3, maxReplicas: 5 } });
    });

    test('resources: a container’s cpu raised and put back', async () => {
      const t = await h.seed(1);
      const plan = await round(t, action({ type: 'resources', container: 'app', resource: 'cpu', factor: 2, cap: '2' }), 'port-resources');
      expect(plan).toMatchObject({ before: { 'requests.cpu': '100m', 'limits.cpu': '200m' }, after: { 'requests.cpu': '200m', 'limits.cpu': '400m' } });
    });

    test('scale on a workload an HPA manages: the read shows the HPA, the plan skips', async () => {
      const t = await h.seed(2, { min: 2, max: 5 });
      const a = action({ type: 'scale', maxReplicas: 10 });
      const plan = planChange({ action: a, target: t, state: found(await h.cluster.readState(t, a)), targetHistory: [], now: new Date() }, ACTION_KINDS);
      expect(plan).toMatchObject({ outcome: 'skip', reason: 'hpa-managed' });
    });

    test('a plan gone stale (scaled elsewhere since the read) is refused and changes nothing', async () => {
      const t = await h.seed(2);
      const a = action({ type: 'scale', maxReplicas: 10 });
      const read = await h.cluster.readState(t, a);
      await h.scaleElsewhere(t, 4);
      expect(await settled(h.cluster.apply(act(t, a, { replicas: 2 }, { replicas: 3 }), a, 'port-stale', read))).toMatchObject({ ok: false, reason: 'refused', retryable: false });
      expect(found(await h.cluster.readState(t, a)).replicas).toBe(4);
    });

    test('an HPA changed since the plan: refused, its floor left as it is', async () => {
      const t = await h.seed(2, { min: 2, max: 5 });
      const a = action({ type: 'hpa', bound: 'min', ceiling: 4 });
      const read = await h.cluster.readState(t, a);
      await h.setHpaMinElsewhere(t, 4);
      expect(await settled(h.cluster.apply(act(t, a, { minReplicas: 2, maxReplicas: 5 }, { minReplicas: 3, maxReplicas: 5 }), a, 'port-hpa-stale', read))).toMatchObject({ ok: false, reason: 'refused' });
      expect(found(await h.cluster.readState(t, a)).hpa?.minReplicas).toBe(4);
    });

    test('a deleted target: the read says not found; apply and restore fail with not-found; none rejects', async () => {
      const t = await h.seed(2);
      const a = action({ type: 'scale', maxReplicas: 10 });
      await h.remove(t);
      expect((await h.cluster.readState(t, a)).found).toBe(false);
      expect(await settled(h.cluster.apply(act(t, a, { replicas: 2 }, { replicas: 3 }), a, 'port-gone'))).toMatchObject({ ok: false, reason: 'not-found' });
      expect(await settled(h.cluster.restore(t, a, { replicas: 2 }, 'port-gone'))).toMatchObject({ ok: false, reason: 'not-found' });
    });
  });
}
