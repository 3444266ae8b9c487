/** The status page's pure model, on rows the API returned during a real demo run (test/fixtures/status/). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StoredAlert } from '../../../src/domain/alert.js';
import type { Remediation } from '../../../src/domain/remediation.js';
import type { Pause } from '../../../src/control/pause.js';
import { alertSpans, checkSeries, decisionRow, pausesFor, phaseSpans, ruleMatches, searchDecisions } from '../../../src/http/status/model.js';
import { readingFromObject } from '../../../src/http/status/sampler.js';
import { REPO_ROOT } from '../../helpers/fixtures.js';

const dir = join(REPO_ROOT, 'test', 'fixtures', 'status');
const load = <T>(f: string): T => JSON.parse(readFileSync(join(dir, f), 'utf8')) as T;
const rems = load<Remediation[]>('remediations-demo.json');
const alerts = load<StoredAlert[]>('alerts-demo.json');
const run = load<Remediation>('remediation-hpa-succeeded.json');
const byId = new Map(alerts.map((a) => [a.id, a]));
const rows = rems.map((r) => decisionRow(r, byId));

describe('searchDecisions', () => {
  test.each([
    ['no filter', {}, 9, { act: 3, resolved: 3, cooldown: 2, 'restore-waiting': 1 }],
    ['reason narrows the rows, not the counts', { reason: 'cooldown' }, 2, { act: 3, resolved: 3, cooldown: 2, 'restore-waiting': 1 }],
    ['alertname, case-insensitive substring (restore steps carry the alert behind the raise)', { alertname: 'highpod' }, 9, { act: 3, resolved: 3, cooldown: 2, 'restore-waiting': 1 }],
    ['origin is not a filter, but the restore steps say restore', { q: 'toward 3..20' }, 2, { act: 2 }],
    ['an alert that never came', { alertname: 'QueueDepthHigh' }, 0, {}],
    ['rule', { rule: 'cpu-raise' }, 9, { act: 3, resolved: 3, cooldown: 2, 'restore-waiting': 1 }],
    ['target', { target: 'ci/deployment/ci-failure-agent' }, 9, { act: 3, resolved: 3, cooldown: 2, 'restore-waiting': 1 }],
    ['text of the explanation', { q: 'cooldown of 5s' }, 2, { cooldown: 2 }],
    ['a time window after everything', { since: Date.parse('2030-01-01T00:00:00Z') }, 0, {}],
  ] as const)('%s', (_name, filter, n, counts) => {
    const found = searchDecisions(rows, filter);
    expect(found.rows).toHaveLength(n);
    expect(Object.fromEntries(found.counts.map((c) => [c.reason, c.count]))).toEqual(counts);
  });

  test('counts come most frequent first', () => {
    const { counts } = searchDecisions(rows, {});
    expect(counts.map((c) => c.count)).toEqual([...counts.map((c) => c.count)].sort((a, b) => b - a));
  });
});

describe('alertSpans', () => {
  test('one span per alert, firing → resolved, with its generatorURL', () => {
    const spans = alertSpans(alerts);
    expect(spans).toHaveLength(3);
    for (const s of spans) {
      expect(s.alertname).toBe('HighPodCPU');
      expect(s.subject).toMatch(/^ci-failure-agent-/);
      expect(s.end).not.toBeNull();
      expect(s.end!).toBeGreaterThan(s.start);
      expect(s.generatorURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graph\?g0\.expr=/);
    }
  });

  test('an alert with only its firing delivery is still open', () => {
    const spans = alertSpans(alerts.filter((a) => a.status === 'firing'));
    expect(spans.map((s) => s.end)).toEqual([null, null, null]);
  });
});

describe('checkSeries', () => {
  const rule = {
    validate: {
      checks: [
        { name: 'p99-within-sla', query: 'q1', below: 0.5 },
        { name: 'error-rate', query: 'q2', below: 0.001 },
        { name: 'no-memory-spike', query: 'q3', belowBaseline: 1.2 },
      ],
    },
  } as unknown as Parameters<typeof checkSeries>[1];

  test('each check: its measurements, baseline, measured value and threshold (a baseline factor in absolute terms)', () => {
    const s = checkSeries(run, rule);
    expect(s.map((c) => c.name).sort()).toEqual(['error-rate', 'no-memory-spike', 'p99-within-sla']);
    const p99 = s.find((c) => c.name === 'p99-within-sla')!;
    expect(p99.threshold).toEqual({ kind: 'below', value: 0.5, text: 'below 0.5' });
    expect(p99.points).toHaveLength(5);
    expect(p99.baseline).toBeGreaterThan(p99.after!);
    const mem = s.find((c) => c.name === 'no-memory-spike')!;
    expect(mem.threshold!.value).toBeCloseTo(1.2 * mem.baseline!);
    expect(mem.threshold!.text).toBe('below 1.2 × baseline');
  });

  test('without the rule (renamed or removed since): values, no threshold', () => {
    expect(checkSeries(run, null).every((c) => c.threshold === null && c.points.length === 5)).toBe(true);
  });

  test('a skip has no checks', () => {
    expect(checkSeries(rems.find((r) => r.phase === 'skipped')!, rule)).toEqual([]);
  });
});

test('phaseSpans: each phase from its transition to the next', () => {
  const p = phaseSpans(run);
  expect(p.map((x) => x.phase)).toEqual(['planned', 'applying', 'validating', 'succeeded']);
  expect(p[2]!.end).toBe(Date.parse(String(run.transitions[3]!.at)));
  expect(p[3]!.end).toBeNull();
});

test('ruleMatches: the alerts each rule matched, how often, how often it acted', () => {
  const m = ruleMatches(rows).get('cpu-raise-hpa-floor')!;
  const total = m.reduce((a, x) => a + x.count, 0);
  expect(total).toBe(9);
  expect(m).toEqual([expect.objectContaining({ alertname: 'HighPodCPU', count: 9, acted: 3 })]);
  expect(ruleMatches(rows.map((r) => ({ ...r, alertname: null }))).get('cpu-raise-hpa-floor')![0]!.alertname).toBe('(no alert: restore or replay)');
});

describe('pausesFor', () => {
  const p = (subject: Pause['subject']): Pause => ({ subject, actor: 'a', reason: 'r', at: new Date(), expiresAt: null, id: 'x', scopeKey: 'k', endedAt: null, endedBy: null });
  const target = { key: 'ci/deployment/api', namespace: 'ci' };
  test.each([
    ['global', p({ scope: 'global' }), true],
    ['its namespace', p({ scope: 'namespace', namespace: 'ci' }), true],
    ['another namespace', p({ scope: 'namespace', namespace: 'prod' }), false],
    ['the target (kind in any case)', p({ scope: 'target', namespace: 'ci', kind: 'Deployment', name: 'api' }), true],
    ['another target', p({ scope: 'target', namespace: 'ci', kind: 'Deployment', name: 'db' }), false],
    ['a rule that decided on it', p({ scope: 'rule', rule: 'r1' }), true],
    ['another rule', p({ scope: 'rule', rule: 'r9' }), false],
  ])('%s', (_n, pause, holds) => {
    expect(pausesFor(target, ['r1'], [pause])).toHaveLength(holds ? 1 : 0);
  });
});

describe('readingFromObject', () => {
  test.each([
    ['a Deployment', { spec: { replicas: 5, template: { spec: { containers: [{ name: 'api', resources: { requests: { cpu: '250m' }, limits: { memory: '1Gi' } } }] } } }, status: { readyReplicas: 4 } }, { desired: 5, ready: 4, containers: [{ name: 'api', requests: { cpu: '250m' }, limits: { memory: '1Gi' } }] }],
    ['a Deployment with no ready pod yet', { spec: { replicas: 3 }, status: {} }, { desired: 3, ready: 0, containers: [] }],
    ['a CloudNativePG Cluster', { spec: { instances: 3 }, status: { readyInstances: 2 } }, { desired: 3, ready: 2, containers: [] }],
    ['something without replicas', { spec: {} }, { desired: null, ready: null, containers: [] }],
  ])('%s', (_n, obj, expected) => {
    expect(readingFromObject(obj)).toEqual(expected);
  });
});
