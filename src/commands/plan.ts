/**
 * `autoremediator plan <payload.json>`: run a notification through the rule table
 * and the planner without recording or applying anything, and print each decision.
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
import { openStore } from '../store/open-store.js';
import { clusterFromEnv } from './cluster-from-env.js';

export async function runPlan(payload: Buffer, rulesDir: string): Promise<number> {
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
  const store = await openStore(':memory:');
  const { cluster, description } = clusterFromEnv(process.env);
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
  process.stdout.write(`rules: ${rulesDir} (${rules.status().ruleCount} rules, version ${rules.status().version.slice(0, 12)}); cluster: ${description}\n`);
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
