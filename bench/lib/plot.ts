/**
 * Line charts for the benchmarks' time series, drawn as SVG by hand (no chart library) and turned
 * into a PNG by the system's headless Chromium (`/usr/bin/chromium --headless --screenshot`), the
 * Debian browser the status page's tests use too. Without Chromium the SVG is still written and
 * the PNG is reported missing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Panel {
  title: string;
  unit: string;
  /** [x, y] pairs; x in minutes. */
  points: ReadonlyArray<readonly [number, number]>;
  /** A horizontal line (a goal or a bound), labelled. */
  limit?: { y: number; label: string };
}

export interface Chart {
  title: string;
  subtitle: string;
  panels: readonly Panel[];
  /** Vertical markers (x in minutes), e.g. storms. */
  markers?: readonly number[];
  markerLabel?: string;
}

const W = 1200;
const PANEL_H = 190;
const COLS = 2;
const PAD = { left: 70, right: 20, top: 34, bottom: 30 };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

export function svgOf(chart: Chart): { svg: string; width: number; height: number } {
  const rows = Math.ceil(chart.panels.length / COLS);
  const head = 60;
  const height = head + rows * PANEL_H + 10;
  const pw = W / COLS;
  const xMax = Math.max(1, ...chart.panels.flatMap((p) => p.points.map(([x]) => x)));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${height}" fill="#fff"/>`,
    `<text x="16" y="24" font-size="17" font-weight="bold">${esc(chart.title)}</text>`,
    `<text x="16" y="45" fill="#444">${esc(chart.subtitle)}</text>`,
  ];
  chart.panels.forEach((panel, i) => {
    const ox = (i % COLS) * pw;
    const oy = head + Math.floor(i / COLS) * PANEL_H;
    const iw = pw - PAD.left - PAD.right;
    const ih = PANEL_H - PAD.top - PAD.bottom;
    const yMax = niceMax(Math.max(...panel.points.map(([, y]) => y), panel.limit?.y ?? 0) * 1.05);
    const X = (x: number) => ox + PAD.left + (x / xMax) * iw;
    const Y = (y: number) => oy + PAD.top + ih - (y / yMax) * ih;
    out.push(`<text x="${ox + PAD.left}" y="${oy + 22}" font-weight="bold">${esc(panel.title)} (${esc(panel.unit)})</text>`);
    out.push(`<rect x="${ox + PAD.left}" y="${oy + PAD.top}" width="${iw}" height="${ih}" fill="#fafafa" stroke="#ccc"/>`);
    for (let k = 0; k <= 4; k++) {
      const v = (yMax * k) / 4;
      out.push(`<line x1="${ox + PAD.left}" x2="${ox + PAD.left + iw}" y1="${Y(v)}" y2="${Y(v)}" stroke="#e4e4e4"/>`);
      out.push(`<text x="${ox + PAD.left - 6}" y="${Y(v) + 4}" text-anchor="end" fill="#555">${fmt(v)}</text>`);
    }
    const step = xMax > 30 ? 10 : xMax > 10 ? 2 : 1;
    for (let x = 0; x <= xMax; x += step) out.push(`<text x="${X(x)}" y="${oy + PAD.top + ih + 16}" text-anchor="middle" fill="#555">${x}</text>`);
    for (const m of chart.markers ?? []) out.push(`<line x1="${X(m)}" x2="${X(m)}" y1="${oy + PAD.top}" y2="${oy + PAD.top + ih}" stroke="#f0a040" stroke-dasharray="3,3"/>`);
    if (panel.limit) {
      out.push(`<line x1="${ox + PAD.left}" x2="${ox + PAD.left + iw}" y1="${Y(panel.limit.y)}" y2="${Y(panel.limit.y)}" stroke="#c33" stroke-dasharray="6,4"/>`);
      out.push(`<text x="${ox + PAD.left + iw - 4}" y="${Y(panel.limit.y) - 4}" text-anchor="end" fill="#c33">${esc(panel.limit.label)}</text>`);
    }
    if (panel.points.length > 0) {
      const d = panel.points.map(([x, y], k) => `${k === 0 ? 'M' : 'L'}${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="#1f5fbf" stroke-width="1.6"/>`);
    }
  });
  if (chart.markers?.length && chart.markerLabel) out.push(`<text x="${W - 16}" y="45" text-anchor="end" fill="#c07010">┆ ${esc(chart.markerLabel)}</text>`);
  out.push('</svg>');
  return { svg: out.join('\n'), width: W, height };
}

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Write `<base>.svg` and, when Chromium is there, `<base>.png`; returns the PNG's path or null. */
export function writeChart(chart: Chart, base: string): { svg: string; png: string | null; problem?: string } {
  const { svg, width, height } = svgOf(chart);
  writeFileSync(`${base}.svg`, svg);
  if (!existsSync(CHROMIUM)) return { svg: `${base}.svg`, png: null, problem: `no ${CHROMIUM} (apt-get install chromium, or CHROMIUM_PATH)` };
  const dir = mkdtempSync(join(tmpdir(), 'bench-plot-'));
  try {
    const html = join(dir, 'chart.html');
    writeFileSync(html, `<!doctype html><html><body style="margin:0">${svg}</body></html>`);
    execFileSync(
      CHROMIUM,
      ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--user-data-dir=${join(dir, 'profile')}`, `--window-size=${width},${height}`, `--screenshot=${base}.png`, `file://${html}`],
      { stdio: 'ignore', timeout: 120_000 },
    );
    return { svg: `${base}.svg`, png: existsSync(`${base}.png`) ? `${base}.png` : null };
  } catch (err) {
    return { svg: `${base}.svg`, png: null, problem: (err as Error).message };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
