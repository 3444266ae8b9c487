/**
 * A fast copy of a rule table, for the end-to-end tests and the live demo: the
 * same rules with every time divided by a factor (cooldowns, check intervals,
 * step and restore periods, restore delays) and PromQL range windows shortened
 * to the e2e alert rules' `[5s]`, so that a loop that takes an hour in production
 * runs in a minute against a Prometheus that scrapes every second. Thresholds,
 * counts, bounds and policies' values are kept.
 */
import { parse, stringify } from 'yaml';
import { formatDuration, parseDuration } from '../../platform/duration.js';

export interface FastRulesOptions {
  /** Every duration is divided by this (default 60: minutes become seconds). */
  divisor?: number;
  /** The range window every `[…]` in a check query becomes (default `5s`, as in the e2e alert rules). */
  window?: string;
  /** No duration becomes shorter than this (default 1s). */
  minimumMs?: number;
  /** rolloutTimeout never becomes shorter than this (default 15s: a slow machine must not fail a ready rollout). */
  minimumRolloutTimeoutMs?: number;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The schema's defaults, written out so that they are shortened too. */
const DEFAULT_SCALE_UP = [
  { type: 'Pods', value: 4, periodSeconds: 15 },
  { type: 'Percent', value: 100, periodSeconds: 15 },
];
const DEFAULT_RESTORE = [{ type: 'Percent', value: 10, periodSeconds: 60 }];
const DEFAULT_COOLDOWN = '5m';
const DEFAULT_INTERVAL = '30s';
const DEFAULT_ROLLOUT_TIMEOUT = '5m';

/**
 * Returns the rule file text with its times shortened. Throws an Error naming the
 * rule and key when a duration cannot be read.
 *
 * @example writeFileSync('fast/rules.yaml', fastRuleTable(readFileSync('rules/ci-failure-agent.yaml', 'utf8')))
 */
export function fastRuleTable(text: string, opts: FastRulesOptions = {}): string {
  const divisor = opts.divisor ?? 60;
  const minimum = opts.minimumMs ?? 1000;
  const window = `[${opts.window ?? '5s'}]`;
  const doc: unknown = parse(text);
  if (!isObject(doc) || !Array.isArray(doc.rules)) throw new Error('fastRuleTable: the text is not a rule file (no `rules:` list)');
  // Aliases (`*api-validate`) resolve to shared objects: copy each rule before changing it.
  const rules = (doc.rules as unknown[]).map((r) => structuredClone(r) as Json);
  const shorter = (value: unknown, where: string, floor = minimum): string => {
    const ms = typeof value === 'string' ? parseDuration(value) : null;
    if (ms === null) throw new Error(`fastRuleTable: ${where}: "${String(value)}" is not a duration`);
    return formatDuration(Math.max(floor, Math.round(ms / divisor)));
  };
  const periods = (policies: unknown): Json[] =>
    (policies as Json[]).map((p) => ({ ...p, periodSeconds: Math.max(1, Math.round(Number(p.periodSeconds) / divisor)) }));

  rules.forEach((rule, i) => {
    const at = `rules[${i}] (${String(rule.name)})`;
    rule.cooldown = shorter(rule.cooldown ?? DEFAULT_COOLDOWN, `${at}.cooldown`);
    const action = isObject(rule.action) ? rule.action : {};
    if (action.type === 'scale' || action.type === 'hpa') action.policies = periods(action.policies ?? DEFAULT_SCALE_UP);
    if (isObject(rule.validate)) {
      const v = rule.validate;
      v.rolloutTimeout = shorter(v.rolloutTimeout ?? DEFAULT_ROLLOUT_TIMEOUT, `${at}.validate.rolloutTimeout`, opts.minimumRolloutTimeoutMs ?? 15_000);
      if (Array.isArray(v.checks)) {
        v.checks = (v.checks as Json[]).map((c, j) => ({
          ...c,
          query: String(c.query).replace(/\[[0-9]+[smhdwy]\]/g, window),
          interval: shorter(c.interval ?? DEFAULT_INTERVAL, `${at}.validate.checks[${j}].interval`),
        }));
      }
    }
    if (isObject(rule.restore)) {
      rule.restore.after = shorter(rule.restore.after, `${at}.restore.after`);
      rule.restore.policies = periods(rule.restore.policies ?? DEFAULT_RESTORE);
    }
  });
  return `# Derived from a production rule table by fastRuleTable (src/sandbox/workload/fast-rules.ts):\n# every time divided by ${divisor}, PromQL windows ${window}. For tests and the demo only.\n${stringify({ rules }, { aliasDuplicateObjects: false, lineWidth: 0 })}`;
}
