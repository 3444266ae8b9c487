/**
 * Fault injection: the misbehaviours of a real cluster that the service must
 * survive, switched on by tests (here, or over HTTP at /sandbox/faults).
 */
import { z } from 'zod';

/** Which requests a fault applies to; every field left out matches anything. */
export interface RequestMatch {
  /** get, list, watch, create, update, patch, delete, deletecollection. */
  verb?: string;
  /** Plural resource name; `deployments/scale` also sets the subresource. */
  resource?: string;
  /** `scale` or `status`; the empty string matches only the main resource. */
  subresource?: string;
  namespace?: string;
  name?: string;
}

export type FaultSpec =
  /** Pods of this Deployment, StatefulSet or CNPG Cluster run but never become Ready. */
  | { type: 'neverReady'; namespace: string; name: string }
  /** This Deployment reports Progressing=False, reason ProgressDeadlineExceeded, at once. */
  | { type: 'progressDeadlineExceeded'; namespace: string; name: string }
  /** Added delay before every matching request is answered. */
  | { type: 'latency'; ms: number; match?: RequestMatch }
  /** The next `count` matching requests fail with 429 (with Retry-After) or 500. */
  | { type: 'error'; status: 429 | 500; count: number; match?: RequestMatch; retryAfterSeconds?: number }
  /** Matching requests are refused with 403, as RBAC would. */
  | { type: 'forbidden'; match: RequestMatch }
  /** The next `count` matching writes (update or patch) fail with 409 Conflict. */
  | { type: 'conflict'; count: number; match: RequestMatch };

export type ActiveFault = FaultSpec & { id: string };

/** What a request is, in the terms faults match on. */
export interface RequestInfo {
  verb: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

const matchSchema = z
  .object({
    verb: z.string().optional(),
    resource: z.string().optional(),
    subresource: z.string().optional(),
    namespace: z.string().optional(),
    name: z.string().optional(),
  })
  .strict();

const objectRef = { namespace: z.string().min(1), name: z.string().min(1) };

/** The JSON body accepted by POST /sandbox/faults (one fault or a list). */
export const faultSpecSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('neverReady'), ...objectRef }).strict(),
  z.object({ type: z.literal('progressDeadlineExceeded'), ...objectRef }).strict(),
  z.object({ type: z.literal('latency'), ms: z.number().int().min(0).max(60_000), match: matchSchema.optional() }).strict(),
  z
    .object({
      type: z.literal('error'),
      status: z.union([z.literal(429), z.literal(500)]),
      count: z.number().int().min(1),
      match: matchSchema.optional(),
      retryAfterSeconds: z.number().int().min(0).optional(),
    })
    .strict(),
  z.object({ type: z.literal('forbidden'), match: matchSchema }).strict(),
  z.object({ type: z.literal('conflict'), count: z.number().int().min(1), match: matchSchema }).strict(),
]);

export const faultBodySchema = z.union([faultSpecSchema, z.array(faultSpecSchema)]);

/** True when the request matches; `resource: "deployments/scale"` is shorthand for resource + subresource. */
export function requestMatches(match: RequestMatch | undefined, req: RequestInfo): boolean {
  if (!match) return true;
  let { resource, subresource } = match;
  if (resource?.includes('/')) [resource, subresource] = resource.split('/', 2) as [string, string];
  if (match.verb !== undefined && match.verb !== req.verb) return false;
  if (resource !== undefined && resource !== req.resource) return false;
  if (subresource !== undefined && subresource !== (req.subresource ?? '')) return false;
  if (match.namespace !== undefined && match.namespace !== req.namespace) return false;
  if (match.name !== undefined && match.name !== req.name) return false;
  return true;
}

const WRITE_VERBS = new Set(['update', 'patch']);

/** The active faults of one sandbox. Counted faults disappear once spent. */
export class SandboxFaults {
  private faults: (ActiveFault & { remaining?: number })[] = [];
  private nextId = 1;
  private changes = 0;

  /** Bumped on every change of the active set, so the controller loop knows to look again. */
  get version(): number {
    return this.changes;
  }

  /** Adds a fault and returns its id (for `remove`). */
  add(spec: FaultSpec): string {
    const id = `f${this.nextId++}`;
    const remaining = spec.type === 'error' || spec.type === 'conflict' ? spec.count : undefined;
    this.faults.push({ ...structuredClone(spec), id, remaining });
    this.changes++;
    return id;
  }

  remove(id: string): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    this.changes++;
    return this.faults.length !== before;
  }

  clear(): void {
    this.faults = [];
    this.changes++;
  }

  /** The active faults, with the count left for counted ones. */
  list(): ActiveFault[] {
    return this.faults.map(({ remaining, ...f }) => {
      const copy = structuredClone(f);
      if ((copy.type === 'error' || copy.type === 'conflict') && remaining !== undefined) copy.count = remaining;
      return copy;
    });
  }

  neverReady(namespace: string, name: string): string {
    return this.add({ type: 'neverReady', namespace, name });
  }

  progressDeadlineExceeded(namespace: string, name: string): string {
    return this.add({ type: 'progressDeadlineExceeded', namespace, name });
  }

  latency(ms: number, match?: RequestMatch): string {
    return this.add(match ? { type: 'latency', ms, match } : { type: 'latency', ms });
  }

  failNext(count: number, status: 429 | 500, match?: RequestMatch): string {
    return this.add(match ? { type: 'error', status, count, match } : { type: 'error', status, count });
  }

  forbid(match: RequestMatch): string {
    return this.add({ type: 'forbidden', match });
  }

  conflictNext(count: number, match: RequestMatch): string {
    return this.add({ type: 'conflict', count, match });
  }

  // ---- queried by the server and the controllers ----

  /** Pods of this workload are kept unready. */
  isNeverReady(namespace: string, workload: string): boolean {
    return this.faults.some((f) => f.type === 'neverReady' && f.namespace === namespace && f.name === workload);
  }

  isProgressDeadlineExceeded(namespace: string, name: string): boolean {
    return this.faults.some((f) => f.type === 'progressDeadlineExceeded' && f.namespace === namespace && f.name === name);
  }

  /** Total added latency for a request (several latency faults add up). */
  latencyFor(req: RequestInfo): number {
    let ms = 0;
    for (const f of this.faults) if (f.type === 'latency' && requestMatches(f.match, req)) ms += f.ms;
    return ms;
  }

  isForbidden(req: RequestInfo): boolean {
    return this.faults.some((f) => f.type === 'forbidden' && requestMatches(f.match, req));
  }

  /** Consumes one count of the first matching error fault and returns it, if any. */
  takeError(req: RequestInfo): { status: 429 | 500; retryAfterSeconds: number } | undefined {
    const f = this.faults.find((x) => x.type === 'error' && requestMatches(x.match, req));
    if (!f || f.type !== 'error') return undefined;
    this.consume(f);
    return { status: f.status, retryAfterSeconds: f.retryAfterSeconds ?? 1 };
  }

  /** Consumes one count of a matching conflict fault for a write; true when the write must fail. */
  takeConflict(req: RequestInfo): boolean {
    if (!WRITE_VERBS.has(req.verb)) return false;
    const f = this.faults.find((x) => x.type === 'conflict' && requestMatches(x.match, req));
    if (!f) return false;
    this.consume(f);
    return true;
  }

  private consume(f: { id: string; remaining?: number }): void {
    f.remaining = (f.remaining ?? 1) - 1;
    if (f.remaining <= 0) this.remove(f.id);
  }
}
