/**
 * Action budgets through the engine and a real SQLite store: the store counts the actions of
 * each budget's window (Store.countActions), the planner compares. One rule scales the
 * Deployment an alert names; the cluster is a hand-written fake.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { FakeCluster } from '../../helpers/fake-cluster.js';
import { ADMIN_TOKEN, WEBHOOK_TOKEN, buildTestApp, settle, type TestApp } from '../../helpers/app.js';

const hook = { Authorization: `Bearer ${WEBHOOK_TOKEN}`, 'Content-Type': 'application/json' };
const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

function rulesDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rules-budgets-'));
  writeFileSync(
    join(dir, 'rules.yaml'),
    `rules:
  - name: scale-named
    matchers: ['alertname="QueueDepthHigh"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: "{{ $labels.namespace }}", name: "{{ $labels.deployment }}" }
    action: { type: scale, minReplicas: 1, maxReplicas: 10, policies: [{ type: Pods, value: 2, periodSeconds: 60 }] }
    cooldown: 5m
`,
  );
  return dir;
}

let n = 0;
function alertFor(namespace: string, deployment: string): string {
  const labels = { alertname: 'QueueDepthHigh', namespace, deployment };
  n += 1;
  return JSON.stringify({
    version: '4',
    receiver: 'autoremediator',
    status: 'firing',
    groupKey: `{}:{deployment="${deployment}"}`,
    truncatedAlerts: 0,
    groupLabels: { deployment },
    commonLabels: labels,
    commonAnnotations: {},
    externalURL: 'http://127.0.0.1:19093',
    alerts: [
      {
        status: 'firing',
        labels,
        annotations: {},
        startsAt: new Date(Date.parse('2026-11-28T10:00:00Z') + n * 1000).toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://127.0.0.1:19090/graph',
        fingerprint: (1000 + n).toString(16).padStart(16, '0'),
      },
    ],
  });
}

function cluster(): FakeCluster {
  const c = new FakeCluster();
  for (const [namespace, name] of [['ci', 'd1'], ['ci', 'd2'], ['ci', 'd3'], ['ci', 'd4'], ['other', 'e1'], ['other', 'e2']] as const) {
    c.set({ namespace, kind: 'Deployment', name }, { replicas: 1, containers: [{ name, requests: {}, limits: {} }] });
  }
  return c;
}

/** Post one alert, let the engine decide it, return the reason (or 'act') of the newest decision. */
async function decideFor(t: TestApp, namespace: string, deployment: string): Promise<string> {
  await request(t.app.http).post('/api/v1/alerts').set(hook).send(alertFor(namespace, deployment)).expect(202);
  await settle(t.app);
  const res = await request(t.app.http).get('/api/v1/remediations?limit=1').set(admin).expect(200);
  const d = res.body.items[0].decision as { outcome: string; reason?: string };
  return d.outcome === 'act' ? 'act' : d.reason!;
}

describe('budgets, counted by the store', () => {
  let t: TestApp;
  afterEach(async () => t.close());

  test('per namespace and global, each over its window: the budget that is spent says so', async () => {
    t = await buildTestApp({
      cluster: cluster(),
      env: { RULES_DIR: rulesDir(), ALLOWED_NAMESPACES: 'ci,other', BUDGET_PER_NAMESPACE: '2/10m', BUDGET_GLOBAL: '3/10m' },
    });
    expect(await decideFor(t, 'ci', 'd1')).toBe('act');
    expect(await decideFor(t, 'ci', 'd2')).toBe('act');
    expect(await decideFor(t, 'ci', 'd3')).toBe('budget-namespace');
    expect(await decideFor(t, 'other', 'e1')).toBe('act');
    expect(await decideFor(t, 'other', 'e2')).toBe('budget-global');
    const res = await request(t.app.http).get('/api/v1/remediations?limit=1').set(admin).expect(200);
    expect(res.body.items[0].decision.facts).toMatchObject({ actionsInWindow: 3, budget: { max: 3 } });
  });

  test('in shadow mode the would-be actions spend the budget; live decisions do not count them', async () => {
    const shared = `sqlite:${join(mkdtempSync(join(tmpdir(), 'budgets-db-')), 'store.db')}`;
    t = await buildTestApp({
      cluster: cluster(),
      env: { RULES_DIR: rulesDir(), DATABASE_URL: shared, ALLOWED_NAMESPACES: 'ci,other', BUDGET_PER_NAMESPACE: '2/10m', BUDGET_GLOBAL: '30/10m', DRY_RUN: 'true' },
    });
    expect(await decideFor(t, 'ci', 'd1')).toBe('dry-run');
    expect(await decideFor(t, 'ci', 'd2')).toBe('dry-run');
    expect(await decideFor(t, 'ci', 'd3')).toBe('budget-namespace');
    await t.close();
    // The same store read by a live process: two would-be actions are not actions.
    t = await buildTestApp({
      cluster: cluster(),
      env: { RULES_DIR: rulesDir(), DATABASE_URL: shared, ALLOWED_NAMESPACES: 'ci,other', BUDGET_PER_NAMESPACE: '1/10m', BUDGET_GLOBAL: '30/10m' },
    });
    expect(await decideFor(t, 'ci', 'd4')).toBe('act');
    expect(await decideFor(t, 'ci', 'd1')).toBe('budget-namespace');
  });
});
