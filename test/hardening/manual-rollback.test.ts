/**
 * Issue 21: a manual rollback of an older run must not undo what happened since. Two runs
 * scale one Deployment in turn (2 → 4, then, past the cooldown, 4 → 6); rolling the older one
 * back by hand would restore its snapshot (2) under the newer one, which would stay
 * `succeeded`. It is refused with 409 and the reason, and nothing changes; the newest run can
 * be rolled back, and after that the older one again shows its `after` and can be too.
 * The sandbox API server over HTTP is the cluster; its request log counts the writes.
 */
import { rmSync } from 'node:fs';
import request from 'supertest';
import type { Remediation } from '../../src/domain/remediation.js';
import { startSandboxCluster, type SandboxCluster } from '../helpers/sandbox.js';
import { ADMIN, HOOK, JumpClock, allRemediations, buildApp, notification, quiesce, rulesDir, type HardenedApp } from './helpers.js';

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
const clock = new JumpClock();

beforeEach(async () => {
  s = await startSandboxCluster({ readyDelayMs: 20 });
  dir = rulesDir(RULES);
  t = await buildApp({ cluster: s.cluster, clock, env: { RULES_DIR: dir } });
});
afterEach(async () => {
  await t.close();
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

const replicas = (): number | undefined => (s.api.get('apps/v1', 'Deployment', 'ci', 'ci-failure-agent-consumer')?.spec as { replicas?: number } | undefined)?.replicas;
const scaleWrites = (): number => s.api.requests.filter((r) => (r.verb === 'update' || r.verb === 'patch') && r.name === 'ci-failure-agent-consumer' && r.code < 300).length;
const alert = (fp: string) => notification([{ labels: { alertname: 'QueueDepthHigh', namespace: 'ci', service: 'ci-failure-agent', severity: 'warning' }, fingerprint: fp }]);
const rollback = (id: string) => request(t.app.http).post(`/api/v1/remediations/${id}/rollback`).set(ADMIN).set('X-Actor', 'alice');
const byId = async (id: string): Promise<Remediation> => (await t.app.store.getRemediation(id))!;

test('rolling back an older run the target no longer shows is 409 with the reason, nothing changed; newest first works', async () => {
  await request(t.app.http).post('/api/v1/alerts').set(HOOK).send(alert('00000000000000a1')).expect(202);
  await quiesce(t.app, 20_000);
  clock.jump(11 * 60_000); // past the cooldown
  await request(t.app.http).post('/api/v1/alerts').set(HOOK).send(alert('00000000000000a2')).expect(202);
  await quiesce(t.app, 20_000);
  const runs = (await allRemediations(t.app.store)).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  expect(runs.map((r) => [r.phase, r.decision.outcome === 'act' ? r.decision.after : null])).toEqual([
    ['succeeded', { replicas: 4 }],
    ['succeeded', { replicas: 6 }],
  ]);
  const [older, newer] = runs as [Remediation, Remediation];
  expect(replicas()).toBe(6);
  const writes = scaleWrites();

  const refused = await rollback(older.id);
  expect({ status: refused.status, code: refused.body.error?.code }).toEqual({ status: 409, code: 'state-changed' });
  expect(refused.body.error.message).toMatch(/no longer shows this run's change \{"replicas":4\}.*nothing was changed/);
  expect(replicas()).toBe(6);
  expect(scaleWrites()).toBe(writes);
  expect((await byId(older.id)).phase).toBe('succeeded');
  expect((await byId(newer.id)).phase).toBe('succeeded');

  // The newest run still shows its change: undone (6 → 4). Then the older one shows its `after` again.
  expect((await rollback(newer.id)).status).toBe(200);
  expect(replicas()).toBe(4);
  expect((await rollback(older.id)).status).toBe(200);
  expect(replicas()).toBe(2);
  expect([(await byId(older.id)).phase, (await byId(newer.id)).phase]).toEqual(['rolled_back', 'rolled_back']);
}, 60_000);

test('a target changed by someone else since the run: refused the same way', async () => {
  await request(t.app.http).post('/api/v1/alerts').set(HOOK).send(alert('00000000000000b1')).expect(202);
  await quiesce(t.app, 20_000);
  const [run] = await allRemediations(t.app.store);
  expect(run!.phase).toBe('succeeded');
  // A person scales it by hand through the API server.
  await s.kube.apps.patchNamespacedDeploymentScale({ name: 'ci-failure-agent-consumer', namespace: 'ci', body: [{ op: 'replace', path: '/spec/replicas', value: 7 }] });
  expect(replicas()).toBe(7);
  const refused = await rollback(run!.id);
  expect(refused.status).toBe(409);
  expect(replicas()).toBe(7);
  expect((await byId(run!.id)).phase).toBe('succeeded');
}, 60_000);
