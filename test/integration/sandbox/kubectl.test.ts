// Conformance with the real kubectl binary: the sandbox must answer kubectl the
// way a cluster does. Runs against every kubectl found: $KUBECTL, Debian's
// (package kubernetes-client, 1.20; /usr/bin/kubectl.debian when installed beside
// the google-cloud-sdk kubectl through a dpkg diversion), and /usr/bin/kubectl.
import { execFile, execFileSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startHarness, type Harness } from './helpers.js';

const run = promisify(execFile);
const INSTALL_HINT =
  'install it with: apt-get install -y kubernetes-client (where google-cloud-sdk\'s kubectl package owns /usr/bin/kubectl, first: ' +
  'dpkg-divert --package kubectl --no-rename --divert /usr/bin/kubectl.debian --add /usr/bin/kubectl)';

interface Kubectl {
  path: string;
  version: string;
}

/** Every distinct, runnable kubectl on this machine, with its client version. */
function findKubectls(): Kubectl[] {
  const candidates = [process.env.KUBECTL, '/usr/bin/kubectl.debian', '/usr/bin/kubectl', '/usr/local/bin/kubectl'].filter((p): p is string => !!p);
  const seen = new Set<string>();
  const found: Kubectl[] = [];
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      const real = realpathSync(path);
      if (seen.has(real)) continue;
      seen.add(real);
      const out = execFileSync(path, ['version', '--client', '-o', 'json'], { encoding: 'utf8', timeout: 20_000, env: { PATH: process.env.PATH ?? '', HOME: tmpdir() } });
      const info = JSON.parse(out) as { clientVersion: { gitVersion: string } };
      found.push({ path, version: info.clientVersion.gitVersion });
    } catch {
      // not there, or not runnable: skip it
    }
  }
  return found;
}

const kubectls = findKubectls();

if (kubectls.length === 0) {
  if (process.env.CI === 'true') {
    test('kubectl is installed (required in CI)', () => {
      throw new Error(`no kubectl found; ${INSTALL_HINT}`);
    });
  } else {
    console.warn(`kubectl conformance tests skipped: no kubectl found; ${INSTALL_HINT}`);
    test.skip(`kubectl conformance (no kubectl found; ${INSTALL_HINT})`, () => undefined);
  }
}

function conformance({ path }: Kubectl): void {
  let h: Harness;
  let home: string;
  let kubeconfig: string;
  const kubectl = async (...args: string[]): Promise<string> => {
    const { stdout } = await run(path, ['--kubeconfig', kubeconfig, ...args], { timeout: 20_000, env: { PATH: process.env.PATH ?? '', HOME: home } });
    return stdout;
  };

  beforeAll(async () => {
    h = await startHarness();
    home = mkdtempSync(join(tmpdir(), 'sandbox-kubectl-'));
    kubeconfig = join(home, 'kubeconfig');
    await h.api.writeKubeconfig(kubeconfig);
  });
  afterAll(async () => {
    await h.api.close();
    rmSync(home, { recursive: true, force: true });
  });

  test('get deployment -o json prints the stored object', async () => {
    const d = JSON.parse(await kubectl('get', 'deployment', 'ci-failure-agent', '-n', 'ci', '-o', 'json')) as { kind: string; metadata: { uid: string }; spec: { replicas: number } };
    expect(d.kind).toBe('Deployment');
    expect(d.metadata.uid).toBe(h.api.get('apps/v1', 'Deployment', 'ci', 'ci-failure-agent')!.metadata.uid);
    expect(d.spec.replicas).toBe(3);
  });

  test('scale deployment goes through the scale subresource and changes spec.replicas', async () => {
    h.api.clearRequests();
    expect(await kubectl('scale', 'deployment', 'ci-failure-agent-consumer', '-n', 'ci', '--replicas=4')).toContain('deployment.apps/ci-failure-agent-consumer scaled');
    expect((h.api.get('apps/v1', 'Deployment', 'ci', 'ci-failure-agent-consumer')!.spec as { replicas: number }).replicas).toBe(4);
    const writes = h.api.requests.filter((r) => r.verb === 'patch' || r.verb === 'update');
    expect(writes.map((r) => [r.verb, r.resource, r.subresource, r.code])).toEqual([['patch', 'deployments', 'scale', 200]]);
    expect(writes[0]!.userAgent).toMatch(/^kubectl/);
  });

  test('get hpa prints the server-side table', async () => {
    const out = await kubectl('get', 'hpa', '-n', 'ci');
    const [header, row] = out.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));
    expect(header).toEqual(['NAME', 'REFERENCE', 'TARGETS', 'MINPODS', 'MAXPODS', 'REPLICAS', 'AGE']);
    expect(row!.slice(0, 2)).toEqual(['ci-failure-agent', 'Deployment/ci-failure-agent']);
    expect(row!.slice(3, 5)).toEqual(['3', '20']);
  });

  test('describe deployment shows an Event created through the client', async () => {
    const d = await h.apps.readNamespacedDeployment({ namespace: 'ci', name: 'ci-failure-agent' });
    const now = new Date();
    await h.core.createNamespacedEvent({
      namespace: 'ci',
      body: {
        metadata: { generateName: 'ci-failure-agent.' },
        involvedObject: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'ci-failure-agent', namespace: 'ci', uid: d.metadata!.uid! },
        reason: 'RemediationApplied', message: 'scaled ci-failure-agent from 3 to 5 (HighPodCPU)', type: 'Normal',
        source: { component: 'autoremediator' }, firstTimestamp: now, lastTimestamp: now, count: 1,
      },
    });
    const out = await kubectl('describe', 'deployment', 'ci-failure-agent', '-n', 'ci');
    expect(out).toMatch(/^Name:\s+ci-failure-agent$/m);
    expect(out).toMatch(/^Replicas:\s+3 desired/m);
    const events = out.slice(out.indexOf('Events:'));
    expect(events).toMatch(/Normal\s+RemediationApplied\s+.*autoremediator\s+scaled ci-failure-agent from 3 to 5 \(HighPodCPU\)/);
  });
}

if (kubectls.length > 0) describe.each(kubectls)('kubectl $version ($path)', conformance);
