/**
 * Which rules apply to an alert, in table order: the first match wins unless that rule says
 * `continue: true`, in which case matching goes on (as in Alertmanager routes).
 *
 * Disabled rules match like any other and stop the search the same way: disabling a rule makes
 * the planner record `disabled` for its alerts; it never hands them to a broader rule further down.
 *
 * An index by the `alertname="…"` equality matcher (built once per table, kept in a WeakMap so a
 * replaced table takes its index with it) limits the candidates to the rules for that alert
 * name plus the rules without such a matcher, merged back into table order.
 */
import type { LabelSet } from '../domain/alert.js';
import type { Matcher, Rule, RuleTable } from '../rule-table/rule.js';

interface TableIndex {
  /** Table positions of the rules with an `alertname="x"` matcher, by x, ascending. */
  byAlertname: Map<string, number[]>;
  /** Table positions of every other rule, ascending. */
  rest: number[];
}

const indexes = new WeakMap<RuleTable, TableIndex>();
const NONE: number[] = [];

function indexFor(table: RuleTable): TableIndex {
  let index = indexes.get(table);
  if (index) return index;
  index = { byAlertname: new Map(), rest: [] };
  table.rules.forEach((rule, pos) => {
    const key = rule.compiled.find((m) => m.name === 'alertname' && m.op === '=');
    if (!key) {
      index.rest.push(pos);
      return;
    }
    let list = index.byAlertname.get(key.value);
    if (!list) index.byAlertname.set(key.value, (list = []));
    list.push(pos);
  });
  indexes.set(table, index);
  return index;
}

function labelValue(labels: LabelSet, name: string): string | undefined {
  return Object.hasOwn(labels, name) ? labels[name] : undefined;
}

/** Whether every matcher of the rule holds for the labels (a missing label counts as ""). */
export function ruleMatches(rule: Pick<Rule, 'compiled'>, labels: LabelSet): boolean {
  for (const m of rule.compiled) if (!m.matches(labelValue(labels, m.name))) return false;
  return true;
}

/**
 * The rules that apply to an alert with these labels, in table order: up to and including the
 * first matching rule without `continue: true`.
 *
 * @example matchAlert(table, { alertname: 'HighPodCPU', service: 'ci-failure-agent' }) // → [cpu-raise-hpa-floor]
 */
export function matchAlert(table: RuleTable, labels: LabelSet): Rule[] {
  const { byAlertname, rest } = indexFor(table);
  const named = byAlertname.get(labelValue(labels, 'alertname') ?? '') ?? NONE;
  const out: Rule[] = [];
  let i = 0;
  let j = 0;
  while (i < named.length || j < rest.length) {
    const pos = j >= rest.length || (i < named.length && named[i]! < rest[j]!) ? named[i++]! : rest[j++]!;
    const rule = table.rules[pos]!;
    if (ruleMatches(rule, labels)) {
      out.push(rule);
      if (!rule.continue) break;
    }
  }
  return out;
}

/** The same result as `matchAlert` by scanning every rule: the reference the index is tested against. */
export function matchAlertLinear(table: RuleTable, labels: LabelSet): Rule[] {
  const out: Rule[] = [];
  for (const rule of table.rules) {
    if (ruleMatches(rule, labels)) {
      out.push(rule);
      if (!rule.continue) break;
    }
  }
  return out;
}

/** A matcher that did not hold, with the value the alert had (undefined when the label is missing). */
export interface MatcherFailure {
  matcher: Matcher;
  value: string | undefined;
}

/**
 * Why a rule does not match: the matchers that failed (empty when it matches).
 *
 * @example explainMatch(rule, { alertname: 'HighPodCPU', service: 'other' })
 * // → [{ matcher: service="ci-failure-agent", value: 'other' }]
 */
export function explainMatch(rule: Pick<Rule, 'compiled'>, labels: LabelSet): MatcherFailure[] {
  return rule.compiled
    .filter((m) => !m.matches(labelValue(labels, m.name)))
    .map((matcher) => ({ matcher, value: labelValue(labels, matcher.name) }));
}

/** `service="ci-failure-agent" (alert has service="other")` / `(alert has no namespace)`, for people. */
export function formatMatcherFailure(f: MatcherFailure): string {
  const has = f.value === undefined ? `alert has no ${f.matcher.name}` : `alert has ${f.matcher.name}=${JSON.stringify(f.value)}`;
  return `${f.matcher.text} (${has})`;
}
