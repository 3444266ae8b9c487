/**
 * Approval mode's pure verdicts, table-driven: who makes a run wait (approvalNeed), what a
 * waiting run does now (waitingVerdict), whether an approved plan still holds (recheckVerdict).
 */
import { approvalNeed, endedDecision, recheckVerdict, waitingVerdict, type ApprovalPolicy, type ApprovalRecord, type ApprovalSubject, type RecheckInput } from '../../../src/control/approval.js';
import type { FreezeWindow } from '../../../src/control/freeze.js';
import { holdVerdict } from '../../../src/control/hold.js';
import type { ActDecision } from '../../../src/domain/decision.js';

const NOW = new Date('2026-12-04T15:00:00Z'); // a Friday
const H = 3_600_000;
const none: ApprovalPolicy = { required: false, namespaces: [], timeoutMs: H, windows: [] };
const fridayApproval: FreezeWindow = { name: 'friday-afternoon', cron: '0 12 * * 5', durationMs: 6 * H, timeZone: 'UTC', mode: 'approval' };
const fridayFreeze: FreezeWindow = { ...fridayApproval, name: 'friday-freeze', mode: 'freeze' };
const mondayApproval: FreezeWindow = { ...fridayApproval, name: 'monday', cron: '0 12 * * 1' };
const rule = (extra: Partial<NonNullable<ApprovalSubject['rule']>> = {}): NonNullable<ApprovalSubject['rule']> => ({ name: 'scale-api', ...extra });

describe('approvalNeed: who makes a run wait, and until when', () => {
  const cases: Array<{ name: string; policy: ApprovalPolicy; subject: ApprovalSubject; sources: string[] | null; timeoutMs?: number }> = [
    { name: 'nobody asks', policy: none, subject: { rule: rule(), namespace: 'ci', origin: 'alert' }, sources: null },
    { name: 'the rule asks, with its own timeout', policy: none, subject: { rule: rule({ approval: { required: true, timeout: 10 * 60_000 } }), namespace: 'ci', origin: 'alert' }, sources: ['rule scale-api'], timeoutMs: 600_000 },
    { name: 'the rule says required: false', policy: none, subject: { rule: rule({ approval: { required: false } }), namespace: 'ci', origin: 'alert' }, sources: null },
    { name: 'the namespace asks', policy: { ...none, namespaces: ['prod'] }, subject: { rule: rule(), namespace: 'prod', origin: 'alert' }, sources: ['namespace prod (APPROVAL_NAMESPACES)'], timeoutMs: H },
    { name: 'another namespace does not', policy: { ...none, namespaces: ['prod'] }, subject: { rule: rule(), namespace: 'ci', origin: 'alert' }, sources: null },
    { name: 'the whole service asks', policy: { ...none, required: true, timeoutMs: 2 * H }, subject: { rule: rule(), namespace: 'ci', origin: 'replay' }, sources: ['service (APPROVAL_REQUIRED)'], timeoutMs: 2 * H },
    { name: 'a service window in approval mode, in force', policy: { ...none, windows: [fridayApproval] }, subject: { rule: rule(), namespace: 'ci', origin: 'alert' }, sources: ['window "friday-afternoon" (service, until 2026-12-04T18:00:00.000Z)'] },
    { name: 'a window in approval mode, not in force', policy: { ...none, windows: [mondayApproval] }, subject: { rule: rule(), namespace: 'ci', origin: 'alert' }, sources: null },
    { name: 'a freeze-mode window is not an approval (hold.ts skips frozen)', policy: { ...none, windows: [fridayFreeze] }, subject: { rule: rule(), namespace: 'ci', origin: 'alert' }, sources: null },
    { name: "the rule's own approval window", policy: none, subject: { rule: rule({ freeze: [fridayApproval] }), namespace: 'ci', origin: 'alert' }, sources: ['window "friday-afternoon" (rule scale-api, until 2026-12-04T18:00:00.000Z)'] },
    {
      name: 'every source, in order; the rule timeout wins',
      policy: { required: true, namespaces: ['ci'], timeoutMs: H, windows: [fridayApproval] },
      subject: { rule: rule({ approval: { required: true, timeout: 5 * 60_000 } }), namespace: 'ci', origin: 'alert' },
      sources: ['rule scale-api', 'namespace ci (APPROVAL_NAMESPACES)', 'service (APPROVAL_REQUIRED)', 'window "friday-afternoon" (service, until 2026-12-04T18:00:00.000Z)'],
      timeoutMs: 300_000,
    },
    { name: 'a restore step never waits', policy: { ...none, required: true }, subject: { rule: rule({ approval: { required: true } }), namespace: 'ci', origin: 'restore' }, sources: null },
    { name: 'no rule (gone), the service asks', policy: { ...none, required: true }, subject: { rule: null, namespace: null, origin: 'alert' }, sources: ['service (APPROVAL_REQUIRED)'] },
  ];
  test.each(cases)('$name', ({ policy, subject, sources, timeoutMs }) => {
    const r = approvalNeed(policy, subject, NOW);
    if (sources === null) {
      expect(r).toBeNull();
      return;
    }
    expect(r!.sources).toEqual(sources);
    const t = timeoutMs ?? policy.timeoutMs;
    expect(r!.timeoutMs).toBe(t);
    expect(r!.deadline).toBe(new Date(NOW.getTime() + t).toISOString());
    expect(r!.explanation).toContain(`required by ${sources.join(', ')}`);
    expect(r!.explanation).toContain(`until ${r!.deadline}`);
  });
});

const record: ApprovalRecord = { sources: ['rule scale-api'], requestedAt: NOW.toISOString(), deadline: '2026-12-04T16:00:00.000Z', timeoutMs: H, explanation: 'x' };

describe('waitingVerdict: a waiting run now', () => {
  const before = new Date('2026-12-04T15:59:59.999Z');
  const at = new Date('2026-12-04T16:00:00.000Z');
  const cases = [
    { name: 'no answer, before the deadline: wait', answer: undefined, now: before, next: 'wait' },
    { name: 'no answer, at the deadline: expire', answer: undefined, now: at, next: 'expire' },
    { name: 'approved in time: re-check the plan', answer: { verdict: 'approve' as const, by: 'alice' }, now: before, next: 'recheck' },
    { name: 'denied in time', answer: { verdict: 'deny' as const, by: 'bob', reason: 'not now' }, now: before, next: 'deny' },
    { name: 'approved too late: expired, never applied', answer: { verdict: 'approve' as const, by: 'alice' }, now: at, next: 'expire' },
    { name: 'denied too late: expired', answer: { verdict: 'deny' as const, by: 'bob' }, now: at, next: 'expire' },
  ];
  test.each(cases)('$name', ({ answer, now, next }) => {
    const v = waitingVerdict(record, answer, now);
    expect(v.next).toBe(next);
    if (v.next === 'deny') expect(v.explanation).toBe('Denied by bob ("not now"); nothing was done.');
    if (v.next === 'expire') expect(v.explanation).toMatch(/^Approval expired: nobody approved it within 3600s \(required by rule scale-api; deadline 2026-12-04T16:00:00.000Z\); nothing was done\.$/);
  });
});

describe('recheckVerdict: is the approved plan still the plan?', () => {
  const d = { before: { replicas: 3 }, after: { replicas: 5 } };
  const fresh: RecheckInput = { hold: null, breakerOpen: false, found: true, showsBefore: true };
  const cases: Array<{ name: string; input: RecheckInput; reason: string | null; says?: RegExp }> = [
    { name: 'unchanged: ok', input: fresh, reason: null },
    { name: 'the kind cannot tell: ok', input: { ...fresh, showsBefore: 'unknown' }, reason: null },
    { name: 'the target changed: plan-stale', input: { ...fresh, showsBefore: false, live: { replicas: 4 } }, reason: 'plan-stale', says: /target changed since the run was planned \(planned from \{"replicas":3\}, now \{"replicas":4\}\); the plan \{"replicas":3\} → \{"replicas":5\} is stale/ },
    { name: 'gone: target-not-found', input: { ...fresh, found: false, showsBefore: false }, reason: 'target-not-found' },
    { name: 'unreadable: state-unavailable', input: { ...fresh, found: null, stateError: 'connect ECONNREFUSED', showsBefore: false }, reason: 'state-unavailable', says: /ECONNREFUSED/ },
    { name: 'breaker opened meanwhile', input: { ...fresh, breakerOpen: true }, reason: 'breaker-open' },
    { name: 'paused meanwhile: the pause wins over the approval', input: { ...fresh, hold: { reason: 'paused', explanation: 'Paused: carol paused everything …', facts: {} }, breakerOpen: true, showsBefore: false }, reason: 'paused', says: /^Approved, but not applied: Paused: carol/ },
    { name: 'frozen meanwhile', input: { ...fresh, hold: { reason: 'frozen', explanation: 'Frozen: …', facts: {} } }, reason: 'frozen' },
  ];
  test.each(cases)('$name', ({ input, reason, says }) => {
    const v = recheckVerdict(d, input);
    if (reason === null) expect(v).toEqual({ ok: true });
    else {
      expect(v).toMatchObject({ ok: false, reason });
      if (says && !v.ok) expect(v.explanation).toMatch(says);
    }
  });
});

test('endedDecision: the act it would have been, as a skip with why and the approval record', () => {
  const act: ActDecision = { outcome: 'act', rule: 'scale-api', target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: 'api' }, action: 'scale', explanation: 'Scale …', facts: { current: 3 }, before: { replicas: 3 }, after: { replicas: 5 } };
  const ended = endedDecision(act, 'approval-expired', 'Approval expired …', { ...record, outcome: 'expired' });
  expect(ended).toEqual({ outcome: 'skip', reason: 'approval-expired', rule: 'scale-api', target: act.target, action: 'scale', explanation: 'Approval expired …', facts: { current: 3, approval: { ...record, outcome: 'expired' } }, before: { replicas: 3 }, after: { replicas: 5 } });
});

test('a window in approval mode never freezes (holdVerdict), one in freeze mode does', () => {
  const controls = { pauses: [], freezeWindows: [fridayApproval] };
  expect(holdVerdict(controls, { rule: { name: 'scale-api' }, target: null }, NOW)).toBeNull();
  expect(holdVerdict({ ...controls, freezeWindows: [fridayFreeze] }, { rule: { name: 'scale-api' }, target: null }, NOW)).toMatchObject({ reason: 'frozen' });
});
