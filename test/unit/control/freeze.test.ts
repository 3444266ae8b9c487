import { activeSpan, cronProblem, freezeVerdict, freezeWindowSchema, nextSpan, type FreezeWindow, type SourcedWindow } from '../../../src/control/freeze.js';

const h = 3_600_000;
// A release freeze: Friday 16:00 for 64 h (until Monday 08:00 on a week without a clock change).
const FRIDAY: FreezeWindow = { name: 'release-freeze', cron: '0 16 * * 5', durationMs: 64 * h, timeZone: 'Europe/Berlin' };
const NIGHTLY_NY: FreezeWindow = { name: 'nightly-batch', cron: '30 1 * * *', durationMs: 2 * h, timeZone: 'America/New_York' };
const DAILY_UTC: FreezeWindow = { name: 'backup', cron: '0 3 * * *', durationMs: h, timeZone: 'UTC' };
const ISO = (s: string): Date => new Date(s);

describe('activeSpan: the occurrence in force at now, across time zones and DST changes', () => {
  test.each<[string, FreezeWindow, string, [string, string] | null]>([
    // Berlin in winter is UTC+1: Friday 16:00 local = 15:00 UTC
    ['winter Friday before the start', FRIDAY, '2026-01-16T14:59:59Z', null],
    ['winter Friday at the start', FRIDAY, '2026-01-16T15:00:00Z', ['2026-01-16T15:00:00.000Z', '2026-01-19T07:00:00.000Z']],
    ['winter Sunday', FRIDAY, '2026-01-18T12:00:00Z', ['2026-01-16T15:00:00.000Z', '2026-01-19T07:00:00.000Z']],
    ['winter Monday 07:59 local (06:59 UTC): still frozen', FRIDAY, '2026-01-19T06:59:59Z', ['2026-01-16T15:00:00.000Z', '2026-01-19T07:00:00.000Z']],
    ['winter Monday 08:00 local: over', FRIDAY, '2026-01-19T07:00:00Z', null],
    // summer: UTC+2, Friday 16:00 local = 14:00 UTC
    ['summer Friday at the start', FRIDAY, '2026-07-10T14:00:00Z', ['2026-07-10T14:00:00.000Z', '2026-07-13T06:00:00.000Z']],
    ['summer Friday 15:00 UTC is inside', FRIDAY, '2026-07-10T15:00:00Z', ['2026-07-10T14:00:00.000Z', '2026-07-13T06:00:00.000Z']],
    // spring forward (Sun 29 Mar 2026, 02:00 → 03:00): starts at 15:00 UTC (CET), 64 h of elapsed time end Mon 07:00 UTC = 09:00 CEST
    ['spring-forward weekend: start in CET', FRIDAY, '2026-03-28T00:00:00Z', ['2026-03-27T15:00:00.000Z', '2026-03-30T07:00:00.000Z']],
    ['spring-forward Monday 08:30 CEST: elapsed time, still frozen', FRIDAY, '2026-03-30T06:30:00Z', ['2026-03-27T15:00:00.000Z', '2026-03-30T07:00:00.000Z']],
    // fall back (Sun 25 Oct 2026, 03:00 → 02:00): starts 14:00 UTC (CEST), ends Mon 06:00 UTC = 07:00 CET
    ['fall-back weekend: start in CEST', FRIDAY, '2026-10-24T12:00:00Z', ['2026-10-23T14:00:00.000Z', '2026-10-26T06:00:00.000Z']],
    ['fall-back Monday 07:00 CET: over', FRIDAY, '2026-10-26T06:00:00Z', null],
    // New York: 01:30 local is 06:30 UTC in winter (EST), 05:30 UTC in summer (EDT)
    ['New York winter night', NIGHTLY_NY, '2026-01-10T07:00:00Z', ['2026-01-10T06:30:00.000Z', '2026-01-10T08:30:00.000Z']],
    ['New York summer night', NIGHTLY_NY, '2026-07-10T05:45:00Z', ['2026-07-10T05:30:00.000Z', '2026-07-10T07:30:00.000Z']],
    ['New York summer, 06:30 UTC is 02:30 EDT: inside (ends 07:30)', NIGHTLY_NY, '2026-07-10T06:30:00Z', ['2026-07-10T05:30:00.000Z', '2026-07-10T07:30:00.000Z']],
    ['New York winter, 05:45 UTC is 00:45 EST: before', NIGHTLY_NY, '2026-01-10T05:45:00Z', null],
    // New York falls back on Sun 1 Nov 2026 at 02:00 EDT: 01:30 happens twice; the window starts at the first (EDT, 05:30 UTC)
    ['New York fall-back night: the first 01:30', NIGHTLY_NY, '2026-11-01T05:40:00Z', ['2026-11-01T05:30:00.000Z', '2026-11-01T07:30:00.000Z']],
    ['UTC daily, inside', DAILY_UTC, '2026-05-05T03:59:59Z', ['2026-05-05T03:00:00.000Z', '2026-05-05T04:00:00.000Z']],
    ['UTC daily, end is exclusive', DAILY_UTC, '2026-05-05T04:00:00Z', null],
  ])('%s', (_name, w, now, expected) => {
    const span = activeSpan(w, ISO(now));
    expect(span ? [span.start.toISOString(), span.end.toISOString()] : null).toEqual(expected);
  });
});

describe('nextSpan: the next window that starts after now', () => {
  test.each<[string, FreezeWindow, string, string]>([
    ['from a winter Monday', FRIDAY, '2026-01-19T10:00:00Z', '2026-01-23T15:00:00.000Z'],
    ['from inside a window: the next one', FRIDAY, '2026-01-17T10:00:00Z', '2026-01-23T15:00:00.000Z'],
    ['across spring forward: the first Friday in CEST', FRIDAY, '2026-03-28T10:00:00Z', '2026-04-03T14:00:00.000Z'],
    ['New York across spring forward (8 Mar 2026)', NIGHTLY_NY, '2026-03-07T12:00:00Z', '2026-03-08T06:30:00.000Z'],
    ['New York the day after', NIGHTLY_NY, '2026-03-08T12:00:00Z', '2026-03-09T05:30:00.000Z'],
  ])('%s', (_name, w, now, start) => {
    const span = nextSpan(w, ISO(now));
    expect(span?.start.toISOString()).toBe(start);
    expect(span!.end.getTime() - span!.start.getTime()).toBe(w.durationMs);
  });
});

describe('freezeVerdict', () => {
  const svc: SourcedWindow = { ...DAILY_UTC, source: 'service' };
  const ruled: SourcedWindow = { ...FRIDAY, source: 'rule scale-api' };
  test.each<[string, SourcedWindow[], string, string | null]>([
    ['no windows', [], '2026-01-17T03:30:00Z', null],
    ['none in force', [svc, ruled], '2026-01-20T12:00:00Z', null],
    ['the service window', [svc, ruled], '2026-01-20T03:30:00Z', 'backup'],
    ['the rule window', [svc, ruled], '2026-01-17T12:00:00Z', 'release-freeze'],
    // both in force: the one that ends last is named
    ['both: the later end is named', [svc, ruled], '2026-01-17T03:30:00Z', 'release-freeze'],
  ])('%s', (_name, windows, now, expected) => {
    expect(freezeVerdict(windows, ISO(now))?.window.name ?? null).toBe(expected);
  });

  test('the explanation names the window, its source and when it ends', () => {
    const v = freezeVerdict([ruled], ISO('2026-01-17T12:00:00Z'))!;
    expect(v.explanation).toBe('Frozen: freeze window "release-freeze" (rule scale-api: cron "0 16 * * 5" in Europe/Berlin) runs from 2026-01-16T15:00:00.000Z until 2026-01-19T07:00:00.000Z; nothing was done.');
  });
});

describe('window configuration errors name the field', () => {
  test.each<[string, unknown, string]>([
    ['bad cron value', { name: 'x', cron: '0 16 * * 8', duration: '1h' }, 'cron'],
    ['too few cron fields', { name: 'x', cron: '0 16 * *', duration: '1h' }, 'cron'],
    ['bad duration', { name: 'x', cron: '0 16 * * 5', duration: 'weekend' }, 'duration'],
    ['zero duration', { name: 'x', cron: '0 16 * * 5', duration: '0' }, 'duration'],
    ['unknown time zone', { name: 'x', cron: '0 16 * * 5', duration: '1h', timeZone: 'Europe/Atlantis' }, 'timeZone'],
    ['unknown key', { name: 'x', cron: '0 16 * * 5', duration: '1h', until: 'monday' }, ''],
  ])('%s', (_name, spec, field) => {
    const r = freezeWindowSchema.safeParse(spec);
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path.join('.')).toBe(field);
  });

  test('a valid window defaults to UTC', () => {
    expect(freezeWindowSchema.parse({ name: 'x', cron: '0 16 * * 5', duration: '64h' })).toEqual({ name: 'x', cron: '0 16 * * 5', durationMs: 64 * h, timeZone: 'UTC', mode: 'freeze' });
    expect(cronProblem('*/5 * * * * *')).toBeNull();
  });
});
