/**
 * PromQL syntax of a validation check's query, checked at load time with Prometheus's own grammar
 * (@prometheus-io/lezer-promql, the parser of Prometheus's web UI), so that a typo fails `check`
 * instead of every validation after an action. Templates are replaced by a placeholder of the
 * same length first (they sit inside quoted strings, the loader makes sure), so the position of
 * an error is its line and column in the query as written.
 */
import { parser } from '@prometheus-io/lezer-promql';
import { parseTemplate } from './templates.js';

/** Where and what: `1:14: unexpected "1h"`. */
export interface PromqlError {
  line: number;
  column: number;
  message: string;
}

/** Each `{{ … }}` as as many `x` characters: a valid string content of the same length. */
function withPlaceholders(query: string): string {
  return query.replace(/\{\{[\s\S]*?\}\}/g, (m) => 'x'.repeat(m.length));
}

function position(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

function near(text: string, from: number, to: number): string {
  if (from >= text.length) return 'unexpected end of the query';
  const token = text.slice(from, Math.max(to, from + 1)).split('\n')[0]!;
  return `unexpected ${JSON.stringify(token.length > 30 ? `${token.slice(0, 27)}...` : token)}`;
}

/** A string literal ends with the quote it opened with (the grammar's tokenizer lets an unclosed one through). */
function unclosedString(literal: string): boolean {
  const q = literal[0];
  if (literal.length < 2 || literal[literal.length - 1] !== q) return true;
  if (q === '`') return false;
  let backslashes = 0;
  for (let i = literal.length - 2; i > 0 && literal[i] === '\\'; i--) backslashes++;
  return backslashes % 2 === 1;
}

/**
 * The first syntax error of a query, or null. Template syntax errors are the template check's
 * to report; a query with one is not parsed.
 *
 * @example checkPromql('sum(rate(x[5m1h]))') // → { line: 1, column: 14, message: 'unexpected "1h"' }
 */
export function checkPromql(query: string): PromqlError | null {
  if (!parseTemplate(query).ok) return null;
  const text = withPlaceholders(query);
  if (text.trim() === '') return { line: 1, column: 1, message: 'the query is empty' };
  const tree = parser.parse(text);
  let error: PromqlError | null = null;
  tree.iterate({
    enter(node) {
      if (error !== null) return false;
      if (node.type.isError) {
        error = { ...position(text, node.from), message: near(text, node.from, node.to) };
        return false;
      }
      if (node.name === 'StringLiteral' && unclosedString(text.slice(node.from, node.to))) {
        error = { ...position(text, node.from), message: 'the string is never closed' };
        return false;
      }
      return undefined;
    },
  });
  return error;
}
