/**
 * GitOps owners through the whole service, on the sandbox (the real KubeCluster over HTTP, a real
 * SQLite store, the engine and driver as in production), given the captured QueueDepthHigh alert:
 * - the consumer Deployment carries Argo CD's tracking annotation: skipped `gitops-managed`,
 *   naming the Application, nothing written;
 * - the rule opts in (owners.gitops: act) and the "owner" (here the test, as Argo CD's self-heal
 *   would) puts replicas back while the run validates: the run ends `failed`, `reverted-by-owner`;
 * - opted in and not reverted: succeeded, the explanation saying who manages the target.
 * The validator is a hand-written fake (validation itself is tested elsewhere).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ADMIN_TOKEN, WEBHOOK_TOKEN, buildTestApp, settle, type TestApp } from '../../helpers/app.js';
import { fixture } from '../../helpers/fixtures.js';
import { startSandboxCluster, type SandboxCluster } from '../../helpers/sandbox.js';
import type { Remediation } from '../../../src/domain/remediation.js';
import type { Validator } from '../../../src/validation/port.js';

const hook = { Authorization: `Bearer ${WEBHOOK_TOKEN}`, 'Content-Type': 'application/json' };
const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const NAME = 'ci-failure-agent-consumer';

function rulesDir(owners: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'rules-'));
  writeFileSync(
    join(dir, 'rules.yaml'),
    `rules:
  - name: queue-add-consumers
    matchers: ['alertname="QueueDepthHigh"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: "{{ $labels.namespace }}", name: ${NAME} }
    action: { type: scale, minReplicas: 2, maxReplicas: 12, policies: [{ type: Pods, value: 2, periodSeconds: 1 }] }
    cooldown: "0"
${owners}`,
  );
  return dir;
}

describe('GitOps owners through the service (sandbox)', () => {
  let s: SandboxCluster;
  let t: TestApp | undefined;
  beforeEach(async () => {
    s = await startSandboxCluster();
    const d = s.api.get('apps/v1', 'Deployment', 'ci', NAME)!;
    d.metadata.annotations = { ...d.metadata.annotations, 'argocd.argoproj.io/tracking-id': `ci-agent:apps/Deployment:ci/${NAME}` };
    s.api.put(d);
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
    await s.close();
  });

  const replicas = () => s.api.get('apps/v1', 'Deployment', 'ci', NAME)!.spec!.replicas as number;
  async function runOf(owners: string, validator: Validator): Promise<Remediation> {
    t = await buildTestApp({ cluster: s.cluster, env: { RULES_DIR: rulesDir(owners) }, validator });
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(fixture('firing-single-QueueDepthHigh').toString()).expect(202);
    await settle(t.app);
    for (let i = 0; i < 200; i++) {
      const list = (await request(t.app.http).get('/api/v1/remediations?rule=queue-add-consumers').set(admin)).body as { items: Remediation[] };
      const r = list.items[0];
      if (r && ['succeeded', 'failed', 'rolled_back', 'skipped'].includes(r.phase)) return r;
      await new Promise((res) => setTimeout(res, 25));
    }
    throw new Error('no terminal run');
  }
  const passes: Validator = { validate: () => Promise.resolve({ outcome: 'passed', summary: 'ok', details: {} }) };

  test('under Argo CD: skipped gitops-managed, naming the Application; nothing written', async () => {
    const before = replicas();
    const r = await runOf('', passes);
    expect({ phase: r.phase, reason: r.decision.outcome === 'skip' ? r.decision.reason : null }).toEqual({ phase: 'skipped', reason: 'gitops-managed' });
    expect(r.decision.explanation).toContain('is managed by Argo CD Application ci-agent (annotation argocd.argoproj.io/tracking-id=ci-agent:apps/Deployment:ci/ci-failure-agent-consumer)');
    expect(replicas()).toBe(before);
  });

  test('opted in, and the owner puts replicas back while the run validates: failed, reverted-by-owner', async () => {
    const before = replicas();
    // What Argo CD's self-heal does: the Git value, written back during validation.
    const reverting: Validator = {
      validate: () => {
        const d = s.api.get('apps/v1', 'Deployment', 'ci', NAME)!;
        d.spec!.replicas = before;
        s.api.put(d);
        return Promise.resolve({ outcome: 'passed', summary: 'ok', details: {} });
      },
    };
    const r = await runOf('    owners: { gitops: act }\n', reverting);
    expect(r.phase).toBe('failed');
    expect(r.result).toMatchObject({ failure: { reason: 'reverted-by-owner' } });
    expect(r.transitions.at(-1)!.note).toBe(`reverted by Argo CD Application ci-agent: applied {"replicas":${before + 2}}, the live state shows {"replicas":${before}}; the owner does not ignore the field (see the README, "GitOps owners")`);
  });

  test('opted in, not reverted: succeeded, and the decision says who manages the target', async () => {
    const before = replicas();
    const r = await runOf('    owners: { gitops: act }\n', passes);
    expect(r.phase).toBe('succeeded');
    expect(r.decision.explanation).toContain('is managed by Argo CD Application ci-agent');
    expect(r.decision.explanation).toContain('acts anyway (owners.gitops: act)');
    expect(replicas()).toBe(before + 2);
  });
});
