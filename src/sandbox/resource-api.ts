/**
 * The verbs of the resource API, with the API server's semantics: defaulting and
 * validation, resourceVersion preconditions (409), status kept apart from spec,
 * the scale subresource, no-op writes that keep the resourceVersion, dry runs,
 * cascading deletes, selectors and paging on lists.
 */
import { randomUUID } from 'node:crypto';
import { randomSuffix, type Cluster } from './cluster.js';
import { readNumber, writeValue } from './hpa-controller.js';
import { formatTime } from './object-store.js';
import { applyPatch } from './patch.js';
import type { ResourceRoute } from './request-router.js';
import { apiVersionOf, R, RESOURCES, type ResourceDef } from './resources.js';
import { formatLabelSelector, parseFieldSelector, parseLabelSelector } from './selectors.js';
import {
  alreadyExists, ApiError, badRequest, conflict, deleteSuccess, internalError, invalid, notFound, type FieldError,
} from './status.js';
import { toTable, wantsTable, type IncludeObject } from './table.js';
import { clone, isRecord, semanticEqual, text, withoutNulls, type JsonObject, type KubeObject, type LabelSelector, type StoredObject } from './types.js';
import { applyDefaults, validateObject } from './validation.js';

export interface ResourceRequest extends ResourceRoute {
  query: URLSearchParams;
  contentType?: string;
  accept?: string;
  body: string;
}

export interface ApiResponse {
  code: number;
  body: unknown;
}

/** Namespaces the API server refuses to delete. */
const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

const NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function parseJsonObject(body: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (e) {
    throw badRequest(`the object provided is unrecognized (must be of type ${what}): couldn't get version/kind; json parse error: ${(e as Error).message}`);
  }
  if (!isRecord(value)) throw badRequest(`the object provided is unrecognized (must be of type ${what}): expected a JSON object`);
  return value;
}

/** The autoscaling/v1 Scale view of an object with a scale subresource. */
export function toScale(def: ResourceDef, obj: StoredObject): JsonObject {
  const paths = def.scale!;
  const replicas = readNumber(obj, paths.specReplicasPath) ?? 0;
  let selector = '';
  if (paths.labelSelectorPath) {
    let cur: unknown = obj;
    for (const k of paths.labelSelectorPath) cur = isRecord(cur) ? cur[k] : undefined;
    selector = typeof cur === 'string' ? cur : '';
  } else if (isRecord(obj.spec)) {
    selector = formatLabelSelector(obj.spec.selector as LabelSelector | undefined);
  }
  const meta: JsonObject = {
    name: obj.metadata.name, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion,
    creationTimestamp: obj.metadata.creationTimestamp,
  };
  if (obj.metadata.namespace) meta.namespace = obj.metadata.namespace;
  // ScaleSpec.replicas is omitempty on the wire; ScaleStatus.replicas is not.
  const spec: JsonObject = replicas === 0 ? {} : { replicas };
  const status: JsonObject = { replicas: readNumber(obj, paths.statusReplicasPath) ?? 0 };
  if (selector) status.selector = selector;
  return { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: meta, spec, status };
}

/** Objects without their resourceVersion, for "did this write change anything". */
function sameContent(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject): KubeObject => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
  return semanticEqual(strip(a), strip(b));
}

export class ResourceApi {
  constructor(private readonly cluster: Cluster) {}

  private get store() {
    return this.cluster.store;
  }

  handle(r: ResourceRequest): ApiResponse {
    switch (r.verb) {
      case 'get':
        return this.get(r);
      case 'list':
        return this.list(r);
      case 'create':
        return this.create(r);
      case 'update':
        return this.update(r);
      case 'patch':
        return this.patch(r);
      case 'delete':
        return this.delete(r);
      case 'deletecollection':
        return this.deleteCollection(r);
      default:
        throw internalError(`verb ${r.verb} is served elsewhere`);
    }
  }

  private existing(r: ResourceRequest): StoredObject {
    const obj = this.store.get(r.def, r.namespace, r.name!);
    if (!obj) throw notFound(r.def, r.name!);
    return obj;
  }

  private render(r: ResourceRequest, obj: StoredObject): unknown {
    if (!r.subresource && wantsTable(r.accept)) {
      return toTable(r.def, [obj], this.cluster.clock().getTime(), includeObject(r.query), { resourceVersion: obj.metadata.resourceVersion });
    }
    return obj;
  }

  private get(r: ResourceRequest): ApiResponse {
    const obj = this.existing(r);
    if (r.subresource === 'scale') return { code: 200, body: toScale(r.def, obj) };
    return { code: 200, body: this.render(r, obj) };
  }

  /** Objects matching the request's namespace and selectors, in key order. */
  selected(r: Pick<ResourceRequest, 'def' | 'namespace' | 'query'>): StoredObject[] {
    const labels = parseLabelSelector(r.query.get('labelSelector'));
    const fields = parseFieldSelector(r.query.get('fieldSelector'), r.def.plural);
    return this.store.listShared(r.def, r.namespace).filter((o) => labels(o.metadata.labels) && fields(o));
  }

  private list(r: ResourceRequest): ApiResponse {
    let items = this.selected(r);
    const meta: Record<string, string> = { resourceVersion: this.store.resourceVersion() };
    const token = r.query.get('continue');
    if (token) {
      let after: string;
      try {
        after = String((JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after: unknown }).after);
      } catch {
        throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
      }
      items = items.filter((o) => keyOf(o) > after);
    }
    const limit = Number(r.query.get('limit') ?? '0');
    let remaining = 0;
    if (Number.isInteger(limit) && limit > 0 && items.length > limit) {
      remaining = items.length - limit;
      items = items.slice(0, limit);
      meta.continue = Buffer.from(JSON.stringify({ after: keyOf(items[items.length - 1]!) })).toString('base64url');
    }
    if (wantsTable(r.accept)) return { code: 200, body: toTable(r.def, items, this.cluster.clock().getTime(), includeObject(r.query), meta) };
    const metadata: Record<string, unknown> = { ...meta };
    if (remaining > 0) metadata.remainingItemCount = remaining;
    return { code: 200, body: { kind: `${r.def.kind}List`, apiVersion: apiVersionOf(r.def), metadata, items } };
  }

  /** Decodes a body into an object of this resource, defaulting apiVersion/kind from the path. */
  private decode(r: ResourceRequest, raw: Record<string, unknown>): KubeObject {
    const apiVersion = apiVersionOf(r.def);
    if (raw.apiVersion !== undefined && raw.apiVersion !== apiVersion) {
      throw badRequest(`the API version in the data (${text(raw.apiVersion)}) does not match the expected API version (${apiVersion})`);
    }
    if (raw.kind !== undefined && raw.kind !== r.def.kind) {
      throw badRequest(`the kind in the data (${text(raw.kind)}) does not match the expected kind (${r.def.kind})`);
    }
    const obj = { ...withoutNulls(raw), apiVersion, kind: r.def.kind } as KubeObject;
    obj.metadata = isRecord(raw.metadata) ? { ...(raw.metadata as KubeObject['metadata']) } : {};
    if (r.def.namespaced) {
      const ns = obj.metadata.namespace;
      if (ns !== undefined && ns !== '' && ns !== r.namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      obj.metadata.namespace = r.namespace;
    } else delete obj.metadata.namespace;
    return obj;
  }

  private checkNamespace(r: ResourceRequest): void {
    if (r.def.namespaced && !this.store.has(R.namespaces, undefined, r.namespace!)) throw notFound(R.namespaces, r.namespace!);
  }

  private validate(def: ResourceDef, obj: StoredObject, old: StoredObject | undefined, kind = def.kind, group = def.group): void {
    const errors: FieldError[] = validateObject(def, obj, old);
    const name = obj.metadata.name ?? '';
    if ((!old && !NAME_RE.test(name)) || name.length > 253) {
      errors.unshift({
        field: 'metadata.name', type: 'FieldValueInvalid', value: name,
        detail: "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
      });
    }
    if (errors.length > 0) throw invalid(kind, group, name, errors);
  }

  private create(r: ResourceRequest): ApiResponse {
    const obj = this.decode(r, parseJsonObject(r.body, r.def.kind));
    const meta = obj.metadata;
    if (!meta.name) {
      if (!meta.generateName) {
        throw invalid(r.def.kind, r.def.group, '', [{ field: 'metadata.name', type: 'FieldValueRequired', detail: 'name or generateName is required' }]);
      }
      meta.name = `${meta.generateName}${randomSuffix()}`;
    }
    if (meta.resourceVersion) throw internalError('resourceVersion should not be set on objects to be created');
    this.checkNamespace(r);
    delete meta.uid;
    delete meta.creationTimestamp;
    delete meta.deletionTimestamp;
    if (r.def.status) delete obj.status;
    const candidate = obj as StoredObject;
    applyDefaults(r.def, candidate);
    this.validate(r.def, candidate, undefined);
    if (this.store.has(r.def, r.namespace, meta.name)) throw alreadyExists(r.def, meta.name);
    if (isDryRun(r.query)) {
      candidate.metadata = { ...candidate.metadata, uid: randomUUID(), creationTimestamp: formatTime(this.cluster.clock()) };
      if (r.def.generation) candidate.metadata.generation = 1;
      return { code: 201, body: candidate };
    }
    return { code: 201, body: this.store.create(r.def, candidate) };
  }

  /** The resourceVersion precondition of update and patch. */
  private precondition(r: ResourceRequest, requested: unknown, current: StoredObject): void {
    if (requested !== undefined && requested !== null && requested !== '' && requested !== current.metadata.resourceVersion) {
      throw conflict(r.def, r.name!);
    }
  }

  /** Writes `next` over `current` (main resource or status), unless nothing changed. */
  private write(r: ResourceRequest, current: StoredObject, next: KubeObject): StoredObject {
    next.metadata = {
      ...next.metadata,
      name: current.metadata.name, uid: current.metadata.uid, creationTimestamp: current.metadata.creationTimestamp,
      resourceVersion: current.metadata.resourceVersion,
    };
    if (current.metadata.generation !== undefined) next.metadata.generation = current.metadata.generation;
    if (r.def.namespaced) next.metadata.namespace = current.metadata.namespace;
    if (r.subresource === 'status') {
      const status = next.status;
      next = clone(current);
      next.status = status;
    } else if (r.def.status) {
      next.status = current.status;
    }
    const candidate = next as StoredObject;
    applyDefaults(r.def, candidate);
    if (r.def === R.namespaces) candidate.status = current.status;
    this.validate(r.def, candidate, current);
    if (sameContent(candidate, current)) return current;
    if (isDryRun(r.query)) return candidate;
    return this.store.update(r.def, candidate);
  }

  private update(r: ResourceRequest): ApiResponse {
    const raw = parseJsonObject(r.body, r.subresource === 'scale' ? 'Scale' : r.def.kind);
    const rawName = isRecord(raw.metadata) ? raw.metadata.name : undefined;
    if (rawName !== undefined && rawName !== r.name) {
      throw badRequest(`the name of the object (${text(rawName)}) does not match the name on the URL (${r.name})`);
    }
    const current = this.existing(r);
    const requestedRv = isRecord(raw.metadata) ? raw.metadata.resourceVersion : undefined;
    if (r.subresource === 'scale') return this.writeScale(r, current, raw);
    this.precondition(r, requestedRv, current);
    const next = this.decode(r, raw);
    return { code: 200, body: this.write(r, current, next) };
  }

  private patch(r: ResourceRequest): ApiResponse {
    const current = this.existing(r);
    if (r.subresource === 'scale') {
      const patched = applyPatch(r.contentType, toScale(r.def, current), r.body, false);
      return this.writeScale(r, current, patched);
    }
    const patched = withoutNulls(applyPatch(r.contentType, current as unknown as JsonObject, r.body, r.def.custom)) as unknown as KubeObject;
    this.precondition(r, isRecord(patched.metadata) ? patched.metadata.resourceVersion : undefined, current);
    if (!isRecord(patched.metadata)) patched.metadata = {};
    patched.apiVersion = current.apiVersion;
    patched.kind = current.kind;
    return { code: 200, body: this.write(r, current, patched) };
  }

  /** Update through the scale subresource: only spec.replicas of the parent changes. */
  private writeScale(r: ResourceRequest, current: StoredObject, scale: Record<string, unknown>): ApiResponse {
    const meta = isRecord(scale.metadata) ? scale.metadata : {};
    this.precondition(r, meta.resourceVersion, current);
    const spec = isRecord(scale.spec) ? scale.spec : {};
    const replicas = spec.replicas ?? 0;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      const detail = typeof replicas === 'number' && Number.isInteger(replicas) ? 'must be greater than or equal to 0' : 'must be an integer';
      throw invalid('Scale', 'autoscaling', r.name!, [{ field: 'spec.replicas', type: 'FieldValueInvalid', value: replicas, detail }]);
    }
    const next = clone(current) as StoredObject & Record<string, unknown>;
    writeValue(next, r.def.scale!.specReplicasPath, replicas);
    this.validate(r.def, next, current);
    if (sameContent(next, current)) return { code: 200, body: toScale(r.def, current) };
    if (isDryRun(r.query)) return { code: 200, body: toScale(r.def, next) };
    return { code: 200, body: toScale(r.def, this.store.update(r.def, next)) };
  }

  private delete(r: ResourceRequest): ApiResponse {
    const current = this.existing(r);
    if (r.def === R.namespaces && PROTECTED_NAMESPACES.has(current.metadata.name)) {
      throw new ApiError(403, 'Forbidden', `namespaces "${current.metadata.name}" is forbidden: this namespace may not be deleted`, { name: current.metadata.name, kind: 'namespaces' });
    }
    const options = r.body.trim() ? parseJsonObject(r.body, 'DeleteOptions') : {};
    const pre = isRecord(options.preconditions) ? options.preconditions : {};
    if (pre.resourceVersion !== undefined && pre.resourceVersion !== current.metadata.resourceVersion) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${r.def.group ? `${r.def.plural}.${r.def.group}` : r.def.plural} "${r.name}": Precondition failed: ResourceVersion in precondition: ${text(pre.resourceVersion)}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
        { name: r.name!, group: r.def.group, kind: r.def.plural });
    }
    if (pre.uid !== undefined && pre.uid !== current.metadata.uid) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${r.def.group ? `${r.def.plural}.${r.def.group}` : r.def.plural} "${r.name}": Precondition failed: UID in precondition: ${text(pre.uid)}, UID in object meta: ${current.metadata.uid}`,
        { name: r.name!, group: r.def.group, kind: r.def.plural });
    }
    const policy = text(options.propagationPolicy ?? r.query.get('propagationPolicy') ?? 'Background');
    if (!isDryRun(r.query)) this.removeCascading(r.def, current, policy !== 'Orphan');
    return { code: 200, body: r.def.returnsDeletedObject ? current : deleteSuccess(r.def, current.metadata.name, current.metadata.uid) };
  }

  private deleteCollection(r: ResourceRequest): ApiResponse {
    const items = this.selected(r);
    if (!isDryRun(r.query)) for (const obj of items) this.removeCascading(r.def, obj, true);
    return { code: 200, body: { kind: `${r.def.kind}List`, apiVersion: apiVersionOf(r.def), metadata: { resourceVersion: this.store.resourceVersion() }, items } };
  }

  /** Deletes an object and (as the garbage collector would, at once) its dependents, or a namespace and its contents. */
  removeCascading(def: ResourceDef, obj: StoredObject, cascade: boolean): void {
    this.store.remove(def, obj.metadata.namespace, obj.metadata.name);
    if (!cascade) return;
    if (def === R.namespaces) {
      for (const d of RESOURCES.filter((x) => x.namespaced)) {
        for (const o of this.store.list(d, obj.metadata.name)) this.store.remove(d, o.metadata.namespace, o.metadata.name);
      }
      return;
    }
    for (const dep of this.store.dependentsOf(obj.metadata.uid)) this.removeCascading(dep.def, dep.object, true);
  }
}

function keyOf(o: StoredObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

function isDryRun(query: URLSearchParams): boolean {
  return query.getAll('dryRun').includes('All');
}

function includeObject(query: URLSearchParams): IncludeObject {
  const v = query.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}
