/**
 * A hand-written MetricsSource for tests of validation and the driver: answers each query from
 * a script. It meets the metrics source's contract (test/contract/metrics-source.contract.ts,
 * run on it and on PrometheusSource against a real Prometheus): never rejects; a query it was
 * given no answer for is "no data"; a PromQL syntax error and NaN are errors, as Prometheus says.
 */
import { checkPromql } from '../../src/rule-table/promql.js';
import type { MetricsSource, QueryResult } from '../../src/validation/prometheus.js';

export class ScriptedMetrics implements MetricsSource {
  /** The answer per query text: a number, or an error as a QueryResult. */
  readonly values = new Map<string, QueryResult>();
  /** Every query asked, in order. */
  readonly queries: string[] = [];

  set(query: string, value: number): this {
    this.values.set(query, { ok: true, value });
    return this;
  }

  query(q: string): Promise<QueryResult> {
    this.queries.push(q);
    const syntax = checkPromql(q);
    if (syntax) return Promise.resolve({ ok: false, error: `Prometheus answered 400: parse error at line ${syntax.line}, column ${syntax.column}: ${syntax.message}` });
    const r = this.values.get(q);
    if (!r) return Promise.resolve({ ok: false, error: 'the query returned no data (empty vector)' });
    if (r.ok && Number.isNaN(r.value)) return Promise.resolve({ ok: false, error: 'the query returned NaN' });
    return Promise.resolve(r);
  }
}
