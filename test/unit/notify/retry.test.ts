/** Sorting Slack's answers into delivered / retry / final, and the retry loop. */
import { classifyTransportError, classifyWebApi, classifyWebhook, nextDelay, parseRetryAfter, retry, type AttemptReport, type Delivery, type RawResponse } from '../../../src/notify/retry.js';

const NOW = Date.parse('2026-11-28T12:00:00Z');
const res = (status: number, body = '', retryAfter?: string): RawResponse => ({ status, body, retryAfter });
const POLICY = { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 30_000, retryAfterCapMs: 60_000 };

const summary = (d: Delivery) => (d.ok ? 'ok' : `${d.retryable ? 'retry' : 'final'}:${d.reason}`);

describe('classifyWebhook', () => {
  test.each<[string, RawResponse, string]>([
    // Slack answers 200 "ok"
    ['200 ok', res(200, 'ok'), 'ok'],
    ['204', res(204), 'ok'],
    // 5xx and 429 are worth another try
    ['500', res(500, 'internal_error'), 'retry:server_error'],
    ['503', res(503), 'retry:server_error'],
    ['429', res(429, 'rate_limited', '3'), 'retry:rate_limited'],
    // other 4xx are final: the payload or the webhook is wrong
    ['400 invalid_payload', res(400, 'invalid_payload'), 'final:client_error'],
    ['403 action_prohibited', res(403, 'action_prohibited'), 'final:client_error'],
    ['404 no_service', res(404, 'no_service'), 'final:client_error'],
    ['410 channel_is_archived', res(410, 'channel_is_archived'), 'final:client_error'],
    // a redirect is not followed: final
    ['302', res(302), 'final:client_error'],
  ])('%s', (_name, r, expected) => {
    expect(summary(classifyWebhook(r, NOW))).toBe(expected);
  });

  test('the detail is the status and Slack’s short error code', () => {
    expect(classifyWebhook(res(404, 'no_service'), NOW)).toMatchObject({ detail: 'HTTP 404 no_service' });
    expect(classifyWebhook(res(429, '', '7'), NOW)).toMatchObject({ retryAfterMs: 7000 });
  });
});

describe('classifyWebApi', () => {
  test.each<[string, RawResponse, string]>([
    // 200 with ok:true is the only success
    ['ok:true', res(200, '{"ok":true,"ts":"1.2","channel":"C1"}'), 'ok'],
    // 200 with ok:false is a failure; only ratelimited is retried
    ['ok:false ratelimited', res(200, '{"ok":false,"error":"ratelimited"}'), 'retry:rate_limited'],
    ['ok:false channel_not_found', res(200, '{"ok":false,"error":"channel_not_found"}'), 'final:slack_error'],
    ['ok:false invalid_auth', res(200, '{"ok":false,"error":"invalid_auth"}'), 'final:slack_error'],
    ['ok:false without error', res(200, '{"ok":false}'), 'final:slack_error'],
    // a 200 that is not a JSON object is final: retrying could post twice
    ['not JSON', res(200, '<html>'), 'final:bad_response'],
    ['JSON array', res(200, '[1]'), 'final:bad_response'],
    // statuses as for webhooks
    ['429', res(429, '', '30'), 'retry:rate_limited'],
    ['502', res(502, 'bad gateway'), 'retry:server_error'],
    ['401', res(401, ''), 'final:client_error'],
  ])('%s', (_name, r, expected) => {
    expect(summary(classifyWebApi(r, NOW))).toBe(expected);
  });

  test('the data of a success and the error code of an ok:false are kept', () => {
    expect(classifyWebApi(res(200, '{"ok":true,"ts":"1.2"}'), NOW)).toEqual({ ok: true, data: { ok: true, ts: '1.2' } });
    expect(classifyWebApi(res(200, '{"ok":false,"error":"channel_not_found"}'), NOW)).toMatchObject({ detail: 'channel_not_found' });
    expect(classifyWebApi(res(200, '{"ok":false,"error":"ratelimited"}', '4'), NOW)).toMatchObject({ retryAfterMs: 4000 });
  });
});

test.each<[string, string | undefined, string]>([
  // a refused connection and a timeout are retried, named by code only
  ['refused', 'ECONNREFUSED', 'retry:network'],
  ['axios timeout', 'ECONNABORTED', 'retry:timeout'],
  ['socket timeout', 'ETIMEDOUT', 'retry:timeout'],
  ['unknown', undefined, 'retry:network'],
])('classifyTransportError %s', (_name, code, expected) => {
  expect(summary(classifyTransportError(code))).toBe(expected);
});

describe('parseRetryAfter', () => {
  test.each<[string, string | undefined, number | null]>([
    // delta-seconds
    ['seconds', '2', 2000],
    ['fraction', '0.5', 500],
    ['padded', ' 10 ', 10_000],
    // an HTTP date, relative to now; a past date means now
    ['date', 'Sat, 28 Nov 2026 12:00:30 GMT', 30_000],
    ['past date', 'Sat, 28 Nov 2026 11:00:00 GMT', 0],
    // absent or unreadable: fall back to backoff
    ['absent', undefined, null],
    ['garbage', 'soon', null],
    ['negative', '-5', null],
  ])('%s', (_name, v, ms) => {
    expect(parseRetryAfter(v, NOW)).toBe(ms);
  });
});

describe('nextDelay', () => {
  test.each<[string, number | null, number, number]>([
    // exponential from 500 ms
    ['1st failure', null, 1, 500],
    ['2nd failure', null, 2, 1000],
    ['4th failure', null, 4, 4000],
    // capped at maxDelayMs
    ['10th failure', null, 10, 30_000],
    // Retry-After wins over backoff, capped at retryAfterCapMs
    ['Retry-After 2 s', 2000, 1, 2000],
    ['Retry-After 0', 0, 3, 0],
    ['Retry-After 1 h', 3_600_000, 1, 60_000],
  ])('%s', (_name, retryAfterMs, attempt, ms) => {
    expect(nextDelay({ retryAfterMs }, attempt, POLICY)).toBe(ms);
  });
});

describe('retry', () => {
  const scripted = (answers: Delivery[]) => {
    let i = 0;
    const send = () => {
      const a = answers[Math.min(i, answers.length - 1)]!;
      i++;
      return Promise.resolve(a);
    };
    return { send, calls: () => i };
  };
  const ok: Delivery = { ok: true, data: {} };
  const fail500 = classifyWebhook(res(500), NOW);
  const fail404 = classifyWebhook(res(404, 'no_service'), NOW);

  test('retries until delivered, sleeping the backoff between attempts', async () => {
    const s = scripted([fail500, fail500, ok]);
    const sleeps: number[] = [];
    const reports: AttemptReport[] = [];
    const d = await retry(s.send, POLICY, (ms) => (sleeps.push(ms), Promise.resolve()), (r) => reports.push(r));
    expect(d.ok).toBe(true);
    expect(s.calls()).toBe(3);
    expect(sleeps).toEqual([500, 1000]);
    expect(reports.map((r) => [r.attempt, r.delayMs])).toEqual([[1, 500], [2, 1000]]);
  });

  test('stops after maxAttempts and reports the last failure as final', async () => {
    const s = scripted([fail500]);
    const reports: AttemptReport[] = [];
    const d = await retry(s.send, { ...POLICY, maxAttempts: 3 }, () => Promise.resolve(), (r) => reports.push(r));
    expect(summary(d)).toBe('retry:server_error');
    expect(s.calls()).toBe(3);
    expect(reports.map((r) => r.delayMs)).toEqual([500, 1000, null]);
  });

  test('a final failure is not retried', async () => {
    const s = scripted([fail404, ok]);
    const d = await retry(s.send, POLICY, () => Promise.resolve());
    expect(summary(d)).toBe('final:client_error');
    expect(s.calls()).toBe(1);
  });

  test('a throwing send counts as a network failure and does not escape', async () => {
    let calls = 0;
    const d = await retry(() => (calls++, Promise.reject(new Error('boom'))), { ...POLICY, maxAttempts: 2 }, () => Promise.resolve());
    expect(summary(d)).toBe('retry:network');
    expect(calls).toBe(2);
  });
});
