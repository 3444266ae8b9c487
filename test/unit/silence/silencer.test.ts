/**
 * The Silencer's bookkeeping, with a scripted transport (the real Alertmanager is in
 * test/integration/silence): a run that ends before its silence is created still gets it
 * expired; a run resumed by another replica expires the silence its stored result names;
 * restore steps are not silenced; failures are recorded and announced.
 */
import type { StoredAlert } from '../../../src/domain/alert.js';
import type { Phase, Remediation } from '../../../src/domain/remediation.js';
import { ManualClock } from '../../../src/platform/clock.js';
import { silentLogger } from '../../../src/platform/logger.js';
import type { SilenceTransport } from '../../../src/silence/alertmanager-http.js';
import type { PostableSilence, SilenceAnswer } from '../../../src/silence/plan.js';
import { Silencer, type SilenceRecord } from '../../../src/silence/silencer.js';
import { ruleSchema } from '../../../src/rule-table/schema.js';
import type { Rule } from '../../../src/rule-table/rule.js';

const LABELS = { alertname: 'QueueDepthHigh', cluster: 'e2e-local', instance: '127.0.0.1:18080', job: 'ci-failure-agent', namespace: 'ci', queue: 'ci-failure-events', service: 'ci-failure-agent', severity: 'warning' };

class ScriptedTransport implements SilenceTransport {
  readonly calls: string[] = [];
  createGate: Promise<void> = Promise.resolve();
  constructor(private readonly answers: Record<string, SilenceAnswer>) {}
  async create(url: string, _s: PostableSilence): Promise<SilenceAnswer> {
    await this.createGate;
    this.calls.push(`create ${url}`);
    return this.answers[url] ?? { ok: true, id: `sil-${url}` };
  }
  expire(url: string, id: string): Promise<SilenceAnswer> {
    this.calls.push(`expire ${url} ${id}`);
    return Promise.resolve({ ok: true, id });
  }
}

function setup(transport: SilenceTransport, urls = ['http://am-0:9093', 'http://am-1:9093']) {
  const results = new Map<string, Record<string, unknown>>();
  const announced: string[] = [];
  const rule: Rule = { ...ruleSchema.parse({ name: 'queue-add-consumers', matchers: ['alertname="QueueDepthHigh"'], target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: 'c' }, action: { type: 'scale', maxReplicas: 5 }, silenceDuringValidation: true }), source: { file: 'x', index: 0 }, compiled: [] };
  const silencer = new Silencer({
    urls,
    transport,
    globalDefault: false,
    ruleLookup: (n) => (n === rule.name ? rule : undefined),
    alertLookup: (id) => Promise.resolve({ id, labels: LABELS } as unknown as StoredAlert),
    store: {
      mergeRemediationResult: (id, r) => {
        results.set(id, { ...(results.get(id) ?? {}), ...r });
        return Promise.resolve();
      },
    },
    clock: new ManualClock(),
    logger: silentLogger,
    announce: (t) => announced.push(t),
  });
  return { silencer, results, announced };
}

/** The fields of a run the Silencer reads. */
const rem = (over: Partial<Remediation> = {}): Remediation => ({ id: 'r-1', alertId: 'a-1', rule: 'queue-add-consumers', origin: 'alert', result: null, ...over }) as unknown as Remediation;
const event = (r: Remediation, from: Phase | null, to: Phase) => ({ remediation: r, from, to, note: '' });

test('a run that ends while its silence is still being created: the silence is expired once created', async () => {
  const t = new ScriptedTransport({});
  let open!: () => void;
  t.createGate = new Promise((r) => (open = r));
  const { silencer, results } = setup(t);
  silencer.onTransition(event(rem(), 'applying', 'validating'));
  silencer.onTransition(event(rem(), 'validating', 'succeeded'));
  open();
  await silencer.drain(2000);
  expect(t.calls.sort()).toEqual(['create http://am-0:9093', 'create http://am-1:9093', 'expire http://am-0:9093 sil-http://am-0:9093', 'expire http://am-1:9093 sil-http://am-1:9093']);
  expect((results.get('r-1')!.silence as SilenceRecord).expired).toHaveLength(2);
});

test('a run resumed here after another replica silenced it: the stored record is expired', async () => {
  const t = new ScriptedTransport({});
  const { silencer } = setup(t);
  const stored: SilenceRecord = { matchers: [], endsAt: '2026-11-28T12:10:00Z', created: [{ alertmanager: 'am-1:9093', id: 'sil-x' }], failures: [] };
  silencer.onTransition(event(rem({ result: { silence: stored } }), 'rolling_back', 'rolled_back'));
  await silencer.drain(2000);
  expect(t.calls).toEqual(['expire http://am-1:9093 sil-x']);
});

test('restore steps are not silenced; a run of a rule without silences is left alone', async () => {
  const t = new ScriptedTransport({});
  const { silencer } = setup(t);
  silencer.onTransition(event(rem({ origin: 'restore' }), 'applying', 'validating'));
  silencer.onTransition(event(rem({ rule: 'other-rule' }), 'applying', 'validating'));
  await silencer.drain(2000);
  expect(t.calls).toEqual([]);
});

test('a peer that refuses: recorded with the run and announced; the other peer is silenced', async () => {
  const t = new ScriptedTransport({ 'http://am-1:9093': { ok: false, reason: 'network', detail: 'ECONNREFUSED' } });
  const { silencer, results, announced } = setup(t);
  silencer.onTransition(event(rem(), 'applying', 'validating'));
  await silencer.drain(2000);
  const rec = results.get('r-1')!.silence as SilenceRecord;
  expect(rec.created).toEqual([{ alertmanager: 'am-0:9093', id: 'sil-http://am-0:9093' }]);
  expect(rec.failures).toEqual([{ alertmanager: 'am-1:9093', step: 'create', reason: 'network', detail: 'ECONNREFUSED' }]);
  expect(announced).toEqual([expect.stringContaining('Could not silence the alert in Alertmanager for remediation r-1 (rule queue-add-consumers): am-1:9093: network (ECONNREFUSED)')]);
});
