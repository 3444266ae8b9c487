/** Load profiles and the load controller behind POST /sandbox/load. */
import { LoadController, loadBodySchema, profileValue, type ActiveProfile, type ProfileSpec } from '../../../src/sandbox/workload/profile.js';

const at = (spec: ProfileSpec, from: number): ActiveProfile => ({ spec, field: spec.target ?? 'rps', from, startedAtMs: 0 });

describe('profileValue', () => {
  test.each<[string, ProfileSpec, number, number, boolean]>([
    // ramp: linear from 300 to 900 over 10 s
    ['ramp at start', { type: 'ramp', to: 900, durationSeconds: 10 }, 0, 300, false],
    ['ramp halfway', { type: 'ramp', to: 900, durationSeconds: 10 }, 5000, 600, false],
    ['ramp done, holds', { type: 'ramp', to: 900, durationSeconds: 10 }, 60_000, 900, true],
    // ramp down works the same way
    ['ramp down', { type: 'ramp', to: 100, durationSeconds: 4 }, 1000, 250, false],
    // spike: `to` at once, back after the duration
    ['spike during', { type: 'spike', to: 2000, durationSeconds: 5 }, 1, 2000, false],
    ['spike over', { type: 'spike', to: 2000, durationSeconds: 5 }, 5000, 300, true],
    // step: 3 equal steps, the first at once
    ['step first', { type: 'step', to: 900, durationSeconds: 9 }, 0, 500, false],
    ['step second', { type: 'step', to: 900, durationSeconds: 9 }, 3000, 700, false],
    ['step third', { type: 'step', to: 900, durationSeconds: 9 }, 8999, 900, false],
    ['step done', { type: 'step', to: 900, durationSeconds: 9 }, 9000, 900, true],
    // a zero duration is immediate for every type
    ['step at once', { type: 'step', to: 900, durationSeconds: 0 }, 0, 900, true],
    ['ramp at once', { type: 'ramp', to: 900, durationSeconds: 0 }, 0, 900, true],
  ])('%s', (_name, spec, t, value, done) => {
    const r = profileValue(at(spec, 300), t);
    expect(r.value).toBeCloseTo(value, 9);
    expect(r.done).toBe(done);
  });

  test('step with 2 steps', () => {
    expect(profileValue(at({ type: 'step', to: 500, durationSeconds: 10, steps: 2 }, 100), 4999).value).toBe(300);
    expect(profileValue(at({ type: 'step', to: 500, durationSeconds: 10, steps: 2 }, 100), 5000).value).toBe(500);
  });
});

describe('LoadController', () => {
  test('base values first, then a profile that starts from them; a finished profile leaves its value', () => {
    const c = new LoadController({ rps: 300, messagesPerSecond: 100 });
    c.set({ rps: 200, profile: { type: 'ramp', to: 1000, durationSeconds: 10 } }, 1000);
    expect(c.at(1000)).toEqual({ rps: 200, messagesPerSecond: 100 });
    expect(c.at(6000).rps).toBeCloseTo(600, 9);
    expect(c.active(6000)).toHaveLength(1);
    expect(c.active(11_000)).toHaveLength(0);
    expect(c.at(50_000)).toEqual({ rps: 1000, messagesPerSecond: 100 });
  });

  test('a profile on messagesPerSecond leaves rps alone; a new base value cancels that field\'s profile', () => {
    const c = new LoadController({ rps: 300, messagesPerSecond: 100 });
    c.set({ profile: { type: 'spike', to: 2000, durationSeconds: 5, target: 'messagesPerSecond' } }, 0);
    expect(c.at(1000)).toEqual({ rps: 300, messagesPerSecond: 2000 });
    c.set({ messagesPerSecond: 50 }, 2000);
    expect(c.at(3000)).toEqual({ rps: 300, messagesPerSecond: 50 });
  });

  test.each([
    // unknown keys are refused, not ignored
    [{ rpx: 3 }, /Unrecognized key/],
    // negative rates make no sense
    [{ rps: -1 }, /rps/],
    [{ profile: { type: 'square', to: 1, durationSeconds: 1 } }, /profile\.type/],
    [{ profile: { type: 'ramp', durationSeconds: 1 } }, /profile\.to/],
  ])('the body %j is refused', (body, message) => {
    const r = loadBodySchema.safeParse(body);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')).toMatch(message);
  });
});
