/**
 * The CLI as people run it: `check` passes on the shipped rules/ and fails,
 * naming file and key, on broken copies; `plan` shows decisions for a payload,
 * as the service would decide them when given its store and cluster;
 * `replay` asks a running service; `serve` refuses to start without a credential;
 * every command has --help, the program --version, unknown options are errors.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, FIXTURE_DIR } from '../helpers/fixtures.js';
import { startCli } from '../helpers/process.js';
import { waitFor } from '../helpers/binaries.js';

async function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  const cli = startCli(args, env);
  const { code } = await cli.exited;
  return { code, out: cli.output() };
}

describe('autoremediator check', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'check-'));
    cpSync(join(REPO_ROOT, 'rules'), dir, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('passes on the shipped rules/', async () => {
    const r = await run(['check', join(REPO_ROOT, 'rules')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/SUCCESS: 6 rules/);
  });

  test('fails on a broken copy, naming every error with file and key', async () => {
    const file = join(dir, 'ci-failure-agent.yaml');
    const text = readFileSync(file, 'utf8')
      .replace('maxReplicas: 12', 'maxReplicas: 1') // below minReplicas 2 of queue-add-consumers
      .replace('- alertname="HighPodCPU"', '- alertname=~"(unclosed"')
      .replace('cooldown: 30m', 'cooldown: thirty minutes');
    writeFileSync(file, text);
    const r = await run(['check', dir]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/ci-failure-agent\.yaml: rules\[4\]\.action\.maxReplicas: must be ≥ minReplicas/);
    expect(r.out).toMatch(/ci-failure-agent\.yaml: rules\[0\]\.matchers\[0\]/);
    expect(r.out).toMatch(/ci-failure-agent\.yaml: rules\[\d\]\.cooldown: "thirty minutes" is not a duration/);
  });

  test('a file that is not YAML, and a missing path', async () => {
    writeFileSync(join(dir, 'broken.yaml'), 'rules: [ {');
    const r = await run(['check', dir]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/broken\.yaml/);
    const missing = await run(['check', join(dir, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.out).toMatch(/nope/);
  });
});

test('plan shows what the rules would do with a payload, without a cluster', async () => {
  const r = await run(['plan', join(FIXTURE_DIR, 'firing-single-QueueDepthHigh.json'), '--rules', join(REPO_ROOT, 'rules')], { ALLOWED_NAMESPACES: 'ci' });
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/QueueDepthHigh \[firing\]/);
  expect(r.out).toMatch(/queue-add-consumers: skip \(state-unavailable\)/);
  expect(r.out).toMatch(/no Kubernetes cluster configured/);
  expect(r.out).toContain('store: none given (--store)');
  expect(r.out).toContain('cluster: none given (--kubeconfig, KUBECONFIG or KUBE_API_URL)');
});

test('plan rejects a payload of another version, saying so', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'plan-'));
  const file = join(dir, 'p.json');
  writeFileSync(file, readFileSync(join(FIXTURE_DIR, 'firing-single-QueueDepthHigh.json'), 'utf8').replace('"version":"4"', '"version":"3"'));
  const r = await run(['plan', file]);
  rmSync(dir, { recursive: true, force: true });
  expect(r.code).toBe(1);
  expect(r.out).toMatch(/unsupported webhook payload version "3"/);
});

test('serve refuses to start without a credential, and says so', async () => {
  const r = await run(['serve'], { RULES_DIR: join(REPO_ROOT, 'rules'), DATABASE_URL: 'sqlite::memory:' });
  expect(r.code).toBe(1);
  expect(r.out).toMatch(/no webhook credential: set WEBHOOK_TOKEN/);
});

test('replay asks a running service; a wrong admin token is a clear error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'replay-'));
  const svc = startCli(['serve'], {
    PORT: '0',
    HOST: '127.0.0.1',
    RULES_DIR: join(REPO_ROOT, 'rules'),
    DATABASE_URL: `sqlite:${join(dir, 'db')}`,
    WEBHOOK_TOKEN: 'replay-webhook-token-0123',
    ADMIN_TOKEN: 'replay-admin-token-012345',
    ALLOWED_NAMESPACES: 'ci',
  });
  try {
    const url = (JSON.parse(await svc.waitForLine(/autoremediator listening/)) as { url: string }).url;
    const posted = await fetch(`${url}/api/v1/alerts`, {
      method: 'POST',
      headers: { Authorization: 'Bearer replay-webhook-token-0123', 'Content-Type': 'application/json' },
      body: readFileSync(join(FIXTURE_DIR, 'firing-single-QueueDepthHigh.json')),
    });
    const id = ((await posted.json()) as { alerts: Array<{ id: string }> }).alerts[0]!.id;
    const ok = await run(['replay', id, '--url', url], { ADMIN_TOKEN: 'replay-admin-token-012345' });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ dryRun: true, results: [{ alertId: id, decisions: [{ rule: 'queue-add-consumers' }] }] });
    const bad = await run(['replay', id, '--url', url], { ADMIN_TOKEN: 'wrong-token' });
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/401: missing or wrong credentials/);
  } finally {
    svc.kill('SIGTERM');
    await svc.exited;
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('help, version and unknown options', () => {
  const commands: Array<{ args: string[]; options: string[] }> = [
    { args: ['serve'], options: [] },
    { args: ['check'], options: [] },
    { args: ['plan'], options: ['--rules <dir>', '--store <url>', '--kubeconfig <file>'] },
    { args: ['replay'], options: ['--url <url>', '--apply'] },
    { args: ['sandbox'], options: ['--port <port>', '--api-port <port>', '--data-dir <dir>', '--ready-delay <ms>', '--keep-history', '--with-prometheus', '--rules <dir>', '--no-load', '--stop-after <seconds>'] },
    { args: ['sandbox', 'load'], options: ['--url <url>', '--rps <n>', '--messages-per-second <n>', '--profile <type>', '--to <n>', '--duration <seconds>', '--target <what>', '--steps <n>'] },
  ];

  test.each(commands)('$args --help prints usage, every option and examples, and exits 0', async ({ args, options }) => {
    // The environment would let serve start and stay up: --help must not start it.
    const r = await run([...args, '--help'], { INSECURE_NO_AUTH: 'true', PORT: '0', HOST: '127.0.0.1', DATABASE_URL: 'sqlite::memory:', RULES_DIR: join(REPO_ROOT, 'rules') });
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Usage: autoremediator ${args.join(' ')}`);
    expect(r.out).toMatch(/\nExamples:\n {2}.*autoremediator /);
    for (const o of options) expect(r.out).toContain(o);
    expect(r.out).not.toMatch(/listening|SANDBOX_READY|at .*\.mjs/);
  });

  test.each(['pause', 'resume'])('%s --help (its own parser) lists every option and examples, and exits 0 without asking a service', async (cmd) => {
    const r = await run([cmd, '--help'], { ADMIN_TOKEN: 'x'.repeat(32) });
    expect(r.code).toBe(0);
    expect(r.out).toContain(`autoremediator ${cmd}`);
    for (const o of ['--namespace', '--target', '--rule', '--reason', '--for', '--until', '--list', '--url', '--actor']) expect(r.out).toContain(o);
    expect(r.out).toMatch(/\nExamples:\n {2}.*autoremediator pause /);
    expect(r.out).toMatch(/\n {2}.*autoremediator resume /);
    expect(r.out).not.toMatch(/ECONNREFUSED|at .*\.mjs/);
  });

  test('check --help is help, not a file named --help', async () => {
    const r = await run(['check', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Usage: autoremediator check \[options\] <paths\.\.\.>/);
    expect(r.out).not.toMatch(/ENOENT|--help: /);
  });

  test('--version prints the package version and the git revision the bundle was built from', async () => {
    const r = await run(['--version']);
    expect(r.code).toBe(0);
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const revision = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    expect(r.out.trim()).toBe(`${pkg.version} (revision ${revision}, Node.js ${process.version})`);
  });

  test.each([
    [['serve', '--port', '9000'], "unknown option '--port'"],
    [['plan', join(FIXTURE_DIR, 'firing-single-QueueDepthHigh.json'), '--store-url', 'x'], "unknown option '--store-url'"],
    [['replay', 'id', '--aply'], "unknown option '--aply'"],
    [['sandbox', '--prot', '9000'], "unknown option '--prot'"],
    [['sandbox', '--port', 'eighty'], "option '--port <port>' argument 'eighty' is invalid"],
    [['sandbox', 'load', '--profile', 'sine'], "option '--profile <type>' argument 'sine' is invalid"],
    [['nope'], "unknown command 'nope'"],
    [['plan'], "missing required argument 'payload'"],
  ])('%j is an error naming it, exit 1, nothing started', async (args, message) => {
    const r = await run(args, { INSECURE_NO_AUTH: 'true', PORT: '0', HOST: '127.0.0.1', DATABASE_URL: 'sqlite::memory:', RULES_DIR: join(REPO_ROOT, 'rules') });
    expect(r.code).toBe(1);
    expect(r.out).toContain(message);
    expect(r.out).not.toMatch(/listening|SANDBOX_READY/);
  });
});

describe('plan with the service\'s store and cluster', () => {
  test('decides as the service would: cooldown after an action; without the store it says what it could not know', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plan-store-'));
    const sandbox = startCli(['sandbox', '--port', '0', '--data-dir', dir, '--ready-delay', '200']);
    try {
      const ready = JSON.parse((await sandbox.waitForLine(/^SANDBOX_READY /)).replace('SANDBOX_READY ', '')) as { service: string; kubeconfig: string; webhookToken: string; adminToken: string };
      const payload = join(FIXTURE_DIR, 'firing-group-HighPodCPU-3-alerts.json');
      const env = { ALLOWED_NAMESPACES: 'ci' };
      const store = `sqlite:${join(dir, 'sandbox.db')}`;
      const rules = join(REPO_ROOT, 'rules');

      // Before anything happened: the cluster is read, the rule would act (plan never applies: "skip (dry-run)").
      const before = await run(['plan', payload, '--rules', rules, '--store', store, '--kubeconfig', ready.kubeconfig], env);
      expect(before.code).toBe(0);
      expect(before.out).toContain(`store: ${store}; cluster: KUBECONFIG ${ready.kubeconfig}`);
      expect(before.out).toMatch(/cpu-raise-hpa-floor: skip \(dry-run\)\n {4}Would raise HPA ci-failure-agent/);

      const posted = await fetch(`${ready.service}/api/v1/alerts`, { method: 'POST', headers: { Authorization: `Bearer ${ready.webhookToken}`, 'Content-Type': 'application/json' }, body: readFileSync(payload) });
      expect(posted.status).toBe(202);
      await waitFor('the remediation to succeed', async () => {
        const items = ((await (await fetch(`${ready.service}/api/v1/remediations`, { headers: { Authorization: `Bearer ${ready.adminToken}` } })).json()) as { items: Array<{ phase: string }> }).items;
        return items.some((i) => i.phase === 'succeeded');
      }, 20_000);

      // With the store: the cooldown the service would apply.
      const after = await run(['plan', payload, '--rules', rules, '--store', store, '--kubeconfig', ready.kubeconfig], env);
      expect(after.code).toBe(0);
      expect(after.out).toMatch(/cpu-raise-hpa-floor: skip \(cooldown\)/);
      expect(after.out).not.toMatch(/store: none given/);

      // Without it: it would act, and says why that may be wrong.
      const blind = await run(['plan', payload, '--rules', rules, '--kubeconfig', ready.kubeconfig], env);
      expect(blind.code).toBe(0);
      expect(blind.out).toMatch(/cpu-raise-hpa-floor: skip \(dry-run\)\n {4}Would raise HPA ci-failure-agent/);
      expect(blind.out).toContain('store: none given (--store): cooldowns, runs in progress, budgets and open breakers are not known');
      expect(blind.out).not.toMatch(/cluster: none given/);
    } finally {
      sandbox.kill('SIGTERM');
      await sandbox.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
