/**
 * `autoremediator sandbox`: a simulated Kubernetes API seeded with the reference
 * workload, and the service wired to it (SQLite store, the shipped rules/). Prints
 * the URLs, the credentials, a curl that posts an alert and how to point kubectl
 * at the simulated cluster.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KubeCluster } from '../actions/kube-cluster.js';
import { createRedisConnector } from '../actions/redis-connector.js';
import { loadConfig } from '../config/config.js';
import { KubeClient } from '../kube/client.js';
import { serve } from '../main.js';
import { systemClock } from '../platform/clock.js';
import { createLogger } from '../platform/logger.js';
import { loadSeed, startSandboxApi } from '../sandbox/index.js';

export async function runSandbox(argv: string[]): Promise<number> {
  // `sandbox load …` and `sandbox --with-prometheus` (the live demo) live in demo.ts.
  if (argv[0] === 'load') return (await import('./demo.js')).runSandboxLoad(argv.slice(1));
  if (argv.includes('--with-prometheus')) return (await import('./demo.js')).runDemo(argv);
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: process.env.PORT ?? '8000' },
      'api-port': { type: 'string', default: '0' },
      'data-dir': { type: 'string', default: './data' },
      'ready-delay': { type: 'string', default: '2000' },
      'keep-history': { type: 'boolean', default: false },
    },
  });
  const dataDir = resolve(values['data-dir']);
  mkdirSync(dataDir, { recursive: true });
  const dbFile = resolve(dataDir, 'sandbox.db');
  // A fresh history each run, so cooldowns of an earlier session do not confuse the quick start.
  if (!values['keep-history']) for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) rmSync(f, { force: true });

  const api = await startSandboxApi({ seed: loadSeed(), port: Number(values['api-port']), readyDelayMs: Number(values['ready-delay']) });
  const kubeconfig = resolve(dataDir, 'sandbox.kubeconfig');
  await api.writeKubeconfig(kubeconfig);

  const webhookToken = process.env.WEBHOOK_TOKEN || `sandbox-webhook-${randomBytes(12).toString('hex')}`;
  const adminToken = process.env.ADMIN_TOKEN || `sandbox-admin-${randomBytes(12).toString('hex')}`;
  const config = loadConfig({
    RULES_DIR: './rules',
    ALLOWED_NAMESPACES: 'ci',
    DRY_RUN: 'false',
    LOG_LEVEL: 'info',
    ...process.env,
    PORT: values.port,
    HOST: process.env.HOST ?? '127.0.0.1',
    DATABASE_URL: process.env.DATABASE_URL ?? `sqlite:${dbFile}`,
    WEBHOOK_TOKEN: webhookToken,
    ADMIN_TOKEN: adminToken,
  });
  const logger = createLogger(config.logLevel);
  const cluster = new KubeCluster(new KubeClient(api.kubeConfig()), createRedisConnector(), systemClock, logger);
  const running = await serve({ config, logger, cluster, signals: false });

  const stop = (sig: string) => () => {
    void running
      .shutdown(sig)
      .then(() => api.close())
      .then(() => process.exit(0));
  };
  process.once('SIGTERM', stop('SIGTERM'));
  process.once('SIGINT', stop('SIGINT'));
  process.on('SIGHUP', () => void running.app.rules.reload());

  process.stdout.write(`
autoremediator sandbox is running
  service             ${running.url}   (rules ${config.rulesDir}, store ${config.databaseUrl}, DRY_RUN=${config.dryRun})
  simulated cluster   ${api.url}   (kubeconfig ${kubeconfig})
  webhook token       ${webhookToken}
  admin token         ${adminToken}

Post a captured HighPodCPU notification (3 pods of ci-failure-agent):
  curl -sS -X POST ${running.url}/api/v1/alerts -H 'Authorization: Bearer ${webhookToken}' \\
    -H 'Content-Type: application/json' --data-binary @examples/alerts/firing-group-HighPodCPU-3-alerts.json

See what it decided, and why:
  curl -sS ${running.url}/api/v1/remediations -H 'Authorization: Bearer ${adminToken}'

Look at the simulated cluster with kubectl:
  kubectl --kubeconfig ${kubeconfig} -n ci get deployments,hpa
  kubectl --kubeconfig ${kubeconfig} -n ci describe deployment ci-failure-agent

SANDBOX_READY ${JSON.stringify({ service: running.url, api: api.url, kubeconfig, webhookToken, adminToken })}
`);
  return -1;
}
