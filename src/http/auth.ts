/**
 * Bearer and Basic authentication as Alertmanager's `http_config` sends them,
 * compared in constant time (over fixed-length digests, so length leaks nothing).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from './errors.js';

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant-time string equality. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

export interface Credentials {
  bearer: string[];
  basic: { user: string; password: string } | null;
}

/** Does this Authorization header carry one of the credentials? Every candidate is compared, so timing does not tell which. */
export function authorized(header: string | undefined, creds: Credentials): boolean {
  if (!header) return false;
  const space = header.indexOf(' ');
  if (space < 0) return false;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  let ok = false;
  if (scheme === 'bearer') {
    for (const token of creds.bearer) ok = safeEqual(value, token) || ok;
  } else if (scheme === 'basic' && creds.basic) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    const user = i < 0 ? decoded : decoded.slice(0, i);
    const password = i < 0 ? '' : decoded.slice(i + 1);
    // Evaluate both comparisons always (no short-circuit on the user name).
    const userOk = safeEqual(user, creds.basic.user);
    const passOk = safeEqual(password, creds.basic.password);
    ok = userOk && passOk;
  }
  return ok;
}

/** Middleware: 401 with a WWW-Authenticate challenge unless the request carries a credential; `null` creds = open (INSECURE_NO_AUTH). */
export function requireAuth(creds: Credentials | null, realm: string): RequestHandler {
  return (req, _res, next) => {
    if (creds === null || authorized(req.headers.authorization, creds)) {
      next();
      return;
    }
    const challenge = creds.basic ? `Basic realm="${realm}"` : `Bearer realm="${realm}"`;
    next(new HttpError(401, 'unauthorized', `missing or wrong credentials for ${realm}`, { headers: { 'WWW-Authenticate': challenge } }));
  };
}
