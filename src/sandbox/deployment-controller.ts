/**
 * The Deployment controller, after kubernetes/pkg/controller/deployment: one
 * ReplicaSet per pod-template revision, rolling update with maxSurge and
 * maxUnavailable (or Recreate), revision annotations, history cleanup, and the
 * status and conditions that `kubectl rollout status` reads.
 */
import { isControlledBy, nowMs, ownerReference, templateHash, type Cluster } from './cluster.js';
import { formatTime } from './object-store.js';
import { R } from './resources.js';
import { clone, deepEqual, semanticEqual, type Condition, type Deployment, type DeploymentStatus, type PodTemplate, type ReplicaSet } from './types.js';

export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
export const POD_TEMPLATE_HASH = 'pod-template-hash';

const COMPONENT = 'deployment-controller';
/** progressDeadlineSeconds of MaxInt32 means "no deadline". */
const NO_DEADLINE = 2147483647;

function revisionOf(rs: ReplicaSet): number {
  const n = Number(rs.metadata.annotations?.[REVISION] ?? '0');
  return Number.isFinite(n) ? n : 0;
}

function withoutHash(template: PodTemplate): PodTemplate {
  const t = clone(template);
  if (t.metadata?.labels) {
    delete t.metadata.labels[POD_TEMPLATE_HASH];
    if (Object.keys(t.metadata.labels).length === 0) delete t.metadata.labels;
  }
  return t;
}

/** Templates equal once the pod-template-hash label is ignored (deploymentutil.EqualIgnoreHash). */
export function equalIgnoreHash(a: PodTemplate, b: PodTemplate): boolean {
  return semanticEqual(withoutHash(a), withoutHash(b));
}

/** An int-or-percent against a total (intstr.GetScaledValueFromIntOrPercent). */
function scaled(value: number | string | undefined, total: number, roundUp: boolean, fallback: string): number {
  const v = value ?? fallback;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return Number(v) || 0;
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

function replicasOf(d: Deployment): number {
  return d.spec.replicas ?? 1;
}

/** [maxSurge, maxUnavailable] resolved against spec.replicas (deploymentutil.ResolveFenceposts). */
function fenceposts(d: Deployment): [number, number] {
  const ru = d.spec.strategy?.rollingUpdate;
  const surge = scaled(ru?.maxSurge, replicasOf(d), true, '25%');
  let unavailable = scaled(ru?.maxUnavailable, replicasOf(d), false, '25%');
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return [surge, unavailable];
}

function isRecreate(d: Deployment): boolean {
  return d.spec.strategy?.type === 'Recreate';
}

function maxUnavailable(d: Deployment): number {
  if (isRecreate(d) || replicasOf(d) === 0) return 0;
  return Math.min(fenceposts(d)[1], replicasOf(d));
}

function hasProgressDeadline(d: Deployment): boolean {
  return d.spec.progressDeadlineSeconds !== undefined && d.spec.progressDeadlineSeconds !== NO_DEADLINE;
}

function specReplicas(rs: ReplicaSet): number {
  return rs.spec.replicas ?? 0;
}

function sum(list: ReplicaSet[], f: (rs: ReplicaSet) => number): number {
  return list.reduce((n, rs) => n + f(rs), 0);
}

function getCondition(conds: Condition[], type: string): Condition | undefined {
  return conds.find((c) => c.type === type);
}

/** deploymentutil.SetDeploymentCondition: no-op on the same status and reason; keeps lastTransitionTime on the same status. */
function setCondition(conds: Condition[], cond: Condition): Condition[] {
  const current = getCondition(conds, cond.type);
  if (current && current.status === cond.status && current.reason === cond.reason) return conds;
  if (current && current.status === cond.status) cond.lastTransitionTime = current.lastTransitionTime;
  return [...conds.filter((c) => c.type !== cond.type), cond];
}

function newCondition(cluster: Cluster, type: string, status: Condition['status'], reason: string, message: string): Condition {
  const now = formatTime(cluster.clock());
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

/** Runs the controller over every Deployment. */
export function syncDeployments(cluster: Cluster): void {
  for (const d of cluster.store.listShared(R.deployments) as readonly Deployment[]) {
    if (d.metadata.deletionTimestamp) continue;
    new DeploymentSync(cluster, d).run();
  }
}

class DeploymentSync {
  private readonly ns: string;
  private conditions: Condition[];
  private deploymentRevision: string | undefined;

  constructor(
    private readonly cluster: Cluster,
    private readonly d: Deployment,
  ) {
    this.ns = d.metadata.namespace ?? 'default';
    this.conditions = clone(d.status?.conditions ?? []);
    this.deploymentRevision = d.metadata.annotations?.[REVISION];
  }

  run(): void {
    const { d } = this;
    const all = (this.cluster.store.listShared(R.replicasets, this.ns) as readonly ReplicaSet[]).filter((rs) => isControlledBy(rs, d));
    let newRS = all.find((rs) => equalIgnoreHash(rs.spec.template, d.spec.template));
    const oldRSs = all.filter((rs) => rs !== newRS).sort(byCreation);
    const paused = d.spec.paused === true;
    this.checkPausedConditions(paused);

    if (paused) {
      // A paused Deployment still follows scaling of its current ReplicaSet, but does not roll out.
      if (newRS && sum(oldRSs, specReplicas) === 0) newRS = this.scaleReplicaSet(newRS, replicasOf(d));
    } else if (isRecreate(d)) {
      newRS = this.rolloutRecreate(newRS, oldRSs);
    } else {
      newRS = this.rolloutRolling(newRS, oldRSs);
    }
    if (newRS) newRS = this.syncRevision(newRS, oldRSs);
    const current = (this.cluster.store.listShared(R.replicasets, this.ns) as readonly ReplicaSet[]).filter((rs) => isControlledBy(rs, d));
    const currentNew = newRS ? current.find((rs) => rs.metadata.uid === newRS.metadata.uid) : undefined;
    this.cleanupHistory(current, currentNew);
    this.writeAnnotations();
    this.writeStatus(current, currentNew, paused);
  }

  private checkPausedConditions(paused: boolean): void {
    if (!hasProgressDeadline(this.d)) return;
    const cond = getCondition(this.conditions, 'Progressing');
    if (paused && cond?.reason !== 'DeploymentPaused') {
      this.conditions = setCondition(this.conditions, newCondition(this.cluster, 'Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused'));
    } else if (!paused && cond?.reason === 'DeploymentPaused') {
      this.conditions = setCondition(this.conditions, newCondition(this.cluster, 'Progressing', 'Unknown', 'DeploymentResumed', 'Deployment is resumed'));
    }
  }

  private rolloutRolling(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): ReplicaSet {
    const d = this.d;
    const [surge] = fenceposts(d);
    const desired = replicasOf(d);
    const currentNew = newRS ? specReplicas(newRS) : 0;
    let target = currentNew;
    if (currentNew > desired) target = desired;
    else if (currentNew < desired) {
      const total = sum(oldRSs, specReplicas) + currentNew;
      const room = desired + surge - total;
      if (room > 0) target = currentNew + Math.min(room, desired - currentNew);
    }
    newRS = newRS ? this.scaleReplicaSet(newRS, target) : this.createReplicaSet(oldRSs, target);
    if (target !== currentNew) return newRS;
    this.scaleDownOld(newRS, oldRSs);
    return newRS;
  }

  /** reconcileOldReplicaSets: unhealthy old pods first, then old pods down to minAvailable. */
  private scaleDownOld(newRS: ReplicaSet, oldRSs: ReplicaSet[]): void {
    const d = this.d;
    if (sum(oldRSs, specReplicas) === 0) return;
    const all = [newRS, ...oldRSs];
    const minAvailable = replicasOf(d) - maxUnavailable(d);
    const newUnavailable = specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
    let budget = sum(all, specReplicas) - minAvailable - newUnavailable;
    if (budget <= 0) return;
    const replicas = new Map(oldRSs.map((rs) => [rs.metadata.uid, specReplicas(rs)]));
    for (const rs of oldRSs) {
      if (budget <= 0) break;
      const unhealthy = specReplicas(rs) - (rs.status?.availableReplicas ?? 0);
      const n = Math.min(budget, Math.max(0, unhealthy));
      if (n > 0) {
        replicas.set(rs.metadata.uid, specReplicas(rs) - n);
        budget -= n;
      }
    }
    const available = sum(all, (rs) => rs.status?.availableReplicas ?? 0);
    let toScaleDown = Math.max(0, available - minAvailable);
    for (const rs of oldRSs) {
      if (toScaleDown <= 0) break;
      const current = replicas.get(rs.metadata.uid)!;
      const n = Math.min(current, toScaleDown);
      replicas.set(rs.metadata.uid, current - n);
      toScaleDown -= n;
    }
    for (const rs of oldRSs) this.scaleReplicaSet(rs, replicas.get(rs.metadata.uid)!);
  }

  private rolloutRecreate(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): ReplicaSet | undefined {
    let scaledDown = false;
    for (const rs of oldRSs) {
      if (specReplicas(rs) > 0) {
        this.scaleReplicaSet(rs, 0);
        scaledDown = true;
      }
    }
    const oldPodsRunning = scaledDown || oldRSs.some((rs) => (rs.status?.replicas ?? 0) > 0);
    if (oldPodsRunning) return newRS;
    return newRS ? this.scaleReplicaSet(newRS, replicasOf(this.d)) : this.createReplicaSet(oldRSs, replicasOf(this.d));
  }

  private createReplicaSet(oldRSs: ReplicaSet[], replicas: number): ReplicaSet {
    const d = this.d;
    const hash = templateHash(withoutHash(d.spec.template));
    const template = clone(d.spec.template);
    template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH]: hash } };
    const revision = String(Math.max(0, ...oldRSs.map(revisionOf)) + 1);
    const [surge] = fenceposts(d);
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: this.ns,
        labels: { ...(template.metadata.labels ?? {}) },
        annotations: {
          [DESIRED_REPLICAS]: String(replicasOf(d)),
          [MAX_REPLICAS]: String(replicasOf(d) + surge),
          [REVISION]: revision,
        },
        ownerReferences: [ownerReference(d)],
        uid: '', resourceVersion: '', creationTimestamp: '',
      },
      spec: {
        replicas,
        minReadySeconds: d.spec.minReadySeconds ?? 0,
        selector: { ...d.spec.selector, matchLabels: { ...(d.spec.selector.matchLabels ?? {}), [POD_TEMPLATE_HASH]: hash } },
        template,
      },
      status: { replicas: 0 },
    };
    if (this.cluster.store.has(R.replicasets, this.ns, rs.metadata.name)) {
      // A hash collision with a foreign ReplicaSet; the real controller bumps collisionCount. Not simulated.
      rs.metadata.name = `${rs.metadata.name}x`;
    }
    const created = this.cluster.store.create(R.replicasets, rs) as ReplicaSet;
    this.deploymentRevision = revision;
    if (hasProgressDeadline(d)) {
      this.conditions = setCondition(
        this.conditions,
        newCondition(this.cluster, 'Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${created.metadata.name}"`),
      );
    }
    if (replicas > 0) {
      this.cluster.events.record(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} from 0 to ${replicas}`, COMPONENT);
    }
    return created;
  }

  /** Gives a re-used ReplicaSet (rollback) the newest revision and records the old one in revision-history. */
  private syncRevision(newRS: ReplicaSet, oldRSs: ReplicaSet[]): ReplicaSet {
    const maxOld = Math.max(0, ...oldRSs.map(revisionOf));
    const current = revisionOf(newRS);
    let rs = newRS;
    if (current <= maxOld) {
      rs = clone(newRS);
      const annotations = { ...(rs.metadata.annotations ?? {}) };
      const history = annotations[REVISION_HISTORY] ? annotations[REVISION_HISTORY].split(',') : [];
      if (current > 0) history.push(String(current));
      annotations[REVISION] = String(maxOld + 1);
      if (history.length > 0) annotations[REVISION_HISTORY] = history.join(',');
      rs.metadata.annotations = annotations;
      rs = this.cluster.store.update(R.replicasets, rs) as ReplicaSet;
    }
    this.deploymentRevision = rs.metadata.annotations?.[REVISION];
    if (hasProgressDeadline(this.d) && !getCondition(this.conditions, 'Progressing')) {
      this.conditions = setCondition(
        this.conditions,
        newCondition(this.cluster, 'Progressing', 'True', 'FoundNewReplicaSet', `Found new replica set "${rs.metadata.name}"`),
      );
    }
    return rs;
  }

  private scaleReplicaSet(rs: ReplicaSet, replicas: number): ReplicaSet {
    const d = this.d;
    const [surge] = fenceposts(d);
    const annotations = {
      ...(rs.metadata.annotations ?? {}),
      [DESIRED_REPLICAS]: String(replicasOf(d)),
      [MAX_REPLICAS]: String(replicasOf(d) + surge),
    };
    const from = specReplicas(rs);
    if (from === replicas && deepEqual(annotations, rs.metadata.annotations ?? {})) return rs;
    const next = clone(rs);
    next.spec.replicas = replicas;
    next.metadata.annotations = annotations;
    const stored = this.cluster.store.update(R.replicasets, next) as ReplicaSet;
    if (from !== replicas) {
      const verb = replicas > from ? 'up' : 'down';
      this.cluster.events.record(d, 'Normal', 'ScalingReplicaSet', `Scaled ${verb} replica set ${rs.metadata.name} from ${from} to ${replicas}`, COMPONENT);
    }
    return stored;
  }

  /** Deletes the oldest fully scaled-down ReplicaSets beyond revisionHistoryLimit. */
  private cleanupHistory(all: ReplicaSet[], newRS: ReplicaSet | undefined): void {
    const limit = this.d.spec.revisionHistoryLimit ?? 10;
    const candidates = all
      .filter((rs) => rs !== newRS && specReplicas(rs) === 0 && (rs.status?.replicas ?? 0) === 0)
      .sort((a, b) => revisionOf(a) - revisionOf(b));
    const excess = candidates.length - limit;
    for (const rs of candidates.slice(0, Math.max(0, excess))) {
      this.cluster.store.remove(R.replicasets, this.ns, rs.metadata.name);
      for (const dep of this.cluster.store.dependentsOf(rs.metadata.uid)) {
        this.cluster.store.remove(dep.def, dep.object.metadata.namespace, dep.object.metadata.name);
      }
    }
  }

  private writeAnnotations(): void {
    const rev = this.deploymentRevision;
    if (rev === undefined || this.d.metadata.annotations?.[REVISION] === rev) return;
    const fresh = this.cluster.store.get(R.deployments, this.ns, this.d.metadata.name) as Deployment | undefined;
    if (!fresh) return;
    fresh.metadata.annotations = { ...(fresh.metadata.annotations ?? {}), [REVISION]: rev };
    this.cluster.store.update(R.deployments, fresh);
  }

  private writeStatus(all: ReplicaSet[], newRS: ReplicaSet | undefined, paused: boolean): void {
    const d = this.d;
    const desired = replicasOf(d);
    const available = sum(all, (rs) => rs.status?.availableReplicas ?? 0);
    const status: DeploymentStatus = {
      observedGeneration: d.metadata.generation ?? 1,
      replicas: sum(all, (rs) => rs.status?.replicas ?? 0),
      updatedReplicas: newRS?.status?.replicas ?? 0,
      readyReplicas: sum(all, (rs) => rs.status?.readyReplicas ?? 0),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, sum(all, specReplicas) - available),
    };
    let conds = this.conditions;
    conds =
      available >= desired - maxUnavailable(d)
        ? setCondition(conds, newCondition(this.cluster, 'Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'))
        : setCondition(conds, newCondition(this.cluster, 'Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'));
    if (!paused) conds = this.rolloutConditions(conds, status, newRS);
    if (!hasProgressDeadline(d)) conds = conds.filter((c) => c.type !== 'Progressing');
    status.conditions = conds;
    const compact = omitZeros(status);
    const fresh = this.cluster.store.get(R.deployments, this.ns, d.metadata.name) as Deployment | undefined;
    if (!fresh || deepEqual(fresh.status, compact)) return;
    fresh.status = compact;
    this.cluster.store.update(R.deployments, fresh);
  }

  /** syncRolloutStatus: Progressing becomes NewReplicaSetAvailable, ReplicaSetUpdated, or ProgressDeadlineExceeded. */
  private rolloutConditions(conds: Condition[], status: DeploymentStatus, newRS: ReplicaSet | undefined): Condition[] {
    const d = this.d;
    const desired = replicasOf(d);
    const prev = d.status ?? {};
    const rsName = newRS?.metadata.name;
    const current = getCondition(conds, 'Progressing');
    const isComplete = status.replicas === status.updatedReplicas && current?.reason === 'NewReplicaSetAvailable';
    if (hasProgressDeadline(d) && !isComplete) {
      const complete =
        status.updatedReplicas === desired && status.replicas === desired && status.availableReplicas === desired &&
        (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 1);
      const oldNow = (status.replicas ?? 0) - (status.updatedReplicas ?? 0);
      const oldBefore = (prev.replicas ?? 0) - (prev.updatedReplicas ?? 0);
      const progressing =
        (status.updatedReplicas ?? 0) > (prev.updatedReplicas ?? 0) || oldNow < oldBefore ||
        (status.readyReplicas ?? 0) > (prev.readyReplicas ?? 0) || (status.availableReplicas ?? 0) > (prev.availableReplicas ?? 0);
      if (complete) {
        const msg = rsName ? `ReplicaSet "${rsName}" has successfully progressed.` : `Deployment "${d.metadata.name}" has successfully progressed.`;
        conds = setCondition(conds, newCondition(this.cluster, 'Progressing', 'True', 'NewReplicaSetAvailable', msg));
      } else if (progressing) {
        const msg = rsName ? `ReplicaSet "${rsName}" is progressing.` : `Deployment "${d.metadata.name}" is progressing.`;
        const cond = newCondition(this.cluster, 'Progressing', 'True', 'ReplicaSetUpdated', msg);
        if (current?.status === 'True') cond.lastTransitionTime = current.lastTransitionTime;
        conds = [...conds.filter((c) => c.type !== 'Progressing'), cond];
      } else if (this.timedOut(current)) {
        conds = setCondition(conds, newCondition(this.cluster, 'Progressing', 'False', 'ProgressDeadlineExceeded', `ReplicaSet "${rsName ?? ''}" has timed out progressing.`));
      }
    }
    if (this.cluster.faults.isProgressDeadlineExceeded(this.ns, d.metadata.name)) {
      conds = setCondition(conds, newCondition(this.cluster, 'Progressing', 'False', 'ProgressDeadlineExceeded', `ReplicaSet "${rsName ?? ''}" has timed out progressing.`));
    }
    return conds;
  }

  private timedOut(cond: Condition | undefined): boolean {
    if (!cond || cond.reason === 'NewReplicaSetAvailable') return false;
    if (cond.reason === 'ProgressDeadlineExceeded') return true;
    const from = Date.parse(cond.lastUpdateTime ?? '');
    if (!Number.isFinite(from)) return false;
    return from + (this.d.spec.progressDeadlineSeconds ?? 600) * 1000 < nowMs(this.cluster);
  }
}

function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  const ta = a.metadata.creationTimestamp;
  const tb = b.metadata.creationTimestamp;
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.metadata.name < b.metadata.name ? -1 : 1;
}

/** DeploymentStatus integer fields are omitempty on the wire. */
function omitZeros(status: DeploymentStatus): DeploymentStatus {
  const out: DeploymentStatus = {};
  for (const [k, v] of Object.entries(status) as [keyof DeploymentStatus, unknown][]) {
    if (v === 0 || v === undefined) continue;
    (out as Record<string, unknown>)[k] = v;
  }
  return out;
}
