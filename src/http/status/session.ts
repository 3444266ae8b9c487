/**
 * Status page sessions: a cookie the service signs (HMAC-SHA256 with a key derived from
 * ADMIN_TOKEN), so every replica accepts it and rotating the admin token ends every session.
 *
 *   cookie  = v1.<expiry ms, base 36>.<nonce: 16 random bytes, base64url>.<HMAC of the three>
 *   csrf    = HMAC("csrf:" + cookie): a state-changing request carrying the cookie must carry this
 *             in X-CSRF-Token (or the form field `csrf`); a cross-site page can read neither.
 *
 * Logout revokes the nonce in this process (bounded set, until the session would have
 * expired) and clears the cookie; on another replica the cookie stays valid until it expires.
 * Pure apart from the clock passed in.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { safeEqual } from '../auth.js';

export const SESSION_COOKIE = 'autoremediator_session';
export const SESSION_TTL_MS = 12 * 3600_000;
const MAX_REVOKED = 10_000;

export type SessionCheck = { ok: true; nonce: string; expiresAt: number; csrf: string } | { ok: false; why: 'malformed' | 'signature' | 'expired' | 'revoked' };

export class SessionKeys {
  private readonly key: Buffer;
  private readonly revoked = new Map<string, number>();

  constructor(adminToken: string) {
    this.key = createHmac('sha256', 'autoremediator status page session v1').update(adminToken, 'utf8').digest();
  }

  private mac(text: string): string {
    return createHmac('sha256', this.key).update(text, 'utf8').digest('base64url');
  }

  /** A new session cookie value valid until now + ttl. */
  issue(nowMs: number, ttlMs = SESSION_TTL_MS, nonce = randomBytes(16).toString('base64url')): { value: string; expiresAt: number; csrf: string } {
    const expiresAt = nowMs + ttlMs;
    const body = `v1.${expiresAt.toString(36)}.${nonce}`;
    const value = `${body}.${this.mac(body)}`;
    return { value, expiresAt, csrf: this.csrfOf(value) };
  }

  csrfOf(cookieValue: string): string {
    return this.mac(`csrf:${cookieValue}`);
  }

  check(value: string | undefined, nowMs: number): SessionCheck {
    if (!value) return { ok: false, why: 'malformed' };
    const parts = value.split('.');
    if (parts.length !== 4 || parts[0] !== 'v1' || !/^[0-9a-z]{1,12}$/.test(parts[1]!) || !/^[A-Za-z0-9_-]{16,64}$/.test(parts[2]!)) return { ok: false, why: 'malformed' };
    const body = parts.slice(0, 3).join('.');
    if (!safeEqual(parts[3]!, this.mac(body))) return { ok: false, why: 'signature' };
    const expiresAt = parseInt(parts[1]!, 36);
    if (!(expiresAt > nowMs)) return { ok: false, why: 'expired' };
    if (this.revoked.has(parts[2]!)) return { ok: false, why: 'revoked' };
    return { ok: true, nonce: parts[2]!, expiresAt, csrf: this.csrfOf(value) };
  }

  /** End a session in this process (logout). */
  revoke(nonce: string, expiresAt: number, nowMs: number): void {
    for (const [n, exp] of this.revoked) if (exp <= nowMs) this.revoked.delete(n);
    if (this.revoked.size >= MAX_REVOKED) {
      const oldest = this.revoked.keys().next().value;
      if (oldest !== undefined) this.revoked.delete(oldest);
    }
    this.revoked.set(nonce, expiresAt);
  }
}

/** The value of one cookie in a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    if (part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

export function sessionCookie(value: string, opts: { maxAgeSeconds: number; secure: boolean }): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${opts.maxAgeSeconds}${opts.secure ? '; Secure' : ''}`;
}
