/**
 * The resource quota controller (kube-controller-manager's `resourcequota`): for each
 * ResourceQuota, status.hard is spec.hard and status.used what the namespace's pods that still
 * run count against each resource it names, as the real controller reports them: `pods` and
 * `count/pods`, `requests.cpu` (and `cpu`), `requests.memory` (and `memory`), `limits.cpu`,
 * `limits.memory`, and `count/<resource>[.<group>]` of any kind the sandbox serves. Quantities
 * in canonical form ("1500m", "768Mi", "3"). Written only when it changes.
 */
import type { Cluster } from './cluster.js';
import { RESOURCES, R, apiVersionOf } from './resources.js';
import { deepEqual, isRecord, type Container, type StoredObject } from './types.js';
import { parseQuantity } from './validation.js';

type PodSums = { 'requests.cpu': number; 'requests.memory': number; 'limits.cpu': number; 'limits.memory': number };

/** What a pod counts: its containers' sum, or its largest init container when that is more. */
function podSums(pod: StoredObject): PodSums {
  const spec = isRecord(pod.spec) ? (pod.spec as { containers?: Container[]; initContainers?: Container[] }) : {};
  const out: PodSums = { 'requests.cpu': 0, 'requests.memory': 0, 'limits.cpu': 0, 'limits.memory': 0 };
  const keys = Object.keys(out) as (keyof PodSums)[];
  const of = (c: Container, k: keyof PodSums): number => {
    const [field, res] = k.split('.') as ['requests' | 'limits', string];
    return parseQuantity(c.resources?.[field]?.[res]) ?? 0;
  };
  for (const c of spec.containers ?? []) for (const k of keys) out[k] += of(c, k);
  for (const c of spec.initContainers ?? []) for (const k of keys) out[k] = Math.max(out[k], of(c, k));
  return out;
}

/** Decimal SI as resource.Quantity writes it: the largest suffix (n … E) that keeps the number whole ("1k", "1500", "100m"). */
function canonicalDecimal(value: number): string {
  if (value === 0) return '0';
  const suffixes: Array<[number, string]> = [[18, 'E'], [15, 'P'], [12, 'T'], [9, 'G'], [6, 'M'], [3, 'k'], [0, ''], [-3, 'm'], [-6, 'u'], [-9, 'n']];
  for (const [exp, suffix] of suffixes) {
    const mantissa = value / 10 ** exp;
    if (Math.abs(mantissa) >= 1 && Math.abs(mantissa - Math.round(mantissa)) < 1e-9 * Math.abs(mantissa)) return `${Math.round(mantissa)}${suffix}`;
  }
  return `${Math.ceil(value * 1e9)}n`;
}

/** Binary SI as resource.Quantity writes it ("768Mi", "1000Gi"); a byte count no power of 1024 divides is written decimal. */
function canonicalBinary(value: number): string {
  const bytes = Math.round(value);
  if (bytes === 0) return '0';
  for (const [unit, size] of [['Ei', 2 ** 60], ['Pi', 2 ** 50], ['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return bytes < 1024 ? String(bytes) : canonicalDecimal(bytes);
}

/**
 * A quantity as the API server writes it back (resource.Quantity's canonical form): binary
 * units for what was written in them (memory sums keep their first term's format), decimal SI
 * for the rest: `pods: "1000"` comes back `"1k"`, `requests.cpu: "1.5"` as `"1500m"`.
 */
export function canonicalQuantity(value: number, binary: boolean): string {
  return binary ? canonicalBinary(value) : canonicalDecimal(value);
}

const isBinary = (q: unknown): boolean => typeof q === 'string' && /[KMGTPE]i$/.test(q.trim());

function usedOf(cluster: Cluster, namespace: string, resource: string, pods: StoredObject[]): number | null {
  const running = pods.filter((p) => {
    const phase = isRecord(p.status) ? p.status.phase : undefined;
    return phase !== 'Succeeded' && phase !== 'Failed';
  });
  const sum = (k: keyof PodSums): number => running.reduce((a, p) => a + podSums(p)[k], 0);
  switch (resource) {
    case 'pods':
    case 'count/pods':
      return running.length;
    case 'cpu':
    case 'requests.cpu':
      return sum('requests.cpu');
    case 'memory':
    case 'requests.memory':
      return sum('requests.memory');
    case 'limits.cpu':
      return sum('limits.cpu');
    case 'limits.memory':
      return sum('limits.memory');
  }
  const m = /^count\/([a-z0-9-]+)(?:\.(.+))?$/.exec(resource);
  if (!m) return null;
  const def = RESOURCES.find((r) => r.namespaced && r.plural === m[1] && r.group === (m[2] ?? ''));
  return def ? cluster.store.list(def, namespace).length : null;
}

export function syncResourceQuotas(cluster: Cluster): void {
  const podsByNs = new Map<string, StoredObject[]>();
  for (const quota of cluster.store.list(R.resourcequotas)) {
    const ns = quota.metadata.namespace!;
    if (!podsByNs.has(ns)) podsByNs.set(ns, cluster.store.list(R.pods, ns));
    const spec = isRecord(quota.spec) ? quota.spec : {};
    const hard = isRecord(spec.hard) ? (spec.hard as Record<string, string>) : {};
    const used: Record<string, string> = {};
    const canonicalHard: Record<string, string> = {};
    for (const r of Object.keys(hard)) {
      canonicalHard[r] = canonicalQuantity(parseQuantity(hard[r]) ?? 0, isBinary(hard[r]));
      const v = usedOf(cluster, ns, r, podsByNs.get(ns)!);
      // Memory used is written as the pods' requests are (binary units), counts and CPU in decimal SI.
      if (v !== null) used[r] = canonicalQuantity(v, /memory|storage/.test(r));
    }
    const status = { hard: canonicalHard, used };
    if (deepEqual(quota.status, status)) continue;
    cluster.store.update(R.resourcequotas, { ...quota, apiVersion: apiVersionOf(R.resourcequotas), kind: 'ResourceQuota', status });
  }
}
