/**
 * The admin gate of the API and the status page: the admin bearer token, or a status page
 * session cookie. A request with the cookie that changes state (anything but GET/HEAD) must
 * also carry the session's CSRF token in X-CSRF-Token; without it the cookie counts for nothing.
 * The webhook credential is never an admin credential.
 */
import type { Request, RequestHandler } from 'express';
import type { Clock } from '../../platform/clock.js';
import { authorized, safeEqual, type Credentials } from '../auth.js';
import { HttpError } from '../errors.js';
import { readCookie, SESSION_COOKIE, type SessionKeys } from './session.js';

export interface AdminGate {
  /** null: INSECURE_NO_AUTH without ADMIN_TOKEN, everything open. */
  creds: Credentials | null;
  /** null without an admin token (no sessions can be issued). */
  sessions: SessionKeys | null;
  clock: Clock;
}

export interface SessionInfo {
  nonce: string;
  expiresAt: number;
  csrf: string;
}

export type AdminVerdict =
  | { ok: true; via: 'open' | 'bearer' | 'session'; session: SessionInfo | null }
  | { ok: false; status: 401 | 403; code: 'unauthorized' | 'csrf-required'; message: string };

const SAFE = new Set(['GET', 'HEAD']);

/** Who is this request, as an admin? Pure apart from the gate's clock. */
export function adminVerdict(gate: AdminGate, req: Pick<Request, 'method' | 'headers'>): AdminVerdict {
  if (gate.creds === null) return { ok: true, via: 'open', session: null };
  const header = req.headers.authorization;
  if (header) {
    return authorized(header, gate.creds) ? { ok: true, via: 'bearer', session: null } : { ok: false, status: 401, code: 'unauthorized', message: 'missing or wrong credentials for autoremediator admin' };
  }
  const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
  if (cookie && gate.sessions) {
    const s = gate.sessions.check(cookie, gate.clock.now().getTime());
    if (s.ok) {
      const session = { nonce: s.nonce, expiresAt: s.expiresAt, csrf: s.csrf };
      if (SAFE.has(req.method)) return { ok: true, via: 'session', session };
      const sent = req.headers['x-csrf-token'];
      if (typeof sent === 'string' && safeEqual(sent, s.csrf)) return { ok: true, via: 'session', session };
      return { ok: false, status: 403, code: 'csrf-required', message: `a ${req.method} with the status page's session cookie needs the session's CSRF token in X-CSRF-Token` };
    }
  }
  return { ok: false, status: 401, code: 'unauthorized', message: 'missing or wrong credentials for autoremediator admin' };
}

/** Middleware: the verdict, or 401/403. The session (if any) is left in res.locals.session. */
export function requireAdmin(gate: AdminGate): RequestHandler {
  return (req, res, next) => {
    const v = adminVerdict(gate, req);
    if (v.ok) {
      res.locals.session = v.session;
      next();
      return;
    }
    next(new HttpError(v.status, v.code, v.message, v.status === 401 ? { headers: { 'WWW-Authenticate': 'Bearer realm="autoremediator admin"' } } : {}));
  };
}
