/**
 * Issue 21: the default limits must agree. MAX_ALERTS_PER_NOTIFICATION (10 000) promises
 * that a notification of that many alerts is taken, so the default MAX_BODY_BYTES must hold
 * 10 000 alerts as a current Alertmanager sends them (Go's compact JSON, the annotations and
 * generatorURL of today's rules), not just the small synthetic ones.
 */
import { rmSync } from 'node:fs';
import request from 'supertest';
import { loadConfig } from '../../src/config/config.js';
import { referenceCluster } from '../helpers/fake-cluster.js';
import { currentFixture, currentFixtureNames } from '../helpers/fixtures.js';
import { HOOK, WEBHOOK_TOKEN, ADMIN_TOKEN, buildApp, passingValidator, rowCounts, rulesDir, type HardenedApp } from './helpers.js';

interface Body {
  alerts: Array<Record<string, unknown> & { labels: Record<string, string>; fingerprint: string }>;
}

const defaults = loadConfig({ WEBHOOK_TOKEN, ADMIN_TOKEN });

/** The captured firing body whose alerts are largest, and that alert's encoded size. */
function largestCapturedAlert(): { body: Body; alert: Body['alerts'][number]; bytes: number } {
  let best: { body: Body; alert: Body['alerts'][number]; bytes: number } | null = null;
  for (const name of currentFixtureNames()) {
    const body = JSON.parse(currentFixture(name).toString('utf8')) as Body;
    for (const alert of body.alerts) {
      const bytes = Buffer.byteLength(JSON.stringify(alert));
      if (!best || bytes > best.bytes) best = { body, alert, bytes };
    }
  }
  return best!;
}

/** n copies of the largest captured alert, each its own alert (pod name and fingerprint vary, same length). */
function realisticBody(n: number): string {
  const { body, alert } = largestCapturedAlert();
  const pod = alert.labels.pod ?? '';
  const alerts = Array.from({ length: n }, (_, i) => {
    const suffix = i.toString(36).padStart(5, '0');
    const copy = JSON.parse(JSON.stringify(alert).split(pod).join(pod.slice(0, -5) + suffix)) as Body['alerts'][number];
    copy.fingerprint = i.toString(16).padStart(16, '0');
    return copy;
  });
  // Go's encoder escapes <, > and & as \u003c, \u003e, \u0026 (as the captured bytes show).
  return JSON.stringify({ ...body, alerts }).replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

test('the default MAX_BODY_BYTES holds MAX_ALERTS_PER_NOTIFICATION alerts of the largest captured kind', () => {
  const { bytes } = largestCapturedAlert();
  expect(bytes).toBeGreaterThan(900); // a real one, with annotations and generatorURL
  const body = realisticBody(defaults.limits.maxAlertsPerNotification);
  expect({ bodyBytes: Buffer.byteLength(body), fits: Buffer.byteLength(body) <= defaults.limits.maxBodyBytes }).toEqual({
    bodyBytes: expect.any(Number),
    fits: true,
  });
});

describe('a realistic 10 000-alert notification under the default limits', () => {
  let t: HardenedApp;
  let emptyRules: string;
  beforeAll(async () => {
    // A rule no captured alert matches: the test is about intake, not 10 000 decisions against a cluster.
    emptyRules = rulesDir(`rules:
  - name: never
    matchers: ['alertname="HardeningNeverFires"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: ci, name: worker }
    action: { type: scale, minReplicas: 2, maxReplicas: 12 }
    cooldown: 10m
`);
    t = await buildApp({ cluster: referenceCluster(), validator: passingValidator, env: { RULES_DIR: emptyRules, QUEUE_CAPACITY: '20000' } });
  });
  afterAll(async () => {
    await t.close();
    rmSync(emptyRules, { recursive: true, force: true });
  });

  test('is accepted whole (202, 10 000 alerts stored), not 413', async () => {
    expect(t.config.limits.maxBodyBytes).toBe(defaults.limits.maxBodyBytes);
    const res = await request(t.server()).post('/api/v1/alerts').set(HOOK).send(realisticBody(defaults.limits.maxAlertsPerNotification));
    expect(res.status).toBe(202);
    expect(rowCounts(t.dbPath)).toMatchObject({ notifications: 1, alerts: defaults.limits.maxAlertsPerNotification });
  }, 60_000);
});
