/** The driver's decisions, one table each: every row is a case the driver must carry out as given. */
import { breakerVerdict, convergeVerdict, fenceVerdict, manualRollbackVerdict, noMatchDecision, phaseAfterValidation, templateSkipDecision, type RollbackEnd } from '../../../src/planner/verdicts.js';

describe('no-match and template skips', () => {
  test('no rule matched: one skip that names the alert and the table', () => {
    const d = noMatchDecision({ labels: { alertname: 'KubePodCrashLooping', namespace: 'ci' } }, { rules: [{}, {}] as never, version: 'abcdef0123456789' });
    expect(d).toMatchObject({ outcome: 'skip', reason: 'no-match', rule: null, target: null, action: null, facts: { ruleTableVersion: 'abcdef0123456789' } });
    expect(d.explanation).toBe('No rule matched KubePodCrashLooping (2 rules in table abcdef012345); nothing was done.');
  });

  test.each([
    ['template-missing-label', 'target.namespace: the alert has no label "namespace"'],
    ['template-invalid-value', 'target.name: "a b" is not a valid Kubernetes name'],
  ] as const)('%s: the rule is named, the target is not (it did not render)', (reason, message) => {
    const d = templateSkipDecision({ name: 'queue-add-consumers', action: { type: 'scale' } as never }, { labels: { alertname: 'QueueDepthHigh' } }, { reason, message });
    expect(d).toMatchObject({ outcome: 'skip', reason, rule: 'queue-add-consumers', target: null, action: 'scale' });
    expect(d.explanation).toBe(`Rule queue-add-consumers matched QueueDepthHigh but does not apply: ${message}.`);
  });
});

describe('fenceVerdict: write only under a lease renewed just now', () => {
  test.each([
    // ours, tookMs, leaseTtlMs → ok
    [true, 0, 30_000, true],
    [true, 10_000, 30_000, true],
    [true, 10_001, 30_000, false],
    [false, 0, 30_000, false],
    [false, 50_000, 30_000, false],
  ] as const)('ours=%s took %i ms of a %i ms lease → ok=%s', (ours, tookMs, leaseTtlMs, ok) => {
    expect(fenceVerdict({ ours, tookMs, leaseTtlMs }).ok).toBe(ok);
  });
  test('a refusal says why', () => {
    expect(fenceVerdict({ ours: false, tookMs: 0, leaseTtlMs: 30_000 })).toEqual({ ok: false, why: expect.stringMatching(/another replica holds the run's lease/) });
    expect(fenceVerdict({ ours: true, tookMs: 20_000, leaseTtlMs: 30_000 })).toEqual({ ok: false, why: expect.stringMatching(/took 20000 ms, over a third of RUN_LEASE_TTL/) });
  });
});

describe('manualRollbackVerdict: undo by hand only what is still there', () => {
  const base = { targetKey: 'ci/deployment/api', after: { replicas: 4 } };
  test.each([
    // showsAfter, readError → ok, why matches
    [true, undefined, true, null],
    [false, undefined, false, /no longer shows this run's change \{"replicas":4\} \(a later run or someone else changed it since\).*nothing was changed/],
    ['unknown', undefined, false, /cannot tell from the live state of ci\/deployment\/api .*nothing was changed/],
    [true, 'connect ECONNREFUSED', false, /cannot read ci\/deployment\/api .*ECONNREFUSED; nothing was changed/],
  ] as const)('showsAfter=%s readError=%s → ok=%s', (showsAfter, readError, ok, why) => {
    const v = manualRollbackVerdict({ ...base, showsAfter, ...(readError !== undefined ? { readError } : {}) });
    expect(v.ok).toBe(ok);
    if (!v.ok) expect(v.why).toMatch(why!);
  });
});

describe('convergeVerdict: did the write happen?', () => {
  test.each([
    // justEntered, showsAfter, showsBefore → next
    [true, false, false, 'write'],
    [true, 'unknown', 'unknown', 'write'],
    [false, true, false, 'done'],
    [false, true, 'unknown', 'done'],
    [false, false, true, 'write'],
    [false, 'unknown', true, 'write'],
    [false, false, false, 'failed'],
    [false, 'unknown', 'unknown', 'failed'],
  ] as const)('justEntered=%s after=%s before=%s → %s', (justEntered, showsAfter, showsBefore, next) => {
    expect(convergeVerdict({ justEntered, showsAfter, showsBefore, actionType: 'restart' }).next).toBe(next);
  });

  test('a failure says why', () => {
    expect(convergeVerdict({ justEntered: false, showsAfter: 'unknown', showsBefore: 'unknown', actionType: 'restart' })).toEqual({ next: 'failed', why: 'cannot tell from the live state whether the restart happened' });
    expect(convergeVerdict({ justEntered: false, showsAfter: false, showsBefore: false, actionType: 'scale' })).toEqual({ next: 'failed', why: 'the target is in neither the planned before nor after state' });
  });
});

describe('phaseAfterValidation', () => {
  test.each([
    ['passed', undefined, 'succeeded'],
    ['passed', 'rollback', 'succeeded'],
    ['failed', 'keep', 'rolling_back'],
    ['failed', undefined, 'rolling_back'],
    ['inconclusive', 'keep', 'succeeded'],
    ['inconclusive', undefined, 'succeeded'],
    ['inconclusive', 'rollback', 'rolling_back'],
  ] as const)('%s with onInconclusive=%s → %s', (outcome, onInconclusive, phase) => {
    expect(phaseAfterValidation(outcome, onInconclusive)).toBe(phase);
  });
});

describe('breakerVerdict', () => {
  const policy = { rollbacks: 3, windowMs: 3_600_000 };
  test.each<[string, RollbackEnd, boolean, RegExp | null]>([
    ['a rollback without a snapshot', { kind: 'impossible' }, true, /^rollback impossible: no snapshot$/],
    ['a failed rollback', { kind: 'failed', remediationId: 'r1', detail: '403 forbidden' }, true, /^rollback of remediation r1 failed: 403 forbidden$/],
    ['the 2nd automatic rollback', { kind: 'rolled-back', manual: false, rollbacksInWindow: 2 }, false, null],
    ['the 3rd automatic rollback', { kind: 'rolled-back', manual: false, rollbacksInWindow: 3 }, true, /^3 rollbacks of ci\/deployment\/a within 60 min$/],
    ['a 4th (a restore step after a reset, say)', { kind: 'rolled-back', manual: false, rollbacksInWindow: 4 }, true, /^4 rollbacks/],
    ['a manual rollback, however many', { kind: 'rolled-back', manual: true, rollbacksInWindow: 9 }, false, null],
  ])('%s', (_name, end, open, reason) => {
    const v = breakerVerdict(end, policy, 'ci/deployment/a');
    expect(v.open).toBe(open);
    if (v.open) expect(v.reason).toMatch(reason!);
  });
});
