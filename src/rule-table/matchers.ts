/**
 * Alertmanager matchers, one per string: `alertname="HighPodCPU"`, `severity=~"warning|critical"`,
 * `service!="x"`, `namespace!~"kube-.*"`, and unquoted values as Alertmanager's newer parser
 * accepts them (`alertname=HighPodCPU`).
 *
 * Semantics follow Alertmanager (`pkg/labels`):
 * - a label the alert lacks matches as the empty string (`foo=""` matches an alert without `foo`);
 * - regexes are fully anchored (`^(?:re)$`), so `=~"warn"` does not match `warning`;
 * - regexes are RE2 (re2js), which runs in time linear in the label value: a crafted label cannot
 *   stall the service. JS RegExp never sees a label value here.
 *
 * A label name outside `[a-zA-Z_][a-zA-Z0-9_]*` (Alertmanager ≥ 0.27 and Prometheus 3 allow any UTF-8
 * name, e.g. OpenTelemetry's `service.name`) is written in double quotes, as Alertmanager's UTF-8
 * matchers write it: `"service.name"="checkout"`.
 *
 * Quoted values take the escapes of Alertmanager's classic parser: `\"`, `\\` and `\n`; any other
 * backslash is kept as written, so regexes such as `"10\.0\..*"` work as they do in Alertmanager.
 */
import { RE2JS } from 're2js';
import type { MatchOp, Matcher } from '../rule-table/rule.js';

export type ParseMatcherResult = { ok: true; matcher: Matcher } | { ok: false; error: string };

const OPERATORS: readonly MatchOp[] = ['=~', '!~', '!=', '='];
/** Characters that end an unquoted value or cannot appear in one (as in Alertmanager's lexer). */
const RESERVED = new Set(['{', '}', '!', '=', '~', ',', '\\', '"', "'", '`']);

const isSpace = (c: string | undefined): boolean => c !== undefined && /\s/.test(c);
const isNameStart = (c: string | undefined): boolean => c !== undefined && /[a-zA-Z_]/.test(c);
const isNameChar = (c: string | undefined): boolean => c !== undefined && /[a-zA-Z0-9_]/.test(c);

/** Compiled regexes by pattern: rule tables repeat patterns, and a reload recompiles every rule. */
const regexCache = new Map<string, RE2JS>();
const REGEX_CACHE_LIMIT = 10_000;

/**
 * Parse one matcher. Errors say what is wrong and at which (1-based) column.
 *
 * @example parseMatcher('severity=~"warning|critical"') // → { ok: true, matcher }
 * @example parseMatcher('severity=~"warn(') // → { ok: false, error: 'column 12: invalid regular expression: …' }
 */
export function parseMatcher(input: string): ParseMatcherResult {
  const fail = (index: number, message: string): ParseMatcherResult => ({ ok: false, error: `column ${index + 1}: ${message}` });
  let i = 0;
  const skipSpace = (): void => {
    while (isSpace(input[i])) i++;
  };

  skipSpace();
  if (i === input.length) return { ok: false, error: 'the matcher is empty' };
  if (input[i] === '{') return fail(i, 'write one matcher per list item, without braces (e.g. alertname="HighPodCPU")');

  const nameStart = i;
  let name: string;
  if (input[i] === '"') {
    const quoted = readQuoted(input, i, 'label name');
    if (!quoted.ok) return fail(quoted.index, quoted.message);
    if (quoted.value === '') return fail(nameStart, 'a label name cannot be empty');
    name = quoted.value;
    i = quoted.end;
  } else {
    if (!isNameStart(input[i])) {
      return fail(i, `expected a label name ([a-zA-Z_][a-zA-Z0-9_]*, or any name in double quotes such as "service.name"), found ${show(input[i])}`);
    }
    while (isNameChar(input[i])) i++;
    name = input.slice(nameStart, i);
  }

  skipSpace();
  const opStart = i;
  const op = OPERATORS.find((o) => input.startsWith(o, i));
  if (op === undefined) {
    const found = i === input.length ? 'the end of the matcher' : show(input[i]);
    return fail(i, `expected an operator (=, !=, =~ or !~) after the label name "${name}", found ${found}`);
  }
  i += op.length;
  if (op === '=' && input[i] === '=') return fail(opStart, '"==" is not an operator; use =, !=, =~ or !~');

  skipSpace();
  const valueStart = i;
  let value: string;
  if (input[i] === '"') {
    const quoted = readQuoted(input, i);
    if (!quoted.ok) return fail(quoted.index, quoted.message);
    value = quoted.value;
    i = quoted.end;
  } else if (input[i] === "'" || input[i] === '`') {
    return fail(i, `quote values with double quotes ("…"), not ${input[i]}`);
  } else {
    while (i < input.length && !isSpace(input[i]) && !RESERVED.has(input[i]!)) i++;
    if (i === valueStart) {
      if (i === input.length) {
        return fail(i, `expected a value after "${op}" (write ${name}${op}"" to match an empty or missing label)`);
      }
      return fail(i, `${show(input[i])} cannot start an unquoted value; put the value in double quotes`);
    }
    if (i < input.length && !isSpace(input[i]) && input[i] !== ',') {
      return fail(i, `${show(input[i])} cannot appear in an unquoted value; put the value in double quotes`);
    }
    value = input.slice(valueStart, i);
  }

  skipSpace();
  if (i < input.length) {
    if (input[i] === ',') return fail(i, 'one matcher per list item: split the matchers at the comma into separate items');
    return fail(i, `unexpected ${show(input[i])} after the value`);
  }

  let regex: RE2JS | null = null;
  if (op === '=~' || op === '!~') {
    const compiled = compileAnchored(value);
    if (typeof compiled === 'string') return fail(valueStart, `invalid regular expression: ${compiled}`);
    regex = compiled;
  }
  return { ok: true, matcher: makeMatcher(name, op, value, regex) };
}

/**
 * Build a matcher from its parts (for rules written in code and for tests).
 * Throws on an invalid regex: a programming error, not user input.
 */
export function createMatcher(name: string, op: MatchOp, value: string): Matcher {
  let regex: RE2JS | null = null;
  if (op === '=~' || op === '!~') {
    const compiled = compileAnchored(value);
    if (typeof compiled === 'string') throw new Error(`invalid regular expression ${JSON.stringify(value)}: ${compiled}`);
    regex = compiled;
  }
  return makeMatcher(name, op, value, regex);
}

/** A matcher in its normalised written form, value double-quoted with `\\`, `\"`, `\n` escaped. */
export function formatMatcher(name: string, op: MatchOp, value: string): string {
  const quote = (v: string): string => `"${v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`;
  return `${/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name) ? name : quote(name)}${op}${quote(value)}`;
}

function makeMatcher(name: string, op: MatchOp, value: string, regex: RE2JS | null): Matcher {
  const text = formatMatcher(name, op, value);
  let matches: (labelValue: string | undefined) => boolean;
  switch (op) {
    case '=':
      matches = (v) => (v ?? '') === value;
      break;
    case '!=':
      matches = (v) => (v ?? '') !== value;
      break;
    case '=~':
      matches = (v) => regex!.testExact(v ?? '');
      break;
    case '!~':
      matches = (v) => !regex!.testExact(v ?? '');
      break;
  }
  return Object.freeze({ name, op, value, text, matches });
}

/**
 * Compile `^(?:value)$`. The value is first compiled on its own, so that a value such as
 * `a)|(b` (which would escape the anchoring group) is a syntax error rather than a surprise.
 * Matching uses full-match semantics on top of the anchors.
 */
function compileAnchored(value: string): RE2JS | string {
  const cached = regexCache.get(value);
  if (cached) return cached;
  let compiled: RE2JS;
  try {
    RE2JS.compile(value);
    compiled = RE2JS.compile(`^(?:${value})$`);
  } catch (err) {
    return regexErrorMessage(err);
  }
  if (regexCache.size >= REGEX_CACHE_LIMIT) regexCache.clear();
  regexCache.set(value, compiled);
  return compiled;
}

function regexErrorMessage(err: unknown): string {
  if (err instanceof Error) return err.message.replace(/^error parsing regexp: /, '');
  return String(err);
}

type Quoted = { ok: true; value: string; end: number } | { ok: false; index: number; message: string };

/** Read a double-quoted value (or label name) starting at `start` (the opening quote). */
function readQuoted(input: string, start: number, what = 'value'): Quoted {
  let out = '';
  let i = start + 1;
  while (i < input.length) {
    const c = input[i]!;
    if (c === '"') return { ok: true, value: out, end: i + 1 };
    if (c === '\\' && i + 1 < input.length) {
      const next = input[i + 1]!;
      if (next === 'n') out += '\n';
      else if (next === '"' || next === '\\') out += next;
      else out += `\\${next}`;
      i += 2;
      continue;
    }
    out += c;
    i++;
  }
  return { ok: false, index: start, message: `the opening double quote of the ${what} is never closed` };
}

function show(c: string | undefined): string {
  return c === undefined ? 'nothing' : JSON.stringify(c);
}
