/**
 * Answers to runs awaiting approval: `POST /api/v1/remediations/:id/approve` and `/deny` (admin
 * auth, `X-Actor`, optional JSON body `{ "reason": "…" }`), and Slack's Approve / Deny buttons
 * (`POST /slack/interactions`, verified with Slack's signing secret, never with the admin token).
 *
 * 200: the remediation as it is now (approved: applied and validating; denied: skipped).
 * 409 `{ error, reason }`: the run does not await approval (`reason: not-awaiting-approval`), or
 * it was approved but refused (the plan is stale, a pause holds …: `reason` is the run's skip reason).
 */
import express, { type Request, type RequestHandler, type Router } from 'express';
import { z } from 'zod';
import { WrongPhaseError } from '../domain/errors.js';
import type { Remediation } from '../domain/remediation.js';
import type { ApprovalAnswer } from '../control/approval.js';
import type { Engine } from '../remediation/engine.js';
import type { Logger } from '../platform/logger.js';
import type { Clock } from '../platform/clock.js';
import type { Store } from '../store/store.js';
import { APPROVE_ACTION, DENY_ACTION } from '../notify/message.js';
import { blockActionsSchema, slackActor, SLACK_TIMESTAMP_WINDOW_MS, verifySlackRequest } from '../notify/slack-signature.js';
import { HttpError } from './errors.js';

export interface ApprovalApiDeps {
  engine: Pick<Engine, 'answer'>;
  store: Pick<Store, 'rememberSlackRequest'>;
  clock: Clock;
  logger: Logger;
  /** SLACK_SIGNING_SECRET; null: no interactivity endpoint (404). */
  slackSigningSecret: string | null;
}

const wrap =
  (fn: (req: Request, res: express.Response) => Promise<void>): RequestHandler =>
  (req, res, next) => {
    fn(req, res).catch(next);
  };

const answerBody = z.strictObject({ reason: z.string().trim().min(1).max(500).optional() });

function actorOf(req: Request): string {
  const a = req.headers['x-actor'];
  if (typeof a !== 'string' || a.trim() === '') throw new HttpError(400, 'missing-actor', 'say who you are in the X-Actor header (the run records who approved or denied it)', { field: 'X-Actor' });
  return a.trim().slice(0, 100);
}

/** The person's answer, carried out; the outcome in HTTP terms (a refusal or a wrong phase is a 409 with its reason). */
async function carryOut(engine: Pick<Engine, 'answer'>, id: string, answer: ApprovalAnswer): Promise<Remediation> {
  let run: Remediation;
  try {
    run = await engine.answer(id, answer);
  } catch (err) {
    if (err instanceof WrongPhaseError) throw new HttpError(409, 'not-awaiting-approval', err.message, { body: { reason: 'not-awaiting-approval' } });
    throw err;
  }
  const d = run.decision;
  if (answer.verdict === 'approve' && d.outcome === 'skip') {
    throw new HttpError(409, d.reason, d.explanation, { body: { reason: d.reason, remediation: run } });
  }
  return run;
}

export function approvalRouter(deps: ApprovalApiDeps, auth: RequestHandler, maxBodyBytes: number): Router {
  const { engine } = deps;
  const router = express.Router();

  for (const verdict of ['approve', 'deny'] as const) {
    router.post(
      `/api/v1/remediations/:id/${verdict}`,
      auth,
      express.json({ limit: maxBodyBytes }),
      wrap(async (req, res) => {
        const by = actorOf(req);
        const parsed = answerBody.safeParse(req.body ?? {});
        if (!parsed.success) {
          const i = parsed.error.issues[0]!;
          const field = i.path.join('.') || 'body';
          throw new HttpError(400, 'invalid-body', `${field}: ${i.message}`, { field });
        }
        const run = await carryOut(engine, String(req.params.id), { verdict, by, ...(parsed.data.reason ? { reason: parsed.data.reason } : {}) });
        res.json(run);
      }),
    );
  }

  // Slack's interactivity request URL. Unknown without a signing secret: nothing unsigned is ever taken.
  const secret = deps.slackSigningSecret;
  if (secret !== null) {
    router.post(
      '/slack/interactions',
      express.raw({ type: () => true, limit: maxBodyBytes }),
      wrap(async (req, res) => {
        const { clock, logger, store } = deps;
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const header = (n: string) => (typeof req.headers[n] === 'string' ? req.headers[n] : undefined);
        const now = clock.now().getTime();
        const v = verifySlackRequest(secret, { timestamp: header('x-slack-request-timestamp'), signature: header('x-slack-signature'), body }, now);
        if (!v.ok) {
          logger.warn({ why: v.why }, 'refused a Slack interaction request');
          throw new HttpError(401, 'bad-signature', `not a request from Slack: ${v.why}`);
        }
        // A valid signature seen before, within the window, is a replay (the store remembers them across replicas).
        const first = await store.rememberSlackRequest(header('x-slack-signature')!, clock.now(), new Date(now - 2 * SLACK_TIMESTAMP_WINDOW_MS));
        if (!first) {
          logger.warn('refused a replayed Slack interaction request');
          throw new HttpError(401, 'replayed', 'this Slack request was received before (a replay)');
        }
        let payload: unknown;
        try {
          payload = JSON.parse(new URLSearchParams(body.toString('utf8')).get('payload') ?? '');
        } catch {
          throw new HttpError(400, 'invalid-body', 'payload: not the JSON of a Slack interaction (application/x-www-form-urlencoded payload=…)', { field: 'payload' });
        }
        const p = blockActionsSchema.safeParse(payload);
        if (!p.success) throw new HttpError(400, 'unknown-interaction', 'payload: only block_actions of the Approve / Deny buttons are handled', { field: 'payload' });
        const action = p.data.actions.find((a) => a.action_id === APPROVE_ACTION || a.action_id === DENY_ACTION);
        if (!action?.value) throw new HttpError(400, 'unknown-interaction', `payload.actions: no ${APPROVE_ACTION} / ${DENY_ACTION} action with a remediation id`, { field: 'payload.actions' });
        const by = slackActor(p.data.user);
        const answer: ApprovalAnswer = { verdict: action.action_id === APPROVE_ACTION ? 'approve' : 'deny', by };
        // Slack wants an answer within 3 s: the outcome reaches the message (updated in place) either way.
        const work = carryOut(engine, action.value, answer).then(
          (run) => ({ ok: true as const, phase: run.phase }),
          (err: unknown) => {
            const e = err instanceof HttpError ? err : null;
            if (!e) logger.error({ err, remediation: action.value }, 'carrying out a Slack approval failed');
            else logger.info({ remediation: action.value, by, outcome: e.code }, `Slack ${answer.verdict} by ${by} not carried out: ${e.message}`);
            return { ok: false as const, reason: e?.code ?? 'internal', message: e?.message ?? 'internal error; see the service log' };
          },
        );
        const timeout = new Promise<{ ok: true; pending: true }>((resolve) => setTimeout(() => resolve({ ok: true, pending: true }), 2500).unref());
        res.json({ remediation: action.value, verdict: answer.verdict, by, ...(await Promise.race([work, timeout])) });
      }),
    );
  }
  return router;
}
