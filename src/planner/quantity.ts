/**
 * Kubernetes resource quantities ("500m", "512Mi", "1.5Gi", "2") as plain numbers
 * (cores for CPU, bytes for memory), and back. Only the suffixes Kubernetes
 * defines; anything else is null so callers can say which field is wrong.
 */
const SUFFIX: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
};
const QUANTITY = /^(\d+(?:\.\d+)?)(m|k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$/;

export function parseQuantity(q: string | number): number | null {
  if (typeof q === 'number') return Number.isFinite(q) && q >= 0 ? q : null;
  const m = QUANTITY.exec(q.trim());
  if (!m) return null;
  return Number(m[1]) * (SUFFIX[m[2] ?? ''] ?? 1);
}

/** Format a memory amount in bytes as the largest binary unit that keeps it whole ("1280Mi"). */
export function formatBytes(bytes: number): string {
  const whole = Math.ceil(bytes);
  for (const unit of ['Ti', 'Gi', 'Mi', 'Ki'] as const) {
    const size = SUFFIX[unit]!;
    if (whole >= size && whole % size === 0) return `${whole / size}${unit}`;
  }
  // Not a whole number of KiB: round up to the next MiB so the value stays readable.
  if (whole >= SUFFIX.Mi!) return `${Math.ceil(whole / SUFFIX.Mi!)}Mi`;
  return String(whole);
}

/** Format CPU cores as millicores when fractional ("1250m"), or whole cores ("2"). */
export function formatCpu(cores: number): string {
  const milli = Math.ceil(Math.round(cores * 1e6) / 1e3);
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

export function formatQuantity(resource: 'cpu' | 'memory', value: number): string {
  return resource === 'cpu' ? formatCpu(value) : formatBytes(value);
}
