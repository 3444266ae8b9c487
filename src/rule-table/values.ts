/**
 * What a rendered template value may look like where it goes. A value taken from an alert
 * label must be a single, safe token for its place: a Kubernetes name cannot contain `/` or be
 * `..`, a Redis address is `redis://host:port` and nothing else, a PromQL string literal cannot
 * be closed from inside. Checked with plain character loops (no regex over label values).
 */

/** Where a templated value ends up; each kind has its own rule for what is acceptable. */
export type ValueKind = 'apiVersion' | 'kind' | 'namespace' | 'name' | 'container' | 'redis-address' | 'promql' | 'text';

const isLowerAlnum = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
const isHexDigit = (c: string): boolean => (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
const isAlnum = (c: string): boolean => isLowerAlnum(c) || (c >= 'A' && c <= 'Z');

/** RFC 1123 label as Kubernetes uses it (namespaces, container names): `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, ≤ 63. */
export function isDns1123Label(s: string): boolean {
  if (s.length === 0 || s.length > 63) return false;
  for (const c of s) if (!isLowerAlnum(c) && c !== '-') return false;
  return isLowerAlnum(s[0]!) && isLowerAlnum(s[s.length - 1]!);
}

/** RFC 1123 subdomain as Kubernetes uses it (most object names): dot-separated labels, ≤ 253. */
export function isDns1123Subdomain(s: string): boolean {
  if (s.length === 0 || s.length > 253) return false;
  return s.split('.').every((part) => part.length > 0 && isDns1123LabelChars(part));
}

function isDns1123LabelChars(s: string): boolean {
  for (const c of s) if (!isLowerAlnum(c) && c !== '-') return false;
  return isLowerAlnum(s[0]!) && isLowerAlnum(s[s.length - 1]!);
}

/** A Kubernetes kind: CamelCase letters and digits starting with an upper-case letter (`Deployment`). */
export function isKind(s: string): boolean {
  if (s.length === 0 || s.length > 63) return false;
  if (!(s[0]! >= 'A' && s[0]! <= 'Z')) return false;
  for (const c of s) if (!isAlnum(c)) return false;
  return true;
}

/** `v1` (core) or `<group>/<version>` with a DNS-1123 subdomain group (`apps/v1`, `postgresql.cnpg.io/v1`). */
export function isApiVersion(s: string): boolean {
  const parts = s.split('/');
  if (parts.length === 1) return isDns1123Label(parts[0]!);
  if (parts.length !== 2) return false;
  return isDns1123Subdomain(parts[0]!) && isDns1123Label(parts[1]!);
}

/**
 * `redis://host[:port]` or `rediss://host[:port]`: host a DNS name, an IPv4 address or a bracketed
 * IPv6 address; no credentials, path or query (passwords come from `passwordEnv`).
 */
export function isRedisAddress(s: string): boolean {
  if (s.length > 300) return false;
  const scheme = ['redis://', 'rediss://'].find((p) => s.startsWith(p));
  if (scheme === undefined) return false;
  let rest = s.slice(scheme.length);
  let host: string;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) return false;
    host = rest.slice(1, close);
    if (host.length === 0 || ![...host].every((c) => isHexDigit(c) || c === ':' || c === '.')) return false;
    rest = rest.slice(close + 1);
  } else {
    const colon = rest.indexOf(':');
    host = colon < 0 ? rest : rest.slice(0, colon);
    rest = colon < 0 ? '' : rest.slice(colon);
    if (!isDns1123Subdomain(host.toLowerCase())) return false;
  }
  if (rest === '') return true;
  if (!rest.startsWith(':')) return false;
  const port = rest.slice(1);
  if (port.length === 0 || port.length > 5 || ![...port].every((c) => c >= '0' && c <= '9')) return false;
  const n = Number(port);
  return n >= 1 && n <= 65535;
}

/**
 * A value substituted into a PromQL query. The loader insists that templates in a query sit
 * inside a quoted string; this keeps the value from closing that string or adding lines.
 */
export function isPromqlSafe(s: string): boolean {
  for (const c of s) {
    if (c === '"' || c === "'" || c === '`' || c === '\\') return false;
    if (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f) return false;
  }
  return true;
}

/** What a valid value of each kind looks like, for error messages. */
const EXPECTATION: Record<ValueKind, string> = {
  apiVersion: 'an apiVersion such as v1 or apps/v1',
  kind: 'a Kubernetes kind such as Deployment (letters and digits, starting upper-case)',
  namespace: 'a Kubernetes namespace name (DNS-1123 label: lower-case letters, digits and "-", at most 63)',
  name: 'a Kubernetes object name (DNS-1123 subdomain: lower-case letters, digits, "-" and ".", at most 253)',
  container: 'a container name (DNS-1123 label: lower-case letters, digits and "-", at most 63)',
  'redis-address': 'redis://host[:port] with no credentials, path or query',
  promql: 'a value without quotes, backslashes or control characters',
  text: 'any text',
};

/**
 * Check a rendered value for its place. Returns null when acceptable, otherwise the reason.
 *
 * @example checkValue('namespace', 'a/b') // → '"a/b" is not a Kubernetes namespace name (…)'
 */
export function checkValue(kind: ValueKind, value: string): string | null {
  let ok: boolean;
  switch (kind) {
    case 'apiVersion':
      ok = isApiVersion(value);
      break;
    case 'kind':
      ok = isKind(value);
      break;
    case 'namespace':
    case 'container':
      ok = isDns1123Label(value);
      break;
    case 'name':
      ok = isDns1123Subdomain(value);
      break;
    case 'redis-address':
      ok = isRedisAddress(value);
      break;
    case 'promql':
      ok = isPromqlSafe(value);
      break;
    case 'text':
      ok = true;
      break;
  }
  return ok ? null : `${JSON.stringify(value)} is not ${EXPECTATION[kind]}`;
}
