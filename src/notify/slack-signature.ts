/**
 * Slack's request signing (api.slack.com/authentication/verifying-requests-from-slack): every
 * interactive request carries `X-Slack-Request-Timestamp` and `X-Slack-Signature`, `v0=` and the
 * hex HMAC-SHA256, keyed with the app's signing secret, of `v0:{timestamp}:{raw body}`.
 * A request is accepted only when the timestamp is within 5 minutes of now and the signature
 * matches (compared in constant time). Replays within the window are the caller's to refuse
 * (the store remembers each signature: Store.rememberSlackRequest). Pure but for the HMAC.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** Slack's window: a request older (or newer) than this is refused whatever its signature. */
export const SLACK_TIMESTAMP_WINDOW_MS = 5 * 60_000;

export interface SignedRequest {
  /** X-Slack-Request-Timestamp: seconds since the epoch. */
  timestamp: string | undefined;
  /** X-Slack-Signature: `v0=<64 hex>`. */
  signature: string | undefined;
  /** The body exactly as received (before any parsing). */
  body: Buffer;
}

export type SignatureVerdict = { ok: true; at: Date } | { ok: false; why: string };

/** The signature Slack would send for this body at this timestamp. */
export function slackSignature(secret: string, timestamp: string, body: Buffer | string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(body).digest('hex')}`;
}

/** Is this request Slack's? Says why not, without ever naming the secret or the expected signature. */
export function verifySlackRequest(secret: string, r: SignedRequest, nowMs: number, windowMs = SLACK_TIMESTAMP_WINDOW_MS): SignatureVerdict {
  if (r.timestamp === undefined || r.timestamp === '') return { ok: false, why: 'no X-Slack-Request-Timestamp header' };
  if (r.signature === undefined || r.signature === '') return { ok: false, why: 'no X-Slack-Signature header' };
  if (!/^\d{1,12}$/.test(r.timestamp)) return { ok: false, why: 'X-Slack-Request-Timestamp is not a number of seconds' };
  const atMs = Number(r.timestamp) * 1000;
  if (Math.abs(nowMs - atMs) > windowMs) return { ok: false, why: `X-Slack-Request-Timestamp is more than ${windowMs / 60_000} minutes from now (a replay, or a clock off)` };
  if (!/^v0=[0-9a-f]{64}$/.test(r.signature)) return { ok: false, why: 'X-Slack-Signature is not v0=<hex HMAC-SHA256>' };
  const expected = Buffer.from(slackSignature(secret, r.timestamp, r.body), 'utf8');
  const given = Buffer.from(r.signature, 'utf8');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, why: 'X-Slack-Signature does not match the body (wrong signing secret, or the body was changed)' };
  return { ok: true, at: new Date(atMs) };
}

/** The part of a `block_actions` payload this service reads (api.slack.com/reference/interaction-payloads/block-actions). */
export const blockActionsSchema = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().min(1).max(100), username: z.string().max(200).optional(), name: z.string().max(200).optional() }),
  actions: z.array(z.object({ action_id: z.string().max(255), value: z.string().max(2000).optional() })).min(1),
});
export type BlockActions = z.infer<typeof blockActionsSchema>;

/** The person behind a Slack click, as the actor the run records: `slack:<username> (<user id>)`. */
export function slackActor(user: BlockActions['user']): string {
  const name = user.username ?? user.name;
  return (name ? `slack:${name} (${user.id})` : `slack:${user.id}`).slice(0, 100);
}
