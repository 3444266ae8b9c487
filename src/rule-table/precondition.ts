/**
 * A rule's PromQL precondition (`guards.preconditions[].expr`): one comparison, `<left> <op>
 * <right>`, that must hold before the rule acts, e.g. the database has room for the connections
 * the added pods open:
 *
 *   {{ .added }} * 20 <= max(cnpg_pg_settings_setting{name="max_connections"}) - sum(cnpg_backends_total)
 *
 * Each side is evaluated on its own (a side of plain numbers here, any other through Prometheus:
 * one series or a scalar, as a validation check's query), so that a precondition that does not
 * hold says both numbers. The plan's numbers come in as `{{ .added }}`, `{{ .before }}` and
 * `{{ .after }}` (outside quotes: they are numbers); label templates as in every query (inside
 * quotes). Parsed with Prometheus's own grammar (lezer-promql) at load time. Pure.
 */
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';

/** The plan's numbers a precondition may use. */
export const PLAN_REFS = ['added', 'before', 'after'] as const;
export type PlanRef = (typeof PLAN_REFS)[number];
export type PlanNumbers = Record<PlanRef, number>;

const PLAN_REF = /\{\{\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

export const COMPARISONS = { Lte: '<=', Lss: '<', Gte: '>=', Gtr: '>', Eql: '==', Neq: '!=' } as const;
export type Comparison = (typeof COMPARISONS)[keyof typeof COMPARISONS];

export interface SplitPrecondition {
  left: string;
  op: Comparison;
  right: string;
}

/** Plan references that are not `.added`, `.before` or `.after`, with their column. */
export function unknownPlanRefs(expr: string): string[] {
  const errors: string[] = [];
  for (const m of expr.matchAll(PLAN_REF)) {
    if (!(PLAN_REFS as readonly string[]).includes(m[1]!)) {
      errors.push(`column ${m.index + 1}: {{ .${m[1]} }} is not a number of the plan (use {{ .added }}, {{ .before }} or {{ .after }})`);
    }
  }
  return errors;
}

/** Substitute the plan's numbers; label templates are left for the query renderer. */
export function substitutePlan(expr: string, numbers: PlanNumbers): string {
  return expr.replace(PLAN_REF, (whole, name: string) => ((PLAN_REFS as readonly string[]).includes(name) ? String(numbers[name as PlanRef]) : whole));
}

/** For load-time checks: each plan reference as a number of the same length, so positions stay. */
export function withPlanPlaceholders(expr: string): string {
  return expr.replace(PLAN_REF, (whole) => '1'.repeat(whole.length));
}

/**
 * Split `<left> <op> <right>` at its top-level comparison. `bool` and `on`/`ignoring` are refused:
 * the precondition holds or not by comparing the two values here. Label templates must already be
 * rendered or replaced by placeholders (they sit in strings, so they cannot move the split).
 */
export function splitPrecondition(text: string): { ok: true; value: SplitPrecondition } | { ok: false; column: number; message: string } {
  const tree = parser.parse(text);
  let top: SyntaxNode | null = tree.topNode.firstChild;
  while (top && top.name === 'ParenExpr' && top.firstChild && !top.firstChild.nextSibling) top = top.firstChild;
  const opNode = top?.name === 'BinaryExpr' ? top.firstChild?.nextSibling : null;
  const op = opNode ? (COMPARISONS as Record<string, Comparison | undefined>)[opNode.name] : undefined;
  if (!top || !opNode || op === undefined) {
    return { ok: false, column: 1, message: 'a precondition is one comparison, <left> <op> <right> with op one of <= < >= > == != (e.g. {{ .added }} * 20 <= max(max_connections) - sum(active))' };
  }
  const rightNode = opNode.nextSibling;
  if (!rightNode || rightNode.name === 'BoolModifier' || rightNode.name === 'MatchingModifierClause' || rightNode.nextSibling) {
    return { ok: false, column: opNode.to + 2, message: `write the comparison plainly (no bool, on or ignoring): each side is evaluated to one number and compared` };
  }
  const left = top.firstChild!;
  return { ok: true, value: { left: text.slice(left.from, left.to).trim(), op, right: text.slice(rightNode.from, rightNode.to).trim() } };
}

/**
 * A side made of numbers, + - * / % ^ and parentheses only is computed here (Prometheus need not be
 * asked what 2 * 20 is); null for anything that reads a series or calls a function.
 */
export function constantValue(side: string): number | null {
  const tree = parser.parse(side);
  const root = tree.topNode.firstChild;
  return root && !root.nextSibling ? evaluate(root, side) : null;
}

function evaluate(node: SyntaxNode, text: string): number | null {
  switch (node.name) {
    case 'NumberDurationLiteral': {
      const v = Number(text.slice(node.from, node.to));
      return Number.isFinite(v) ? v : null;
    }
    case 'ParenExpr':
      return node.firstChild && !node.firstChild.nextSibling ? evaluate(node.firstChild, text) : null;
    case 'UnaryExpr': {
      const op = node.firstChild;
      const arg = op?.nextSibling;
      const v = arg ? evaluate(arg, text) : null;
      if (v === null || !op) return null;
      return op.name === 'Sub' ? -v : op.name === 'Add' ? v : null;
    }
    case 'BinaryExpr': {
      const l = node.firstChild;
      const op = l?.nextSibling;
      const r = op?.nextSibling;
      if (!l || !op || !r || r.nextSibling) return null;
      const a = evaluate(l, text);
      const b = evaluate(r, text);
      if (a === null || b === null) return null;
      switch (op.name) {
        case 'Add':
          return a + b;
        case 'Sub':
          return a - b;
        case 'Mul':
          return a * b;
        case 'Div':
          return a / b;
        case 'Mod':
          return a % b;
        case 'Pow':
          return a ** b;
        default:
          return null;
      }
    }
    default:
      return null;
  }
}

/** Whether `left op right` holds. */
export function compare(left: number, op: Comparison, right: number): boolean {
  switch (op) {
    case '<=':
      return left <= right;
    case '<':
      return left < right;
    case '>=':
      return left >= right;
    case '>':
      return left > right;
    case '==':
      return left === right;
    case '!=':
      return left !== right;
  }
}
