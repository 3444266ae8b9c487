// Shared helpers for the rule-table tests: temp directories and edited copies of the shipped rules.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument, type Document } from 'yaml';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const SHIPPED_RULES_DIR = join(REPO_ROOT, 'rules');
export const SHIPPED_RULES_FILE = join(SHIPPED_RULES_DIR, 'ci-failure-agent.yaml');
/** The captured Alertmanager bodies (see test/helpers/fixtures.ts). */
export { FIXTURE_DIR as FIXTURES_DIR } from '../../helpers/fixtures.js';

export function shippedRulesText(): Promise<string> {
  return readFile(SHIPPED_RULES_FILE, 'utf8');
}

/** A copy of `text` with YAML edits applied (comments kept). */
export function editYaml(text: string, edit: (doc: Document) => void): string {
  const doc = parseDocument(text);
  edit(doc);
  return doc.toString();
}

/** Temp directories removed by `cleanup()` (call it in afterEach). */
export class TempDirs {
  private readonly dirs: string[] = [];

  async make(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'rule-table-test-'));
    this.dirs.push(dir);
    return dir;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  }
}
