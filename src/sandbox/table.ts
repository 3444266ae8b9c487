/**
 * Server-side printing: the meta.k8s.io/v1 Table that `kubectl get` asks for
 * (Accept: application/json;as=Table;…), with the columns of the real printers.
 */
import { R, type ResourceDef } from './resources.js';
import { formatLabelSelector } from './selectors.js';
import { isRecord, text, type CoreEvent, type Deployment, type HorizontalPodAutoscaler, type Pod, type ReplicaSet, type StatefulSet, type StoredObject } from './types.js';

interface Column {
  name: string;
  type: 'string' | 'integer' | 'date';
  priority?: number;
  description?: string;
  format?: string;
}

type Cell = string | number;

/** True when the Accept header asks for a Table (`as=Table`). */
export function wantsTable(accept: string | undefined): boolean {
  return /as=Table/.test(accept ?? '');
}

/** k8s.io/apimachinery duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${Math.floor(days / 365)}y` : `${Math.floor(days / 365)}y${days % 365}d`;
  return `${Math.floor(days / 365)}y`;
}

function age(obj: StoredObject, now: number, field?: string): string {
  const t = Date.parse(field ?? obj.metadata.creationTimestamp);
  return Number.isFinite(t) ? humanDuration(now - t) : '<unknown>';
}

function containerCells(template: { spec?: { containers?: { name: string; image?: string }[] } } | undefined): [string, string] {
  const cs = template?.spec?.containers ?? [];
  return [cs.map((c) => c.name).join(','), cs.map((c) => c.image ?? '').join(',')];
}

const NAME: Column = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.' };
const AGE: Column = { name: 'Age', type: 'string', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.' };

interface Printer {
  columns: Column[];
  cells(obj: StoredObject, now: number): Cell[];
}

function hpaTargets(hpa: HorizontalPodAutoscaler): string {
  const metrics = hpa.spec.metrics ?? [];
  if (metrics.length === 0) return '<none>';
  return metrics
    .map((m) => {
      const res = isRecord(m.resource) ? m.resource : undefined;
      const target = res && isRecord(res.target) ? res.target : undefined;
      if (res && target && typeof target.averageUtilization === 'number') return `${text(res.name)}: <unknown>/${target.averageUtilization}%`;
      return '<unknown>/<unknown>';
    })
    .join(', ');
}

const PRINTERS = new Map<ResourceDef, Printer>([
  [R.deployments, {
    columns: [NAME, { name: 'Ready', type: 'string' }, { name: 'Up-to-date', type: 'integer' }, { name: 'Available', type: 'integer' }, AGE,
      { name: 'Containers', type: 'string', priority: 1 }, { name: 'Images', type: 'string', priority: 1 }, { name: 'Selector', type: 'string', priority: 1 }],
    cells: (o, now) => {
      const d = o as Deployment;
      return [d.metadata.name, `${d.status?.readyReplicas ?? 0}/${d.spec.replicas ?? 1}`, d.status?.updatedReplicas ?? 0, d.status?.availableReplicas ?? 0,
        age(d, now), ...containerCells(d.spec.template), formatLabelSelector(d.spec.selector)];
    },
  }],
  [R.replicasets, {
    columns: [NAME, { name: 'Desired', type: 'integer' }, { name: 'Current', type: 'integer' }, { name: 'Ready', type: 'integer' }, AGE,
      { name: 'Containers', type: 'string', priority: 1 }, { name: 'Images', type: 'string', priority: 1 }, { name: 'Selector', type: 'string', priority: 1 }],
    cells: (o, now) => {
      const rs = o as ReplicaSet;
      return [rs.metadata.name, rs.spec.replicas ?? 0, rs.status?.replicas ?? 0, rs.status?.readyReplicas ?? 0, age(rs, now),
        ...containerCells(rs.spec.template), formatLabelSelector(rs.spec.selector)];
    },
  }],
  [R.statefulsets, {
    columns: [NAME, { name: 'Ready', type: 'string' }, AGE, { name: 'Containers', type: 'string', priority: 1 }, { name: 'Images', type: 'string', priority: 1 }],
    cells: (o, now) => {
      const s = o as StatefulSet;
      return [s.metadata.name, `${s.status?.readyReplicas ?? 0}/${s.spec.replicas ?? 1}`, age(s, now), ...containerCells(s.spec.template)];
    },
  }],
  [R.pods, {
    columns: [NAME, { name: 'Ready', type: 'string' }, { name: 'Status', type: 'string' }, { name: 'Restarts', type: 'string' }, AGE,
      { name: 'Node', type: 'string', priority: 1 }],
    cells: (o, now) => {
      const p = o as Pod;
      const statuses = p.status?.containerStatuses ?? [];
      const ready = statuses.filter((c) => c.ready === true).length;
      return [p.metadata.name, `${ready}/${(p.spec.containers ?? []).length}`, p.metadata.deletionTimestamp ? 'Terminating' : (p.status?.phase ?? 'Pending'),
        '0', age(p, now), p.spec.nodeName ?? '<none>'];
    },
  }],
  [R.hpas, {
    columns: [NAME, { name: 'Reference', type: 'string' }, { name: 'Targets', type: 'string' }, { name: 'MinPods', type: 'string' },
      { name: 'MaxPods', type: 'integer' }, { name: 'Replicas', type: 'integer' }, AGE],
    cells: (o, now) => {
      const h = o as HorizontalPodAutoscaler;
      return [h.metadata.name, `${h.spec.scaleTargetRef.kind}/${h.spec.scaleTargetRef.name}`, hpaTargets(h),
        h.spec.minReplicas === undefined ? '<unset>' : String(h.spec.minReplicas), h.spec.maxReplicas, h.status?.currentReplicas ?? 0, age(h, now)];
    },
  }],
  [R.namespaces, {
    columns: [NAME, { name: 'Status', type: 'string' }, AGE],
    cells: (o, now) => [o.metadata.name, isRecord(o.status) && typeof o.status.phase === 'string' ? o.status.phase : 'Active', age(o, now)],
  }],
  [R.events, {
    columns: [{ name: 'Last Seen', type: 'string' }, { name: 'Type', type: 'string' }, { name: 'Reason', type: 'string' },
      { name: 'Object', type: 'string' }, { name: 'Message', type: 'string' }, { ...NAME, priority: 1 }, { name: 'Count', type: 'integer', priority: 1 }],
    cells: (o, now) => {
      const e = o as CoreEvent;
      const io = e.involvedObject ?? {};
      return [age(e, now, e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp), e.type ?? '', e.reason ?? '',
        `${(io.kind ?? '').toLowerCase()}/${io.name ?? ''}`, e.message ?? '', e.metadata.name, e.count ?? 1];
    },
  }],
  [R.leases, {
    columns: [NAME, { name: 'Holder', type: 'string' }, AGE],
    cells: (o, now) => [o.metadata.name, isRecord(o.spec) && typeof o.spec.holderIdentity === 'string' ? o.spec.holderIdentity : '', age(o, now)],
  }],
  [R.cnpgClusters, {
    columns: [NAME, { name: 'Age', type: 'date' }, { name: 'Instances', type: 'integer' }, { name: 'Ready', type: 'integer' },
      { name: 'Status', type: 'string' }, { name: 'Primary', type: 'string' }],
    cells: (o, now) => {
      const s = isRecord(o.status) ? o.status : {};
      return [o.metadata.name, age(o, now), Number(s.instances ?? 0), Number(s.readyInstances ?? 0), text(s.phase ?? ''), text(s.currentPrimary ?? '')];
    },
  }],
  [R.crds, {
    columns: [NAME, { name: 'Created At', type: 'date' }],
    cells: (o) => [o.metadata.name, o.metadata.creationTimestamp],
  }],
]);

export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** A Table of objects of one resource. */
export function toTable(
  def: ResourceDef,
  objects: StoredObject[],
  now: number,
  includeObject: IncludeObject,
  listMeta: Record<string, string>,
): Record<string, unknown> {
  const printer = PRINTERS.get(def) ?? { columns: [NAME, AGE], cells: (o: StoredObject, n: number) => [o.metadata.name, age(o, n)] };
  const rows = objects.map((o) => {
    const row: Record<string, unknown> = { cells: printer.cells(o, now) };
    if (includeObject === 'Object') row.object = o;
    else if (includeObject === 'Metadata') row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
    return row;
  });
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: printer.columns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description ?? '', priority: c.priority ?? 0 })),
    rows,
  };
}
