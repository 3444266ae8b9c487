/**
 * Rule load errors: every message names the file and the key, as
 * `rules/db.yaml: rules[2].action.maxReplicas: must be ≥ minReplicas`.
 */
import type { z } from 'zod';

/** One problem found while loading a rule table. `path` is empty for file-level problems. */
export interface RuleLoadError {
  file: string;
  /** Key path inside the file: `rules[2].action.maxReplicas`; '' for the file as a whole. */
  path: string;
  message: string;
}

/** `rules/db.yaml: rules[2].action.maxReplicas: must be ≥ minReplicas` */
export function formatRuleError(e: RuleLoadError): string {
  return e.path === '' ? `${e.file}: ${e.message}` : `${e.file}: ${e.path}: ${e.message}`;
}

/** `['rules', 2, 'action', 'maxReplicas']` → `rules[2].action.maxReplicas`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && /^[A-Za-z_$][\w$]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

type Issue = z.core.$ZodIssue;

/** Turn zod issues into load errors with rendered paths and messages a person can act on. */
export function issuesToErrors(file: string, prefix: readonly PropertyKey[], issues: readonly Issue[]): RuleLoadError[] {
  const out: RuleLoadError[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ file, path: formatPath(path), message: `unknown key ${JSON.stringify(key)}` });
      continue;
    }
    out.push({ file, path: formatPath(path), message: issueMessage(issue) });
  }
  return out;
}

function issueMessage(issue: Issue): string {
  const got = isPrimitive(issue.input) ? ` (got ${describe(issue.input)})` : '';
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${article(issue.expected)} (got ${describe(issue.input)})`;
    case 'invalid_union': {
      if (issue.discriminator !== undefined && 'options' in issue && issue.options !== undefined) {
        // The issue's path ends at the discriminator key, its input is the object around it.
        const input: unknown = issue.input;
        const value = typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[issue.discriminator] : undefined;
        const options = issue.options.map(String).join(', ');
        return value === undefined ? `is required: one of ${options}` : `must be one of ${options} (got ${describe(value)})`;
      }
      const branchTypes = issue.errors.flat().filter((i) => i.code === 'invalid_type' && i.path.length === 0);
      if (branchTypes.length > 0 && branchTypes.length === issue.errors.flat().length) {
        const expected = [...new Set(branchTypes.map((i) => (i.code === 'invalid_type' ? i.expected : '')))];
        return `must be ${expected.map(article).join(' or ')}${got}`;
      }
      return `${issue.message}${got}`;
    }
    case 'invalid_value':
      if (issue.values.length === 1) return `must be ${JSON.stringify(issue.values[0])}${got}`;
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}${got}`;
    case 'too_small':
      return bound(issue.origin, issue.minimum, issue.inclusive ?? false, 'min') + got;
    case 'too_big':
      return bound(issue.origin, issue.maximum, issue.inclusive ?? false, 'max') + got;
    case 'invalid_format':
      return (issue.message.startsWith('Invalid') && issue.pattern ? `must match ${issue.pattern}` : issue.message) + got;
    case 'custom':
      return stripKeyName(issue.message, issue.path);
    default:
      return issue.message + got;
  }
}

function bound(origin: string, limit: number | bigint, inclusive: boolean, side: 'min' | 'max'): string {
  const n = Number(limit);
  if (origin === 'array') return side === 'min' ? `needs at least ${n} item${n === 1 ? '' : 's'}` : `allows at most ${n} item${n === 1 ? '' : 's'}`;
  if (origin === 'string') {
    if (side === 'min' && n === 1) return 'must not be empty';
    return side === 'min' ? `must be at least ${n} characters` : `must be at most ${n} characters`;
  }
  if (side === 'min') return `must be ${inclusive ? '≥' : '>'} ${n}`;
  return `must be ${inclusive ? '≤' : '<'} ${n}`;
}

/** `maxReplicas must be ≥ minReplicas` at path `…maxReplicas` reads `…maxReplicas: must be ≥ minReplicas`. */
function stripKeyName(message: string, path: readonly PropertyKey[]): string {
  const last = path[path.length - 1];
  if (typeof last === 'string' && message.startsWith(`${last} `)) return message.slice(last.length + 1);
  return message;
}

function article(type: string): string {
  if (type === 'int') return 'an integer';
  if (type === 'array') return 'a list';
  if (type === 'object') return 'a mapping';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return article(typeof v);
}

function isPrimitive(v: unknown): boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return typeName(v);
}
