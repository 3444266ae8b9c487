/** Which transitions reach Slack, and in which channel. */
import type { SkipReason } from '../../../src/domain/decision.js';
import type { Phase } from '../../../src/domain/remediation.js';
import { channelFor, shouldAnnounce, type NotifySpec } from '../../../src/notify/routing.js';
import { remediation, skipDecision } from './remediation-fixtures.js';

const QUIET: NotifySpec = { verbosity: 'quiet' };
const VERBOSE: NotifySpec = { verbosity: 'verbose' };

describe('shouldAnnounce', () => {
  const act = (from: Phase | null, to: Phase) => ({ remediation: remediation({ phase: to }), from, to, note: '' });
  const skip = (reason: SkipReason) => ({ remediation: remediation({ decision: skipDecision(reason), phase: 'skipped' }), from: null, to: 'skipped' as Phase, note: '' });

  test.each<[string, ReturnType<typeof act>, NotifySpec | undefined, boolean]>([
    // every step of an act is announced, quiet or not
    ['act created, quiet', act(null, 'planned'), QUIET, true],
    ['act applying, quiet', act('planned', 'applying'), QUIET, true],
    ['act succeeded, no rule known', act('validating', 'succeeded'), undefined, true],
    ['act rolled back, quiet', act('rolling_back', 'rolled_back'), QUIET, true],
    // quiet: ordinary skips stay silent
    ['cooldown skip, quiet', skip('cooldown'), QUIET, false],
    ['at-bound skip, quiet', skip('at-bound'), QUIET, false],
    ['no-match skip, no rule', skip('no-match'), undefined, false],
    ['duplicate skip, quiet', skip('duplicate'), QUIET, false],
    // quiet: the loud skips always go out
    ['breaker-open, quiet', skip('breaker-open'), QUIET, true],
    ['budget-namespace, quiet', skip('budget-namespace'), QUIET, true],
    ['budget-global, no rule', skip('budget-global'), undefined, true],
    // a dry run is a would-be act: announced as the rule schema promises
    ['dry-run, quiet', skip('dry-run'), QUIET, true],
    // verbose: every skip
    ['cooldown skip, verbose', skip('cooldown'), VERBOSE, true],
    ['at-bound skip, verbose', skip('at-bound'), VERBOSE, true],
  ])('%s', (_name, event, notify, expected) => {
    expect(shouldAnnounce(event, notify)).toBe(expected);
  });

  test('a failure is announced even when the decision was a quiet skip', () => {
    const e = { remediation: remediation({ decision: skipDecision('cooldown'), phase: 'failed' }), from: 'planned' as Phase, to: 'failed' as Phase, note: '' };
    expect(shouldAnnounce(e, QUIET)).toBe(true);
  });
});

describe('channelFor', () => {
  test.each<[string, NotifySpec | undefined, string]>([
    // the rule's channel wins
    ['override', { verbosity: 'quiet', channel: '#db-oncall' }, '#db-oncall'],
    // no override, or a blank one: the configured channel
    ['no override', { verbosity: 'quiet' }, '#ops'],
    ['blank override', { verbosity: 'quiet', channel: '  ' }, '#ops'],
    ['no rule', undefined, '#ops'],
  ])('%s', (_name, notify, expected) => {
    expect(channelFor(notify, '#ops')).toBe(expected);
  });
});
