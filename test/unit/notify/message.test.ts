/** The pure message builders: what a person on call reads in Slack. */
import type { SlackBlock } from '../../../src/notify/blocks.js';
import { LIMITS } from '../../../src/notify/blocks.js';
import { buildMessage, buildReply, formatChange, headline, labelsThatMatter, remediationUrl, type AlertInfo } from '../../../src/notify/message.js';
import type { Phase } from '../../../src/domain/remediation.js';
import { actDecision, blockText, created, remediation, rule, skipDecision, story, TARGET_KEY } from './remediation-fixtures.js';

const ALERT: AlertInfo = {
  generatorURL: 'http://prometheus.example:9090/graph?g0.expr=sum(kafka_lag)+%3E+1000&g0.tab=1',
  labels: { alertname: 'QueueDepthHigh', severity: 'warning', namespace: 'ci', deployment: 'ci-failure-agent', prometheus: 'monitoring/k8s', topic: 'ci-jobs' },
  annotations: { summary: 'Kafka consumer lag is 1520 messages', value: '1520' },
};
const PUBLIC = 'https://autoremediator.example.com/';

const headerOf = (blocks: SlackBlock[]): string => {
  const h = blocks[0];
  if (h?.type !== 'header') throw new Error('first block is not a header');
  return h.text.text;
};

describe('headline', () => {
  test.each<[string, Phase, ReturnType<typeof remediation>, string, string]>([
    // an act in each phase says the phase and the action on the target
    ['planned', 'planned', remediation(), ':hourglass_flowing_sand:', `Planned: scale ${TARGET_KEY}`],
    ['validating', 'validating', remediation(), ':mag:', `Validating: scale ${TARGET_KEY}`],
    ['succeeded', 'succeeded', remediation(), ':white_check_mark:', `Succeeded: scale ${TARGET_KEY}`],
    ['rolled back', 'rolled_back', remediation(), ':leftwards_arrow_with_hook:', `Rolled back: scale ${TARGET_KEY}`],
    ['failed', 'failed', remediation(), ':rotating_light:', `Failed: scale ${TARGET_KEY}`],
    // a dry run is a would-be act
    ['dry run', 'skipped', remediation({ decision: skipDecision('dry-run') }), ':test_tube:', `Dry run: would scale ${TARGET_KEY}`],
    // the loud skips name what blocks the target
    ['breaker', 'skipped', remediation({ decision: skipDecision('breaker-open') }), ':no_entry:', `Skipped, breaker open: scale ${TARGET_KEY}`],
    ['namespace budget', 'skipped', remediation({ decision: skipDecision('budget-namespace') }), ':octagonal_sign:', `Skipped, namespace budget spent: scale ${TARGET_KEY}`],
    ['global budget', 'skipped', remediation({ decision: skipDecision('budget-global') }), ':octagonal_sign:', `Skipped, global budget spent: scale ${TARGET_KEY}`],
    // other skips give the reason code
    ['cooldown', 'skipped', remediation({ decision: skipDecision('cooldown') }), ':fast_forward:', `Skipped (cooldown): scale ${TARGET_KEY}`],
    // a no-match has neither rule nor target: the alert name stands in
    [
      'no match',
      'skipped',
      remediation({ decision: skipDecision('no-match', { rule: null, target: null, action: null, facts: { labels: { alertname: 'DiskFull' } } }), targetKey: null, target: null }),
      ':fast_forward:',
      'Skipped (no-match): alert DiskFull',
    ],
  ])('%s', (_name, phase, rem, emoji, text) => {
    expect(headline(rem, phase)).toEqual({ emoji, text });
  });
});

describe('buildMessage', () => {
  const events = story('succeeded');
  const last = events[events.length - 1]!;

  test('a succeeded run: header, fields, change, why, validation per check, links, context', () => {
    const m = buildMessage(last, { alert: ALERT, rule: rule(), publicUrl: PUBLIC });
    expect(headerOf(m.blocks)).toBe(`:white_check_mark: Succeeded: scale ${TARGET_KEY}`);
    const text = blockText(m);
    expect(text).toContain('*Phase*\nSucceeded');
    expect(text).toContain('*Rule*\n`queue-add-consumers`');
    expect(text).toContain(`*Target*\n\`${TARGET_KEY}\``);
    expect(text).toContain('*Alert*\n`QueueDepthHigh`');
    expect(text).toContain('*Change:* replicas 2 → 4');
    expect(text).toContain('*Why:* Scale ci/deployment/ci-failure-agent-consumer from 2 to 4 replicas: QueueDepthHigh is firing');
    expect(text).toContain('*Summary:* Kafka consumer lag is 1520 messages');
    expect(text).toContain('*Value:* 1520');
    expect(text).toContain('*Rule:* `queue-add-consumers` matches `alertname="QueueDepthHigh"`, `severity=~"warning|critical"`');
    expect(text).toContain('*Applied:* scaled to 4 replicas');
    expect(text).toContain('*Validation: passed* validation passed');
    expect(text).toContain('• `queue_depth`: baseline 1520 → after 310.1 (Successful)');
    expect(text).toContain('• rollout: done deployment "ci-failure-agent-consumer" successfully rolled out');
    expect(text).toContain('*Latest:* `validating → succeeded`');
    expect(text).toContain('<http://prometheus.example:9090/graph?g0.expr=sum(kafka_lag)+%3E+1000&g0.tab=1|Alert source>');
    expect(text).toContain('<https://autoremediator.example.com/api/v1/remediations/rem-1|Remediation record>');
    expect(text).toContain('remediation `rem-1` · created 2026-11-28T12:00:00.000Z');
    expect(m.text).toBe(':white_check_mark: Succeeded: scale ci/deployment/ci-failure-agent-consumer: Scale ci/deployment/ci-failure-agent-consumer from 2 to 4 replicas: QueueDepthHigh is firing (Pods policy allows +2 per 120s).');
  });

  test('the labels shown are those the rule uses and the usual ones, not every label', () => {
    const text = blockText(buildMessage(last, { alert: ALERT, rule: rule() }));
    expect(text).toContain('*Alert:* `QueueDepthHigh` `severity=warning` `namespace=ci` `deployment=ci-failure-agent`');
    expect(text).not.toContain('prometheus=');
    expect(text).not.toContain('topic=');
  });

  test('without alert or public URL there are no links; without the alert the decision’s labels stand in', () => {
    const rem = remediation({ decision: actDecision({ facts: { labels: { alertname: 'QueueDepthHigh', severity: 'critical' } } }) });
    const text = blockText(buildMessage(created(rem)));
    expect(text).not.toContain('*Links:*');
    expect(text).toContain('*Alert:* `QueueDepthHigh` `severity=critical`');
    expect(text).not.toContain('*Latest:*');
  });

  test('a generatorURL that is not http(s) is not linked', () => {
    const text = blockText(buildMessage(last, { alert: { ...ALERT, generatorURL: 'javascript:alert(1)' } }));
    expect(text).not.toContain('javascript:');
  });

  test('alert data cannot ping the channel or forge links', () => {
    const alert: AlertInfo = { labels: { alertname: 'X`<!here>', severity: '<!channel>' }, annotations: { summary: '<!channel> & <https://evil.example|click>' } };
    const m = buildMessage(last, { alert });
    const text = `${m.text}\n${blockText(m)}`;
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<!here>');
    expect(text).not.toContain('<https://evil.example');
    expect(text).toContain('*Summary:* &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;');
    expect(text).toContain("`X'&lt;!here&gt;`");
  });

  test('a rolled-back run shows the failed validation and the rollback', () => {
    const events = story('rolled_back');
    const text = blockText(buildMessage(events[events.length - 1]!, {}));
    expect(text).toContain('*Validation: failed* validation failed');
    expect(text).toContain('• `queue_depth`: baseline 1520 → after 1900 (Failed)');
    expect(text).toContain('*Rollback:* restored the state before the action. restored 2 replicas');
  });

  test('a failed apply says why and that a person is needed', () => {
    const events = story('apply_failed');
    const m = buildMessage(events[events.length - 1]!, {});
    expect(headerOf(m.blocks)).toBe(`:rotating_light: Failed: scale ${TARGET_KEY}`);
    const text = blockText(m);
    expect(text).toContain('*Apply failed* (conflict): resourceVersion changed');
    expect(text).toContain('*Needs a person:*');
  });

  test('while applying, the baseline measured before the action is shown', () => {
    const text = blockText(buildMessage(story('succeeded')[1]!, {}));
    expect(text).toContain('*Baseline (measured before the action):* `queue_depth` 1520');
    expect(text).not.toContain('*Validation');
  });

  test('a dry run says what would have changed, and that nothing was applied', () => {
    const rem = remediation({ decision: skipDecision('dry-run', { before: { replicas: 2 }, after: { replicas: 4 } }), dryRun: true });
    const text = blockText(buildMessage(created(rem)));
    expect(text).toContain('*Would change (not applied):* replicas 2 → 4');
    expect(text).toContain('*Dry run*\nyes: nothing was applied');
  });

  test('a parent started after its thread was lost says so', () => {
    expect(blockText(buildMessage(last, { continued: true }))).toContain('Earlier steps were announced in another message');
    expect(blockText(buildMessage(last, {}))).not.toContain('Earlier steps');
  });

  test('texts stay within Slack’s limits however long the input', () => {
    const long = 'x'.repeat(10_000);
    const rem = remediation({ decision: actDecision({ explanation: long, rule: 'r'.repeat(300) }), targetKey: `ns/deployment/${'n'.repeat(300)}` });
    const m = buildMessage({ remediation: rem, from: 'planned', to: 'applying', note: long }, { alert: { labels: { alertname: long }, annotations: { summary: long } } });
    expect(m.text.length).toBeLessThanOrEqual(LIMITS.text);
    expect(headerOf(m.blocks).length).toBeLessThanOrEqual(LIMITS.header);
    for (const b of m.blocks) {
      if (b.type === 'section' && 'text' in b) expect(b.text.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
      if (b.type === 'section') for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(LIMITS.field);
    }
  });
});

describe('buildReply', () => {
  test.each<[string, number, string[]]>([
    // planned → applying: just the step and its note
    ['applying', 1, ['`planned → applying`\nScale from 2 to 4 replicas']],
    // applying → validating: what was applied and the baseline
    ['validating', 2, ['`applying → validating`', '*Applied:* scaled to 4 replicas', '*Baseline (measured before the action):* `queue_depth` 1520']],
    // validating → succeeded: the validation values
    ['succeeded', 3, ['`validating → succeeded`', '• `queue_depth`: baseline 1520 → after 310.1 (Successful)']],
  ])('succeeded story, step %s', (_name, index, expected) => {
    const text = blockText(buildReply(story('succeeded')[index]!));
    for (const e of expected) expect(text).toContain(e);
  });

  test('rolled_back reply carries the rollback; the failed one the apply error and a call for a person', () => {
    const rolled = story('rolled_back');
    expect(blockText(buildReply(rolled[4]!))).toContain('*Rollback:* restored the state before the action.');
    expect(blockText(buildReply(rolled[3]!))).toContain('*Validation: failed*');
    const failed = story('apply_failed');
    const text = blockText(buildReply(failed[2]!));
    expect(text).toContain('*Apply failed* (conflict)');
    expect(text).toContain('*Needs a person:*');
  });

  test('the fallback text is the step and its note; a public URL adds the record link', () => {
    const r = buildReply(story('succeeded')[1]!, { publicUrl: PUBLIC });
    expect(r.text).toBe(':gear: planned → applying: Scale from 2 to 4 replicas');
    expect(blockText(r)).toContain('/api/v1/remediations/rem-1|Remediation record>');
    expect(blockText(buildReply(story('succeeded')[1]!))).not.toContain('Remediation record');
  });
});

describe('labelsThatMatter', () => {
  const labels = { alertname: 'A', severity: 'warning', namespace: 'ci', pod: 'p-1', team: 'db', zone: 'eu-1', deployment: 'api' };
  test.each<[string, Parameters<typeof labelsThatMatter>[1], string[]]>([
    // matcher labels first, then target-template labels, then the usual ones; alertname never
    ['with a rule', { name: 'r', matchers: ['alertname="A"', 'team="db"'], target: { apiVersion: 'v1', kind: 'Deployment', namespace: '{{ $labels.namespace }}', name: '{{$labels.zone}}-x' } }, ['team', 'namespace', 'zone', 'severity', 'deployment', 'pod']],
    // without a rule only the usual labels
    ['without a rule', undefined, ['severity', 'namespace', 'deployment', 'pod']],
  ])('%s', (_name, r, names) => {
    expect(labelsThatMatter(labels, r).map(([k]) => k)).toEqual(names);
  });

  test('with no usual label present, every label but alertname, sorted, at most 10', () => {
    const many = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`l${String(i).padStart(2, '0')}`, 'v']));
    const got = labelsThatMatter({ alertname: 'A', ...many }).map(([k]) => k);
    expect(got).toHaveLength(10);
    expect(got[0]).toBe('l00');
    expect(got).not.toContain('alertname');
  });
});

describe('formatChange', () => {
  test.each<[string, Parameters<typeof formatChange>[0], Parameters<typeof formatChange>[1], string[]]>([
    // only changed fields
    ['one changed', { replicas: 2, min: 1 }, { replicas: 4, min: 1 }, ['replicas 2 → 4']],
    // nothing changes: show them all rather than nothing
    ['none changed', { replicas: 4 }, { replicas: 4 }, ['replicas 4 → 4']],
    // quantities and a field that appears
    ['quantities', { memory: '512Mi' }, { memory: '1Gi', cpu: null }, ['memory 512Mi → 1Gi']],
    ['new field', {}, { maxmemory: '2gb' }, ['maxmemory n/a → 2gb']],
    // neither known
    ['nothing', undefined, undefined, []],
  ])('%s', (_name, before, after, lines) => {
    expect(formatChange(before, after)).toEqual(lines);
  });
});

test('remediationUrl joins without a double slash and encodes the id', () => {
  expect(remediationUrl('https://a.example/', 'rem 1/x')).toBe('https://a.example/api/v1/remediations/rem%201%2Fx');
  expect(remediationUrl('https://a.example', 'r')).toBe('https://a.example/api/v1/remediations/r');
});

describe('approval in the message', () => {
  const approval = { sources: ['rule scale-consumers'], requestedAt: '2026-11-28T10:21:00.000Z', deadline: '2026-11-28T10:51:00.000Z', timeoutMs: 1_800_000, explanation: 'Waiting for approval …' };

  test('while the run waits: who asked, until when, and the Approve / Deny buttons carrying its id', () => {
    const rem = remediation({ phase: 'awaiting_approval', result: { approval } });
    const m = buildMessage({ remediation: rem, from: 'planned', to: 'awaiting_approval', note: approval.explanation });
    expect(headerOf(m.blocks)).toContain('Awaiting approval');
    expect(blockText(m)).toContain('*Needs approval* (required by rule scale-consumers) until 2026-11-28T10:51:00.000Z');
    const actions = m.blocks.filter((b) => b.type === 'actions');
    expect(actions).toEqual([
      {
        type: 'actions',
        block_id: 'approval:rem-1',
        elements: [
          { type: 'button', text: { type: 'plain_text', text: 'Approve', emoji: true }, action_id: 'autoremediator_approve', value: 'rem-1', style: 'primary' },
          { type: 'button', text: { type: 'plain_text', text: 'Deny', emoji: true }, action_id: 'autoremediator_deny', value: 'rem-1', style: 'danger' },
        ],
      },
    ]);
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['approved', { outcome: 'approved', by: 'alice', at: '2026-11-28T10:25:00.000Z', reason: 'queue is real' }, ':white_check_mark: *Approved* by alice at 2026-11-28T10:25:00.000Z ("queue is real")'],
    ['denied, the actor escaped', { outcome: 'denied', by: '<!channel> mallory', at: '2026-11-28T10:25:00.000Z' }, ':no_entry_sign: *Denied* by &lt;!channel&gt; mallory at 2026-11-28T10:25:00.000Z'],
    ['expired', { outcome: 'expired', at: '2026-11-28T10:51:00.000Z' }, ':alarm_clock: *Approval expired* at 2026-11-28T10:51:00.000Z'],
  ])('once answered (%s): who, when, why; no buttons', (_name, answer, text) => {
    const rem = remediation({ phase: 'skipped', result: { approval: { ...approval, ...answer } } });
    const m = buildMessage({ remediation: rem, from: 'awaiting_approval', to: 'skipped', note: 'x' });
    expect(blockText(m)).toContain(text);
    expect(m.blocks.some((b) => b.type === 'actions')).toBe(false);
  });
});
