/**
 * Notification metrics. Registered on the app's registry by the composition
 * root; one call per registry (prom-client refuses a name twice).
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** `sent_total{result}`: one per Slack call attempt. */
export type SendResult = 'ok' | 'retry' | 'failed';
/** `dropped_total{reason}`: messages never attempted. */
export type DropReason = 'queue_full' | 'shutdown';

export interface NotifyMetrics {
  sent: Counter<'result'>;
  dropped: Counter<'reason'>;
  queueLength: Gauge;
}

export function createNotifyMetrics(registry: Registry): NotifyMetrics {
  const registers = [registry];
  return {
    sent: new Counter({
      name: 'autoremediator_notifications_sent_total',
      help: 'Slack call attempts, by result: ok (delivered), retry (failed, will be retried), failed (given up: a final error or attempts spent).',
      labelNames: ['result'],
      registers,
    }),
    dropped: new Counter({
      name: 'autoremediator_notifications_dropped_total',
      help: 'Notifications dropped before being sent, by reason: queue_full (the oldest waiting one made room), shutdown (still queued when drain timed out, or announced after it).',
      labelNames: ['reason'],
      registers,
    }),
    queueLength: new Gauge({ name: 'autoremediator_notification_queue_length', help: 'Notifications waiting to be sent.', registers }),
  };
}
