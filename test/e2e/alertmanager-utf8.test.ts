/**
 * Real Alertmanagers deliver to the running service (an HTTP listener on 127.0.0.1; alerts pushed
 * to Alertmanager's API v2, as Prometheus pushes them): a current Alertmanager (the version test/cluster/alertmanager/go.mod pins, built from its
 * Go module) carries a UTF-8 label name (`service.name`) through to the service, which stores it
 * and matches it with a rule; Debian's 0.25 refuses such a name at its own API (so it never
 * reaches the service) and delivers the mixin-shaped alerts with classic names, which the
 * kubernetes-mixin pack acts on.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Remediation } from '../../src/domain/remediation.js';
import { ADMIN_TOKEN, WEBHOOK_TOKEN, buildTestApp, type TestApp } from '../helpers/app.js';
import { describeWithBinaries, startBinary, waitFor, type RunningBinary } from '../helpers/binaries.js';
import { component, describeWithComponents } from '../helpers/components.js';
import { REPO_ROOT } from '../helpers/fixtures.js';
import { mixinLabels } from '../helpers/mixin-alerts.js';
import { startSandboxCluster, type SandboxCluster } from '../helpers/sandbox.js';
import { OTEL_RULES } from '../helpers/otel-rules.js';

const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

function alertmanagerConfig(serviceUrl: string): string {
  return stringify({
    route: { receiver: 'autoremediator', group_by: ['alertname'], group_wait: '100ms', group_interval: '1s', repeat_interval: '1h' },
    receivers: [{ name: 'autoremediator', webhook_configs: [{ url: `${serviceUrl}/api/v1/alerts`, send_resolved: true, http_config: { authorization: { type: 'Bearer', credentials: WEBHOOK_TOKEN } } }] }],
  });
}

function startAlertmanager(bin: string, serviceUrl: string): Promise<RunningBinary> {
  return startBinary(
    bin,
    (dir, port) => [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=debug'],
    { 'alertmanager.yml': alertmanagerConfig(serviceUrl) },
    '/-/ready',
  );
}

/** Push alerts as Prometheus does (API v2); the status Alertmanager answered and its body. */
async function push(am: RunningBinary, labels: Record<string, string>): Promise<{ status: number; text: string }> {
  const res = await fetch(`${am.url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify([{ labels, annotations: { summary: `${labels.alertname} from a real Alertmanager` }, startsAt: new Date().toISOString(), generatorURL: 'http://prometheus.example:9090/graph' }]),
  });
  return { status: res.status, text: await res.text() };
}

/** The running service on 127.0.0.1 with the given rules, against the sandbox. */
async function startService(rulesDir: string): Promise<{ s: SandboxCluster; t: TestApp; server: Server; url: string; close(): Promise<void> }> {
  const s = await startSandboxCluster();
  const t = await buildTestApp({ cluster: s.cluster, env: { RULES_DIR: rulesDir, READINESS_POLL_MS: '20' } });
  const server = createServer(t.app.http);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  const url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  return {
    s, t, server, url,
    async close() {
      await new Promise((r) => server.close(r));
      await t.close();
      await s.close();
    },
  };
}

async function remediations(url: string): Promise<Remediation[]> {
  const res = await fetch(`${url}/api/v1/remediations?limit=100`, { headers: admin });
  return ((await res.json()) as { items: Remediation[] }).items;
}

async function storedAlerts(url: string): Promise<Array<{ labels: Record<string, string> }>> {
  const res = await fetch(`${url}/api/v1/alerts?limit=100`, { headers: admin });
  return ((await res.json()) as { items: Array<{ labels: Record<string, string> }> }).items;
}

describeWithComponents(['alertmanager'], 'a current Alertmanager (Go module) delivers UTF-8 label names', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let am: RunningBinary;
  let rules: string;
  beforeAll(async () => {
    rules = mkdtempSync(join(tmpdir(), 'utf8-rules-'));
    writeFileSync(join(rules, 'otel.yaml'), OTEL_RULES);
    svc = await startService(rules);
    am = await startAlertmanager(component('alertmanager')!, svc.url);
  }, 60_000);
  afterAll(async () => {
    await am?.stop();
    await svc?.close();
    rmSync(rules, { recursive: true, force: true });
  });

  test('service.name reaches the service, is stored as sent and matched by a rule', async () => {
    const labels = { alertname: 'QueueBacklog', 'service.name': 'ci-failure-agent-consumer', 'k8s.namespace.name': 'ci', severity: 'warning' };
    const pushed = await push(am, labels);
    expect(pushed).toMatchObject({ status: 200 });
    await waitFor('the remediation', async () => (await remediations(svc.url)).some((r) => r.rule === 'otel-queue-consumers' && r.phase !== 'planned'), 30_000);
    const [alert] = await storedAlerts(svc.url);
    expect(alert!.labels).toEqual(labels);
    const [rem] = await remediations(svc.url);
    expect(rem).toMatchObject({ rule: 'otel-queue-consumers', targetKey: 'ci/deployment/ci-failure-agent-consumer', decision: { outcome: 'act' } });
  }, 60_000);
});

describeWithBinaries({ 'prometheus-alertmanager': 'prometheus-alertmanager' }, "Debian's Alertmanager 0.25 and the kubernetes-mixin pack", () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let am: RunningBinary;
  beforeAll(async () => {
    svc = await startService(join(REPO_ROOT, 'rules', 'kubernetes-mixin'));
    am = await startAlertmanager('prometheus-alertmanager', svc.url);
  }, 60_000);
  afterAll(async () => {
    await am?.stop();
    await svc?.close();
  });

  test('0.25 refuses a UTF-8 label name at its own API: such alerts come only from Alertmanager ≥ 0.27', async () => {
    const pushed = await push(am, { alertname: 'QueueBacklog', 'service.name': 'checkout' });
    expect(pushed.status).toBe(400);
    expect(pushed.text).toMatch(/invalid label set|service\.name/);
  });

  test('a mixin-shaped KubeHpaMaxedOut delivered by 0.25 raises the HPA it names', async () => {
    expect(await push(am, mixinLabels.KubeHpaMaxedOut('ci', 'ci-failure-agent'))).toMatchObject({ status: 200 });
    await waitFor('the remediation', async () => (await remediations(svc.url)).some((r) => r.rule === 'mixin-hpa-maxed-out' && r.phase !== 'planned'), 30_000);
    const rem = (await remediations(svc.url)).find((r) => r.rule === 'mixin-hpa-maxed-out')!;
    expect(rem).toMatchObject({ targetKey: 'ci/deployment/ci-failure-agent', decision: { outcome: 'act', after: { maxReplicas: 24 } } });
    expect((svc.s.api.get('autoscaling/v2', 'HorizontalPodAutoscaler', 'ci', 'ci-failure-agent')!.spec as { maxReplicas: number }).maxReplicas).toBe(24);
  }, 60_000);
});
