/**
 * Durations in Prometheus's grammar (common/model ParseDuration, the one promtool and PromQL
 * use): one or more `<integer><unit>` parts with units ms s m h d w y, each at most once and in
 * descending order ("1h30m", "250ms", "1y"; "5m1h" and "1h1h" are refused), or "0".
 * A year is 365 days, a week 7 days, as in Prometheus. Returns null for anything else, so
 * callers can name the offending key.
 */
const UNITS = [
  ['y', 31_536_000_000],
  ['w', 604_800_000],
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
] as const;
const PART = /(\d+)(ms|s|m|h|d|w|y)/y;

export function parseDuration(text: string): number | null {
  if (text === '0') return 0;
  if (text.length === 0) return null;
  let total = 0;
  // Index in UNITS of the last unit read: the next must come strictly later (a smaller unit).
  let last = -1;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const m = PART.exec(text);
    if (!m || m.index !== start) return null;
    const unit = UNITS.findIndex(([u]) => u === m[2]);
    if (unit <= last) return null;
    last = unit;
    total += Number(m[1]) * UNITS[unit]![1];
  }
  return Number.isSafeInteger(total) ? total : null;
}

/** Milliseconds back to the shortest Prometheus-style duration ("90000" → "1m30s"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}
