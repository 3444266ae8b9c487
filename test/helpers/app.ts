/** Build a real app (real SQLite store, the shipped rules/) around a fake cluster, for supertest. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import type { ClusterPort } from '../../src/actions/port.js';
import { silentLogger, type Logger } from '../../src/platform/logger.js';
import type { Clock } from '../../src/platform/clock.js';
import { createMetrics } from '../../src/platform/metrics.js';
import { REPO_ROOT } from './fixtures.js';
import type { Validator } from '../../src/validation/port.js';

export const WEBHOOK_TOKEN = 'test-webhook-token-0123456789';
export const ADMIN_TOKEN = 'test-admin-token-0123456789abc';

export interface TestApp {
  app: App;
  dir: string;
  close(): Promise<void>;
}

export async function buildTestApp(opts: { cluster: ClusterPort; env?: Record<string, string>; clock?: Clock; logger?: Logger; validator?: Validator }): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'autoremediator-test-'));
  const config = loadConfig({
    WEBHOOK_TOKEN,
    ADMIN_TOKEN,
    RULES_DIR: join(REPO_ROOT, 'rules'),
    DATABASE_URL: `sqlite:${join(dir, 'test.db')}`,
    DRY_RUN: 'false',
    ALLOWED_NAMESPACES: 'ci',
    ...opts.env,
  });
  const app = await createApp({
    config,
    logger: opts.logger ?? silentLogger,
    cluster: opts.cluster,
    metrics: createMetrics(false),
    watchRules: false,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.validator ? { validator: opts.validator } : {}),
  });
  return {
    app,
    dir,
    async close() {
      await app.stop(5000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Wait until the engine's queue is empty and nothing is running. */
export async function settle(app: App, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (app.engine.queueDepth > 0) {
    if (Date.now() > until) throw new Error('engine did not settle');
    await new Promise((r) => setTimeout(r, 5));
  }
}
