import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RuleTableWatcher, type ReloadStatus } from '../../../src/rule-table/watcher.js';
import { TempDirs } from './helpers.js';

const temp = new TempDirs();
const watchers: RuleTableWatcher[] = [];
afterEach(async () => {
  for (const w of watchers.splice(0)) w.stop();
  await temp.cleanup();
});

const rule = (name: string): string =>
  `  - name: ${name}\n    matchers: ['alertname="A"']\n    target: { apiVersion: apps/v1, kind: Deployment, namespace: ci, name: x }\n    action: { type: restart }\n`;
const rulesFile = (...names: string[]): string => `rules:\n${names.map(rule).join('')}`;

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A clock that advances one second per reading, so attempts are told apart. */
function tickingClock(): () => Date {
  let t = Date.parse('2026-11-28T10:00:00Z');
  return () => new Date((t += 1000));
}

async function started(dir: string, path = dir): Promise<{ w: RuleTableWatcher; reports: ReloadStatus[] }> {
  const reports: ReloadStatus[] = [];
  const w = new RuleTableWatcher(path, { debounceMs: 20, onReload: (s) => reports.push(s), now: tickingClock() });
  watchers.push(w);
  await w.start();
  return { w, reports };
}

const ruleNames = (w: RuleTableWatcher): string[] => w.current().rules.map((r) => r.name);

describe('RuleTableWatcher', () => {
  test('start() loads the table and reports the status', async () => {
    const dir = await temp.make();
    await writeFile(join(dir, 'r.yaml'), rulesFile('one', 'two'));
    const { w, reports } = await started(dir);
    expect(ruleNames(w)).toEqual(['one', 'two']);
    expect(w.status()).toMatchObject({ ok: true, version: w.current().version, ruleCount: 2, errors: [] });
    expect(w.status().lastSuccessAt).toBeInstanceOf(Date);
    expect(reports).toHaveLength(1);
  });

  test('start() throws, listing every error, when the table is invalid', async () => {
    const dir = await temp.make();
    await writeFile(join(dir, 'a.yaml'), 'rules:\n  - name: Bad_Name\n');
    const w = new RuleTableWatcher(dir, { debounceMs: 20 });
    watchers.push(w);
    const err = await w.start().then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.message.split('\n')).toEqual([
      `invalid rule table at ${dir}:`,
      `  ${join(dir, 'a.yaml')}: rules[0].name: rule names are lower-case letters, digits and dashes (got "Bad_Name")`,
      `  ${join(dir, 'a.yaml')}: rules[0].matchers: is required`,
      `  ${join(dir, 'a.yaml')}: rules[0].target: is required`,
      `  ${join(dir, 'a.yaml')}: rules[0].action: is required`,
    ]);
    expect(() => w.current()).toThrow(/no rule table loaded/);
  });

  test('a valid edit in place is picked up', async () => {
    const dir = await temp.make();
    await writeFile(join(dir, 'r.yaml'), rulesFile('one'));
    const { w, reports } = await started(dir);
    await writeFile(join(dir, 'r.yaml'), rulesFile('one', 'two'));
    await waitFor('the reload', () => ruleNames(w).length === 2);
    expect(ruleNames(w)).toEqual(['one', 'two']);
    expect(reports.at(-1)).toMatchObject({ ok: true, ruleCount: 2 });
  });

  test("an editor's rename-on-save is picked up", async () => {
    const dir = await temp.make();
    await writeFile(join(dir, 'r.yaml'), rulesFile('one'));
    const { w } = await started(dir);
    await writeFile(join(dir, '.r.yaml.swp'), rulesFile('renamed'));
    await rename(join(dir, '.r.yaml.swp'), join(dir, 'r.yaml'));
    await waitFor('the reload', () => ruleNames(w)[0] === 'renamed');
  });

  test('a new file in the directory is picked up', async () => {
    const dir = await temp.make();
    await writeFile(join(dir, 'a.yaml'), rulesFile('one'));
    const { w } = await started(dir);
    await writeFile(join(dir, 'b.yaml'), rulesFile('two'));
    await waitFor('the reload', () => ruleNames(w).length === 2);
    expect(ruleNames(w)).toEqual(['one', 'two']);
  });

  test("a ConfigMap's ..data symlink swap is picked up", async () => {
    const dir = await temp.make();
    const v1 = join(dir, '..2026_11_28_10_00_00.000000001');
    const v2 = join(dir, '..2026_11_28_10_05_00.000000002');
    await mkdir(v1);
    await writeFile(join(v1, 'ci.yaml'), rulesFile('before'));
    await symlink('..2026_11_28_10_00_00.000000001', join(dir, '..data'));
    await symlink(join('..data', 'ci.yaml'), join(dir, 'ci.yaml'));
    const { w } = await started(dir);
    expect(ruleNames(w)).toEqual(['before']);

    // What the kubelet does: write a new timestamped dir, point ..data_tmp at it, rename over ..data.
    await mkdir(v2);
    await writeFile(join(v2, 'ci.yaml'), rulesFile('after'));
    await symlink('..2026_11_28_10_05_00.000000002', join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    await rm(v1, { recursive: true });
    await waitFor('the reload', () => ruleNames(w)[0] === 'after');
  });

  test('an invalid edit keeps the old table serving and reports the error; fixing it recovers', async () => {
    const dir = await temp.make();
    await writeFile(join(dir, 'r.yaml'), rulesFile('one'));
    const { w, reports } = await started(dir);
    const before = w.current();
    const loadedAt = w.status().lastSuccessAt;

    await writeFile(join(dir, 'r.yaml'), rulesFile('one').replace('type: restart', 'type: reboot'));
    await waitFor('the failed reload', () => reports.some((s) => !s.ok));
    expect(w.current()).toBe(before);
    const status = w.status();
    expect(status).toMatchObject({ ok: false, version: before.version, ruleCount: 1 });
    expect(status.errors).toEqual([
      `${join(dir, 'r.yaml')}: rules[0].action.type: must be one of scale, hpa, resources, restart, undo, redis (got "reboot")`,
    ]);
    expect(status.lastSuccessAt).toEqual(loadedAt);
    expect(status.lastAttemptAt!.getTime()).toBeGreaterThan(loadedAt!.getTime());

    await writeFile(join(dir, 'r.yaml'), rulesFile('fixed'));
    await waitFor('the recovery', () => w.status().ok && ruleNames(w)[0] === 'fixed');
    expect(w.status().errors).toEqual([]);
  });

  test('reload() loads on demand (SIGHUP), and an unchanged table stays the same object', async () => {
    const dir = await temp.make();
    await writeFile(join(dir, 'r.yaml'), rulesFile('one'));
    const { w } = await started(dir);
    w.stop(); // no file events from here on: only reload() can change the table
    const before = w.current();

    expect(await w.reload()).toMatchObject({ ok: true, version: before.version });
    expect(w.current()).toBe(before);

    await writeFile(join(dir, 'r.yaml'), rulesFile('one', 'two'));
    const status = await w.reload();
    expect(status).toMatchObject({ ok: true, ruleCount: 2 });
    expect(status.version).not.toBe(before.version);
    expect(ruleNames(w)).toEqual(['one', 'two']);
  });

  test('reload() of a deleted directory keeps the table and reports why', async () => {
    const dir = await temp.make();
    const rules = join(dir, 'rules');
    await mkdir(rules);
    await writeFile(join(rules, 'r.yaml'), rulesFile('one'));
    const { w } = await started(rules);
    await rm(rules, { recursive: true });
    const status = await w.reload();
    expect(status).toMatchObject({ ok: false, ruleCount: 1, errors: [`${rules}: no such file or directory`] });
    expect(ruleNames(w)).toEqual(['one']);
  });

  test('a single file path is watched through its directory', async () => {
    const dir = await temp.make();
    const file = join(dir, 'only.yaml');
    await writeFile(file, rulesFile('one'));
    const { w } = await started(dir, file);
    await writeFile(join(dir, '.tmp'), rulesFile('two'));
    await rename(join(dir, '.tmp'), file);
    await waitFor('the reload', () => ruleNames(w)[0] === 'two');
  });

  test('after stop(), file changes are no longer picked up', async () => {
    const dir = await temp.make();
    await writeFile(join(dir, 'r.yaml'), rulesFile('one'));
    const { w, reports } = await started(dir);
    w.stop();
    await writeFile(join(dir, 'r.yaml'), rulesFile('two'));
    await new Promise((r) => setTimeout(r, 200)); // ten debounce periods
    expect(ruleNames(w)).toEqual(['one']);
    expect(reports).toHaveLength(1);
  });

  test('concurrent reload() calls run one after another and all resolve', async () => {
    const dir = await temp.make();
    await writeFile(join(dir, 'r.yaml'), rulesFile('one'));
    const { w, reports } = await started(dir);
    w.stop();
    const results = await Promise.all([w.reload(), w.reload(), w.reload()]);
    expect(results.map((s) => s.ok)).toEqual([true, true, true]);
    expect(reports).toHaveLength(4);
  });
});
