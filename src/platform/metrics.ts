/**
 * The service's own metrics (prom-client). One registry per app instance so that
 * tests can build several apps. Names follow Prometheus conventions
 * (`promtool check metrics` clean): base units, `_total` for counters.
 *
 * The process and Node.js metrics keep prom-client's standard names (`process_*`,
 * `nodejs_*`, no prefix), so the usual Node.js dashboards find them, except the three
 * `nodejs_active_{handles,requests,resources}_total` gauges: a gauge named `_total`
 * fails promtool's lint (prometheus/client_js#283), and each is the sum of its
 * per-type gauge, which stays (`sum without (type) (nodejs_active_handles)`).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { buildInfo, type BuildInfo } from './build-info.js';

/** prom-client default gauges whose `_total` name says counter; their per-type gauges carry the same counts. */
export const DROPPED_DEFAULT_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'] as const;

export interface Metrics {
  registry: Registry;
  notificationsReceived: Counter<'result'>;
  alertsReceived: Counter<'status' | 'duplicate'>;
  intakeRejected: Counter<'reason'>;
  queueDepth: Gauge;
  decisions: Counter<'rule' | 'outcome' | 'reason' | 'action'>;
  remediations: Counter<'rule' | 'action' | 'phase'>;
  ruleReloads: Counter<'result'>;
  ruleTableValid: Gauge;
  ruleCount: Gauge;
  breakersOpen: Gauge;
  decisionSeconds: Histogram;
  reactionSeconds: Histogram;
}

export function createMetrics(withDefaults = true, build: BuildInfo = buildInfo): Metrics {
  const registry = new Registry();
  if (withDefaults) {
    collectDefaultMetrics({ register: registry });
    for (const name of DROPPED_DEFAULT_METRICS) registry.removeSingleMetric(name);
  }
  const registers = [registry];
  new Gauge({
    name: 'autoremediator_build_info',
    help: 'Always 1; the labels say which build runs: package version, git revision it was built from, Node.js version.',
    labelNames: ['version', 'revision', 'node'],
    registers,
  }).set({ version: build.version, revision: build.revision, node: build.node }, 1);
  return {
    registry,
    notificationsReceived: new Counter({ name: 'autoremediator_notifications_received_total', help: 'Webhook notifications accepted, by result (stored, rejected).', labelNames: ['result'], registers }),
    alertsReceived: new Counter({ name: 'autoremediator_alerts_received_total', help: 'Alerts stored from webhook notifications, by alert status and whether it was a duplicate delivery.', labelNames: ['status', 'duplicate'], registers }),
    intakeRejected: new Counter({ name: 'autoremediator_intake_rejected_total', help: 'Webhook requests rejected, by reason.', labelNames: ['reason'], registers }),
    queueDepth: new Gauge({ name: 'autoremediator_queue_alerts', help: 'Alerts waiting to be decided.', registers }),
    decisions: new Counter({ name: 'autoremediator_decisions_total', help: 'Decisions made, by rule, outcome (act, skip) and skip reason.', labelNames: ['rule', 'outcome', 'reason', 'action'], registers }),
    remediations: new Counter({ name: 'autoremediator_remediation_transitions_total', help: 'Remediation phase transitions, by rule, action and phase entered.', labelNames: ['rule', 'action', 'phase'], registers }),
    ruleReloads: new Counter({ name: 'autoremediator_rule_reloads_total', help: 'Rule table reload attempts, by result (success, failure).', labelNames: ['result'], registers }),
    ruleTableValid: new Gauge({ name: 'autoremediator_rule_table_last_reload_successful', help: '1 when the last rule table reload succeeded, 0 when the table on disk is invalid (the previous one keeps serving).', registers }),
    ruleCount: new Gauge({ name: 'autoremediator_rules', help: 'Rules in the serving rule table.', registers }),
    breakersOpen: new Gauge({ name: 'autoremediator_breakers_open', help: 'Targets whose breaker is open.', registers }),
    decisionSeconds: new Histogram({ name: 'autoremediator_decision_duration_seconds', help: 'Time to decide one alert (match, read state, plan, record).', buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers }),
    reactionSeconds: new Histogram({ name: 'autoremediator_reaction_seconds', help: 'From the webhook request arriving to the action being applied.', buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers }),
  };
}
