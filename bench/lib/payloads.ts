/**
 * Webhook bodies for the benchmarks: the captured Alertmanager bodies byte for byte,
 * and bodies built from them (more alerts, other labels) the way Alertmanager would
 * send them: each alert's fingerprint is the FNV-1a 64 hash of its sorted label set,
 * as Prometheus computes it, so fingerprints are 16 hex digits and distinct per label set.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabelSet, WebhookAlert, WebhookNotification } from '../../src/domain/alert.js';
import { ALERTS_DIR } from './paths.js';

/** A captured body, byte for byte. */
export function capturedBody(name: string): Buffer {
  return readFileSync(join(ALERTS_DIR, name.endsWith('.json') ? name : `${name}.json`));
}

function captured(name: string): WebhookNotification {
  return JSON.parse(capturedBody(name).toString('utf8')) as WebhookNotification;
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;

/** model.LabelSet.Fingerprint: FNV-1a 64 over name, 0xff, value, 0xff of the labels sorted by name. */
export function fingerprintOf(labels: LabelSet): string {
  let h = FNV_OFFSET;
  for (const name of Object.keys(labels).sort()) {
    for (const part of [name, labels[name]!]) {
      for (const byte of Buffer.from(part, 'utf8')) h = ((h ^ BigInt(byte)) * FNV_PRIME) & MASK;
      h = ((h ^ 0xffn) * FNV_PRIME) & MASK;
    }
  }
  return h.toString(16).padStart(16, '0');
}

/** The 1-alert body: firing-single-QueueDepthHigh, as captured. */
export function singleAlertBody(): Buffer {
  return capturedBody('firing-single-QueueDepthHigh');
}

/**
 * A 50-alert HighPodCPU notification: the captured 3-alert group, its alerts cloned
 * with distinct pod_name labels (annotations follow the pod name) and fingerprints.
 */
export function fiftyAlertBody(count = 50): Buffer {
  const n = captured('firing-group-HighPodCPU-3-alerts');
  const alerts: WebhookAlert[] = [];
  for (let i = 0; i < count; i++) {
    const template = n.alerts[i % n.alerts.length]!;
    const oldPod = template.labels.pod_name!;
    const pod = `ci-failure-agent-6f7c9d8b5-b${i.toString(36).padStart(4, '0')}`;
    const labels = { ...template.labels, pod_name: pod };
    const annotations = Object.fromEntries(Object.entries(template.annotations).map(([k, v]) => [k, v.split(oldPod).join(pod)]));
    alerts.push({ ...template, labels, annotations, fingerprint: fingerprintOf(labels) });
  }
  const fps = new Set(alerts.map((a) => a.fingerprint));
  if (fps.size !== count) throw new Error(`fiftyAlertBody: ${count - fps.size} fingerprint collisions`);
  return Buffer.from(JSON.stringify({ ...n, alerts }));
}

/**
 * A notification of alerts with the given labels, shaped like the captured
 * QueueDepthHigh body (receiver, URLs, annotations, group key from the alert name).
 */
export function notificationOf(labelSets: readonly LabelSet[], startsAt: string): Buffer {
  const n = captured('firing-single-QueueDepthHigh');
  const template = n.alerts[0]!;
  const alerts = labelSets.map((labels): WebhookAlert => ({ ...template, labels, startsAt, fingerprint: fingerprintOf(labels) }));
  const first = labelSets[0]!;
  const commonLabels = Object.fromEntries(Object.entries(first).filter(([k, v]) => labelSets.every((l) => l[k] === v)));
  const alertname = first.alertname ?? '';
  return Buffer.from(
    JSON.stringify({
      ...n,
      alerts,
      groupLabels: { alertname },
      commonLabels,
      commonAnnotations: template.annotations,
      groupKey: `{}:{alertname="${alertname}"}`,
    }),
  );
}
