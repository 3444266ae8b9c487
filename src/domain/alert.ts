/** An Alertmanager webhook body, version "4", as observed (see shared/reference). */
export type AlertStatus = 'firing' | 'resolved';
export type LabelSet = Record<string, string>;

/** One element of `alerts[]` in the webhook body. */
export interface WebhookAlert {
  status: AlertStatus;
  labels: LabelSet;
  annotations: LabelSet;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

export interface WebhookNotification {
  receiver: string;
  status: AlertStatus;
  alerts: WebhookAlert[];
  groupLabels: LabelSet;
  commonLabels: LabelSet;
  commonAnnotations: LabelSet;
  externalURL: string;
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
}

/** Go's zero time: what Alertmanager sends as `endsAt` of a firing alert. */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * Identity of one delivery of one alert episode: the same fingerprint, episode
 * start and status arriving again (HA peers, retries, repeat_interval) is a duplicate.
 */
export function alertIdentity(a: Pick<WebhookAlert, 'fingerprint' | 'startsAt' | 'status'>): string {
  return `${a.fingerprint}|${canonicalTime(a.startsAt)}|${a.status}`;
}

/**
 * startsAt as an ISO string in UTC with milliseconds. Parsing a date is the dearest part of
 * an identity, and the same startsAt comes back with every repeat and HA copy of an alert:
 * remembered (bounded, cleared when full).
 */
const canonicalTimes = new Map<string, string>();
function canonicalTime(startsAt: string): string {
  let iso = canonicalTimes.get(startsAt);
  if (iso === undefined) {
    iso = new Date(startsAt).toISOString();
    if (canonicalTimes.size >= 10_000) canonicalTimes.clear();
    canonicalTimes.set(startsAt, iso);
  }
  return iso;
}

/** An alert as stored: one row per delivery, duplicates included (marked). */
export interface StoredAlert {
  id: string;
  notificationId: string;
  receivedAt: Date;
  identity: string;
  /** id of the first delivery of the same identity, or null when this is it. */
  duplicateOf: string | null;
  status: AlertStatus;
  labels: LabelSet;
  annotations: LabelSet;
  startsAt: string;
  /** null while firing (Go zero time on the wire). */
  endsAt: string | null;
  generatorURL: string;
  fingerprint: string;
  groupKey: string;
  receiver: string;
  externalURL: string;
  /** when the engine finished deciding it; null while undecided. Duplicates are never decided. */
  decidedAt: Date | null;
}
