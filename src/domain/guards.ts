/**
 * What the guards of a rule (`guards:` quota, capacity, preconditions) are decided from: read by
 * I/O code (src/kube/guard-reads.ts, the Prometheus source) and judged by the pure
 * planner/guards.ts. A read that failed is data (`error`), never an exception.
 */

/** One ResourceQuota as the API returns it: spec.hard, and status.hard/used from the quota controller. */
export interface QuotaReading {
  name: string;
  /** status.hard (what the controller enforces), else spec.hard. Quantities as written ("4", "8Gi"). */
  hard: Record<string, string>;
  /** status.used; null while the quota controller has not computed it yet. */
  used: Record<string, string> | null;
  /** spec.scopes / scopeSelector present: the quota counts only some pods. */
  scoped: boolean;
}

/** Requests and limits of one pod of the target (its pod template, or a CNPG Cluster's spec.resources). */
export interface PodResources {
  requests: { cpu: number; memory: number };
  limits: { cpu: number; memory: number };
}

/** The cluster's schedulable room: Ready, schedulable nodes' allocatable and the requests of the pods bound to them. */
export interface CapacityReading {
  nodes: number;
  allocatable: { cpu: number; memory: number; pods: number };
  requested: { cpu: number; memory: number; pods: number };
}

export type Reading<T> = { ok: true; value: T } | { ok: false; error: string };

/** Everything the guards of one decision were given. Absent: not read (the rule does not ask for it). */
export interface GuardReadings {
  quotas?: Reading<QuotaReading[]>;
  pod?: Reading<PodResources>;
  capacity?: Reading<CapacityReading>;
  /** Values of the rendered precondition queries, by query text. */
  queries?: Record<string, Reading<number>>;
}
