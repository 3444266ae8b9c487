/**
 * Prometheus-style durations ("30s", "5m", "1h30m", "250ms", "1d") to milliseconds.
 * Returns null for anything else, so callers can name the offending key.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PART = /(\d+)(ms|s|m|h|d|w)/y;

export function parseDuration(text: string): number | null {
  if (text === '0') return 0;
  if (text.length === 0) return null;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const m = PART.exec(text);
    if (!m || m.index !== start) return null;
    total += Number(m[1]) * (UNIT_MS[m[2]!] ?? 0);
  }
  return total;
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
