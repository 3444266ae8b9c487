import { classifyCreate, classifyExpire, classifyTransportError, planSilence, silenceMatchers, validationWindowMs, wantsSilence, SILENCE_MARGIN_MS } from '../../../src/silence/plan.js';
import { ruleSchema } from '../../../src/rule-table/schema.js';

// Label sets as real exporters send them (test/fixtures/alertmanager)
const QUEUE = { alertname: 'QueueDepthHigh', cluster: 'e2e-local', instance: '127.0.0.1:18080', job: 'ci-failure-agent', namespace: 'ci', queue: 'ci-failure-events', service: 'ci-failure-agent', severity: 'warning' };
const CPU = { alertname: 'HighPodCPU', cluster: 'e2e-local', pod_name: 'ci-failure-agent-6f7c9d8b5-2xk4p', service: 'ci-failure-agent', severity: 'warning' };
const MEM = { alertname: 'HighMemoryUsage', cluster: 'e2e-local', container_name: 'ci-failure-agent', instance: '127.0.0.1:18080', job: 'cadvisor', namespace: 'ci', pod_name: 'ci-failure-agent-6f7c9d8b5-2xk4p', service: 'ci-failure-agent', severity: 'warning' };

describe('silenceMatchers: exact matchers without the labels that change while the fix settles', () => {
  test.each<[string, Record<string, string>, string[]]>([
    ['queue alert: the scrape instance goes', QUEUE, ['alertname', 'cluster', 'job', 'namespace', 'queue', 'service', 'severity']],
    // a scale-out brings new pods that fire the same alert: the pod name goes, the service stays
    ['pod alert: the pod goes', CPU, ['alertname', 'cluster', 'service', 'severity']],
    ['cAdvisor alert: pod and instance go, the container stays', MEM, ['alertname', 'cluster', 'container_name', 'job', 'namespace', 'service', 'severity']],
    ['an empty label is absent, not matched', { alertname: 'X', team: '' }, ['alertname']],
  ])('%s', (_name, labels, names) => {
    const m = silenceMatchers(labels);
    expect(m.map((x) => x.name)).toEqual(names);
    for (const x of m) expect(x).toEqual({ name: x.name, value: labels[x.name], isRegex: false, isEqual: true });
  });
});

function rule(over: Record<string, unknown> = {}) {
  return ruleSchema.parse({
    name: 'scale-api',
    matchers: ['alertname="X"'],
    target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: 'api' },
    action: { type: 'scale', maxReplicas: 5 },
    ...over,
  });
}

describe('the validation window', () => {
  test.each<[string, ReturnType<typeof rule> | null, number]>([
    ['no rule: the default rollout wait', null, 300_000],
    ['no validate block', rule(), 300_000],
    ['rollout only', rule({ validate: { rolloutTimeout: '2m' } }), 120_000],
    // 3 × (4+1) + 4 + 1 = 20 attempts × 30 s = 10 m, after a 1 m rollout
    ['slowest check at its most attempts', rule({ validate: { rolloutTimeout: '1m', checks: [{ name: 'a', query: 'up', below: 1 }, { name: 'b', query: 'up', below: 1, interval: '10s', count: 1, consecutiveErrorLimit: 0 }] } }), 60_000 + 600_000],
  ])('%s', (_name, r, ms) => {
    expect(validationWindowMs(r)).toBe(ms);
  });

  test('the silence: from now for the window plus the margin, named for the run', () => {
    const now = new Date('2026-12-06T02:00:00Z');
    const s = planSilence({ remediationId: 'r-1', ruleName: 'scale-api', rule: rule({ validate: { rolloutTimeout: '2m' } }), labels: QUEUE, now });
    expect(s).toEqual({
      matchers: silenceMatchers(QUEUE),
      startsAt: '2026-12-06T02:00:00.000Z',
      endsAt: new Date(now.getTime() + 120_000 + SILENCE_MARGIN_MS).toISOString(),
      createdBy: 'autoremediator',
      comment: 'autoremediator: remediation r-1 (rule scale-api) is validating its action; expired when the run ends.',
    });
    // only volatile labels: nothing specific to silence
    expect(planSilence({ remediationId: 'r-1', ruleName: null, rule: null, labels: { pod: 'x' }, now })).toBeNull();
  });
});

describe('wantsSilence: the rule says, else the global setting', () => {
  test.each<[boolean | undefined, boolean, boolean]>([
    [undefined, false, false],
    [undefined, true, true],
    [true, false, true],
    [false, true, false],
  ])('rule %s, global %s → %s', (mine, global, expected) => {
    expect(wantsSilence(mine === undefined ? rule() : rule({ silenceDuringValidation: mine }), global)).toBe(expected);
  });
});

describe("sorting Alertmanager's answers", () => {
  test.each<[string, { status: number; body: string }, unknown]>([
    ['created', { status: 200, body: '{"silenceID":"5f8e2c1a-0000-4000-8000-000000000001"}' }, { ok: true, id: '5f8e2c1a-0000-4000-8000-000000000001' }],
    ['200 without an id', { status: 200, body: '{}' }, { ok: false, reason: 'bad_response', detail: 'HTTP 200 without a silenceID: {}' }],
    ['200 not JSON', { status: 200, body: '<html>' }, { ok: false, reason: 'bad_response', detail: 'HTTP 200 without a silenceID: <html>' }],
    // Alertmanager's validation error, as 0.25 words it
    ['rejected matchers', { status: 400, body: '"silence invalid: at least one matcher must not match the empty string"\n' }, { ok: false, reason: 'rejected', detail: 'HTTP 400: "silence invalid: at least one matcher must not match the empty string"' }],
    ['server error', { status: 503, body: '' }, { ok: false, reason: 'server_error', detail: 'HTTP 503: no body' }],
  ])('create: %s', (_name, res, expected) => {
    expect(classifyCreate(res)).toEqual(expected);
  });

  test.each<[string, { status: number; body: string }, boolean]>([
    ['expired', { status: 200, body: '' }, true],
    ['already expired (by a person, or its end passed)', { status: 500, body: '"silence 5f8e already expired"' }, true],
    // what Alertmanager 0.25 answers for an id it does not know (measured): nothing left to expire
    ['unknown id (0.25)', { status: 500, body: '"silence not found"\n' }, true],
    ['unknown id (404)', { status: 404, body: '' }, true],
    ['server error', { status: 500, body: 'boom' }, false],
    ['refused', { status: 403, body: 'forbidden' }, false],
  ])('expire: %s', (_name, res, ok) => {
    expect(classifyExpire(res, 'id-1').ok).toBe(ok);
  });

  test('no answer', () => {
    expect(classifyTransportError('ECONNREFUSED')).toEqual({ ok: false, reason: 'network', detail: 'ECONNREFUSED' });
    expect(classifyTransportError('ECONNABORTED')).toEqual({ ok: false, reason: 'timeout', detail: 'ECONNABORTED' });
  });
});
