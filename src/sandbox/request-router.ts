/**
 * Maps a request (method + path) to what the API server would see in it: a
 * discovery document, or a resource request with its Kubernetes verb, resource,
 * subresource, namespace and name (the attributes RBAC authorizes on).
 */
import { apiGroup, apiGroupList, apiResourceList, coreVersions, versionInfo } from './discovery.js';
import { resourceByPlural, type ResourceDef, type Verb } from './resources.js';
import { methodNotAllowed, pathNotFound } from './status.js';

export type Subresource = 'scale' | 'status';

export interface ResourceRoute {
  type: 'resource';
  def: ResourceDef;
  verb: Verb;
  namespace?: string;
  name?: string;
  subresource?: Subresource;
}

export interface NonResourceRoute {
  type: 'nonResource';
  /** The document to answer with (discovery, version). */
  body: unknown;
}

export type Route = ResourceRoute | NonResourceRoute;

const SUBRESOURCE_VERBS: readonly Verb[] = ['get', 'update', 'patch'];

function verbFor(method: string, hasName: boolean, watch: boolean): Verb {
  switch (method) {
    case 'GET':
      return hasName ? 'get' : watch ? 'watch' : 'list';
    case 'POST':
      if (hasName) throw methodNotAllowed();
      return 'create';
    case 'PUT':
      if (!hasName) throw methodNotAllowed();
      return 'update';
    case 'PATCH':
      if (!hasName) throw methodNotAllowed();
      return 'patch';
    case 'DELETE':
      return hasName ? 'delete' : 'deletecollection';
    default:
      throw methodNotAllowed();
  }
}

function readOnly(method: string, body: unknown): NonResourceRoute {
  if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed();
  return { type: 'nonResource', body };
}

/**
 * Routes a request; throws ApiError 404 for a path the server does not serve and
 * 405 for a method the resource does not take. Non-API paths return undefined.
 */
export function route(method: string, url: URL, serverAddress: string): Route | undefined {
  const seg = url.pathname.split('/').filter((s) => s.length > 0).map(decodeURIComponent);
  if (url.pathname === '/version' || url.pathname === '/version/') return readOnly(method, versionInfo());
  let group: string;
  let version: string;
  let rest: string[];
  if (seg[0] === 'api') {
    if (seg.length === 1) return readOnly(method, coreVersions(serverAddress));
    group = '';
    version = seg[1]!;
    rest = seg.slice(2);
  } else if (seg[0] === 'apis') {
    if (seg.length === 1) return readOnly(method, apiGroupList());
    if (seg.length === 2) {
      const doc = apiGroup(seg[1]!);
      if (!doc) throw pathNotFound();
      return readOnly(method, doc);
    }
    group = seg[1]!;
    version = seg[2]!;
    rest = seg.slice(3);
  } else {
    return undefined;
  }
  if (rest.length === 0) {
    const doc = apiResourceList(group, version);
    if (!doc) throw pathNotFound();
    return readOnly(method, doc);
  }
  let namespace: string | undefined;
  const namespaceSubresource = rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize');
  if (rest[0] === 'namespaces' && rest.length >= 3 && !namespaceSubresource) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length > 3) throw pathNotFound();
  const [plural, name, sub] = rest as [string, string | undefined, string | undefined];
  const def = resourceByPlural(group === '' ? version : `${group}/${version}`, plural);
  if (!def) throw pathNotFound();
  if (namespace !== undefined && !def.namespaced) throw pathNotFound();
  if (def.namespaced && namespace === undefined && name !== undefined) throw pathNotFound();
  let subresource: Subresource | undefined;
  if (sub !== undefined) {
    if (sub === 'scale' && def.scale) subresource = 'scale';
    else if (sub === 'status' && def.status) subresource = 'status';
    else throw pathNotFound();
  }
  const watch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
  const verb = verbFor(method, name !== undefined, watch);
  if (subresource ? !SUBRESOURCE_VERBS.includes(verb) : !def.verbs.includes(verb)) throw methodNotAllowed();
  const r: ResourceRoute = { type: 'resource', def, verb };
  if (namespace !== undefined) r.namespace = namespace;
  if (name !== undefined) r.name = name;
  if (subresource) r.subresource = subresource;
  return r;
}
