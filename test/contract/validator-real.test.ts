/**
 * The validator's contract on ClusterValidator over the real KubeCluster on the sandbox API
 * server and PrometheusSource on a real Prometheus (Debian package `prometheus`) scraping a
 * test target whose gauge the contract sets.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ACTION_KINDS } from '../../src/actions/registry.js';
import type { TargetRef } from '../../src/domain/target.js';
import { systemClock } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { PrometheusSource } from '../../src/validation/prometheus.js';
import { ClusterValidator } from '../../src/validation/validator.js';
import { describeWithBinaries, startPrometheus, waitFor } from '../helpers/binaries.js';
import { startSandboxCluster } from '../helpers/sandbox.js';
import { Admin, deployment, uniqueName } from './cluster.contract.js';
import { runValidatorContract } from './validator.contract.js';

describeWithBinaries({ prometheus: 'prometheus' }, 'ClusterValidator on real parts', () => {
  runValidatorContract('ClusterValidator over the sandbox and a real Prometheus', async () => {
    const s = await startSandboxCluster();
    const admin = new Admin(s.api.kubeConfig());
    let p99: number | null = null;
    const target: Server = createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/plain; version=0.0.4');
      res.end(p99 === null ? '' : `# TYPE contract_p99_seconds gauge\ncontract_p99_seconds{namespace="ci"} ${p99}\n`);
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
    const prom = await startPrometheus(`global:\n  scrape_interval: 200ms\nscrape_configs:\n  - job_name: app\n    static_configs:\n      - targets: ['127.0.0.1:${(target.address() as AddressInfo).port}']\n`);
    const metrics = new PrometheusSource(prom.url, 2000);
    const seed = async (stuck = false): Promise<TargetRef> => {
      const n = uniqueName('validate');
      // The fault before the Deployment: none of its pods ever reports Ready.
      if (stuck) s.api.faults.neverReady('ci', n);
      await admin.create(deployment('ci', n, 1));
      return { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: n };
    };
    return {
      validator: new ClusterValidator({ kinds: ACTION_KINDS, readObject: (t) => s.cluster.readObject(t), metrics, clock: systemClock, logger: silentLogger, pollMs: 20 }),
      readyTarget: () => seed(),
      stuckTarget: () => seed(true),
      async setP99(value: number) {
        p99 = value;
        await waitFor(`contract_p99_seconds = ${value}`, async () => {
          const r = await metrics.query('contract_p99_seconds{namespace="ci"}');
          return r.ok && r.value === value;
        });
      },
      async close() {
        await prom.stop();
        await new Promise((r) => target.close(r));
        await s.close();
      },
    };
  });
});
