/**
 * `autoremediator plan <payload.json>`: run a notification through the rule table
 * and the planner without recording or applying anything, and print each decision.
 *
 * With the service's store (--store, DATABASE_URL's syntax) and its cluster (--kubeconfig,
 * or KUBECONFIG/KUBE_API_URL), the planner sees what the service sees: cooldowns, runs in
 * progress, budgets, open breakers, current replicas. Without them it says, before the
 * decisions, what it could not know, so a "would act" is read for what it is.
 */
import { loadConfig } from '../config/config.js';
import { parseNotification } from '../http/intake.js';
import { HttpError } from '../http/errors.js';
import { silentLogger } from '../platform/logger.js';
import { createMetrics } from '../platform/metrics.js';
import { systemClock } from '../platform/clock.js';
import { Engine } from '../remediation/engine.js';
import { noValidation } from '../validation/port.js';
import { RuleTableWatcher } from '../rule-table/watcher.js';
import { describeDatabaseLocation, openStore, parseDatabaseUrl } from '../store/open-store.js';
import { clusterFromEnv } from './cluster-from-env.js';

export interface PlanOptions {
  rules: string;
  /** The service's store (DATABASE_URL syntax); none: an empty in-memory one. */
  store?: string;
  /** A kubeconfig file; none: KUBECONFIG/KUBE_API_URL from the environment, if set. */
  kubeconfig?: string;
}

/** What plan could not know, for the header: one line per missing source. */
export function planUnknowns(hasStore: boolean, hasCluster: boolean): string[] {
  const lines: string[] = [];
  if (!hasStore) {
    lines.push('store: none given (--store): cooldowns, runs in progress, budgets and open breakers are not known; the decisions below assume there are none.');
  }
  if (!hasCluster) {
    lines.push('cluster: none given (--kubeconfig, KUBECONFIG or KUBE_API_URL): current replicas and HPA bounds are not known; rules that need them skip with state-unavailable.');
  }
  return lines;
}

export async function runPlan(payload: Buffer, opts: PlanOptions): Promise<number> {
  const rulesDir = opts.rules;
  const env = { INSECURE_NO_AUTH: 'true', ...process.env, RULES_DIR: rulesDir };
  const config = loadConfig(env);
  let notification;
  try {
    notification = parseNotification(payload, { maxAlertsPerNotification: config.limits.maxAlertsPerNotification, maxLabelsPerAlert: config.limits.maxLabelsPerAlert });
  } catch (err) {
    if (err instanceof HttpError) {
      process.stderr.write(`autoremediator plan: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const rules = new RuleTableWatcher(rulesDir, { logger: silentLogger });
  await rules.start();
  rules.stop();
  const store = await openStore(opts.store ?? ':memory:');
  const clusterEnv = opts.kubeconfig ? { ...process.env, KUBE_API_URL: undefined, KUBECONFIG: opts.kubeconfig } : process.env;
  const { cluster, description } = clusterFromEnv(clusterEnv);
  const storeDescription = opts.store ? describeDatabaseLocation(parseDatabaseUrl(opts.store)) : 'none';
  const engine = new Engine({
    store,
    rules: () => rules.current(),
    cluster,
    validator: noValidation,
    clock: systemClock,
    logger: silentLogger,
    metrics: createMetrics(false),
    settings: { dryRun: true, allowedNamespaces: config.allowedNamespaces, budgets: config.budgets },
    queueCapacity: 1,
    concurrency: 1,
    instanceId: 'plan',
    breaker: config.breaker,
  });
  process.stdout.write(`rules: ${rulesDir} (${rules.status().ruleCount} rules, version ${rules.status().version.slice(0, 12)}); store: ${storeDescription}; cluster: ${description}\n`);
  for (const line of planUnknowns(opts.store !== undefined, description !== 'none configured')) process.stdout.write(`${line}\n`);
  for (const alert of notification.alerts) {
    const results = await engine.evaluate({ id: null, ...alert }, { record: false, dryRun: true, origin: 'replay' });
    process.stdout.write(`\n${alert.labels.alertname} [${alert.status}] fingerprint ${alert.fingerprint}\n`);
    for (const { decision } of results) {
      const head = decision.outcome === 'act' ? 'act' : `skip (${decision.reason})`;
      process.stdout.write(`  ${decision.rule ?? '-'}: ${head}\n    ${decision.explanation}\n`);
    }
  }
  await store.close();
  return 0;
}
