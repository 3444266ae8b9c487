/**
 * The reads behind a rule's guards (planner/guards.ts judges them): the namespace's
 * ResourceQuotas as the quota controller reports them, one pod's requests and limits of the
 * target, and the cluster's schedulable room. Reads only; errors are KubeErrors.
 */
import type { CapacityReading, PodResources, QuotaReading } from '../domain/guards.js';
import type { TargetRef } from '../domain/target.js';
import type { KubeClient, KubeObject } from './client.js';

type Quantities = Record<string, string> | undefined;

/** CPU in cores, memory in bytes, as Kubernetes quantities say ("500m", "1Gi", "1e3"). */
export function quantity(q: string | number | undefined): number {
  if (q === undefined) return 0;
  if (typeof q === 'number') return q;
  const m = /^([+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(q.trim());
  if (!m) return 0;
  const units: Record<string, number> = { '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
  return Number(m[1]) * units[m[2] ?? '']!;
}

export async function readQuotas(kube: KubeClient, namespace: string): Promise<QuotaReading[]> {
  const list = await kube.listResourceQuotas(namespace);
  return list.map((q) => ({
    name: q.metadata?.name ?? '',
    hard: { ...((q.status?.hard ?? q.spec?.hard ?? {}) as Record<string, string>) },
    used: q.status?.used ? { ...(q.status.used as Record<string, string>) } : null,
    scoped: (q.spec?.scopes?.length ?? 0) > 0 || q.spec?.scopeSelector !== undefined,
  }));
}

interface ContainerSpec {
  resources?: { requests?: Quantities; limits?: Quantities };
  restartPolicy?: string;
}

/**
 * What one pod of the workload requests, as the scheduler and quota admission count it: the sum
 * of its containers, or the largest init container when that is more (a sidecar init container,
 * restartPolicy Always, adds to the sum). A CloudNativePG Cluster's pods take spec.resources.
 */
export function podResourcesOf(obj: KubeObject): PodResources {
  const spec = obj.spec as { template?: { spec?: { containers?: ContainerSpec[]; initContainers?: ContainerSpec[] } }; resources?: { requests?: Quantities; limits?: Quantities } } | undefined;
  const podSpec = spec?.template?.spec;
  if (!podSpec && spec?.resources) {
    const r = spec.resources;
    return { requests: { cpu: quantity(r.requests?.cpu), memory: quantity(r.requests?.memory) }, limits: { cpu: quantity(r.limits?.cpu), memory: quantity(r.limits?.memory) } };
  }
  const sum = { requests: { cpu: 0, memory: 0 }, limits: { cpu: 0, memory: 0 } };
  const add = (c: ContainerSpec): void => {
    for (const f of ['requests', 'limits'] as const) for (const r of ['cpu', 'memory'] as const) sum[f][r] += quantity(c.resources?.[f]?.[r]);
  };
  const init = podSpec?.initContainers ?? [];
  for (const c of podSpec?.containers ?? []) add(c);
  for (const c of init) if (c.restartPolicy === 'Always') add(c);
  for (const c of init) {
    if (c.restartPolicy === 'Always') continue;
    for (const f of ['requests', 'limits'] as const) for (const r of ['cpu', 'memory'] as const) sum[f][r] = Math.max(sum[f][r], quantity(c.resources?.[f]?.[r]));
  }
  return sum;
}

export async function readPodResources(kube: KubeClient, target: TargetRef): Promise<PodResources> {
  return podResourcesOf(await kube.getObject(target));
}

/** Ready, schedulable nodes' allocatable, and the requests of the pods bound to them that still run. */
export async function readCapacity(kube: KubeClient): Promise<CapacityReading> {
  const [nodes, pods] = await Promise.all([kube.listNodes(), kube.listAllPods()]);
  const usable = nodes.filter((n) => !n.spec?.unschedulable && (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'));
  const names = new Set(usable.map((n) => n.metadata?.name));
  const out: CapacityReading = { nodes: usable.length, allocatable: { cpu: 0, memory: 0, pods: 0 }, requested: { cpu: 0, memory: 0, pods: 0 } };
  for (const n of usable) {
    const a = (n.status?.allocatable ?? {}) as Record<string, string>;
    out.allocatable.cpu += quantity(a.cpu);
    out.allocatable.memory += quantity(a.memory);
    out.allocatable.pods += quantity(a.pods);
  }
  for (const p of pods) {
    if (!p.spec?.nodeName || !names.has(p.spec.nodeName)) continue;
    if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
    const r = podResourcesOf({ apiVersion: 'v1', kind: 'Pod', spec: { template: { spec: p.spec } } });
    out.requested.cpu += r.requests.cpu;
    out.requested.memory += r.requests.memory;
    out.requested.pods += 1;
  }
  return out;
}
