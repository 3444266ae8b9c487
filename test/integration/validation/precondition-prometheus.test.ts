/**
 * A saturated database stops an action, through a real Prometheus (built from its Go module)
 * scraping series shaped as CloudNativePG's exporter sends them (cnpg_backends_total by database,
 * user, application and state; cnpg_pg_settings_setting by name; per instance pod, labelled as a
 * PodMonitor labels them). The shipped rule queue-add-consumers, decided by the service's engine
 * on the sandbox cluster: with room for the added consumers' pools it acts, with too little it
 * skips `precondition-failed` and says both numbers.
 */
import { jest } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { silentLogger } from '../../../src/platform/logger.js';
import { createMetrics } from '../../../src/platform/metrics.js';
import { systemClock } from '../../../src/platform/clock.js';
import { Engine } from '../../../src/remediation/engine.js';
import { loadRuleTable } from '../../../src/rule-table/loader.js';
import { openStore } from '../../../src/store/open-store.js';
import type { Store } from '../../../src/store/store.js';
import { noValidation } from '../../../src/validation/port.js';
import { PrometheusSource } from '../../../src/validation/prometheus.js';
import { startBinary, waitFor, type RunningBinary } from '../../helpers/binaries.js';
import { component, describeWithComponents } from '../../helpers/components.js';
import { REPO_ROOT } from '../../helpers/fixtures.js';
import { startSandboxCluster, type SandboxCluster } from '../../helpers/sandbox.js';

jest.setTimeout(90_000);

describeWithComponents(['prometheus'], 'guards.preconditions through a real Prometheus', () => {
  /** Connections open per instance (active, idle), as the exporter's backends query counts them. */
  const db = { maxConnections: 200, active: 120, idle: 20 };
  let exporter: Server;
  let prom: RunningBinary;
  let source: PrometheusSource;
  let sandbox: SandboxCluster;
  let store: Store;
  let engine: Engine;

  /** One instance's /metrics, as CloudNativePG's exporter (port 9187) writes it. */
  function cnpgMetrics(): string {
    const states = ['idle in transaction', 'idle in transaction (aborted)', 'fastpath function call', 'disabled'];
    return [
      '# HELP cnpg_backends_total Number of backends',
      '# TYPE cnpg_backends_total gauge',
      `cnpg_backends_total{application_name="ci-failure-agent",datname="app",state="active",usename="app"} ${db.active}`,
      `cnpg_backends_total{application_name="ci-failure-agent",datname="app",state="idle",usename="app"} ${db.idle}`,
      ...states.map((s) => `cnpg_backends_total{application_name="",datname="",state="${s}",usename=""} 0`),
      '# HELP cnpg_pg_settings_setting Setting value',
      '# TYPE cnpg_pg_settings_setting gauge',
      `cnpg_pg_settings_setting{name="max_connections"} ${db.maxConnections}`,
      'cnpg_pg_settings_setting{name="superuser_reserved_connections"} 3',
      '# HELP cnpg_collector_up 1 if PostgreSQL is up, 0 otherwise.',
      '# TYPE cnpg_collector_up gauge',
      'cnpg_collector_up{cluster="ci-failure-agent-db"} 1',
      '',
    ].join('\n');
  }

  beforeAll(async () => {
    exporter = createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/plain; version=0.0.4');
      res.end(cnpgMetrics());
    });
    await new Promise<void>((r) => exporter.listen(0, '127.0.0.1', () => r()));
    const port = (exporter.address() as AddressInfo).port;
    // Two instances, labelled as the Prometheus Operator labels a PodMonitor's targets.
    const target = (pod: string) => `      - targets: ['127.0.0.1:${port}']\n        labels: { namespace: ci, pod: ${pod}, container: postgres, endpoint: metrics }\n`;
    const config = `global:\n  scrape_interval: 200ms\nscrape_configs:\n  - job_name: ci/ci-failure-agent-db-1\n    static_configs:\n${target('ci-failure-agent-db-1')}  - job_name: ci/ci-failure-agent-db-2\n    static_configs:\n${target('ci-failure-agent-db-2')}`;
    prom = await startBinary(
      component('prometheus')!,
      (dir, p) => [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${p}`],
      { 'prometheus.yml': config },
      '/-/ready',
    );
    source = new PrometheusSource(prom.url, 2000);
    await waitFor('both instances scraped', async () => {
      const r = await source.query('count(cnpg_collector_up{namespace="ci"})');
      return r.ok && r.value === 2;
    });
    sandbox = await startSandboxCluster();
    store = await openStore(':memory:');
    const loaded = await loadRuleTable(join(REPO_ROOT, 'rules'));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    engine = new Engine({
      store,
      rules: () => loaded.table,
      cluster: sandbox.cluster,
      prometheus: source,
      validator: noValidation,
      clock: systemClock,
      logger: silentLogger,
      metrics: createMetrics(false),
      settings: { dryRun: false, allowedNamespaces: ['ci'], budgets: { namespace: { max: 10, windowMs: 600_000 }, global: { max: 50, windowMs: 600_000 } } },
      queueCapacity: 1,
      concurrency: 1,
      instanceId: 'precondition',
      breaker: { rollbacks: 3, windowMs: 3_600_000 },
    });
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await sandbox?.close();
    await prom?.stop();
    await new Promise((r) => exporter?.close(r));
  });

  const room = 'min(max by (pod) (cnpg_pg_settings_setting{namespace="ci",name="max_connections"}) - sum by (pod) (cnpg_backends_total{namespace="ci"}))';
  async function roomIs(v: number): Promise<void> {
    await waitFor(`room = ${v}`, async () => {
      const r = await source.query(room);
      return r.ok && r.value === v;
    });
  }
  const queueDepthHigh = () => ({
    id: null,
    status: 'firing' as const,
    labels: { alertname: 'QueueDepthHigh', service: 'ci-failure-agent', namespace: 'ci', queue: 'ci-failure-events', severity: 'warning', job: 'ci-failure-agent' },
    annotations: { summary: 'Queue ci-failure-events is backing up' },
    startsAt: new Date().toISOString(),
    fingerprint: 'precondition',
  });

  test('room for the added consumers\' pools: it acts', async () => {
    Object.assign(db, { active: 120, idle: 20 });
    await roomIs(60);
    const d = (await engine.evaluate(queueDepthHigh(), { record: false, origin: 'alert' }))[0]!.decision;
    expect(d.outcome).toBe('act');
    expect(d.outcome === 'act' && d.after).toEqual({ replicas: 4 });
  });

  test('a saturated database: skip precondition-failed, with both numbers', async () => {
    Object.assign(db, { active: 180, idle: 12 });
    await roomIs(8);
    const d = (await engine.evaluate(queueDepthHigh(), { record: false, origin: 'alert' }))[0]!.decision;
    expect(d.outcome === 'skip' && d.reason).toBe('precondition-failed');
    expect(d.explanation).toBe(
      `Precondition db-connections-room (each added consumer opens a pool of 5 database connections) does not hold for ci/deployment/ci-failure-agent-consumer: \`2 * 5\` = 10 is not <= \`${room}\` = 8. Would have done: scale ci/deployment/ci-failure-agent-consumer from 2 to 4 replicas.`,
    );
    expect(d.facts).toMatchObject({ guard: { precondition: 'db-connections-room', left: 10, right: 8 } });
  });
});
