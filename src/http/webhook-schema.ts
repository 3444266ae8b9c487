/**
 * The Alertmanager webhook body, version "4". Core fields are required; unknown
 * fields are allowed (newer Alertmanagers add `notification_reason`, `routeLabels`).
 */
import { z } from 'zod';
import type { WebhookNotification } from '../domain/alert.js';

const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const time = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'not an RFC 3339 time' });

export interface WebhookLimits {
  maxAlertsPerNotification: number;
  maxLabelsPerAlert: number;
}

export function webhookSchema(limits: WebhookLimits) {
  const labels = z
    .record(z.string(), z.string())
    .refine((m) => Object.keys(m).length <= limits.maxLabelsPerAlert, { message: `more than MAX_LABELS_PER_ALERT (${limits.maxLabelsPerAlert}) entries` });
  const alert = z.looseObject({
    status: z.enum(['firing', 'resolved']),
    labels: labels
      .refine((m) => typeof m.alertname === 'string' && m.alertname.length > 0, { message: 'alertname label is required' })
      .refine((m) => Object.keys(m).every((k) => labelName.test(k)), { message: 'label names must match [a-zA-Z_][a-zA-Z0-9_]*' }),
    annotations: labels,
    startsAt: time,
    endsAt: time,
    generatorURL: z.string(),
    fingerprint: z.string().regex(/^[0-9a-f]{16}$/, 'must be 16 lowercase hex digits'),
  });
  return z.looseObject({
    version: z.literal('4'),
    receiver: z.string(),
    status: z.enum(['firing', 'resolved']),
    alerts: z
      .array(alert)
      .min(1)
      .max(limits.maxAlertsPerNotification, `more than MAX_ALERTS_PER_NOTIFICATION (${limits.maxAlertsPerNotification}) alerts`),
    groupLabels: z.record(z.string(), z.string()),
    commonLabels: z.record(z.string(), z.string()),
    commonAnnotations: z.record(z.string(), z.string()),
    externalURL: z.string(),
    groupKey: z.string(),
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
