/**
 * The soak's figures and plot again from its saved samples (bench/results/soak.samples.json, written
 * every 10 s while it runs): for a run that ended without its report (the 2026-12-06 hour, whose
 * correctness check stopped it before the plot). `npx tsx bench/soak-report.ts [samples.json]`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESULTS_DIR } from './lib/paths.js';
import { writeChart } from './lib/plot.js';
import { percentile, round } from './lib/stats.js';
import type { SoakSample } from './soak.js';

const file = process.argv[2] ?? join(RESULTS_DIR, 'soak.samples.json');
const { startedAt, samples, storms } = JSON.parse(readFileSync(file, 'utf8')) as { startedAt: string; samples: SoakSample[]; storms: number[] };
const minutes = Math.round(samples.at(-1)!.minute);
const warm = samples.filter((s) => s.minute >= 20);
const slope = (pts: Array<[number, number]>) => {
  const n = pts.length;
  const mx = pts.reduce((a, [x]) => a + x, 0) / n;
  const my = pts.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of pts) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return num / den;
};
const perHour = (pick: (s: SoakSample) => number) => {
  const pts = warm.map((s) => [s.minute / 60, pick(s)] as [number, number]);
  const med = percentile(pts.map(([, y]) => y).sort((a, b) => a - b), 50);
  const sl = slope(pts);
  return { slopePerHour: round(sl), median: round(med), percentPerHour: round((100 * sl) / med) };
};
const outside = samples.filter((s) => !s.storm && !storms.some((m) => s.minute >= m && s.minute < m + 1));
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const figures = {
  startedAt,
  minutes,
  samples: samples.length,
  storms: storms.length,
  rssMiB: { ...perHour((s) => s.rssMiB), min: Math.min(...samples.map((s) => s.rssMiB)), max: Math.max(...samples.map((s) => s.rssMiB)) },
  heapUsedMiB: { ...perHour((s) => s.heapUsedMiB), max: Math.max(...samples.map((s) => s.heapUsedMiB)) },
  storeMiB: { ...perHour((s) => s.storeMiB), max: Math.max(...samples.map((s) => s.storeMiB)) },
  walMiB: { max: Math.max(...samples.map((s) => s.walMiB)) },
  alertRows: { max: Math.max(...samples.map((s) => s.alertRows)), median: percentile(sorted(samples.map((s) => s.alertRows)), 50), bound: 20000 },
  remediationRows: { max: Math.max(...samples.map((s) => s.remediationRows)) },
  eventLoopP99MsOutsideStorms: { median: round(percentile(sorted(outside.map((s) => s.eventLoopP99Ms)), 50)), max: Math.max(...outside.map((s) => s.eventLoopP99Ms)) },
  intakeP99MsOutsideStorms: { median: round(percentile(sorted(outside.map((s) => s.intakeP99Ms ?? 0)), 50)) },
  openFds: { min: Math.min(...samples.map((s) => s.openFds)), max: Math.max(...samples.map((s) => s.openFds)) },
  activeHandles: { min: Math.min(...samples.map((s) => s.activeHandles)), max: Math.max(...samples.map((s) => s.activeHandles)) },
};
const chart = writeChart(
  {
    title: `Soak: ${minutes} min, 3 notifications/s and a 10,000-alert storm every 10 min, RETENTION=10m, RETENTION_MAX_ALERTS=20000`,
    subtitle: `${startedAt.slice(0, 16)} UTC; SQLite, sandbox cluster, 2 HA peers; sampled every 10 s; shared 2-core machine at load average 24–32 (8 sessions)`,
    markers: storms,
    markerLabel: 'storm',
    panels: [
      { title: 'RSS', unit: 'MiB', points: samples.map((s) => [s.minute, s.rssMiB] as const) },
      { title: 'V8 heap used', unit: 'MiB', points: samples.map((s) => [s.minute, s.heapUsedMiB] as const) },
      { title: 'event-loop delay p99 per 10 s', unit: 'ms', points: samples.map((s) => [s.minute, s.eventLoopP99Ms] as const) },
      { title: 'intake p99 per 10 s', unit: 'ms', points: samples.map((s) => [s.minute, s.intakeP99Ms ?? 0] as const) },
      { title: 'database file', unit: 'MiB', points: samples.map((s) => [s.minute, s.storeMiB] as const) },
      { title: 'WAL file', unit: 'MiB', points: samples.map((s) => [s.minute, s.walMiB] as const) },
      { title: 'alert rows', unit: 'rows', points: samples.map((s) => [s.minute, s.alertRows] as const), limit: { y: 20000, label: 'RETENTION_MAX_ALERTS' } },
      { title: 'remediation rows', unit: 'rows', points: samples.map((s) => [s.minute, s.remediationRows] as const) },
      { title: 'open file descriptors', unit: 'fds', points: samples.map((s) => [s.minute, s.openFds] as const) },
      { title: 'active handles', unit: 'handles', points: samples.map((s) => [s.minute, s.activeHandles] as const) },
    ],
  },
  join(RESULTS_DIR, 'soak'),
);
writeFileSync(join(RESULTS_DIR, 'soak.json'), `${JSON.stringify({ figures, plot: chart.png ?? chart.problem, samples, storms }, null, 1)}\n`);
process.stdout.write(`${JSON.stringify(figures, null, 1)}\n`);
