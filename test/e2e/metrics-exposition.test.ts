/**
 * /metrics as the real service serves it (the bundle, `serve`, SQLite, default metrics on)
 * passes `promtool check metrics`: Debian's promtool, and Prometheus 3's when built
 * (`npm run components -- promtool`). The process and Node.js metrics carry their standard
 * names, and autoremediator_build_info says which build runs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithBinaries } from '../helpers/binaries.js';
import { component, componentVersion } from '../helpers/components.js';
import { FIXTURE_DIR, REPO_ROOT } from '../helpers/fixtures.js';
import { startCli, type CliProcess } from '../helpers/process.js';

const WEBHOOK = 'exposition-webhook-token-0123';
const ADMIN = 'exposition-admin-token-012345';

describeWithBinaries({ promtool: 'prometheus' }, '/metrics of the running service', () => {
  let dir: string;
  let svc: CliProcess;
  let exposition: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'exposition-'));
    svc = startCli(['serve'], {
      PORT: '0',
      HOST: '127.0.0.1',
      RULES_DIR: join(REPO_ROOT, 'rules'),
      DATABASE_URL: `sqlite:${join(dir, 'db')}`,
      WEBHOOK_TOKEN: WEBHOOK,
      ADMIN_TOKEN: ADMIN,
      ALLOWED_NAMESPACES: 'ci',
    });
    const url = (JSON.parse(await svc.waitForLine(/autoremediator listening/)) as { url: string }).url;
    // Real traffic first, so that labelled series exist: an accepted notification and a rejected one.
    const post = (auth: string) =>
      fetch(`${url}/api/v1/alerts`, { method: 'POST', headers: { Authorization: `Bearer ${auth}`, 'Content-Type': 'application/json' }, body: readFileSync(join(FIXTURE_DIR, 'firing-group-HighPodCPU-3-alerts.json')) });
    expect((await post(WEBHOOK)).status).toBe(202);
    expect((await post('wrong-token-wrong-token')).status).toBe(401);
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    exposition = await res.text();
  });
  afterAll(async () => {
    svc.kill('SIGTERM');
    await svc.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  test("passes Debian's promtool check metrics", () => {
    const r = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  // Prometheus 3's promtool when built; not built: skipped with how to build it, or under CI=true
  // (where .ci/run builds it) a failure.
  const promtool3 = component('promtool');
  const missing3 = `Prometheus 3's promtool ${componentVersion('promtool')} is not built: npm run components -- promtool`;
  (promtool3 || process.env.CI === 'true' ? test : test.skip)(`passes Prometheus 3's promtool check metrics (${componentVersion('promtool')})`, () => {
    if (!promtool3) throw new Error(missing3);
    const r = spawnSync(promtool3, ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
  if (!promtool3 && process.env.CI !== 'true') console.warn(`SKIPPED ${missing3}`);

  test('the standard process_* and nodejs_* names, not renamed', () => {
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'process_open_fds', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_version_info', 'nodejs_active_handles']) {
      expect(exposition).toMatch(new RegExp(`^${name}(\\{| )`, 'm'));
    }
    expect(exposition).not.toMatch(/^autoremediator_(process|nodejs)_/m);
    // The three gauges named like counters are gone; their per-type gauges carry the counts.
    expect(exposition).not.toMatch(/^nodejs_active_\w+_total/m);
  });

  test('autoremediator_build_info names the version, the git revision of the build and the Node.js version', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const revision = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const line = exposition.split('\n').find((l) => l.startsWith('autoremediator_build_info{'));
    expect(line).toBe(`autoremediator_build_info{version="${pkg.version}",revision="${revision}",node="${process.version}"} 1`);
    expect(exposition).toContain('# TYPE autoremediator_build_info gauge');
  });

  test('the service\'s own series after the traffic', () => {
    expect(exposition).toMatch(/^autoremediator_alerts_received_total\{status="firing",duplicate="false"\} 3$/m);
    expect(exposition).toMatch(/^autoremediator_intake_rejected_total\{reason="[^"]+"\} 1$/m);
  });
});
