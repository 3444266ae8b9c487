/**
 * Issue 21: a short Kubernetes API outage (the API server answering 500 for about a second,
 * as during its restart) must not end an alert as `state-unavailable`: Alertmanager's
 * re-sends of a firing alert are duplicates, so that alert would never be decided again.
 * Reads are retried with a bounded backoff (src/kube/retry.ts readPolicy) long enough to
 * outlast it. The client runs with the production retry policy (DEFAULT_RETRY), against the
 * sandbox API server over HTTP; the outage starts with the first 500 the server answers.
 */
import { rmSync } from 'node:fs';
import request from 'supertest';
import { DEFAULT_RETRY } from '../../src/kube/retry.js';
import { fixture } from '../helpers/fixtures.js';
import { startSandboxCluster, type SandboxCluster } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/binaries.js';
import { HOOK, allRemediations, buildApp, quiesce, rulesDir, type HardenedApp } from './helpers.js';

const RULES = `rules:
  - name: queue-add-consumers
    matchers: ['alertname="QueueDepthHigh"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: "{{ $labels.namespace }}", name: ci-failure-agent-consumer }
    action: { type: scale, minReplicas: 2, maxReplicas: 12, policies: [{ type: Pods, value: 2, periodSeconds: 120 }] }
    cooldown: 10m
    validate: { rolloutTimeout: 10s }
`;

let s: SandboxCluster;
let t: HardenedApp;
let dir: string;

beforeEach(async () => {
  s = await startSandboxCluster({ readyDelayMs: 20, retry: DEFAULT_RETRY });
  dir = rulesDir(RULES);
  t = await buildApp({ cluster: s.cluster, env: { RULES_DIR: dir } });
});
afterEach(async () => {
  await t.close();
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

test('1 s of 500s on every read while the alert is decided: retried, the alert acts once (not state-unavailable)', async () => {
  const outage = ['get', 'list'].map((verb) => s.api.faults.failNext(1_000_000, 500, { verb }));
  await request(t.app.http).post('/api/v1/alerts').set(HOOK).send(fixture('firing-single-QueueDepthHigh').toString('utf8')).expect(202);
  // The outage lasts 1 s from the first request it refused.
  await waitFor('a read refused with 500', () => Promise.resolve(s.api.requests.some((r) => r.code === 500)), 10_000, 2);
  await new Promise((r) => setTimeout(r, 1000));
  for (const id of outage) s.api.faults.remove(id);
  await quiesce(t.app, 30_000);

  const rems = await allRemediations(t.app.store);
  expect(rems.map((r) => ({ outcome: r.decision.outcome, reason: r.decision.outcome === 'skip' ? r.decision.reason : null, phase: r.phase }))).toEqual([
    { outcome: 'act', reason: null, phase: 'succeeded' },
  ]);
  expect(s.api.requests.filter((r) => r.code === 500).length).toBeGreaterThan(1);
  expect((s.api.get('apps/v1', 'Deployment', 'ci', 'ci-failure-agent-consumer')?.spec as { replicas?: number }).replicas).toBe(4);
}, 60_000);
