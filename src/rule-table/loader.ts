/**
 * Loads a rule table from `rules/*.yaml`: a directory (every `*.yaml` / `*.yml` directly in it,
 * by file name; dot-entries such as a ConfigMap's `..data` are ignored) or a single file.
 *
 * Every problem is collected, not just the first: YAML syntax (with line and column), schema
 * issues, matcher and template errors, duplicate rule names across files. A table is returned
 * only when there is none. The table is frozen: a reload builds a new one and swaps it in whole.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { Matcher, Rule, RuleTable } from '../rule-table/rule.js';
import { formatPath, issuesToErrors, type RuleLoadError } from './errors.js';
import { parseMatcher } from './matchers.js';
import { checkPromql } from './promql.js';
import { splitPrecondition, unknownPlanRefs, withPlanPlaceholders } from './precondition.js';
import { ruleSchema, type ActionType } from './schema.js';
import { actionPhrase, cannotCarry } from './capabilities.js';
import { validateTemplate } from './templates.js';
import type { ValueKind } from './values.js';

export type LoadResult = { ok: true; table: RuleTable } | { ok: false; errors: RuleLoadError[] };

/** One rule file's name (as it appears in messages) and content. */
export interface RuleSource {
  file: string;
  text: string;
}

const RULE_FILE = /\.ya?ml$/;
const MAX_ALIAS_EXPANSION = 100_000;

/**
 * Load and validate the rule table at `path` (a directory or one file).
 *
 * @example
 * const r = await loadRuleTable('rules');
 * if (!r.ok) for (const e of r.errors) console.error(formatRuleError(e));
 */
export async function loadRuleTable(path: string): Promise<LoadResult> {
  const listed = await listRuleFiles(path);
  if (!listed.ok) return listed;
  return loadRuleFiles(listed.files);
}

/** Largest rule file loaded (1 MiB: the shipped table is ~15 KiB). */
export const MAX_RULE_FILE_BYTES = 1024 * 1024;

/** The rule files `path` stands for, in load order; an error when there are none. */
export async function listRuleFiles(path: string): Promise<{ ok: true; files: string[] } | { ok: false; errors: RuleLoadError[] }> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (err) {
    return { ok: false, errors: [{ file: path, path: '', message: fsMessage(err) }] };
  }
  if (!isDir) return { ok: true, files: [path] };

  let names: string[];
  try {
    names = await readdir(path);
  } catch (err) {
    return { ok: false, errors: [{ file: path, path: '', message: fsMessage(err) }] };
  }
  const files: string[] = [];
  const unreadable: RuleLoadError[] = [];
  for (const name of names.filter((n) => !n.startsWith('.') && RULE_FILE.test(n)).sort(byCodeUnit)) {
    const file = join(path, name);
    // Follow symlinks (ConfigMap mounts link each key through `..data`); skip what is not a file.
    // A rule file that cannot be followed (dangling or looping symlink, no permission) is an
    // error, not a silent drop: the old table keeps serving.
    const st = await stat(file).then(
      (s) => ({ ok: true as const, s }),
      (err: unknown) => ({ ok: false as const, err: err as NodeJS.ErrnoException }),
    );
    if (!st.ok) {
      const why = st.err.code === 'ELOOP' ? 'looping symlink' : st.err.code === 'ENOENT' ? 'dangling symlink' : fsMessage(st.err);
      unreadable.push({ file, path: '', message: `cannot be read (${why})` });
    } else if (st.s.isFile()) files.push(file);
  }
  if (unreadable.length > 0) return { ok: false, errors: unreadable };
  if (files.length === 0) return { ok: false, errors: [{ file: path, path: '', message: 'no rule files (*.yaml, *.yml) in this directory' }] };
  return { ok: true, files };
}

/** Read the given files and build the table from them, in the order given. */
export async function loadRuleFiles(files: readonly string[]): Promise<LoadResult> {
  const sources: RuleSource[] = [];
  const errors: RuleLoadError[] = [];
  for (const file of files) {
    try {
      // Bounded: a huge file would freeze the service while YAML parses it.
      const size = (await stat(file)).size;
      if (size > MAX_RULE_FILE_BYTES) {
        errors.push({ file, path: '', message: `${size} bytes, above the limit of ${MAX_RULE_FILE_BYTES} bytes per rule file` });
        continue;
      }
      sources.push({ file, text: await readFile(file, 'utf8') });
    } catch (err) {
      errors.push({ file, path: '', message: fsMessage(err) });
    }
  }
  const built = buildRuleTable(sources);
  if (errors.length > 0) return { ok: false, errors: [...errors, ...(built.ok ? [] : built.errors)] };
  return built;
}

/**
 * Build a table from file contents (no I/O): the core of the loader, also used by `check`,
 * tests and benchmarks. Rules keep file order; files keep the order given.
 */
export function buildRuleTable(sources: readonly RuleSource[], loadedAt: Date = new Date()): LoadResult {
  const errors: RuleLoadError[] = [];
  const rules: Rule[] = [];
  const seen = new Map<string, { file: string; index: number }>();
  for (const source of sources) {
    const fileRules = parseRuleFile(source, seen, errors);
    rules.push(...fileRules);
  }
  if (errors.length > 0) return { ok: false, errors };

  const hash = createHash('sha256');
  for (const s of sources) hash.update(basename(s.file)).update('\0').update(s.text).update('\0');
  const table: RuleTable = { rules, files: sources.map((s) => s.file), loadedAt, version: hash.digest('hex') };
  return { ok: true, table: deepFreeze(table) };
}

function parseRuleFile(source: RuleSource, seen: Map<string, { file: string; index: number }>, errors: RuleLoadError[]): Rule[] {
  const { file } = source;
  const lineCounter = new LineCounter();
  const doc = parseDocument(source.text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const { line, col } = lineCounter.linePos(e.pos[0]);
      const message = e.code === 'MULTIPLE_DOCS' ? 'a rule file holds one YAML document (found a second "---")' : e.message;
      errors.push({ file, path: '', message: `line ${line}, column ${col}: ${message}` });
    }
    return [];
  }

  let data: unknown;
  try {
    // Anchors shared by many rules (`target: *api`) are fine; exponential alias expansion is not.
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSION });
  } catch (err) {
    errors.push({ file, path: '', message: err instanceof Error ? err.message : String(err) });
    return [];
  }
  if (data === null || data === undefined) {
    errors.push({ file, path: '', message: 'the file is empty: a rule file needs a top-level "rules:" list' });
    return [];
  }
  if (!isPlainObject(data)) {
    errors.push({ file, path: '', message: 'a rule file must be a mapping with a top-level "rules:" list' });
    return [];
  }
  for (const key of Object.keys(data)) {
    if (key !== 'rules') errors.push({ file, path: '', message: `unknown key ${JSON.stringify(key)} (a rule file has only "rules:")` });
  }
  if (!('rules' in data)) {
    errors.push({ file, path: '', message: 'no "rules:" list in this file' });
    return [];
  }
  const raw = data.rules;
  if (!Array.isArray(raw)) {
    errors.push({ file, path: 'rules', message: 'must be a list of rules' });
    return [];
  }

  const rules: Rule[] = [];
  raw.forEach((item: unknown, index) => {
    const before = errors.length;
    const parsed = ruleSchema.safeParse(item, { reportInput: true });
    if (!parsed.success) errors.push(...issuesToErrors(file, ['rules', index], parsed.error.issues));

    // Checks zod cannot do, run on the raw rule so that one file reports everything at once.
    const compiled = isPlainObject(item) ? checkRawRule(file, index, item, seen, errors) : [];
    if (parsed.success && errors.length === before) {
      rules.push({ ...parsed.data, source: { file, index }, compiled });
    }
  });
  return rules;
}

/** Matchers, templates and unique names; returns the compiled matchers (complete only when no errors). */
function checkRawRule(
  file: string,
  index: number,
  rule: Record<string, unknown>,
  seen: Map<string, { file: string; index: number }>,
  errors: RuleLoadError[],
): Matcher[] {
  const at = (...path: PropertyKey[]): string => formatPath(['rules', index, ...path]);

  if (typeof rule.name === 'string' && rule.name !== '') {
    const first = seen.get(rule.name);
    if (first) {
      errors.push({ file, path: at('name'), message: `duplicate rule name ${JSON.stringify(rule.name)} (first defined in ${first.file}: rules[${first.index}])` });
    } else {
      seen.set(rule.name, { file, index });
    }
  }

  const compiled: Matcher[] = [];
  if (Array.isArray(rule.matchers)) {
    rule.matchers.forEach((m: unknown, j) => {
      if (typeof m !== 'string' || m === '') return; // the schema reports these
      const r = parseMatcher(m);
      if (r.ok) compiled.push(r.matcher);
      else errors.push({ file, path: at('matchers', j), message: `${JSON.stringify(m)}: ${r.error}` });
    });
  }

  const template = (value: unknown, kind: ValueKind, ...path: PropertyKey[]): void => {
    if (typeof value !== 'string' || value === '') return;
    for (const message of validateTemplate(value, kind)) errors.push({ file, path: at(...path), message });
  };
  if (isPlainObject(rule.target)) {
    for (const field of ['apiVersion', 'kind', 'namespace', 'name'] as const) template(rule.target[field], field, 'target', field);
  }
  if (isPlainObject(rule.action)) {
    if (rule.action.type === 'resources') template(rule.action.container, 'container', 'action', 'container');
    if (rule.action.type === 'redis') {
      const address = rule.action.address;
      // A credentialed connection never goes to a host a label chose (issue 21).
      if (typeof address === 'string' && address.includes('{{')) {
        errors.push({ file, path: at('action', 'address'), message: `${JSON.stringify(address)}: the Redis address must not come from a label (the password would go wherever the alert says); name the Service in the target's namespace with \`service\`, or write the address literally` });
      } else template(address, 'redis-address', 'action', 'address');
    }
  }
  checkTargetCarriesAction(file, rule, at, errors);
  if (isPlainObject(rule.validate) && Array.isArray(rule.validate.checks)) {
    rule.validate.checks.forEach((c: unknown, k) => {
      if (!isPlainObject(c)) return;
      template(c.query, 'promql', 'validate', 'checks', k, 'query');
      if (typeof c.query !== 'string' || c.query === '') return;
      const syntax = checkPromql(c.query);
      if (syntax === null) return;
      const names = `rule ${typeof rule.name === 'string' ? rule.name : `#${index}`}, check ${typeof c.name === 'string' ? c.name : `#${k}`}`;
      errors.push({ file, path: at('validate', 'checks', k, 'query'), message: `${names}: PromQL syntax error at line ${syntax.line}, column ${syntax.column} of the query: ${syntax.message}` });
    });
  }
  checkPreconditions(file, index, rule, at, errors);
  return compiled;
}

/** guards.preconditions[].expr: plan references, label templates in strings, PromQL syntax, one top-level comparison. */
function checkPreconditions(file: string, index: number, rule: Record<string, unknown>, at: (...path: PropertyKey[]) => string, errors: RuleLoadError[]): void {
  const list = isPlainObject(rule.guards) ? rule.guards.preconditions : undefined;
  if (!Array.isArray(list)) return;
  list.forEach((p: unknown, k) => {
    if (!isPlainObject(p) || typeof p.expr !== 'string' || p.expr === '') return;
    const where = at('guards', 'preconditions', k, 'expr');
    const names = `rule ${typeof rule.name === 'string' ? rule.name : `#${index}`}, precondition ${typeof p.name === 'string' ? p.name : `#${k}`}`;
    const unknown = unknownPlanRefs(p.expr);
    if (unknown.length > 0) {
      for (const message of unknown) errors.push({ file, path: where, message: `${names}: ${message}` });
      return;
    }
    const text = withPlanPlaceholders(p.expr);
    const templates = validateTemplate(text, 'promql');
    if (templates.length > 0) {
      for (const message of templates) errors.push({ file, path: where, message: `${names}: ${message}` });
      return;
    }
    const syntax = checkPromql(text);
    if (syntax !== null) {
      errors.push({ file, path: where, message: `${names}: PromQL syntax error at line ${syntax.line}, column ${syntax.column} of the expression: ${syntax.message}` });
      return;
    }
    const split = splitPrecondition(text.replace(/\{\{[\s\S]*?\}\}/g, (m) => 'x'.repeat(m.length)));
    if (!split.ok) errors.push({ file, path: where, message: `${names}: column ${split.column}: ${split.message}` });
  });
}

/**
 * A target whose kind can never carry the action (an hpa action on a Pod, undo on a StatefulSet,
 * resources on an HPA …) is refused with the reason, at target.kind. A templated kind, and a target
 * found `from:` an object, are checked when the workload is known (the resolver refuses those).
 */
function checkTargetCarriesAction(file: string, rule: Record<string, unknown>, at: (...path: PropertyKey[]) => string, errors: RuleLoadError[]): void {
  const target = rule.target;
  const action = rule.action;
  if (!isPlainObject(target) || !isPlainObject(action) || typeof action.type !== 'string') return;
  const type = action.type as ActionType;
  if (!ACTION_TYPES.includes(type)) return; // the schema reports it
  if (isPlainObject(action.newestRevisionOnly) && target.from !== 'Pod') {
    errors.push({ file, path: at('action', 'newestRevisionOnly'), message: 'needs target.from: Pod: the revision a crash started with is the revision of the pod the alert names' });
  }
  if (typeof target.kind !== 'string' || typeof target.apiVersion !== 'string' || target.kind.includes('{{') || target.apiVersion.includes('{{')) return;
  const why = cannotCarry(type, target.apiVersion, target.kind);
  if (why !== null) errors.push({ file, path: at('target', 'kind'), message: `a ${target.kind} can never carry ${actionPhrase(type)}: ${why}` });
}

const ACTION_TYPES: readonly ActionType[] = ['scale', 'hpa', 'resources', 'restart', 'undo', 'redis'];

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function fsMessage(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  return err instanceof Error ? err.message : String(err);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value) && !(value instanceof Date)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
