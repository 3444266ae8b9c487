/**
 * A Prometheus configuration that scrapes a sandbox's simulated exporters so that
 * Prometheus stores the series as on a current cluster under kube-prometheus-stack:
 * every simulated series carries the labels its real scrape would give it (job,
 * instance, namespace, pod, …; see exporter-labels.ts), so every job keeps them with
 * `honor_labels: true` (the scrape job's own name and the sandbox's address would
 * otherwise replace them).
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

/** The scrape jobs of a sandbox (five, the last kube-state-metrics): job name, metrics path, and whether the exporter's own `job`/`instance` labels are kept. */
export const SANDBOX_SCRAPE_JOBS = [
  { job: 'ci-failure-agent', path: '/metrics', honorLabels: true },
  { job: 'kubelet', path: '/metrics/cadvisor', honorLabels: true },
  { job: 'cnpg', path: '/metrics/cnpg', honorLabels: true },
  { job: 'redis-exporter', path: '/metrics/redis', honorLabels: true },
  { job: 'kube-state-metrics', path: '/metrics/kube-state-metrics', honorLabels: true },
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
