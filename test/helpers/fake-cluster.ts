/**
 * A hand-written ClusterPort for tests of the engine and the HTTP layer: state per
 * target key, every apply/restore recorded, failures injectable. It meets the port's contract
 * (test/contract/cluster-port.contract.ts, run on it in cluster-port-fake.test.ts): a plan
 * gone stale is refused, a missing target is not found, a change and its restore show in the
 * next read, as the real KubeCluster does on an API server.
 */
import type { ApplyOutcome, TargetState } from '../../src/domain/cluster.js';
import type { ClusterPort, GuardReadsPort } from '../../src/actions/port.js';
import type { QuotaReading } from '../../src/domain/guards.js';
import type { ActDecision } from '../../src/domain/decision.js';
import { targetKey, type TargetRef } from '../../src/domain/target.js';
import type { ActionSpec } from '../../src/rule-table/schema.js';
import { stateShows } from '../../src/remediation/resume.js';
import type { StateFields } from '../../src/domain/decision.js';

/** Write a decision's fields (or a snapshot's) into the state, as the kind's apply would. */
function write(s: Found, fields: StateFields, action: ActionSpec): void {
  for (const [key, v] of Object.entries(fields)) {
    if (key === 'replicas' && typeof v === 'number') s.replicas = v;
    else if (key === 'minReplicas' && typeof v === 'number' && s.hpa) s.hpa.minReplicas = v;
    else if (key === 'maxReplicas' && typeof v === 'number' && s.hpa) s.hpa.maxReplicas = v;
    else if (key === 'maxmemory' && typeof v === 'number') s.maxmemory = v;
    else if (action.type === 'resources' && (key.startsWith('requests.') || key.startsWith('limits.'))) {
      const [field, res] = key.split('.') as ['requests' | 'limits', string];
      const c = s.containers.find((x) => x.name === action.container);
      if (!c) continue;
      if (v === null) delete c[field][res];
      else c[field][res] = String(v);
    }
  }
  // As the HPA controller does: a floor above the current replicas scales the workload up to it.
  if (s.hpa && s.replicas !== null && s.replicas < s.hpa.minReplicas) s.replicas = s.hpa.minReplicas;
}

type Found = Extract<TargetState, { found: true }>;

export class FakeCluster implements ClusterPort {
  readonly states = new Map<string, Found>();
  readonly applied: Array<{ key: string; decision: ActDecision; remediationId: string }> = [];
  readonly restored: Array<{ key: string; snapshot: Record<string, unknown> }> = [];
  nextApplyFailure: Extract<ApplyOutcome, { ok: false }> | null = null;
  readFailure: Error | null = null;
  /** readState calls, per target key. */
  readonly reads = new Map<string, number>();
  /** What the guards read (guards.quota, guards.capacity): no quotas, pods asking nothing, room on one node, unless a test says otherwise. */
  quotas: QuotaReading[] = [];
  readonly guardReads: GuardReadsPort = {
    quotas: () => Promise.resolve(structuredClone(this.quotas)),
    podResources: () => Promise.resolve({ requests: { cpu: 0, memory: 0 }, limits: { cpu: 0, memory: 0 } }),
    capacity: () => Promise.resolve({ nodes: 1, allocatable: { cpu: 32, memory: 128 * 2 ** 30, pods: 110 }, requested: { cpu: 0, memory: 0, pods: 0 } }),
  };

  set(target: Pick<TargetRef, 'namespace' | 'kind' | 'name'>, state: Partial<Found>): this {
    this.states.set(targetKey(target), { found: true, replicas: null, hpa: null, containers: [], maxmemory: null, paused: false, resourceVersion: '1', ...state });
    return this;
  }

  readState(target: TargetRef, _action: ActionSpec): Promise<TargetState> {
    this.reads.set(targetKey(target), (this.reads.get(targetKey(target)) ?? 0) + 1);
    if (this.readFailure) return Promise.reject(this.readFailure);
    const s = this.states.get(targetKey(target));
    return Promise.resolve(s ? structuredClone(s) : { found: false, detail: `${target.kind} ${target.namespace}/${target.name} not found` });
  }

  /** A Deployment that is always fully rolled out (readiness passes at once), unless `notReady` names it. */
  readonly notReady = new Set<string>();
  readObject(target: TargetRef): Promise<Record<string, unknown>> {
    const s = this.states.get(targetKey(target));
    if (!s) return Promise.reject(new Error(`${targetKey(target)} not found`));
    const replicas = s.replicas ?? 1;
    const ready = this.notReady.has(targetKey(target)) ? 0 : replicas;
    return Promise.resolve({
      kind: target.kind,
      metadata: { name: target.name, generation: 1 },
      spec: { replicas, instances: replicas },
      status: { observedGeneration: 1, replicas, updatedReplicas: replicas, readyReplicas: ready, availableReplicas: ready, readyInstances: ready },
    });
  }

  apply(decision: ActDecision, action: ActionSpec, remediationId: string): Promise<ApplyOutcome> {
    const key = targetKey(decision.target);
    if (this.nextApplyFailure) {
      const f = this.nextApplyFailure;
      this.nextApplyFailure = null;
      return Promise.resolve(f);
    }
    const s = this.states.get(key);
    if (!s) return Promise.resolve({ ok: false, retryable: false, reason: 'not-found', detail: `${key} not found` });
    // The kind's precondition: the live state still shows what the plan started from.
    if (stateShows(s, decision.before, action) === false) return Promise.resolve({ ok: false, retryable: false, reason: 'refused', detail: `${key} changed since the plan` });
    this.applied.push({ key, decision, remediationId });
    write(s, decision.after, action);
    const snapshot = action.type === 'resources'
      ? { container: action.container, resource: action.resource, requests: decision.before[`requests.${action.resource}`] ?? null, limits: decision.before[`limits.${action.resource}`] ?? null }
      : { ...decision.before };
    return Promise.resolve({ ok: true, detail: `applied ${JSON.stringify(decision.after)}`, snapshot, applied: { ...decision.after } });
  }

  nextRestoreFailure: Extract<ApplyOutcome, { ok: false }> | null = null;

  restore(target: TargetRef, action: ActionSpec, snapshot: Record<string, unknown>): Promise<ApplyOutcome> {
    if (this.nextRestoreFailure) {
      const f = this.nextRestoreFailure;
      this.nextRestoreFailure = null;
      return Promise.resolve(f);
    }
    const key = targetKey(target);
    const s = this.states.get(key);
    if (!s) return Promise.resolve({ ok: false, retryable: false, reason: 'not-found', detail: `${key} not found` });
    this.restored.push({ key, snapshot });
    const fields: StateFields = action.type === 'resources'
      ? { [`requests.${action.resource}`]: (snapshot.requests as string | null) ?? null, [`limits.${action.resource}`]: (snapshot.limits as string | null) ?? null }
      : Object.fromEntries(Object.entries(snapshot).filter((e): e is [string, number] => typeof e[1] === 'number'));
    write(s, fields, action);
    return Promise.resolve({ ok: true, detail: `restored ${JSON.stringify(snapshot)}`, snapshot, applied: snapshot });
  }
}

/** The reference workload of DESIGN.md as the fake cluster sees it. */
export function referenceCluster(): FakeCluster {
  return new FakeCluster()
    .set({ namespace: 'ci', kind: 'Deployment', name: 'ci-failure-agent' }, {
      replicas: 3,
      hpa: { name: 'ci-failure-agent', minReplicas: 3, maxReplicas: 20, currentReplicas: 3 },
      containers: [{ name: 'ci-failure-agent', requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } }],
    })
    .set({ namespace: 'ci', kind: 'Deployment', name: 'ci-failure-agent-consumer' }, { replicas: 2, containers: [{ name: 'consumer', requests: {}, limits: {} }] })
    .set({ namespace: 'ci', kind: 'Cluster', name: 'ci-failure-agent-db' }, { replicas: 2 });
}
