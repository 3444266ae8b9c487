/**
 * The Alertmanager webhook body, version "4". Core fields are required; unknown
 * fields are allowed (newer Alertmanagers add `notification_reason`, `routeLabels`).
 */
import { z } from 'zod';
import type { WebhookNotification } from '../domain/alert.js';

/**
 * Label names: any non-empty UTF-8 text, as Alertmanager ≥ 0.27 and Prometheus 3 allow (OpenTelemetry's
 * `service.name`); NUL and unpaired surrogates are refused for every key (textMap). Older senders'
 * names (`[a-zA-Z_][a-zA-Z0-9_]*`) are a subset. A label name never steers a target by itself: values
 * reach targets and queries only through templates, which check what they substitute.
 */
const isLabelName = (k: string): boolean => k.length > 0;

/** NUL and unpaired surrogates: valid JSON, but no database stores them as text (PostgreSQL refuses). */
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Text that can be stored as it came: refused (400) up front rather than failing in the store (a 503 Alertmanager would retry forever). */
export const text = () => z.string().refine((s) => !UNSTORABLE.test(s), { message: 'contains NUL or an unpaired surrogate' });

const textMap = () =>
  z.record(z.string(), text()).refine((m) => Object.keys(m).every((k) => !UNSTORABLE.test(k)), { message: 'a key contains NUL or an unpaired surrogate' });

const time = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'not an RFC 3339 time' });

export interface WebhookLimits {
  maxAlertsPerNotification: number;
  maxLabelsPerAlert: number;
}

export function webhookSchema(limits: WebhookLimits) {
  const labels = textMap()
    .refine((m) => Object.keys(m).length <= limits.maxLabelsPerAlert, { message: `more than MAX_LABELS_PER_ALERT (${limits.maxLabelsPerAlert}) entries` });
  const alert = z.looseObject({
    status: z.enum(['firing', 'resolved']),
    labels: labels
      .refine((m) => typeof m.alertname === 'string' && m.alertname.length > 0, { message: 'alertname label is required' })
      .refine((m) => Object.keys(m).every(isLabelName), { message: 'label names must not be empty' })
      .refine((m) => Object.keys(m).every((k) => !k.startsWith('__')), { message: 'label names starting with __ are reserved (Prometheus drops them before alerting)' }),
    annotations: labels,
    startsAt: time,
    endsAt: time,
    generatorURL: text(),
    fingerprint: z.string().regex(/^[0-9a-f]{16}$/, 'must be 16 lowercase hex digits'),
  });
  return z.looseObject({
    version: z.literal('4'),
    receiver: text(),
    status: z.enum(['firing', 'resolved']),
    alerts: z
      .array(alert)
      .min(1)
      .max(limits.maxAlertsPerNotification, `more than MAX_ALERTS_PER_NOTIFICATION (${limits.maxAlertsPerNotification}) alerts`),
    groupLabels: textMap(),
    commonLabels: textMap(),
    commonAnnotations: textMap(),
    externalURL: text(),
    groupKey: text(),
    truncatedAlerts: z.number().int().min(0).default(0),
  });
}

/** A zod path as people write it: `alerts[2].labels.alertname`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(body)';
}

export type ParsedNotification = WebhookNotification;
