// alertIdentity: what makes two deliveries "the same alert episode" (duplicates).
import { alertIdentity } from '../../../src/domain/alert.js';

describe('alertIdentity', () => {
  const base = { fingerprint: '3f9a6c1d2b7e8f00', status: 'firing' as const };

  test('the same episode start written differently is the same identity (asked again: remembered, same answer)', () => {
    const z = alertIdentity({ ...base, startsAt: '2026-11-28T10:21:45.617Z' });
    expect(z).toBe('3f9a6c1d2b7e8f00|2026-11-28T10:21:45.617Z|firing');
    expect(alertIdentity({ ...base, startsAt: '2026-11-28T11:21:45.617+01:00' })).toBe(z);
    expect(alertIdentity({ ...base, startsAt: '2026-11-28T10:21:45.617Z' })).toBe(z);
  });

  test('fingerprint, start and status each tell episodes apart', () => {
    const a = alertIdentity({ ...base, startsAt: '2026-11-28T10:21:45.617Z' });
    expect(alertIdentity({ ...base, fingerprint: '3f9a6c1d2b7e8f01', startsAt: '2026-11-28T10:21:45.617Z' })).not.toBe(a);
    expect(alertIdentity({ ...base, startsAt: '2026-11-28T10:21:45.618Z' })).not.toBe(a);
    expect(alertIdentity({ ...base, status: 'resolved', startsAt: '2026-11-28T10:21:45.617Z' })).not.toBe(a);
  });

  test('an unparseable start throws every time, also when asked again', () => {
    expect(() => alertIdentity({ ...base, startsAt: 'not a time' })).toThrow(RangeError);
    expect(() => alertIdentity({ ...base, startsAt: 'not a time' })).toThrow(RangeError);
  });

  test('stays right past the memory bound (it is cleared, not wrong)', () => {
    for (let i = 0; i < 10_050; i++) {
      const t = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
      expect(alertIdentity({ ...base, startsAt: t })).toBe(`${base.fingerprint}|${t}|firing`);
    }
  });
});
