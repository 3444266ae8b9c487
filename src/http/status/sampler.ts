/**
 * The status page's memory of the cluster: every STATUS_SAMPLE_INTERVAL it reads the current
 * state of the targets decided about most recently (at most `maxTargets`) and keeps the last
 * `maxSamples` readings of each (a ring). The Targets view shows the newest reading, the
 * timeline draws them over time. The cost is bounded: maxTargets × 3 GETs per interval
 * (the object, its scale subresource, the namespace's HPAs), whether or not anyone looks.
 * The history lives in this process (a restart or another replica starts empty).
 */
import type { ClusterPort } from '../../actions/port.js';
import type { TargetRef } from '../../domain/target.js';
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import { actionSchema, type ActionSpec } from '../../rule-table/schema.js';
import type { Store } from '../../store/store.js';

export interface ContainerReading {
  name: string;
  requests: Record<string, string>;
  limits: Record<string, string>;
}

export interface Reading {
  at: number;
  found: boolean;
  /** Why the target could not be read, when it could not. */
  error: string | null;
  desired: number | null;
  ready: number | null;
  hpa: { name: string; min: number; max: number; current: number | null } | null;
  containers: ContainerReading[];
}

/** The scale kind's read: the scale subresource and the HPA that targets the workload. */
const SCALE_PROBE: ActionSpec = actionSchema.parse({ type: 'scale', maxReplicas: 1 });

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Replicas and container resources from a workload object (Deployment, StatefulSet, a CNPG Cluster's instances). Pure. */
export function readingFromObject(obj: Record<string, unknown>): Pick<Reading, 'desired' | 'ready' | 'containers'> {
  const spec = (obj.spec ?? {}) as Record<string, unknown>;
  const status = (obj.status ?? {}) as Record<string, unknown>;
  const desired = num(spec.replicas) ?? num(spec.instances);
  const ready = num(status.readyReplicas) ?? num(status.readyInstances) ?? (desired === null ? null : 0);
  const podSpec: { containers?: unknown } = (spec.template as { spec?: { containers?: unknown } } | undefined)?.spec ?? {};
  const containers = Array.isArray(podSpec.containers)
    ? (podSpec.containers as Array<{ name?: string; resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }>).map((c) => ({
        name: c.name ?? '',
        requests: { ...(c.resources?.requests ?? {}) },
        limits: { ...(c.resources?.limits ?? {}) },
      }))
    : [];
  return { desired, ready, containers };
}

export interface SamplerDeps {
  cluster: Pick<ClusterPort, 'readObject' | 'readState'>;
  store: Pick<Store, 'listRemediations'>;
  clock: Clock;
  logger: Logger;
  intervalMs: number;
  maxTargets?: number;
  maxSamples?: number;
}

export class TargetSampler {
  private readonly rings = new Map<string, Reading[]>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  readonly maxTargets: number;
  readonly maxSamples: number;

  constructor(private readonly deps: SamplerDeps) {
    this.maxTargets = deps.maxTargets ?? 20;
    this.maxSamples = deps.maxSamples ?? 720;
  }

  start(): void {
    if (this.timer) return;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.deps.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  latest(key: string): Reading | null {
    const ring = this.rings.get(key);
    return ring?.[ring.length - 1] ?? null;
  }

  series(key: string): readonly Reading[] {
    return this.rings.get(key) ?? [];
  }

  /** One pass (a pass still running is not started twice). */
  tick(): Promise<void> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Read one target now (the targets view calls this for a target not sampled yet). */
  async read(target: TargetRef): Promise<Reading> {
    const at = this.deps.clock.now().getTime();
    try {
      const [obj, state] = await Promise.all([this.deps.cluster.readObject(target), this.deps.cluster.readState(target, SCALE_PROBE).catch(() => null)]);
      const hpa = state?.found && state.hpa ? { name: state.hpa.name, min: state.hpa.minReplicas, max: state.hpa.maxReplicas, current: state.hpa.currentReplicas } : null;
      return { at, found: true, error: null, hpa, ...readingFromObject(obj) };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const notFound = /not.?found|404/i.test(message);
      return { at, found: !notFound, error: message.slice(0, 300), desired: null, ready: null, hpa: null, containers: [] };
    }
  }

  private async pass(): Promise<void> {
    try {
      const recent = await this.deps.store.listRemediations({ limit: 200 });
      const targets = new Map<string, TargetRef>();
      for (const r of recent.items) {
        if (r.target && r.targetKey && !targets.has(r.targetKey) && r.target.kind !== 'Redis') targets.set(r.targetKey, r.target);
        if (targets.size >= this.maxTargets) break;
      }
      for (const [key, target] of targets) this.push(key, await this.read(target));
      // Forget targets no longer among the recent ones.
      for (const key of this.rings.keys()) if (!targets.has(key)) this.rings.delete(key);
    } catch (err) {
      this.deps.logger.warn({ err }, 'status page: sampling the targets failed');
    }
  }

  private push(key: string, reading: Reading): void {
    const ring = this.rings.get(key) ?? [];
    ring.push(reading);
    if (ring.length > this.maxSamples) ring.splice(0, ring.length - this.maxSamples);
    this.rings.set(key, ring);
  }
}
