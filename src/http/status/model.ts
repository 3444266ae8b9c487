/**
 * What the status page shows, computed from stored rows: pure functions, table-tested
 * (test/unit/http/status-model.test.ts). The routes only gather the rows and render.
 */
import type { StoredAlert } from '../../domain/alert.js';
import type { Phase, Remediation } from '../../domain/remediation.js';
import type { Rule } from '../../rule-table/rule.js';
import type { Pause } from '../../control/pause.js';

/** The decision's reason as the page lists it: the skip reason, or `act` / `act (dry-run)`. */
export function reasonOf(r: Pick<Remediation, 'decision'>): string {
  return r.decision.outcome === 'skip' ? r.decision.reason : 'act';
}

export interface DecisionRow {
  id: string;
  at: number;
  alertname: string | null;
  rule: string | null;
  reason: string;
  outcome: 'act' | 'skip';
  origin: Remediation['origin'];
  targetKey: string | null;
  phase: Phase;
  explanation: string;
}

export function decisionRow(r: Remediation, alertsById: ReadonlyMap<string, Pick<StoredAlert, 'labels'>>): DecisionRow {
  const alert = r.alertId ? alertsById.get(r.alertId) : undefined;
  return {
    id: r.id,
    at: new Date(r.createdAt).getTime(),
    alertname: alert?.labels.alertname ?? null,
    rule: r.rule,
    reason: reasonOf(r),
    outcome: r.decision.outcome,
    origin: r.origin,
    targetKey: r.targetKey,
    phase: r.phase,
    explanation: r.decision.explanation,
  };
}

export interface DecisionFilter {
  alertname?: string;
  rule?: string;
  reason?: string;
  target?: string;
  /** ms since epoch, inclusive */
  since?: number;
  until?: number;
  /** free text over the explanation, case-insensitive */
  q?: string;
}

function contains(hay: string | null, needle: string | undefined): boolean {
  return needle === undefined || needle === '' || (hay ?? '').toLowerCase().includes(needle.toLowerCase());
}

/** The rows matching every given field (substring, case-insensitive; reason exact); and the counts by reason of the rows matching every field but reason. */
export function searchDecisions(rows: readonly DecisionRow[], f: DecisionFilter): { rows: DecisionRow[]; counts: Array<{ reason: string; count: number }> } {
  const base = rows.filter(
    (r) =>
      contains(r.alertname, f.alertname) &&
      contains(r.rule, f.rule) &&
      contains(r.targetKey, f.target) &&
      contains(r.explanation, f.q) &&
      (f.since === undefined || r.at >= f.since) &&
      (f.until === undefined || r.at <= f.until),
  );
  const byReason = new Map<string, number>();
  for (const r of base) byReason.set(r.reason, (byReason.get(r.reason) ?? 0) + 1);
  const counts = [...byReason].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  return { rows: f.reason ? base.filter((r) => r.reason === f.reason) : base, counts };
}

export interface AlertSpan {
  fingerprint: string;
  alertname: string;
  /** What tells the alerts of a group apart: pod, instance, queue … */
  subject: string;
  start: number;
  /** null while still firing */
  end: number | null;
  generatorURL: string;
}

/** Firing → resolved spans, one per (fingerprint, startsAt), from the stored deliveries. */
export function alertSpans(alerts: readonly StoredAlert[]): AlertSpan[] {
  const spans = new Map<string, AlertSpan>();
  const sorted = [...alerts].sort((a, b) => new Date(a.receivedAt).getTime() - new Date(b.receivedAt).getTime());
  for (const a of sorted) {
    const key = `${a.fingerprint}|${new Date(a.startsAt).getTime()}`;
    const start = new Date(a.startsAt).getTime();
    const span = spans.get(key) ?? {
      fingerprint: a.fingerprint,
      alertname: a.labels.alertname ?? '',
      subject: a.labels.pod ?? a.labels.pod_name ?? a.labels.instance ?? a.labels.queue ?? a.labels.container ?? a.labels.namespace ?? '',
      start,
      end: null,
      generatorURL: a.generatorURL,
    };
    if (a.status === 'resolved') span.end = new Date(a.endsAt ?? a.receivedAt).getTime();
    spans.set(key, span);
  }
  return [...spans.values()].sort((a, b) => a.start - b.start);
}

export interface PhaseSpan {
  phase: Phase;
  start: number;
  /** null for the phase the run is in now (or a terminal one: a point) */
  end: number | null;
  note: string;
}

/** Each phase a run went through, from its transitions. */
export function phaseSpans(r: Pick<Remediation, 'transitions'>): PhaseSpan[] {
  const t = r.transitions;
  return t.map((x, i) => ({ phase: x.to, start: new Date(x.at).getTime(), end: i + 1 < t.length ? new Date(t[i + 1]!.at).getTime() : null, note: x.note }));
}

export interface RuleMatch {
  alertname: string;
  count: number;
  acted: number;
  last: number;
}

/** Which alerts each rule matched among the given decisions (newest last-seen first). */
export function ruleMatches(rows: readonly DecisionRow[]): Map<string, RuleMatch[]> {
  const out = new Map<string, Map<string, RuleMatch>>();
  for (const r of rows) {
    if (!r.rule) continue;
    const name = r.alertname ?? '(no alert: restore or replay)';
    const byAlert = out.get(r.rule) ?? new Map<string, RuleMatch>();
    const m = byAlert.get(name) ?? { alertname: name, count: 0, acted: 0, last: 0 };
    m.count++;
    if (r.outcome === 'act') m.acted++;
    m.last = Math.max(m.last, r.at);
    byAlert.set(name, m);
    out.set(r.rule, byAlert);
  }
  return new Map([...out].map(([rule, m]) => [rule, [...m.values()].sort((a, b) => b.last - a.last)]));
}

export interface CheckSeries {
  name: string;
  query: string;
  phase: string | null;
  baseline: number | null;
  after: number | null;
  /** The line the measurements must stay on the right side of. */
  threshold: { kind: 'below' | 'above'; value: number; text: string } | null;
  points: Array<{ at: number; value: number | null; phase: string }>;
}

interface StoredCheck {
  name?: string;
  query?: string;
  phase?: string;
  baseline?: number | null;
  after?: number | null;
  measurements?: Array<{ at?: string; value?: number | null; phase?: string }>;
}

/** The validation checks' measurements of a run against the thresholds of its rule's checks. */
export function checkSeries(r: Pick<Remediation, 'result'>, rule: Pick<Rule, 'validate'> | null): CheckSeries[] {
  const checks: Record<string, StoredCheck> = (r.result?.validation as { checks?: Record<string, StoredCheck> } | undefined)?.checks ?? {};
  const baselines = (r.result?.baseline ?? {}) as Record<string, { value?: number | null }>;
  const specs = new Map((rule?.validate?.checks ?? []).map((c) => [c.name, c]));
  return Object.entries(checks).map(([name, c]) => {
    const spec = specs.get(name);
    const baseline = typeof c.baseline === 'number' ? c.baseline : typeof baselines[name]?.value === 'number' ? baselines[name].value : null;
    let threshold: CheckSeries['threshold'] = null;
    if (spec?.below !== undefined) threshold = { kind: 'below', value: spec.below, text: `below ${spec.below}` };
    else if (spec?.above !== undefined) threshold = { kind: 'above', value: spec.above, text: `above ${spec.above}` };
    else if (spec?.belowBaseline !== undefined && baseline !== null) threshold = { kind: 'below', value: spec.belowBaseline * baseline, text: `below ${spec.belowBaseline} × baseline` };
    else if (spec?.aboveBaseline !== undefined && baseline !== null) threshold = { kind: 'above', value: spec.aboveBaseline * baseline, text: `above ${spec.aboveBaseline} × baseline` };
    return {
      name,
      query: c.query ?? spec?.query ?? '',
      phase: c.phase ?? null,
      baseline,
      after: typeof c.after === 'number' ? c.after : null,
      threshold,
      points: (c.measurements ?? []).map((m) => ({ at: new Date(m.at ?? 0).getTime(), value: typeof m.value === 'number' ? m.value : null, phase: m.phase ?? '' })),
    };
  });
}

/** The pauses in force that hold decisions on this target: global, its namespace, the target itself, or a rule that acted on it. */
export function pausesFor(target: { key: string; namespace: string }, rules: readonly string[], pauses: readonly Pause[]): Pause[] {
  return pauses.filter((p) => {
    const s = p.subject;
    if (s.scope === 'global') return true;
    if (s.scope === 'namespace') return s.namespace === target.namespace;
    if (s.scope === 'target') return `${s.namespace}/${s.kind.toLowerCase()}/${s.name}` === target.key;
    return rules.includes(s.rule);
  });
}
