import { DecisionWatchdog, FAILURES_IN_A_ROW, watchdogStatus } from '../../../src/remediation/watchdog.js';

test.each([
  ['nothing running', [], 0, { ok: true, reason: null }],
  ['one decision within the limit', [9_500], 0, { ok: true, reason: null }],
  ['one decision past the limit', [0, 9_000], 0, { ok: false, reason: expect.stringMatching(/^1 decision\(s\) running for more than 1000 ms \(oldest 10 s\)/) }],
  ['failures below the threshold', [], FAILURES_IN_A_ROW - 1, { ok: true, reason: null }],
  ['failures at the threshold', [], FAILURES_IN_A_ROW, { ok: false, reason: expect.stringMatching(/^the last 3 decisions failed \(last: canceling statement due to statement timeout\)/) }],
])('%s → %j', (_name, startedAt, failed, expected) => {
  expect(watchdogStatus(startedAt, 10_000, 1000, failed, 'canceling statement due to statement timeout')).toEqual(expected);
});

test('a success resets the failures; a decision that never ends is seen', async () => {
  let now = 0;
  const w = new DecisionWatchdog(1000, () => now);
  for (let i = 0; i < FAILURES_IN_A_ROW; i++) await expect(w.watch(() => Promise.reject(new Error('timeout')))).rejects.toThrow('timeout');
  expect(w.status().ok).toBe(false);
  await w.watch(() => Promise.resolve(1));
  expect(w.status().ok).toBe(true);
  void w.watch(() => new Promise(() => undefined));
  now = 1001;
  expect(w.status()).toMatchObject({ ok: false, reason: expect.stringMatching(/running for more than 1000 ms/) });
});
