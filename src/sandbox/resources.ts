/**
 * The resources the sandbox serves: one table that discovery, routing, the store
 * and the controllers all read, so a resource is added in exactly one place.
 */

/** Kubernetes verbs as RBAC and the request log name them. */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export const ALL_VERBS: readonly Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** JSON paths (as key lists) of a scale subresource, as a CRD declares them. */
export interface ScalePaths {
  specReplicasPath: string[];
  statusReplicasPath: string[];
  labelSelectorPath?: string[];
}

export interface ResourceDef {
  /** API group; '' for the core group. */
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  verbs: readonly Verb[];
  /** Has a `status` subresource: writes to the main resource keep the stored status. */
  status: boolean;
  /** Scale subresource, when the resource has one. */
  scale?: ScalePaths;
  /** metadata.generation is kept and bumped on spec changes. */
  generation: boolean;
  /** A custom resource: strategic merge patch is not accepted (as on a real server). */
  custom: boolean;
  /** DELETE answers with the deleted object rather than a Success Status. */
  returnsDeletedObject: boolean;
  categories?: string[];
}

/** `group/version`, or `version` for the core group. */
export function apiVersionOf(def: Pick<ResourceDef, 'group' | 'version'>): string {
  return def.group === '' ? def.version : `${def.group}/${def.version}`;
}

/** `plural.group` (or `plural` in the core group), as Kubernetes names a resource in messages. */
export function qualifiedName(def: Pick<ResourceDef, 'group' | 'plural'>): string {
  return def.group === '' ? def.plural : `${def.plural}.${def.group}`;
}

const REPLICAS_SCALE: ScalePaths = { specReplicasPath: ['spec', 'replicas'], statusReplicasPath: ['status', 'replicas'] };

function def(d: Partial<ResourceDef> & Pick<ResourceDef, 'group' | 'version' | 'plural' | 'kind'>): ResourceDef {
  return {
    singular: d.kind.toLowerCase(),
    namespaced: true,
    shortNames: [],
    verbs: ALL_VERBS,
    status: false,
    generation: false,
    custom: false,
    returnsDeletedObject: false,
    ...d,
  };
}

export const RESOURCES: readonly ResourceDef[] = [
  def({
    group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false, shortNames: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], status: true, returnsDeletedObject: true,
  }),
  def({ group: '', version: 'v1', plural: 'pods', kind: 'Pod', shortNames: ['po'], status: true, returnsDeletedObject: true, categories: ['all'] }),
  def({ group: '', version: 'v1', plural: 'events', kind: 'Event', shortNames: ['ev'] }),
  def({ group: '', version: 'v1', plural: 'services', kind: 'Service', shortNames: ['svc'], status: true, categories: ['all'] }),
  def({
    group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', shortNames: ['deploy'],
    status: true, scale: REPLICAS_SCALE, generation: true, categories: ['all'],
  }),
  def({
    group: 'apps', version: 'v1', plural: 'replicasets', kind: 'ReplicaSet', shortNames: ['rs'],
    status: true, scale: REPLICAS_SCALE, generation: true, categories: ['all'],
  }),
  def({
    group: 'apps', version: 'v1', plural: 'statefulsets', kind: 'StatefulSet', shortNames: ['sts'],
    status: true, scale: REPLICAS_SCALE, generation: true, categories: ['all'],
  }),
  def({
    group: 'autoscaling', version: 'v2', plural: 'horizontalpodautoscalers', kind: 'HorizontalPodAutoscaler',
    shortNames: ['hpa'], status: true, generation: true, categories: ['all'],
  }),
  def({ group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease' }),
  def({ group: '', version: 'v1', plural: 'resourcequotas', kind: 'ResourceQuota', shortNames: ['quota'], status: true }),
  def({ group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false, shortNames: ['no'], status: true }),
  def({
    group: 'postgresql.cnpg.io', version: 'v1', plural: 'clusters', kind: 'Cluster', status: true, generation: true, custom: true,
    scale: {
      specReplicasPath: ['spec', 'instances'],
      statusReplicasPath: ['status', 'instances'],
      labelSelectorPath: ['status', 'selector'],
    },
  }),
  // KEDA's ScaledObject (keda.sh_scaledobjects.yaml): owns the HPA it creates for its target.
  def({ group: 'keda.sh', version: 'v1alpha1', plural: 'scaledobjects', kind: 'ScaledObject', shortNames: ['so'], status: true, generation: true, custom: true }),
  def({
    group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions', kind: 'CustomResourceDefinition',
    namespaced: false, shortNames: ['crd', 'crds'], status: true, generation: true, categories: ['api-extensions'],
  }),
];

const byPath = new Map<string, ResourceDef>(RESOURCES.map((r) => [`${apiVersionOf(r)}/${r.plural}`, r]));
const byKind = new Map<string, ResourceDef>(RESOURCES.map((r) => [`${apiVersionOf(r)}/${r.kind}`, r]));

/** The resource served at `/<apiVersion>/<plural>`, if any. */
export function resourceByPlural(apiVersion: string, plural: string): ResourceDef | undefined {
  return byPath.get(`${apiVersion}/${plural}`);
}

/** The resource of objects with this `apiVersion` and `kind`, if the sandbox serves it. */
export function resourceByKind(apiVersion: string, kind: string): ResourceDef | undefined {
  return byKind.get(`${apiVersion}/${kind}`);
}

/** Every group version the sandbox serves, in discovery order (core first). */
export function groupVersions(): { group: string; version: string }[] {
  const seen = new Set<string>();
  const out: { group: string; version: string }[] = [];
  for (const r of RESOURCES) {
    const key = apiVersionOf(r);
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ group: r.group, version: r.version });
    }
  }
  return out;
}

/** Well-known resources, for the controllers. */
export const R = {
  namespaces: resourceByPlural('v1', 'namespaces')!,
  pods: resourceByPlural('v1', 'pods')!,
  events: resourceByPlural('v1', 'events')!,
  deployments: resourceByPlural('apps/v1', 'deployments')!,
  replicasets: resourceByPlural('apps/v1', 'replicasets')!,
  statefulsets: resourceByPlural('apps/v1', 'statefulsets')!,
  hpas: resourceByPlural('autoscaling/v2', 'horizontalpodautoscalers')!,
  leases: resourceByPlural('coordination.k8s.io/v1', 'leases')!,
  resourcequotas: resourceByPlural('v1', 'resourcequotas')!,
  nodes: resourceByPlural('v1', 'nodes')!,
  cnpgClusters: resourceByPlural('postgresql.cnpg.io/v1', 'clusters')!,
  scaledObjects: resourceByPlural('keda.sh/v1alpha1', 'scaledobjects')!,
  crds: resourceByPlural('apiextensions.k8s.io/v1', 'customresourcedefinitions')!,
} as const;
