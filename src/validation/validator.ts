/**
 * After an action: wait for the rollout to be ready (as kubectl rollout status),
 * then run the rule's Prometheus checks `count` times every `interval`, each
 * judged against its threshold or against the baseline measured just before the
 * action. Never throws: every failure is a measurement or a verdict.
 */
import type { LabelSet } from '../domain/alert.js';
import type { Remediation } from '../domain/remediation.js';
import type { Rule } from '../rule-table/rule.js';
import type { TargetRef } from '../domain/target.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { ValidationOutcome, Validator } from './port.js';
import { renderValue } from '../rule-table/templates.js';
import type { ActionSpec, CheckSpec } from '../rule-table/schema.js';
import { assessMetric, judge, worstPhase, type Measurement, type MetricPhase } from './analysis.js';
import type { MetricsSource } from './prometheus.js';
import { planOf, type KindPlans } from '../actions/plan-kind.js';
import { rolloutStatusAtFloor, type RolloutVerdict, type rolloutStatus } from './rollout.js';

export interface BaselineEntry {
  query: string;
  value: number | null;
  error: string | null;
  at: string;
}

export interface ValidatorDeps {
  /** The pure halves of the action kinds (actions/registry.ts ACTION_KINDS): whether a kind's change rolls out, and the floor to reach. */
  kinds: KindPlans;
  /** Reads the target object for readiness; rejects when it cannot. */
  readObject: (t: TargetRef) => Promise<Parameters<typeof rolloutStatus>[0]>;
  metrics: MetricsSource | null;
  clock: Clock;
  logger: Logger;
  /** How often readiness is polled. */
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));


export class ClusterValidator implements Validator {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly pollMs: number;

  constructor(private readonly deps: ValidatorDeps) {
    this.sleep = deps.sleep ?? defaultSleep;
    this.pollMs = deps.pollMs ?? 1000;
  }

  /**
   * Render each check's query for the alert and measure it once as it was at `when` ("monitor
   * baseline metrics"): the decision's time, read after the write with Prometheus's `time=`; now
   * when not given.
   */
  async baseline(rule: Rule, alert: { labels: LabelSet; annotations: LabelSet }, when?: Date): Promise<Record<string, BaselineEntry>> {
    const out: Record<string, BaselineEntry> = {};
    const instant = when ?? this.deps.clock.now();
    await Promise.all(
      (rule.validate?.checks ?? []).map(async (c) => {
        const at = instant.toISOString();
        const q = renderValue(c.query, alert, 'promql');
        if (!q.ok) {
          out[c.name] = { query: c.query, value: null, error: q.message, at };
          return;
        }
        if (!this.deps.metrics) {
          out[c.name] = { query: q.value, value: null, error: 'PROMETHEUS_URL is not set', at };
          return;
        }
        const r = await this.deps.metrics.query(q.value, instant);
        out[c.name] = { query: q.value, value: r.ok ? r.value : null, error: r.ok ? null : r.error, at };
      }),
    );
    return out;
  }

  async validate(rem: Remediation, rule: Rule | null, action: ActionSpec): Promise<ValidationOutcome> {
    const spec = rule?.validate;
    const details: Record<string, unknown> = {};
    const rollout = planOf(this.deps.kinds, action).rollout;
    const waits = rem.target !== null && rollout.waits === 'workload';
    if (rem.target && waits) {
      const started = Date.now();
      // The floor the workload must reach before it is judged (an hpa action that raised it), else null.
      const floor = rem.decision.outcome === 'act' && rollout.floor ? rollout.floor(rem.decision) : null;
      const verdict = await this.waitForRollout(rem.target, spec?.rolloutTimeout ?? 300_000, floor);
      // How long the wait took (for an hpa action: until the HPA reached the new floor and it was ready).
      details.rollout = { ...verdict, waitedMs: Date.now() - started, ...(floor !== null ? { floor } : {}) };
      if (verdict.state !== 'done') {
        return { outcome: 'failed', summary: `rollout not ready: ${verdict.message}`, details };
      }
    }
    const checks = spec?.checks ?? [];
    if (checks.length === 0) {
      return { outcome: 'passed', summary: waits ? 'rollout ready; no metric checks configured' : 'no validation configured', details };
    }
    if (!this.deps.metrics) {
      // No Prometheus to ask: say so at once rather than wait out count × interval of errors.
      return { outcome: 'inconclusive', summary: `validation inconclusive: ${checks.length} metric check(s) configured but PROMETHEUS_URL is not set`, details };
    }
    const baseline = (rem.result?.baseline ?? {}) as Record<string, BaselineEntry>;
    const results = await Promise.all(checks.map((c) => this.runCheck(c, baseline[c.name] ?? null)));
    details.checks = Object.fromEntries(results.map((r) => [r.name, r]));
    const phase = worstPhase(results.map((r) => r.phase));
    const summary = results.map((r) => `${r.name}: ${r.phase}${r.after !== null ? ` (after ${r.after}${r.baseline !== null ? `, baseline ${r.baseline}` : ''})` : ''}`).join('; ');
    if (phase === 'Failed') return { outcome: 'failed', summary: `validation failed: ${summary}`, details };
    if (phase === 'Successful') return { outcome: 'passed', summary: `validation passed: ${summary}`, details };
    return { outcome: 'inconclusive', summary: `validation inconclusive: ${summary}`, details };
  }

  private async waitForRollout(t: TargetRef, timeoutMs: number, floor: number | null): Promise<RolloutVerdict> {
    const deadline = Date.now() + timeoutMs;
    let last: RolloutVerdict = { state: 'waiting', message: 'not read yet' };
    for (;;) {
      try {
        last = rolloutStatusAtFloor(await this.deps.readObject(t), floor);
      } catch (err) {
        last = { state: 'waiting', message: `cannot read the target: ${(err as Error).message}` };
      }
      if (last.state !== 'waiting') return last;
      if (Date.now() >= deadline) return { state: 'failed', message: `timed out after ${timeoutMs} ms: ${last.message}` };
      await this.sleep(Math.min(this.pollMs, Math.max(1, deadline - Date.now())));
    }
  }

  private async runCheck(c: CheckSpec, base: BaselineEntry | null) {
    const measurements: Measurement[] = [];
    const limits = { count: c.count, failureLimit: c.failureLimit, consecutiveErrorLimit: c.consecutiveErrorLimit };
    let phase: MetricPhase = 'Running';
    const query = base?.query ?? c.query;
    const maxAttempts = c.count * (c.consecutiveErrorLimit + 1) + c.consecutiveErrorLimit + 1;
    for (let i = 0; i < maxAttempts && phase === 'Running'; i++) {
      await this.sleep(c.interval);
      const at = this.deps.clock.now().toISOString();
      if (!this.deps.metrics) measurements.push({ phase: 'Error', value: null, at, message: 'PROMETHEUS_URL is not set' });
      else {
        const r = await this.deps.metrics.query(query);
        if (!r.ok) measurements.push({ phase: 'Error', value: null, at, message: r.error });
        else measurements.push({ ...judge(r.value, c, base?.value ?? null), value: r.value, at });
      }
      phase = assessMetric(measurements, limits);
    }
    if (phase === 'Running') phase = 'Error';
    const values = measurements.filter((m) => m.value !== null);
    return { name: c.name, query, phase, baseline: base?.value ?? null, after: values.length ? values[values.length - 1]!.value : null, measurements };
  }
}
