/**
 * Configuration from the environment, parsed once at the edge (zod). Every error
 * names the variable. Misconfiguration fails at start, never on a request.
 */
import cron from 'node-cron';
import { z } from 'zod';
import { parseDuration } from '../platform/duration.js';
import { slackConfigFromEnv, type SlackConfig } from '../notify/config.js';

export const DEFAULT_PORT = 8000;
export const DEFAULT_RULES_DIR = './rules';
export const DEFAULT_DATABASE_URL = 'sqlite:./data/autoremediator.db';
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
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

const basicAuth = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === '') return undefined;
    const i = v.indexOf(':');
    if (i <= 0 || i === v.length - 1) {
      ctx.addIssue({ code: 'custom', message: 'WEBHOOK_BASIC_AUTH must be "user:password" with both parts non-empty' });
      return z.NEVER;
    }
    const password = v.slice(i + 1);
    // The same rule as for tokens: a Basic password is a bearer secret too.
    if (password.length < 16) {
      ctx.addIssue({ code: 'custom', message: 'WEBHOOK_BASIC_AUTH: the password must be at least 16 characters long' });
      return z.NEVER;
    }
    return { user: v.slice(0, i), password };
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
  WEBHOOK_BASIC_AUTH: basicAuth,
  ADMIN_TOKEN: secret('ADMIN_TOKEN'),
  INSECURE_NO_AUTH: bool('INSECURE_NO_AUTH'),
  DRY_RUN: bool('DRY_RUN'),
  ALLOWED_NAMESPACES: z.string().optional(),
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
  BREAKER_ROLLBACKS: int('BREAKER_ROLLBACKS', 1, 1000),
  BREAKER_WINDOW: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return undefined;
      const ms = parseDuration(v);
      if (ms === null || ms <= 0) {
        ctx.addIssue({ code: 'custom', message: `BREAKER_WINDOW must be a duration like 1h, got "${v}"` });
        return z.NEVER;
      }
      return ms;
    }),
  READINESS_POLL_MS: int('READINESS_POLL_MS', 10, 60_000),
  STUCK_DECISION_MS: int('STUCK_DECISION_MS', 100, 3_600_000),
  DATABASE_QUERY_TIMEOUT_MS: int('DATABASE_QUERY_TIMEOUT_MS', 100, 600_000),
  RESTORE_SCHEDULE: z.string().optional(),
  RESUME_SCHEDULE: z.string().optional(),
  RUN_LEASE_TTL: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return undefined;
      const ms = parseDuration(v);
      if (ms === null || ms < 1000) {
        ctx.addIssue({ code: 'custom', message: `RUN_LEASE_TTL must be a duration of at least 1s, got "${v}"` });
        return z.NEVER;
      }
      return ms;
    }),
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
  breaker: { rollbacks: number; windowMs: number };
  readinessPollMs: number;
  /** A decision running longer than this makes /readyz not ready (a store or cluster call that never answers). */
  stuckDecisionMs: number;
  /** PostgreSQL: the deadline of every query (statement_timeout; the client gives up 2 s later). */
  databaseQueryTimeoutMs: number;
  /** node-cron expression (seconds field included) for the restore job. */
  restoreSchedule: string;
  /** node-cron expression for the job that takes over runs of dead replicas. */
  resumeSchedule: string;
  /** A run whose heartbeat is older than this belongs to a process that is gone. */
  runLeaseTtlMs: number;
  /** Slack, or null when not configured. */
  slack: SlackConfig | null;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
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
  for (const key of ['RESTORE_SCHEDULE', 'RESUME_SCHEDULE'] as const) {
    const v = e[key];
    if (v !== undefined && !cron.validate(v)) problems.push(`${key}: not a cron expression (seconds field included): "${v}"`);
  }
  let slack: SlackConfig | null = null;
  try {
    slack = slackConfigFromEnv(env);
  } catch (err) {
    if (err instanceof ConfigError) problems.push(...err.problems);
    else throw err;
  }
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
    breaker: { rollbacks: e.BREAKER_ROLLBACKS ?? 3, windowMs: e.BREAKER_WINDOW ?? 3_600_000 },
    readinessPollMs: e.READINESS_POLL_MS ?? 1000,
    stuckDecisionMs: e.STUCK_DECISION_MS ?? 60_000,
    databaseQueryTimeoutMs: e.DATABASE_QUERY_TIMEOUT_MS ?? 10_000,
    restoreSchedule: e.RESTORE_SCHEDULE ?? '*/15 * * * * *',
    resumeSchedule: e.RESUME_SCHEDULE ?? '*/10 * * * * *',
    runLeaseTtlMs: e.RUN_LEASE_TTL ?? 30_000,
    slack,
  };
}
