/**
 * The CLI as people run it: `check` passes on the shipped rules/ and fails,
 * naming file and key, on broken copies; `plan` shows decisions for a payload;
 * `replay` asks a running service; `serve` refuses to start without a credential.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, FIXTURE_DIR } from '../helpers/fixtures.js';
import { startCli } from '../helpers/process.js';

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
