/**
 * Classify every Kubernetes API failure where it happens: retryable or terminal,
 * with a reason from the closed set that doubles as a metric label.
 */
import { ApiException } from '@kubernetes/client-node';
import type { ApplyFailureReason } from '../domain/cluster.js';

export interface KubeFailure {
  reason: ApplyFailureReason;
  retryable: boolean;
  status: number | null;
  message: string;
  retryAfterMs: number | null;
}

export class KubeTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what}: no answer from the Kubernetes API within ${ms} ms`);
    this.name = 'KubeTimeoutError';
  }
}

function statusMessage(body: unknown): string | null {
  const parse = (b: unknown): unknown => {
    if (typeof b !== 'string') return b;
    try {
      return JSON.parse(b);
    } catch {
      return b;
    }
  };
  const obj = parse(body) as { message?: unknown } | string | null | undefined;
  if (obj && typeof obj === 'object' && typeof obj.message === 'string') return obj.message;
  if (typeof obj === 'string' && obj.length) return obj.slice(0, 300);
  return null;
}

export function classifyKubeError(err: unknown): KubeFailure {
  if (err instanceof ApiException) {
    const code = err.code;
    const msg = statusMessage(err.body) ?? `HTTP ${code}`;
    const ra = Number((err.headers as Record<string, string> | undefined)?.['retry-after']);
    const retryAfterMs = Number.isFinite(ra) && ra >= 0 ? ra * 1000 : null;
    const base = { status: code, message: msg, retryAfterMs };
    if (code === 409) return { ...base, reason: 'conflict', retryable: true };
    if (code === 429) return { ...base, reason: 'throttled', retryable: true };
    if (code >= 500) return { ...base, reason: 'server-error', retryable: true };
    if (code === 403 || code === 401) return { ...base, reason: 'forbidden', retryable: false };
    if (code === 404) return { ...base, reason: 'not-found', retryable: false };
    if (code === 422 || code === 400) return { ...base, reason: 'invalid', retryable: false };
    return { ...base, reason: 'invalid', retryable: false };
  }
  if (err instanceof KubeTimeoutError) return { reason: 'timeout', retryable: true, status: null, message: err.message, retryAfterMs: null };
  const e = err as { name?: string; code?: string; message?: string };
  if (e?.name === 'FetchError' || e?.name === 'AbortError' || /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|socket hang up/.test(e?.message ?? '')) {
    return { reason: 'unavailable', retryable: true, status: null, message: e.message ?? String(err), retryAfterMs: null };
  }
  return { reason: 'unavailable', retryable: false, status: null, message: e?.message ?? String(err), retryAfterMs: null };
}

/** Carries a classified failure through code that throws. */
export class KubeError extends Error {
  constructor(readonly failure: KubeFailure) {
    super(failure.message);
    this.name = 'KubeError';
  }
}

export function toKubeError(err: unknown): KubeError {
  return err instanceof KubeError ? err : new KubeError(classifyKubeError(err));
}
