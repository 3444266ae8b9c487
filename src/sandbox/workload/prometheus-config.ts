/**
 * A Prometheus configuration that scrapes a sandbox's simulated exporters the way
 * the alert rules in alertmanager/rules/ expect: app series as job
 * `ci-failure-agent`, container series as job `cadvisor`, and the database and
 * Redis exporters with `honor_labels` (their `instance` names the server, not the
 * scrape target).
 */
import { stringify } from 'yaml';

export interface PrometheusConfigOptions {
  /** `host:port` of the sandbox API server (which serves the metrics). */
  sandbox: string;
  /** `host:port` of each Alertmanager to notify. */
  alertmanagers?: string[];
  /** Absolute paths of rule files. */
  ruleFiles?: string[];
  /** Scrape and evaluation interval, e.g. `1s` or `500ms`. */
  interval?: string;
  /** Added to every series and alert (as `cluster="…"` on a real Prometheus). */
  externalLabels?: Record<string, string>;
}

/** The scrape jobs of a sandbox: job name, metrics path, and whether the exporter names its own `instance`. */
export const SANDBOX_SCRAPE_JOBS = [
  { job: 'ci-failure-agent', path: '/metrics', honorLabels: false },
  { job: 'cadvisor', path: '/metrics/cadvisor', honorLabels: false },
  { job: 'postgres', path: '/metrics/postgres', honorLabels: true },
  { job: 'redis', path: '/metrics/redis', honorLabels: true },
] as const;

/** prometheus.yml text for a sandbox. */
export function prometheusConfig(opts: PrometheusConfigOptions): string {
  const interval = opts.interval ?? '1s';
  const config: Record<string, unknown> = {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval, external_labels: opts.externalLabels ?? { cluster: 'sandbox' } },
    rule_files: opts.ruleFiles ?? [],
    scrape_configs: SANDBOX_SCRAPE_JOBS.map((j) => ({
      job_name: j.job,
      metrics_path: j.path,
      honor_labels: j.honorLabels,
      static_configs: [{ targets: [opts.sandbox] }],
    })),
  };
  if (opts.alertmanagers?.length) config.alerting = { alertmanagers: [{ static_configs: [{ targets: opts.alertmanagers }] }] };
  return stringify(config);
}
