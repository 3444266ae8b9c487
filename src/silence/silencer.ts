/**
 * Silences the alert in Alertmanager while a run validates (optional per rule, or
 * globally): created when the run enters `validating`, on every configured Alertmanager
 * (an HA pair does not gossip a silence posted to a peer that is down), expired when the
 * run ends. A remediation listener: nothing in the run waits for it, and a failure never
 * blocks the run; it is recorded in the run's result (`silence`) and announced.
 */
import type { StoredAlert } from '../domain/alert.js';
import { isTerminal, type Remediation } from '../domain/remediation.js';
import type { Rule } from '../rule-table/rule.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { RemediationEvent, RemediationListener } from '../domain/remediation.js';
import type { Store } from '../store/store.js';
import { escapeMrkdwn } from '../notify/blocks.js';
import type { SilenceTransport } from './alertmanager-http.js';
import { planSilence, wantsSilence, type Matcher, type SilenceFailure } from './plan.js';

export interface SilencerDeps {
  /** ALERTMANAGER_URL, each without a trailing slash. */
  urls: readonly string[];
  transport: SilenceTransport;
  /** SILENCE_DURING_VALIDATION: for rules that do not say. */
  globalDefault: boolean;
  ruleLookup: (name: string) => Rule | undefined;
  alertLookup: (id: string) => Promise<StoredAlert | null>;
  store: Pick<Store, 'mergeRemediationResult'>;
  clock: Clock;
  logger: Logger;
  announce?: (text: string) => void;
}

/** What a run's result says about its silence (`result.silence`). */
export interface SilenceRecord {
  matchers: Matcher[];
  endsAt: string;
  created: Array<{ alertmanager: string; id: string }>;
  failures: Array<{ alertmanager: string; step: 'create' | 'expire'; reason: SilenceFailure; detail: string }>;
  expired?: Array<{ alertmanager: string; id: string }>;
}

/** The host of an Alertmanager URL, for notes and announcements (no credentials a URL might carry). */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'alertmanager';
  }
}

export class Silencer implements RemediationListener {
  /** Creations in flight, by remediation: the end of a fast run waits for its silence before expiring it. */
  private readonly pending = new Map<string, Promise<SilenceRecord | null>>();
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(private readonly deps: SilencerDeps) {}

  onTransition(e: RemediationEvent): void {
    const rem = e.remediation;
    // Not restore steps: a step down that brings the alert back is exactly what people must hear.
    if (e.to === 'validating' && e.from !== 'validating' && rem.origin !== 'restore') {
      const rule = rem.rule ? (this.deps.ruleLookup(rem.rule) ?? null) : null;
      if (!wantsSilence(rule, this.deps.globalDefault)) return;
      const p = this.create(rem, rule).catch((err: unknown) => {
        this.deps.logger.error({ err, remediation: rem.id }, 'creating the validation silence failed unexpectedly');
        return null;
      });
      this.pending.set(rem.id, p);
      this.track(p);
      return;
    }
    if (isTerminal(e.to) && e.from !== null) this.track(this.expire(rem).catch((err: unknown) => this.deps.logger.error({ err, remediation: rem.id }, 'expiring the validation silence failed unexpectedly')));
  }

  /** Wait (at most `timeoutMs`) for silence calls in flight: at stop. */
  async drain(timeoutMs: number): Promise<void> {
    await Promise.race([Promise.allSettled([...this.inflight]), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  private async create(rem: Remediation, rule: Rule | null): Promise<SilenceRecord | null> {
    const { transport, urls, clock, logger } = this.deps;
    const alert = rem.alertId ? await this.deps.alertLookup(rem.alertId) : null;
    if (!alert) return null;
    const silence = planSilence({ remediationId: rem.id, ruleName: rem.rule, rule, labels: alert.labels, now: clock.now() });
    if (!silence) return null;
    const record: SilenceRecord = { matchers: silence.matchers, endsAt: silence.endsAt, created: [], failures: [] };
    await Promise.all(
      urls.map(async (url) => {
        const r = await transport.create(url, silence);
        if (r.ok) record.created.push({ alertmanager: hostOf(url), id: r.id });
        else record.failures.push({ alertmanager: hostOf(url), step: 'create', reason: r.reason, detail: r.detail });
      }),
    );
    await this.deps.store.mergeRemediationResult(rem.id, { silence: record }, clock.now());
    logger.info({ remediation: rem.id, silences: record.created, failures: record.failures }, `silenced ${alert.labels.alertname ?? 'the alert'} while remediation ${rem.id} validates`);
    if (record.failures.length) this.announceFailures(rem, 'create', record);
    return record;
  }

  private async expire(rem: Remediation): Promise<void> {
    const mine = this.pending.get(rem.id);
    this.pending.delete(rem.id);
    // Created here (possibly still in flight), or by a replica that is gone (the stored result says).
    const record = (mine ? await mine : null) ?? ((rem.result as { silence?: SilenceRecord } | null)?.silence ?? null);
    if (!record || record.created.length === 0 || record.expired) return;
    const byHost = new Map(this.deps.urls.map((u) => [hostOf(u), u]));
    const expired: SilenceRecord['expired'] = [];
    const failures: SilenceRecord['failures'] = [];
    await Promise.all(
      record.created.map(async (c) => {
        const url = byHost.get(c.alertmanager);
        if (!url) {
          failures.push({ alertmanager: c.alertmanager, step: 'expire', reason: 'rejected', detail: 'this Alertmanager is no longer in ALERTMANAGER_URL' });
          return;
        }
        const r = await this.deps.transport.expire(url, c.id);
        if (r.ok) expired.push(c);
        else failures.push({ alertmanager: c.alertmanager, step: 'expire', reason: r.reason, detail: r.detail });
      }),
    );
    const next: SilenceRecord = { ...record, expired, failures: [...record.failures, ...failures] };
    await this.deps.store.mergeRemediationResult(rem.id, { silence: next }, this.deps.clock.now());
    this.deps.logger.info({ remediation: rem.id, expired, failures }, `expired the validation silence of remediation ${rem.id}`);
    if (failures.length) this.announceFailures(rem, 'expire', { ...next, failures });
  }

  private announceFailures(rem: Remediation, step: 'create' | 'expire', record: SilenceRecord): void {
    const what = step === 'create' ? 'Could not silence the alert' : 'Could not expire the silence';
    const lines = record.failures.filter((f) => f.step === step).map((f) => `${f.alertmanager}: ${f.reason} (${f.detail})`);
    const after = step === 'create' ? 'The run goes on; the alert may notify while it validates.' : `The silence ends by itself at ${record.endsAt}.`;
    this.deps.announce?.(`:warning: ${what} in Alertmanager for remediation ${rem.id} (rule ${rem.rule ?? 'none'}): ${escapeMrkdwn(lines.join('; '))}. ${after}`);
  }

  private track<T>(p: Promise<T>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }
}
