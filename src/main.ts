/**
 * Process entry for `autoremediator serve`: load config, build the app, listen,
 * and handle signals: SIGTERM/SIGINT drain (readyz goes false, in-flight steps
 * reach a stored state, then exit), SIGHUP reloads the rule table.
 */
import type { Server } from 'node:http';
import { createApp, type App, type AppDeps } from './app.js';
import { loadConfig, type Config } from './config/config.js';
import type { ClusterPort } from './actions/port.js';
import { reservePort } from './platform/listen.js';
import { createLogger, type Logger } from './platform/logger.js';

export interface Running {
  app: App;
  server: Server;
  url: string;
  /** Drain and close; resolves when the process may exit. */
  shutdown(reason: string): Promise<void>;
}

export interface ServeOptions {
  config?: Config;
  logger?: Logger;
  cluster: ClusterPort;
  /** Install SIGTERM/SIGINT/SIGHUP handlers (the CLI does; embedded use may not). */
  signals?: boolean;
  extra?: Partial<AppDeps>;
  /** A port bound already (reservePort), e.g. by the sandbox before it writes its files. */
  reserved?: Awaited<ReturnType<typeof reservePort>>;
}

export async function serve(opts: ServeOptions): Promise<Running> {
  const config = opts.config ?? loadConfig();
  const logger = opts.logger ?? createLogger(config.logLevel);
  if (config.auth.insecure) logger.warn('INSECURE_NO_AUTH=true: the webhook and the admin API accept requests without credentials');
  if (config.dryRun) logger.warn('DRY_RUN is on (shadow mode): decisions are recorded and announced, nothing is applied');
  if (config.allowedNamespaces !== '*' && config.allowedNamespaces.length === 0) {
    logger.warn('ALLOWED_NAMESPACES is empty: every target will be refused (outside-allowed-namespaces)');
  }
  // The port first: a port in use ends the start with a ListenError before the store is opened.
  const reserved = opts.reserved ?? (await reservePort(config.port, config.host, 'the service', 'PORT'));
  let app: App;
  try {
    app = await createApp({ config, logger, cluster: opts.cluster, ...opts.extra });
    await app.start();
  } catch (err) {
    reserved.server.close();
    throw err;
  }
  const server: Server = reserved.server;
  reserved.attach(app.http);
  // Alertmanager keeps connections alive; keep our side open a little longer than its idle timeout.
  server.keepAliveTimeout = 65_000;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  const url = `http://${host}:${port}`;
  logger.info({ url, rules: app.rules.status().ruleCount, store: app.store.kind, dryRun: config.dryRun }, 'autoremediator listening');

  let closing: Promise<void> | null = null;
  const shutdown = (reason: string): Promise<void> => {
    closing ??= (async () => {
      logger.info({ reason }, 'draining: intake stopped, waiting for in-flight work');
      await app.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      logger.info('stopped');
    })();
    return closing;
  };

  if (opts.signals) {
    const onTerm = (sig: string) => () => {
      // The drain is bounded by its grace period (20 s); whatever still hangs after it (a store
      // that never answers) must not keep the process alive: exit anyway, a little later.
      setTimeout(() => {
        logger.error('shutdown did not finish within its grace period; exiting anyway');
        process.exit(1);
      }, 30_000).unref();
      void shutdown(sig).then(() => process.exit(0));
    };
    process.once('SIGTERM', onTerm('SIGTERM'));
    process.once('SIGINT', onTerm('SIGINT'));
    process.on('SIGHUP', () => {
      void app.rules.reload().then((s) => logger.info({ ok: s.ok, version: s.version, errors: s.errors }, 'SIGHUP: rule table reloaded'));
    });
  }
  return { app, server, url, shutdown };
}
