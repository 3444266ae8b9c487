/**
 * Slack's request signing, table-driven, with the example of Slack's documentation
 * (api.slack.com/authentication/verifying-requests-from-slack) as the known answer.
 */
import { blockActionsSchema, slackActor, slackSignature, verifySlackRequest } from '../../../src/notify/slack-signature.js';

// Slack's documented example: secret, timestamp, body and the signature Slack computed.
const DOC = {
  secret: '8f742231b10e8888abcd99yyyzzz85a5',
  timestamp: '1531420618',
  body: 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
};

test("the documented example: Slack's signature is ours", () => {
  expect(slackSignature(DOC.secret, DOC.timestamp, DOC.body)).toBe(DOC.signature);
});

describe('verifySlackRequest', () => {
  const now = Number(DOC.timestamp) * 1000 + 60_000;
  const ok = { timestamp: DOC.timestamp, signature: DOC.signature, body: Buffer.from(DOC.body) };
  const cases: Array<{ name: string; req: typeof ok | { timestamp: string | undefined; signature: string | undefined; body: Buffer }; nowMs?: number; secret?: string; why: RegExp | null }> = [
    { name: 'signed, in the window', req: ok, why: null },
    { name: 'no timestamp', req: { ...ok, timestamp: undefined }, why: /no X-Slack-Request-Timestamp/ },
    { name: 'no signature', req: { ...ok, signature: undefined }, why: /no X-Slack-Signature/ },
    { name: 'timestamp not a number', req: { ...ok, timestamp: '15314206l8' }, why: /not a number of seconds/ },
    { name: 'older than 5 minutes (a replay)', req: ok, nowMs: Number(DOC.timestamp) * 1000 + 5 * 60_000 + 1, why: /more than 5 minutes from now/ },
    { name: 'from the future beyond 5 minutes', req: ok, nowMs: Number(DOC.timestamp) * 1000 - 5 * 60_000 - 1, why: /more than 5 minutes/ },
    { name: 'exactly 5 minutes old', req: ok, nowMs: Number(DOC.timestamp) * 1000 + 5 * 60_000, why: null },
    { name: 'the body changed', req: { ...ok, body: Buffer.from(DOC.body.replace('roadrunner', 'coyote')) }, why: /does not match the body/ },
    { name: 'the timestamp changed (signed with another)', req: { ...ok, timestamp: String(Number(DOC.timestamp) + 1) }, why: /does not match/ },
    { name: 'another secret', req: ok, secret: '8f742231b10e8888abcd99yyyzzz85a6', why: /does not match/ },
    { name: 'a v1 signature', req: { ...ok, signature: DOC.signature.replace('v0=', 'v1=') }, why: /not v0=/ },
    { name: 'a short signature', req: { ...ok, signature: DOC.signature.slice(0, 40) }, why: /not v0=/ },
    { name: 'upper-case hex', req: { ...ok, signature: DOC.signature.toUpperCase().replace('V0=', 'v0=') }, why: /not v0=/ },
  ];
  test.each(cases)('$name', ({ req, nowMs, secret, why }) => {
    const v = verifySlackRequest(secret ?? DOC.secret, req, nowMs ?? now);
    if (why === null) expect(v).toEqual({ ok: true, at: new Date(Number(DOC.timestamp) * 1000) });
    else {
      expect(v.ok).toBe(false);
      if (!v.ok) {
        expect(v.why).toMatch(why);
        expect(v.why).not.toContain(DOC.secret);
      }
    }
  });
});

test('a block_actions payload and the actor it names', () => {
  const p = blockActionsSchema.parse({ type: 'block_actions', user: { id: 'U2CERLKJA', username: 'roadrunner', name: 'roadrunner', team_id: 'T1' }, actions: [{ action_id: 'autoremediator_approve', value: 'r1', block_id: 'b', type: 'button' }], team: {}, container: {} });
  expect(slackActor(p.user)).toBe('slack:roadrunner (U2CERLKJA)');
  expect(slackActor({ id: 'U1' })).toBe('slack:U1');
  expect(blockActionsSchema.safeParse({ type: 'view_submission', user: { id: 'U1' }, actions: [] }).success).toBe(false);
});
