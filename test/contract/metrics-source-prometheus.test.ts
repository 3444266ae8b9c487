/**
 * The metrics source's contract on PrometheusSource against a real Prometheus (Debian package
 * `prometheus`) scraping a test target whose gauges the contract sets.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrometheusSource } from '../../src/validation/prometheus.js';
import { describeWithBinaries, freePort, startPrometheus, waitFor, type RunningBinary } from '../helpers/binaries.js';
import { runMetricsSourceContract } from './metrics-source.contract.js';

describeWithBinaries({ prometheus: 'prometheus' }, 'PrometheusSource', () => {
  runMetricsSourceContract('PrometheusSource on a real Prometheus', async () => {
    const gauges = new Map<string, number>();
    const target: Server = createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/plain; version=0.0.4');
      res.end(`# TYPE contract_queue_depth gauge\n${[...gauges].map(([q, v]) => `contract_queue_depth{queue="${q}"} ${v}`).join('\n')}\n`);
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
    const port = (target.address() as AddressInfo).port;
    const prom: RunningBinary = await startPrometheus(`global:\n  scrape_interval: 200ms\nscrape_configs:\n  - job_name: app\n    static_configs:\n      - targets: ['127.0.0.1:${port}']\n`);
    const source = new PrometheusSource(prom.url, 2000);
    const closedPort = await freePort();
    return {
      source,
      async set(queue, value) {
        gauges.set(queue, value);
        await waitFor(`contract_queue_depth{queue="${queue}"} = ${value}`, async () => {
          const r = await source.query(`contract_queue_depth{queue="${queue}"}`);
          return r.ok && r.value === value;
        });
      },
      unreachable: () => new PrometheusSource(`http://127.0.0.1:${closedPort}`, 1000),
      async close() {
        await prom.stop();
        await new Promise((r) => target.close(r));
      },
    };
  });
});
