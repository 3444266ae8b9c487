/**
 * Intake accepts UTF-8 label names as Alertmanager ≥ 0.27 / Prometheus 3 send them (OpenTelemetry's
 * `service.name`), within the existing bounds; a rule matches them (`"service.name"="…"`) and its
 * templates reference them (`{{ index $labels "service.name" }}`). What was refused stays refused.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { Remediation } from '../../../src/domain/remediation.js';
import { ADMIN_TOKEN, WEBHOOK_TOKEN, buildTestApp, settle, type TestApp } from '../../helpers/app.js';
import { referenceCluster } from '../../helpers/fake-cluster.js';
import { fingerprint } from '../../helpers/mixin-alerts.js';
import { OTEL_RULES } from '../../helpers/otel-rules.js';

const auth = { Authorization: `Bearer ${WEBHOOK_TOKEN}`, 'Content-Type': 'application/json' };
const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };


function body(labels: Record<string, string>): string {
  const alert = { status: 'firing', labels, annotations: { summary: 'backlog' }, startsAt: new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://prometheus:9090/graph', fingerprint: fingerprint(labels) };
  return JSON.stringify({ version: '4', receiver: 'autoremediator', status: 'firing', alerts: [alert], groupLabels: { alertname: labels.alertname }, commonLabels: labels, commonAnnotations: {}, externalURL: 'http://alertmanager:9093', groupKey: '{}:{alertname="QueueBacklog"}', truncatedAlerts: 0 });
}

describe('UTF-8 label names at intake', () => {
  let t: TestApp;
  let dir: string;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'utf8-rules-'));
    writeFileSync(join(dir, 'otel.yaml'), OTEL_RULES);
    t = await buildTestApp({ cluster: referenceCluster(), env: { RULES_DIR: dir } });
  });
  afterEach(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('service.name is stored as sent, matched by a quoted matcher and rendered into the target', async () => {
    const labels = { alertname: 'QueueBacklog', 'service.name': 'ci-failure-agent-consumer', 'k8s.namespace.name': 'ci', 'deployment.environment': 'prod', severity: 'warning' };
    const res = await request(t.app.http).post('/api/v1/alerts').set(auth).send(body(labels)).expect(202);
    await settle(t.app);
    const stored = await request(t.app.http).get(`/api/v1/alerts/${(res.body as { alerts: Array<{ id: string }> }).alerts[0]!.id}`).set(admin).expect(200);
    expect((stored.body as { alert: { labels: Record<string, string> } }).alert.labels).toEqual(labels);
    const rems = (await request(t.app.http).get('/api/v1/remediations').set(admin).expect(200)).body as { items: Remediation[] };
    expect(rems.items).toHaveLength(1);
    expect(rems.items[0]).toMatchObject({ rule: 'otel-queue-consumers', targetKey: 'ci/deployment/ci-failure-agent-consumer', decision: { outcome: 'act' } });
  });

  test.each<[string, Record<string, string>, RegExp]>([
    ['an empty label name', { alertname: 'QueueBacklog', '': 'x' }, /label names must not be empty/],
    ['a reserved __ name', { alertname: 'QueueBacklog', '__name__': 'x' }, /reserved/],
    ['a NUL in a name', { alertname: 'QueueBacklog', 'a\u0000b': 'x' }, /NUL/],
  ])('still refused: %s', async (_name, labels, message) => {
    const res = await request(t.app.http).post('/api/v1/alerts').set(auth).send(body(labels)).expect(400);
    expect(JSON.stringify(res.body)).toMatch(message);
    expect(((await request(t.app.http).get('/api/v1/alerts').set(admin).expect(200)).body as { items: unknown[] }).items).toHaveLength(0);
  });

  test('a value in a UTF-8-named label cannot steer the target (template-invalid-value)', async () => {
    await request(t.app.http).post('/api/v1/alerts').set(auth).send(body({ alertname: 'QueueBacklog', 'service.name': 'ci-failure-agent-consumer', 'k8s.namespace.name': '../kube-system' })).expect(202);
    await settle(t.app);
    const rems = (await request(t.app.http).get('/api/v1/remediations').set(admin).expect(200)).body as { items: Remediation[] };
    expect(rems.items[0]).toMatchObject({ decision: { outcome: 'skip', reason: 'template-invalid-value' } });
  });
});
