/**
 * The files in alertmanager/ (Prometheus alert rules, Alertmanager configurations, operator
 * objects) for tests: where they are, parsed, and the end-to-end Alertmanager configuration
 * pointed at an autoremediator under test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../helpers/fixtures.js';

export const ALERTMANAGER_DIR = join(REPO_ROOT, 'alertmanager');

export const FILES = {
  rules: join(ALERTMANAGER_DIR, 'rules', 'ci-failure-agent.rules.yml'),
  e2eRules: join(ALERTMANAGER_DIR, 'rules', 'ci-failure-agent.e2e.rules.yml'),
  rulesTest: join(ALERTMANAGER_DIR, 'rules', 'ci-failure-agent.rules.test.yml'),
  e2eRulesTest: join(ALERTMANAGER_DIR, 'rules', 'ci-failure-agent.e2e.rules.test.yml'),
  makeE2eRules: join(ALERTMANAGER_DIR, 'make-e2e-rules.sh'),
  alertmanager: join(ALERTMANAGER_DIR, 'alertmanager.yml'),
  alertmanagerE2e: join(ALERTMANAGER_DIR, 'alertmanager.e2e.yml'),
  prometheusRule: join(ALERTMANAGER_DIR, 'operator', 'prometheusrule.yaml'),
  alertmanagerConfig: join(ALERTMANAGER_DIR, 'operator', 'alertmanagerconfig.yaml'),
} as const;

/** The host:port in alertmanager.e2e.yml's webhook URL that a test replaces. */
export const E2E_ADDRESS_PLACEHOLDER = '__AUTOREMEDIATOR_ADDRESS__';

/** A Prometheus alerting rule as the rules files write it. */
export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: AlertingRule[];
}

export function readYaml(file: string): unknown {
  return parse(readFileSync(file, 'utf8'));
}

/** The `groups` of a Prometheus rules file. */
export function readRuleGroups(file: string): RuleGroup[] {
  return (readYaml(file) as { groups: RuleGroup[] }).groups;
}

/** Every alerting rule of a rules file, in file order. */
export function readAlertingRules(file: string): AlertingRule[] {
  return readRuleGroups(file).flatMap((g) => g.rules);
}

/**
 * alertmanager.e2e.yml with its autoremediator webhook pointed at `address` (`host:port`,
 * e.g. `127.0.0.1:41234`): Alertmanager 0.25 expands no environment variables, so the address
 * is written into the file a test hands to `--config.file`.
 *
 * @example writeFileSync(join(dir, 'alertmanager.yml'), alertmanagerE2eConfig(`127.0.0.1:${port}`))
 */
export function alertmanagerE2eConfig(address: string): string {
  if (!/^[A-Za-z0-9.-]+:\d{1,5}$/.test(address)) throw new Error(`alertmanagerE2eConfig: "${address}" is not host:port`);
  const text = readFileSync(FILES.alertmanagerE2e, 'utf8');
  const url = `http://${E2E_ADDRESS_PLACEHOLDER}/`;
  if (text.split(url).length !== 2) throw new Error(`${FILES.alertmanagerE2e} must hold ${url} exactly once`);
  return text.replace(url, `http://${address}/`);
}

/** The bearer token alertmanager.e2e.yml sends: start the autoremediator under test with WEBHOOK_TOKEN set to it. */
export function e2eWebhookToken(): string {
  const config = readYaml(FILES.alertmanagerE2e) as AmConfig;
  const token = webhookOf(config, 'autoremediator').http_config?.authorization?.credentials;
  if (typeof token !== 'string' || token === '') throw new Error(`${FILES.alertmanagerE2e}: the autoremediator webhook has no inline credentials`);
  return token;
}

/** The parts of an Alertmanager configuration the tests read. */
export interface AmRoute {
  receiver?: string;
  matchers?: string[];
  group_by?: string[];
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  continue?: boolean;
  routes?: AmRoute[];
}

export interface AmWebhook {
  url: string;
  send_resolved?: boolean;
  max_alerts?: number;
  http_config?: { authorization?: { type?: string; credentials?: string; credentials_file?: string } };
}

export interface AmConfig {
  route: AmRoute;
  receivers: { name: string; webhook_configs?: AmWebhook[] }[];
}

/** The only webhook of the named receiver; throws when there is not exactly one. */
export function webhookOf(config: AmConfig, receiver: string): AmWebhook {
  const hooks = config.receivers.find((r) => r.name === receiver)?.webhook_configs ?? [];
  if (hooks.length !== 1) throw new Error(`receiver ${receiver} has ${hooks.length} webhook_configs, expected 1`);
  return hooks[0]!;
}

/** The first-level route that sends to the named receiver; throws when there is not exactly one. */
export function routeTo(config: AmConfig, receiver: string): AmRoute {
  const routes = (config.route.routes ?? []).filter((r) => r.receiver === receiver);
  if (routes.length !== 1) throw new Error(`${routes.length} first-level routes send to ${receiver}, expected 1`);
  return routes[0]!;
}

/** The alert names an `alertname=~"A|B|C"` matcher of a route lists. */
export function alertnamesOf(route: AmRoute): string[] {
  const m = (route.matchers ?? []).map((s) => /^alertname=~"([A-Za-z0-9_|]+)"$/.exec(s)).find((x) => x !== null);
  if (!m) throw new Error(`route to ${route.receiver} has no alertname=~"A|B|…" matcher`);
  return m[1]!.split('|');
}
