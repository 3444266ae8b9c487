/**
 * The Store contract: every implementation runs this suite unchanged. It is written
 * only against the Store interface (src/store/store.ts).
 */
import { alertIdentity } from '../../src/domain/alert.js';
import type { StoredAlert, WebhookAlert } from '../../src/domain/alert.js';
import type { Remediation } from '../../src/domain/remediation.js';
import { ALERT_CLAIM_TTL_MS, StaleTransitionError } from '../../src/store/store.js';
import type { AlertQuery, Store } from '../../src/store/store.js';
import {
  actDecision,
  alert,
  at,
  deployment,
  fromFixture,
  notification,
  remediationOf,
  skipDecision,
  sleep,
  within,
} from './store-builders.js';

export interface StoreContractOptions {
  /**
   * A second Store over the same database as `store`: another replica. Tests that
   * need two replicas are skipped without it (e.g. SQLite `:memory:`).
   */
  openPeer?: (store: Store) => Promise<Store>;
}

/**
 * Register the contract for one implementation.
 * @param newStore a migrated Store over a fresh, empty database (called once per test)
 * @param cleanup run once after the suite (drop schemas, remove temp files)
 */
export function runStoreContract(
  name: string,
  newStore: () => Promise<Store>,
  cleanup?: () => Promise<void>,
  options: StoreContractOptions = {},
): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    const opened: Store[] = [];
    const peer = async (): Promise<Store> => {
      const p = await options.openPeer!(store);
      opened.push(p);
      return p;
    };
    const testWithPeer = options.openPeer ? test : test.skip;

    beforeEach(async () => {
      store = await newStore();
      opened.push(store);
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });
    if (cleanup) afterAll(cleanup);

    /** Record one notification holding `alerts`; returns the recorded alerts. */
    const record = async (alerts: WebhookAlert[], receivedAt = at(0), s: Store = store) =>
      (await s.recordNotification(notification(alerts, receivedAt), alerts)).alerts;
    const recordOne = async (a: WebhookAlert = alert(), receivedAt = at(0)) => (await record([a], receivedAt))[0]!;

    describe('lifecycle', () => {
      test('migrate is idempotent and the store answers ping', async () => {
        await store.migrate();
        await store.migrate();
        expect(await store.ping()).toBe(true);
        const [a] = await record([alert()]);
        expect(await store.getAlert(a!.id)).not.toBeNull();
      });

      test('ping is false after close, and close may be called twice', async () => {
        await store.close();
        await store.close();
        expect(await store.ping()).toBe(false);
      });
    });

    describe('recordNotification', () => {
      test('stores a captured notification and each of its alerts, in order', async () => {
        const f = fromFixture('firing-group-HighPodCPU-3-alerts', new Date('2026-11-28T10:21:45.617Z'));
        const out = await store.recordNotification(f.notification, f.alerts);
        expect(out.alerts.map((a) => a.identity)).toEqual(f.alerts.map(alertIdentity));
        expect(out.alerts.map((a) => a.duplicateOf)).toEqual([null, null, null]);
        expect(new Set(out.alerts.map((a) => a.id)).size).toBe(3);
        for (const [i, recorded] of out.alerts.entries()) {
          const sent = f.alerts[i]!;
          const expected: StoredAlert = {
            id: recorded.id,
            notificationId: out.notificationId,
            receivedAt: new Date('2026-11-28T10:21:45.617Z'),
            identity: alertIdentity(sent),
            duplicateOf: null,
            status: 'firing',
            labels: sent.labels,
            annotations: sent.annotations,
            startsAt: sent.startsAt,
            endsAt: null, // Go zero time on the wire
            generatorURL: sent.generatorURL,
            fingerprint: sent.fingerprint,
            groupKey: f.payload.groupKey,
            receiver: f.payload.receiver,
            externalURL: f.payload.externalURL,
            decidedAt: null,
          };
          expect(await store.getAlert(recorded.id)).toEqual(expected);
        }
      });

      test('a resolved delivery is a new identity and keeps its endsAt', async () => {
        const firing = fromFixture('firing-single-QueueDepthHigh', at(0));
        const resolved = fromFixture('resolved-single-QueueDepthHigh', at(50));
        const [f] = (await store.recordNotification(firing.notification, firing.alerts)).alerts;
        const [r] = (await store.recordNotification(resolved.notification, resolved.alerts)).alerts;
        expect(r!.duplicateOf).toBeNull();
        expect(r!.identity).not.toBe(f!.identity);
        const stored = await store.getAlert(r!.id);
        expect(stored).toMatchObject({ status: 'resolved', endsAt: '2026-11-28T10:21:34.4Z', startsAt: '2026-11-28T10:20:46.4Z' });
      });

      test('repeats and HA/second-route deliveries of one identity are duplicates of the first', async () => {
        const first = fromFixture('firing-single-QueueDepthHigh', at(0));
        const repeat = fromFixture('firing-repeat-QueueDepthHigh', at(20));
        const nested = fromFixture('nested-route-firing-single-QueueDepthHigh', at(21));
        const [a] = (await store.recordNotification(first.notification, first.alerts)).alerts;
        const [b] = (await store.recordNotification(repeat.notification, repeat.alerts)).alerts;
        const [c] = (await store.recordNotification(nested.notification, nested.alerts)).alerts;
        expect(a!.duplicateOf).toBeNull();
        expect(b!.duplicateOf).toBe(a!.id);
        expect(c!.duplicateOf).toBe(a!.id);
        // every delivery is stored, with its own notification's facts
        const storedC = await store.getAlert(c!.id);
        expect(storedC).toMatchObject({ duplicateOf: a!.id, receiver: nested.payload.receiver, groupKey: nested.payload.groupKey });
        expect(storedC!.receiver).toBe('ci-failure-agent\\.max-alerts');
        expect((await store.getAlert(b!.id))!.receivedAt).toEqual(at(20));
      });

      test('two identical alerts in one notification: the second is a duplicate of the first', async () => {
        const a = alert();
        const out = await record([a, alert(), { ...a }]);
        expect(out[0]!.duplicateOf).toBeNull();
        expect(out[1]!.duplicateOf).toBeNull();
        expect(out[2]!.duplicateOf).toBe(out[0]!.id);
      });

      test('labels and annotations round-trip exactly: unicode, escapes, empty values and maps, key order', async () => {
        const labels = {
          alertname: 'HighLatencyP99',
          zeta: 'last key written first? no: order as sent',
          emoji: '🔥📈',
          cjk: '延迟过高',
          rtl: 'עברית',
          combining: 'e\u0301',
          quote: 'a "quoted" \\ back\nslash\ttab',
          empty: '',
          html: '<b>&amp;</b>',
        };
        const [r] = await record([alert({ labels, annotations: {} })]);
        const stored = (await store.getAlert(r!.id))!;
        expect(stored.labels).toEqual(labels);
        expect(Object.keys(stored.labels)).toEqual(Object.keys(labels));
        expect(stored.annotations).toEqual({});
      });

      test('dates round-trip to the millisecond; startsAt is kept as sent', async () => {
        const receivedAt = new Date('2026-11-28T10:20:46.789Z');
        const startsAt = '2026-11-28T10:20:46.123456789Z';
        const [r] = await record([alert({ startsAt })], receivedAt);
        const stored = (await store.getAlert(r!.id))!;
        expect(stored.receivedAt.getTime()).toBe(receivedAt.getTime());
        expect(stored.startsAt).toBe(startsAt);
        expect(stored.identity).toBe(alertIdentity({ fingerprint: stored.fingerprint, startsAt, status: 'firing' }));
      });

      test('a notification without alerts is stored alone', async () => {
        const out = await store.recordNotification(notification([], at(0)), []);
        expect(typeof out.notificationId).toBe('string');
        expect(out.alerts).toEqual([]);
      });

      test('all or nothing: when one alert cannot be stored, none of the notification is', async () => {
        const good = alert();
        const bad = alert({ startsAt: 'not a time' });
        await expect(store.recordNotification(notification([good, bad], at(0)), [good, bad])).rejects.toThrow();
        expect((await store.listAlerts({ limit: 10 })).items).toEqual([]);
        // the good alert was not stored: recording it now makes it the first delivery
        const [again] = await record([good]);
        expect(again!.duplicateOf).toBeNull();
      });

      test('concurrent deliveries of one identity: exactly one is first, the rest point at it', async () => {
        const a = alert();
        const outs = await Promise.all(Array.from({ length: 8 }, (_, i) => record([a], at(i))));
        const firsts = outs.filter(([r]) => r!.duplicateOf === null);
        expect(firsts).toHaveLength(1);
        const firstId = firsts[0]![0]!.id;
        for (const [r] of outs) if (r!.id !== firstId) expect(r!.duplicateOf).toBe(firstId);
      });

      testWithPeer('two replicas recording the same alerts at once: exactly one first per identity', async () => {
        const other = await peer();
        const group = [alert(), alert(), alert()];
        const reversed = [...group].reverse();
        const outs = await Promise.all(
          Array.from({ length: 10 }, (_, i) => record(i % 2 ? reversed : group, at(i), i % 2 ? other : store)),
        );
        for (const a of group) {
          const identity = alertIdentity(a);
          const all = outs.flat().filter((r) => r.identity === identity);
          expect(all).toHaveLength(10);
          const firsts = all.filter((r) => r.duplicateOf === null);
          expect(firsts).toHaveLength(1);
          expect(all.filter((r) => r.duplicateOf === firsts[0]!.id)).toHaveLength(9);
        }
      });
    });

    describe('listAlerts', () => {
      const recordFixtures = async () => {
        const names = [
          'firing-single-QueueDepthHigh',
          'firing-repeat-QueueDepthHigh',
          'resolved-single-QueueDepthHigh',
          'firing-group-HighPodCPU-3-alerts',
          'firing-HighMemoryUsage',
        ];
        for (const [i, name] of names.entries()) {
          const f = fromFixture(name, at(i));
          await store.recordNotification(f.notification, f.alerts);
        }
      };

      test.each<[Omit<AlertQuery, 'limit' | 'cursor'>, number]>([
        // per-alert status
        [{ status: 'resolved' }, 1],
        // labels.alertname
        [{ alertname: 'HighPodCPU' }, 3],
        // the QueueDepthHigh fingerprint: first, repeat, resolved
        [{ fingerprint: '63bcfece719f0ff7' }, 3],
        // duplicate: false = first deliveries only (as documented on AlertQuery)
        [{ duplicate: false }, 6],
        // duplicate: true = duplicates only: the repeat
        [{ duplicate: true }, 1],
        // filters combine
        [{ fingerprint: '63bcfece719f0ff7', duplicate: false }, 2],
        [{ alertname: 'HighMemoryUsage', status: 'resolved' }, 0],
      ])('filter %j finds %i alerts', async (filter, count) => {
        await recordFixtures();
        const page = await store.listAlerts({ ...filter, limit: 50 });
        expect(page.items).toHaveLength(count);
        expect(page.nextCursor).toBeNull();
        for (const a of page.items) {
          if (filter.status) expect(a.status).toBe(filter.status);
          if (filter.alertname) expect(a.labels.alertname).toBe(filter.alertname);
          if (filter.fingerprint) expect(a.fingerprint).toBe(filter.fingerprint);
          if (filter.duplicate !== undefined) expect(a.duplicateOf !== null).toBe(filter.duplicate);
        }
      });

      test('pages newest first with an opaque cursor, stable when newer alerts arrive', async () => {
        const ids: string[] = [];
        // two alerts share a received time: the order between them must still be total
        for (const s of [1, 2, 3, 3, 4, 5, 6]) ids.push((await recordOne(alert(), at(s))).id);
        const p1 = await store.listAlerts({ limit: 3 });
        await recordOne(alert(), at(100)); // newer than everything: must not shift later pages
        const p2 = await store.listAlerts({ limit: 3, cursor: p1.nextCursor });
        const p3 = await store.listAlerts({ limit: 3, cursor: p2.nextCursor });
        const seen = [...p1.items, ...p2.items, ...p3.items];
        expect(seen.map((a) => a.id)).toHaveLength(7);
        expect(new Set(seen.map((a) => a.id))).toEqual(new Set(ids));
        expect(p1.items[0]!.receivedAt).toEqual(at(6));
        const times = seen.map((a) => a.receivedAt.getTime());
        expect(times).toEqual([...times].sort((x, y) => y - x));
        expect(p1.nextCursor).not.toBeNull();
        expect(p3.items).toHaveLength(1);
        expect(p3.nextCursor).toBeNull();
      });

      test('rejects a cursor it did not make, and a limit below 1', async () => {
        await expect(store.listAlerts({ limit: 3, cursor: 'not-a-cursor' })).rejects.toThrow(/cursor/);
        await expect(store.listAlerts({ limit: 0 })).rejects.toThrow(RangeError);
      });
    });

    describe('deciding alerts', () => {
      test('listUndecidedAlerts: first deliveries not decided, oldest first, claimed ones included', async () => {
        const a = alert();
        const ra = await recordOne(a, at(10));
        const rb = await recordOne(alert(), at(20));
        await recordOne(a, at(30)); // duplicate of a: never listed
        const rc = await recordOne(alert(), at(5)); // recorded last, received first
        expect((await store.listUndecidedAlerts(10)).map((x) => x.id)).toEqual([rc.id, ra.id, rb.id]);
        expect(await store.markAlertDecided(rb.id, at(40))).toBe(true);
        expect(await store.claimAlert(ra.id, 'worker-1', at(41))).toBe(true);
        // a claim does not hide the alert: a crashed claimant's alert must come back
        expect((await store.listUndecidedAlerts(10)).map((x) => x.id)).toEqual([rc.id, ra.id]);
        expect((await store.listUndecidedAlerts(1)).map((x) => x.id)).toEqual([rc.id]);
      });

      test('markAlertDecided is true once; duplicates and unknown ids are never decided', async () => {
        const a = alert();
        const first = await recordOne(a, at(0));
        const dup = await recordOne(a, at(1));
        expect(await store.markAlertDecided(first.id, at(2))).toBe(true);
        expect(await store.markAlertDecided(first.id, at(3))).toBe(false);
        expect((await store.getAlert(first.id))!.decidedAt).toEqual(at(2));
        expect(await store.markAlertDecided(dup.id, at(4))).toBe(false);
        expect((await store.getAlert(dup.id))!.decidedAt).toBeNull();
        expect(await store.markAlertDecided('no-such-alert', at(5))).toBe(false);
      });

      test('claimAlert is true exactly once among concurrent claimants', async () => {
        const r = await recordOne();
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.claimAlert(r.id, `worker-${i}`, at(1))));
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await store.claimAlert(r.id, 'worker-late', at(2))).toBe(false);
      });

      test('claimAlert refuses decided alerts, duplicates and unknown ids', async () => {
        const a = alert();
        const first = await recordOne(a, at(0));
        const dup = await recordOne(a, at(1));
        expect(await store.claimAlert(dup.id, 'w', at(2))).toBe(false);
        expect(await store.markAlertDecided(first.id, at(2))).toBe(true);
        expect(await store.claimAlert(first.id, 'w', at(3))).toBe(false);
        expect(await store.claimAlert('no-such-alert', 'w', at(3))).toBe(false);
      });

      test(`a claim expires after ALERT_CLAIM_TTL_MS (${ALERT_CLAIM_TTL_MS} ms): a crashed claimant's alert is taken over`, async () => {
        const r = await recordOne();
        const t = at(10).getTime();
        expect(await store.claimAlert(r.id, 'crashed', new Date(t))).toBe(true);
        expect(await store.claimAlert(r.id, 'sweeper', new Date(t + ALERT_CLAIM_TTL_MS - 1))).toBe(false);
        expect(await store.claimAlert(r.id, 'sweeper', new Date(t + ALERT_CLAIM_TTL_MS))).toBe(true);
        expect(await store.claimAlert(r.id, 'third', new Date(t + ALERT_CLAIM_TTL_MS + 1))).toBe(false);
      });

      test('releaseAlertClaims hands back one owner\'s undecided claims, or every claim with null', async () => {
        const mine = await recordOne();
        const theirs = await recordOne();
        const decided = await recordOne();
        expect(await store.claimAlert(mine.id, 'stopping', at(1))).toBe(true);
        expect(await store.claimAlert(theirs.id, 'other', at(1))).toBe(true);
        expect(await store.claimAlert(decided.id, 'stopping', at(1))).toBe(true);
        expect(await store.markAlertDecided(decided.id, at(2))).toBe(true);
        expect(await store.releaseAlertClaims('stopping')).toBe(1);
        // Released: another worker claims it at once, long before the TTL; the other owner's claim still holds.
        expect(await store.claimAlert(mine.id, 'next', at(3))).toBe(true);
        expect(await store.claimAlert(theirs.id, 'next', at(3))).toBe(false);
        expect(await store.releaseAlertClaims(null)).toBe(2);
        expect(await store.claimAlert(theirs.id, 'restarted', at(4))).toBe(true);
        expect(await store.releaseAlertClaims('nobody')).toBe(0);
        expect((await store.getAlert(decided.id))!.decidedAt).toEqual(at(2));
      });

      testWithPeer('two replicas claiming one alert at once: exactly one wins', async () => {
        const other = await peer();
        const r = await recordOne();
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => (i % 2 ? other : store).claimAlert(r.id, `replica-${i % 2}-worker-${i}`, at(1))),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('remediations', () => {
      const web = deployment('ci', 'ci-failure-agent');

      test('createRemediation stores an act as planned, with its first transition', async () => {
        const alertRow = await recordOne();
        const decision = actDecision('scale-on-queue', web, { replicas: 2 }, { replicas: 4 });
        const created = await store.createRemediation(remediationOf(decision, at(1), { alertId: alertRow.id, note: 'planned by rule' }));
        const expected: Remediation = {
          id: created.id,
          alertId: alertRow.id,
          rule: 'scale-on-queue',
          targetKey: 'ci/deployment/ci-failure-agent',
          target: web,
          namespace: 'ci',
          phase: 'planned',
          decision,
          snapshot: { replicas: 2, resourceVersion: '4711' },
          result: null,
          dryRun: false,
          origin: 'alert',
          createdAt: at(1),
          updatedAt: at(1),
          transitions: [{ from: null, to: 'planned', at: at(1), note: 'planned by rule' }],
        };
        expect(created).toEqual(expected);
        expect(await store.getRemediation(created.id)).toEqual(expected);
        expect(await store.getRemediation('no-such-remediation')).toBeNull();
      });

      test('createRemediation stores a skip as skipped; a no-match has no rule, target or alert', async () => {
        const skip = await store.createRemediation(remediationOf(skipDecision('cooldown', 'scale-on-queue', web), at(1)));
        expect(skip).toMatchObject({ phase: 'skipped', targetKey: 'ci/deployment/ci-failure-agent', snapshot: null });
        expect(skip.transitions).toEqual([{ from: null, to: 'skipped', at: at(1), note: 'skipped: cooldown' }]);
        const none = await store.createRemediation(remediationOf(skipDecision('no-match', null, null), at(2), { origin: 'replay' }));
        expect(none).toMatchObject({ phase: 'skipped', rule: null, target: null, targetKey: null, namespace: null, alertId: null, origin: 'replay' });
      });

      test('createRemediation refuses a phase that does not fit the outcome, and a missing alert', async () => {
        const act = actDecision('r', web);
        await expect(store.createRemediation({ ...remediationOf(act, at(1)), phase: 'skipped' })).rejects.toThrow(/phase/);
        const skip = skipDecision('cooldown', 'r', web);
        await expect(store.createRemediation({ ...remediationOf(skip, at(1)), phase: 'planned' })).rejects.toThrow(/phase/);
        await expect(store.createRemediation(remediationOf(act, at(1), { alertId: 'no-such-alert' }))).rejects.toThrow();
        expect((await store.listRemediations({ limit: 10 })).items).toEqual([]);
      });

      test('transitionRemediation walks the lifecycle, keeps transitions in order, merges results', async () => {
        const created = await store.createRemediation(remediationOf(actDecision('r', web), at(1)));
        await store.transitionRemediation(created.id, 'planned', 'applying', { note: 'apply', snapshot: { replicas: 2, resourceVersion: '9' } }, at(2));
        await store.transitionRemediation(created.id, 'applying', 'validating', { note: 'applied', result: { applied: true, replicas: 4 } }, at(3));
        await store.mergeRemediationResult(created.id, { checks: [{ name: 'p99', value: 0.2 }] }, at(4));
        expect((await store.getRemediation(created.id))!).toMatchObject({ phase: 'validating', updatedAt: at(4) });
        const done = await store.transitionRemediation(created.id, 'validating', 'succeeded', { note: 'checks passed', result: { replicas: 5, verdict: 'ok' } }, at(5));
        expect(done.phase).toBe('succeeded');
        expect(done.updatedAt).toEqual(at(5));
        expect(done.snapshot).toEqual({ replicas: 2, resourceVersion: '9' }); // no snapshot in the later patches: kept
        expect(done.result).toEqual({ applied: true, replicas: 5, checks: [{ name: 'p99', value: 0.2 }], verdict: 'ok' });
        expect(done.transitions).toEqual([
          { from: null, to: 'planned', at: at(1), note: created.transitions[0]!.note },
          { from: 'planned', to: 'applying', at: at(2), note: 'apply' },
          { from: 'applying', to: 'validating', at: at(3), note: 'applied' },
          { from: 'validating', to: 'succeeded', at: at(5), note: 'checks passed' },
        ]);
        expect(await store.getRemediation(created.id)).toEqual(done);
      });

      test('a patch with snapshot null clears the snapshot', async () => {
        const created = await store.createRemediation(remediationOf(actDecision('r', web), at(1)));
        const next = await store.transitionRemediation(created.id, 'planned', 'failed', { note: 'gone', snapshot: null }, at(2));
        expect(next.snapshot).toBeNull();
      });

      test('an illegal move throws and changes nothing', async () => {
        const created = await store.createRemediation(remediationOf(actDecision('r', web), at(1)));
        await expect(store.transitionRemediation(created.id, 'planned', 'succeeded', { note: 'skip ahead' }, at(2))).rejects.toThrow(
          'illegal remediation transition planned -> succeeded',
        );
        expect(await store.getRemediation(created.id)).toEqual(created);
      });

      test('a stale `from` throws StaleTransitionError naming the stored phase, and changes nothing', async () => {
        const created = await store.createRemediation(remediationOf(actDecision('r', web), at(1)));
        const err: unknown = await store.transitionRemediation(created.id, 'applying', 'validating', { note: 'x' }, at(2)).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StaleTransitionError);
        expect(err).toMatchObject({ id: created.id, expected: 'applying', actual: 'planned' });
        expect(await store.getRemediation(created.id)).toEqual(created);
        const missing: unknown = await store.transitionRemediation('no-such-remediation', 'planned', 'applying', { note: 'x' }, at(2)).catch((e: unknown) => e);
        expect(missing).toBeInstanceOf(StaleTransitionError);
        expect(missing).toMatchObject({ actual: null });
      });

      test('concurrent transitions from one phase: exactly one wins, the others are stale', async () => {
        const created = await store.createRemediation(remediationOf(actDecision('r', web), at(1)));
        const moves = await Promise.allSettled([
          store.transitionRemediation(created.id, 'planned', 'applying', { note: 'a' }, at(2)),
          store.transitionRemediation(created.id, 'planned', 'failed', { note: 'b' }, at(2)),
          store.transitionRemediation(created.id, 'planned', 'applying', { note: 'c' }, at(2)),
        ]);
        expect(moves.filter((m) => m.status === 'fulfilled')).toHaveLength(1);
        for (const m of moves) if (m.status === 'rejected') expect(m.reason).toBeInstanceOf(StaleTransitionError);
        expect((await store.getRemediation(created.id))!.transitions).toHaveLength(2);
      });

      testWithPeer('two replicas moving one remediation at once: exactly one wins', async () => {
        const other = await peer();
        const created = await store.createRemediation(remediationOf(actDecision('r', web), at(1)));
        const moves = await Promise.allSettled(
          Array.from({ length: 6 }, (_, i) => (i % 2 ? other : store).transitionRemediation(created.id, 'planned', 'applying', { note: `${i}` }, at(2))),
        );
        expect(moves.filter((m) => m.status === 'fulfilled')).toHaveLength(1);
        expect((await store.getRemediation(created.id))!.transitions).toHaveLength(2);
      });

      test('mergeRemediationResult merges shallowly without a phase change; unknown ids reject', async () => {
        const created = await store.createRemediation(remediationOf(actDecision('r', web), at(1)));
        await store.mergeRemediationResult(created.id, { a: 1, nested: { x: 1 } }, at(2));
        await store.mergeRemediationResult(created.id, { b: 2, nested: { y: 2 } }, at(3));
        const now = (await store.getRemediation(created.id))!;
        expect(now.result).toEqual({ a: 1, b: 2, nested: { y: 2 } });
        expect(now.phase).toBe('planned');
        expect(now.transitions).toHaveLength(1);
        await expect(store.mergeRemediationResult('no-such-remediation', { a: 1 }, at(4))).rejects.toThrow();
      });

      test('listRemediations filters by target, rule, phase, alert, outcome and reason', async () => {
        const other = deployment('ci', 'ci-worker');
        const alertRow = await recordOne();
        const a1 = await store.createRemediation(remediationOf(actDecision('r1', web), at(1), { alertId: alertRow.id }));
        const b1 = await store.createRemediation(remediationOf(actDecision('r2', other), at(2)));
        await store.transitionRemediation(b1.id, 'planned', 'applying', { note: 'go' }, at(3));
        const a2 = await store.createRemediation(remediationOf(skipDecision('cooldown', 'r1', web), at(4), { alertId: alertRow.id }));
        const b2 = await store.createRemediation(remediationOf(skipDecision('dry-run', 'r2', other), at(5)));
        const none = await store.createRemediation(remediationOf(skipDecision('no-match', null, null), at(6)));
        const ids = async (q: Omit<Parameters<Store['listRemediations']>[0], 'limit'>) =>
          (await store.listRemediations({ ...q, limit: 50 })).items.map((r) => r.id);
        expect(await ids({})).toEqual([none.id, b2.id, a2.id, b1.id, a1.id]);
        expect(await ids({ targetKey: 'ci/deployment/ci-failure-agent' })).toEqual([a2.id, a1.id]);
        expect(await ids({ rule: 'r2' })).toEqual([b2.id, b1.id]);
        expect(await ids({ phase: 'applying' })).toEqual([b1.id]);
        expect(await ids({ alertId: alertRow.id })).toEqual([a2.id, a1.id]);
        expect(await ids({ outcome: 'skip' })).toEqual([none.id, b2.id, a2.id]);
        expect(await ids({ outcome: 'act' })).toEqual([b1.id, a1.id]);
        expect(await ids({ reason: 'cooldown' })).toEqual([a2.id]);
        expect(await ids({ outcome: 'act', targetKey: 'ci/deployment/ci-failure-agent' })).toEqual([a1.id]);
        const page = await store.listRemediations({ phase: 'applying', limit: 5 });
        expect(page.items[0]!.transitions.map((t) => t.to)).toEqual(['planned', 'applying']);
      });

      test('listRemediations pages newest first with a cursor, stable when newer remediations arrive', async () => {
        const ids: string[] = [];
        for (const s of [1, 2, 3, 3, 3, 4, 5]) ids.push((await store.createRemediation(remediationOf(actDecision('r', web), at(s)))).id);
        const p1 = await store.listRemediations({ limit: 3 });
        await store.createRemediation(remediationOf(actDecision('r', web), at(100)));
        const p2 = await store.listRemediations({ limit: 3, cursor: p1.nextCursor });
        const p3 = await store.listRemediations({ limit: 3, cursor: p2.nextCursor });
        const seen = [...p1.items, ...p2.items, ...p3.items];
        expect(seen).toHaveLength(7);
        expect(new Set(seen.map((r) => r.id))).toEqual(new Set(ids));
        const times = seen.map((r) => r.createdAt.getTime());
        expect(times).toEqual([...times].sort((x, y) => y - x));
        expect(p3.nextCursor).toBeNull();
        // a filter and a cursor together
        const f1 = await store.listRemediations({ targetKey: 'ci/deployment/ci-failure-agent', limit: 7 });
        expect(f1.items[0]!.createdAt).toEqual(at(100));
        expect(f1.nextCursor).not.toBeNull();
        const f2 = await store.listRemediations({ targetKey: 'ci/deployment/ci-failure-agent', limit: 7, cursor: f1.nextCursor });
        expect(f2.items).toHaveLength(1);
        expect(f2.nextCursor).toBeNull();
        await expect(store.listRemediations({ limit: 3, cursor: '!!' })).rejects.toThrow(/cursor/);
      });

      test('listRemediationsInPhases returns the remediations in those phases, for resume', async () => {
        const planned = await store.createRemediation(remediationOf(actDecision('r', web), at(1)));
        const applying = await store.createRemediation(remediationOf(actDecision('r', web), at(2)));
        await store.transitionRemediation(applying.id, 'planned', 'applying', { note: '' }, at(3));
        const validating = await store.createRemediation(remediationOf(actDecision('r', web), at(4)));
        await store.transitionRemediation(validating.id, 'planned', 'applying', { note: '' }, at(5));
        await store.transitionRemediation(validating.id, 'applying', 'validating', { note: '' }, at(6));
        await store.createRemediation(remediationOf(skipDecision('cooldown', 'r', web), at(7)));
        const inFlight = await store.listRemediationsInPhases(['applying', 'validating', 'rolling_back']);
        expect(inFlight.map((r) => r.id).sort()).toEqual([applying.id, validating.id].sort());
        expect(inFlight.find((r) => r.id === validating.id)!.transitions).toHaveLength(3);
        expect((await store.listRemediationsInPhases(['planned'])).map((r) => r.id)).toEqual([planned.id]);
        expect(await store.listRemediationsInPhases([])).toEqual([]);
      });
    });

    describe('actionHistory', () => {
      const a = deployment('ns1', 'a');
      const b = deployment('ns1', 'b');
      const c = deployment('ns2', 'c');

      const setup = async () => {
        const actA = await store.createRemediation(remediationOf(actDecision('r1', a, { replicas: 2 }, { replicas: 4 }), at(10)));
        await store.transitionRemediation(actA.id, 'planned', 'applying', { note: '' }, at(11));
        await store.transitionRemediation(actA.id, 'applying', 'validating', { note: '' }, at(12));
        await store.transitionRemediation(actA.id, 'validating', 'rolling_back', { note: 'p99 too high' }, at(15));
        await store.transitionRemediation(actA.id, 'rolling_back', 'rolled_back', { note: 'restored' }, at(20));
        const actB = await store.createRemediation(remediationOf(actDecision('r2', b, { replicas: 1 }, { replicas: 2 }), at(5)));
        const dryC = await store.createRemediation(
          remediationOf(skipDecision('dry-run', 'r1', c, { before: { replicas: 3 }, after: { replicas: 6 } }), at(8)),
        );
        // not actions: other skips, a no-match, and an act before `since`
        await store.createRemediation(remediationOf(skipDecision('cooldown', 'r1', a), at(9)));
        await store.createRemediation(remediationOf(skipDecision('budget-global', 'r1', c, { before: { replicas: 3 }, after: { replicas: 6 } }), at(9)));
        await store.createRemediation(remediationOf(skipDecision('no-match', null, null), at(9)));
        await store.createRemediation(remediationOf(actDecision('r1', a), at(-60)));
        return { actA, actB, dryC };
      };

      test('acts and dry-run would-be acts since `since`, newest first, with before/after and undoneAt', async () => {
        const { actA, actB, dryC } = await setup();
        const history = await store.actionHistory({ since: at(0) });
        expect(history).toEqual([
          {
            remediationId: actA.id,
            rule: 'r1',
            targetKey: 'ns1/deployment/a',
            namespace: 'ns1',
            at: at(10),
            phase: 'rolled_back',
            dryRun: false,
            before: { replicas: 2 },
            after: { replicas: 4 },
            undoneAt: at(20),
            origin: 'alert',
          },
          {
            remediationId: dryC.id,
            rule: 'r1',
            targetKey: 'ns2/deployment/c',
            namespace: 'ns2',
            at: at(8),
            phase: 'skipped',
            dryRun: true,
            before: { replicas: 3 },
            after: { replicas: 6 },
            undoneAt: null,
            origin: 'alert',
          },
          {
            remediationId: actB.id,
            rule: 'r2',
            targetKey: 'ns1/deployment/b',
            namespace: 'ns1',
            at: at(5),
            phase: 'planned',
            dryRun: false,
            before: { replicas: 1 },
            after: { replicas: 2 },
            undoneAt: null,
            origin: 'alert',
          },
        ]);
      });

      test.each([
        // `since` is inclusive
        [{ since: 8 }, ['ns1/deployment/a', 'ns2/deployment/c']],
        [{ since: 11 }, []],
        // the older act on a appears once since reaches back to it
        [{ since: -60, targetKey: 'ns1/deployment/a' }, ['ns1/deployment/a', 'ns1/deployment/a']],
        [{ since: 0, targetKey: 'ns1/deployment/a' }, ['ns1/deployment/a']],
        [{ since: 0, namespace: 'ns1' }, ['ns1/deployment/a', 'ns1/deployment/b']],
        [{ since: 0, namespace: 'ns2' }, ['ns2/deployment/c']],
        [{ since: 0, rule: 'r2' }, ['ns1/deployment/b']],
        [{ since: 0, rule: 'r1', namespace: 'ns1' }, ['ns1/deployment/a']],
      ])('query %j returns targets %j', async ({ since, ...filter }, targets) => {
        await setup();
        const history = await store.actionHistory({ since: at(since), ...filter });
        expect(history.map((h) => h.targetKey)).toEqual(targets);
      });

      // countActions: what the budgets count, over the same rows (acts at 10 and 5 and -60 in ns1, a
      // dry-run would-be act at 8 in ns2; skips and no-matches never count).
      test.each([
        [{ after: 0, includeDryRun: false }, 2],
        [{ after: 0, includeDryRun: true }, 3],
        // `after` is strict: "within the last windowMs"
        [{ after: 5, includeDryRun: false }, 1],
        [{ after: 5, includeDryRun: true }, 2],
        [{ after: -61, namespace: 'ns1', includeDryRun: false }, 3],
        [{ after: 0, namespace: 'ns2', includeDryRun: false }, 0],
        [{ after: 0, namespace: 'ns2', includeDryRun: true }, 1],
        [{ after: 10, includeDryRun: true }, 0],
      ])('countActions %j counts %d', async ({ after, ...q }, n) => {
        await setup();
        expect(await store.countActions({ after: at(after), ...q })).toBe(n);
      });

      // in-progress must see a run whatever its age (issue 21): the act on a at -60 is still planned.
      test.each([
        ['ns1/deployment/a', [-60]],
        ['ns1/deployment/b', [5]],
        ['ns2/deployment/c', []],
        ['ns9/deployment/none', []],
      ])('activeActions(%s): the active runs of the target whatever their age, at %j', async (key, ats) => {
        await setup();
        const active = await store.activeActions(key);
        expect(active.map((h) => [h.targetKey, h.at.getTime()])).toEqual(ats.map((t) => [key, at(t).getTime()]));
        expect(active.every((h) => ['planned', 'applying', 'validating', 'rolling_back'].includes(h.phase))).toBe(true);
      });

      test('activeActions: a run leaves it once it reaches a final phase', async () => {
        const rem = await store.createRemediation(remediationOf(actDecision('r1', a, { replicas: 2 }, { replicas: 4 }), at(-100_000)));
        await store.transitionRemediation(rem.id, 'planned', 'applying', { note: '' }, at(1));
        await store.transitionRemediation(rem.id, 'applying', 'validating', { note: '' }, at(2));
        expect((await store.activeActions('ns1/deployment/a')).map((h) => [h.remediationId, h.phase])).toEqual([[rem.id, 'validating']]);
        await store.transitionRemediation(rem.id, 'validating', 'succeeded', { note: '' }, at(3));
        expect(await store.activeActions('ns1/deployment/a')).toEqual([]);
      });

      test('countActions agrees with counting actionHistory, as the planner once did', async () => {
        await setup();
        const history = await store.actionHistory({ since: at(-120) });
        for (const after of [-61, 0, 5, 8, 9]) {
          for (const includeDryRun of [false, true]) {
            for (const namespace of [undefined, 'ns1', 'ns2']) {
              const expected = history.filter((h) => h.at.getTime() > at(after).getTime() && (includeDryRun || !h.dryRun) && (namespace === undefined || h.namespace === namespace)).length;
              expect(await store.countActions({ after: at(after), includeDryRun, ...(namespace ? { namespace } : {}) })).toBe(expected);
            }
          }
        }
      });
    });

    describe('run leases', () => {
      const web = deployment('ci', 'ci-failure-agent');
      const planned = async () => store.createRemediation(remediationOf(actDecision('r', web, { replicas: 2 }, { replicas: 4 }), at(0)));

      test('a run nobody leased can be claimed once; a fresh heartbeat keeps it; a stale one frees it', async () => {
        const rem = await planned();
        // no heartbeat yet: claimable, by exactly one of two
        expect(await store.claimRemediation(rem.id, 'a', at(0), at(1))).toBe(true);
        expect(await store.claimRemediation(rem.id, 'b', at(0), at(1))).toBe(false);
        // a heartbeat at 10 s: not stale for "older than 5 s"
        await store.leaseRemediations([rem.id], 'a', at(10));
        expect(await store.claimRemediation(rem.id, 'b', at(5), at(11))).toBe(false);
        // another owner's heartbeat does not touch a's run
        await store.leaseRemediations([rem.id], 'b', at(40));
        expect(await store.claimRemediation(rem.id, 'b', at(20), at(41))).toBe(true);
        expect(await store.claimRemediation(rem.id, 'a', at(20), at(42))).toBe(false);
      });

      test('a run recorded with an owner is leased from its first commit: nobody else claims it while fresh', async () => {
        const rem = await store.createRemediation({ ...remediationOf(actDecision('r', web, { replicas: 2 }, { replicas: 4 }), at(10)), owner: 'a' });
        expect(await store.claimRemediation(rem.id, 'b', at(5), at(11))).toBe(false);
        // stale once its heartbeat (the recording) is older than the lease
        expect(await store.claimRemediation(rem.id, 'b', at(20), at(21))).toBe(true);
      });

      test('fenceLease: the owner renews its lease; another owner only takes it once stale; any phase', async () => {
        const rem = await store.createRemediation({ ...remediationOf(actDecision('r', web, { replicas: 2 }, { replicas: 4 }), at(10)), owner: 'a' });
        // the owner renews (heartbeat 12 s), whatever staleBefore says
        expect(await store.fenceLease(rem.id, 'a', at(100), at(12))).toBe(true);
        // b may not while a's lease (12 s) is live for "older than 5 s"
        expect(await store.fenceLease(rem.id, 'b', at(5), at(13))).toBe(false);
        expect(await store.claimRemediation(rem.id, 'b', at(11), at(13))).toBe(false);
        // stale: b takes it, and from then on a's fence fails
        expect(await store.fenceLease(rem.id, 'b', at(20), at(21))).toBe(true);
        expect(await store.fenceLease(rem.id, 'a', at(5), at(22))).toBe(false);
        // a terminal run (a manual rollback takes a succeeded run's lease)
        await store.transitionRemediation(rem.id, 'planned', 'failed', { note: 'x' }, at(23));
        expect(await store.fenceLease(rem.id, 'a', at(15), at(24))).toBe(false);
        expect(await store.fenceLease(rem.id, 'a', at(100), at(101))).toBe(true);
        expect(await store.fenceLease('no-such-run', 'a', at(100), at(101))).toBe(false);
      });

      test('terminal runs are never claimed', async () => {
        const rem = await planned();
        await store.transitionRemediation(rem.id, 'planned', 'failed', { note: 'x' }, at(1));
        expect(await store.claimRemediation(rem.id, 'a', at(100), at(100))).toBe(false);
      });

      testWithPeer('two replicas claiming the same stale run at once: exactly one wins', async () => {
        const other = await peer();
        const rems = await Promise.all([1, 2, 3, 4, 5].map(() => planned()));
        for (const rem of rems) {
          const results = await Promise.all([store.claimRemediation(rem.id, 'a', at(1), at(1)), other.claimRemediation(rem.id, 'b', at(1), at(1))]);
          expect(results.filter(Boolean)).toHaveLength(1);
        }
      });
    });

    describe('breakers', () => {
      const key = 'ci/deployment/ci-failure-agent';

      test('open, re-open, reset, open again', async () => {
        expect(await store.getBreaker(key)).toBeNull();
        expect(await store.resetBreaker(key, 'alice', at(0))).toBe(false);
        await store.openBreaker(key, 'rollback failed', at(1));
        expect(await store.getBreaker(key)).toEqual({ targetKey: key, open: true, reason: 'rollback failed', openedAt: at(1), resetAt: null, resetBy: null });
        await store.openBreaker(key, 'rolled back 3 times in 1h', at(2)); // idempotent: first openedAt stays
        expect(await store.getBreaker(key)).toMatchObject({ open: true, reason: 'rolled back 3 times in 1h', openedAt: at(1) });
        expect(await store.resetBreaker(key, 'alice', at(3))).toBe(true);
        expect(await store.getBreaker(key)).toEqual({ targetKey: key, open: false, reason: 'rolled back 3 times in 1h', openedAt: at(1), resetAt: at(3), resetBy: 'alice' });
        expect(await store.resetBreaker(key, 'bob', at(4))).toBe(false);
        await store.openBreaker(key, 'rollback failed again', at(5));
        expect(await store.getBreaker(key)).toEqual({ targetKey: key, open: true, reason: 'rollback failed again', openedAt: at(5), resetAt: null, resetBy: null });
      });

      test('listBreakers lists open and reset breakers', async () => {
        expect(await store.listBreakers()).toEqual([]);
        await store.openBreaker('ns/deployment/x', 'x', at(1));
        await store.openBreaker('ns/deployment/y', 'y', at(2));
        await store.resetBreaker('ns/deployment/x', 'alice', at(3));
        const list = await store.listBreakers();
        expect(list.map((b) => [b.targetKey, b.open]).sort()).toEqual([
          ['ns/deployment/x', false],
          ['ns/deployment/y', true],
        ]);
      });
    });

    describe('pauses', () => {
      const target = { scope: 'target', namespace: 'ci', kind: 'deployment', name: 'api' } as const;

      test('a pause is in force from creation until its expiry, and survives a reopen of the list', async () => {
        expect(await store.listActivePauses(at(0))).toEqual([]);
        const p = await store.createPause({ subject: target, actor: 'alice', reason: 'db migration', at: at(1), expiresAt: at(100) });
        expect(p).toEqual({ id: expect.any(String), scopeKey: 'target:ci/deployment/api', subject: target, actor: 'alice', reason: 'db migration', at: at(1), expiresAt: at(100), endedAt: null, endedBy: null });
        expect(await store.listActivePauses(at(2))).toEqual([p]);
        expect(await store.listActivePauses(at(99))).toEqual([p]);
        expect(await store.listActivePauses(at(100))).toEqual([]); // the expiry instant is no longer paused
      });

      test('an open-ended pause holds until ended; endPauses ends exactly that scope and says what it ended', async () => {
        const g = await store.createPause({ subject: { scope: 'global' }, actor: 'alice', reason: 'incident', at: at(1), expiresAt: null });
        const ns = await store.createPause({ subject: { scope: 'namespace', namespace: 'ci' }, actor: 'bob', reason: 'deploy', at: at(2), expiresAt: null });
        expect((await store.listActivePauses(at(10_000))).map((x) => x.id)).toEqual([g.id, ns.id]);
        expect(await store.endPauses('rule:none', 'carol', at(3))).toEqual([]);
        const ended = await store.endPauses('global', 'carol', at(4));
        expect(ended).toEqual([{ ...g, endedAt: at(4), endedBy: 'carol' }]);
        expect((await store.listActivePauses(at(5))).map((x) => x.id)).toEqual([ns.id]);
        expect(await store.endPauses('global', 'carol', at(6))).toEqual([]); // already ended
      });

      test('an expired pause is not ended again by hand', async () => {
        await store.createPause({ subject: { scope: 'rule', rule: 'scale-api' }, actor: 'alice', reason: 'x', at: at(1), expiresAt: at(5) });
        expect(await store.endPauses('rule:scale-api', 'bob', at(6))).toEqual([]);
      });

      test('expirePauses ends expired pauses at their expiry, once', async () => {
        const a = await store.createPause({ subject: { scope: 'rule', rule: 'scale-api' }, actor: 'alice', reason: 'x', at: at(1), expiresAt: at(5) });
        const b = await store.createPause({ subject: { scope: 'global' }, actor: 'alice', reason: 'y', at: at(1), expiresAt: at(50) });
        await store.createPause({ subject: { scope: 'global' }, actor: 'alice', reason: 'z', at: at(1), expiresAt: null });
        expect(await store.expirePauses(at(4))).toEqual([]);
        expect(await store.expirePauses(at(10))).toEqual([{ ...a, endedAt: at(5), endedBy: 'expiry' }]);
        expect(await store.expirePauses(at(10))).toEqual([]);
        expect((await store.expirePauses(at(60))).map((x) => x.id)).toEqual([b.id]);
      });

      testWithPeer('a pause set through one replica is in force for the other at once', async () => {
        const other = await peer();
        const p = await store.createPause({ subject: { scope: 'global' }, actor: 'alice', reason: 'incident', at: at(1), expiresAt: null });
        expect(await other.listActivePauses(at(2))).toEqual([p]);
        await other.endPauses('global', 'bob', at(3));
        expect(await store.listActivePauses(at(4))).toEqual([]);
      });

      testWithPeer('two replicas expiring together: each expired pause goes to exactly one', async () => {
        const other = await peer();
        for (let i = 0; i < 10; i++) await store.createPause({ subject: { scope: 'rule', rule: `r${i}` }, actor: 'alice', reason: 'x', at: at(1), expiresAt: at(2) });
        const [mine, theirs] = await Promise.all([store.expirePauses(at(3)), other.expirePauses(at(3))]);
        expect(mine.length + theirs.length).toBe(10);
        expect(new Set([...mine, ...theirs].map((p) => p.id)).size).toBe(10);
      });
    });

    describe('slack threads', () => {
      test('remembered per remediation, replaced, forgotten; another replica sees the same thread', async () => {
        const web = deployment('ci', 'web');
        const rem = await store.createRemediation(remediationOf(actDecision('scale-web', web), at(1)));
        const other = await store.createRemediation(remediationOf(skipDecision('cooldown', 'scale-web', web), at(2)));
        expect(await store.getSlackThread(rem.id)).toBeNull();
        await store.setSlackThread(rem.id, { channel: 'C0123ABCD', ts: '1733450000.000100' });
        expect(await store.getSlackThread(rem.id)).toEqual({ channel: 'C0123ABCD', ts: '1733450000.000100' });
        expect(await store.getSlackThread(other.id)).toBeNull();
        // A new parent (the old one was deleted) replaces the thread.
        await store.setSlackThread(rem.id, { channel: 'C0123ABCD', ts: '1733450100.000200' });
        expect(await store.getSlackThread(rem.id)).toEqual({ channel: 'C0123ABCD', ts: '1733450100.000200' });
        await store.setSlackThread(rem.id, null);
        expect(await store.getSlackThread(rem.id)).toBeNull();
        await store.setSlackThread(rem.id, null); // forgetting twice is fine
      });

      testWithPeer('a thread set by one replica is read by another', async () => {
        const rem = await store.createRemediation(remediationOf(actDecision('scale-web', deployment('ci', 'web')), at(1)));
        await store.setSlackThread(rem.id, { channel: 'C0123ABCD', ts: '1733450000.000100' });
        const other = await peer();
        expect(await other.getSlackThread(rem.id)).toEqual({ channel: 'C0123ABCD', ts: '1733450000.000100' });
      });
    });

    describe('approval', () => {
      test('a run awaiting approval holds its target; ended without acting it becomes the skip it is, no longer an action', async () => {
        const web = deployment('ci', 'web');
        const act = actDecision('scale-web', web, { replicas: 2 }, { replicas: 4 });
        const rem = await store.createRemediation(remediationOf(act, at(1)));
        await store.transitionRemediation(rem.id, 'planned', 'awaiting_approval', { note: 'waiting for approval', result: { approval: { deadline: at(3600).toISOString() } } }, at(2));
        expect((await store.activeActions('ci/deployment/web')).map((h) => [h.remediationId, h.phase])).toEqual([[rem.id, 'awaiting_approval']]);
        expect((await store.listRemediationsInPhases(['awaiting_approval'])).map((r) => r.id)).toEqual([rem.id]);
        expect(await store.countActions({ after: at(0), includeDryRun: false })).toBe(1);
        const skip = { ...act, outcome: 'skip' as const, reason: 'approval-expired' as const, explanation: 'Approval expired: nobody approved it.' };
        const ended = await store.transitionRemediation(rem.id, 'awaiting_approval', 'skipped', { note: skip.explanation, decision: skip, result: { approval: { outcome: 'expired' } } }, at(3));
        expect(ended.phase).toBe('skipped');
        expect(ended.decision).toEqual(skip);
        expect(ended.result).toEqual({ approval: { outcome: 'expired' } });
        expect(ended.transitions.map((t) => [t.from, t.to])).toEqual([[null, 'planned'], ['planned', 'awaiting_approval'], ['awaiting_approval', 'skipped']]);
        expect((await store.listRemediations({ reason: 'approval-expired', limit: 10 })).items.map((r) => r.id)).toEqual([rem.id]);
        expect((await store.listRemediations({ outcome: 'act', limit: 10 })).items).toEqual([]);
        expect(await store.activeActions('ci/deployment/web')).toEqual([]);
        expect(await store.actionHistory({ since: at(0) })).toEqual([]);
        expect(await store.countActions({ after: at(0), includeDryRun: true })).toBe(0);
      });

      test('awaiting_approval goes back to planned (approved) or ends skipped; nowhere else', async () => {
        const rem = await store.createRemediation(remediationOf(actDecision('r', deployment('ci', 'web')), at(1)));
        await store.transitionRemediation(rem.id, 'planned', 'awaiting_approval', { note: '' }, at(2));
        await expect(store.transitionRemediation(rem.id, 'awaiting_approval', 'applying', { note: '' }, at(3))).rejects.toThrow('illegal remediation transition awaiting_approval -> applying');
        const approved = await store.transitionRemediation(rem.id, 'awaiting_approval', 'planned', { note: 'approved by alice' }, at(3));
        expect(approved.decision.outcome).toBe('act');
        await store.transitionRemediation(rem.id, 'planned', 'applying', { note: '' }, at(4));
        expect((await store.actionHistory({ since: at(0) })).map((h) => h.remediationId)).toEqual([rem.id]);
      });

      test('rememberSlackRequest: a signature is new once; forgotten once older than the window', async () => {
        expect(await store.rememberSlackRequest('v0=aa', at(1), at(-600))).toBe(true);
        expect(await store.rememberSlackRequest('v0=aa', at(2), at(-600))).toBe(false);
        expect(await store.rememberSlackRequest('v0=bb', at(2), at(-600))).toBe(true);
        // Once older than forgetBefore it is forgotten (the timestamp window refuses it anyway).
        expect(await store.rememberSlackRequest('v0=aa', at(700), at(100))).toBe(true);
        const concurrent = await Promise.all([1, 2, 3, 4].map(() => store.rememberSlackRequest('v0=cc', at(5), at(-600))));
        expect(concurrent.filter(Boolean)).toHaveLength(1);
      });

      testWithPeer('a signature seen by one replica is a replay on another', async () => {
        expect(await store.rememberSlackRequest('v0=dd', at(1), at(-600))).toBe(true);
        const other = await peer();
        expect(await other.rememberSlackRequest('v0=dd', at(2), at(-600))).toBe(false);
      });
    });

    describe('retention (pruneHistory) and narrow duplicates', () => {
      const web = deployment('ci', 'ci-failure-agent');
      const DAY = 86_400;
      /** A cutoff at `seconds`; evidence window and restore rules that keep nothing unless told. */
      const cut = (seconds: number, over: Partial<{ keepActionsAfter: Date; keepUnrestoredOfRules: string[]; limit: number }> = {}) => ({
        before: at(seconds),
        keepActionsAfter: at(seconds),
        keepUnrestoredOfRules: [] as string[],
        limit: 100,
        ...over,
      });
      /** pruneHistory until it deletes nothing; the totals. */
      const pruneAll = async (b: ReturnType<typeof cut>) => {
        const total = { remediations: 0, alerts: 0, notifications: 0, calls: 0 };
        for (;;) {
          const r = await store.pruneHistory(b);
          total.calls += 1;
          total.remediations += r.remediations;
          total.alerts += r.alerts;
          total.notifications += r.notifications;
          if (r.remediations + r.alerts + r.notifications === 0) return total;
          if (total.calls > 100) throw new Error('pruneHistory never came to an end');
        }
      };
      const decided = async (a: WebhookAlert, seconds: number) => {
        const [r] = await record([a], at(seconds));
        await store.markAlertDecided(r!.id, at(seconds));
        return r!;
      };

      test('a duplicate is narrow: it reads its labels, annotations and generatorURL through its first copy', async () => {
        const a = alert({ annotations: { summary: 'first' } });
        const [first] = await record([a], at(0));
        const [dup] = await record([{ ...a, annotations: { summary: 'repeat' }, endsAt: '2026-11-28T10:30:00Z' }], at(60));
        expect(dup!.duplicateOf).toBe(first!.id);
        const stored = await store.getAlert(dup!.id);
        expect(stored).toMatchObject({ id: dup!.id, duplicateOf: first!.id, labels: a.labels, annotations: { summary: 'first' }, generatorURL: a.generatorURL, receivedAt: at(60) });
        expect(stored!.endsAt).toBe('2026-11-28T10:30:00Z');
        const page = await store.listAlerts({ duplicate: true, limit: 10 });
        expect(page.items.map((x) => [x.id, x.labels])).toEqual([[dup!.id, a.labels]]);
      });

      test('old decided alerts go with all their duplicates; recent and undecided ones stay', async () => {
        const old = alert();
        const first = await decided(old, 0);
        const [dup1] = await record([old], at(10));
        const [dup2] = await record([old], at(20));
        const undecidedOld = (await record([alert()], at(0)))[0]!;
        const recent = await decided(alert(), 2 * DAY);
        const total = await pruneAll(cut(DAY));
        expect(total).toMatchObject({ remediations: 0, alerts: 3, notifications: 3 });
        for (const id of [first.id, dup1!.id, dup2!.id]) expect(await store.getAlert(id)).toBeNull();
        expect(await store.getAlert(undecidedOld.id)).not.toBeNull();
        expect(await store.getAlert(recent.id)).not.toBeNull();
        // A new delivery of the deleted identity is a first delivery again.
        const [again] = await record([old], at(2 * DAY));
        expect(again!.duplicateOf).toBeNull();
      });

      test('a first copy delivered again after the cutoff stays, and so do its older duplicates', async () => {
        const a = alert();
        const first = await decided(a, 0);
        const [early] = await record([a], at(10));
        const [late] = await record([a], at(2 * DAY));
        expect(await pruneAll(cut(DAY))).toMatchObject({ alerts: 0 });
        for (const id of [first.id, early!.id, late!.id]) expect(await store.getAlert(id)).not.toBeNull();
        expect((await store.getAlert(late!.id))!.labels).toEqual(a.labels);
        // Once the last delivery is older than the cutoff, the whole group goes.
        expect(await pruneAll(cut(3 * DAY))).toMatchObject({ alerts: 3 });
      });

      test('an old finished remediation goes with its transitions and Slack thread, then its alert', async () => {
        const a = await decided(alert(), 0);
        const rem = await store.createRemediation(remediationOf(skipDecision('cooldown', 'scale-on-queue', web), at(1), { alertId: a.id }));
        await store.setSlackThread(rem.id, { channel: 'C0123ABCD', ts: '1733450000.000100' });
        const total = await pruneAll(cut(DAY));
        expect(total).toMatchObject({ remediations: 1, alerts: 1 });
        expect(await store.getRemediation(rem.id)).toBeNull();
        expect(await store.getSlackThread(rem.id)).toBeNull();
        expect(await store.getAlert(a.id)).toBeNull();
      });

      test('what a kept remediation needs stays: a run in flight and its alert, breakers', async () => {
        const a = await decided(alert(), 0);
        const inFlight = await store.createRemediation(remediationOf(actDecision('scale-on-queue', web), at(1), { alertId: a.id }));
        await store.transitionRemediation(inFlight.id, 'planned', 'applying', { note: 'applying' }, at(2));
        await store.openBreaker('ci/deployment/other', 'three rollbacks', at(3));
        expect(await pruneAll(cut(DAY))).toMatchObject({ remediations: 0, alerts: 0 });
        expect((await store.getRemediation(inFlight.id))!.transitions).toHaveLength(2);
        expect(await store.getAlert(a.id)).not.toBeNull();
        expect((await store.getBreaker('ci/deployment/other'))!.open).toBe(true);
        // Finished, it goes with its alert at the next pass.
        await store.transitionRemediation(inFlight.id, 'applying', 'failed', { note: 'apply failed' }, at(4));
        expect(await pruneAll(cut(DAY))).toMatchObject({ remediations: 1, alerts: 1 });
        expect((await store.getBreaker('ci/deployment/other'))!.open).toBe(true);
      });

      test('actions after keepActionsAfter stay (cooldown, budget, breaker evidence); skips of the same age go', async () => {
        const action = await store.createRemediation(remediationOf(actDecision('scale-on-queue', web), at(100)));
        await store.transitionRemediation(action.id, 'planned', 'applying', { note: 'applying' }, at(101));
        await store.transitionRemediation(action.id, 'applying', 'validating', { note: 'validating' }, at(102));
        await store.transitionRemediation(action.id, 'validating', 'succeeded', { note: 'healthy' }, at(103));
        const skip = await store.createRemediation(remediationOf(skipDecision('cooldown', 'scale-on-queue', web), at(100)));
        expect(await pruneAll(cut(DAY, { keepActionsAfter: at(50) }))).toMatchObject({ remediations: 1 });
        expect(await store.getRemediation(skip.id)).toBeNull();
        expect(await store.actionHistory({ since: at(0), targetKey: 'ci/deployment/ci-failure-agent' })).toHaveLength(1);
        expect(await pruneAll(cut(DAY, { keepActionsAfter: at(200) }))).toMatchObject({ remediations: 1 });
        expect(await store.getRemediation(action.id)).toBeNull();
      });

      test('a raise awaiting its restore stays while its rule has restore; restored, it goes', async () => {
        const raise = await store.createRemediation(remediationOf(actDecision('scale-on-queue', web), at(0)));
        await store.transitionRemediation(raise.id, 'planned', 'applying', { note: 'applying' }, at(1));
        await store.transitionRemediation(raise.id, 'applying', 'validating', { note: 'validating' }, at(2));
        await store.transitionRemediation(raise.id, 'validating', 'succeeded', { note: 'healthy' }, at(3));
        expect(await pruneAll(cut(DAY, { keepUnrestoredOfRules: ['scale-on-queue'] }))).toMatchObject({ remediations: 0 });
        await store.mergeRemediationResult(raise.id, { restore: { done: true } }, at(DAY / 2));
        expect(await pruneAll(cut(DAY, { keepUnrestoredOfRules: ['scale-on-queue'] }))).toMatchObject({ remediations: 1 });
      });

      test('a batch takes at most `limit` alerts and as many remediations; repeated, it takes all', async () => {
        for (let i = 0; i < 5; i++) await decided(alert(), i);
        for (let i = 0; i < 3; i++) await store.createRemediation(remediationOf(skipDecision('no-match', null, null), at(i)));
        const one = await store.pruneHistory(cut(DAY, { limit: 2 }));
        expect(one).toMatchObject({ remediations: 2, alerts: 2 });
        expect(await pruneAll(cut(DAY, { limit: 2 }))).toMatchObject({ remediations: 1, alerts: 3 });
        expect((await store.listAlerts({ limit: 10 })).items).toHaveLength(0);
        await expect(store.pruneHistory(cut(DAY, { limit: 0 }))).rejects.toThrow(/limit/);
      });

      test('alertBoundCutoff: the newest `max` rows stay; null while the store holds no more', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 10; i++) ids.push((await decided(alert(), i)).id);
        expect(await store.alertBoundCutoff(10)).toBeNull();
        const cutoff = await store.alertBoundCutoff(4);
        expect(cutoff).toEqual(new Date(at(5).getTime() + 1));
        await pruneAll({ ...cut(0), before: cutoff!, keepActionsAfter: at(0) });
        const left = (await store.listAlerts({ limit: 20 })).items.map((a) => a.id);
        expect(left.sort()).toEqual(ids.slice(6).sort());
        await expect(store.alertBoundCutoff(-1)).rejects.toThrow(/max/);
      });

      test('sizeBytes is what the store takes; reclaimSpace hands back what it can (never negative)', async () => {
        const size = await store.sizeBytes();
        expect(size).toBeGreaterThan(0);
        for (let i = 0; i < 50; i++) await decided(alert(), i);
        await pruneAll(cut(DAY));
        expect(await store.reclaimSpace(1000)).toBeGreaterThanOrEqual(0);
      });
    });

    describe('withTargetLock', () => {
      test("returns fn's value, passes on fn's error, and is free again afterwards", async () => {
        await expect(store.withTargetLock('k', () => Promise.resolve(42))).resolves.toBe(42);
        await expect(store.withTargetLock('k', () => Promise.reject(new Error('apply failed')))).rejects.toThrow('apply failed');
        await expect(within(store.withTargetLock('k', () => Promise.resolve('again')), 2000, 'lock not released after a throw')).resolves.toBe('again');
      });

      test('one key: holders run one at a time, in call order', async () => {
        let active = 0;
        let maxActive = 0;
        const order: number[] = [];
        await Promise.all(
          [0, 1, 2, 3].map((i) =>
            store.withTargetLock('ns/deployment/a', async () => {
              active++;
              maxActive = Math.max(maxActive, active);
              order.push(i);
              await sleep(15);
              active--;
            }),
          ),
        );
        expect(maxActive).toBe(1);
        expect(order).toEqual([0, 1, 2, 3]);
      });

      test('different keys: holders run at the same time', async () => {
        let enteredB!: () => void;
        const bIsIn = new Promise<void>((resolve) => {
          enteredB = resolve;
        });
        const holdA = store.withTargetLock('ns/deployment/a', async () => {
          await within(bIsIn, 2000, 'b never ran while a was held');
          return 'a';
        });
        const holdB = store.withTargetLock('ns/deployment/b', () => {
          enteredB();
          return Promise.resolve('b');
        });
        await expect(Promise.all([holdA, holdB])).resolves.toEqual(['a', 'b']);
      });
    });
  });
}
