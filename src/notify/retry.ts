/**
 * Sorting Slack's answers, as Alertmanager's notify retrier does: 2xx is
 * delivered, 5xx / 429 / network errors are worth retrying, other statuses are
 * final. A Web API answer of 200 with `ok:false` is a failure too: retried only
 * when Slack says `ratelimited`. Pure, apart from `retry`, which sleeps through
 * an injected function.
 */

/** Why a delivery failed: a closed set, also used in logs. */
export const FAILURE_REASONS = ['network', 'timeout', 'server_error', 'rate_limited', 'client_error', 'slack_error', 'bad_response'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export type Delivery =
  | { ok: true; data: Record<string, unknown> }
  | { ok: false; retryable: boolean; reason: FailureReason; detail: string; retryAfterMs: number | null };

/** An HTTP answer as the transport saw it. */
export interface RawResponse {
  status: number;
  /** The Retry-After header, if any. */
  retryAfter: string | undefined;
  body: string;
}

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  retryAfterCapMs: number;
}

const MAX_DETAIL = 120;

/** Retry-After (delta-seconds or an HTTP date) in milliseconds from `nowMs`; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | null {
  if (value === undefined) return null;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  // An HTTP date has a weekday and a month name; Date.parse alone would read "-5" as a year.
  if (!/[a-z]{3}/i.test(v)) return null;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowMs);
}

/** The wait after the `attempt`-th failure (1-based): Retry-After when Slack gave one (capped), else exponential backoff. */
export function nextDelay(failure: { retryAfterMs: number | null }, attempt: number, p: RetryPolicy): number {
  if (failure.retryAfterMs !== null) return Math.min(failure.retryAfterMs, p.retryAfterCapMs);
  return Math.min(p.baseDelayMs * 2 ** (attempt - 1), p.maxDelayMs);
}

/** An incoming-webhook answer: any 2xx is delivered (Slack answers `ok`). */
export function classifyWebhook(res: RawResponse, nowMs: number): Delivery {
  if (res.status >= 200 && res.status < 300) return { ok: true, data: {} };
  return classifyStatus(res, nowMs);
}

/** A Web API answer (chat.postMessage, chat.update): 2xx with `ok:true` is delivered. */
export function classifyWebApi(res: RawResponse, nowMs: number): Delivery {
  if (res.status < 200 || res.status >= 300) return classifyStatus(res, nowMs);
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    return { ok: false, retryable: false, reason: 'bad_response', detail: `HTTP ${res.status} with a body that is not JSON`, retryAfterMs: null };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, retryable: false, reason: 'bad_response', detail: `HTTP ${res.status} with a body that is not a JSON object`, retryAfterMs: null };
  }
  const data = body as Record<string, unknown>;
  if (data.ok === true) return { ok: true, data };
  const raw = typeof data.error === 'string' ? clean(data.error) : '';
  const error = /^[a-z_]{1,64}$/.test(raw) ? raw : raw ? 'unrecognised error text' : 'no error given';
  if (error === 'ratelimited') return { ok: false, retryable: true, reason: 'rate_limited', detail: 'ok:false ratelimited', retryAfterMs: parseRetryAfter(res.retryAfter, nowMs) };
  return { ok: false, retryable: false, reason: 'slack_error', detail: error, retryAfterMs: null };
}

/** A transport failure (no answer): always worth retrying. `code` is the socket/axios error code, never a message with the URL. */
export function classifyTransportError(code: string | undefined): Delivery {
  const timeout = code === 'ECONNABORTED' || code === 'ETIMEDOUT';
  return { ok: false, retryable: true, reason: timeout ? 'timeout' : 'network', detail: code ?? 'no answer', retryAfterMs: null };
}

function classifyStatus(res: RawResponse, nowMs: number): Delivery {
  // Only a Slack-style error code from the body: an error page (a proxy's 502) may echo the
  // request path, and for an incoming webhook the path is the secret.
  const code = res.body ? clean(res.body) : '';
  const detail = `HTTP ${res.status}${/^[a-z_]{1,64}$/.test(code) ? ` ${code}` : ''}`;
  if (res.status === 429) return { ok: false, retryable: true, reason: 'rate_limited', detail, retryAfterMs: parseRetryAfter(res.retryAfter, nowMs) };
  if (res.status >= 500) return { ok: false, retryable: true, reason: 'server_error', detail, retryAfterMs: null };
  return { ok: false, retryable: false, reason: 'client_error', detail, retryAfterMs: null };
}

/** Slack's error bodies are short codes (`invalid_payload`, `no_service`); anything else is cut. */
function clean(s: string): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > MAX_DETAIL ? `${one.slice(0, MAX_DETAIL)}…` : one;
}

export interface AttemptReport {
  attempt: number;
  failure: Extract<Delivery, { ok: false }>;
  /** The wait before the next attempt, or null when this was the last one. */
  delayMs: number | null;
}

/**
 * Call `send` until it delivers, fails finally, or `maxAttempts` is spent.
 * Never throws: a throwing `send` is treated as a network failure.
 */
export async function retry(send: () => Promise<Delivery>, p: RetryPolicy, sleep: (ms: number) => Promise<void>, onFailure: (r: AttemptReport) => void = () => {}): Promise<Delivery> {
  for (let attempt = 1; ; attempt++) {
    let d: Delivery;
    try {
      d = await send();
    } catch {
      d = classifyTransportError(undefined);
    }
    if (d.ok) return d;
    const last = !d.retryable || attempt >= p.maxAttempts;
    const delayMs = last ? null : nextDelay(d, attempt, p);
    onFailure({ attempt, failure: d, delayMs });
    if (delayMs === null) return d;
    await sleep(delayMs);
  }
}
