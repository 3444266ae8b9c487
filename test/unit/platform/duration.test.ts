/** Durations follow Prometheus's grammar (common/model ParseDuration) everywhere the service takes one. */
import { parseDuration } from '../../../src/platform/duration.js';

describe('parseDuration: Prometheus duration grammar', () => {
  test.each([
    ['0', 0],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['250ms', 250],
    ['1s500ms', 1500],
    ['2d', 172_800_000],
    ['1w', 604_800_000],
    ['1y', 31_536_000_000],
    ['1y2w3d4h5m6s7ms', 31_536_000_000 + 2 * 604_800_000 + 3 * 86_400_000 + 4 * 3_600_000 + 5 * 60_000 + 6000 + 7],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test.each([
    ['5m1h', 'units out of order'],
    ['1h1h', 'a unit twice'],
    ['30ms1s', 'ms before s'],
    ['', 'empty'],
    ['5', 'no unit'],
    ['1.5h', 'a fraction'],
    ['-5m', 'a sign'],
    ['5 m', 'a space'],
    ['5M', 'upper-case unit'],
    ['1h ', 'trailing space'],
    ['99999999999999999999y', 'beyond a safe integer'],
  ])('%j is refused (%s)', (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});
