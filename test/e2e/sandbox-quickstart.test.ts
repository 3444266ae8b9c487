/**
 * The quick start as a person runs it: `autoremediator sandbox`, a HighPodCPU
 * notification posted with curl's bytes, the HPA-managed path taken as the rule
 * says (visible through kubectl, with our Event), and a second notification
 * inside the cooldown recorded as skipped with reason cooldown.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture } from '../helpers/fixtures.js';
import { startCli, type CliProcess } from '../helpers/process.js';
import { which, waitFor } from '../helpers/binaries.js';

interface Ready {
  service: string;
  api: string;
  kubeconfig: string;
  webhookToken: string;
  adminToken: string;
}

const KUBECTL = process.env.KUBECTL ?? (which('kubectl.debian') || which('kubectl'));

describe('autoremediator sandbox (quick start)', () => {
  let cli: CliProcess;
  let ready: Ready;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'quickstart-'));
    cli = startCli(['sandbox', '--port', '0', '--data-dir', dir, '--ready-delay', '200']);
    const line = await cli.waitForLine(/^SANDBOX_READY /);
    ready = JSON.parse(line.replace('SANDBOX_READY ', '')) as Ready;
  });
  afterAll(async () => {
    cli.kill('SIGTERM');
    expect((await cli.exited).code).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (body: Buffer) =>
    fetch(`${ready.service}/api/v1/alerts`, { method: 'POST', headers: { Authorization: `Bearer ${ready.webhookToken}`, 'Content-Type': 'application/json' }, body });
  const remediations = async () =>
    ((await (await fetch(`${ready.service}/api/v1/remediations?limit=100`, { headers: { Authorization: `Bearer ${ready.adminToken}` } })).json()) as { items: Array<{ phase: string; rule: string; decision: { outcome: string; reason?: string; after?: Record<string, number> } }> }).items;

  test('HighPodCPU raises the HPA floor of ci-failure-agent, as rules/ says; the rest of the group skips with cooldown', async () => {
    expect((await post(fixture('firing-group-HighPodCPU-3-alerts'))).status).toBe(202);
    await waitFor('the remediation to finish', async () => (await remediations()).some((r) => r.phase === 'succeeded'), 20_000);
    const rems = await remediations();
    expect(rems.filter((r) => r.decision.outcome === 'act')).toEqual([expect.objectContaining({ rule: 'cpu-raise-hpa-floor', phase: 'succeeded', decision: expect.objectContaining({ after: { minReplicas: 5, maxReplicas: 20 } }) })]);
    expect(rems.filter((r) => r.decision.reason === 'cooldown')).toHaveLength(2);
  });

  test('a second notification inside the cooldown changes nothing and is recorded as skipped, reason cooldown', async () => {
    const again = JSON.parse(fixture('firing-group-HighPodCPU-3-alerts').toString()) as { alerts: Array<{ startsAt: string }> };
    for (const a of again.alerts) a.startsAt = new Date().toISOString();
    expect((await post(Buffer.from(JSON.stringify(again)))).status).toBe(202);
    await waitFor('three more decisions', async () => (await remediations()).length === 6, 10_000);
    const rems = await remediations();
    expect(rems.filter((r) => r.decision.outcome === 'act')).toHaveLength(1);
    expect(rems.filter((r) => r.decision.reason === 'cooldown')).toHaveLength(5);
  });

  (KUBECTL || process.env.CI === 'true' ? test : test.skip)('kubectl sees the raised HPA, the scaled Deployment and our Event', async () => {
    if (!KUBECTL) throw new Error('kubectl is needed: apt-get install -y kubernetes-client');
    const kubectl = (...args: string[]) => execFileSync(KUBECTL, ['--kubeconfig', ready.kubeconfig, '-n', 'ci', ...args], { encoding: 'utf8' });
    const hpa = JSON.parse(kubectl('get', 'hpa', 'ci-failure-agent', '-o', 'json')) as { spec: { minReplicas: number } };
    expect(hpa.spec.minReplicas).toBe(5);
    await waitFor('the HPA to scale the Deployment to 5', () => Promise.resolve((JSON.parse(kubectl('get', 'deployment', 'ci-failure-agent', '-o', 'json')) as { spec: { replicas: number } }).spec.replicas === 5), 10_000);
    const described = kubectl('describe', 'deployment', 'ci-failure-agent');
    expect(described).toMatch(/AutoremediatorRaisedHPA/);
    expect(described).toMatch(/cpu-raise-hpa-floor/);
  });
});
