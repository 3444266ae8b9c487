/**
 * The express application: routes, auth and the error handler, assembled in one
 * place so the order reads top to bottom. Everything it needs is passed in.
 */
import express, { type Express } from 'express';
import type { Config } from '../config/config.js';
import type { Logger } from '../platform/logger.js';
import type { Metrics } from '../platform/metrics.js';
import { apiRouter, type ApiDeps } from './api.js';
import { requireAuth } from './auth.js';
import { errorHandler, HttpError } from './errors.js';
import { intakeRouter, type IntakeDeps } from './intake.js';
import { controlRouter, type ControlApiDeps } from './control-api.js';
import { approvalRouter, type ApprovalApiDeps } from './approval-api.js';
import { requireAdmin } from './status/admin-auth.js';
import { statusRouter, ViewCache } from './status/router.js';
import type { TargetSampler } from './status/sampler.js';
import { SessionKeys } from './status/session.js';

export interface HttpDeps extends Omit<IntakeDeps, 'limits' | 'accepting'>, Omit<ApiDeps, 'limits' | 'publicUrl'>, Partial<ControlApiDeps> {
  config: Pick<Config, 'auth' | 'limits' | 'publicUrl'> & Partial<Pick<Config, 'slackSigningSecret'>>;
  /** Answers to runs awaiting approval (absent in tests that do not need them). */
  approvals?: Pick<ApprovalApiDeps, 'engine'>;
  logger: Logger;
  metrics: Metrics;
  /** Ready to take traffic: rules loaded, store open, not draining. */
  readiness: () => Promise<{ ready: boolean; checks: Record<string, boolean>; detail?: Record<string, unknown> }>;
  accepting: () => boolean;
  /** The status page's readings of the cluster (null: the page shows no live state). */
  sampler?: TargetSampler | null;
  /** How often the status page's sampler reads the cluster, for the page to say. */
  statusSampleMs?: number;
}

export function createHttpApp(deps: HttpDeps): Express {
  const { config, logger, metrics } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  const { auth } = config;
  const webhookAuth = requireAuth(
    auth.insecure && !auth.webhookToken && !auth.webhookBasic ? null : { bearer: auth.webhookToken ? [auth.webhookToken] : [], basic: auth.webhookBasic },
    'autoremediator webhook',
  );
  // The admin credential: the bearer token, or a status page session (its CSRF token required for anything but GET/HEAD).
  const adminGate = {
    creds: auth.insecure && !auth.adminToken ? null : { bearer: auth.adminToken ? [auth.adminToken] : [], basic: null },
    sessions: auth.adminToken ? new SessionKeys(auth.adminToken) : null,
    clock: deps.clock,
  };
  const adminAuth = requireAdmin(adminGate);
  const limits = { ...config.limits };
  // The status page's views are cached for a second; a change made through the admin API
  // (a breaker reset, a rollback, a pause …) empties the cache once answered, so the next
  // refresh shows it. Alert intake does not: a storm must not make every poll recompute.
  const views = new ViewCache();
  app.use((req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.path !== '/api/v1/alerts') res.on('finish', () => views.clear());
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res, next) => {
    deps
      .readiness()
      .then((r) => {
        res.status(r.ready ? 200 : 503).json(r);
      })
      .catch(next);
  });
  app.get('/metrics', (_req, res, next) => {
    metrics.registry
      .metrics()
      .then((text) => {
        res.type(metrics.registry.contentType).send(text);
      })
      .catch(next);
  });

  app.use(intakeRouter({ ...deps, limits }, webhookAuth));
  if (deps.controls) app.use(controlRouter({ controls: deps.controls }, adminAuth, limits.maxBodyBytes));
  if (deps.approvals) app.use(approvalRouter({ engine: deps.approvals.engine, store: deps.store, clock: deps.clock, logger, slackSigningSecret: config.slackSigningSecret ?? null }, adminAuth, limits.maxBodyBytes));
  app.use(apiRouter({ ...deps, limits, publicUrl: config.publicUrl }, adminAuth));
  app.use(
    statusRouter({
      store: deps.store,
      rules: deps.rules,
      clock: deps.clock,
      logger,
      sampler: deps.sampler ?? null,
      gate: adminGate,
      adminToken: auth.adminToken,
      secureCookies: (config.publicUrl ?? '').startsWith('https://'),
      pollMs: 2000,
      sampleEveryMs: deps.statusSampleMs ?? 15_000,
      views,
    }),
  );

  app.use((req, _res, next) => {
    next(new HttpError(404, 'not-found', `no route for ${req.method} ${req.path}`));
  });
  app.use(errorHandler(logger));
  return app;
}
