/**
 * The controls as a service: pausing and resuming (stored, announced, counted), the
 * controls of one decision (read from the store each time: a pause set through any
 * replica holds the next decision of every replica), and the periodic tick that records
 * the end of expired pauses and refreshes the gauge. Decisions are the pure verdicts of
 * hold.ts; this file only carries them out.
 */
import { Gauge, type Registry } from 'prom-client';
import type { RuleTable } from '../rule-table/rule.js';
import { escapeMrkdwn } from '../notify/blocks.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { Store } from '../store/store.js';
import { activeSpan, windowStatus, type FreezeWindow } from '../control/freeze.js';
import { windowsFor, type Controls } from '../control/hold.js';
import { describeSubject, expiryFromBody, PAUSE_SCOPES, scopeKey, subjectFromBody, type Pause, type PauseBody } from '../control/pause.js';

export interface ControlServiceDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  registry: Registry;
  /** FREEZE_WINDOWS. */
  freezeWindows: readonly FreezeWindow[];
  rules: () => RuleTable;
  /** Slack announcements (the notifier's announce), when configured. */
  announce?: (text: string) => void;
}

export class ControlService {
  private readonly gauge: Gauge<'scope'>;

  constructor(private readonly deps: ControlServiceDeps) {
    this.gauge = new Gauge({ name: 'autoremediator_pauses_active', help: 'Pauses (kill switch) in force, by scope (global, namespace, target, rule).', labelNames: ['scope'], registers: [deps.registry] });
    for (const s of PAUSE_SCOPES) this.gauge.set({ scope: s }, 0);
  }

  /** The controls of one decision: read now, never cached. */
  async current(): Promise<Controls> {
    return { pauses: await this.deps.store.listActivePauses(this.deps.clock.now()), freezeWindows: this.deps.freezeWindows };
  }

  /** POST /api/v1/pause: store, count, announce. Throws RangeError for an expiry in the past. */
  async pause(body: PauseBody, actor: string): Promise<Pause> {
    const now = this.deps.clock.now();
    const p = await this.deps.store.createPause({ subject: subjectFromBody(body), actor, reason: body.reason ?? '', at: now, expiresAt: expiryFromBody(body, now) });
    this.deps.logger.warn({ pause: p.id, scope: p.scopeKey, actor, reason: p.reason, until: p.expiresAt }, `${actor} paused ${describeSubject(p.subject)}`);
    const until = p.expiresAt ? `until ${p.expiresAt.toISOString()}` : 'until someone resumes it';
    this.deps.announce?.(`:double_vertical_bar: *${escapeMrkdwn(actor)} paused ${escapeMrkdwn(describeSubject(p.subject))}*, ${until}: ${escapeMrkdwn(p.reason)}. Alerts are still recorded and decided; nothing is changed (skip reason \`paused\`).`);
    await this.refresh();
    return p;
  }

  /** DELETE /api/v1/pause: end the pauses in force with exactly this scope; [] when there was none. */
  async resume(body: Pick<PauseBody, 'scope' | 'namespace' | 'kind' | 'name' | 'rule'>, actor: string): Promise<Pause[]> {
    const subject = subjectFromBody(body);
    const ended = await this.deps.store.endPauses(scopeKey(subject), actor, this.deps.clock.now());
    if (ended.length > 0) {
      this.deps.logger.warn({ pauses: ended.map((p) => p.id), scope: scopeKey(subject), actor }, `${actor} resumed ${describeSubject(subject)}`);
      this.deps.announce?.(`:arrow_forward: *${escapeMrkdwn(actor)} resumed ${escapeMrkdwn(describeSubject(subject))}* (paused by ${ended.map((p) => `${escapeMrkdwn(p.actor)}: ${escapeMrkdwn(p.reason)}`).join('; ')}). Decisions act again.`);
    }
    await this.refresh();
    return ended;
  }

  list(): Promise<Pause[]> {
    return this.deps.store.listActivePauses(this.deps.clock.now());
  }

  /** GET /api/v1/freeze: every window (the service's and each rule's), in force and next. */
  freezeStatus(): { now: string; windows: Array<ReturnType<typeof windowStatus>> } {
    const now = this.deps.clock.now();
    const service = windowsFor({ freezeWindows: this.deps.freezeWindows }, { name: '', freeze: [] });
    const ruled = this.deps.rules().rules.flatMap((r) => windowsFor({ freezeWindows: [] }, r));
    return { now: now.toISOString(), windows: [...service, ...ruled].map((w) => windowStatus(w, now)) };
  }

  /** For /readyz: what holds decisions right now (never makes the service unready). */
  async summary(): Promise<{ pauses: Array<{ scope: string; by: string; reason: string; until: string | null }>; frozen: Array<{ name: string; source: string; until: string }> }> {
    const now = this.deps.clock.now();
    const pauses = await this.list();
    const service = windowsFor({ freezeWindows: this.deps.freezeWindows }, { name: '', freeze: [] });
    const ruled = this.deps.rules().rules.flatMap((r) => windowsFor({ freezeWindows: [] }, r));
    return {
      pauses: pauses.map((p) => ({ scope: p.scopeKey, by: p.actor, reason: p.reason, until: p.expiresAt?.toISOString() ?? null })),
      frozen: [...service, ...ruled].flatMap((w) => {
        const span = (w.mode ?? 'freeze') === 'freeze' ? activeSpan(w, now) : null;
        return span ? [{ name: w.name, source: w.source, until: span.end.toISOString() }] : [];
      }),
    };
  }

  /** The periodic job: record and announce the end of expired pauses (once across replicas), refresh the gauge. */
  async tick(): Promise<number> {
    const expired = await this.deps.store.expirePauses(this.deps.clock.now());
    for (const p of expired) {
      this.deps.logger.info({ pause: p.id, scope: p.scopeKey }, `the pause of ${describeSubject(p.subject)} by ${p.actor} expired`);
      this.deps.announce?.(`:arrow_forward: *The pause of ${escapeMrkdwn(describeSubject(p.subject))} expired* (set by ${escapeMrkdwn(p.actor)}: ${escapeMrkdwn(p.reason)}). Decisions act again.`);
    }
    await this.refresh();
    return expired.length;
  }

  /** The gauge from the store: every replica shows the pauses any replica set. */
  async refresh(): Promise<void> {
    const pauses = await this.list();
    for (const s of PAUSE_SCOPES) this.gauge.set({ scope: s }, pauses.filter((p) => p.subject.scope === s).length);
  }
}
