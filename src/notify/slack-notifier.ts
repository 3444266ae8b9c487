/**
 * The Slack notifier. `onTransition` decides whether to announce (routing.ts),
 * queues and returns; one worker sends, in order, with retries.
 *
 * Webhook mode: one message per announced transition, no threads.
 * Bot mode: one thread per remediation. The first message (on creation) holds
 * the whole story and is updated in place (`chat.update`) at every transition;
 * each transition is also a reply in its thread. Thread timestamps are stored
 * with the remediation (`threads`, the store) and cached in a bounded LRU map:
 * a restarted process or another replica continues the same thread. Only when
 * none is known (no store given, the store failing, the parent deleted) does the
 * next transition start a new parent message, which says that earlier steps are
 * elsewhere.
 */
import type { Rule } from '../rule-table/rule.js';
import type { Logger } from '../platform/logger.js';
import type { RemediationEvent } from '../domain/remediation.js';
import type { SlackBlock, SlackMessage } from './blocks.js';
import { DEFAULT_DELIVERY, type SlackConfig, type SlackDeliverySettings } from './config.js';
import { DeliveryQueue } from './delivery-queue.js';
import { LruMap } from './lru.js';
import { buildMessage, buildReply, type AlertInfo, type MessageOptions } from './message.js';
import type { NotifyMetrics } from './metrics.js';
import type { Notifier } from './notifier.js';
import { retry, type Delivery, type RetryPolicy } from './retry.js';
import { channelFor, shouldAnnounce } from './routing.js';
import { SlackHttp, type SlackTransport, type WebApiMethod } from './slack-http.js';

export interface SlackNotifierDeps {
  logger: Logger;
  metrics: NotifyMetrics;
  /** The serving rule table, for verbosity, channel override and the matchers shown. */
  ruleLookup?: (name: string) => Rule | undefined;
  /** The alert behind a remediation, for its generatorURL, labels and annotations; best effort. */
  alertLookup?: (alertId: string) => Promise<AlertInfo | null>;
  /** Base URL of the API as people reach it (PUBLIC_URL); links to the record need it. */
  publicUrl?: string | null;
  /** Waits between attempts; tests pass one that records. */
  sleep?: (ms: number) => Promise<void>;
  /** Wall time in ms, for Retry-After given as a date. */
  now?: () => number;
  /** Replaces the HTTP transport (tests of the queue alone). */
  transport?: SlackTransport;
  /** Where threads are kept beyond this process (the store); without it, in memory only. */
  threads?: ThreadStore;
}

/** The store's side of threads (Store.getSlackThread / setSlackThread). */
export interface ThreadStore {
  get(remediationId: string): Promise<Thread | null>;
  set(remediationId: string, thread: Thread | null): Promise<void>;
}

type Job =
  | { kind: 'transition'; event: RemediationEvent; rule: Rule | undefined; channel: string | null }
  | { kind: 'announce'; message: { text: string; blocks?: SlackBlock[] }; channel: string | null };

export interface Thread {
  /** The channel id Slack answered with (chat.update needs the id, not a name). */
  channel: string;
  ts: string;
}

const ALERT_CACHE_SIZE = 256;
const BROADCAST_PHASES = new Set(['failed', 'rolled_back']);

const defaultSleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

export class SlackNotifier implements Notifier {
  private readonly queue: DeliveryQueue<Job>;
  private readonly threads: LruMap<string, Thread>;
  private readonly alerts = new LruMap<string, AlertInfo>(ALERT_CACHE_SIZE);
  private readonly settings: SlackDeliverySettings;
  private readonly policy: RetryPolicy;
  private readonly transport: SlackTransport;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly mode: 'webhook' | 'bot';
  private readonly defaultChannel: string | null;

  /** Misconfiguration (a capacity below 1) throws here, never on a transition. */
  constructor(config: SlackConfig, private readonly deps: SlackNotifierDeps) {
    this.settings = { ...DEFAULT_DELIVERY, ...config.delivery };
    this.policy = { maxAttempts: this.settings.maxAttempts, baseDelayMs: this.settings.baseDelayMs, maxDelayMs: this.settings.maxDelayMs, retryAfterCapMs: this.settings.retryAfterCapMs };
    this.mode = config.mode;
    this.defaultChannel = config.mode === 'bot' ? config.channel : null;
    this.transport =
      deps.transport ??
      new SlackHttp(
        config.mode === 'bot'
          ? { timeoutMs: this.settings.timeoutMs, botToken: config.botToken, apiBaseUrl: config.apiBaseUrl, ...(deps.now ? { now: deps.now } : {}) }
          : { timeoutMs: this.settings.timeoutMs, webhookUrl: config.webhookUrl, ...(deps.now ? { now: deps.now } : {}) },
      );
    this.sleep = deps.sleep ?? defaultSleep;
    this.threads = new LruMap(this.settings.threadCacheSize);
    const { metrics, logger } = deps;
    this.queue = new DeliveryQueue<Job>(this.settings.queueCapacity, (job) => this.handle(job), {
      onDrop: (job, reason) => {
        metrics.dropped.inc({ reason });
        logger.warn({ reason, remediation: job.kind === 'transition' ? job.event.remediation.id : undefined }, `Slack notification dropped (${reason})`);
      },
      onLength: (n) => metrics.queueLength.set(n),
      onError: (job, err) =>
        logger.error({ error: errorText(err), remediation: job.kind === 'transition' ? job.event.remediation.id : undefined }, 'building or sending a Slack notification failed'),
    });
  }

  /** Queue the transition when the rule's verbosity announces it; returns at once and never throws. */
  onTransition(e: RemediationEvent): void {
    try {
      const name = e.remediation.decision.rule;
      const rule = name ? this.lookupRule(name) : undefined;
      if (!shouldAnnounce(e, rule?.notify)) return;
      const channel = this.defaultChannel === null ? null : channelFor(rule?.notify, this.defaultChannel);
      this.queue.push({ kind: 'transition', event: e, rule, channel });
    } catch (err) {
      this.deps.logger.error({ error: errorText(err), remediation: e?.remediation?.id }, 'could not queue a Slack notification');
    }
  }

  announce(text: string, blocks?: SlackBlock[], channel?: string): void {
    try {
      const message = blocks && blocks.length > 0 ? { text, blocks } : { text };
      this.queue.push({ kind: 'announce', message, channel: this.defaultChannel === null ? null : (channel ?? this.defaultChannel) });
    } catch (err) {
      this.deps.logger.error({ error: errorText(err) }, 'could not queue a Slack announcement');
    }
  }

  drain(timeoutMs: number): Promise<boolean> {
    return this.queue.drain(timeoutMs);
  }

  /** Messages waiting or being sent. */
  get pending(): number {
    return this.queue.pending;
  }

  private async handle(job: Job): Promise<void> {
    if (job.kind === 'announce') {
      const log = this.deps.logger;
      if (this.mode === 'webhook') await this.send(log, undefined, { ...job.message, unfurl_links: false, unfurl_media: false });
      else await this.send(log, 'chat.postMessage', { channel: job.channel, ...job.message, unfurl_links: false, unfurl_media: false });
      return;
    }
    const rem = job.event.remediation;
    const log = this.deps.logger.child({ remediation: rem.id, rule: rem.rule, target: rem.targetKey });
    const alert = await this.lookupAlert(rem.alertId, log);
    const opts: MessageOptions = { alert, rule: job.rule ?? null, publicUrl: this.deps.publicUrl ?? null };
    if (this.mode === 'webhook') {
      const msg = buildMessage(job.event, opts);
      await this.send(log, undefined, { ...msg, unfurl_links: false, unfurl_media: false });
      return;
    }
    await this.sendToThread(job.event, job.channel ?? this.defaultChannel ?? '', opts, log);
  }

  /**
   * Bot mode: update the parent and reply in the thread; start a parent when
   * there is none (creation, or a thread lost to a restart or a deleted message).
   */
  private async sendToThread(e: RemediationEvent, channel: string, opts: MessageOptions, log: Logger): Promise<void> {
    const id = e.remediation.id;
    let thread = this.threads.get(id) ?? (await this.storedThread(id, log));
    if (thread) {
      const updated = await this.send(log, 'chat.update', { channel: thread.channel, ts: thread.ts, ...buildMessage(e, opts) });
      if (!updated.ok && updated.reason === 'slack_error' && (updated.detail === 'message_not_found' || updated.detail === 'cant_update_message')) {
        this.threads.delete(id);
        await this.storeThread(id, null, log);
        thread = undefined;
      }
    }
    if (!thread) {
      const parent = buildMessage(e, { ...opts, continued: e.from !== null });
      const posted = await this.send(log, 'chat.postMessage', { channel, ...parent, unfurl_links: false, unfurl_media: false });
      if (!posted.ok) return;
      const ts = posted.data.ts;
      if (typeof ts !== 'string') {
        log.warn({ slack: 'chat.postMessage' }, 'Slack answered without a message ts; this remediation gets no thread');
        return;
      }
      thread = { channel: typeof posted.data.channel === 'string' ? posted.data.channel : channel, ts };
      this.threads.set(id, thread);
      await this.storeThread(id, thread, log);
      // On creation the parent is the whole story; a reply would repeat it.
      if (e.from === null) return;
    }
    const reply: SlackMessage = buildReply(e, opts);
    await this.send(log, 'chat.postMessage', {
      channel: thread.channel,
      thread_ts: thread.ts,
      ...reply,
      unfurl_links: false,
      unfurl_media: false,
      ...(BROADCAST_PHASES.has(e.to) ? { reply_broadcast: true } : {}),
    });
  }

  /** The thread the store knows (another replica's, or this process's before a restart); a store failure is logged and means none. */
  private async storedThread(id: string, log: Logger): Promise<Thread | undefined> {
    if (!this.deps.threads) return undefined;
    try {
      const t = await this.deps.threads.get(id);
      if (t) this.threads.set(id, t);
      return t ?? undefined;
    } catch (err) {
      log.warn({ error: errorText(err) }, 'could not read the Slack thread of this remediation from the store; starting a new parent message');
      return undefined;
    }
  }

  private async storeThread(id: string, thread: Thread | null, log: Logger): Promise<void> {
    if (!this.deps.threads) return;
    try {
      await this.deps.threads.set(id, thread);
    } catch (err) {
      log.warn({ error: errorText(err) }, 'could not store the Slack thread of this remediation; after a restart its updates start a new parent message');
    }
  }

  /** One Slack call with retries, counted and logged; the log names the call, never its URL or token. */
  private async send(log: Logger, method: WebApiMethod | undefined, payload: Record<string, unknown>): Promise<Delivery> {
    const { metrics } = this.deps;
    const what = this.transport.describe(method);
    const call = () => (method ? this.transport.webApi(method, payload) : this.transport.webhook(payload));
    const d = await retry(call, this.policy, this.sleep, ({ attempt, failure, delayMs }) => {
      const fields = { slack: what, attempt, reason: failure.reason, detail: failure.detail };
      if (delayMs !== null) {
        metrics.sent.inc({ result: 'retry' });
        log.warn({ ...fields, delayMs }, `${what} failed (${failure.reason}); retrying in ${delayMs} ms`);
      } else {
        metrics.sent.inc({ result: 'failed' });
        log.error(fields, `${what} failed (${failure.reason}: ${failure.detail}); giving up after ${attempt} attempt(s)`);
      }
    });
    if (d.ok) metrics.sent.inc({ result: 'ok' });
    return d;
  }

  private lookupRule(name: string): Rule | undefined {
    if (!this.deps.ruleLookup) return undefined;
    try {
      return this.deps.ruleLookup(name);
    } catch (err) {
      this.deps.logger.warn({ error: errorText(err), rule: name }, 'rule lookup for a Slack notification failed; using the defaults');
      return undefined;
    }
  }

  /** The alert, cached; null when unknown, failing or slower than the HTTP timeout. */
  private async lookupAlert(alertId: string | null, log: Logger): Promise<AlertInfo | null> {
    const lookup = this.deps.alertLookup;
    if (!alertId || !lookup) return null;
    const cached = this.alerts.get(alertId);
    if (cached) return cached;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), this.settings.timeoutMs);
      });
      const found = await Promise.race([lookup(alertId), timeout]);
      if (found) this.alerts.set(alertId, found);
      return found;
    } catch (err) {
      log.debug({ error: errorText(err), alert: alertId }, 'alert lookup for a Slack message failed; sending without the alert');
      return null;
    } finally {
      clearTimeout(timer);
    }
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
