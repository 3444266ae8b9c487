/**
 * Validation against a real Prometheus (Debian package `prometheus`) scraping a
 * test target whose values the test sets: measured values, relative thresholds,
 * and Prometheus errors as data.
 */
import { ACTION_KINDS } from '../../../src/actions/registry.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeWithBinaries, startPrometheus, waitFor, type RunningBinary } from '../../helpers/binaries.js';
import { PrometheusSource } from '../../../src/validation/prometheus.js';
import { ClusterValidator } from '../../../src/validation/validator.js';
import { ruleSchema } from '../../../src/rule-table/schema.js';
import type { Rule } from '../../../src/rule-table/rule.js';
import type { Remediation } from '../../../src/domain/remediation.js';
import { systemClock } from '../../../src/platform/clock.js';
import { silentLogger } from '../../../src/platform/logger.js';

describeWithBinaries({ prometheus: 'prometheus' }, 'validation through a real Prometheus', () => {
  const values = { error_ratio: 0.0005, queue_depth: 1500 };
  let target: Server;
  let prom: RunningBinary;
  let source: PrometheusSource;

  beforeAll(async () => {
    target = createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/plain; version=0.0.4');
      res.end(`# TYPE app_error_ratio gauge\napp_error_ratio{namespace="ci"} ${values.error_ratio}\n# TYPE queue_depth gauge\nqueue_depth{queue="events"} ${values.queue_depth}\n`);
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
    const port = (target.address() as AddressInfo).port;
    prom = await startPrometheus(`global:\n  scrape_interval: 200ms\n  evaluation_interval: 200ms\nscrape_configs:\n  - job_name: app\n    static_configs:\n      - targets: ['127.0.0.1:${port}']\n`);
    source = new PrometheusSource(prom.url, 2000);
    await waitFor('the first scrape', async () => (await source.query('queue_depth')).ok);
  }, 30_000);

  afterAll(async () => {
    await prom?.stop();
    await new Promise((r) => target?.close(r));
  });

  const setAndWait = async (k: keyof typeof values, v: number, query: string) => {
    values[k] = v;
    await waitFor(`${query} = ${v}`, async () => {
      const r = await source.query(query);
      return r.ok && r.value === v;
    });
  };

  test('instant queries: a value, no data, an error answer', async () => {
    await setAndWait('queue_depth', 1500, 'queue_depth{queue="events"}');
    expect(await source.query('queue_depth{queue="events"}')).toEqual({ ok: true, value: 1500 });
    expect(await source.query('queue_depth{queue="nope"}')).toEqual({ ok: false, error: 'the query returned no data (empty vector)' });
    const bad = await source.query('sum(');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatch(/Prometheus answered 400/);
  });

  test('an instant query at a past instant (time=) reads the value as it was then: the baseline taken after the write', async () => {
    await setAndWait('queue_depth', 1500, 'queue_depth{queue="events"}');
    const before = new Date();
    await setAndWait('queue_depth', 2500, 'queue_depth{queue="events"}');
    expect(await source.query('queue_depth{queue="events"}')).toEqual({ ok: true, value: 2500 });
    expect(await source.query('queue_depth{queue="events"}', before)).toEqual({ ok: true, value: 1500 });
    const v = new ClusterValidator({ kinds: ACTION_KINDS, readObject: () => Promise.reject(new Error('unused')), metrics: source, clock: systemClock, logger: silentLogger });
    const r = rule([{ name: 'queue', query: 'queue_depth{queue="{{ $labels.queue }}"}', below: 5000, interval: '10ms', count: 1 }]);
    expect(await v.baseline(r, { labels: { queue: 'events' }, annotations: {} }, before)).toEqual({
      queue: { query: 'queue_depth{queue="events"}', value: 1500, error: null, at: before.toISOString() },
    });
    await setAndWait('queue_depth', 1500, 'queue_depth{queue="events"}');
  });

  function rule(checks: unknown[]): Rule {
    const spec = ruleSchema.parse({
      name: 'r',
      matchers: ['alertname="X"'],
      target: { apiVersion: 'v1', kind: 'Service', namespace: 'ci', name: 'x' },
      action: { type: 'redis', address: 'redis://127.0.0.1:6379', factor: 1.5, cap: '1Gi' },
      validate: { checks },
    });
    return { ...spec, source: { file: 't', index: 0 }, compiled: [] };
  }
  const validator = () => new ClusterValidator({ kinds: ACTION_KINDS, readObject: () => Promise.reject(new Error('not used')), metrics: source, clock: systemClock, logger: silentLogger, pollMs: 10 });
  const rem = (baseline: Record<string, unknown>) => ({ id: 'r1', target: null, result: { baseline } }) as unknown as Remediation;

  test('checks pass with the measured values recorded, baseline and after side by side', async () => {
    await setAndWait('error_ratio', 0.0005, 'app_error_ratio');
    const r = rule([
      { name: 'error-rate', query: 'app_error_ratio{namespace="{{ $labels.namespace }}"}', below: 0.001, interval: '100ms', count: 3 },
      { name: 'queue', query: 'queue_depth{queue="{{ $labels.queue }}"}', belowBaseline: 1.1, interval: '100ms', count: 2 },
    ]);
    const v = validator();
    const baseline = await v.baseline(r, { labels: { namespace: 'ci', queue: 'events' }, annotations: {} });
    expect(baseline).toMatchObject({ 'error-rate': { value: 0.0005, query: 'app_error_ratio{namespace="ci"}' }, queue: { value: 1500 } });
    const out = await v.validate(rem(baseline), r, r.action);
    expect(out.outcome).toBe('passed');
    expect(out.details.checks).toMatchObject({ 'error-rate': { phase: 'Successful', after: 0.0005 }, queue: { phase: 'Successful', baseline: 1500, after: 1500 } });
  });

  test('an error rate over the threshold fails the validation', async () => {
    await setAndWait('error_ratio', 0.02, 'app_error_ratio');
    const r = rule([{ name: 'error-rate', query: 'app_error_ratio', below: 0.001, interval: '100ms', count: 2 }]);
    const out = await validator().validate(rem({}), r, r.action);
    expect(out.outcome).toBe('failed');
    expect(out.summary).toMatch(/error-rate: Failed \(after 0.02\)/);
  });

  test('a query with no data is inconclusive (errors are measurements), never an exception', async () => {
    const r = rule([{ name: 'missing', query: 'does_not_exist', below: 1, interval: '50ms', count: 2, consecutiveErrorLimit: 2 }]);
    const out = await validator().validate(rem({}), r, r.action);
    expect(out.outcome).toBe('inconclusive');
    expect((out.details.checks as Record<string, { measurements: unknown[] }>).missing!.measurements).toHaveLength(3);
  });
});
