/** `autoremediator serve`: the service, configured from the environment. */
import { loadConfig } from '../config/config.js';
import { serve } from '../main.js';
import { createLogger } from '../platform/logger.js';
import { clusterFromEnv } from './cluster-from-env.js';

export async function runServe(): Promise<number> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const { cluster, description } = clusterFromEnv(process.env, logger);
  logger.info({ cluster: description }, 'cluster');
  await serve({ config, logger, cluster, signals: true });
  // Keep running until a signal; exit code is set by the signal handler.
  return -1;
}
