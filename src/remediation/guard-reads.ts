/**
 * The reads a rule's guards need for one planned change (planner/guards.ts guardNeeds says
 * which), gathered into GuardReadings for the pure guardVerdict. Never throws: a read that
 * failed is a reading with its error, and the guard that needed it does not pass.
 */
import type { ClusterPort } from '../actions/port.js';
import type { GuardReadings, Reading } from '../domain/guards.js';
import type { TargetRef } from '../domain/target.js';
import type { GuardNeeds } from '../planner/guards.js';
import type { MetricsSource } from '../validation/prometheus.js';

export interface GuardReadDeps {
  cluster: Pick<ClusterPort, 'guardReads'>;
  /** Prometheus for the preconditions; null: PROMETHEUS_URL is not set. */
  prometheus: MetricsSource | null;
}

async function reading<T>(read: (() => Promise<T>) | null, missing: string): Promise<Reading<T>> {
  if (read === null) return { ok: false, error: missing };
  try {
    return { ok: true, value: await read() };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

export async function readGuards(needs: GuardNeeds, target: TargetRef, deps: GuardReadDeps): Promise<GuardReadings> {
  const g = deps.cluster.guardReads;
  const noCluster = 'this cluster port cannot read quotas, pods or nodes';
  const out: GuardReadings = {};
  const [quotas, pod, capacity] = await Promise.all([
    needs.quotas ? reading(g ? () => g.quotas(target.namespace) : null, noCluster) : undefined,
    needs.pod ? reading(g ? () => g.podResources(target) : null, noCluster) : undefined,
    needs.capacity ? reading(g ? () => g.capacity() : null, noCluster) : undefined,
  ]);
  if (quotas) out.quotas = quotas;
  if (pod) out.pod = pod;
  if (capacity) out.capacity = capacity;
  if (needs.queries.length > 0) {
    const prom = deps.prometheus;
    const answers = await Promise.all(
      needs.queries.map(async (q): Promise<[string, Reading<number>]> => [q, prom ? await prom.query(q).then((r) => (r.ok ? r : { ok: false as const, error: r.error })) : { ok: false, error: 'no Prometheus configured (PROMETHEUS_URL)' }]),
    );
    out.queries = Object.fromEntries(answers);
  }
  return out;
}
