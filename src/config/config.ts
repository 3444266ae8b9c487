/**
 * Configuration from the environment, parsed once at the edge (zod). Every error
 * names the variable. Misconfiguration fails at start, never on a request.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import cron from 'node-cron';
import { z } from 'zod';
import { ConfigError } from '../platform/config-error.js';
import { parseDuration } from '../platform/duration.js';
import { slackConfigFromEnv, type SlackConfig } from '../notify/config.js';
import { freezeWindowSchema, type FreezeWindow } from '../control/freeze.js';
import type { ApprovalPolicy } from '../control/approval.js';
import { parseHeaders, type PrometheusAuth, type PrometheusClientOptions } from '../validation/prometheus-client.js';

export const DEFAULT_PORT = 8000;
export const DEFAULT_RULES_DIR = './rules';
export const DEFAULT_DATABASE_URL = 'sqlite:./data/autoremediator.db';
/** Holds MAX_ALERTS_PER_NOTIFICATION (10 000) alerts as a current Alertmanager sends them (~1.3 KB each, ~13 MB): test/hardening/limits-agree.test.ts. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
export const DEFAULT_QUEUE_CAPACITY = 10_000;

const bool = (name: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return undefined;
      const t = v.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(t)) return true;
      if (['false', '0', 'no', 'off'].includes(t)) return false;
      ctx.addIssue({ code: 'custom', message: `${name} must be true or false, got "${v}"` });
      return z.NEVER;
    });

const int = (name: string, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a whole number from ${min} to ${max}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

/** A duration (parseDuration) in ms that `ok` accepts; else "NAME must be EXPECTED, got …". */
const duration = (name: string, ok: (ms: number) => boolean, expected: string, opts: { trim?: boolean } = {}) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return undefined;
      const ms = parseDuration(opts.trim ? v.trim() : v);
      if (ms === null || !ok(ms)) {
        ctx.addIssue({ code: 'custom', message: `${name} must be ${expected}, got "${v}"` });
        return z.NEVER;
      }
      return ms;
    });

/** "N/duration", e.g. "5/10m": at most N actions per sliding window. */
const budget = (name: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return undefined;
      const m = /^(\d+)\/(.+)$/.exec(v.trim());
      const windowMs = m ? parseDuration(m[2]!) : null;
      if (!m || windowMs === null || windowMs <= 0) {
        ctx.addIssue({ code: 'custom', message: `${name} must look like "5/10m" (N actions per window), got "${v}"` });
        return z.NEVER;
      }
      return { max: Number(m[1]), windowMs };
    });

/** `user:password`; `minPassword` for a credential of ours (the webhook's), where the token rule applies. */
const basicAuth = (name: string, minPassword = 1) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return undefined;
      const i = v.indexOf(':');
      if (i <= 0 || i === v.length - 1) {
        ctx.addIssue({ code: 'custom', message: `${name} must be "user:password" with both parts non-empty` });
        return z.NEVER;
      }
      const password = v.slice(i + 1);
      // The same rule as for tokens: a Basic password is a bearer secret too.
      if (password.length < minPassword) {
        ctx.addIssue({ code: 'custom', message: `${name}: the password must be at least ${minPassword} characters long` });
        return z.NEVER;
      }
      return { user: v.slice(0, i), password };
    });

const headers = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v.trim() === '') return undefined;
    const parsed = parseHeaders(v, 'PROMETHEUS_HEADERS');
    if (!parsed.ok) {
      for (const message of parsed.problems) ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    return parsed.headers;
  });

/** A file read once at start (a CA bundle): a missing or unreadable file fails the start, naming the variable. */
const fileContents = (name: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return undefined;
      try {
        return { file: v, contents: readFileSync(v, 'utf8') };
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `${name}: cannot read ${v}: ${(err as Error).message}` });
        return z.NEVER;
      }
    });

/** A file read again later (a rotating token): it must be readable now. */
const readableFile = (name: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return undefined;
      try {
        accessSync(v, constants.R_OK);
        return v;
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `${name}: cannot read ${v}: ${(err as Error).message}` });
        return z.NEVER;
      }
    });

const secret = (name: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return undefined;
      if (v.length < 16) {
        ctx.addIssue({ code: 'custom', message: `${name} must be at least 16 characters long` });
        return z.NEVER;
      }
      return v;
    });

const envSchema = z.object({
  PORT: int('PORT', 0, 65535),
  HOST: z.string().optional(),
  RULES_DIR: z.string().optional(),
  DATABASE_URL: z.string().optional(),
  WEBHOOK_TOKEN: secret('WEBHOOK_TOKEN'),
  WEBHOOK_BASIC_AUTH: basicAuth('WEBHOOK_BASIC_AUTH', 16),
  ADMIN_TOKEN: secret('ADMIN_TOKEN'),
  INSECURE_NO_AUTH: bool('INSECURE_NO_AUTH'),
  DRY_RUN: bool('DRY_RUN'),
  ALLOWED_NAMESPACES: z.string().optional(),
  /** How Argo CD tracks resources (its application.resourceTrackingMethod); read by commands/cluster-from-env.ts. */
  ARGOCD_TRACKING_METHOD: z.enum(['annotation', 'label', 'annotation+label']).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  MAX_BODY_BYTES: int('MAX_BODY_BYTES', 1024, 64 * 1024 * 1024),
  QUEUE_CAPACITY: int('QUEUE_CAPACITY', 1, 10_000_000),
  MAX_ALERTS_PER_NOTIFICATION: int('MAX_ALERTS_PER_NOTIFICATION', 1, 1_000_000),
  MAX_LABELS_PER_ALERT: int('MAX_LABELS_PER_ALERT', 1, 10_000),
  CONCURRENT_REMEDIATIONS: int('CONCURRENT_REMEDIATIONS', 1, 1000),
  BUDGET_PER_NAMESPACE: budget('BUDGET_PER_NAMESPACE'),
  BUDGET_GLOBAL: budget('BUDGET_GLOBAL'),
  PUBLIC_URL: z.string().url().optional(),
  PROMETHEUS_URL: z.string().url().optional(),
  PROMETHEUS_BEARER_TOKEN: z.string().optional(),
  PROMETHEUS_BEARER_TOKEN_FILE: readableFile('PROMETHEUS_BEARER_TOKEN_FILE'),
  PROMETHEUS_BASIC_AUTH: basicAuth('PROMETHEUS_BASIC_AUTH'),
  PROMETHEUS_CA_FILE: fileContents('PROMETHEUS_CA_FILE'),
  PROMETHEUS_INSECURE_SKIP_VERIFY: bool('PROMETHEUS_INSECURE_SKIP_VERIFY'),
  PROMETHEUS_HEADERS: headers,
  BREAKER_ROLLBACKS: int('BREAKER_ROLLBACKS', 1, 1000),
  BREAKER_WINDOW: duration('BREAKER_WINDOW', (ms) => ms > 0, 'a duration like 1h'),
  READINESS_POLL_MS: int('READINESS_POLL_MS', 10, 60_000),
  FREEZE_WINDOWS: z.string().optional(),
  ALERTMANAGER_URL: z.string().optional(),
  SILENCE_DURING_VALIDATION: bool('SILENCE_DURING_VALIDATION'),
  APPROVAL_REQUIRED: bool('APPROVAL_REQUIRED'),
  APPROVAL_NAMESPACES: z.string().optional(),
  APPROVAL_TIMEOUT: duration('APPROVAL_TIMEOUT', (ms) => ms >= 1000, 'a duration of at least 1s (e.g. 30m, 2h)'),
  SLACK_SIGNING_SECRET: z.string().optional(),
  STUCK_DECISION_MS: int('STUCK_DECISION_MS', 100, 3_600_000),
  DATABASE_QUERY_TIMEOUT_MS: int('DATABASE_QUERY_TIMEOUT_MS', 100, 600_000),
  RETENTION: duration('RETENTION', (ms) => ms === 0 || ms >= 60_000, 'a duration of at least 1m like 30d, or 0 to keep the history for ever', { trim: true }),
  RETENTION_MAX_ALERTS: int('RETENTION_MAX_ALERTS', 1000, 1_000_000_000),
  RETENTION_BATCH: int('RETENTION_BATCH', 10, 100_000),
  RETENTION_SCHEDULE: z.string().optional(),
  RESTORE_SCHEDULE: z.string().optional(),
  RESUME_SCHEDULE: z.string().optional(),
  STATUS_SAMPLE_INTERVAL: duration('STATUS_SAMPLE_INTERVAL', (ms) => ms >= 500 && ms <= 3_600_000, 'a duration from 500ms to 1h'),
  RUN_LEASE_TTL: duration('RUN_LEASE_TTL', (ms) => ms >= 1000, 'a duration of at least 1s'),
});

export interface Config {
  port: number;
  host: string;
  rulesDir: string;
  databaseUrl: string;
  auth: {
    webhookToken: string | null;
    webhookBasic: { user: string; password: string } | null;
    adminToken: string | null;
    /** Explicitly no authentication at all (INSECURE_NO_AUTH=true). */
    insecure: boolean;
  };
  dryRun: boolean;
  /** `'*'` or the list; empty means no namespace may be changed. */
  allowedNamespaces: readonly string[] | '*';
  logLevel: string;
  limits: {
    maxBodyBytes: number;
    queueCapacity: number;
    maxAlertsPerNotification: number;
    maxLabelsPerAlert: number;
    concurrentRemediations: number;
  };
  budgets: { namespace: { max: number; windowMs: number }; global: { max: number; windowMs: number } };
  /** Base URL people use to reach the API, for links in notifications. */
  publicUrl: string | null;
  /** Prometheus for validation checks; null: rules with checks end inconclusive. */
  prometheusUrl: string | null;
  /** How queries reach it: credentials, TLS, extra headers (PROMETHEUS_* variables). */
  prometheusClient: PrometheusClientOptions;
  breaker: { rollbacks: number; windowMs: number };
  readinessPollMs: number;
  /** A decision running longer than this makes /readyz not ready (a store or cluster call that never answers). */
  stuckDecisionMs: number;
  /** PostgreSQL: the deadline of every query (statement_timeout; the client gives up 2 s later). */
  databaseQueryTimeoutMs: number;
  /** node-cron expression (seconds field included) for the restore job. */
  restoreSchedule: string;
  /** RETENTION (ms, 0: for ever), RETENTION_MAX_ALERTS, RETENTION_BATCH, RETENTION_SCHEDULE. */
  retention: { maxAgeMs: number; maxAlerts: number | null; batchSize: number; schedule: string };
  /** node-cron expression for the job that takes over runs of dead replicas. */
  resumeSchedule: string;
  /** A run whose heartbeat is older than this belongs to a process that is gone. */
  runLeaseTtlMs: number;
  /** How often the status page reads the current state of recent targets (STATUS_SAMPLE_INTERVAL). */
  statusSampleMs: number;
  /** Slack, or null when not configured. */
  slack: SlackConfig | null;
  /** The service's freeze windows (FREEZE_WINDOWS); rules may add their own. */
  freezeWindows: FreezeWindow[];
  /** Alertmanager API base URLs for silences during validation (several: an HA pair, each gets the silence). */
  alertmanagerUrls: string[];
  /** Silence during validation for rules that do not say (`silenceDuringValidation`). */
  silenceDuringValidation: boolean;
  /** Approval mode of the service (APPROVAL_REQUIRED, APPROVAL_NAMESPACES, APPROVAL_TIMEOUT) and its approval windows (FREEZE_WINDOWS with mode approval). */
  approval: ApprovalPolicy;
  /** Slack's signing secret: with it, POST /slack/interactions takes the Approve / Deny buttons (bot mode). */
  slackSigningSecret: string | null;
}

/** FREEZE_WINDOWS: a JSON array of {name, cron, duration, timeZone?}; each problem names its position and field. */
function parseFreezeWindows(text: string | undefined, problems: string[]): FreezeWindow[] {
  if (text === undefined || text.trim() === '') return [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    problems.push(`FREEZE_WINDOWS: not JSON (${(err as Error).message}); give a JSON array like [{"name":"release-freeze","cron":"0 16 * * 5","duration":"64h","timeZone":"Europe/Berlin"}]`);
    return [];
  }
  if (!Array.isArray(raw)) {
    problems.push('FREEZE_WINDOWS: must be a JSON array of windows');
    return [];
  }
  const out: FreezeWindow[] = [];
  raw.forEach((w, i) => {
    const r = freezeWindowSchema.safeParse(w);
    if (r.success) out.push(r.data);
    else for (const issue of r.error.issues) problems.push(`FREEZE_WINDOWS[${i}]${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${issue.message}`);
  });
  const names = out.map((w) => w.name);
  const dup = names.filter((n, i) => names.indexOf(n) !== i);
  if (dup.length) problems.push(`FREEZE_WINDOWS: window names must be unique: ${[...new Set(dup)].join(', ')}`);
  return out;
}

/** ALERTMANAGER_URL: comma-separated http(s) URLs. */
function parseAlertmanagerUrls(text: string | undefined, problems: string[]): string[] {
  const urls = (text ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const [i, u] of urls.entries()) {
    let ok = false;
    try {
      ok = ['http:', 'https:'].includes(new URL(u).protocol);
    } catch {
      ok = false;
    }
    if (!ok) problems.push(`ALERTMANAGER_URL: entry ${i + 1} is not an http(s) URL: "${u}"`);
  }
  return urls.map((u) => u.replace(/\/+$/, ''));
}

export { ConfigError } from '../platform/config-error.js';

/** The PROMETHEUS_* client options; conflicts and options without PROMETHEUS_URL are problems naming the variables. */
function prometheusClientFrom(e: z.infer<typeof envSchema>, problems: string[]): PrometheusClientOptions {
  const auths = (['PROMETHEUS_BEARER_TOKEN', 'PROMETHEUS_BEARER_TOKEN_FILE', 'PROMETHEUS_BASIC_AUTH'] as const).filter((k) => e[k] !== undefined && e[k] !== '');
  if (auths.length > 1) problems.push(`${auths.join(', ')}: set one way to authenticate to Prometheus, not ${auths.length}`);
  const given = (['PROMETHEUS_BEARER_TOKEN', 'PROMETHEUS_BEARER_TOKEN_FILE', 'PROMETHEUS_BASIC_AUTH', 'PROMETHEUS_CA_FILE', 'PROMETHEUS_INSECURE_SKIP_VERIFY', 'PROMETHEUS_HEADERS'] as const).filter(
    (k) => e[k] !== undefined && e[k] !== '',
  );
  if (given.length && !e.PROMETHEUS_URL) problems.push(`${given.join(', ')}: set without PROMETHEUS_URL, so there is no Prometheus to apply them to`);
  if (e.PROMETHEUS_URL?.startsWith('http://')) {
    const tlsOnly = (['PROMETHEUS_CA_FILE', 'PROMETHEUS_INSECURE_SKIP_VERIFY'] as const).filter((k) => e[k] !== undefined);
    if (tlsOnly.length) problems.push(`${tlsOnly.join(', ')}: apply to https:// only, but PROMETHEUS_URL is http://`);
  }
  const token = e.PROMETHEUS_BEARER_TOKEN?.trim();
  const auth: PrometheusAuth = token
    ? { kind: 'bearer', token }
    : e.PROMETHEUS_BEARER_TOKEN_FILE
      ? { kind: 'bearer-file', file: e.PROMETHEUS_BEARER_TOKEN_FILE }
      : e.PROMETHEUS_BASIC_AUTH
        ? { kind: 'basic', ...e.PROMETHEUS_BASIC_AUTH }
        : { kind: 'none' };
  return { auth, ca: e.PROMETHEUS_CA_FILE?.contents ?? null, insecureSkipVerify: e.PROMETHEUS_INSECURE_SKIP_VERIFY ?? false, headers: e.PROMETHEUS_HEADERS ?? {} };
}

/** Parse the environment once. Throws ConfigError listing every problem, each naming its variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => (i.message.includes(String(i.path[0])) ? i.message : `${String(i.path[0])}: ${i.message}`)));
  }
  const e = parsed.data;
  const problems: string[] = [];
  const insecure = e.INSECURE_NO_AUTH === true;
  const hasWebhookAuth = e.WEBHOOK_TOKEN !== undefined || e.WEBHOOK_BASIC_AUTH !== undefined;
  if (!insecure && !hasWebhookAuth) {
    problems.push('no webhook credential: set WEBHOOK_TOKEN (bearer) or WEBHOOK_BASIC_AUTH (user:password), or INSECURE_NO_AUTH=true to run without authentication');
  }
  if (!insecure && e.ADMIN_TOKEN === undefined) {
    problems.push('no admin credential: set ADMIN_TOKEN for the API, or INSECURE_NO_AUTH=true to run without authentication');
  }
  if (e.ADMIN_TOKEN !== undefined && e.ADMIN_TOKEN === e.WEBHOOK_TOKEN) {
    problems.push('ADMIN_TOKEN must differ from WEBHOOK_TOKEN: whoever can post alerts must not get the admin API');
  }
  if (e.ADMIN_TOKEN !== undefined && e.ADMIN_TOKEN === e.WEBHOOK_BASIC_AUTH?.password) {
    problems.push('ADMIN_TOKEN must differ from the WEBHOOK_BASIC_AUTH password: whoever can post alerts must not get the admin API');
  }
  let allowed: readonly string[] | '*' = [];
  const ns = (e.ALLOWED_NAMESPACES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (ns.includes('*')) allowed = '*';
  else {
    const bad = ns.filter((n) => !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(n) || n.length > 63);
    if (bad.length) problems.push(`ALLOWED_NAMESPACES: not a namespace name: ${bad.map((b) => `"${b}"`).join(', ')}`);
    allowed = ns;
  }
  for (const key of ['RESTORE_SCHEDULE', 'RESUME_SCHEDULE', 'RETENTION_SCHEDULE'] as const) {
    const v = e[key];
    if (v !== undefined && !cron.validate(v)) problems.push(`${key}: not a cron expression (seconds field included): "${v}"`);
  }
  const prometheusClient = prometheusClientFrom(e, problems);
  let slack: SlackConfig | null = null;
  try {
    slack = slackConfigFromEnv(env);
  } catch (err) {
    if (err instanceof ConfigError) problems.push(...err.problems);
    else throw err;
  }
  const freezeWindows = parseFreezeWindows(e.FREEZE_WINDOWS, problems);
  const alertmanagerUrls = parseAlertmanagerUrls(e.ALERTMANAGER_URL, problems);
  if (e.SILENCE_DURING_VALIDATION === true && alertmanagerUrls.length === 0) problems.push('SILENCE_DURING_VALIDATION=true needs ALERTMANAGER_URL (where to create the silences)');
  const approvalNamespaces = (e.APPROVAL_NAMESPACES ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  const badApproval = approvalNamespaces.filter((n) => !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(n) || n.length > 63);
  if (badApproval.length) problems.push(`APPROVAL_NAMESPACES: not a namespace name: ${badApproval.map((b) => `"${b}"`).join(', ')}`);
  const signingSecret = e.SLACK_SIGNING_SECRET?.trim() ? e.SLACK_SIGNING_SECRET.trim() : null;
  if (signingSecret !== null && slack?.mode !== 'bot') problems.push('SLACK_SIGNING_SECRET: the Approve / Deny buttons need Slack bot mode (SLACK_BOT_TOKEN and SLACK_CHANNEL)');
  if (problems.length) throw new ConfigError(problems);
  return {
    port: e.PORT ?? DEFAULT_PORT,
    host: e.HOST ?? '0.0.0.0',
    rulesDir: e.RULES_DIR ?? DEFAULT_RULES_DIR,
    databaseUrl: e.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    auth: {
      webhookToken: e.WEBHOOK_TOKEN ?? null,
      webhookBasic: e.WEBHOOK_BASIC_AUTH ?? null,
      adminToken: e.ADMIN_TOKEN ?? null,
      insecure,
    },
    // Acting is the default of the binary; the shipped manifests start in shadow mode (DRY_RUN=true).
    dryRun: e.DRY_RUN ?? false,
    allowedNamespaces: allowed,
    logLevel: e.LOG_LEVEL ?? 'info',
    limits: {
      maxBodyBytes: e.MAX_BODY_BYTES ?? DEFAULT_MAX_BODY_BYTES,
      queueCapacity: e.QUEUE_CAPACITY ?? DEFAULT_QUEUE_CAPACITY,
      maxAlertsPerNotification: e.MAX_ALERTS_PER_NOTIFICATION ?? 10_000,
      maxLabelsPerAlert: e.MAX_LABELS_PER_ALERT ?? 128,
      concurrentRemediations: e.CONCURRENT_REMEDIATIONS ?? 8,
    },
    budgets: {
      namespace: e.BUDGET_PER_NAMESPACE ?? { max: 10, windowMs: 600_000 },
      global: e.BUDGET_GLOBAL ?? { max: 30, windowMs: 600_000 },
    },
    publicUrl: e.PUBLIC_URL ?? null,
    prometheusUrl: e.PROMETHEUS_URL ?? null,
    prometheusClient,
    breaker: { rollbacks: e.BREAKER_ROLLBACKS ?? 3, windowMs: e.BREAKER_WINDOW ?? 3_600_000 },
    readinessPollMs: e.READINESS_POLL_MS ?? 1000,
    stuckDecisionMs: e.STUCK_DECISION_MS ?? 60_000,
    databaseQueryTimeoutMs: e.DATABASE_QUERY_TIMEOUT_MS ?? 10_000,
    restoreSchedule: e.RESTORE_SCHEDULE ?? '*/15 * * * * *',
    retention: {
      maxAgeMs: e.RETENTION ?? 30 * 86_400_000,
      maxAlerts: e.RETENTION_MAX_ALERTS ?? null,
      batchSize: e.RETENTION_BATCH ?? 100,
      schedule: e.RETENTION_SCHEDULE ?? '0 */5 * * * *',
    },
    resumeSchedule: e.RESUME_SCHEDULE ?? '*/10 * * * * *',
    runLeaseTtlMs: e.RUN_LEASE_TTL ?? 30_000,
    statusSampleMs: e.STATUS_SAMPLE_INTERVAL ?? 15_000,
    slack,
    freezeWindows,
    alertmanagerUrls,
    silenceDuringValidation: e.SILENCE_DURING_VALIDATION ?? false,
    approval: { required: e.APPROVAL_REQUIRED ?? false, namespaces: approvalNamespaces, timeoutMs: e.APPROVAL_TIMEOUT ?? 3_600_000, windows: freezeWindows },
    slackSigningSecret: signingSecret,
  };
}
