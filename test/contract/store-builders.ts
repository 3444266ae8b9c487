/**
 * Builders for the Store contract: alerts, notifications (from the captured
 * Alertmanager bodies, read byte for byte) and remediations.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GO_ZERO_TIME } from '../../src/domain/alert.js';
import type { WebhookAlert, WebhookNotification } from '../../src/domain/alert.js';
import type { ActDecision, SkipDecision, SkipReason, StateFields } from '../../src/domain/decision.js';
import type { TargetRef } from '../../src/domain/target.js';
import { targetKey } from '../../src/domain/target.js';
import type { NewNotification, NewRemediation } from '../../src/store/store.js';
import { FIXTURE_DIR } from '../helpers/fixtures.js';


/** Epoch of the tests' clock: times are T0 plus seconds. */
export const T0 = Date.parse('2026-11-28T10:20:00.000Z');
export const at = (seconds: number): Date => new Date(T0 + seconds * 1000);

/** A captured webhook body as intake would record it. */
export function fromFixture(name: string, receivedAt: Date): { notification: NewNotification; alerts: WebhookAlert[]; payload: WebhookNotification } {
  const body = readFileSync(join(FIXTURE_DIR, `${name}.json`)).toString('utf8');
  const payload = JSON.parse(body) as WebhookNotification;
  return {
    notification: {
      receivedAt,
      receiver: payload.receiver,
      status: payload.status,
      groupKey: payload.groupKey,
      externalURL: payload.externalURL,
      truncatedAlerts: payload.truncatedAlerts,
      body,
    },
    alerts: payload.alerts,
    payload,
  };
}

export const randomFingerprint = (): string => randomBytes(8).toString('hex');

/** A firing QueueDepthHigh alert with a fresh fingerprint unless told otherwise. */
export function alert(over: Partial<WebhookAlert> = {}): WebhookAlert {
  return {
    status: 'firing',
    labels: { alertname: 'QueueDepthHigh', namespace: 'ci', queue: 'jobs', service: 'ci-failure-agent' },
    annotations: { summary: 'Queue depth above 1000' },
    startsAt: '2026-11-28T10:20:46.4Z',
    endsAt: GO_ZERO_TIME,
    generatorURL: 'http://127.0.0.1:19090/graph?g0.expr=queue_depth+%3E+1000&g0.tab=1',
    fingerprint: randomFingerprint(),
    ...over,
  };
}

export function notification(alerts: WebhookAlert[], receivedAt: Date, over: Partial<NewNotification> = {}): NewNotification {
  const status = alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved';
  return {
    receivedAt,
    receiver: 'ci-failure-agent-remediator',
    status,
    groupKey: '{}:{alertname="QueueDepthHigh", service="ci-failure-agent"}',
    externalURL: 'http://127.0.0.1:19093',
    truncatedAlerts: 0,
    body: JSON.stringify({ receiver: 'ci-failure-agent-remediator', status, alerts, version: '4' }),
    ...over,
  };
}

export const deployment = (namespace: string, name: string): TargetRef => ({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name });

export function actDecision(rule: string, target: TargetRef, before: StateFields = { replicas: 2 }, after: StateFields = { replicas: 4 }): ActDecision {
  return {
    outcome: 'act',
    rule,
    target,
    action: 'scale',
    explanation: `scale ${target.name} from ${String(before.replicas)} to ${String(after.replicas)}`,
    facts: { currentReplicas: before.replicas, policy: { type: 'Pods', value: 2 } },
    before,
    after,
  };
}

export function skipDecision(reason: SkipReason, rule: string | null, target: TargetRef | null, extra: Partial<SkipDecision> = {}): SkipDecision {
  return { outcome: 'skip', reason, rule, target, action: rule ? 'scale' : null, explanation: `skipped: ${reason}`, facts: {}, ...extra };
}

/** A new remediation for a decision; phase follows the outcome. */
export function remediationOf(decision: ActDecision | SkipDecision, createdAt: Date, over: Partial<NewRemediation> = {}): NewRemediation {
  return {
    alertId: null,
    decision,
    target: decision.target,
    targetKey: decision.target ? targetKey(decision.target) : null,
    phase: decision.outcome === 'act' ? 'planned' : 'skipped',
    dryRun: decision.outcome === 'skip' && decision.reason === 'dry-run',
    origin: 'alert',
    snapshot: decision.outcome === 'act' ? { replicas: 2, resourceVersion: '4711' } : null,
    at: createdAt,
    note: decision.explanation,
    ...over,
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves with p, or rejects with `message` after ms. */
export async function within<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
