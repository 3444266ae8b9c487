/**
 * `autoremediator sandbox`: a simulated Kubernetes API seeded with the reference
 * workload, and the service wired to it (SQLite store, the shipped rules/). Prints
 * the URLs, the credentials, a curl that posts an alert and how to point kubectl
 * at the simulated cluster.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { KubeCluster } from '../actions/kube-cluster.js';
import { createRedisConnector } from '../actions/redis-connector.js';
import { loadConfig } from '../config/config.js';
import { KubeClient } from '../kube/client.js';
import { serve } from '../main.js';
import { systemClock } from '../platform/clock.js';
import { createLogger } from '../platform/logger.js';
import { ListenError, listenErrorMessage, reservePort } from '../platform/listen.js';
import { loadSeed, startSandboxApi, type SandboxApi } from '../sandbox/index.js';

export interface SandboxOptions {
  /** The service's port (0: any free one). */
  port: number;
  /** The simulated API server's port (0: any free one). */
  apiPort: number;
  dataDir: string;
  readyDelayMs: number;
  keepHistory: boolean;
}

export async function runSandbox(opts: SandboxOptions): Promise<number> {
  const dataDir = resolve(opts.dataDir);
  const dbFile = resolve(dataDir, 'sandbox.db');
  const kubeconfig = resolve(dataDir, 'sandbox.kubeconfig');
  const webhookToken = process.env.WEBHOOK_TOKEN || `sandbox-webhook-${randomBytes(12).toString('hex')}`;
  const adminToken = process.env.ADMIN_TOKEN || `sandbox-admin-${randomBytes(12).toString('hex')}`;
  const config = loadConfig({
    RULES_DIR: './rules',
    ALLOWED_NAMESPACES: 'ci',
    DRY_RUN: 'false',
    LOG_LEVEL: 'info',
    ...process.env,
    PORT: String(opts.port),
    HOST: process.env.HOST ?? '127.0.0.1',
    DATABASE_URL: process.env.DATABASE_URL ?? `sqlite:${dbFile}`,
    WEBHOOK_TOKEN: webhookToken,
    ADMIN_TOKEN: adminToken,
  });

  // The ports before any file: a sandbox whose port is taken (another sandbox, usually) fails
  // before it deletes a database or overwrites the kubeconfig the running one handed out.
  const reserved = await reservePort(config.port, config.host, 'autoremediator sandbox (the service)', '--port or PORT');
  let api: SandboxApi;
  try {
    api = await startSandboxApi({ seed: loadSeed(), port: opts.apiPort, readyDelayMs: opts.readyDelayMs }).catch((err: NodeJS.ErrnoException) => {
      throw new ListenError(listenErrorMessage(err, opts.apiPort, '127.0.0.1', 'autoremediator sandbox (the simulated API server)', '--api-port'), err.code, opts.apiPort, '127.0.0.1');
    });
  } catch (err) {
    reserved.server.close();
    throw err;
  }

  mkdirSync(dataDir, { recursive: true });
  // A fresh history each run, so cooldowns of an earlier session do not confuse the quick start.
  if (!opts.keepHistory) for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) rmSync(f, { force: true });
  await api.writeKubeconfig(kubeconfig);

  const logger = createLogger(config.logLevel);
  const cluster = new KubeCluster(new KubeClient(api.kubeConfig()), createRedisConnector(), systemClock, logger);
  const running = await serve({ config, logger, cluster, signals: false, reserved }).catch(async (err: unknown) => {
    await api.close();
    throw err;
  });

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
  status page         ${running.url}/   (log in with the admin token)

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
