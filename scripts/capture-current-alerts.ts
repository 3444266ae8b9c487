/**
 * Captures the webhook bodies a real Alertmanager sends for the shipped alert rules over
 * series shaped as a current cluster's exporters publish them (the sandbox's simulated
 * exporters): test/fixtures/alertmanager-current/. The older captures in
 * test/fixtures/alertmanager carry the label names of the rules they were made with
 * (pre-1.16 cAdvisor's pod_name / container_name); these carry today's.
 *
 *   npx tsx scripts/capture-current-alerts.ts [out-dir]
 *
 * Needs Debian's prometheus and prometheus-alertmanager. Everything listens on 127.0.0.1 and
 * is stopped by its pid. Writes the raw request bodies byte for byte:
 *   firing-HighMemoryUsage.json, resolved-HighMemoryUsage.json   (3 API pods leak memory)
 *   firing-<alertname>.json for the other five alerts               (the workload under stress)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { join, resolve } from 'node:path';
import { loadSeed, startSandboxApi } from '../src/sandbox/index.js';
import { prometheusConfig } from '../src/sandbox/workload/index.js';
import { freePort, startBinary, startPrometheus, waitFor, type RunningBinary } from '../test/helpers/binaries.js';
import { alertmanagerE2eConfig, FILES } from '../test/integration/alertmanager/configs.js';

interface Body {
  status: string;
  groupLabels: Record<string, string>;
  alerts: { status: string; labels: Record<string, string> }[];
}

const out = resolve(process.argv[2] ?? join('test', 'fixtures', 'alertmanager-current'));
const received: { raw: string; body: Body; userAgent: string }[] = [];
const stops: (() => Promise<void>)[] = [];

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((r) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => r(Buffer.concat(chunks).toString('utf8')));
  });
}

/** The first body received for `alertname` with top-level `status`, or undefined. */
const find = (alertname: string, status: string) => received.find((b) => b.body.groupLabels.alertname === alertname && b.body.status === status);

async function main(): Promise<void> {
  const receiverPort = await freePort();
  const receiver = createServer((req, res) => {
    void readAll(req).then((raw) => {
      if (req.method === 'POST' && req.url === '/api/v1/alerts') received.push({ raw, body: JSON.parse(raw) as Body, userAgent: req.headers['user-agent'] ?? '' });
      res.writeHead(202, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(receiverPort, '127.0.0.1', r));
  stops.push(() => new Promise((r) => receiver.close(() => r())));

  const api = await startSandboxApi({ seed: loadSeed(), readyDelayMs: 100, tickMs: 20 });
  stops.push(() => api.close());
  await waitFor('3 ready API pods', () => Promise.resolve(api.workload.snapshot().api.ready === 3), 10_000, 50);

  const am: RunningBinary = await startBinary(
    'prometheus-alertmanager',
    (dir, port) => [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, `--web.external-url=http://127.0.0.1:${port}`, '--cluster.listen-address='],
    { 'alertmanager.yml': alertmanagerE2eConfig(`127.0.0.1:${receiverPort}`) },
    '/-/ready',
  );
  stops.push(() => am.stop());
  const prom = await startPrometheus(prometheusConfig({ sandbox: api.url.replace('http://', ''), alertmanagers: [`127.0.0.1:${am.port}`], ruleFiles: [FILES.e2eRules], interval: '1s', externalLabels: { cluster: 'e2e-local' } }));
  stops.push(() => prom.stop());

  // Phase 1: the API leaks memory at the default load (3 pods), then stops leaking.
  api.workload.setFaults({ memoryLeakMiBPerMinute: 3000 });
  await waitFor('HighMemoryUsage firing', () => Promise.resolve(find('HighMemoryUsage', 'firing') !== undefined), 90_000, 200);
  api.workload.clearFaults();
  await waitFor('HighMemoryUsage resolved', () => Promise.resolve(find('HighMemoryUsage', 'resolved') !== undefined), 90_000, 200);

  // Phase 2: the whole workload under stress (as test/integration/workload/real-prometheus.test.ts).
  const d = api.get('apps/v1', 'Deployment', 'ci', 'ci-failure-agent')!;
  api.put({ ...d, spec: { ...d.spec, replicas: 12 } });
  await waitFor('12 ready API pods', () => Promise.resolve(api.workload.snapshot().api.ready === 12), 20_000, 50);
  api.workload.setLoad({ rps: 5000, messagesPerSecond: 2000 });
  const others = ['HighPodCPU', 'HighLatencyP99', 'DatabaseConnectionsHigh', 'QueueDepthHigh', 'RedisMemoryPressure'];
  await waitFor(`${others.join(', ')} firing`, () => Promise.resolve(others.every((a) => find(a, 'firing') !== undefined)), 120_000, 200);

  mkdirSync(out, { recursive: true });
  const files: [string, string][] = [
    ['firing-HighMemoryUsage.json', find('HighMemoryUsage', 'firing')!.raw],
    ['resolved-HighMemoryUsage.json', find('HighMemoryUsage', 'resolved')!.raw],
    ...others.map((a): [string, string] => [`firing-${a}.json`, find(a, 'firing')!.raw]),
  ];
  for (const [name, raw] of files) writeFileSync(join(out, name), raw);
  console.log(`wrote ${files.map(([n]) => n).join(', ')} to ${out} (User-Agent: ${received[0]!.userAgent})`);
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  });
