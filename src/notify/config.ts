/**
 * Slack settings from the environment, parsed once at start. Errors name the
 * variable and never repeat its value: a webhook URL or a token is a secret.
 *
 *   SLACK_WEBHOOK_URL                 incoming-webhook mode (one message per announced transition)
 *   SLACK_BOT_TOKEN + SLACK_CHANNEL   bot mode (one thread per remediation), at SLACK_API_URL
 *   SLACK_ALLOW_HTTP=true             accept http:// URLs (a local stand-in for Slack; tests)
 *   SLACK_QUEUE_CAPACITY, SLACK_MAX_ATTEMPTS, SLACK_TIMEOUT (duration, e.g. 10s)
 */
import { ConfigError } from '../platform/config-error.js';
import { parseDuration } from '../platform/duration.js';

export const DEFAULT_SLACK_API_URL = 'https://slack.com/api';

/** How messages are delivered; every field has a default (DEFAULT_DELIVERY). */
export interface SlackDeliverySettings {
  /** Messages waiting at most; when full the oldest is dropped (and counted). */
  queueCapacity: number;
  /** Attempts per Slack call, the first included. */
  maxAttempts: number;
  /** Backoff after the n-th failed attempt: baseDelayMs × 2^(n-1), at most maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A 429's Retry-After is honoured up to this long. */
  retryAfterCapMs: number;
  /** Per HTTP request. */
  timeoutMs: number;
  /** Remediation threads remembered (bot mode); the least recently used is forgotten first. */
  threadCacheSize: number;
}

export const DEFAULT_DELIVERY: Readonly<SlackDeliverySettings> = {
  queueCapacity: 1000,
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  retryAfterCapMs: 60_000,
  timeoutMs: 10_000,
  threadCacheSize: 10_000,
};

export type SlackMode =
  | { mode: 'webhook'; webhookUrl: string }
  | { mode: 'bot'; botToken: string; channel: string; apiBaseUrl: string };

export type SlackConfig = SlackMode & { delivery?: Partial<SlackDeliverySettings> };

type Env = Record<string, string | undefined>;

/**
 * The Slack configuration in `env`, or null when Slack is not configured.
 * Throws ConfigError listing every problem, each naming its variable.
 *
 * @example slackConfigFromEnv({ SLACK_BOT_TOKEN: 'xoxb-…', SLACK_CHANNEL: '#ops' }) // { mode: 'bot', channel: '#ops', … }
 */
export function slackConfigFromEnv(env: Env = process.env): (SlackConfig & { delivery: SlackDeliverySettings }) | null {
  const problems: string[] = [];
  const webhookUrl = nonEmpty(env.SLACK_WEBHOOK_URL);
  const botToken = nonEmpty(env.SLACK_BOT_TOKEN);
  const channel = nonEmpty(env.SLACK_CHANNEL);
  const allowHttp = parseBool(env, 'SLACK_ALLOW_HTTP', problems) ?? false;
  const delivery: SlackDeliverySettings = {
    ...DEFAULT_DELIVERY,
    queueCapacity: parseInt(env, 'SLACK_QUEUE_CAPACITY', 1, 1_000_000, problems) ?? DEFAULT_DELIVERY.queueCapacity,
    maxAttempts: parseInt(env, 'SLACK_MAX_ATTEMPTS', 1, 20, problems) ?? DEFAULT_DELIVERY.maxAttempts,
    timeoutMs: parseTimeout(env, problems) ?? DEFAULT_DELIVERY.timeoutMs,
  };

  if (webhookUrl === undefined && botToken === undefined) {
    if (channel !== undefined) problems.push('SLACK_CHANNEL is set but SLACK_BOT_TOKEN is not: a channel needs bot mode');
    if (problems.length) throw new ConfigError(problems);
    return null;
  }
  if (webhookUrl !== undefined && botToken !== undefined) {
    problems.push('set SLACK_WEBHOOK_URL or SLACK_BOT_TOKEN, not both');
  }
  if (webhookUrl !== undefined) {
    checkUrl('SLACK_WEBHOOK_URL', webhookUrl, allowHttp, problems);
    if (channel !== undefined && botToken === undefined) problems.push('SLACK_CHANNEL only applies with SLACK_BOT_TOKEN: an incoming webhook posts to the channel it was created for');
  }
  const apiBaseUrl = nonEmpty(env.SLACK_API_URL) ?? DEFAULT_SLACK_API_URL;
  if (botToken !== undefined) {
    if (/\s/.test(botToken)) problems.push('SLACK_BOT_TOKEN must not contain whitespace');
    if (channel === undefined) problems.push('SLACK_BOT_TOKEN is set but SLACK_CHANNEL is not: bot mode needs a default channel (name or id)');
    checkUrl('SLACK_API_URL', apiBaseUrl, allowHttp, problems);
  }
  if (problems.length) throw new ConfigError(problems);
  if (botToken !== undefined) return { mode: 'bot', botToken, channel: channel!, apiBaseUrl: apiBaseUrl.replace(/\/+$/, ''), delivery };
  return { mode: 'webhook', webhookUrl: webhookUrl!, delivery };
}

function nonEmpty(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t ? t : undefined;
}

/** Checks scheme and syntax; the message never contains the URL (it may carry a secret path). */
function checkUrl(name: string, value: string, allowHttp: boolean, problems: string[]): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(`${name} is not a valid URL`);
    return;
  }
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && allowHttp) return;
  problems.push(`${name} must be an https:// URL (SLACK_ALLOW_HTTP=true also allows http://, for a local stand-in)`);
}

function parseBool(env: Env, name: string, problems: string[]): boolean | undefined {
  const v = nonEmpty(env[name])?.toLowerCase();
  if (v === undefined) return undefined;
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  problems.push(`${name} must be true or false, got "${env[name]}"`);
  return undefined;
}

function parseInt(env: Env, name: string, min: number, max: number, problems: string[]): number | undefined {
  const v = nonEmpty(env[name]);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    problems.push(`${name} must be a whole number from ${min} to ${max}, got "${v}"`);
    return undefined;
  }
  return n;
}

function parseTimeout(env: Env, problems: string[]): number | undefined {
  const v = nonEmpty(env.SLACK_TIMEOUT);
  if (v === undefined) return undefined;
  const ms = parseDuration(v);
  if (ms === null || ms <= 0 || ms > 120_000) {
    problems.push(`SLACK_TIMEOUT must be a duration from 1ms to 2m (e.g. 10s), got "${v}"`);
    return undefined;
  }
  return ms;
}
