/**
 * Value templates: literal text with `{{ $labels.x }}` / `{{ $annotations.x }}` substitutions, and
 * `{{ index $labels "service.name" }}` for a name that is not an identifier (UTF-8 label names of
 * Alertmanager ≥ 0.27 / Prometheus 3), written as Go templates write it.
 * Substitution only: no pipes, functions, expressions or conditionals; anything else between
 * `{{` and `}}` is a load-time error. Rendering is total: it yields the value, the first
 * reference the alert lacks, or the reason the rendered value is not acceptable where it goes.
 */
import type { LabelSet } from '../domain/alert.js';
import type { TargetRef } from '../domain/target.js';
import type { TargetSource, TargetTemplate } from './schema.js';
import { checkValue, type ValueKind } from './values.js';

/** What a template is rendered from: an alert's labels and annotations. */
export interface TemplateData {
  labels: LabelSet;
  annotations?: LabelSet;
}

/** One `{{ $labels.x }}` / `{{ $annotations.x }}` reference. */
export interface TemplateRef {
  scope: 'labels' | 'annotations';
  name: string;
  /** `$labels.x`: how the reference is named in reasons and messages. */
  ref: string;
}

type Segment = string | TemplateRef;

export type RenderResult = { ok: true; value: string } | { ok: false; missing: string };

/** Why a rendered value cannot be used; `template-missing-label` is also a decision skip reason. */
export type RenderFailureReason = 'template-missing-label' | 'template-invalid-value';

export type RenderValueResult =
  | { ok: true; value: string }
  | { ok: false; reason: 'template-missing-label'; missing: string; message: string }
  | { ok: false; reason: 'template-invalid-value'; value: string; message: string };

export type RenderTargetResult =
  | { ok: true; value: TargetRef }
  | { ok: false; reason: 'template-missing-label'; field: keyof TargetRef; missing: string; message: string }
  | { ok: false; reason: 'template-invalid-value'; field: keyof TargetRef; value: string; message: string };

const OPEN = '{{';
const CLOSE = '}}';
const ALLOWED =
  'only {{ $labels.<name> }}, {{ $annotations.<name> }} and, for names such as service.name, {{ index $labels "<name>" }} are allowed (value substitution: no pipes, functions or conditionals)';

/** Parse a template into literal and reference segments, or every syntax error with its column. */
export function parseTemplate(text: string): { ok: true; segments: Segment[] } | { ok: false; errors: string[] } {
  const segments: Segment[] = [];
  const errors: string[] = [];
  let pos = 0;
  while (pos < text.length) {
    const open = text.indexOf(OPEN, pos);
    if (open < 0) {
      segments.push(text.slice(pos));
      break;
    }
    if (open > pos) segments.push(text.slice(pos, open));
    const close = text.indexOf(CLOSE, open + OPEN.length);
    if (close < 0) {
      errors.push(`column ${open + 1}: "{{" is never closed with "}}"`);
      break;
    }
    const inner = text.slice(open + OPEN.length, close);
    const ref = parseRef(inner);
    if (ref) segments.push(ref);
    else errors.push(`column ${open + 1}: ${JSON.stringify(text.slice(open, close + CLOSE.length))} is not allowed: ${ALLOWED}`);
    pos = close + CLOSE.length;
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, segments };
}

function parseRef(inner: string): TemplateRef | null {
  const trimmed = inner.trim();
  const m = /^\$(labels|annotations)\.([a-zA-Z_][a-zA-Z0-9_]*)$/.exec(trimmed);
  if (m) {
    const scope = m[1] as TemplateRef['scope'];
    return { scope, name: m[2]!, ref: `$${scope}.${m[2]!}` };
  }
  // A name that is not an identifier (UTF-8 label names, `service.name`), as Go templates write it.
  const ix = /^index\s+\$(labels|annotations)\s+("(?:[^"\\]|\\.)*")$/.exec(trimmed);
  if (!ix) return null;
  let name: unknown;
  try {
    name = JSON.parse(ix[2]!);
  } catch {
    return null;
  }
  if (typeof name !== 'string' || name === '') return null;
  const scope = ix[1] as TemplateRef['scope'];
  return { scope, name, ref: `index $${scope} ${JSON.stringify(name)}` };
}

/** The references a template makes, in order (`['$labels.namespace']`); empty for invalid templates. */
export function templateRefs(text: string): string[] {
  const parsed = parseTemplate(text);
  return parsed.ok ? parsed.segments.filter((s): s is TemplateRef => typeof s !== 'string').map((s) => s.ref) : [];
}

/**
 * Load-time check of a template for the place it goes. Returns the problems (empty when valid):
 * syntax errors; for a literal, whether it is a valid value of its kind; for a templated value,
 * whether any label value could make it valid (checked with a sample value, so `{{ $labels.x }}/y`
 * as a name fails at load rather than on every alert); for `promql`, that each reference sits
 * inside a quoted string, so a label value can never change the shape of the query.
 */
export function validateTemplate(text: string, kind: ValueKind = 'text'): string[] {
  const parsed = parseTemplate(text);
  if (!parsed.ok) return parsed.errors;
  if (kind === 'promql') return unquotedRefs(text);
  if (kind === 'text') return [];
  const hasRefs = parsed.segments.some((s) => typeof s !== 'string');
  const sample = parsed.segments.map((s) => (typeof s === 'string' ? s : kind === 'kind' ? 'A' : '1')).join('');
  const problem = checkValue(kind, sample);
  if (problem === null) return [];
  return hasRefs ? [`${JSON.stringify(text)} can never render a valid value: with a sample label value it renders ${problem}`] : [problem];
}

/** Errors for references outside a quoted PromQL string (`"…"`, `'…'` or `` `…` ``). */
function unquotedRefs(text: string): string[] {
  const errors: string[] = [];
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (text.startsWith(OPEN, i)) {
      if (quote === null) {
        errors.push(`column ${i + 1}: in a query, put the template inside a quoted string (e.g. namespace="{{ $labels.namespace }}") so that a label value cannot change the query`);
      }
      i = text.indexOf(CLOSE, i) + CLOSE.length - 1;
      continue;
    }
    if (quote === null) {
      if (c === '"' || c === "'" || c === '`') quote = c;
    } else if (c === '\\' && quote !== '`') {
      i++;
    } else if (c === quote) {
      quote = null;
    }
  }
  return errors;
}

/**
 * Substitute label and annotation values. A reference the alert lacks (or whose value is empty,
 * which Prometheus treats as absent) makes the result `{ ok: false, missing: '$labels.x' }`.
 * An invalid template throws: templates are validated when the table loads.
 *
 * @example renderTemplate('{{ $labels.namespace }}', { labels: { namespace: 'ci' } }) // → { ok: true, value: 'ci' }
 */
export function renderTemplate(text: string, data: TemplateData): RenderResult {
  const r = render(text, data, () => null);
  if (r.ok || 'missing' in r) return r;
  throw new Error(`unexpected check failure: ${r.message}`); // no check was asked for
}

type Rendered = { ok: true; value: string } | { ok: false; missing: string } | { ok: false; invalid: string; message: string };

/** Substitute, asking `check` about each substituted value (null = acceptable). */
function render(text: string, data: TemplateData, check: (value: string) => string | null): Rendered {
  const parsed = parseTemplate(text);
  if (!parsed.ok) throw new Error(`invalid template ${JSON.stringify(text)}: ${parsed.errors.join('; ')}`);
  let value = '';
  for (const seg of parsed.segments) {
    if (typeof seg === 'string') {
      value += seg;
      continue;
    }
    const source = seg.scope === 'labels' ? data.labels : data.annotations;
    const v = source !== undefined && Object.hasOwn(source, seg.name) ? source[seg.name] : undefined;
    if (v === undefined || v === '') return { ok: false, missing: seg.ref };
    const problem = check(v);
    if (problem !== null) return { ok: false, invalid: v, message: `${seg.ref}: ${problem}` };
    value += v;
  }
  return { ok: true, value };
}

/**
 * Render a template and check the result for where it goes (see `ValueKind`): a label value
 * cannot steer a target elsewhere (`a/b`, `..`), into another Redis URL, or out of a query string.
 */
export function renderValue(text: string, data: TemplateData, kind: ValueKind): RenderValueResult {
  // In a query each substituted value is checked (the loader made sure it sits in a string);
  // everywhere else the whole rendered value must be one valid token.
  const rendered = render(text, data, (v) => (kind === 'promql' ? checkValue('promql', v) : null));
  if (!rendered.ok) {
    if ('missing' in rendered) {
      return { ok: false, reason: 'template-missing-label', missing: rendered.missing, message: `the alert has no ${rendered.missing}` };
    }
    return { ok: false, reason: 'template-invalid-value', value: rendered.invalid, message: rendered.message };
  }
  if (kind === 'promql') return rendered;
  const problem = checkValue(kind, rendered.value);
  if (problem !== null) return { ok: false, reason: 'template-invalid-value', value: rendered.value, message: problem };
  return { ok: true, value: rendered.value };
}

const TARGET_FIELDS = ['apiVersion', 'kind', 'namespace', 'name'] as const satisfies readonly (keyof TargetRef)[];

/** What `target.from` names, as an object reference. */
export const SOURCE_REFS: Record<TargetSource, { apiVersion: string; kind: string }> = {
  Pod: { apiVersion: 'v1', kind: 'Pod' },
  HorizontalPodAutoscaler: { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' },
};

/**
 * Render a rule's target for an alert. Fails with the first missing reference
 * (`template-missing-label`: the rule does not apply to this alert) or the first field whose
 * rendered value is not a valid Kubernetes apiVersion / kind / namespace / name.
 *
 * @example renderTarget(rule.target, alert) // → { ok: true, value: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: 'ci-failure-agent' } }
 */
export function renderTarget(target: TargetTemplate, data: TemplateData): RenderTargetResult {
  const out: Partial<TargetRef> = {};
  // With `from`, the object the alert names; the workload is found from it (src/targets).
  const source = target.from !== undefined ? SOURCE_REFS[target.from] : null;
  for (const field of TARGET_FIELDS) {
    const text = source !== null && (field === 'apiVersion' || field === 'kind') ? source[field] : target[field];
    if (text === undefined) throw new Error(`target.${field} is missing: the schema requires it without from`);
    const r = renderValue(text, data, field);
    if (!r.ok) {
      return r.reason === 'template-missing-label'
        ? { ok: false, reason: r.reason, field, missing: r.missing, message: `target.${field}: ${r.message}` }
        : { ok: false, reason: r.reason, field, value: r.value, message: `target.${field}: ${r.message}` };
    }
    out[field] = r.value;
  }
  return { ok: true, value: out as TargetRef };
}
