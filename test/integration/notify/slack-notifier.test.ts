/**
 * SlackNotifier against a local stand-in for Slack: threads in bot mode, one
 * message per transition in webhook mode, retries and Retry-After, ok:false,
 * queue overflow, outages that never reach the caller, routing, redaction.
 */
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import type { Counter } from 'prom-client';
import type { Rule } from '../../../src/rule-table/rule.js';
import { createLogger, silentLogger, type Logger } from '../../../src/platform/logger.js';
import type { RemediationEvent } from '../../../src/domain/remediation.js';
import { slackConfigFromEnv, type SlackDeliverySettings } from '../../../src/notify/config.js';
import type { AlertInfo } from '../../../src/notify/message.js';
import { createNotifyMetrics, type NotifyMetrics } from '../../../src/notify/metrics.js';
import { SlackNotifier, type SlackNotifierDeps } from '../../../src/notify/slack-notifier.js';
import { blockText, created, remediation, rule, skipDecision, story } from '../../unit/notify/remediation-fixtures.js';
import { SlackStandIn, type Recorded } from './slack-stand-in.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/store/open-store.js';
import type { Store } from '../../../src/store/store.js';
import { actDecision, at, deployment, remediationOf } from '../../contract/store-builders.js';

const TOKEN = 'xoxb-test-SeCrEtToKeN-4242';
const HOOK_PATH = '/services/T0000/B0000/SeCrEtWeBhOoKpAtH';
const ALERT: AlertInfo = {
  generatorURL: 'http://prometheus.example:9090/graph?g0.expr=sum(kafka_lag)',
  labels: { alertname: 'QueueDepthHigh', severity: 'warning', namespace: 'ci' },
  annotations: { summary: 'Kafka consumer lag is 1520 messages' },
};

let slack: SlackStandIn;
let notifiers: SlackNotifier[];

beforeEach(async () => {
  slack = await SlackStandIn.start();
  notifiers = [];
});
afterEach(async () => {
  await Promise.all(notifiers.map((n) => n.drain(0)));
  await slack.close();
});

interface Made {
  n: SlackNotifier;
  metrics: NotifyMetrics;
  sleeps: number[];
}

type Options = { delivery?: Partial<SlackDeliverySettings>; deps?: Partial<SlackNotifierDeps>; logger?: Logger };

/** Recording sleep: tests see the waits without waiting. */
function make(env: Record<string, string>, o: Options = {}): Made {
  const config = slackConfigFromEnv({ SLACK_ALLOW_HTTP: 'true', ...env });
  if (!config) throw new Error('no Slack config');
  const metrics = createNotifyMetrics(new Registry());
  const sleeps: number[] = [];
  const n = new SlackNotifier(
    { ...config, delivery: { ...config.delivery, ...o.delivery } },
    { logger: o.logger ?? silentLogger, metrics, sleep: (ms) => (sleeps.push(ms), Promise.resolve()), ...o.deps },
  );
  notifiers.push(n);
  return { n, metrics, sleeps };
}

const bot = (o: Options = {}, channel = '#ops') => make({ SLACK_BOT_TOKEN: TOKEN, SLACK_CHANNEL: channel, SLACK_API_URL: `${slack.url}/api` }, o);
const webhook = (o: Options = {}) => make({ SLACK_WEBHOOK_URL: `${slack.url}${HOOK_PATH}` }, o);

async function count(c: Counter<string>, label: string, value: string): Promise<number> {
  return (await c.get()).values.find((v) => v.labels[label] === value)?.value ?? 0;
}

const WORD: Record<string, string> = { applying: 'Applying', validating: 'Validating', succeeded: 'Succeeded', rolling_back: 'Rolling back', rolled_back: 'Rolled back' };
const header = (r: Recorded): string => r.body.blocks?.[0]?.text?.text ?? '';
const text = (r: Recorded): string => r.body.text ?? '';
const isParent = (r: Recorded) => r.path.endsWith('/chat.postMessage') && r.body.thread_ts === undefined;
const isReply = (r: Recorded) => r.path.endsWith('/chat.postMessage') && r.body.thread_ts !== undefined;

/** Wait until the notifier has sent everything, without closing it (drain would). */
async function settle(n: SlackNotifier, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (n.pending > 0) {
    if (Date.now() > deadline) throw new Error(`still ${n.pending} pending after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function feed(n: SlackNotifier, events: RemediationEvent[]): void {
  for (const e of events) n.onTransition(e);
}

describe('bot mode: one thread per remediation', () => {
  test('the parent is posted once, updated at every transition, and each transition is a reply in order', async () => {
    const { n, metrics } = bot({ deps: { alertLookup: () => Promise.resolve(ALERT), publicUrl: 'https://ar.example.com', ruleLookup: () => rule() } });
    const a = story('succeeded', { id: 'rem-a' });
    const b = story('rolled_back', { id: 'rem-b' });
    // interleaved, as two runs on two targets would be
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (a[i]) n.onTransition(a[i]!);
      if (b[i]) n.onTransition(b[i]!);
    }
    expect(await n.drain(5000)).toBe(true);

    for (const r of slack.requests) {
      expect(r.authorization).toBe(`Bearer ${TOKEN}`);
      expect(r.contentType).toBe('application/json; charset=utf-8');
    }
    const parents = slack.requests.filter(isParent);
    expect(parents).toHaveLength(2);
    expect(parents.map((p) => p.body.channel)).toEqual(['#ops', '#ops']);
    const threadOf = (id: string) => parents.find((p) => blockText(p.body).includes(`remediation \`${id}\``))!.posted!;

    for (const [id, events, lastHeader] of [
      ['rem-a', a, ':white_check_mark: Succeeded'],
      ['rem-b', b, ':leftwards_arrow_with_hook: Rolled back'],
    ] as const) {
      const t = threadOf(id);
      const updates = slack.to('/chat.update').filter((r) => r.body.ts === t.ts);
      const replies = slack.requests.filter((r) => isReply(r) && r.body.thread_ts === t.ts);
      expect(updates).toHaveLength(events.length - 1);
      expect(replies).toHaveLength(events.length - 1);
      // chat.update needs the channel id Slack answered with, not the name
      for (const r of [...updates, ...replies]) expect(r.body.channel).toBe(t.channel);
      expect(updates.map(header)).toEqual(events.slice(1).map((e): unknown => expect.stringContaining(`${WORD[e.to]}: scale`)));
      expect(header(updates[updates.length - 1]!)).toMatch(new RegExp(`^${lastHeader}`));
      expect(replies.map(text)).toEqual(events.slice(1).map((e): unknown => expect.stringContaining(`${e.from} → ${e.to}: ${e.note}`)));
      // within one remediation: parent, then update + reply per transition
      const mine = slack.requests.filter((r) => r === parents.find((p) => p.posted?.ts === t.ts) || updates.includes(r) || replies.includes(r));
      expect(mine.map((r) => (isParent(r) ? 'parent' : isReply(r) ? 'reply' : 'update'))).toEqual(['parent', ...events.slice(1).flatMap(() => ['update', 'reply'])]);
    }
    // the parent carries the story a person acts on
    const parentA = blockText(parents.find((p) => blockText(p.body).includes('rem-a'))!.body);
    expect(parentA).toContain('*Change:* replicas 2 → 4');
    expect(parentA).toContain('<http://prometheus.example:9090/graph?g0.expr=sum(kafka_lag)|Alert source>');
    expect(parentA).toContain('<https://ar.example.com/api/v1/remediations/rem-a|Remediation record>');
    // a rollback reply is also shown in the channel
    const broadcast = slack.requests.filter((r) => r.body.reply_broadcast === true);
    expect(broadcast.map(text)).toEqual([expect.stringContaining('rolling_back → rolled_back')]);
    expect(await count(metrics.sent, 'result', 'ok')).toBe(slack.requests.length);
  });

  test('a rule’s channel override picks the thread’s channel', async () => {
    const { n } = bot({ deps: { ruleLookup: () => rule({ notify: { verbosity: 'quiet', channel: '#db-oncall' } }) } });
    feed(n, story('succeeded').slice(0, 2));
    expect(await n.drain(5000)).toBe(true);
    const parent = slack.requests.find(isParent)!;
    expect(parent.body.channel).toBe('#db-oncall');
    expect(slack.to('/chat.update')[0]!.body.channel).toBe(parent.posted!.channel);
  });

  test('without a store, after a restart the thread is unknown: a new parent says so, and the transition is replied in it', async () => {
    const events = story('succeeded');
    const first = bot();
    feed(first.n, events.slice(0, 2));
    expect(await first.n.drain(5000)).toBe(true);
    const restarted = bot();
    restarted.n.onTransition(events[2]!);
    expect(await restarted.n.drain(5000)).toBe(true);
    const parents = slack.requests.filter(isParent);
    expect(parents).toHaveLength(2);
    expect(blockText(parents[1]!.body)).toContain('Earlier steps were announced in another message');
    const last = slack.requests[slack.requests.length - 1]!;
    expect(isReply(last)).toBe(true);
    expect(last.body.thread_ts).toBe(parents[1]!.posted!.ts);
  });

  describe('threads kept in the store (SQLite file, as the service opens it)', () => {
    let dir: string;
    let stores: Store[];
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'slack-threads-'));
      stores = [];
    });
    afterEach(async () => {
      await Promise.all(stores.map((s) => s.close()));
      rmSync(dir, { recursive: true, force: true });
    });
    /** A process's store and a notifier wired to it the way app.ts wires them. */
    const processWithStore = async (): Promise<{ n: SlackNotifier; store: Store }> => {
      const store = await openStore(`sqlite:${join(dir, 'autoremediator.db')}`);
      stores.push(store);
      const { n } = bot({ deps: { threads: { get: (id) => store.getSlackThread(id), set: (id, t) => store.setSlackThread(id, t) } } });
      return { n, store };
    };

    test('a restart between two transitions: the second is updated and replied in the same thread', async () => {
      const first = await processWithStore();
      const rem = await first.store.createRemediation(remediationOf(actDecision('scale-web', deployment('ci', 'web')), at(0)));
      const events = story('succeeded', { id: rem.id });
      feed(first.n, events.slice(0, 2));
      expect(await first.n.drain(5000)).toBe(true);
      await first.store.close();

      const restarted = await processWithStore();
      restarted.n.onTransition(events[2]!);
      expect(await restarted.n.drain(5000)).toBe(true);

      const parents = slack.requests.filter(isParent);
      expect(parents).toHaveLength(1);
      const thread = parents[0]!.posted!;
      expect(await restarted.store.getSlackThread(rem.id)).toEqual({ channel: thread.channel, ts: thread.ts });
      const after = slack.requests.slice(slack.requests.length - 2);
      expect(after.map((r) => (isReply(r) ? 'reply' : r.path.endsWith('/chat.update') ? 'update' : 'parent'))).toEqual(['update', 'reply']);
      expect(after[0]!.body.ts).toBe(thread.ts);
      expect(after[1]!.body.thread_ts).toBe(thread.ts);
      expect(text(after[1]!)).toContain(`${events[2]!.from} → ${events[2]!.to}`);
    });

    test('a parent deleted in Slack is forgotten in the store too, and the new one is remembered', async () => {
      const { n, store } = await processWithStore();
      const rem = await store.createRemediation(remediationOf(actDecision('scale-web', deployment('ci', 'web')), at(0)));
      const events = story('succeeded', { id: rem.id });
      n.onTransition(events[0]!);
      await settle(n);
      const old = (await store.getSlackThread(rem.id))!;
      slack.script({ status: 200, body: { ok: false, error: 'message_not_found' } });
      n.onTransition(events[1]!);
      expect(await n.drain(5000)).toBe(true);
      const parents = slack.requests.filter(isParent);
      expect(parents).toHaveLength(2);
      expect(await store.getSlackThread(rem.id)).toEqual({ channel: parents[1]!.posted!.channel, ts: parents[1]!.posted!.ts });
      expect(parents[1]!.posted!.ts).not.toBe(old.ts);
    });
  });

  test('a parent deleted in Slack (message_not_found) is replaced by a new one', async () => {
    const { n } = bot();
    const events = story('succeeded');
    n.onTransition(events[0]!);
    await settle(n);
    slack.script({ status: 200, body: { ok: false, error: 'message_not_found' } });
    n.onTransition(events[1]!);
    expect(await n.drain(5000)).toBe(true);
    expect(slack.requests.map((r) => (isParent(r) ? 'parent' : isReply(r) ? 'reply' : 'update'))).toEqual(['parent', 'update', 'parent', 'reply']);
  });

  test('200 ok:false is a final failure (no retry), counted; the next transition tries a new parent', async () => {
    const { n, metrics } = bot();
    const events = story('succeeded');
    slack.script({ status: 200, body: { ok: false, error: 'channel_not_found' } });
    feed(n, events.slice(0, 2));
    expect(await n.drain(5000)).toBe(true);
    expect(slack.requests.map((r) => (isParent(r) ? 'parent' : isReply(r) ? 'reply' : 'update'))).toEqual(['parent', 'parent', 'reply']);
    expect(await count(metrics.sent, 'result', 'failed')).toBe(1);
    expect(await count(metrics.sent, 'result', 'retry')).toBe(0);
  });

  test('200 ok:false ratelimited is retried after its Retry-After', async () => {
    const { n, sleeps, metrics } = bot();
    slack.script({ status: 200, headers: { 'retry-after': '3' }, body: { ok: false, error: 'ratelimited' } });
    n.onTransition(created(remediation()));
    expect(await n.drain(5000)).toBe(true);
    expect(slack.to('/chat.postMessage')).toHaveLength(2);
    expect(sleeps).toEqual([3000]);
    expect(await count(metrics.sent, 'result', 'retry')).toBe(1);
    expect(await count(metrics.sent, 'result', 'ok')).toBe(1);
  });

  test('announce posts to the default channel, or the one given', async () => {
    const { n } = bot();
    n.announce(':no_entry: Breaker opened for `ci/deployment/api`');
    n.announce('budget spent', [{ type: 'section', text: { type: 'mrkdwn', text: 'budget spent' } }], '#capacity');
    expect(await n.drain(5000)).toBe(true);
    expect(slack.requests.map((r) => [r.body.channel, text(r), r.body.blocks?.length])).toEqual([
      ['#ops', ':no_entry: Breaker opened for `ci/deployment/api`', undefined],
      ['#capacity', 'budget spent', 1],
    ]);
  });
});

describe('webhook mode', () => {
  test('one message per announced transition, no threads, in order', async () => {
    const { n } = webhook({ deps: { alertLookup: () => Promise.resolve(ALERT) } });
    const events = story('succeeded');
    feed(n, events);
    expect(await n.drain(5000)).toBe(true);
    expect(slack.requests.map((r) => [r.method, r.path])).toEqual(events.map(() => ['POST', HOOK_PATH]));
    expect(slack.requests.map(header)).toEqual([
      expect.stringMatching(/^:hourglass_flowing_sand: Planned/),
      expect.stringMatching(/^:gear: Applying/),
      expect.stringMatching(/^:mag: Validating/),
      expect.stringMatching(/^:white_check_mark: Succeeded/),
    ]);
    for (const r of slack.requests) {
      expect(r.authorization).toBeUndefined();
      expect(r.body.thread_ts).toBeUndefined();
      expect(r.body.channel).toBeUndefined();
      expect(typeof r.body.text).toBe('string');
    }
    expect(blockText(slack.requests[3]!.body)).toContain('• `queue_depth`: baseline 1520 → after 310.1 (Successful)');
  });

  test('429 with Retry-After and 500 are retried: Retry-After first, then backoff from 500 ms', async () => {
    const { n, sleeps, metrics } = webhook({ delivery: { baseDelayMs: 500 } });
    slack.script({ status: 429, headers: { 'retry-after': '2' }, body: 'rate_limited' }, { status: 500, body: 'internal_error' });
    n.onTransition(created(remediation()));
    expect(await n.drain(5000)).toBe(true);
    expect(slack.requests.map((r) => r.status)).toEqual([429, 500, 200]);
    expect(sleeps).toEqual([2000, 1000]);
    expect(await count(metrics.sent, 'result', 'retry')).toBe(2);
    expect(await count(metrics.sent, 'result', 'ok')).toBe(1);
  });

  test('a Retry-After beyond the cap waits the cap', async () => {
    const { n, sleeps } = webhook({ delivery: { retryAfterCapMs: 60_000 } });
    slack.script({ status: 429, headers: { 'retry-after': '3600' }, body: 'rate_limited' });
    n.onTransition(created(remediation()));
    expect(await n.drain(5000)).toBe(true);
    expect(sleeps).toEqual([60_000]);
  });

  test('Retry-After is honoured in real time with the default sleep', async () => {
    const config = slackConfigFromEnv({ SLACK_ALLOW_HTTP: 'true', SLACK_WEBHOOK_URL: `${slack.url}${HOOK_PATH}` })!;
    const n = new SlackNotifier(config, { logger: silentLogger, metrics: createNotifyMetrics(new Registry()) });
    notifiers.push(n);
    slack.script({ status: 429, headers: { 'retry-after': '1' }, body: 'rate_limited' });
    n.onTransition(created(remediation()));
    expect(await n.drain(5000)).toBe(true);
    expect(slack.requests).toHaveLength(2);
    expect(slack.requests[1]!.at - slack.requests[0]!.at).toBeGreaterThanOrEqual(950);
  });

  test('attempts stop at maxAttempts; other 4xx are final at once', async () => {
    const { n, metrics } = webhook({ delivery: { maxAttempts: 3 } });
    slack.script({ status: 500 }, { status: 502 }, { status: 503 }, { status: 404, body: 'no_service' });
    n.onTransition(created(remediation({ id: 'r1' })));
    n.onTransition(created(remediation({ id: 'r2' })));
    expect(await n.drain(5000)).toBe(true);
    expect(slack.requests.map((r) => r.status)).toEqual([500, 502, 503, 404]);
    expect(await count(metrics.sent, 'result', 'retry')).toBe(2);
    expect(await count(metrics.sent, 'result', 'failed')).toBe(2);
  });

  test('when the queue is full the oldest waiting message is dropped and counted', async () => {
    const { n, metrics } = webhook({ delivery: { queueCapacity: 2 } });
    for (let i = 1; i <= 5; i++) n.announce(`message ${i}`);
    expect((await metrics.queueLength.get()).values[0]!.value).toBe(2);
    expect(await n.drain(5000)).toBe(true);
    expect(slack.requests.map(text)).toEqual(['message 4', 'message 5']);
    expect(await count(metrics.dropped, 'reason', 'queue_full')).toBe(3);
    expect((await metrics.queueLength.get()).values[0]!.value).toBe(0);
  });
});

describe('a Slack outage never reaches the caller', () => {
  test('Slack unreachable: onTransition returns at once and never throws', async () => {
    await slack.close();
    const { n, metrics } = webhook({ delivery: { maxAttempts: 1 } });
    const events = Array.from({ length: 100 }, (_, i) => created(remediation({ id: `r${i}` })));
    const started = process.hrtime.bigint();
    for (const e of events) expect(() => n.onTransition(e)).not.toThrow();
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    expect(elapsedMs).toBeLessThan(200);
    expect(await n.drain(10_000)).toBe(true);
    expect(await count(metrics.sent, 'result', 'failed')).toBe(100);
    slack = await SlackStandIn.start(); // for afterEach
  });

  test('Slack hanging: requests time out, drain gives up at its deadline and counts what it dropped', async () => {
    slack.hangAll = true;
    const { n, metrics } = webhook({ delivery: { timeoutMs: 100, maxAttempts: 1 } });
    const started = Date.now();
    for (let i = 0; i < 5; i++) n.onTransition(created(remediation({ id: `r${i}` })));
    expect(Date.now() - started).toBeLessThan(50);
    expect(await n.drain(150)).toBe(false);
    expect(await count(metrics.dropped, 'reason', 'shutdown')).toBeGreaterThanOrEqual(3);
    // after drain nothing more is taken
    n.onTransition(created(remediation({ id: 'late' })));
    expect(await count(metrics.dropped, 'reason', 'shutdown')).toBeGreaterThanOrEqual(4);
  });

  test('failing rule and alert lookups do not stop the message', async () => {
    const { n } = webhook({
      deps: {
        ruleLookup: () => {
          throw new Error('rule table gone');
        },
        alertLookup: () => Promise.reject(new Error('store down')),
      },
    });
    expect(() => n.onTransition(created(remediation()))).not.toThrow();
    expect(await n.drain(5000)).toBe(true);
    expect(slack.requests).toHaveLength(1);
    expect(blockText(slack.requests[0]!.body)).not.toContain('Alert source');
  });
});

describe('routing by the rule’s verbosity', () => {
  const skipped = (reason: Parameters<typeof skipDecision>[0], id: string) => created(remediation({ id, decision: skipDecision(reason), phase: 'skipped' }));

  test.each<[string, Rule, string[]]>([
    // quiet: the cooldown skip is silent; breaker and budget skips and acts are announced
    ['quiet', rule(), ['breaker', 'budget', 'act']],
    // verbose: every skip too
    ['verbose', rule({ notify: { verbosity: 'verbose' } }), ['cooldown', 'breaker', 'budget', 'act']],
  ])('%s', async (_name, r, announced) => {
    const { n } = webhook({ deps: { ruleLookup: () => r } });
    n.onTransition(skipped('cooldown', 'cooldown'));
    n.onTransition(skipped('breaker-open', 'breaker'));
    n.onTransition(skipped('budget-global', 'budget'));
    n.onTransition(created(remediation({ id: 'act' })));
    expect(await n.drain(5000)).toBe(true);
    expect(slack.requests.map((q) => /remediation `([^`]+)`/.exec(blockText(q.body))?.[1])).toEqual(announced);
  });
});

describe('secrets never reach the logs', () => {
  function capture(): { logger: Logger; text: () => string } {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk.toString());
        cb();
      },
    });
    return { logger: createLogger('trace', stream), text: () => chunks.join('') };
  }

  test('webhook mode: 500, 429, 404, timeouts and a refused connection', async () => {
    const log = capture();
    const { n } = webhook({ logger: log.logger, delivery: { maxAttempts: 2, timeoutMs: 100 } });
    slack.script({ status: 500, body: 'internal_error' }, { status: 429, body: 'rate_limited' }, { status: 404, body: 'no_service' }, { hang: true }, { hang: true });
    for (let i = 0; i < 3; i++) n.onTransition(created(remediation({ id: `r${i}` })));
    await settle(n);
    const url = slack.url;
    await slack.close();
    n.onTransition(story('succeeded')[1]!);
    await settle(n);
    slack = await SlackStandIn.start();
    const text = log.text();
    expect(text).toContain('Slack webhook failed (server_error)');
    expect(text).toContain('Slack webhook failed (client_error: HTTP 404 no_service)');
    expect(text).toContain('Slack webhook failed (timeout)');
    expect(text).toContain('Slack webhook failed (network');
    expect(text).not.toContain('SeCrEtWeBhOoKpAtH');
    expect(text).not.toContain(`${url}/services`);
    expect(text).not.toContain('/services/T0000');
  });

  test('bot mode: invalid_auth, 500 and timeouts', async () => {
    const log = capture();
    const { n } = bot({ logger: log.logger, delivery: { maxAttempts: 2, timeoutMs: 100 } });
    slack.script({ status: 200, body: { ok: false, error: 'invalid_auth' } }, { status: 500 }, { hang: true });
    feed(n, [created(remediation({ id: 'a' })), created(remediation({ id: 'b' }))]);
    expect(await n.drain(5000)).toBe(true);
    const text = log.text();
    expect(text).toContain('Slack chat.postMessage failed (slack_error: invalid_auth)');
    expect(text).toContain('Slack chat.postMessage failed (timeout');
    expect(text).not.toContain('SeCrEtToKeN');
    expect(text).not.toContain('Bearer');
  });
});
