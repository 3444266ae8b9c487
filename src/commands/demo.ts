/**
 * `autoremediator sandbox --with-prometheus` (`npm run demo`): the whole loop on
 * one machine, with a live timeline a person can follow.
 *
 *   sandbox (simulated cluster + workload metrics) ← Prometheus (the e2e alert rules, 1 s)
 *   → Alertmanager (alertmanager.e2e.yml pointed here) → the service (a fast copy of rules/)
 *   → the sandbox's Kubernetes API.
 *
 * It raises the offered load so that HighPodCPU fires, then prints one line per event:
 * load, alert state, decision (with its explanation), phase, replicas, validation values,
 * outcome. Ctrl-C stops everything it started, by pid. Also `autoremediator sandbox load`:
 * change the load of a running sandbox.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { parseDocument } from 'yaml';
import { KubeCluster } from '../actions/kube-cluster.js';
import { createRedisConnector } from '../actions/redis-connector.js';
import { loadConfig } from '../config/config.js';
import { KubeClient } from '../kube/client.js';
import { serve, type Running } from '../main.js';
import { systemClock } from '../platform/clock.js';
import { ListenError, listenErrorMessage, reservePort } from '../platform/listen.js';
import { createLogger } from '../platform/logger.js';
import { loadSeed, startSandboxApi, type SandboxApi } from '../sandbox/index.js';
import { fastRuleTable, prometheusConfig } from '../sandbox/workload/index.js';
import { loadBodySchema } from '../sandbox/workload/profile.js';

/** The binaries the demo runs, with the Debian package of each and the upstream name. */
const BINARIES = [
  { names: ['prometheus'], pkg: 'prometheus' },
  { names: ['prometheus-alertmanager', 'alertmanager'], pkg: 'prometheus-alertmanager' },
] as const;

/** The first executable of `names` on PATH, or null. */
export function findOnPath(names: readonly string[], path = process.env.PATH ?? ''): string | null {
  for (const name of names) {
    for (const dir of path.split(delimiter).filter(Boolean)) {
      const file = join(dir, name);
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return null;
}

/** Where the repository's files are: from dist/src/commands/ (tsc), src/commands/ (tsx) or dist/autoremediator.mjs (the bundle). */
function packageRoot(): string {
  const candidates = ['../../..', '../..', '..'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  return candidates.find((p) => existsSync(join(p, 'alertmanager', 'alertmanager.e2e.yml'))) ?? process.cwd();
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitReady(url: string, child: ChildProcess, what: string, logFile: string): Promise<void> {
  const until = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}); see ${logFile}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`${what} was not ready at ${url} within 30 s; see ${logFile}`);
    await sleep(200);
  }
}

/** A child process whose output goes to a log file; stopped by its pid. */
interface Child {
  name: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

function startChild(name: string, bin: string, args: string[], logFile: string): Child {
  const log = createWriteStream(logFile);
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout?.pipe(log);
  proc.stderr?.pipe(log);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    name,
    proc,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      log.end();
    },
  };
}

/** alertmanager.e2e.yml with its webhook pointed at the service and carrying this run's token. */
function alertmanagerConfig(file: string, serviceAddress: string, token: string): string {
  const doc = parseDocument(readFileSync(file, 'utf8'));
  const receivers = doc.toJS() as { receivers: Array<{ name: string; webhook_configs?: unknown[] }> };
  const i = receivers.receivers.findIndex((r) => (r.webhook_configs?.length ?? 0) > 0);
  if (i < 0) throw new Error(`${file}: no receiver with a webhook`);
  doc.setIn(['receivers', i, 'webhook_configs', 0, 'url'], `http://${serviceAddress}/api/v1/alerts`);
  doc.setIn(['receivers', i, 'webhook_configs', 0, 'http_config', 'authorization', 'credentials'], token);
  return doc.toString();
}

// ---------------------------------------------------------------------------------------
// The timeline: one line per event, polled from Prometheus, the service and the sandbox.

interface PromAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
  value: string;
}

interface RemediationView {
  id: string;
  rule: string | null;
  phase: string;
  origin: string;
  decision: { outcome: 'act' | 'skip'; reason?: string; explanation: string };
  transitions: Array<{ from: string | null; to: string; at: string; note: string }>;
}

/** Short, readable numbers for the timeline. */
function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 100 ? String(Math.round(v)) : String(Number(v.toPrecision(3)));
}

/** Measured values in notes with three significant digits (0.04799920612104251 → 0.048). */
function shortNumbers(text: string): string {
  return text.replace(/\d+\.\d{4,}/g, (n) => fmt(Number(n)));
}

/** What identifies one alert of a group in a line: the pod, the queue, the instance … */
function alertSubject(a: PromAlert): string {
  return a.labels.pod ?? a.labels.queue ?? a.labels.instance ?? a.labels.namespace ?? '';
}

export class DemoTimeline {
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private alerts = new Map<string, string>();
  private readonly transitions = new Set<string>();
  private replicas = '';
  private load = '';

  constructor(
    private readonly out: (line: string) => void,
    private readonly sources: { sandbox: SandboxApi; prometheusUrl: string; serviceUrl: string; adminToken: string },
  ) {}

  line(kind: string, text: string): void {
    const t = ((Date.now() - this.started) / 1000).toFixed(1).padStart(6);
    this.out(`+${t}s  ${kind.padEnd(10)} ${text}`);
  }

  start(everyMs = 500): void {
    this.timer = setInterval(() => {
      this.chain = this.chain.then(() => this.poll()).catch(() => undefined);
    }, everyMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.chain;
  }

  private async poll(): Promise<void> {
    const { sandbox } = this.sources;
    const w = sandbox.workload.snapshot();
    // The offered load, in steps of 100 so that a ramp reads as a few lines.
    const load = `${Math.round(w.load.rps / 100) * 100}|${Math.round(w.load.messagesPerSecond / 100) * 100}`;
    if (load !== this.load) {
      this.load = load;
      const p99 = w.api.p99Seconds === null ? 'n/a' : `${Math.round(w.api.p99Seconds * 1000)} ms`;
      this.line('load', `${Math.round(w.load.rps)} req/s over ${w.api.ready} ready API pods: CPU ${fmt(w.api.cpuPerPod)} cores/pod, p99 ${p99}, 5xx ${fmt(w.api.errorRatio * 100)} %; queue ${Math.round(w.queue.depth)} (+${Math.round(w.load.messagesPerSecond)}/s)`);
    }
    await this.pollAlerts();
    await this.pollRemediations();
    const d = (name: string) => {
      const o = sandbox.get('apps/v1', 'Deployment', 'ci', name);
      return `${(o?.status as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0}/${(o?.spec as { replicas?: number } | undefined)?.replicas ?? 0}`;
    };
    const hpa = sandbox.get('autoscaling/v2', 'HorizontalPodAutoscaler', 'ci', 'ci-failure-agent')?.spec as { minReplicas?: number; maxReplicas?: number } | undefined;
    const replicas = `ci-failure-agent ${d('ci-failure-agent')} ready (HPA ${hpa?.minReplicas ?? '?'}..${hpa?.maxReplicas ?? '?'}), consumers ${d('ci-failure-agent-consumer')} ready`;
    if (replicas !== this.replicas) {
      this.replicas = replicas;
      this.line('replicas', replicas);
    }
  }

  /** Alert state by alertname: a line when the set of (alert, state) pairs changes. */
  private async pollAlerts(): Promise<void> {
    const res = await fetch(`${this.sources.prometheusUrl}/api/v1/alerts`);
    const alerts = ((await res.json()) as { data: { alerts: PromAlert[] } }).data.alerts;
    const byName = new Map<string, PromAlert[]>();
    for (const a of alerts) byName.set(a.labels.alertname ?? '', [...(byName.get(a.labels.alertname ?? '') ?? []), a]);
    const now = new Map<string, string>();
    for (const [name, list] of byName) {
      const states = list.map((a) => `${alertSubject(a)}=${a.state}`).sort().join(',');
      now.set(name, states);
      if (this.alerts.get(name) === states) continue;
      const firing = list.filter((a) => a.state === 'firing');
      const state = firing.length ? 'firing' : 'pending';
      const shown = (firing.length ? firing : list).map((a) => `${alertSubject(a)} ${fmt(Number(a.value))}`).join(', ');
      this.line('alert', `${name} ${state} (${firing.length ? firing.length : list.length}: ${shown})`);
    }
    for (const name of this.alerts.keys()) if (!now.has(name)) this.line('alert', `${name} resolved`);
    this.alerts = now;
  }

  private async pollRemediations(): Promise<void> {
    const res = await fetch(`${this.sources.serviceUrl}/api/v1/remediations?limit=100`, { headers: { Authorization: `Bearer ${this.sources.adminToken}` } });
    if (!res.ok) return;
    const items = ((await res.json()) as { items: RemediationView[] }).items.reverse();
    for (const r of items) {
      for (const t of r.transitions) {
        const key = `${r.id}|${t.to}|${t.at}`;
        if (this.transitions.has(key)) continue;
        this.transitions.add(key);
        const id = r.id.slice(-6);
        if (t.from === null) {
          const what = r.decision.outcome === 'act' ? `act${r.origin === 'restore' ? ' (restore)' : ''}` : `skip: ${r.decision.reason ?? ''}`;
          this.line('decision', `${what} [${r.rule ?? 'no rule'} #${id}] ${r.decision.explanation}`);
        } else if (t.to === 'succeeded' || t.to === 'rolled_back' || t.to === 'failed') {
          this.line('outcome', `#${id} ${t.to}: ${shortNumbers(t.note)}`);
        } else if (t.to === 'rolling_back') {
          this.line('validation', `#${id} failed, rolling back: ${shortNumbers(t.note)}`);
        } else {
          this.line('phase', `#${id} ${t.from} -> ${t.to}${t.to === 'validating' ? `: ${t.note}; checking through Prometheus` : ''}`);
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------

export interface DemoOptions {
  port: number;
  apiPort: number;
  dataDir: string;
  readyDelayMs: number;
  /** The rule table to run, made fast (every time ÷60); default the package's rules/. */
  rules?: string;
  /** Raise the offered load by itself (false: --no-load). */
  load: boolean;
  /** Stop after this many seconds. */
  stopAfterSeconds?: number;
}

/** `autoremediator sandbox --with-prometheus [options]`. Returns -1 while running (the CLI stays up). */
export async function runDemo(opts: DemoOptions): Promise<number> {
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  const found = BINARIES.map((b) => ({ ...b, path: findOnPath(b.names) }));
  const missing = found.filter((b) => b.path === null);
  if (missing.length) {
    process.stderr.write(
      `autoremediator sandbox --with-prometheus needs ${missing.map((m) => m.names.join(' or ')).join(' and ')} on PATH.\n` +
        `On Debian or Ubuntu: apt-get install -y ${missing.map((m) => m.pkg).join(' ')}\n` +
        `(or run the sandbox without Prometheus: autoremediator sandbox)\n`,
    );
    return 1;
  }
  const root = packageRoot();
  const alertRules = join(root, 'alertmanager', 'rules', 'ci-failure-agent.e2e.rules.yml');
  const amTemplate = join(root, 'alertmanager', 'alertmanager.e2e.yml');
  for (const f of [alertRules, amTemplate]) {
    if (!existsSync(f)) {
      process.stderr.write(`autoremediator sandbox --with-prometheus: ${f} is missing (the demo runs from a checkout of the repository)\n`);
      return 1;
    }
  }

  // The service's port first: a demo whose port is taken fails before it deletes the directory
  // of a demo that is running.
  const reserved = await reservePort(opts.port, '127.0.0.1', 'autoremediator demo (the service)', '--port or PORT');
  // A fresh directory each run: Prometheus' TSDB, Alertmanager's state, the service's store.
  const dir = resolve(opts.dataDir, 'demo');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'rules'), { recursive: true });
  const rulesSource = resolve(opts.rules ?? join(packageRoot(), 'rules'));
  const ruleFiles = statSync(rulesSource).isDirectory() ? readdirSync(rulesSource).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(rulesSource, f)) : [rulesSource];
  for (const f of ruleFiles) writeFileSync(join(dir, 'rules', basename(f)), fastRuleTable(readFileSync(f, 'utf8')));

  const children: Child[] = [];
  let api: SandboxApi | undefined;
  let running: Running | undefined;
  let timeline: DemoTimeline | undefined;
  let stopping: Promise<void> | undefined;
  const stopAll = (): Promise<void> =>
    (stopping ??= (async () => {
      await timeline?.stop();
      for (const c of children.reverse()) await c.stop();
      await running?.shutdown('demo stopped');
      await api?.close();
    })());

  try {
    api = await startSandboxApi({ seed: loadSeed(), port: opts.apiPort, readyDelayMs: opts.readyDelayMs }).catch((err: NodeJS.ErrnoException) => {
      throw new ListenError(listenErrorMessage(err, opts.apiPort, '127.0.0.1', 'autoremediator demo (the simulated API server)', '--api-port'), err.code, opts.apiPort, '127.0.0.1');
    });
    const kubeconfig = join(dir, 'sandbox.kubeconfig');
    await api.writeKubeconfig(kubeconfig);
    const promPort = await freePort();
    const webhookToken = `demo-webhook-${randomBytes(12).toString('hex')}`;
    const adminToken = `demo-admin-${randomBytes(12).toString('hex')}`;
    const config = loadConfig({
      ALLOWED_NAMESPACES: 'ci',
      DRY_RUN: 'false',
      LOG_LEVEL: 'info',
      // The status page's timeline: a reading of the targets every second, as the load ramps.
      STATUS_SAMPLE_INTERVAL: '1s',
      ...process.env,
      RULES_DIR: join(dir, 'rules'),
      PORT: String(opts.port),
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite:${join(dir, 'service.db')}`,
      WEBHOOK_TOKEN: webhookToken,
      ADMIN_TOKEN: adminToken,
      PROMETHEUS_URL: `http://127.0.0.1:${promPort}`,
      READINESS_POLL_MS: '200',
      RESTORE_SCHEDULE: '* * * * * *',
    });
    // The service logs to a file: the terminal is for the timeline.
    const logger = createLogger(config.logLevel, pino.destination({ dest: join(dir, 'service.log'), sync: false }));
    const cluster = new KubeCluster(new KubeClient(api.kubeConfig()), createRedisConnector(), systemClock, logger);
    running = await serve({ config, logger, cluster, signals: false, reserved });

    const amPort = await freePort();
    writeFileSync(join(dir, 'alertmanager.yml'), alertmanagerConfig(amTemplate, running.url.replace('http://', ''), webhookToken));
    mkdirSync(join(dir, 'alertmanager'));
    const am = startChild('alertmanager', found[1]!.path!, [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'alertmanager')}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      `--web.external-url=http://127.0.0.1:${amPort}`,
      '--cluster.listen-address=',
    ], join(dir, 'alertmanager.log'));
    children.push(am);
    await waitReady(`http://127.0.0.1:${amPort}/-/ready`, am.proc, 'Alertmanager', join(dir, 'alertmanager.log'));

    writeFileSync(join(dir, 'prometheus.yml'), prometheusConfig({ sandbox: api.url.replace('http://', ''), alertmanagers: [`127.0.0.1:${amPort}`], ruleFiles: [alertRules], interval: '1s' }));
    const prom = startChild('prometheus', found[0]!.path!, [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'prometheus')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      `--web.external-url=http://127.0.0.1:${promPort}`,
      '--rules.alert.resend-delay=1s',
    ], join(dir, 'prometheus.log'));
    children.push(prom);
    const promUrl = `http://127.0.0.1:${promPort}`;
    await waitReady(`${promUrl}/-/ready`, prom.proc, 'Prometheus', join(dir, 'prometheus.log'));

    const onSignal = (sig: string) => () => {
      out(`\n${sig}: stopping Prometheus (pid ${prom.proc.pid}), Alertmanager (pid ${am.proc.pid}), the service and the sandbox`);
      void stopAll().then(() => process.exit(0));
    };
    process.once('SIGINT', onSignal('SIGINT'));
    process.once('SIGTERM', onSignal('SIGTERM'));

    out(`autoremediator demo: the whole loop on 127.0.0.1 (files, logs and state in ${dir})
  service            ${running.url}   (status page: log in with the admin token ${adminToken}; rules: ${ruleFiles.join(', ')}, every time ÷60)
  simulated cluster  ${api.url}   (kubectl --kubeconfig ${kubeconfig} -n ci get deploy,hpa,pods)
  Prometheus         ${promUrl}   (pid ${prom.proc.pid}; alert rules ${alertRules})
  Alertmanager       http://127.0.0.1:${amPort}   (pid ${am.proc.pid})
Change the load while it runs:
  autoremediator sandbox load --url ${api.url} --rps 1500
  curl -sS -X POST ${api.url}/sandbox/load -d '{"messagesPerSecond": 600}'
Ctrl-C stops everything.
DEMO_READY ${JSON.stringify({ service: running.url, api: api.url, prometheus: promUrl, alertmanager: `http://127.0.0.1:${amPort}`, pids: { prometheus: prom.proc.pid, alertmanager: am.proc.pid }, adminToken, webhookToken, dataDir: dir })}
`);

    // Start the story once the workload runs: its pods become Ready after --ready-delay.
    const sandbox = api;
    for (let i = 0; i < 100 && sandbox.workload.snapshot().api.ready < 3; i++) await sleep(100);
    timeline = new DemoTimeline(out, { sandbox, prometheusUrl: promUrl, serviceUrl: running.url, adminToken });
    timeline.start();
    if (opts.load) {
      // Let Prometheus see the quiet baseline first, then ramp 300 → 900 req/s over 10 s:
      // 300 per pod on 3 pods is ≈ 0.95 cores each, above HighPodCPU's 0.8.
      await sleep(5000);
      const body = loadBodySchema.parse({ rps: 300, profile: { type: 'ramp', to: 900, durationSeconds: 10 } });
      api.workload.setLoad(body);
      timeline.line('load', 'profile: ramp from 300 to 900 req/s over 10 s (HighPodCPU fires above 0.8 cores per pod)');
    }
    if (opts.stopAfterSeconds !== undefined) {
      const seconds = opts.stopAfterSeconds;
      setTimeout(() => onSignal(`stopping after ${seconds} s`)(), seconds * 1000).unref();
    }
    return -1;
  } catch (err) {
    await stopAll();
    if (!running) reserved.server.close();
    throw err;
  }
}

export interface LoadOptions {
  url?: string;
  rps?: number;
  messagesPerSecond?: number;
  profile?: string;
  to?: number;
  durationSeconds: number;
  target?: string;
  steps?: number;
}

/** `autoremediator sandbox load --url <sandbox> [--rps N] [--messages-per-second N] [--profile step|ramp|spike --to N --duration S [--target rps|messagesPerSecond]]`. */
export async function runSandboxLoad(opts: LoadOptions): Promise<number> {
  const url = opts.url ?? process.env.SANDBOX_URL;
  if (!url) {
    process.stderr.write('autoremediator sandbox load: give --url of the sandbox API server (or SANDBOX_URL)\n');
    return 2;
  }
  const body: Record<string, unknown> = {};
  if (opts.rps !== undefined) body.rps = opts.rps;
  if (opts.messagesPerSecond !== undefined) body.messagesPerSecond = opts.messagesPerSecond;
  if (opts.profile !== undefined) {
    body.profile = { type: opts.profile, to: opts.to, durationSeconds: opts.durationSeconds, ...(opts.target ? { target: opts.target } : {}), ...(opts.steps !== undefined ? { steps: opts.steps } : {}) };
  }
  const base = url.replace(/\/$/, '');
  const res = Object.keys(body).length ? await fetch(`${base}/sandbox/load`, { method: 'POST', body: JSON.stringify(body) }) : await fetch(`${base}/sandbox/load`);
  const text = await res.text();
  (res.ok ? process.stdout : process.stderr).write(`${text}\n`);
  return res.ok ? 0 : 1;
}
