/**
 * POST /api/v1/alerts — the Alertmanager receiver. Authenticate, check the
 * content type and size, parse, validate, make sure the queue can take the whole
 * notification, store every alert, answer 202; deciding happens asynchronously.
 * A bad body answers 4xx and stores nothing; trouble we cannot help (queue full,
 * store down) answers 503 so that Alertmanager retries, and stores nothing either.
 */
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Router } from 'express';
import { alertIdentity, type WebhookNotification } from '../domain/alert.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { Metrics } from '../platform/metrics.js';
import type { QueueReservation } from '../remediation/queue.js';
import { StoreLostError, type Store } from '../store/store.js';
import { HttpError } from './errors.js';
import { formatPath, webhookSchema, type WebhookLimits } from './webhook-schema.js';

export interface IntakeDeps {
  store: Store;
  queue: { reserve(n: number): QueueReservation<string> | null };
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  limits: WebhookLimits & { maxBodyBytes: number };
  /** false while draining (SIGTERM): answer 503 so Alertmanager retries on a live replica. */
  accepting: () => boolean;
}

/** Seconds Alertmanager is told to wait; it ignores Retry-After and retries 5xx with its own backoff, other clients may honour it. */
const RETRY_AFTER_SECONDS = '5';

export function requireJson(): RequestHandler {
  return (req, _res, next) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') {
      next(new HttpError(415, 'unsupported-media-type', `Content-Type must be application/json, got ${type ? `"${type}"` : 'none'}`));
      return;
    }
    next();
  };
}

export function parseNotification(raw: Buffer, limits: WebhookLimits): WebhookNotification {
  let body: unknown;
  const text = raw.toString('utf8');
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, 'malformed-json', `body is not valid JSON: ${(err as Error).message}`);
  }
  // JSON.parse makes "__proto__" an own key; copying it into a plain object (as validation does)
  // would drop it or change a prototype. Refuse it (a cheap string test first; a key spelled with
  // JSON escapes, "__pro\u0074o__", is the same key once parsed).
  if ((text.includes('__proto__') || text.includes('\\u')) && hasProtoKey(body)) {
    throw new HttpError(400, 'invalid-payload', 'the key "__proto__" is not allowed anywhere in the notification');
  }
  return validateNotification(body, limits);
}

/** Is there an own `__proto__` key anywhere in a parsed JSON value? Iterative: no recursion limit. */
function hasProtoKey(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    if (!Array.isArray(v) && Object.prototype.hasOwnProperty.call(v, '__proto__')) return true;
    for (const child of Object.values(v)) if (typeof child === 'object' && child !== null) stack.push(child);
  }
  return false;
}

/** Built once per set of limits: building the zod schema costs more than validating a body with it. */
const schemas = new Map<string, ReturnType<typeof webhookSchema>>();
function schemaFor(limits: WebhookLimits): ReturnType<typeof webhookSchema> {
  const key = `${limits.maxAlertsPerNotification}/${limits.maxLabelsPerAlert}`;
  let schema = schemas.get(key);
  if (!schema) {
    schema = webhookSchema({ maxAlertsPerNotification: limits.maxAlertsPerNotification, maxLabelsPerAlert: limits.maxLabelsPerAlert });
    schemas.set(key, schema);
  }
  return schema;
}

/** Validate an already parsed notification (intake, and replay's `payload`). */
export function validateNotification(body: unknown, limits: WebhookLimits): WebhookNotification {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'invalid-payload', 'body must be a JSON object (an Alertmanager webhook notification)', { field: '(body)' });
  }
  const version = (body as { version?: unknown }).version;
  if (version !== '4') {
    throw new HttpError(400, 'unsupported-version', `unsupported webhook payload version ${JSON.stringify(version ?? null)}; autoremediator understands Alertmanager webhook version "4"`, {
      field: 'version',
    });
  }
  const parsed = schemaFor(limits).safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${formatPath(i.path)}: ${i.message}`);
    const more = parsed.error.issues.length > 5 ? ` (and ${parsed.error.issues.length - 5} more)` : '';
    throw new HttpError(400, 'invalid-payload', `invalid Alertmanager notification: ${issues.join('; ')}${more}`, { field: formatPath(parsed.error.issues[0]!.path) });
  }
  return parsed.data;
}

/**
 * Identities this process stored lately, first deliveries and duplicates alike, most recent
 * last. An alert whose identity is here will be stored as a duplicate and never queued, so
 * it needs no queue room: the HA peer's copy of a notification, or Alertmanager's repeat, is
 * not refused with a 503 (and retried, adding load) because the first copy filled the queue.
 * Bounded; an identity not found here is simply counted, as before.
 */
class RecentIdentities {
  private readonly seen = new Map<string, true>();
  constructor(private readonly capacity: number) {}
  has(identity: string): boolean {
    return this.seen.has(identity);
  }
  add(identity: string): void {
    this.seen.delete(identity);
    this.seen.set(identity, true);
    if (this.seen.size > this.capacity) this.seen.delete(this.seen.keys().next().value!);
  }
}

export function intakeRouter(deps: IntakeDeps, auth: RequestHandler): Router {
  const router = express.Router();
  const recent = new RecentIdentities(20_000);
  const raw = express.raw({ type: () => true, limit: deps.limits.maxBodyBytes });
  router.post('/api/v1/alerts', auth, requireJson(), raw, async (req: Request, res, next) => {
    const { store, queue, clock, logger, metrics } = deps;
    try {
      if (!deps.accepting()) {
        throw new HttpError(503, 'shutting-down', 'this replica is shutting down; retry', { headers: { 'Retry-After': RETRY_AFTER_SECONDS } });
      }
      const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const n = parseNotification(rawBody, deps.limits);
      const needRoom = n.alerts.filter((a) => !recent.has(alertIdentity(a))).length;
      // Room is held while the notification is stored, so that concurrent notifications cannot all
      // pass this check and then not fit (their alerts would wait, stored and undecided, for the sweep).
      const room = queue.reserve(needRoom);
      if (!room) {
        throw new HttpError(503, 'queue-full', `the decision queue is full; retry later (nothing of this notification was stored)`, { headers: { 'Retry-After': RETRY_AFTER_SECONDS } });
      }
      let recorded;
      try {
        recorded = await store.recordNotification(
          { receivedAt: clock.now(), receiver: n.receiver, status: n.status, groupKey: n.groupKey, externalURL: n.externalURL, truncatedAlerts: n.truncatedAlerts, body: rawBody.toString('utf8') },
          n.alerts,
        );
      } catch (err) {
        room.release();
        logger.error({ err }, 'storing a notification failed; answering 503 so Alertmanager retries');
        if (err instanceof StoreLostError) throw new HttpError(503, 'store-lost', `could not store the notification: ${err.message}`, { headers: { 'Retry-After': RETRY_AFTER_SECONDS } });
        throw new HttpError(503, 'store-unavailable', 'could not store the notification; retry', { headers: { 'Retry-After': RETRY_AFTER_SECONDS } });
      }
      for (const a of recorded.alerts) recent.add(a.identity);
      // First deliveries are never more than the room asked for: an identity stored lately is a duplicate.
      let fresh = recorded.alerts.filter((a) => a.duplicateOf === null).map((a) => a.id);
      if (fresh.length > needRoom) {
        logger.warn({ notification: recorded.notificationId }, 'more first deliveries than queue room was held for; the sweep decides the rest');
        fresh = fresh.slice(0, needRoom);
      }
      // The queue stops taking work only when the service stops: the next start's sweep decides these.
      if (!room.fill(fresh)) logger.warn({ notification: recorded.notificationId }, 'stored while stopping; decided after the next start');
      metrics.notificationsReceived.inc({ result: 'stored' });
      // One inc per label set, not per alert (a 50-alert notification has at most 4 label sets).
      const counts = new Map<string, number>();
      n.alerts.forEach((a, i) => {
        const key = `${a.status}|${recorded.alerts[i]!.duplicateOf ? 'true' : 'false'}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      });
      for (const [key, count] of counts) {
        const [status, duplicate] = key.split('|') as [string, string];
        metrics.alertsReceived.inc({ status, duplicate }, count);
      }
      res.status(202).json({
        notificationId: recorded.notificationId,
        accepted: fresh.length,
        duplicates: recorded.alerts.length - fresh.length,
        alerts: recorded.alerts.map((a, i) => ({ id: a.id, fingerprint: n.alerts[i]!.fingerprint, status: n.alerts[i]!.status, duplicateOf: a.duplicateOf })),
      });
    } catch (err) {
      next(err);
    }
  });
  // Every rejection of a webhook request is counted here, auth and body-parser ones included.
  router.use('/api/v1/alerts', ((err, _req, _res, next) => {
    const e = err as { type?: string; code?: string };
    const reason = err instanceof HttpError ? err.code : e.type === 'entity.too.large' ? 'body-too-large' : e.type === 'entity.parse.failed' ? 'malformed-json' : 'internal';
    deps.metrics.intakeRejected.inc({ reason });
    next(err);
  }) as ErrorRequestHandler);
  return router;
}
