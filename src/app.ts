/**
 * The composition root: builds every adapter and wires them. `createApp(deps)`
 * lets tests hand in a store, a cluster, a clock or a validator of their own.
 */
import { ACTION_KINDS } from './actions/registry.js';
import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import type { Config } from './config/config.js';
import type { ClusterPort } from './actions/port.js';
import { createHttpApp } from './http/app.js';
import { systemClock, type Clock } from './platform/clock.js';
import type { Logger } from './platform/logger.js';
import { createMetrics, type Metrics } from './platform/metrics.js';
import { Engine } from './remediation/engine.js';
import type { RemediationListener } from './domain/remediation.js';
import type { Validator } from './validation/port.js';
import { PrometheusSource } from './validation/prometheus.js';
import { ClusterValidator } from './validation/validator.js';
import { SlackNotifier, createNotifyMetrics } from './notify/index.js';
import { restoreJob } from './scheduler/restore-job.js';
import { DEFAULT_RETENTION, retentionJob } from './scheduler/retention-job.js';
import { startScheduler, type Job, type Scheduler } from './scheduler/scheduler.js';
import { accessCheck } from './remediation/access-check.js';
import { RuleTableWatcher } from './rule-table/watcher.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';
import { ControlService } from './remediation/controls.js';
import { Silencer } from './silence/silencer.js';
import { AlertmanagerHttp } from './silence/alertmanager-http.js';
import { TargetSampler } from './http/status/sampler.js';

export interface AppDeps {
  config: Config;
  logger: Logger;
  cluster: ClusterPort;
  clock?: Clock;
  store?: Store;
  validator?: Validator;
  metrics?: Metrics;
  listeners?: RemediationListener[];
  instanceId?: string;
  /** Watch the rules directory for changes (off in most tests). Default true. */
  watchRules?: boolean;
}

export interface App {
  http: Express;
  engine: Engine;
  store: Store;
  rules: RuleTableWatcher;
  metrics: Metrics;
  /** Present between start() and stop(). */
  scheduler: Scheduler | null;
  /** Queue what was stored but not decided (after a restart) and start periodic sweeps. */
  start(): Promise<void>;
  /** Stop intake (readyz false), let in-flight work reach a stored state, close the store. */
  stop(graceMs?: number): Promise<void>;
}


export async function createApp(deps: AppDeps): Promise<App> {
  const { config, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const metrics = deps.metrics ?? createMetrics();
  const store =
    deps.store ??
    (await openStore(config.databaseUrl, {
      queryTimeoutMs: config.databaseQueryTimeoutMs,
      lockIdleTimeoutMs: config.runLeaseTtlMs,
      onCheckpointerFailure: (err) => logger.warn({ err }, 'the background WAL checkpointer stopped; SQLite checkpoints in the main thread again'),
    }));

  const rules = new RuleTableWatcher(config.rulesDir, {
    logger,
    onReload: (s) => {
      metrics.ruleReloads.inc({ result: s.ok ? 'success' : 'failure' });
      metrics.ruleTableValid.set(s.ok ? 1 : 0);
      metrics.ruleCount.set(s.ruleCount);
    },
  });
  try {
    await rules.start();
  } catch (err) {
    await store.close();
    throw err;
  }
  // RBAC preflight: asked at start (a log line), its last answer in /readyz detail.
  const access = accessCheck({ cluster: deps.cluster, rules: () => rules.current(), allowed: config.allowedNamespaces, logger, now: () => clock.now() });

  if (deps.watchRules === false) rules.stop();

  const prometheus = config.prometheusUrl ? new PrometheusSource(config.prometheusUrl, undefined, config.prometheusClient) : null;
  const validator =
    deps.validator ??
    new ClusterValidator({
      kinds: ACTION_KINDS,
      readObject: (t) => deps.cluster.readObject(t),
      metrics: prometheus,
      clock,
      logger,
      pollMs: config.readinessPollMs,
    });

  const notifier = config.slack
    ? new SlackNotifier(config.slack, {
        logger,
        metrics: createNotifyMetrics(metrics.registry),
        ruleLookup: (name) => rules.current().rules.find((r) => r.name === name),
        alertLookup: (id) => store.getAlert(id),
        publicUrl: config.publicUrl,
        threads: { get: (id) => store.getSlackThread(id), set: (id, t) => store.setSlackThread(id, t) },
      })
    : null;

  const controls = new ControlService({
    store,
    clock,
    logger,
    registry: metrics.registry,
    freezeWindows: config.freezeWindows,
    rules: () => rules.current(),
    ...(notifier ? { announce: (text: string) => notifier.announce(text) } : {}),
  });

  // Silences while validating: only with ALERTMANAGER_URL; each rule (or SILENCE_DURING_VALIDATION) says whether.
  const silencer =
    config.alertmanagerUrls.length > 0
      ? new Silencer({
          urls: config.alertmanagerUrls,
          transport: new AlertmanagerHttp(),
          globalDefault: config.silenceDuringValidation,
          ruleLookup: (name) => rules.current().rules.find((r) => r.name === name),
          alertLookup: (id) => store.getAlert(id),
          store,
          clock,
          logger,
          ...(notifier ? { announce: (text: string) => notifier.announce(text) } : {}),
        })
      : null;

  const instanceId = deps.instanceId ?? randomUUID();
  const settings = { dryRun: config.dryRun, allowedNamespaces: config.allowedNamespaces, budgets: config.budgets };
  const engine = new Engine({
    controls,
    store,
    rules: () => rules.current(),
    cluster: deps.cluster,
    prometheus,
    validator,
    breaker: config.breaker,
    onBreakerOpen: (target, reason) => {
      void store.listBreakers().then((b) => metrics.breakersOpen.set(b.filter((x) => x.open).length));
      notifier?.announce(`:rotating_light: Breaker opened for ${target}: ${reason}. Nothing automatic will touch it until a person resets it (POST /api/v1/breakers/:target/reset).`);
    },
    clock,
    logger,
    metrics,
    settings,
    queueCapacity: config.limits.queueCapacity,
    concurrency: config.limits.concurrentRemediations,
    instanceId,
    listeners: [...(deps.listeners ?? []), ...(notifier ? [notifier] : []), ...(silencer ? [silencer] : [])],
    stuckDecisionMs: config.stuckDecisionMs,
    approval: config.approval,
    leaseTtlMs: config.runLeaseTtlMs,
  });

  let accepting = true;
  let stopped = false;
  // The status page's readings of recent targets (replicas, HPA bounds, resources over time).
  const sampler = new TargetSampler({ cluster: deps.cluster, store, clock, logger, intervalMs: config.statusSampleMs });

  const http = createHttpApp({
    config,
    store,
    queue: engine,
    engine,
    rules,
    clock,
    logger,
    metrics,
    accepting: () => accepting,
    controls,
    approvals: { engine },
    sampler,
    statusSampleMs: config.statusSampleMs,
    readiness: async () => {
      const storeOk = await store.ping().catch(() => false);
      // A real write: a store that reads but cannot keep anything (file deleted, read-only, disk full) is not ready.
      const storeProblem = storeOk ? await store.probe().catch((err: unknown) => `the store probe failed: ${(err as Error).message}`) : 'the store does not answer';
      const workers = engine.watchdog.status();
      const checks = { rulesLoaded: rules.status().version !== '', storeOpen: storeOk, storeWritable: storeProblem === null, accepting, decisionsFlowing: workers.ok };
      const reasons = [...(storeProblem !== null && storeOk ? [storeProblem] : []), ...(workers.reason ? [workers.reason] : [])];
      // What holds decisions (pauses, freeze windows): shown, never a reason to be unready.
      const held = storeOk ? await controls.summary().catch(() => null) : null;
      // The RBAC preflight's last answer (remediation/access-check.ts): shown, never a reason to be unready.
      const permissions = access.current();
      const detail = { ...(held ? { controls: held } : {}), ...(permissions ? { permissions } : {}) };
      return { ready: Object.values(checks).every(Boolean), checks, ...(reasons.length > 0 ? { reasons } : {}), ...(Object.keys(detail).length ? { detail } : {}) };
    },
  });

  /**
   * Runs whose lease is stale belong to a process that is gone. With SQLite there is
   * only this process, so at start every run in flight is its own dead predecessor's.
   */
  const resumeJob = async (atStart = false): Promise<number> => {
    const now = clock.now().getTime();
    const staleBefore = new Date(atStart && store.kind === 'sqlite' ? now + 1 : now - config.runLeaseTtlMs);
    const n = await engine.resume(staleBefore);
    if (n > 0) logger.info({ resumed: n }, 'resuming remediations left in flight by a process that is gone');
    return n;
  };

  /** Queue stored alerts nobody decided (a crash between store and decide, a lost race for queue room). */
  const sweepJob = async (): Promise<number> => {
    const n = await engine.sweep();
    if (n > 0) logger.info({ queued: n }, 'sweep queued undecided alerts');
    return n;
  };
  const jobs: Job[] = [
    { name: 'sweep', schedule: '*/30 * * * * *', run: sweepJob },
    // A replica that died mid-run leaves it in an active phase with a lease that stops being renewed.
    // Renewed three times per lease, so one late tick never makes a live run look abandoned.
    { name: 'heartbeat', schedule: `*/${Math.max(1, Math.floor(config.runLeaseTtlMs / 3000))} * * * * *`, run: () => engine.renewLeases() },
    { name: 'resume', schedule: config.resumeSchedule, run: () => resumeJob() },
    {
      name: 'restore',
      schedule: config.restoreSchedule,
      run: () => restoreJob({ store, rules: () => rules.current(), cluster: deps.cluster, runner: engine.runner, clock, logger, settings, instanceId, controls }),
    },
    // Old history out, in small batches (RETENTION, RETENTION_MAX_ALERTS).
    {
      name: 'retention',
      schedule: config.retention.schedule,
      run: () =>
        retentionJob({
          store,
          rules: () => rules.current(),
          planner: settings,
          breakerWindowMs: config.breaker.windowMs,
          settings: { ...DEFAULT_RETENTION, maxAgeMs: config.retention.maxAgeMs, maxAlerts: config.retention.maxAlerts, batchSize: config.retention.batchSize },
          now: () => clock.now(),
          logger,
          stopped: () => stopped,
        }),
    },
    // The end of expired pauses, recorded and announced once across replicas; the pause gauge.
    { name: 'controls', schedule: '*/5 * * * * *', run: () => controls.tick() },
    // Runs whose approval deadline passed end as approval-expired (the deadline is stored: a restart changes nothing).
    { name: 'approvals', schedule: '*/5 * * * * *', run: () => engine.expireApprovals() },
  ];

  const app: App = {
    http,
    engine,
    store,
    rules,
    metrics,
    scheduler: null,
    async start() {
      // SQLite has one process: a claim left on an undecided alert is its dead predecessor's,
      // so the start-up sweep takes it now instead of after the claim's TTL.
      if (store.kind === 'sqlite') {
        const released = await store.releaseAlertClaims(null);
        if (released > 0) logger.info({ released }, 'released alert claims left by a process that is gone');
      }
      await resumeJob(true);
      await sweepJob();
      metrics.breakersOpen.set((await store.listBreakers()).filter((b) => b.open).length);
      await controls.refresh();
      if (config.allowedNamespaces === '*' || config.allowedNamespaces.length > 0) void access.run();
      app.scheduler = startScheduler(jobs, store, logger);
      sampler.start();
    },
    async stop(graceMs = 20_000) {
      if (stopped) return;
      stopped = true;
      accepting = false;
      app.scheduler?.stop();
      rules.stop();
      await sampler.stop();
      const drained = await engine.drain(graceMs);
      if (!drained) logger.warn('grace period over with work in flight; it resumes from the journal on the next start');
      // Claims on alerts this process will not decide go back at once, so another replica decides them
      // now rather than after the claim TTL. Only when drained: a decide still running could yet record.
      if (drained) {
        const released = await store.releaseAlertClaims(instanceId).catch((err: unknown) => {
          logger.warn({ err }, 'could not release alert claims; they expire on their own');
          return 0;
        });
        if (released > 0) logger.info({ released }, 'released claims on alerts not decided before the stop');
      }
      await silencer?.drain(3000);
      await notifier?.drain(3000);
      await store.close();
    },
  };
  return app;
}
