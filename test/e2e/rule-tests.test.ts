/**
 * `autoremediator test`, as CI runs it: the built CLI passes the shipped rules/tests/*.yaml, fails
 * (exit 1, promtool's layout, expected and got per decision) when a rule's decision changes in a
 * copy, and names file, key and line for a bad test file.
 */
import { jest } from '@jest/globals';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/fixtures.js';
import { startCli } from '../helpers/process.js';

jest.setTimeout(120_000);

async function run(args: string[]): Promise<{ code: number | null; out: string }> {
  const cli = startCli(args);
  const { code } = await cli.exited;
  return { code, out: cli.output() };
}

/** rules/ and examples/alerts/ copied, so a test file's relative paths hold in the copy. */
function copyRepoParts(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rule-tests-'));
  cpSync(join(REPO_ROOT, 'rules'), join(dir, 'rules'), { recursive: true });
  cpSync(join(REPO_ROOT, 'examples', 'alerts'), join(dir, 'examples', 'alerts'), { recursive: true });
  return dir;
}

const shipped = readdirSync(join(REPO_ROOT, 'rules', 'tests')).filter((f) => f.endsWith('.yaml')).map((f) => join(REPO_ROOT, 'rules', 'tests', f));

describe('autoremediator test', () => {
  let dir: string;
  beforeEach(() => {
    dir = copyRepoParts();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('the shipped rules pass their tests', async () => {
    expect(shipped.length).toBeGreaterThan(0);
    const r = await run(['test', ...shipped]);
    expect(r.out).toMatch(/^Unit Testing: {2}.*rules\/tests\/ci-failure-agent\.test\.yaml\n {2}SUCCESS \(\d+ tests\)/m);
    expect(r.out).not.toContain('FAILED');
    expect(r.code).toBe(0);
  });

  test('a rule whose decision changes fails its tests: exit 1, each changed decision expected and got', async () => {
    const rules = join(dir, 'rules', 'ci-failure-agent.yaml');
    // The consumers' pool grows from 5 to 50 connections: the same database no longer has room.
    writeFileSync(rules, readFileSync(rules, 'utf8').replace("'{{ .added }} * 5 <=", "'{{ .added }} * 50 <="));
    const r = await run(['test', join(dir, 'rules', 'tests', 'ci-failure-agent.test.yaml')]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('  FAILED:\n    QueueDepthHigh adds two consumers when the database has room for their pools:\n      decision 1 (alert 1, QueueDepthHigh):\n');
    expect(r.out).toContain('        exp: rule queue-add-consumers: act replicas 2 → 4\n');
    expect(r.out).toMatch(/ {8}got: rule queue-add-consumers: skip precondition-failed: Precondition db-connections-room .* `2 \* 50` = 100 is not <= .* = 60\./);
    // The saturated-database test still skips, but its explanation says other numbers than it expects.
    expect(r.out).toContain('    a saturated database stops QueueDepthHigh, with the numbers:\n');
    // Tests of other rules are untouched by the change.
    expect(r.out).not.toContain('three HighPodCPU alerts');
  });

  test('a bad test file: exit 1, file, key and line of each error, nothing run', async () => {
    const file = join(dir, 'rules', 'tests', 'bad.yaml');
    writeFileSync(
      file,
      ['ruleFiles: [../ci-failure-agent.yaml]', 'tests:', '  - name: x', '    at: 2026-11-28T10:22:00Z', '    alerts: [{ labels: { alertname: A } }]', '    expect:', '      - { rule: r, skip: cooldwn }', ''].join('\n'),
    );
    const r = await run(['test', file]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`${file}: tests[0].expect[0].skip: Invalid option`);
    expect(r.out).toContain('(line 7, column 26)');
  });
});
