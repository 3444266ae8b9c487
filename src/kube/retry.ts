/**
 * Bounded retries, as client-go does them. Throttling, server errors and timeouts
 * back off (honouring Retry-After, capped); 403/404/422 never retry. Conflicts are
 * retried by the caller, which must re-read before each try (retryOnConflict).
 */
import { KubeError, KubeTimeoutError, toKubeError } from './errors.js';

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Per-request timeout. */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 2000, timeoutMs: 10_000 };
/** Reads get this many more tries than writes: with DEFAULT_RETRY ~5 s of backoff instead of 0.7 s. */
export const READ_EXTRA_ATTEMPTS = 3;

/** The policy of an idempotent read: the same, with READ_EXTRA_ATTEMPTS more tries (still bounded by maxDelayMs each). */
export function readPolicy(policy: RetryPolicy): RetryPolicy {
  return { ...policy, attempts: policy.attempts + READ_EXTRA_ATTEMPTS };
}

/** client-go's DefaultRetry for conflicts: 5 steps, 10 ms. */
export const CONFLICT_RETRY = { attempts: 5, delayMs: 10 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new KubeTimeoutError(what, ms)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Call fn with bounded backoff on 429/5xx/timeouts/unreachable; throws a classified KubeError. */
export async function callKube<T>(what: string, fn: () => Promise<T>, policy: RetryPolicy = DEFAULT_RETRY): Promise<T> {
  let last: KubeError | null = null;
  for (let attempt = 0; attempt < policy.attempts; attempt++) {
    try {
      return await withTimeout(fn(), policy.timeoutMs, what);
    } catch (err) {
      last = toKubeError(err);
      const f = last.failure;
      if (!f.retryable || f.reason === 'conflict' || attempt === policy.attempts - 1) break;
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
      await sleep(Math.min(policy.maxDelayMs, Math.max(backoff, f.retryAfterMs ?? 0)));
    }
  }
  const f = last!.failure;
  throw new KubeError({ ...f, message: `${what}: ${f.message}` });
}

/** Re-read, re-check and write again on 409, up to CONFLICT_RETRY.attempts times. */
export async function retryOnConflict<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      // Our own refusals and other failures pass through as they are; only 409s are retried.
      if (toKubeError(err).failure.reason !== 'conflict' || attempt >= CONFLICT_RETRY.attempts - 1) throw err;
      await sleep(CONFLICT_RETRY.delayMs * (0.9 + Math.random() * 0.2));
    }
  }
}
