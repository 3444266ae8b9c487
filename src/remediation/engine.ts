/**
 * The engine: takes stored alerts off a bounded queue, matches them against the
 * rule table, plans each matched rule under the target's lock, records every
 * decision (acts and skips), and hands acts to the driver (runner.ts drive()).
 */
import type { LabelSet, StoredAlert } from '../domain/alert.js';
import type { TargetState } from '../domain/cluster.js';
import type { ClusterPort } from '../actions/port.js';
import { ACTION_KINDS } from '../actions/registry.js';
import type { TargetRef } from '../domain/target.js';
import { isAct, type Decision } from '../domain/decision.js';
import { NotFoundError, WrongPhaseError } from '../domain/errors.js';
import { ACTIVE_PHASES, approvalOf, isActive, isWaiting, type Remediation, type RemediationListener } from '../domain/remediation.js';
import type { Rule, RuleTable } from '../rule-table/rule.js';
import { targetKey } from '../domain/target.js';
import { budgetQueries, decideAfterPrecheck, historyWindowMs, precheck, type PlannerSettings, type PrecheckInput } from '../planner/decide.js';
import { withActiveRuns } from '../planner/history.js';
import { guardNeeds } from '../planner/guards.js';
import type { MetricsSource } from '../validation/prometheus.js';
import { readGuards } from './guard-reads.js';
import { DecisionWatchdog } from './watchdog.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { Metrics } from '../platform/metrics.js';
import { matchAlert } from '../rule-table/match.js';
import type { ActionSpec } from '../rule-table/schema.js';
import { StaleTransitionError, type Store } from '../store/store.js';
import { BoundedQueue, type QueueReservation } from './queue.js';
import { resolveRule, withResolution } from '../targets/rule-target.js';
import type { Controls } from '../control/hold.js';
import { noMatchDecision, templateSkipDecision, type BreakerPolicy } from '../planner/verdicts.js';
import type { Validator } from '../validation/port.js';
import { Runner } from './runner.js';
import type { ApprovalAnswer, ApprovalPolicy } from '../control/approval.js';

export interface EngineDeps {
  store: Store;
  rules: () => RuleTable;
  cluster: ClusterPort;
  validator: Validator;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  settings: PlannerSettings;
  queueCapacity: number;
  concurrency: number;
  /** Identifies this process in alert claims (several replicas share one store). */
  instanceId: string;
  listeners?: RemediationListener[];
  breaker: BreakerPolicy;
  onBreakerOpen?: (targetKey: string, reason: string) => void;
  /** Pauses and freeze windows (src/remediation/controls.ts), read for every decision; absent: none. */
  controls?: { current(): Promise<Controls> };
  /** RUN_LEASE_TTL: every Kubernetes write is fenced by the run's lease (runner.ts fence); default 30 s. */
  leaseTtlMs?: number;
  /** A decision running longer than this makes /readyz not ready (watchdog.ts); default 60 s. */
  stuckDecisionMs?: number;
  /** APPROVAL_REQUIRED, APPROVAL_NAMESPACES, APPROVAL_TIMEOUT and the service's approval windows; absent: only rules ask. */
  approval?: ApprovalPolicy;
  /** Prometheus for the rules' precondition guards; absent: a precondition that reads a series does not pass. */
  prometheus?: MetricsSource | null;
}

/** An alert as the engine decides it: stored, or posted to replay. */
export interface AlertInput {
  id: string | null;
  status: 'firing' | 'resolved';
  labels: LabelSet;
  annotations: LabelSet;
  startsAt: string;
  fingerprint: string;
  /** When intake received it (stored alerts): the start of autoremediator_reaction_seconds. */
  receivedAt?: Date;
}

export interface EvaluateOptions {
  /** Record decisions and act (true), or only compute them (replay preview). */
  record: boolean;
  /** Force dry-run for this evaluation, whatever DRY_RUN says. */
  dryRun?: boolean;
  origin: Remediation['origin'];
  /**
   * Wait for validation before returning (replay answers with the outcome). The
   * queue does not: an alert is marked decided as soon as its decisions are
   * recorded and applied, and validation goes on in the background.
   */
  awaitValidation?: boolean;
}

export class Engine {
  readonly runner: Runner;
  /** What /readyz asks about the decision workers. */
  readonly watchdog: DecisionWatchdog;
  private readonly queue: BoundedQueue<string>;
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(private readonly deps: EngineDeps) {
    this.runner = new Runner({ ...deps, listeners: deps.listeners ?? [] });
    this.watchdog = new DecisionWatchdog(deps.stuckDecisionMs ?? 60_000);
    this.queue = new BoundedQueue<string>(
      deps.queueCapacity,
      deps.concurrency,
      (id) => this.watchdog.watch(() => this.decideStored(id)),
      (id, err) => deps.logger.error({ err, alert: id }, 'deciding an alert failed; it stays undecided and the sweep retries it'),
      (depth) => deps.metrics.queueDepth.set(depth),
    );
  }

  /**
   * Hold queue room for up to n alerts, or null when they do not fit: intake reserves before
   * it stores anything and fills the reservation with the first deliveries it stored.
   */
  reserve(n: number): QueueReservation<string> | null {
    return this.queue.reserve(n);
  }

  /** Work pending in this process: alerts queued or being decided, and runs validating in the background. */
  get queueDepth(): number {
    return this.queue.depth + this.inflight.size;
  }

  /** Queue every stored, undecided first delivery (after a restart, or a failed decide). */
  async sweep(limit = 1000): Promise<number> {
    const alerts = await this.deps.store.listUndecidedAlerts(limit);
    let queued = 0;
    for (const a of alerts) if (this.queue.offer([a.id])) queued++;
    return queued;
  }

  /** Stop taking work and wait for what is queued and running (SIGTERM). */
  async drain(timeoutMs: number): Promise<boolean> {
    // One deadline for both: the grace period is the grace period.
    const deadline = Date.now() + timeoutMs;
    const queued = await this.queue.drain(timeoutMs);
    const rest = Promise.allSettled([...this.inflight]);
    const timedOut = new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref());
    await Promise.race([rest, timedOut]);
    return queued && this.inflight.size === 0;
  }

  /** Decide one stored alert exactly once (the claim makes it once across workers and replicas). */
  async decideStored(alertId: string): Promise<void> {
    const { store, clock, instanceId, metrics } = this.deps;
    const alert = await store.getAlert(alertId);
    if (!alert || alert.decidedAt || alert.duplicateOf) return;
    if (!(await store.claimAlert(alertId, instanceId, clock.now()))) return;
    const started = process.hrtime.bigint();
    await this.evaluate(toInput(alert), { record: true, origin: 'alert', awaitValidation: false });
    await store.markAlertDecided(alertId, clock.now());
    metrics.decisionSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
  }

  /**
   * Match, plan and (when recording) act on one alert. Returns one entry per
   * matched rule, or a single `no-match` skip.
   */
  async evaluate(alert: AlertInput, opts: EvaluateOptions): Promise<Array<{ decision: Decision; remediation: Remediation | null }>> {
    const table = this.deps.rules();
    let matched = matchAlert(table, alert.labels);
    // Deciding an alert again (its claim expired after a crash between recording and marking it
    // decided) must not decide any rule twice: the rules already recorded for it are done.
    let decidedBefore = new Set<string | null>();
    if (opts.record && opts.origin === 'alert' && alert.id) {
      decidedBefore = new Set((await this.deps.store.listRemediations({ alertId: alert.id, limit: 500 })).items.map((r) => r.rule));
      matched = matched.filter((r) => !decidedBefore.has(r.name));
      if (matched.length === 0 && decidedBefore.size > 0) return [];
    }
    if (matched.length === 0) {
      const decision = noMatchDecision(alert, table);
      return [{ decision, remediation: opts.record ? await this.record(alert, decision, opts, null) : null }];
    }
    const out: Array<{ decision: Decision; remediation: Remediation | null }> = [];
    for (const rule of matched) out.push(await this.evaluateRule(alert, rule, opts));
    return out;
  }

  /**
   * Decide one matched rule and, for an act, hand the recorded run to the driver. Planning and
   * recording hold the target lock (two alerts never both act on one target); the driver takes
   * the lock again for the write, and the recorded `planned` run keeps other plans off meanwhile.
   */
  private async evaluateRule(alert: AlertInput, rule: Rule, opts: EvaluateOptions): Promise<{ decision: Decision; remediation: Remediation | null }> {
    const rendered = await resolveRule(rule, alert, this.deps);
    if (!rendered.ok) {
      const decision = templateSkipDecision(rule, alert, rendered);
      return { decision, remediation: opts.record ? await this.record(alert, decision, opts, null) : null };
    }
    const { target, action } = rendered;
    const key = targetKey(target);
    const plan = async (): Promise<{ decision: Decision; remediation: Remediation | null; read: TargetState | undefined }> => {
      const { decision: planned, read } = await this.plan(alert, rule, target, action, opts);
      // A target found from the alert's pod or HPA: the decision says how (target.from).
      const decision = withResolution(planned, rendered.resolution);
      // An act is leased to this process in the commit that records it.
      const rem = opts.record ? await this.record(alert, decision, opts, key) : null;
      return { decision, remediation: rem, read };
    };
    const planned = opts.record ? await this.deps.store.withTargetLock(key, plan) : await plan();
    const rem = planned.remediation;
    if (!rem || !isAct(planned.decision)) return { decision: planned.decision, remediation: rem };
    const ctx = { rule, action, alert, ...(planned.read ? { read: planned.read } : {}) };
    let applied: Remediation;
    try {
      applied = await this.runner.drive(rem, { ...ctx, stopAt: ['validating'] });
    } catch (err) {
      // Cut short unexpectedly: the resume job takes the run up once its lease is stale.
      this.runner.release(rem.id);
      throw err;
    }
    // Reaction: from the webhook arriving to the change applied (alert-driven runs only).
    if (applied.phase === 'validating' && opts.origin === 'alert' && alert.receivedAt) {
      this.deps.metrics.reactionSeconds.observe(Math.max(0, this.deps.clock.now().getTime() - alert.receivedAt.getTime()) / 1000);
    }
    if (applied.phase !== 'validating') return { decision: planned.decision, remediation: applied };
    const finished = this.track(
      this.runner.drive(applied, ctx).catch((err: unknown) => {
        this.runner.release(applied.id);
        this.deps.logger.error({ err, remediation: applied.id }, 'validation failed unexpectedly; the resume job picks the run up once its lease is stale');
        return applied;
      }),
    );
    if (opts.awaitValidation === false) return { decision: planned.decision, remediation: applied };
    return { decision: planned.decision, remediation: await finished };
  }

  private async plan(alert: AlertInput, rule: Rule, t: TargetRef, action: ActionSpec, opts: EvaluateOptions): Promise<{ decision: Decision; read?: TargetState }> {
    const { store, cluster, clock, settings } = this.deps;
    const now = clock.now();
    const key = targetKey(t);
    const since = new Date(now.getTime() - historyWindowMs(rule, settings));
    // This target's history only: the budgets are counted by the store (below), so a decision
    // does not read every action of the window.
    // Plus the target's active runs of any age (in-progress must see a run validating past the window).
    const [recent, active, breaker, controls] = await Promise.all([store.actionHistory({ since, targetKey: key }), store.activeActions(key), store.getBreaker(key), this.deps.controls?.current()]);
    const input: PrecheckInput = {
      alert,
      rule,
      target: t,
      action,
      history: withActiveRuns(recent, active),
      breakerOpen: breaker?.open ?? false,
      now,
      ...(controls ? { controls } : {}),
      settings: opts.dryRun ? { ...settings, dryRun: true } : settings,
    };
    // What can be decided without the cluster is decided without it: a target outside the allowed
    // namespaces is never even looked at, and an alert storm in a cooldown reads nothing.
    const early = precheck(input);
    if (early) return { decision: early };
    let state: TargetState | null = null;
    let stateError: string | undefined;
    try {
      state = await cluster.readState(t, action);
    } catch (err) {
      stateError = err instanceof Error ? err.message : String(err);
    }
    const budgets = budgetQueries(input);
    const [inNamespace, inAll] = await Promise.all([store.countActions(budgets.namespace), store.countActions(budgets.global)]);
    const full = { ...input, state, ...(stateError !== undefined ? { stateError } : {}), actionsInWindow: { namespace: inNamespace, global: inAll }, kinds: ACTION_KINDS };
    let decision = decideAfterPrecheck(full);
    // Guards: what they need depends on the planned change, so decide once, read, decide again.
    if (rule.guards && state?.found && decision.before && decision.after) {
      const needs = guardNeeds({ guards: rule.guards, target: t, action, alert, state, change: { before: decision.before, after: decision.after } });
      decision = decideAfterPrecheck({ ...full, guards: await readGuards(needs, t, { cluster, prometheus: this.deps.prometheus ?? null }) });
    }
    return state ? { decision, read: state } : { decision };
  }

  private async record(alert: AlertInput, decision: Decision, opts: EvaluateOptions, key: string | null): Promise<Remediation> {
    const { store, clock, metrics, logger } = this.deps;
    const rem = await store.createRemediation({
      alertId: alert.id,
      decision,
      target: decision.target,
      targetKey: key,
      phase: isAct(decision) ? 'planned' : 'skipped',
      dryRun: !isAct(decision) && decision.reason === 'dry-run',
      origin: opts.origin,
      snapshot: null,
      at: clock.now(),
      note: decision.explanation,
      ...(isAct(decision) ? { owner: this.deps.instanceId } : {}),
    });
    metrics.decisions.inc({ rule: decision.rule ?? '', outcome: decision.outcome, reason: isAct(decision) ? '' : decision.reason, action: decision.action ?? '' });
    logger.info(
      { remediation: rem.id, rule: decision.rule, target: key, alert: alert.id, outcome: decision.outcome, reason: isAct(decision) ? undefined : decision.reason },
      decision.explanation,
    );
    this.runner.created(rem);
    return rem;
  }

  /**
   * Resume runs left in a non-terminal phase by a process that is gone: at start
   * (a crash of this process) and periodically (a dead replica). A run is taken
   * over only when its lease is older than `staleBefore`, by exactly one replica;
   * runs this process drives are never touched. Returns how many were taken over.
   */
  async resume(staleBefore: Date): Promise<number> {
    const { store, instanceId, clock, logger } = this.deps;
    const runs = await store.listRemediationsInPhases(ACTIVE_PHASES);
    let taken = 0;
    for (const rem of runs) {
      if (this.runner.driving.has(rem.id)) continue;
      // A run awaiting approval is driven by nobody: a person's answer or the approvals job moves it on.
      if (isWaiting(rem.phase)) continue;
      if (!(await store.claimRemediation(rem.id, instanceId, staleBefore, clock.now()))) continue;
      // Read again after the claim: the listing may predate the last transition of its old owner.
      const fresh = await store.getRemediation(rem.id);
      if (!fresh || !isActive(fresh.phase)) continue;
      taken++;
      this.runner.adopt(rem.id);
      logger.info({ remediation: rem.id, rule: rem.rule, target: rem.targetKey }, `resuming remediation ${rem.id} from ${fresh.phase}`);
      void this.track(
        this.runner
          .drive(fresh)
          .catch((err: unknown) => {
            logger.error({ err, remediation: rem.id }, 'resuming a remediation failed; another resume pass will try again');
          })
          .finally(() => this.runner.release(rem.id)),
      );
    }
    return taken;
  }

  /** Heartbeat for the runs this process drives. */
  async renewLeases(): Promise<void> {
    await this.deps.store.leaseRemediations([...this.runner.driving], this.deps.instanceId, this.deps.clock.now());
  }

  /** POST /api/v1/remediations/:id/rollback: undo a succeeded run by hand (typed manual flag: it never counts toward a breaker). */
  async rollbackByHand(id: string, actor: string): Promise<Remediation> {
    const rem = await this.deps.store.getRemediation(id);
    if (!rem) throw new NotFoundError(`no remediation with id ${id}`);
    if (rem.phase !== 'succeeded') throw new WrongPhaseError(`remediation ${id} is ${rem.phase}; only a succeeded remediation can be rolled back by hand`);
    // Nobody drives a succeeded run: this process takes its lease, so the fence before the restore is its own.
    const now = this.deps.clock.now();
    await this.deps.store.fenceLease(id, this.deps.instanceId, new Date(now.getTime() + 1), now);
    this.runner.adopt(id);
    try {
      return await this.runner.drive(rem, { manualRollbackBy: actor });
    } finally {
      this.runner.release(id);
    }
  }

  /**
   * POST /api/v1/remediations/:id/approve | deny (and Slack's buttons): a person's answer to a run
   * awaiting approval. The driver decides what follows (expired, denied, re-checked and refused, or
   * approved and applied); an approved run is applied before this returns and validated in the background.
   */
  async answer(id: string, answer: ApprovalAnswer): Promise<Remediation> {
    const { store, clock, instanceId, logger } = this.deps;
    const rem = await store.getRemediation(id);
    if (!rem) throw new NotFoundError(`no remediation with id ${id}`);
    if (rem.phase !== 'awaiting_approval') {
      const a = approvalOf(rem);
      const answered = a?.outcome ? ` (${a.outcome}${a.by ? ` by ${a.by}` : ''}${a.at ? ` at ${a.at}` : ''})` : '';
      throw new WrongPhaseError(`remediation ${id} is ${rem.phase}${answered}; only a remediation awaiting approval can be approved or denied`);
    }
    // This process drives it from now on: its lease (the resume job's) is ours, renewed by the heartbeat.
    const now = clock.now();
    await store.claimRemediation(id, instanceId, new Date(now.getTime() + 1), now);
    this.runner.adopt(id);
    let run: Remediation;
    try {
      run = await this.runner.drive(rem, { answer, stopAt: ['validating'] });
    } catch (err) {
      this.runner.release(id);
      throw err;
    }
    if (run.phase !== 'validating') {
      if (!isActive(run.phase) || isWaiting(run.phase)) this.runner.release(id);
      return run;
    }
    const applied = run;
    void this.track(
      this.runner.drive(applied).catch((err: unknown) => {
        this.runner.release(applied.id);
        logger.error({ err, remediation: applied.id }, 'validation failed unexpectedly; the resume job picks the run up once its lease is stale');
        return applied;
      }),
    );
    return applied;
  }

  /**
   * The approvals job: end the runs whose approval deadline has passed (skip `approval-expired`),
   * on whichever replica gets there first (the others find the run answered). Deadlines are stored
   * with the run, so a restart changes nothing. Returns how many this call ended.
   */
  async expireApprovals(): Promise<number> {
    const { store, clock, logger } = this.deps;
    const waiting = await store.listRemediationsInPhases(['awaiting_approval']);
    const now = clock.now().getTime();
    let ended = 0;
    for (const rem of waiting) {
      const a = approvalOf(rem);
      if (!a || Date.parse(a.deadline) > now) continue;
      try {
        const run = await this.runner.drive(rem);
        if (run.phase === 'skipped') ended++;
      } catch (err) {
        if (err instanceof WrongPhaseError || err instanceof StaleTransitionError) continue;
        logger.error({ err, remediation: rem.id }, 'ending an expired approval failed; the next pass tries again');
      }
    }
    return ended;
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => {});
    return p;
  }
}

function toInput(a: StoredAlert): AlertInput {
  return { id: a.id, status: a.status, labels: a.labels, annotations: a.annotations, startsAt: a.startsAt, fingerprint: a.fingerprint, receivedAt: a.receivedAt };
}

export type { Rule };
