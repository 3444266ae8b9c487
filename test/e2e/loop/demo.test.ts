/**
 * `autoremediator sandbox --with-prometheus` (npm run demo) as a real process: without
 * the binaries it names the Debian packages; with them it runs the loop, prints a
 * timeline in which HighPodCPU fires and is remediated and validated, takes load
 * changes from `autoremediator sandbox load`, and stops what it started on Ctrl-C.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithBinaries } from '../../helpers/binaries.js';
import { startCli } from '../../helpers/process.js';
import { LOOP_BINARIES } from './harness.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('demo without Prometheus and Alertmanager on PATH', () => {
  test('exits 1 and names the Debian packages', async () => {
    const cli = startCli(['sandbox', '--with-prometheus'], { PATH: '/nonexistent' });
    const { code } = await cli.exited;
    expect(code).toBe(1);
    expect(cli.output()).toMatch(/apt-get install -y prometheus prometheus-alertmanager/);
  });
});

describeWithBinaries(LOOP_BINARIES, 'npm run demo: the live loop', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'demo-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('HighPodCPU fires, the HPA floor is raised and validated, one line per event; Ctrl-C stops every process it started', async () => {
    const cli = startCli(['sandbox', '--with-prometheus', '--port', '0', '--data-dir', dir, '--ready-delay', '1000']);
    try {
      const ready = JSON.parse((await cli.waitForLine(/^DEMO_READY /, 60_000)).slice('DEMO_READY '.length)) as { api: string; pids: { prometheus: number; alertmanager: number } };
      expect(alive(ready.pids.prometheus)).toBe(true);
      expect(alive(ready.pids.alertmanager)).toBe(true);

      await cli.waitForLine(/^\+\s*[\d.]+s {2}load {7}profile: ramp from 300 to 900 req\/s/, 30_000);
      await cli.waitForLine(/^\+\s*[\d.]+s {2}alert {6}HighPodCPU firing \(3: /, 60_000);
      await cli.waitForLine(/^\+\s*[\d.]+s {2}decision {3}act \[cpu-raise-hpa-floor #\w+\] Raise HPA ci-failure-agent of ci\/deployment\/ci-failure-agent: minReplicas 3→5: HighPodCPU is firing/, 30_000);
      await cli.waitForLine(/^\+\s*[\d.]+s {2}replicas {3}ci-failure-agent 5\/5 ready \(HPA 5\.\.20\)/, 30_000);
      await cli.waitForLine(/^\+\s*[\d.]+s {2}outcome {4}#\w+ succeeded: validation passed: p99-within-sla: Successful/, 60_000);

      // The load can be changed from the CLI while the demo runs.
      const load = startCli(['sandbox', 'load', '--url', ready.api, '--messages-per-second', '250']);
      expect((await load.exited).code).toBe(0);
      expect(JSON.parse(load.output()) as unknown).toMatchObject({ load: { messagesPerSecond: 250 } });
      await cli.waitForLine(/^\+\s*[\d.]+s {2}load {7}900 req\/s over 5 ready API pods: .*\(\+250\/s\)/, 15_000);

      cli.kill('SIGINT');
      const exit = await cli.exited;
      expect(exit.code).toBe(0);
      expect(cli.output()).toMatch(/SIGINT: stopping Prometheus \(pid \d+\), Alertmanager \(pid \d+\)/);
      expect(alive(ready.pids.prometheus)).toBe(false);
      expect(alive(ready.pids.alertmanager)).toBe(false);
      console.log(`demo output:\n${cli.output()}`);
    } finally {
      cli.kill('SIGKILL');
      await cli.exited;
    }
  }, 180_000);
});
