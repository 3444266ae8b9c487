/**
 * Kubernetes `Status` failures, with the reasons, codes and message forms of a real
 * API server (k8s.io/apimachinery/pkg/api/errors), so that clients classify them
 * exactly as they would in a cluster.
 */
import { qualifiedName, type ResourceDef } from './resources.js';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** A failure the server answers with a `Status` body (and optional extra headers). */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toStatus(): Status {
    const s: Status = {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, code: this.code,
    };
    if (this.details) s.details = this.details;
    return s;
  }
}

type Res = Pick<ResourceDef, 'group' | 'plural'>;

function target(res: Res, name: string | undefined): string {
  return name ? `${qualifiedName(res)} "${name}"` : qualifiedName(res);
}

export function notFound(res: Res, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${target(res, name)} not found`, { name, group: res.group, kind: res.plural });
}

/** The bare 404 of an unknown path. */
export function pathNotFound(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function alreadyExists(res: Res, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${target(res, name)} already exists`, { name, group: res.group, kind: res.plural });
}

/** The optimistic-concurrency failure: a stale resourceVersion on update or patch. */
export function conflict(res: Res, name: string): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${target(res, name)}: the object has been modified; please apply your changes to the latest version and try again`,
    { name, group: res.group, kind: res.plural },
  );
}

/** One field error of an Invalid (422) answer, e.g. `spec.replicas: Invalid value: -1: must be …`. */
export interface FieldError {
  field: string;
  /** FieldValueInvalid, FieldValueRequired, FieldValueForbidden, FieldValueNotSupported … */
  type: 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueForbidden';
  value?: unknown;
  detail: string;
}

function fieldErrorText(e: FieldError): string {
  switch (e.type) {
    case 'FieldValueRequired':
      return `Required value${e.detail ? `: ${e.detail}` : ''}`;
    case 'FieldValueForbidden':
      return `Forbidden: ${e.detail}`;
    default:
      return `Invalid value: ${formatValue(e.value)}: ${e.detail}`;
  }
}

function formatValue(v: unknown): string {
  return v === undefined ? 'null' : (JSON.stringify(v) ?? 'null');
}

/** 422 Invalid: `<Kind>.<group> "<name>" is invalid: <field>: <error>[, …]`. */
export function invalid(kind: string, group: string, name: string, errors: FieldError[]): ApiError {
  const qualifiedKind = group === '' ? kind : `${kind}.${group}`;
  const causes = errors.map((e) => ({ reason: e.type, message: fieldErrorText(e), field: e.field }));
  const list = errors.map((e) => `${e.field}: ${fieldErrorText(e)}`);
  const joined = list.length === 1 ? list[0]! : `[${list.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${joined}`, { name, group, kind, causes });
}

/** 403 Forbidden in RBAC's form. */
export function forbidden(
  user: string,
  verb: string,
  res: Res,
  subresource: string | undefined,
  namespace: string | undefined,
  name: string | undefined,
): ApiError {
  const resource = subresource ? `${res.plural}/${subresource}` : res.plural;
  const scope = namespace ? ` in the namespace "${namespace}"` : ' at the cluster scope';
  const message = `${target(res, name)} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${res.group}"${scope}`;
  const details: StatusDetails = { group: res.group, kind: res.plural };
  if (name) details.name = name;
  return new ApiError(403, 'Forbidden', message, details);
}

export function methodNotAllowed(): ApiError {
  return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
}

/** 429 as API Priority and Fairness answers it, with Retry-After. */
export function tooManyRequests(retryAfterSeconds = 1): ApiError {
  return new ApiError(
    429,
    'TooManyRequests',
    'Too many requests, please try again later.',
    { retryAfterSeconds },
    { 'Retry-After': String(retryAfterSeconds) },
  );
}

export function internalError(cause: string): ApiError {
  return new ApiError(500, 'InternalError', `Internal error occurred: ${cause}`, { causes: [{ message: cause }] });
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function unsupportedMediaType(contentType: string, accepted: readonly string[]): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    { causes: [{ reason: 'UnexpectedServerResponse', message: contentType }] },
  );
}

/** 410 Gone for a watch from a resourceVersion older than the kept history. */
export function expired(requested: string, oldest: string): ApiError {
  return new ApiError(410, 'Expired', `too old resource version: ${requested} (${oldest})`);
}

/** The Success Status that DELETE answers for most resources. */
export function deleteSuccess(res: ResourceDef, name: string, uid: string): Record<string, unknown> {
  return {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success',
    details: { name, group: res.group, kind: res.plural, uid },
  };
}
