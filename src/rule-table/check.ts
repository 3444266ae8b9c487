/**
 * `autoremediator check <dir|file>…`, in the manner of `promtool check rules`: validate the rule
 * files exactly as the service would load them and report every error, or a summary.
 */
import { resolve } from 'node:path';
import { formatRuleError, type RuleLoadError } from './errors.js';
import { listRuleFiles, loadRuleFiles } from './loader.js';

export interface CheckResult {
  ok: boolean;
  /** Rules found (0 when there are errors). */
  ruleCount: number;
  /** Files checked, in load order, with their rule counts (counts only when ok). */
  files: { file: string; ruleCount: number }[];
  /** Formatted errors (`rules/db.yaml: rules[2].action.maxReplicas: must be ≥ minReplicas`). */
  errors: string[];
}

/**
 * Check the rule files under the given paths as one table (so duplicate rule names across them
 * are caught, as the service would). A file named twice is checked once.
 *
 * @example
 * const r = await checkRules(['rules']);
 * process.stdout.write(formatCheckReport(r));
 * process.exitCode = r.ok ? 0 : 1;
 */
export async function checkRules(paths: readonly string[]): Promise<CheckResult> {
  if (paths.length === 0) return { ok: false, ruleCount: 0, files: [], errors: ['no rule files or directories given'] };
  const errors: RuleLoadError[] = [];
  const files: string[] = [];
  const seen = new Set<string>();
  for (const path of paths) {
    const listed = await listRuleFiles(path);
    if (!listed.ok) {
      errors.push(...listed.errors);
      continue;
    }
    for (const file of listed.files) {
      const key = resolve(file);
      if (seen.has(key)) continue;
      seen.add(key);
      files.push(file);
    }
  }
  const loaded = files.length > 0 ? await loadRuleFiles(files) : null;
  if (loaded && !loaded.ok) errors.push(...loaded.errors);
  if (errors.length > 0 || !loaded?.ok) {
    return { ok: false, ruleCount: 0, files: files.map((file) => ({ file, ruleCount: 0 })), errors: errors.map(formatRuleError) };
  }
  const counts = files.map((file) => ({ file, ruleCount: loaded.table.rules.filter((r) => r.source.file === file).length }));
  return { ok: true, ruleCount: loaded.table.rules.length, files: counts, errors: [] };
}

/**
 * The text the CLI prints: every error and a FAILED line, or one SUCCESS line per file and a
 * summary. Ends with a newline.
 */
export function formatCheckReport(r: CheckResult): string {
  if (!r.ok) {
    const n = r.errors.length;
    return `${r.errors.join('\n')}\nFAILED: ${n} error${n === 1 ? '' : 's'}\n`;
  }
  const lines = r.files.map((f) => `Checking ${f.file}\n  SUCCESS: ${f.ruleCount} rule${f.ruleCount === 1 ? '' : 's'} found`);
  const nf = r.files.length;
  lines.push(`SUCCESS: ${r.ruleCount} rule${r.ruleCount === 1 ? '' : 's'} in ${nf} file${nf === 1 ? '' : 's'}`);
  return `${lines.join('\n')}\n`;
}
