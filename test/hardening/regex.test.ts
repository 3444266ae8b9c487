/**
 * Label values come from outside; rule regexes come from people. The classic
 * catastrophic-backtracking patterns, matched against adversarial label values of
 * 100 000 characters, must finish with the right answer (RE2: linear time). No
 * timing thresholds: finishing inside the test timeout and being right is the claim.
 */
import { rmSync } from 'node:fs';
import request from 'supertest';
import { parseMatcher } from '../../src/rule-table/matchers.js';
import { loadRuleTable, matchAlert } from '../../src/rule-table/index.js';
import { referenceCluster } from '../helpers/fake-cluster.js';
import { ADMIN, HOOK, buildApp, notification, passingValidator, quiesce, rulesDir, type HardenedApp } from './helpers.js';

const N = 100_000;
const a = (n = N): string => 'a'.repeat(n);

describe('catastrophic patterns in matchers, 100 000-character label values', () => {
  test.each<[string, string, boolean, () => string]>([
    // (a+)+$ is a+ in disguise; a backtracking engine explodes on a run of a's with a bad last character
    ['(a+)+$', 'a×100k', true, () => a()],
    ['(a+)+$', 'a×100k + !', false, () => a() + '!'],
    ['(a+)+$', '! + a×100k', false, () => '!' + a()],
    // (a|aa)+$: the same language, exponentially many ways to split the run
    ['(a|aa)+$', 'a×100k', true, () => a()],
    ['(a|aa)+$', 'a×100k + b', false, () => a() + 'b'],
    // (.*a){20}: at least 20 a's, ending in a, no newline (`.` stops at \n in RE2)
    ['(.*a){20}', 'a×100k', true, () => a()],
    ['(.*a){20}', 'a×100k + b', false, () => a() + 'b'],
    ['(.*a){20}', 'b×100k', false, () => 'b'.repeat(N)],
    ['(.*a){20}', 'ab×50k + a', true, () => 'ab'.repeat(N / 2) + 'a'],
    ['(.*a){20}', 'a×50k + newline + a×50k', false, () => a(N / 2) + '\n' + a(N / 2)],
    // the email-style pattern: lower-case blocks each closed by any character, then Upper + lower+
    ['^(([a-z])+.)+[A-Z]([a-z])+$', 'a×100k', false, () => a()],
    ['^(([a-z])+.)+[A-Z]([a-z])+$', 'a×100k + !', false, () => a() + '!'],
    ['^(([a-z])+.)+[A-Z]([a-z])+$', 'a×100k + Xy', true, () => a() + 'Xy'],
    ['^(([a-z])+.)+[A-Z]([a-z])+$', 'a×50k + ! + a×50k + Xy', true, () => a(N / 2) + '!' + a(N / 2) + 'Xy'],
    ['^(([a-z])+.)+[A-Z]([a-z])+$', '! + a×100k + Xy', false, () => '!' + a() + 'Xy'],
    ['^(([a-z])+.)+[A-Z]([a-z])+$', 'a×100k + !!Xy', false, () => a() + '!!Xy'],
  ])('%s against %s → %s', (pattern, _shape, expected, make) => {
    const value = make();
    const eq = parseMatcher(`x=~"${pattern}"`);
    const ne = parseMatcher(`x!~"${pattern}"`);
    if (!eq.ok || !ne.ok) throw new Error('the pattern must parse');
    expect(eq.matcher.matches(value)).toBe(expected);
    expect(ne.matcher.matches(value)).toBe(!expected);
  });

  test('through a loaded rule table: the adversarial alert matches only the rule it should', async () => {
    const dir = rulesDir(`rules:
  - name: nested-plus
    matchers: ['alertname="Adversarial"', 'payload=~"(a+)+$"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: ci, name: ci-failure-agent-consumer }
    action: { type: scale, minReplicas: 2, maxReplicas: 12 }
  - name: email
    matchers: ['alertname="Adversarial"', 'payload=~"^(([a-z])+.)+[A-Z]([a-z])+$"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: ci, name: ci-failure-agent-consumer }
    action: { type: scale, minReplicas: 2, maxReplicas: 12 }
`);
    try {
      const loaded = await loadRuleTable(dir);
      if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
      expect(matchAlert(loaded.table, { alertname: 'Adversarial', payload: a() + '!' }).map((r) => r.name)).toEqual([]);
      expect(matchAlert(loaded.table, { alertname: 'Adversarial', payload: a() }).map((r) => r.name)).toEqual(['nested-plus']);
      expect(matchAlert(loaded.table, { alertname: 'Adversarial', payload: a() + 'Xy' }).map((r) => r.name)).toEqual(['email']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('through HTTP: rules with catastrophic matchers, alerts with adversarial labels', () => {
  let t: HardenedApp;
  let dir: string;
  beforeAll(async () => {
    dir = rulesDir(`rules:
  - name: nested-plus
    matchers: ['alertname="Adversarial"', 'payload=~"(a+)+$"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: ci, name: ci-failure-agent-consumer }
    action: { type: scale, minReplicas: 2, maxReplicas: 12 }
    cooldown: 10m
  - name: alternation
    matchers: ['alertname="Adversarial"', 'payload=~"(a|aa)+$"', 'other=~"(.*a){20}"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: ci, name: ci-failure-agent-consumer }
    action: { type: scale, minReplicas: 2, maxReplicas: 12 }
  - name: email
    matchers: ['alertname="Adversarial"', 'payload=~"^(([a-z])+.)+[A-Z]([a-z])+$"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: ci, name: ci-failure-agent-consumer }
    action: { type: scale, minReplicas: 2, maxReplicas: 12 }
`);
    t = await buildApp({ cluster: referenceCluster(), validator: passingValidator, env: { RULES_DIR: dir } });
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('202, and each decision recorded with the rule the label selects (or no-match)', async () => {
    const body = notification([
      { labels: { alertname: 'Adversarial', payload: a() + '!', other: a() } },
      { labels: { alertname: 'Adversarial', payload: a() } },
      { labels: { alertname: 'Adversarial', payload: a() + 'Xy' } },
    ]);
    const res = await request(t.app.http).post('/api/v1/alerts').set(HOOK).send(body);
    expect(res.status).toBe(202);
    await quiesce(t.app, 20_000);
    const ids = (res.body as { alerts: Array<{ id: string }> }).alerts.map((x) => x.id);
    const decided = [];
    for (const id of ids) {
      const one = await request(t.app.http).get(`/api/v1/alerts/${id}`).set(ADMIN).expect(200);
      const body = one.body as { alert: { decidedAt: string | null }; remediations: Array<{ rule: string | null; decision: { outcome: string; reason?: string } }> };
      expect(body.alert.decidedAt).not.toBeNull();
      decided.push(body.remediations.map((r) => `${r.rule ?? '(none)'}:${r.decision.outcome}:${r.decision.reason ?? ''}`));
    }
    expect(decided).toEqual([
      // no rule: payload ends in "!", so neither (a+)+ nor the email pattern matches
      ['(none):skip:no-match'],
      // (a+)+$ matches and wins (no continue); act or skip depends on which of the two got the target first
      [expect.stringMatching(/^nested-plus:(act|skip):/)],
      // only the email pattern matches a…aXy
      [expect.stringMatching(/^email:(act|skip):/)],
    ]);
  });
});
