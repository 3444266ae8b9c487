/**
 * Analysis as Argo Rollouts does it: measurements with a closed set of phases,
 * limits that decide a metric's phase, and a run phase that is the worst of its
 * metrics. Pure; errors are data, never exceptions.
 */
export type MeasurementPhase = 'Successful' | 'Failed' | 'Inconclusive' | 'Error';
export type MetricPhase = 'Running' | 'Successful' | 'Failed' | 'Inconclusive' | 'Error';

export interface Measurement {
  phase: MeasurementPhase;
  value: number | null;
  at: string;
  message: string;
}

export interface MetricLimits {
  count: number;
  failureLimit: number;
  consecutiveErrorLimit: number;
}

/** Worst first: the order in which a run's phase is chosen from its metrics'. */
const SEVERITY: Record<MetricPhase, number> = { Successful: 0, Running: 1, Inconclusive: 2, Error: 3, Failed: 4 };

export function isCompleted(p: MetricPhase): boolean {
  return p !== 'Running';
}

/** The phase of one metric after its measurements so far (Argo's assessMetricStatus). */
export function assessMetric(measurements: readonly Measurement[], limits: MetricLimits): MetricPhase {
  let failed = 0;
  let inconclusive = 0;
  let counted = 0;
  let consecutiveErrors = 0;
  for (const m of measurements) {
    if (m.phase === 'Error') {
      consecutiveErrors++;
      continue;
    }
    consecutiveErrors = 0;
    counted++;
    if (m.phase === 'Failed') failed++;
    if (m.phase === 'Inconclusive') inconclusive++;
  }
  if (failed > limits.failureLimit) return 'Failed';
  if (inconclusive > 0) return 'Inconclusive';
  if (consecutiveErrors > limits.consecutiveErrorLimit) return 'Error';
  if (counted >= limits.count) return 'Successful';
  return 'Running';
}

/** The run's phase: the worst of its metrics. */
export function worstPhase(phases: readonly MetricPhase[]): MetricPhase {
  return phases.reduce<MetricPhase>((worst, p) => (SEVERITY[p] > SEVERITY[worst] ? p : worst), 'Successful');
}

export interface Thresholds {
  below?: number | undefined;
  above?: number | undefined;
  belowBaseline?: number | undefined;
  aboveBaseline?: number | undefined;
}

/**
 * One measurement against the thresholds. Every given threshold must hold.
 * A relative threshold without a baseline value is an Error measurement.
 */
export function judge(value: number, t: Thresholds, baseline: number | null): { phase: MeasurementPhase; message: string } {
  const failures: string[] = [];
  if (t.below !== undefined && !(value < t.below)) failures.push(`${value} is not below ${t.below}`);
  if (t.above !== undefined && !(value > t.above)) failures.push(`${value} is not above ${t.above}`);
  if (t.belowBaseline !== undefined || t.aboveBaseline !== undefined) {
    if (baseline === null) return { phase: 'Error', message: 'no baseline value was measured before the action' };
    if (t.belowBaseline !== undefined) {
      const limit = t.belowBaseline * baseline;
      if (!(value <= limit)) failures.push(`${value} is above ${t.belowBaseline} × baseline ${baseline} = ${limit}`);
    }
    if (t.aboveBaseline !== undefined) {
      const limit = t.aboveBaseline * baseline;
      if (!(value >= limit)) failures.push(`${value} is below ${t.aboveBaseline} × baseline ${baseline} = ${limit}`);
    }
  }
  return failures.length ? { phase: 'Failed', message: failures.join('; ') } : { phase: 'Successful', message: `${value} within thresholds` };
}
