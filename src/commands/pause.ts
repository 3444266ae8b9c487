/**
 * `autoremediator pause` and `autoremediator resume`: the kill switch of a running
 * service (POST / DELETE /api/v1/pause). Each takes its own argv and parses it here, so
 * that either CLI front end can register it as it is.
 *
 *   autoremediator pause [--namespace NS | --target NS/KIND/NAME | --rule NAME] --reason TEXT [--for 2h | --until ISO]
 *   autoremediator pause --list
 *   autoremediator resume [--namespace NS | --target NS/KIND/NAME | --rule NAME]
 *
 * Common: --url (default http://127.0.0.1:8000), --actor (default $USER); ADMIN_TOKEN from the environment.
 */
import { parseArgs } from 'node:util';
import axios from 'axios';

export const PAUSE_USAGE = `usage: autoremediator pause [--namespace NS | --target NS/KIND/NAME | --rule NAME] --reason TEXT [--for DURATION | --until RFC3339]
       autoremediator pause --list
       autoremediator resume [--namespace NS | --target NS/KIND/NAME | --rule NAME]
  no scope option: everything (global)
  --url URL       the service (default http://127.0.0.1:8000); ADMIN_TOKEN from the environment
  --actor NAME    who pauses or resumes (default $USER), sent as X-Actor

Examples:
  ADMIN_TOKEN=... autoremediator pause --reason "incident 4711" --for 2h
  ADMIN_TOKEN=... autoremediator pause --namespace payments --reason "migration" --until 2026-12-24T06:00:00Z
  ADMIN_TOKEN=... autoremediator pause --list --url http://autoremediator.platform-tools.svc:8000
  ADMIN_TOKEN=... autoremediator resume --namespace payments
`;

type Out = { stdout: (s: string) => void; stderr: (s: string) => void };
const std: Out = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };

const common = {
  url: { type: 'string', default: 'http://127.0.0.1:8000' },
  actor: { type: 'string' },
  namespace: { type: 'string' },
  target: { type: 'string' },
  rule: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** The scope fields of the API body from the options; a string is a usage error. */
export function scopeFromOptions(v: { namespace?: string | undefined; target?: string | undefined; rule?: string | undefined }): Record<string, string> | string {
  const given = (['namespace', 'target', 'rule'] as const).filter((k) => v[k] !== undefined);
  if (given.length > 1) return `give at most one of --namespace, --target, --rule (got ${given.map((g) => `--${g}`).join(', ')})`;
  if (v.namespace !== undefined) return { scope: 'namespace', namespace: v.namespace };
  if (v.rule !== undefined) return { scope: 'rule', rule: v.rule };
  if (v.target !== undefined) {
    const parts = v.target.split('/');
    if (parts.length !== 3 || parts.some((p) => p === '')) return `--target must be NAMESPACE/KIND/NAME (e.g. ci/deployment/api), got "${v.target}"`;
    return { scope: 'target', namespace: parts[0]!, kind: parts[1]!, name: parts[2]! };
  }
  return { scope: 'global' };
}

function parse(cmd: string, argv: string[], extra: Record<string, { type: 'string' | 'boolean'; default?: boolean }>, out: Out): ReturnType<typeof parseArgs> | null {
  try {
    return parseArgs({ args: argv, options: { ...common, ...extra }, allowPositionals: false, strict: true });
  } catch (err) {
    out.stderr(`autoremediator ${cmd}: ${(err as Error).message}\n${PAUSE_USAGE}`);
    return null;
  }
}

async function call(method: 'get' | 'post' | 'delete', url: string, actor: string, body: unknown): Promise<{ status: number; data: unknown }> {
  const token = process.env.ADMIN_TOKEN;
  const headers: Record<string, string> = { 'X-Actor': actor, ...(token ? { Authorization: `Bearer ${token}` } : {}) };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await axios.request({ method, url: `${url.replace(/\/$/, '')}/api/v1/pause`, data: body, headers, validateStatus: () => true, timeout: 30_000 });
  return { status: res.status, data: res.data as unknown };
}

function errorText(data: unknown): string {
  return (data as { error?: { message?: string } })?.error?.message ?? JSON.stringify(data);
}

/** `autoremediator pause …`; returns the exit code (0 done, 1 refused by the service, 2 usage). */
export async function runPause(argv: string[], out: Out = std): Promise<number> {
  const parsed = parse('pause', argv, { reason: { type: 'string' }, for: { type: 'string' }, until: { type: 'string' }, list: { type: 'boolean', default: false } }, out);
  if (!parsed) return 2;
  const v = parsed.values as Record<string, string | boolean | undefined>;
  if (v.help) {
    out.stdout(PAUSE_USAGE);
    return 0;
  }
  const actor = (v.actor as string | undefined) ?? process.env.USER ?? 'cli';
  if (v.list) {
    const res = await call('get', v.url as string, actor, undefined);
    if (res.status !== 200) {
      out.stderr(`autoremediator pause --list: ${res.status}: ${errorText(res.data)}\n`);
      return 1;
    }
    out.stdout(`${JSON.stringify(res.data, null, 2)}\n`);
    return 0;
  }
  const scope = scopeFromOptions(v);
  if (typeof scope === 'string') {
    out.stderr(`autoremediator pause: ${scope}\n`);
    return 2;
  }
  if (typeof v.reason !== 'string' || v.reason.trim() === '') {
    out.stderr('autoremediator pause: say why with --reason TEXT (every decision the pause holds shows it)\n');
    return 2;
  }
  if (v.for !== undefined && v.until !== undefined) {
    out.stderr('autoremediator pause: give --for or --until, not both\n');
    return 2;
  }
  const body = { ...scope, reason: v.reason, ...(v.for !== undefined ? { expiresIn: v.for } : {}), ...(v.until !== undefined ? { expiresAt: v.until } : {}) };
  const res = await call('post', v.url as string, actor, body);
  if (res.status !== 201) {
    out.stderr(`autoremediator pause: ${res.status}: ${errorText(res.data)}\n`);
    return 1;
  }
  out.stdout(`${JSON.stringify(res.data, null, 2)}\n`);
  return 0;
}

/** `autoremediator resume …`; 0 resumed, 1 nothing to resume or refused, 2 usage. */
export async function runResume(argv: string[], out: Out = std): Promise<number> {
  const parsed = parse('resume', argv, {}, out);
  if (!parsed) return 2;
  const v = parsed.values as Record<string, string | boolean | undefined>;
  if (v.help) {
    out.stdout(PAUSE_USAGE);
    return 0;
  }
  const scope = scopeFromOptions(v);
  if (typeof scope === 'string') {
    out.stderr(`autoremediator resume: ${scope}\n`);
    return 2;
  }
  const res = await call('delete', v.url as string, (v.actor as string | undefined) ?? process.env.USER ?? 'cli', scope);
  if (res.status !== 200) {
    out.stderr(`autoremediator resume: ${res.status}: ${errorText(res.data)}\n`);
    return 1;
  }
  out.stdout(`${JSON.stringify(res.data, null, 2)}\n`);
  return 0;
}
