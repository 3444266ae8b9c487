/**
 * Issue 21: what RULES_DIR holds cannot silently shrink the table or freeze the service.
 * A dangling or looping symlink (or an unreadable entry) is a load error, and a rule
 * file over MAX_RULE_FILE_BYTES is refused with the file and the limit named; the watcher
 * keeps serving the old table.
 */
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRuleTable, MAX_RULE_FILE_BYTES } from '../../src/rule-table/loader.js';
import { RuleTableWatcher } from '../../src/rule-table/watcher.js';
import { silentLogger } from '../../src/platform/logger.js';
import { SHIPPED_RULES } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hardening-rulefiles-'));
  copyFileSync(join(SHIPPED_RULES, 'ci-failure-agent.yaml'), join(dir, 'a.yaml'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test.each([
  ['a dangling symlink', () => symlinkSync(join(dir, 'gone.yaml'), join(dir, 'b.yaml')), /b\.yaml.*dangling symlink/],
  ['a looping symlink', () => (symlinkSync(join(dir, 'c.yaml'), join(dir, 'b.yaml')), symlinkSync(join(dir, 'b.yaml'), join(dir, 'c.yaml'))), /looping symlink/],
  ['a file over the size limit', () => writeFileSync(join(dir, 'b.yaml'), `# ${'x'.repeat(MAX_RULE_FILE_BYTES)}\nrules: []\n`), new RegExp(`b\\.yaml.*above the limit of ${MAX_RULE_FILE_BYTES} bytes`)],
])('%s in RULES_DIR is a load error naming the file; the watcher keeps the old table', async (_name, make, message) => {
  const watcher = new RuleTableWatcher(dir, { logger: silentLogger });
  await watcher.start?.();
  const first = await watcher.reload();
  expect(first.ok).toBe(true);
  const count = watcher.current().rules.length;
  make();
  const r = await loadRuleTable(dir);
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.errors.map((e) => `${e.file}: ${e.message}`).join('\n')).toMatch(message);
  const again = await watcher.reload();
  expect(again.ok).toBe(false);
  expect(watcher.current().rules.length).toBe(count);
  watcher.stop();
});
