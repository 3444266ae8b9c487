/** Status page sessions and the admin gate: which request is an admin, as a table. */
import { ManualClock } from '../../../src/platform/clock.js';
import { adminVerdict, type AdminGate } from '../../../src/http/status/admin-auth.js';
import { readCookie, SESSION_COOKIE, sessionCookie, SessionKeys } from '../../../src/http/status/session.js';

const ADMIN = 'admin-token-0123456789abcdef';
const WEBHOOK = 'webhook-token-0123456789abcd';

describe('SessionKeys', () => {
  const keys = new SessionKeys(ADMIN);
  const now = Date.parse('2026-12-06T05:00:00Z');
  const s = keys.issue(now, 60_000, 'AAAAAAAAAAAAAAAAAAAAAA');

  test.each([
    ['the cookie it issued', s.value, now, { ok: true }],
    ['no cookie', undefined, now, { ok: false, why: 'malformed' }],
    ['garbage', 'hello', now, { ok: false, why: 'malformed' }],
    ['a changed expiry', s.value.replace(/^v1\.[0-9a-z]+\./, `v1.${(now + 10 * 86_400_000).toString(36)}.`), now, { ok: false, why: 'signature' }],
    ['one signed with another admin token', new SessionKeys('another-admin-token-0123456').issue(now).value, now, { ok: false, why: 'signature' }],
    ['the cookie after its expiry', s.value, now + 60_000, { ok: false, why: 'expired' }],
  ] as const)('%s', (_name, value, at, expected) => {
    expect(keys.check(value, at)).toMatchObject(expected);
  });

  test('the CSRF token belongs to the session: another session has another', () => {
    const other = keys.issue(now);
    expect(s.csrf).not.toBe(other.csrf);
    expect(keys.check(s.value, now)).toMatchObject({ ok: true, csrf: s.csrf });
  });

  test('logout revokes the session in this process', () => {
    const k = new SessionKeys(ADMIN);
    const x = k.issue(now);
    const c = k.check(x.value, now);
    if (!c.ok) throw new Error('fresh session not accepted');
    k.revoke(c.nonce, c.expiresAt, now);
    expect(k.check(x.value, now)).toEqual({ ok: false, why: 'revoked' });
    expect(k.check(k.issue(now).value, now).ok).toBe(true);
  });

  test('cookie attributes: HttpOnly, SameSite=Strict, Path=/, Secure when asked', () => {
    expect(sessionCookie('v', { maxAgeSeconds: 10, secure: false })).toBe(`${SESSION_COOKIE}=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=10`);
    expect(sessionCookie('v', { maxAgeSeconds: 10, secure: true })).toMatch(/; Secure$/);
    expect(readCookie(`a=1; ${SESSION_COOKIE}=abc.def; b=2`, SESSION_COOKIE)).toBe('abc.def');
    expect(readCookie('a=1', SESSION_COOKIE)).toBeUndefined();
  });
});

describe('adminVerdict', () => {
  const clock = new ManualClock(new Date('2026-12-06T05:00:00Z'));
  const sessions = new SessionKeys(ADMIN);
  const gate: AdminGate = { creds: { bearer: [ADMIN], basic: null }, sessions, clock };
  const s = sessions.issue(clock.now().getTime());
  const cookie = `${SESSION_COOKIE}=${s.value}`;
  const expired = `${SESSION_COOKIE}=${sessions.issue(clock.now().getTime() - 2 * 86_400_000).value}`;
  const basicWebhook = `Basic ${Buffer.from(`alertmanager:${WEBHOOK}`).toString('base64')}`;

  test.each([
    ['nothing', 'GET', {}, { ok: false, status: 401 }],
    ['the webhook token', 'GET', { authorization: `Bearer ${WEBHOOK}` }, { ok: false, status: 401 }],
    ['the webhook basic auth', 'GET', { authorization: basicWebhook }, { ok: false, status: 401 }],
    ['the webhook token with a valid cookie (a wrong header is never ignored)', 'GET', { authorization: `Bearer ${WEBHOOK}`, cookie }, { ok: false, status: 401 }],
    ['the admin token', 'POST', { authorization: `Bearer ${ADMIN}` }, { ok: true, via: 'bearer' }],
    ['the session cookie, GET', 'GET', { cookie }, { ok: true, via: 'session' }],
    ['the session cookie, HEAD', 'HEAD', { cookie }, { ok: true, via: 'session' }],
    ['the session cookie, POST without CSRF token', 'POST', { cookie }, { ok: false, status: 403, code: 'csrf-required' }],
    ['the session cookie, POST with a wrong CSRF token', 'POST', { cookie, 'x-csrf-token': 'x'.repeat(43) }, { ok: false, status: 403 }],
    ['the session cookie, DELETE with its CSRF token', 'DELETE', { cookie, 'x-csrf-token': s.csrf }, { ok: true, via: 'session' }],
    ['the session cookie, POST with its CSRF token', 'POST', { cookie, 'x-csrf-token': s.csrf }, { ok: true, via: 'session' }],
    ['an expired session cookie', 'GET', { cookie: expired }, { ok: false, status: 401 }],
    ['the CSRF token alone', 'POST', { 'x-csrf-token': s.csrf }, { ok: false, status: 401 }],
  ] as const)('%s', (_name, method, headers, expected) => {
    expect(adminVerdict(gate, { method, headers })).toMatchObject(expected);
  });

  test('INSECURE_NO_AUTH without an admin token: open', () => {
    expect(adminVerdict({ creds: null, sessions: null, clock }, { method: 'POST', headers: {} })).toMatchObject({ ok: true, via: 'open' });
  });
});
