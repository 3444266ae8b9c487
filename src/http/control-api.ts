/**
 * The people's controls over HTTP (admin auth): the kill switch (GET/POST/DELETE
 * /api/v1/pause) and the freeze windows (GET /api/v1/freeze).
 */
import express, { type Request, type RequestHandler, type Router } from 'express';
import type { ControlService } from '../remediation/controls.js';
import { pauseBodySchema, type PauseBody } from '../control/pause.js';
import { HttpError } from './errors.js';
import { requireJson } from './intake.js';
import { formatPath } from './webhook-schema.js';

export interface ControlApiDeps {
  controls: Pick<ControlService, 'pause' | 'resume' | 'list' | 'freezeStatus'>;
}

const wrap =
  (fn: (req: Request, res: express.Response) => Promise<void>): RequestHandler =>
  (req, res, next) => {
    fn(req, res).catch(next);
  };

/** Who: X-Actor, required for a pause and a resume (the skip names them). */
function actorOf(req: Request): string {
  const a = req.headers['x-actor'];
  if (typeof a !== 'string' || a.trim() === '') throw new HttpError(400, 'missing-actor', 'say who you are in the X-Actor header (the pause names you in every decision it holds)', { field: 'X-Actor' });
  return a.trim().slice(0, 100);
}

function parseBody(req: Request): PauseBody {
  const r = pauseBodySchema.safeParse(req.body ?? null);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const field = formatPath(i.path);
    throw new HttpError(400, 'invalid-body', `${field ? `${field}: ` : ''}${i.message}`, { field });
  }
  return r.data;
}

export function controlRouter(deps: ControlApiDeps, auth: RequestHandler, maxBodyBytes: number): Router {
  const { controls } = deps;
  const router = express.Router();
  const json = [requireJson(), express.json({ limit: maxBodyBytes })];

  router.get(
    '/api/v1/pause',
    auth,
    wrap(async (_req, res) => {
      res.json({ items: await controls.list() });
    }),
  );

  router.post(
    '/api/v1/pause',
    auth,
    ...json,
    wrap(async (req, res) => {
      const actor = actorOf(req);
      const body = parseBody(req);
      if (body.reason === undefined) throw new HttpError(400, 'invalid-body', 'reason: say why you pause (it is shown in every decision the pause holds)', { field: 'reason' });
      try {
        res.status(201).json(await controls.pause(body, actor));
      } catch (err) {
        if (err instanceof RangeError) throw new HttpError(400, 'invalid-body', `expiresAt: ${err.message}`, { field: 'expiresAt' });
        throw err;
      }
    }),
  );

  router.delete(
    '/api/v1/pause',
    auth,
    ...json,
    wrap(async (req, res) => {
      const actor = actorOf(req);
      const body = parseBody(req);
      const ended = await controls.resume(body, actor);
      if (ended.length === 0) throw new HttpError(404, 'not-found', `no pause in force with scope ${body.scope}${body.namespace ? ` namespace=${body.namespace}` : ''}${body.kind ? ` kind=${body.kind}` : ''}${body.name ? ` name=${body.name}` : ''}${body.rule ? ` rule=${body.rule}` : ''}`);
      res.json({ ended });
    }),
  );

  router.get('/api/v1/freeze', auth, (_req, res) => {
    res.json(controls.freezeStatus());
  });

  return router;
}
