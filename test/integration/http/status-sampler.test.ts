/**
 * The status page's sampler against the sandbox (the Kubernetes API over HTTP): what it reads
 * of a target (replicas, the HPA, resources), that a missing target is a reading saying so, and
 * that its cost and memory are bounded (targets per pass, readings per target).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Remediation } from '../../../src/domain/remediation.js';
import { TargetSampler } from '../../../src/http/status/sampler.js';
import { systemClock } from '../../../src/platform/clock.js';
import { silentLogger } from '../../../src/platform/logger.js';
import { REPO_ROOT } from '../../helpers/fixtures.js';
import { startSandboxCluster, type SandboxCluster } from '../../helpers/sandbox.js';

const run = JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'status', 'remediation-hpa-succeeded.json'), 'utf8')) as Remediation;
const on = (namespace: string, name: string): Remediation => ({ ...run, targetKey: `${namespace}/deployment/${name}`, target: { ...run.target!, namespace, name } });

describe('TargetSampler on the sandbox', () => {
  let sandbox: SandboxCluster;
  beforeAll(async () => {
    sandbox = await startSandboxCluster();
  });
  afterAll(async () => sandbox.close());

  const sampler = (items: Remediation[], opts: { maxTargets?: number; maxSamples?: number } = {}) =>
    new TargetSampler({ cluster: sandbox.cluster, store: { listRemediations: () => Promise.resolve({ items, nextCursor: null }) }, clock: systemClock, logger: silentLogger, intervalMs: 60_000, ...opts });

  test('reads replicas, the HPA and container resources of a recent target', async () => {
    const s = sampler([run]);
    await s.tick();
    const r = s.latest('ci/deployment/ci-failure-agent')!;
    expect(r).toMatchObject({ found: true, error: null, desired: 3, hpa: { name: 'ci-failure-agent', min: 3, max: 20 } });
    expect(r.ready).toEqual(expect.any(Number));
    expect(r.containers[0]).toMatchObject({ name: 'ci-failure-agent', requests: { cpu: expect.any(String) }, limits: { memory: expect.any(String) } });
  });

  test('a target that is gone is a reading that says so', async () => {
    const s = sampler([on('ci', 'no-such-deployment')]);
    await s.tick();
    expect(s.latest('ci/deployment/no-such-deployment')).toMatchObject({ found: false, desired: null, error: expect.stringMatching(/not.?found|404/i) });
  });

  test('bounded: at most maxTargets targets per pass, at most maxSamples readings each', async () => {
    const s = sampler([run, on('ci', 'ci-failure-agent-consumer'), on('ci', 'ci-failure-agent-redis')], { maxTargets: 2, maxSamples: 3 });
    for (let i = 0; i < 5; i++) await s.tick();
    expect(s.series('ci/deployment/ci-failure-agent')).toHaveLength(3);
    expect(s.series('ci/deployment/ci-failure-agent-consumer')).toHaveLength(3);
    expect(s.series('ci/deployment/ci-failure-agent-redis')).toHaveLength(0);
  });
});
