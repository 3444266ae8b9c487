/**
 * The admin API: history of alerts and remediations (why did it act? why not?),
 * the rule table and its reload status, replay, and breakers.
 */
import express, { type Request, type RequestHandler, type Router } from 'express';
import { z } from 'zod';
import type { WebhookAlert } from '../domain/alert.js';
import { PHASES } from '../domain/remediation.js';
import type { RuleTable } from '../rule-table/rule.js';
import type { ReloadStatus } from '../rule-table/watcher.js';
import type { Engine } from '../remediation/engine.js';
import type { Clock } from '../platform/clock.js';
import type { Metrics } from '../platform/metrics.js';
import type { Store } from '../store/store.js';
import { InvalidCursorError } from '../store/cursor.js';
import { HttpError } from './errors.js';
import { requireJson, validateNotification } from './intake.js';
import { formatPath, type WebhookLimits } from './webhook-schema.js';

export interface ApiDeps {
  store: Store;
  engine: Pick<Engine, 'evaluate' | 'rollbackByHand'>;
  rules: { current(): RuleTable; status(): ReloadStatus };
  clock: Clock;
  metrics: Metrics;
  limits: WebhookLimits & { maxBodyBytes: number };
  publicUrl: string | null;
}

function parseQuery<T extends z.ZodType>(schema: T, req: Request): z.infer<T> {
  const r = schema.safeParse(req.query);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new HttpError(400, 'invalid-query', `query parameter ${formatPath(i.path)}: ${i.message}`, { field: formatPath(i.path) });
  }
  return r.data;
}

const limit = z.coerce.number().int().min(1).max(500).default(50);
const cursor = z.string().max(200).optional();

const alertsQuery = z.strictObject({
  status: z.enum(['firing', 'resolved']).optional(),
  alertname: z.string().max(200).optional(),
  fingerprint: z.string().regex(/^[0-9a-f]{16}$/).optional(),
  duplicate: z.enum(['true', 'false']).optional(),
  limit,
  cursor,
});

const remediationsQuery = z.strictObject({
  target: z.string().max(400).optional(),
  rule: z.string().max(200).optional(),
  phase: z.enum(PHASES).optional(),
  outcome: z.enum(['act', 'skip']).optional(),
  reason: z.string().max(100).optional(),
  alertId: z.string().max(100).optional(),
  limit,
  cursor,
});

const replayBody = z.union([
  z.strictObject({ alertId: z.string().min(1).max(100), dryRun: z.boolean().default(true) }),
  z.strictObject({ payload: z.unknown(), dryRun: z.boolean().default(true) }),
]);

const wrap =
  (fn: (req: Request, res: express.Response) => Promise<void>): RequestHandler =>
  (req, res, next) => {
    fn(req, res).catch((err: unknown) => {
      next(err instanceof InvalidCursorError ? new HttpError(400, 'invalid-query', `query parameter cursor: ${err.message}`, { field: 'cursor' }) : err);
    });
  };

/** Deeper than any Alertmanager notification gets (it is 3 levels): checked iteratively, without recursion. */
function hasDeepNesting(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

export function apiRouter(deps: ApiDeps, auth: RequestHandler): Router {
  const { store, engine, rules, clock } = deps;
  const router = express.Router();
  router.use('/api/v1', auth);

  router.get(
    '/api/v1/alerts',
    wrap(async (req, res) => {
      const q = parseQuery(alertsQuery, req);
      const page = await store.listAlerts({
        limit: q.limit,
        cursor: q.cursor ?? null,
        ...(q.status ? { status: q.status } : {}),
        ...(q.alertname ? { alertname: q.alertname } : {}),
        ...(q.fingerprint ? { fingerprint: q.fingerprint } : {}),
        ...(q.duplicate ? { duplicate: q.duplicate === 'true' } : {}),
      });
      res.json(page);
    }),
  );

  router.get(
    '/api/v1/alerts/:id',
    wrap(async (req, res) => {
      const id = String(req.params.id);
      const alert = await store.getAlert(id);
      if (!alert) throw new HttpError(404, 'not-found', `no alert with id ${id}`);
      const remediations = await store.listRemediations({ alertId: alert.duplicateOf ?? alert.id, limit: 100 });
      res.json({ alert, remediations: remediations.items });
    }),
  );

  router.get(
    '/api/v1/remediations',
    wrap(async (req, res) => {
      const q = parseQuery(remediationsQuery, req);
      const page = await store.listRemediations({
        limit: q.limit,
        cursor: q.cursor ?? null,
        ...(q.target ? { targetKey: q.target } : {}),
        ...(q.rule ? { rule: q.rule } : {}),
        ...(q.phase ? { phase: q.phase } : {}),
        ...(q.outcome ? { outcome: q.outcome } : {}),
        ...(q.reason ? { reason: q.reason } : {}),
        ...(q.alertId ? { alertId: q.alertId } : {}),
      });
      res.json(page);
    }),
  );

  router.get(
    '/api/v1/remediations/:id',
    wrap(async (req, res) => {
      const id = String(req.params.id);
      const rem = await store.getRemediation(id);
      if (!rem) throw new HttpError(404, 'not-found', `no remediation with id ${id}`);
      res.json(rem);
    }),
  );

  router.post(
    '/api/v1/remediations/:id/rollback',
    wrap(async (req, res) => {
      const actor = typeof req.headers['x-actor'] === 'string' ? req.headers['x-actor'].slice(0, 100) : 'api';
      const rem = await engine.rollbackByHand(String(req.params.id), actor);
      res.status(rem.phase === 'rolled_back' ? 200 : 502).json(rem);
    }),
  );

  router.get('/api/v1/rules', (_req, res) => {
    const table = rules.current();
    res.json({
      status: rules.status(),
      version: table.version,
      loadedAt: table.loadedAt,
      files: table.files,
      rules: table.rules.map(({ compiled: _compiled, ...rule }) => rule),
    });
  });

  router.post(
    '/api/v1/replay',
    requireJson(),
    express.json({ limit: deps.limits.maxBodyBytes }),
    wrap(async (req, res) => {
      const parsed = replayBody.safeParse(req.body);
      if (!parsed.success) {
        throw new HttpError(400, 'invalid-body', 'body must be {"alertId": "…"} or {"payload": <Alertmanager notification>}, with optional "dryRun": false', {
          field: formatPath(parsed.error.issues[0]?.path ?? []),
        });
      }
      const body = parsed.data;
      const opts = { record: !body.dryRun, dryRun: body.dryRun, origin: 'replay' as const };
      let inputs: Array<{ id: string | null; alert: WebhookAlert | Omit<WebhookAlert, 'endsAt' | 'generatorURL'> }>;
      if ('alertId' in body) {
        const stored = await store.getAlert(body.alertId);
        if (!stored) throw new HttpError(404, 'not-found', `no alert with id ${body.alertId}`);
        inputs = [{ id: stored.duplicateOf ?? stored.id, alert: stored }];
      } else {
        if (hasDeepNesting(body.payload, 64)) throw new HttpError(400, 'invalid-body', 'payload is nested too deeply to be an Alertmanager notification');
        const n = validateNotification(body.payload ?? null, deps.limits);
        inputs = n.alerts.map((a) => ({ id: null, alert: a }));
      }
      const results = [];
      for (const { id, alert } of inputs) {
        const decided = await engine.evaluate(
          { id, status: alert.status, labels: alert.labels, annotations: alert.annotations, startsAt: alert.startsAt, fingerprint: alert.fingerprint },
          opts,
        );
        results.push({
          alertId: id,
          fingerprint: alert.fingerprint,
          labels: alert.labels,
          decisions: decided.map((d) => ({ ...d.decision, remediationId: d.remediation?.id ?? null, phase: d.remediation?.phase ?? null })),
        });
      }
      res.json({ dryRun: body.dryRun, ruleTableVersion: rules.current().version, evaluatedAt: clock.now(), results });
    }),
  );

  router.get(
    '/api/v1/breakers',
    wrap(async (_req, res) => {
      res.json({ items: await store.listBreakers() });
    }),
  );

  const reset = wrap(async (req, res) => {
    const p = req.params as Record<string, string>;
    const key = p.target ?? `${p.namespace}/${p.kind}/${p.name}`;
    const by = typeof req.headers['x-actor'] === 'string' ? req.headers['x-actor'].slice(0, 100) : 'api';
    const ok = await store.resetBreaker(key, by, clock.now());
    if (!ok) throw new HttpError(404, 'not-found', `no open breaker for target ${key}`);
    deps.metrics.breakersOpen.set((await store.listBreakers()).filter((b) => b.open).length);
    res.json({ target: key, reset: true });
  });
  router.post('/api/v1/breakers/:target/reset', reset);
  router.post('/api/v1/breakers/:namespace/:kind/:name/reset', reset);

  return router;
}
