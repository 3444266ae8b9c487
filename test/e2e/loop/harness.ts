/**
 * The real loop for end-to-end scenarios, everything on 127.0.0.1:
 *
 *   sandbox (simulated cluster + workload metrics)
 *     ← scraped by Prometheus (alertmanager/rules/ci-failure-agent.e2e.rules.yml, scrape/eval 500ms)
 *     → Alertmanager (alertmanager.e2e.yml pointed at the service; one, or two clustered peers)
 *     → the service as a real process (`autoremediator serve`, rules derived from rules/ with
 *       fastRuleTable, PROMETHEUS_URL = the same Prometheus, KUBE_API_URL = the sandbox)
 *     → the sandbox's API server.
 *
 * A watcher records one timeline line per event (load, alert state, decision, phase,
 * replicas, API writes), and `measure` reads the alert-to-scale times from the
 * records each part keeps.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startBinary, waitFor, type RunningBinary } from '../../helpers/binaries.js';
import { REPO_ROOT } from '../../helpers/fixtures.js';
import { startCli, type CliProcess } from '../../helpers/process.js';
import { alertmanagerE2eConfig, e2eWebhookToken, FILES } from '../../integration/alertmanager/configs.js';
import { loadSeed, startSandboxApi, type SandboxApi } from '../../../src/sandbox/index.js';
import type { KubeObject } from '../../../src/sandbox/types.js';
import { fastRuleTable, prometheusConfig, type WorkloadOptions, type WorkloadSnapshot } from '../../../src/sandbox/workload/index.js';
import { startControlPlane } from '../../cluster/control-plane.js';
import { startWorkloadMirror } from '../../cluster/workload-mirror.js';

export const LOOP_BINARIES = { prometheus: 'prometheus', 'prometheus-alertmanager': 'prometheus-alertmanager' };
export const ADMIN_TOKEN = 'e2e-loop-admin-token-5d1b7c90';
/** Where each scenario leaves its timeline and measurements. */
export const RESULTS_DIR = join(tmpdir(), 'autoremediator-e2e-loop');

/** A request the API server answered, as its own log has it (the sandbox's, or a real apiserver's audit log). */
export interface LoopRequest {
  time: string;
  verb: string;
  resource?: string;
  subresource?: string;
  name?: string;
  code: number;
}

/**
 * The cluster under a loop: the sandbox, or a real control plane (kube-apiserver, controllers,
 * kwok) with the workload's metrics simulated from its live objects (test/cluster/).
 */
export interface LoopCluster {
  kind: 'sandbox' | 'control-plane';
  /** Serves the workload's metrics (scraped by Prometheus) and /sandbox/load. */
  url: string;
  workload: { snapshot(): WorkloadSnapshot };
  /** The latest copy of an object of the workload. */
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined;
  /** What the service asked of the API server, in order. */
  requests(): readonly LoopRequest[];
  /** How the service reaches the API server. */
  serviceEnv: Record<string, string>;
  close(): Promise<void>;
}

async function sandboxCluster(workload: WorkloadOptions | undefined): Promise<{ cluster: LoopCluster; sandbox: SandboxApi }> {
  const sandbox = await startSandboxApi({ seed: loadSeed(), readyDelayMs: 1000, tickMs: 50, ...(workload ? { workload } : {}) });
  return {
    sandbox,
    cluster: {
      kind: 'sandbox',
      url: sandbox.url,
      workload: sandbox.workload,
      get: (a, k, ns, n) => sandbox.get(a, k, ns, n),
      requests: () => sandbox.requests,
      serviceEnv: { KUBE_API_URL: sandbox.url },
      close: () => sandbox.close(),
    },
  };
}

async function controlPlaneCluster(workload: WorkloadOptions | undefined): Promise<LoopCluster> {
  const cp = await startControlPlane();
  try {
    const mirror = await startWorkloadMirror(cp.admin, workload ? { workload } : {});
    // A scenario starts from the seed running: every Deployment's pods and the database's instances
    // Ready (kwok takes 1–6 s a pod, the sandbox a fixed delay), as a real cluster is before the load arrives.
    await waitFor(
      'the seed Ready on the control plane',
      () =>
        Promise.resolve(
          ['ci-failure-agent', 'ci-failure-agent-consumer', 'ci-failure-agent-redis'].every((name) => {
            const d = mirror.get('apps/v1', 'Deployment', 'ci', name) as { spec?: { replicas?: number }; status?: { readyReplicas?: number } } | undefined;
            return d !== undefined && (d.status?.readyReplicas ?? 0) === (d.spec?.replicas ?? -1);
          }) &&
            // and the database's instances (a missing one raises the API's latency in the model)
            ((db) => db !== undefined && (db.status?.readyInstances ?? 0) === (db.spec?.instances ?? -1))(
              mirror.get('postgresql.cnpg.io/v1', 'Cluster', 'ci', 'ci-failure-agent-db') as { spec?: { instances?: number }; status?: { readyInstances?: number } } | undefined,
            ),
        ),
      90_000,
      250,
    ).catch(async (err: unknown) => {
      await mirror.close();
      throw err;
    });
    return {
      kind: 'control-plane',
      url: mirror.url,
      workload: mirror.workload,
      get: (a, k, ns, n) => mirror.get(a, k, ns, n),
      requests: () => cp.requests(),
      serviceEnv: { KUBECONFIG: cp.kubeconfig },
      async close() {
        await mirror.close();
        await cp.stop();
      },
    };
  } catch (err) {
    await cp.stop();
    throw err;
  }
}

export interface LoopOptions {
  /** Scenario name: the results file is `<name>.json`. */
  name: string;
  /** Where the workload runs: the sandbox (default) or a real control plane. */
  on?: LoopCluster['kind'];
  /** Two clustered Alertmanager peers instead of one. */
  haPeers?: boolean;
  /** Extra environment for the service. */
  serviceEnv?: Record<string, string>;
  workload?: WorkloadOptions;
}

export interface PromAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: string;
  value: string;
}

export interface Transition {
  from: string | null;
  to: string;
  at: string;
  note: string;
}

export interface RemediationView {
  id: string;
  alertId: string | null;
  rule: string | null;
  targetKey: string | null;
  phase: string;
  origin: string;
  createdAt: string;
  decision: { outcome: 'act' | 'skip'; reason?: string; explanation: string; before?: Record<string, unknown>; after?: Record<string, unknown> };
  result: Record<string, unknown> | null;
  transitions: Transition[];
}

export interface StoredAlertView {
  id: string;
  receivedAt: string;
  duplicateOf: string | null;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  startsAt: string;
  fingerprint: string;
}

export interface TimelineEvent {
  at: string;
  /** Milliseconds since the loop started. */
  t: number;
  kind: 'load' | 'alert' | 'decision' | 'phase' | 'replicas' | 'api' | 'note';
  text: string;
}

/** Alert-to-scale, in milliseconds, from the records of Prometheus, the service and the sandbox. */
export interface Measurement {
  alertname: string;
  /** When the alert became pending (Prometheus `activeAt`). */
  activeAt: string;
  /** When it fired (`startsAt` in the webhook: activeAt + for). */
  firingAt: string;
  /** When the service stored the first delivery. */
  receivedAt: string;
  /** The acting remediation's transitions. */
  plannedAt: string;
  applyingAt: string;
  /** The write (scale or HPA patch) as the sandbox API server logged it. */
  requestAt: string;
  request: string;
  activeToRequestMs: number;
  firingToRequestMs: number;
  /** Alertmanager and the network: firing → received. */
  deliveryMs: number;
  /** autoremediator's own share: webhook received → scale request at the API server. */
  ownMs: number;
  /** Its parts: received → decided (planned), planned → applying (the baseline queries stood here until they moved after the write; `baselineMs` keeps its name), applying → request. */
  ownParts: { decideMs: number; baselineMs: number; applyMs: number };
}

const ms = (a: string, b: string): number => Date.parse(b) - Date.parse(a);

export class Loop {
  readonly timeline: TimelineEvent[] = [];
  readonly startedAt = Date.now();
  private watcher: NodeJS.Timeout | undefined;
  private watching: Promise<void> = Promise.resolve();
  private seen = { alerts: new Map<string, string>(), transitions: new Set<string>(), replicas: '', requests: 0, load: '' };

  constructor(
    readonly name: string,
    readonly dir: string,
    readonly cluster: LoopCluster,
    /** The sandbox itself, when the loop runs on it (to change objects behind the service's back). */
    readonly sandbox: SandboxApi | undefined,
    readonly prometheus: RunningBinary,
    readonly alertmanagers: RunningBinary[],
    readonly service: { cli: CliProcess; url: string },
  ) {}

  note(kind: TimelineEvent['kind'], text: string): void {
    const now = Date.now();
    this.timeline.push({ at: new Date(now).toISOString(), t: now - this.startedAt, kind, text });
  }

  /** GET on the service's admin API. */
  async admin<T>(path: string): Promise<T> {
    const res = await fetch(`${this.service.url}${path}`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  async remediations(): Promise<RemediationView[]> {
    return (await this.admin<{ items: RemediationView[] }>('/api/v1/remediations?limit=200')).items;
  }

  async serviceAlerts(): Promise<StoredAlertView[]> {
    return (await this.admin<{ items: StoredAlertView[] }>('/api/v1/alerts?limit=200')).items;
  }

  /** Alerts as Prometheus sees them now (pending or firing). */
  async promAlerts(): Promise<PromAlert[]> {
    const res = await fetch(`${this.prometheus.url}/api/v1/alerts`);
    return ((await res.json()) as { data: { alerts: PromAlert[] } }).data.alerts;
  }

  /** One instant query; NaN when it returns nothing. */
  async query(promql: string): Promise<number> {
    const res = await fetch(`${this.prometheus.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
    return body.data.result.length ? Number(body.data.result[0]!.value[1]) : Number.NaN;
  }

  /** Sets the load (POST /sandbox/load, as a person or the demo would). */
  async load(body: Record<string, unknown>): Promise<void> {
    const res = await fetch(`${this.cluster.url}/sandbox/load`, { method: 'POST', body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`POST /sandbox/load: ${res.status} ${await res.text()}`);
    this.note('load', `load set: ${JSON.stringify(body)}`);
  }

  replicas(kind: 'Deployment', name: string): { spec: number; ready: number } {
    const d = this.cluster.get('apps/v1', kind, 'ci', name);
    const spec = (d?.spec as { replicas?: number } | undefined)?.replicas ?? 0;
    const ready = (d?.status as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0;
    return { spec, ready };
  }

  hpa(): { min: number; max: number } {
    const h = this.cluster.get('autoscaling/v2', 'HorizontalPodAutoscaler', 'ci', 'ci-failure-agent');
    const spec = h?.spec as { minReplicas: number; maxReplicas: number };
    return { min: spec.minReplicas, max: spec.maxReplicas };
  }

  /** Writes to the API server (what the service changed), in order. */
  writes(): LoopRequest[] {
    return this.cluster.requests().filter((r) => ['patch', 'update', 'create', 'delete'].includes(r.verb) && r.resource !== 'events' && r.resource !== 'leases');
  }

  /** Polls every part and records each change as a timeline line. */
  startWatching(everyMs = 250): void {
    const tick = async (): Promise<void> => {
      try {
        await this.observe();
      } catch {
        // a part that does not answer yet: look again next time
      }
    };
    this.watcher = setInterval(() => {
      this.watching = this.watching.then(tick);
    }, everyMs);
  }

  private async observe(): Promise<void> {
    const w = this.cluster.workload.snapshot();
    const load = `rps ${Math.round(w.load.rps)}, messages ${Math.round(w.load.messagesPerSecond)}/s`;
    if (load !== this.seen.load) {
      this.seen.load = load;
      this.note('load', `offered load ${load}; CPU/pod ${w.api.cpuPerPod.toFixed(2)}, queue ${Math.round(w.queue.depth)}, errors ${(w.api.errorRatio * 100).toFixed(1)}%`);
    }
    const alerts = await this.promAlerts();
    this.rememberActiveAt(alerts);
    const now = new Map(alerts.map((a) => [`${a.labels.alertname}{${a.labels.pod ?? a.labels.queue ?? a.labels.instance ?? ''}}`, a.state]));
    for (const [key, state] of now) if (this.seen.alerts.get(key) !== state) this.note('alert', `${key} ${state}`);
    for (const key of this.seen.alerts.keys()) if (!now.has(key)) this.note('alert', `${key} resolved (inactive in Prometheus)`);
    this.seen.alerts = now;
    for (const r of (await this.remediations()).reverse()) {
      for (const t of r.transitions) {
        const key = `${r.id}|${t.to}|${t.at}`;
        if (this.seen.transitions.has(key)) continue;
        this.seen.transitions.add(key);
        if (t.from === null) this.note('decision', `${r.phase === 'skipped' ? `skip (${r.decision.reason})` : 'act'} [${r.rule ?? '-'} ${r.origin}] ${r.decision.explanation}`);
        else this.note('phase', `remediation ${r.id.slice(0, 8)} ${t.from} -> ${t.to}: ${t.note}`);
      }
    }
    const api = this.replicas('Deployment', 'ci-failure-agent');
    const consumers = this.replicas('Deployment', 'ci-failure-agent-consumer');
    const hpa = this.hpa();
    const replicas = `api ${api.ready}/${api.spec} (HPA ${hpa.min}..${hpa.max}), consumers ${consumers.ready}/${consumers.spec}`;
    if (replicas !== this.seen.replicas) {
      this.seen.replicas = replicas;
      this.note('replicas', replicas);
    }
    const writes = this.writes();
    for (const r of writes.slice(this.seen.requests)) this.note('api', `${r.verb} ${r.resource}${r.subresource ? `/${r.subresource}` : ''} ${r.name ?? ''} → ${r.code}`);
    this.seen.requests = writes.length;
  }

  /**
   * Alert-to-scale for the acting remediation of `rule`: Prometheus' activeAt, the
   * webhook's startsAt, the service's receivedAt and transitions, and the sandbox's
   * request log entry of the write that followed.
   */
  async measure(alertname: string, rule: string, write: { resource: string; name: string }, nth = 0): Promise<Measurement> {
    const rems = (await this.remediations()).filter((r) => r.rule === rule && r.decision.outcome === 'act' && r.origin === 'alert').reverse();
    const rem = rems[nth];
    if (!rem?.alertId) throw new Error(`no acting remediation #${nth} of rule ${rule}`);
    const alert = await this.admin<{ alert: StoredAlertView }>(`/api/v1/alerts/${rem.alertId}`);
    const first = rem.transitions.find((t) => t.to === 'planned')!;
    const applying = rem.transitions.find((t) => t.to === 'applying')!;
    const request = this.cluster.requests().find(
      (r) => (r.verb === 'patch' || r.verb === 'update') && r.resource === write.resource && r.name === write.name && Date.parse(r.time) >= Date.parse(applying.at),
    );
    if (!request) throw new Error(`no ${write.resource} write to ${write.name} after ${applying.at}`);
    // The episode's activeAt: the latest one Prometheus showed for this alert before it fired.
    const seen = [...(this.activeAt.get(alertname) ?? [])].filter((a) => Date.parse(a) <= Date.parse(alert.alert.startsAt)).sort();
    const activeAt = seen.at(-1);
    if (!activeAt) throw new Error(`Prometheus was never seen with ${alertname} pending before ${alert.alert.startsAt}`);
    const m: Measurement = {
      alertname,
      activeAt,
      firingAt: alert.alert.startsAt,
      receivedAt: alert.alert.receivedAt,
      plannedAt: first.at,
      applyingAt: applying.at,
      requestAt: request.time,
      request: `${request.verb} ${request.resource}${request.subresource ? `/${request.subresource}` : ''} ${request.name ?? ''}`,
      activeToRequestMs: ms(activeAt, request.time),
      firingToRequestMs: ms(alert.alert.startsAt, request.time),
      deliveryMs: ms(alert.alert.startsAt, alert.alert.receivedAt),
      ownMs: ms(alert.alert.receivedAt, request.time),
      ownParts: { decideMs: ms(alert.alert.receivedAt, first.at), baselineMs: ms(first.at, applying.at), applyMs: ms(applying.at, request.time) },
    };
    this.note('note', `measured ${alertname}: active → scale request ${m.activeToRequestMs} ms (firing → request ${m.firingToRequestMs} ms; Alertmanager delivery ${m.deliveryMs} ms; autoremediator's own ${m.ownMs} ms = decide ${m.ownParts.decideMs} + planned→applying ${m.ownParts.baselineMs} + apply ${m.ownParts.applyMs})`);
    return m;
  }

  /** Every Prometheus activeAt seen, by alertname. */
  private readonly activeAt = new Map<string, Set<string>>();

  private rememberActiveAt(alerts: readonly PromAlert[]): void {
    for (const a of alerts) {
      const name = a.labels.alertname ?? '';
      if (!this.activeAt.has(name)) this.activeAt.set(name, new Set());
      this.activeAt.get(name)!.add(a.activeAt);
    }
  }

  /** Waits until Prometheus has the alert pending or firing, remembering its activeAt. */
  async waitForAlert(alertname: string, state: 'pending' | 'firing', timeoutMs = 60_000): Promise<PromAlert> {
    let found: PromAlert | undefined;
    await waitFor(
      `${alertname} ${state} in Prometheus`,
      async () => {
        const alerts = await this.promAlerts();
        this.rememberActiveAt(alerts);
        found = alerts.find((a) => a.labels.alertname === alertname && (state === 'pending' || a.state === 'firing'));
        return found !== undefined;
      },
      timeoutMs,
      100,
    );
    return found!;
  }

  async waitForAlertGone(alertname: string, timeoutMs = 60_000): Promise<void> {
    await waitFor(`${alertname} inactive in Prometheus`, async () => !(await this.promAlerts()).some((a) => a.labels.alertname === alertname), timeoutMs, 200);
  }

  /** Waits for a remediation matching `pred` and returns it. */
  async waitForRemediation(what: string, pred: (r: RemediationView) => boolean, timeoutMs = 60_000): Promise<RemediationView> {
    let found: RemediationView | undefined;
    await waitFor(
      what,
      async () => {
        found = (await this.remediations()).find(pred);
        return found !== undefined;
      },
      timeoutMs,
      200,
    );
    return found!;
  }

  /** The timeline as text, one line per event. */
  timelineText(): string {
    return this.timeline.map((e) => `+${(e.t / 1000).toFixed(1).padStart(6)}s  ${e.kind.padEnd(8)} ${e.text}`).join('\n');
  }

  /** Stops watching after one last look, then reports. */
  async finish(extra: Record<string, unknown> = {}): Promise<string> {
    if (this.watcher) clearInterval(this.watcher);
    this.watcher = undefined;
    await this.watching;
    await this.observe().catch(() => undefined);
    return this.report(extra);
  }

  /** Writes the timeline and measurements to RESULTS_DIR and prints the timeline. */
  report(extra: Record<string, unknown> = {}): string {
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = join(RESULTS_DIR, `${this.name}.json`);
    writeFileSync(file, `${JSON.stringify({ scenario: this.name, startedAt: new Date(this.startedAt).toISOString(), ...extra, timeline: this.timeline }, null, 2)}\n`);
    writeFileSync(join(RESULTS_DIR, `${this.name}.txt`), `${this.timelineText()}\n`);
    console.log(`${this.name} (results in ${file})\n${this.timelineText()}${Object.keys(extra).length ? `\n${JSON.stringify(extra, null, 2)}` : ''}`);
    return file;
  }

  async close(): Promise<void> {
    if (this.watcher) clearInterval(this.watcher);
    await this.watching;
    this.service.cli.kill('SIGTERM');
    await this.service.cli.exited;
    await this.prometheus.stop();
    for (const am of this.alertmanagers) await am.stop();
    await this.cluster.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The service's output, for a failing test's message. */
  serviceLog(): string {
    return this.service.cli.output().slice(-6000);
  }
}

/**
 * A server binary on a port chosen beforehand (Prometheus' address must be known
 * to the service before Prometheus can start: it notifies Alertmanager, which
 * notifies the service). Stopped by its pid.
 */
function startServerAt(bin: string, port: number, args: (dir: string) => string[], files: Record<string, string>, readyPath: string): Promise<RunningBinary> {
  return startBinary(bin, (dir) => args(dir), files, readyPath, { port, readyTimeoutMs: 30_000 });
}

function startAlertmanager(config: string, cluster: { listen: number; peers: number[] } | null): Promise<RunningBinary> {
  return startBinary(
    'prometheus-alertmanager',
    (dir, port) => [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.external-url=http://127.0.0.1:${port}`,
      ...(cluster
        ? [
            `--cluster.listen-address=127.0.0.1:${cluster.listen}`,
            `--cluster.advertise-address=127.0.0.1:${cluster.listen}`,
            ...cluster.peers.map((p) => `--cluster.peer=127.0.0.1:${p}`),
            // A peer waits position × peer-timeout before it flushes and then skips what the
            // notification log (gossiped) says was sent. With 0 both flush at once, before the
            // gossip arrives: both deliver, as peers do whenever gossip lags. The service must
            // absorb the duplicate.
            '--cluster.peer-timeout=0s',
            '--cluster.gossip-interval=100ms',
            '--cluster.pushpull-interval=1s',
          ]
        : ['--cluster.listen-address=']),
      '--log.level=debug',
    ],
    { 'alertmanager.yml': config },
    '/-/ready',
  );
}

/** Scrape and rule evaluation interval of the loop's Prometheus. */
export const SCRAPE_INTERVAL = '500ms';

/** Starts the whole loop; on a failure everything already started is stopped. */
export async function startLoop(opts: LoopOptions): Promise<Loop> {
  const dir = mkdtempSync(join(tmpdir(), `e2e-loop-${opts.name}-`));
  const stops: Array<() => Promise<void>> = [];
  try {
    let sandbox: SandboxApi | undefined;
    let cluster: LoopCluster;
    if (opts.on === 'control-plane') cluster = await controlPlaneCluster(opts.workload);
    else ({ cluster, sandbox } = await sandboxCluster(opts.workload));
    stops.push(() => cluster.close());

    const rulesDir = join(dir, 'rules');
    mkdirSync(rulesDir);
    writeFileSync(join(rulesDir, 'ci-failure-agent.yaml'), fastRuleTable(readFileSync(join(REPO_ROOT, 'rules', 'ci-failure-agent.yaml'), 'utf8')));

    const promPort = await freePort();
    const cli = startCli(['serve'], {
      PORT: '0',
      HOST: '127.0.0.1',
      ...cluster.serviceEnv,
      PROMETHEUS_URL: `http://127.0.0.1:${promPort}`,
      WEBHOOK_TOKEN: e2eWebhookToken(),
      ADMIN_TOKEN,
      DATABASE_URL: `sqlite:${join(dir, 'service.db')}`,
      RULES_DIR: rulesDir,
      ALLOWED_NAMESPACES: 'ci',
      READINESS_POLL_MS: '100',
      RESTORE_SCHEDULE: '* * * * * *',
      LOG_LEVEL: 'info',
      ...opts.serviceEnv,
    });
    stops.push(async () => {
      cli.kill('SIGTERM');
      await cli.exited;
    });
    const line = await cli.waitForLine(/autoremediator listening/, 30_000);
    const serviceUrl = (JSON.parse(line) as { url: string }).url;

    const amConfig = alertmanagerE2eConfig(serviceUrl.replace(/^http:\/\//, ''));
    const alertmanagers: RunningBinary[] = [];
    if (opts.haPeers) {
      const [a, b] = [await freePort(), await freePort()];
      alertmanagers.push(await startAlertmanager(amConfig, { listen: a, peers: [b] }));
      stops.push(() => alertmanagers[0]!.stop());
      alertmanagers.push(await startAlertmanager(amConfig, { listen: b, peers: [a] }));
      stops.push(() => alertmanagers[1]!.stop());
    } else {
      alertmanagers.push(await startAlertmanager(amConfig, null));
      stops.push(() => alertmanagers[0]!.stop());
    }

    const prometheus = await startServerAt(
      'prometheus',
      promPort,
      (d) => [
        `--config.file=${join(d, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(d, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        `--web.external-url=http://127.0.0.1:${promPort}`,
        '--rules.alert.resend-delay=500ms',
      ],
      {
        'prometheus.yml': prometheusConfig({
          sandbox: cluster.url.replace(/^http:\/\//, ''),
          alertmanagers: alertmanagers.map((a) => `127.0.0.1:${a.port}`),
          ruleFiles: [FILES.e2eRules],
          interval: SCRAPE_INTERVAL,
          externalLabels: { cluster: 'e2e-loop' },
        }),
      },
      '/-/ready',
    );
    const loop = new Loop(opts.name, dir, cluster, sandbox, prometheus, alertmanagers, { cli, url: serviceUrl });
    loop.note('note', `loop up: ${cluster.kind} (workload ${cluster.url}), service ${serviceUrl}, Prometheus ${prometheus.url}, Alertmanager ${alertmanagers.map((a) => a.url).join(' + ')}`);
    return loop;
  } catch (err) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
