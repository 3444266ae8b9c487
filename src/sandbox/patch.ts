/**
 * The three patch types the API server accepts from client-node and kubectl:
 * RFC 6902 JSON Patch, RFC 7386 JSON Merge Patch, and Kubernetes strategic merge
 * patch (enough of it for the fields this project touches: scalars, maps, and the
 * lists that core/v1 merges by key, such as `containers` by `name`).
 */
import jsonpatch from 'fast-json-patch';
import { ApiError, badRequest, unsupportedMediaType } from './status.js';
import { isRecord, type JsonObject, type JsonValue } from './types.js';

export const PatchType = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

/** Media types a PATCH may carry: built-in types take all three, custom resources no strategic merge. */
export function acceptedPatchTypes(custom: boolean): string[] {
  return custom ? [PatchType.json, PatchType.merge] : [PatchType.json, PatchType.merge, PatchType.strategic];
}

/** The bare media type of a Content-Type header (no parameters, lower case). */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * Applies a patch body to a copy of `target` and returns the result.
 * Throws ApiError: 415 for a media type the resource does not take, 400 for a body
 * that does not parse or has the wrong shape, 422 for a JSON Patch that cannot apply.
 */
export function applyPatch(contentType: string | undefined, target: JsonObject, body: string, custom: boolean): JsonObject {
  const type = mediaType(contentType);
  const accepted = acceptedPatchTypes(custom);
  if (!accepted.includes(type)) throw unsupportedMediaType(type, accepted);
  let patch: unknown;
  try {
    patch = JSON.parse(body);
  } catch (e) {
    throw badRequest(`error decoding patch: ${(e as Error).message}`);
  }
  if (type === PatchType.json) return applyJsonPatch(target, patch);
  if (!isRecord(patch)) throw badRequest('error decoding patch: a merge patch must be a JSON object');
  const result = type === PatchType.merge ? mergePatch(target, patch as JsonObject) : strategicMerge(target, patch as JsonObject);
  return isRecord(result) ? (result) : {};
}

/** JsonPatchError names that mean "the patch is well formed but does not apply to this object". */
const APPLY_FAILURES = new Set([
  'TEST_OPERATION_FAILED', 'OPERATION_PATH_UNRESOLVABLE', 'OPERATION_FROM_UNRESOLVABLE',
  'OPERATION_PATH_ILLEGAL_ARRAY_INDEX', 'OPERATION_VALUE_OUT_OF_BOUNDS',
]);

function applyJsonPatch(target: JsonObject, patch: unknown): JsonObject {
  if (!Array.isArray(patch)) throw badRequest('error decoding patch: a JSON Patch must be an array of operations');
  try {
    const doc = jsonpatch.deepClone(target) as JsonObject;
    const result = jsonpatch.applyPatch(doc, patch as jsonpatch.Operation[], true, true, true).newDocument;
    return isRecord(result) ? (result) : {};
  } catch (e) {
    if (e instanceof jsonpatch.JsonPatchError) {
      const detail = `${e.name}: ${e.message.split('\n')[0]}`;
      if (APPLY_FAILURES.has(e.name)) {
        throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${detail}`, {
          causes: [{ message: detail }],
        });
      }
      throw badRequest(`error decoding patch: ${detail}`);
    }
    throw e;
  }
}

/** RFC 7386: objects merge recursively, `null` deletes, anything else (lists too) replaces. */
export function mergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isRecord(patch)) return patch;
  const out: JsonObject = isRecord(target) ? { ...(target) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/**
 * Lists that strategic merge combines element by element, keyed by a field
 * (patchMergeKey in the core/v1 and meta/v1 Go types). Chosen by field name,
 * which is exact for the pod template and metadata fields this project patches.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  ports: 'containerPort',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  ownerReferences: 'uid',
  conditions: 'type',
  resourceClaims: 'name',
};

/** Lists of scalars merged as sets (patchStrategy "merge" without a key). */
const SET_LISTS = new Set(['finalizers']);

const DIRECTIVE = '$patch';

function withoutDirectives(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(withoutDirectives);
  if (!isRecord(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('$')) continue;
    out[k] = withoutDirectives(v);
  }
  return out;
}

/**
 * Strategic merge of a map: like a merge patch, plus keyed list merges and the
 * `$patch: replace|delete`, `$retainKeys`, `$deleteFromPrimitiveList/<f>` and
 * `$setElementOrder/<f>` (accepted, order not enforced) directives.
 * Returns undefined when the patch deletes the map itself.
 */
export function strategicMerge(original: JsonValue | undefined, patch: JsonObject): JsonValue | undefined {
  const directive = patch[DIRECTIVE];
  if (directive === 'delete') return undefined;
  if (directive === 'replace') return withoutDirectives(patch);
  if (directive !== undefined) throw badRequest(`error decoding patch: unknown patch type: ${JSON.stringify(directive)}`);
  const out: JsonObject = isRecord(original) ? { ...(original) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key === DIRECTIVE || key === '$retainKeys' || key.startsWith('$setElementOrder/')) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const current = out[field];
      if (Array.isArray(current) && Array.isArray(value)) {
        out[field] = current.filter((x) => !value.some((d) => d === x));
      }
      continue;
    }
    if (value === null) delete out[key];
    else if (Array.isArray(value)) out[key] = mergeList(out[key], value, key);
    else if (isRecord(value)) {
      const merged = strategicMerge(out[key], value);
      if (merged === undefined) delete out[key];
      else out[key] = merged;
    } else out[key] = value;
  }
  const retain = patch.$retainKeys;
  if (Array.isArray(retain)) {
    for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  }
  return out;
}

function mergeList(original: JsonValue | undefined, patch: JsonValue[], field: string): JsonValue[] {
  if (patch.some((el) => isRecord(el) && el[DIRECTIVE] === 'replace')) {
    return patch.filter((el) => !(isRecord(el) && el[DIRECTIVE] === 'replace')).map(withoutDirectives);
  }
  const current = Array.isArray(original) ? [...original] : [];
  const mergeKey = MERGE_KEYS[field];
  if (mergeKey && patch.every(isRecord)) {
    for (const el of patch as JsonObject[]) {
      const keyValue = el[mergeKey];
      const index = current.findIndex((c) => isRecord(c) && deepKeyEqual((c)[mergeKey], keyValue));
      if (el[DIRECTIVE] === 'delete') {
        if (index >= 0) current.splice(index, 1);
      } else if (index >= 0) {
        current[index] = strategicMerge(current[index], el) ?? {};
      } else {
        current.push(withoutDirectives(el));
      }
    }
    return current;
  }
  if (SET_LISTS.has(field)) {
    for (const el of patch) if (!current.includes(el)) current.push(el);
    return current;
  }
  return patch.map(withoutDirectives);
}

function deepKeyEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}
