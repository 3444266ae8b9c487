/**
 * A peer side by side: prometheus-am-executor (github.com/imgix/prometheus-am-executor, built by
 * `npm run components -- am-executor` from test/cluster/am-executor) and autoremediator, in the
 * same run, on the same notifications:
 *  - intake: autocannon, 10 connections, the captured 1-alert body, requests/s and p99, for each;
 *  - the storm: 10,000 alerts for 20 Deployments (200 notifications of 50, each sent by two HA
 *    peers, in ~2 s) to each: how many commands am-executor runs, against autoremediator's scale
 *    writes at the (sandbox) API server — exactly one per target.
 * am-executor's configuration (shown in the result): one command for the storm's alerts that
 * records each run (where a real set-up would run `kubectl scale`), `max` unset (its default: no
 * limit), as its README's example; it answers a webhook once its commands have ended.
 */
import autocannon from 'autocannon';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabelSet } from '../src/domain/alert.js';
import { componentPath } from '../test/helpers/components.js';
import { deploymentNames, scaleWrites, startCluster } from './lib/cluster.js';
import { keepAliveAgent, postJson } from './lib/http.js';
import { notificationOf, singleAlertBody } from './lib/payloads.js';
import { freePort, waitFor200 } from './lib/processes.js';
import { check, runIfMain, type BenchContext, type BenchResult } from './lib/result.js';
import { count, openReadonly, startService, WEBHOOK_TOKEN } from './lib/service.js';
import { ratio, round } from './lib/stats.js';
import { spawn } from 'node:child_process';

const NAMESPACE = 'peer';
const TARGETS = 20;

const RULES = `rules:
  - name: storm-scale
    description: every BenchStorm alert scales its deployment; the cooldown makes it once per target
    matchers: ['alertname="BenchStorm"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: ${NAMESPACE}, name: "{{ $labels.deployment }}" }
    action: { type: scale, maxReplicas: 10 }
    cooldown: 1h
`;

/**
 * am-executor's configuration: for the storm's alerts, a script as its README suggests — it gets
 * the whole notification in AMX_* variables and acts on each alert's deployment (where a real
 * set-up would run `kubectl scale`, it records the run and each target it would scale).
 */
function executorConfig(port: number, runsFile: string): string {
  const perAlert = `echo run >> ${runsFile}; i=1; while [ "$i" -le "$AMX_ALERT_LEN" ]; do eval "echo \\"\\$AMX_ALERT_\${i}_LABEL_deployment\\""; i=$((i+1)); done >> ${runsFile}.targets`;
  return `listen_address: "127.0.0.1:${port}"
verbose: false
commands:
  # per alert of the notification: kubectl scale deployment "$AMX_ALERT_<n>_LABEL_deployment" --replicas=… (recorded here)
  - cmd: /bin/sh
    args: ["-c", ${JSON.stringify(perAlert)}]
    match_labels:
      alertname: BenchStorm
    notify_on_failure: true
  # the intake body's alert (QueueDepthHigh): a command per request too, as a real set-up would run
  - cmd: /bin/sh
    args: ["-c", ${JSON.stringify(`echo run >> ${runsFile}.intake`)}]
    match_labels:
      alertname: QueueDepthHigh
`;
}

async function intake(url: string, seconds: number, headers: Record<string, string>): Promise<{ requestsPerSecond: number; p50Ms: number; p99Ms: number; non2xx: number }> {
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: singleAlertBody(), connections: 10, duration: seconds }, (err: unknown, res: autocannon.Result) =>
      err ? reject(err instanceof Error ? err : new Error(JSON.stringify(err))) : resolve(res),
    );
  });
  check(r.errors === 0, `intake at ${url}: no connection errors`, `${r.errors}`);
  return { requestsPerSecond: round(r.requests.average), p50Ms: r.latency.p50, p99Ms: r.latency.p99, non2xx: r.non2xx };
}

async function storm(url: string, token: string | undefined, names: readonly string[], notifications: number): Promise<{ accepted: number; seconds: number }> {
  const startsAt = new Date(Date.now() - 60_000).toISOString();
  const peers = [keepAliveAgent(8), keepAliveAgent(8)];
  const sends: Promise<void>[] = [];
  let accepted = 0;
  const t0 = performance.now();
  for (let k = 0; k < notifications; k++) {
    const due = t0 + (k * 2000) / notifications;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const body = notificationOf(
      Array.from({ length: 50 }, (_, j): LabelSet => {
        const i = k * 50 + j;
        return { alertname: 'BenchStorm', namespace: NAMESPACE, deployment: names[i % TARGETS]!, pod: `pod-${i}`, severity: 'critical' };
      }),
      startsAt,
    );
    for (const agent of peers) {
      sends.push(
        (async () => {
          for (let attempt = 0; attempt < 30; attempt++) {
            const r = await postJson(url, body, { agent, ...(token ? { token } : {}), timeoutMs: 60_000 });
            if (r.status >= 200 && r.status < 300) {
              accepted += 1;
              return;
            }
            await new Promise((res) => setTimeout(res, Math.min(1000, 25 * 2 ** attempt)));
          }
        })(),
      );
    }
  }
  await Promise.all(sends);
  for (const a of peers) a.destroy();
  return { accepted, seconds: round((performance.now() - t0) / 1000) };
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

export async function run(ctx: BenchContext): Promise<Omit<BenchResult, 'seconds'>> {
  const bin = componentPath('am-executor');
  if (!existsSync(bin)) throw new Error(`prometheus-am-executor is not built: npm run components -- am-executor (${bin})`);
  const notifications = ctx.quick ? 20 : 200;
  const seconds = ctx.quick ? 3 : 10;
  const dir = mkdtempSync(join(tmpdir(), 'bench-peer-'));
  const runsFile = join(dir, 'runs.log');
  const port = await freePort();
  const config = executorConfig(port, runsFile);
  writeFileSync(join(dir, 'executor.yml'), config);
  const executor = spawn(bin, ['-f', join(dir, 'executor.yml')], { stdio: 'ignore' });
  const names = deploymentNames(TARGETS, 'api');
  const api = await startCluster(NAMESPACE, names, { replicas: 2, tickMs: 50, readyDelayMs: 0 });
  const svc = await startService({ rulesYaml: RULES, kubeApiUrl: api.url, env: { ALLOWED_NAMESPACES: NAMESPACE, BUDGET_PER_NAMESPACE: '100000/1h', BUDGET_GLOBAL: '100000/1h' } });
  try {
    await waitFor200(`http://127.0.0.1:${port}/_health`, 20_000, performance.now());
    // Intake, each in turn on the same body.
    const ours = await intake(`${svc.url}/api/v1/alerts`, seconds, { authorization: `Bearer ${WEBHOOK_TOKEN}` });
    const theirs = await intake(`http://127.0.0.1:${port}/`, seconds, {});
    const intakeCommands = lines(`${runsFile}.intake`).length;
    check(ours.non2xx === 0, 'autoremediator: every intake request 2xx', `${ours.non2xx}`);
    // The storm, the same 2 × notifications webhooks to each.
    const ourStorm = await storm(`${svc.url}/api/v1/alerts`, WEBHOOK_TOKEN, names, notifications);
    const theirStorm = await storm(`http://127.0.0.1:${port}/`, undefined, names, notifications);
    const commands = lines(runsFile);
    const targetActions = lines(`${runsFile}.targets`);
    // ours: wait until every first delivery is decided and no run is in flight
    const db = openReadonly(svc.dbFile);
    try {
      const until = performance.now() + 300_000;
      while (count(db, 'SELECT count(*) AS n FROM alerts WHERE duplicate_of IS NULL AND decided_at IS NULL') > 0 || count(db, "SELECT count(*) AS n FROM remediations WHERE phase IN ('planned', 'applying', 'validating', 'rolling_back')") > 0) {
        check(performance.now() < until, 'autoremediator decides the storm within 300 s');
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      db.close();
    }
    const writes = scaleWrites(api.requests).length;
    check(writes === TARGETS, `autoremediator: exactly ${TARGETS} scale writes, one per target`, `${writes}`);
    check(ourStorm.accepted === 2 * notifications, 'autoremediator accepted every storm webhook', `${ourStorm.accepted}`);
    const perTarget = new Map<string, number>();
    for (const target of targetActions) perTarget.set(target, (perTarget.get(target) ?? 0) + 1);
    return {
      name: 'peer',
      title: `prometheus-am-executor side by side: intake (1-alert body, ${seconds} s each) and a ${notifications * 50}-alert storm for ${TARGETS} targets (each notification sent by 2 HA peers)`,
      runs: 1,
      figures: {
        intake: { autoremediator: ours, amExecutor: { ...theirs, commandsRun: intakeCommands } },
        storm: {
          webhooks: 2 * notifications,
          autoremediator: { accepted: ourStorm.accepted, sendSeconds: ourStorm.seconds, scaleWrites: writes },
          amExecutor: { accepted: theirStorm.accepted, sendSeconds: theirStorm.seconds, commandsRun: commands.length, scaleCommandsOfItsScript: targetActions.length, targets: perTarget.size, perTargetMin: Math.min(...perTarget.values()), perTargetMax: Math.max(...perTarget.values()) },
        },
        amExecutorVersion: bin.split('@')[1]?.split('/')[0] ?? 'unknown',
        amExecutorConfig: config.replace(dir, '<tmp>').replace(dir, '<tmp>'),
      },
      ratios: { intakeRpsOursOverAmExecutor: ratio(ours.requestsPerSecond, theirs.requestsPerSecond), stormCommandsAmExecutorOverOurActions: ratio(commands.length, writes), stormScaleCommandsAmExecutorOverOurActions: ratio(targetActions.length, writes) },
      goals: [{ text: `in the storm, exactly one action per target (${TARGETS}) for autoremediator`, met: writes === TARGETS }],
      checks: ['every intake request of autoremediator 2xx', `exactly ${TARGETS} scale writes`, 'every storm webhook accepted by autoremediator'],
      notes: [
        'am-executor runs its command once per webhook whose alerts match, and answers when the command has ended; it stores nothing and has no notion of a target, a cooldown or an HA copy: `max` limits only how many instances with the same alert fingerprint run at once.',
        'Its commands here record each run instead of calling kubectl: the count is what a real set-up would run.',
      ],
    };
  } finally {
    executor.kill('SIGTERM');
    if (svc.child.proc.exitCode === null) await svc.child.stop(5000);
    svc.remove();
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

runIfMain(import.meta.url, run);
