/**
 * Kubernetes failures through the whole service: a captured alert goes in over HTTP,
 * the engine plans and applies through the real client against the sandbox API
 * server, and each fault ends in a defined, recorded outcome that matches what the
 * cluster actually holds (test/integration/kube/actions.test.ts classifies the same
 * faults one call at a time; here the record and the world are compared).
 */
import { rmSync } from 'node:fs';
import request from 'supertest';
import type { ApplyOutcome, TargetState } from '../../src/domain/cluster.js';
import type { ClusterPort } from '../../src/actions/port.js';
import type { ActDecision } from '../../src/domain/decision.js';
import type { Remediation } from '../../src/domain/remediation.js';
import type { TargetRef } from '../../src/domain/target.js';
import type { ActionSpec } from '../../src/rule-table/schema.js';
import { fixture } from '../helpers/fixtures.js';
import { FAST_RETRY, startSandboxCluster, type SandboxCluster } from '../helpers/sandbox.js';
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

/** Delegates to the real cluster; runs `beforeApply` between the plan and the apply (the world moves mid-run). */
class MidRunCluster implements ClusterPort {
  beforeApply: (() => void) | null = null;
  constructor(private readonly inner: ClusterPort) {}
  readState(t: TargetRef, a: ActionSpec): Promise<TargetState> {
    return this.inner.readState(t, a);
  }
  readObject(t: TargetRef): Promise<Record<string, unknown>> {
    return this.inner.readObject(t);
  }
  apply(d: ActDecision, a: ActionSpec, id: string): Promise<ApplyOutcome> {
    this.beforeApply?.();
    return this.inner.apply(d, a, id);
  }
  restore(t: TargetRef, a: ActionSpec, s: Record<string, unknown>, id: string): Promise<ApplyOutcome> {
    return this.inner.restore(t, a, s, id);
  }
}

let s: SandboxCluster;
let cluster: MidRunCluster;
let t: HardenedApp;
let dir: string;

beforeEach(async () => {
  s = await startSandboxCluster({ readyDelayMs: 20 });
  cluster = new MidRunCluster(s.cluster);
  dir = rulesDir(RULES);
  t = await buildApp({ cluster, env: { RULES_DIR: dir } });
});
afterEach(async () => {
  await t.close();
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

const consumerReplicas = (): number | undefined => (s.api.get('apps/v1', 'Deployment', 'ci', 'ci-failure-agent-consumer')?.spec as { replicas?: number } | undefined)?.replicas;
/** Scale writes the API server accepted (200) for the consumer. */
const acceptedScaleWrites = (): number =>
  s.api.requests.filter((r) => r.verb === 'update' && r.resource === 'deployments' && r.subresource === 'scale' && r.name === 'ci-failure-agent-consumer' && r.code === 200).length;
const scaleWriteAttempts = (code?: number): number =>
  s.api.requests.filter((r) => r.verb === 'update' && r.subresource === 'scale' && r.name === 'ci-failure-agent-consumer' && (code === undefined || r.code === code)).length;

async function alertIn(): Promise<Remediation> {
  await request(t.app.http).post('/api/v1/alerts').set(HOOK).send(fixture('firing-single-QueueDepthHigh').toString('utf8')).expect(202);
  await quiesce(t.app, 20_000);
  const rems = await allRemediations(t.app.store);
  expect(rems).toHaveLength(1);
  return rems[0]!;
}

const applyReason = (rem: Remediation): unknown => (rem.result as { apply?: { reason?: string } } | null)?.apply?.reason;

describe('Kubernetes faults, alert in → recorded outcome, compared with the cluster', () => {
  test('409 storm shorter than the retry budget: re-read, succeed once', async () => {
    s.api.faults.conflictNext(3, { resource: 'deployments/scale', name: 'ci-failure-agent-consumer' });
    const rem = await alertIn();
    expect(rem.phase).toBe('succeeded');
    expect(consumerReplicas()).toBe(4);
    expect(acceptedScaleWrites()).toBe(1);
  });

  test('409 storm longer than the retry budget: failed (conflict), nothing changed', async () => {
    s.api.faults.conflictNext(50, { resource: 'deployments/scale', name: 'ci-failure-agent-consumer' });
    const rem = await alertIn();
    expect({ phase: rem.phase, reason: applyReason(rem) }).toEqual({ phase: 'failed', reason: 'conflict' });
    expect(consumerReplicas()).toBe(2);
    expect(acceptedScaleWrites()).toBe(0);
  });

  test.each<[429 | 500, string]>([
    [429, 'throttled'],
    [500, 'server-error'],
  ])('%i burst then recovery: backs off and succeeds once', async (status) => {
    s.api.faults.failNext(2, status, { verb: 'update', resource: 'deployments/scale' });
    const rem = await alertIn();
    expect(rem.phase).toBe('succeeded');
    expect(consumerReplicas()).toBe(4);
    expect(acceptedScaleWrites()).toBe(1);
  });

  test.each<[429 | 500, string]>([
    [429, 'throttled'],
    [500, 'server-error'],
  ])('%i lasting past the retry budget: failed (%s) after a bounded number of tries, nothing changed', async (status, reason) => {
    s.api.faults.failNext(100, status, { verb: 'update', resource: 'deployments/scale' });
    const rem = await alertIn();
    expect({ phase: rem.phase, reason: applyReason(rem) }).toEqual({ phase: 'failed', reason });
    expect(consumerReplicas()).toBe(2);
    expect(scaleWriteAttempts(status)).toBeLessThanOrEqual(4);
  });

  test('a slow API (150 ms on every request, under the timeout): succeeds once', async () => {
    s.api.faults.latency(150);
    const rem = await alertIn();
    expect(rem.phase).toBe('succeeded');
    expect(consumerReplicas()).toBe(4);
    expect(acceptedScaleWrites()).toBe(1);
  }, 30_000);

  test('scale writes time out (the API answers after the client gave up): the record agrees with the cluster', async () => {
    s.api.faults.latency(1500, { verb: 'update', resource: 'deployments/scale' });
    const rem = await alertIn();
    // Let every delayed write reach the API server and be answered.
    // Let every delayed write reach the API server and be answered (the sandbox logs a request when it answers).
    await waitFor('the delayed writes to be answered', () => Promise.resolve(scaleWriteAttempts() >= FAST_RETRY.attempts), 15_000, 50);
    const now = await t.app.store.getRemediation(rem.id);
    // Either the run knows the change happened (it is validating/succeeded, or rolled back to 2), or nothing changed.
    const world = consumerReplicas();
    expect({ phase: now!.phase, replicas: world, acceptedWrites: acceptedScaleWrites() }).toEqual(
      now!.phase === 'failed' ? { phase: 'failed', replicas: 2, acceptedWrites: 0 } : { phase: expect.stringMatching(/^(succeeded|rolled_back)$/), replicas: now!.phase === 'succeeded' ? 4 : 2, acceptedWrites: 1 },
    );
  }, 40_000);

  test('403 on the scale write: failed (forbidden) at the first answer, no retry, nothing changed', async () => {
    s.api.faults.forbid({ verb: 'update', resource: 'deployments/scale' });
    const rem = await alertIn();
    expect({ phase: rem.phase, reason: applyReason(rem) }).toEqual({ phase: 'failed', reason: 'forbidden' });
    expect(scaleWriteAttempts(403)).toBe(1);
    expect(consumerReplicas()).toBe(2);
  });

  test('target deleted before the alert: skipped (target-not-found), no write', async () => {
    s.api.remove('apps/v1', 'Deployment', 'ci', 'ci-failure-agent-consumer');
    const rem = await alertIn();
    expect(rem).toMatchObject({ phase: 'skipped', decision: { reason: 'target-not-found' } });
    expect(s.api.requests.filter((r) => ['update', 'patch', 'create'].includes(r.verb) && r.resource === 'deployments')).toEqual([]);
  });

  test('target deleted between plan and apply: failed (not-found), nothing re-created', async () => {
    cluster.beforeApply = () => s.api.remove('apps/v1', 'Deployment', 'ci', 'ci-failure-agent-consumer');
    const rem = await alertIn();
    expect({ phase: rem.phase, reason: applyReason(rem) }).toEqual({ phase: 'failed', reason: 'not-found' });
    expect(s.api.get('apps/v1', 'Deployment', 'ci', 'ci-failure-agent-consumer')).toBeUndefined();
  });

  test('an HPA appears between plan and apply: failed (refused), no scale write (the HPA would undo it)', async () => {
    cluster.beforeApply = () =>
      s.api.put({
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'consumer', namespace: 'ci' },
        spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'ci-failure-agent-consumer' }, minReplicas: 2, maxReplicas: 6 },
      });
    const rem = await alertIn();
    expect({ phase: rem.phase, reason: applyReason(rem) }).toEqual({ phase: 'failed', reason: 'refused' });
    expect(scaleWriteAttempts()).toBe(0);
    expect(consumerReplicas()).toBe(2);
  });

  test('an HPA present at plan time: skipped (hpa-managed), no write', async () => {
    s.api.put({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'consumer', namespace: 'ci' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'ci-failure-agent-consumer' }, minReplicas: 2, maxReplicas: 6 },
    });
    const rem = await alertIn();
    expect(rem).toMatchObject({ phase: 'skipped', decision: { reason: 'hpa-managed' } });
    expect(scaleWriteAttempts()).toBe(0);
  });
});

