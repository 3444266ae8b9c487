/**
 * The contract of a metrics source (validation/prometheus.ts MetricsSource): what the validator
 * relies on. Run on PrometheusSource against a real Prometheus (metrics-source-prometheus.test.ts)
 * and on the ScriptedMetrics the driver's tests use (metrics-source-fake.test.ts).
 *
 * An instant query of one series answers its value; a selector that matches nothing, a syntax
 * error and NaN are errors with a message, never a rejection (errors are data: the validator
 * folds them into measurements).
 */
import type { MetricsSource, QueryResult } from '../../src/validation/prometheus.js';

export interface MetricsHarness {
  source: MetricsSource;
  /** Make the gauge `contract_queue_depth{queue="<queue>"}` read `value`; resolves once the source answers it. */
  set(queue: string, value: number): Promise<void>;
  /** A source whose server cannot be reached; omitted when there is no server to miss. */
  unreachable?: () => MetricsSource;
  close(): Promise<void>;
}

const settled = async (p: Promise<QueryResult>): Promise<QueryResult> => {
  await expect(p).resolves.toBeDefined();
  return p;
};

export function runMetricsSourceContract(name: string, makeHarness: () => Promise<MetricsHarness>): void {
  describe(`metrics source contract: ${name}`, () => {
    let h: MetricsHarness;
    beforeAll(async () => {
      h = await makeHarness();
    }, 60_000);
    afterAll(async () => h?.close());

    test('one series: its value', async () => {
      await h.set('events', 1500);
      expect(await settled(h.source.query('contract_queue_depth{queue="events"}'))).toEqual({ ok: true, value: 1500 });
      await h.set('events', 12.5);
      expect(await settled(h.source.query('contract_queue_depth{queue="events"}'))).toEqual({ ok: true, value: 12.5 });
    });

    test('a selector that matches nothing: an error saying there was no data', async () => {
      const r = await settled(h.source.query('contract_queue_depth{queue="nobody"}'));
      expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/no data/) });
    });

    test('a syntax error: an error with the server’s words, not a rejection', async () => {
      const r = await settled(h.source.query('sum(contract_queue_depth'));
      expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/^Prometheus answered 400: .*parse error/) });
    });

    test('NaN is an error, not a value', async () => {
      await h.set('zero', 0);
      const r = await settled(h.source.query('contract_queue_depth{queue="zero"} / contract_queue_depth{queue="zero"}'));
      expect(r).toEqual({ ok: false, error: 'the query returned NaN' });
    });

    test('a server that cannot be reached: an error naming it, not a rejection', async () => {
      if (!h.unreachable) return; // no server behind this source
      const r = await settled(h.unreachable().query('up'));
      expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/Prometheus unreachable/) });
    });
  });
}
