/**
 * Label and field selectors in the query-string syntax of the API server
 * (k8s.io/apimachinery labels.Parse and fields.ParseSelector).
 */
import { badRequest } from './status.js';
import { isRecord, type LabelSelector, type StoredObject } from './types.js';

type LabelRequirement =
  | { key: string; op: 'exists' | 'notexists' }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'gt' | 'lt'; value: number };

/** A parsed selector: a predicate on a label map. */
export type LabelMatcher = (labels: Record<string, string> | undefined) => boolean;

/** Splits on commas outside parentheses; `\,` is not special in label selectors. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

const KEY = String.raw`[A-Za-z0-9][-A-Za-z0-9_./]*`;
const SET_RE = new RegExp(String.raw`^(${KEY})\s+(in|notin)\s*\(([^)]*)\)$`);
const EQ_RE = new RegExp(String.raw`^(${KEY})\s*(==|=|!=)\s*([-A-Za-z0-9_.]*)$`);
const CMP_RE = new RegExp(String.raw`^(${KEY})\s*(<|>)\s*(-?\d+)$`);
const EXISTS_RE = new RegExp(String.raw`^(!?)\s*(${KEY})$`);

function parseRequirement(part: string): LabelRequirement {
  let m = SET_RE.exec(part);
  if (m) {
    const values = m[3]!.split(',').map((v) => v.trim()).filter((v) => v.length > 0);
    return { key: m[1]!, op: m[2] === 'in' ? 'in' : 'notin', values };
  }
  m = EQ_RE.exec(part);
  if (m) return { key: m[1]!, op: m[2] === '!=' ? 'notin' : 'in', values: [m[3]!] };
  m = CMP_RE.exec(part);
  if (m) return { key: m[1]!, op: m[2] === '>' ? 'gt' : 'lt', value: Number(m[3]) };
  m = EXISTS_RE.exec(part);
  if (m) return { key: m[2]!, op: m[1] === '!' ? 'notexists' : 'exists' };
  throw badRequest(`unable to parse requirement: found '${part}', expected: valid label selector`);
}

function matchRequirement(r: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = labels[r.key];
  switch (r.op) {
    case 'exists':
      return has;
    case 'notexists':
      return !has;
    case 'in':
      return has && r.values.includes(v!);
    case 'notin':
      return !has || !r.values.includes(v!);
    case 'gt':
      return has && Number.isInteger(Number(v)) && Number(v) > r.value;
    case 'lt':
      return has && Number.isInteger(Number(v)) && Number(v) < r.value;
  }
}

/** Parses a `labelSelector` query value; throws a 400 ApiError when it is malformed. */
export function parseLabelSelector(text: string | null | undefined): LabelMatcher {
  if (!text) return () => true;
  const reqs = splitTopLevel(text).map(parseRequirement);
  return (labels) => reqs.every((r) => matchRequirement(r, labels ?? {}));
}

/** A structured `metav1.LabelSelector` as a predicate; an empty selector matches everything. */
export function labelSelectorMatcher(sel: LabelSelector | undefined): LabelMatcher {
  const reqs: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(sel?.matchLabels ?? {})) reqs.push({ key, op: 'in', values: [value] });
  for (const e of sel?.matchExpressions ?? []) {
    if (e.operator === 'In') reqs.push({ key: e.key, op: 'in', values: e.values ?? [] });
    else if (e.operator === 'NotIn') reqs.push({ key: e.key, op: 'notin', values: e.values ?? [] });
    else if (e.operator === 'Exists') reqs.push({ key: e.key, op: 'exists' });
    else reqs.push({ key: e.key, op: 'notexists' });
  }
  return (labels) => reqs.every((r) => matchRequirement(r, labels ?? {}));
}

/** The selector in query-string form, sorted by key, as `Scale.status.selector` carries it. */
export function formatLabelSelector(sel: LabelSelector | undefined): string {
  const parts: { key: string; text: string }[] = [];
  for (const [key, value] of Object.entries(sel?.matchLabels ?? {})) parts.push({ key, text: `${key}=${value}` });
  for (const e of sel?.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(',');
    const text =
      e.operator === 'In' ? `${e.key} in (${values})`
      : e.operator === 'NotIn' ? `${e.key} notin (${values})`
      : e.operator === 'Exists' ? e.key
      : `!${e.key}`;
    parts.push({ key: e.key, text });
  }
  return parts
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((p) => p.text)
    .join(',');
}

/** The fields each resource can be selected by, beyond metadata.name and metadata.namespace. */
const FIELD_LABELS: Record<string, readonly string[]> = {
  events: [
    'involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid',
    'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath',
    'reason', 'reportingComponent', 'source', 'type',
  ],
  pods: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'status.phase', 'status.podIP'],
  namespaces: ['status.phase'],
};

function fieldValue(obj: StoredObject, field: string): string {
  const path = field === 'source' ? ['source', 'component'] : field.split('.');
  let cur: unknown = obj;
  for (const key of path) {
    if (!isRecord(cur)) return '';
    cur = cur[key];
  }
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'string' ? cur : JSON.stringify(cur);
}

/** Splits on unescaped commas and unescapes `\,` `\=` `\\` in values. */
function splitFieldTerms(text: string): string[] {
  const terms: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      cur += c + text[i + 1]!;
      i++;
    } else if (c === ',') {
      terms.push(cur);
      cur = '';
    } else cur += c;
  }
  terms.push(cur);
  return terms.filter((t) => t.length > 0);
}

function unescapeFieldValue(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}

export type FieldMatcher = (obj: StoredObject) => boolean;

/** Parses a `fieldSelector` for one resource; unknown fields and bad syntax are a 400. */
export function parseFieldSelector(text: string | null | undefined, plural: string): FieldMatcher {
  if (!text) return () => true;
  const allowed = new Set(['metadata.name', 'metadata.namespace', ...(FIELD_LABELS[plural] ?? [])]);
  const tests = splitFieldTerms(text).map((term) => {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/s.exec(term);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    const field = m[1]!.trim();
    if (!allowed.has(field)) throw badRequest(`field label not supported: ${field}`);
    const want = unescapeFieldValue(m[3]!);
    const negate = m[2] === '!=';
    return (obj: StoredObject) => (fieldValue(obj, field) === want) !== negate;
  });
  return (obj) => tests.every((t) => t(obj));
}
