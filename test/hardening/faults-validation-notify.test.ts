/**
 * Faults after the action and around it. Prometheus down, hanging, slow, empty,
 * erroring or answering garbage during validation: the real PrometheusSource over
 * HTTP against a local stand-in; every such case is `inconclusive`, and the rule's
 * onInconclusive decides between keeping the change and rolling it back. Slack down,
 * throttling or hanging: not one remediation outcome differs from a run without Slack.
 */
import { ACTION_KINDS } from '../../src/actions/registry.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import request from 'supertest';
import { ClusterValidator } from '../../src/validation/validator.js';
import { PrometheusSource } from '../../src/validation/prometheus.js';
import { systemClock } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { referenceCluster } from '../helpers/fake-cluster.js';
import { fixture } from '../helpers/fixtures.js';
import { SlackStandIn } from '../integration/notify/slack-stand-in.js';
import { HOOK, allRemediations, buildApp, passingValidator, quiesce, rulesDir } from './helpers.js';

type PromMode = 'ok' | 'slow' | 'high' | 'down' | 'hang' | 'empty' | 'error' | 'garbage' | 'nan';

/** Answers /api/v1/query as Prometheus would, or fails in one of the ways Prometheus does. */
class PrometheusStandIn {
  private readonly hanging: ServerResponse[] = [];
  queries = 0;
  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly mode: PromMode,
  ) {}

  static async start(mode: PromMode): Promise<PrometheusStandIn> {
    const holder: { p?: PrometheusStandIn } = {};
    const server = createServer((req, res) => holder.p?.handle(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    holder.p = new PrometheusStandIn(server, url, mode);
    // Down: the port was ours a moment ago and nothing listens on it now (connection refused).
    if (mode === 'down') await holder.p.close();
    return holder.p;
  }

  private handle(_req: IncomingMessage, res: ServerResponse): void {
    this.queries++;
    const vector = (v: string) => JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [Date.now() / 1000, v] }] } });
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    switch (this.mode) {
      case 'ok':
        return send(200, 'application/json', vector('1500'));
      case 'slow':
        setTimeout(() => send(200, 'application/json', vector('1500')), 150);
        return;
      case 'high':
        return send(200, 'application/json', vector('9000'));
      case 'hang':
        this.hanging.push(res);
        return;
      case 'empty':
        return send(200, 'application/json', JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }));
      case 'error':
        return send(503, 'application/json', JSON.stringify({ status: 'error', errorType: 'unavailable', error: 'TSDB not ready' }));
      case 'garbage':
        return send(200, 'text/html', '<html><body>502 Bad Gateway</body></html>');
      case 'nan':
        return send(200, 'application/json', vector('NaN'));
      case 'down':
        return;
    }
  }

  async close(): Promise<void> {
    for (const r of this.hanging.splice(0)) r.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

const rules = (onInconclusive: 'keep' | 'rollback'): string => `rules:
  - name: queue-add-consumers
    matchers: ['alertname="QueueDepthHigh"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: "{{ $labels.namespace }}", name: ci-failure-agent-consumer }
    action: { type: scale, minReplicas: 2, maxReplicas: 12, policies: [{ type: Pods, value: 2, periodSeconds: 120 }] }
    cooldown: 10m
    validate:
      rolloutTimeout: 2s
      onInconclusive: ${onInconclusive}
      checks:
        - name: queue-depth
          query: 'max(queue_depth{queue="{{ $labels.queue }}"})'
          below: 5000
          interval: 10ms
          count: 2
          consecutiveErrorLimit: 1
`;

describe('Prometheus during validation (real PrometheusSource, HTTP stand-in, 500 ms timeout)', () => {
  test.each<[PromMode, 'keep' | 'rollback', 'succeeded' | 'rolled_back', 'passed' | 'failed' | 'inconclusive']>([
    // healthy answers below the threshold: passed
    ['ok', 'keep', 'succeeded', 'passed'],
    // slow but inside the timeout: still passed
    ['slow', 'keep', 'succeeded', 'passed'],
    // a real failure (above the threshold) rolls back whatever onInconclusive says
    ['high', 'keep', 'rolled_back', 'failed'],
    // nothing listening
    ['down', 'keep', 'succeeded', 'inconclusive'],
    ['down', 'rollback', 'rolled_back', 'inconclusive'],
    // accepts the connection, never answers: the timeout makes it an error
    ['hang', 'keep', 'succeeded', 'inconclusive'],
    ['hang', 'rollback', 'rolled_back', 'inconclusive'],
    // no data for the query
    ['empty', 'keep', 'succeeded', 'inconclusive'],
    ['empty', 'rollback', 'rolled_back', 'inconclusive'],
    // an error answer
    ['error', 'keep', 'succeeded', 'inconclusive'],
    ['error', 'rollback', 'rolled_back', 'inconclusive'],
    // a proxy's HTML page instead of JSON
    ['garbage', 'keep', 'succeeded', 'inconclusive'],
    ['garbage', 'rollback', 'rolled_back', 'inconclusive'],
    // NaN is no measurement
    ['nan', 'rollback', 'rolled_back', 'inconclusive'],
  ])('Prometheus %s, onInconclusive %s → %s (validation %s)', async (mode, policy, phase, outcome) => {
    const prom = await PrometheusStandIn.start(mode);
    const cluster = referenceCluster();
    const dir = rulesDir(rules(policy));
    const validator = new ClusterValidator({ kinds: ACTION_KINDS, readObject: (x) => cluster.readObject(x), metrics: new PrometheusSource(prom.url, 500), clock: systemClock, logger: silentLogger, pollMs: 10 });
    const t = await buildApp({ cluster, validator, env: { RULES_DIR: dir } });
    try {
      await request(t.app.http).post('/api/v1/alerts').set(HOOK).send(fixture('firing-single-QueueDepthHigh').toString('utf8')).expect(202);
      await quiesce(t.app, 15_000);
      const [rem, ...rest] = await allRemediations(t.app.store);
      expect(rest).toEqual([]);
      expect({ phase: rem!.phase, outcome: (rem!.result as { validation?: { outcome?: string } }).validation?.outcome }).toEqual({ phase, outcome });
      // the cluster holds what the record says
      expect(cluster.states.get('ci/deployment/ci-failure-agent-consumer')!.replicas).toBe(phase === 'succeeded' ? 4 : 2);
      if (mode !== 'down') expect(prom.queries).toBeGreaterThan(0);
    } finally {
      await t.close();
      if (mode !== 'down') await prom.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Slack down, throttling or hanging changes no remediation outcome', () => {
  /** A small storm over the shipped rules: acts, cooldown skips, a resolved skip, a no-match. */
  const storm = ['firing-group-HighPodCPU-3-alerts', 'firing-single-QueueDepthHigh', 'firing-HighMemoryUsage', 'resolved-single-QueueDepthHigh'];

  async function outcomes(env: Record<string, string>, slack: SlackStandIn | null): Promise<string[]> {
    const t = await buildApp({ cluster: referenceCluster(), validator: passingValidator, env });
    try {
      for (const name of storm) await request(t.app.http).post('/api/v1/alerts').set(HOOK).send(fixture(name).toString('utf8')).expect(202);
      await quiesce(t.app, 15_000);
      if (slack) expect(slack.requests.length).toBeGreaterThan(0);
      const rems = await allRemediations(t.app.store);
      return rems.map((r) => `${r.rule ?? '-'} ${r.targetKey ?? '-'} ${r.phase} ${r.decision.outcome === 'skip' ? r.decision.reason : 'act'}`).sort();
    } finally {
      await t.close();
    }
  }

  let baseline: string[];
  beforeAll(async () => {
    baseline = await outcomes({}, null);
  });

  test('the baseline (no Slack) has acts and skips', () => {
    expect(baseline.some((o) => / act$/.test(o))).toBe(true);
    expect(baseline.some((o) => / cooldown$/.test(o))).toBe(true);
  });

  test.each<[string, (s: SlackStandIn) => Record<string, string>, (s: SlackStandIn) => void]>([
    ['webhook answering 500', (s) => ({ SLACK_WEBHOOK_URL: `${s.url}/services/T000/B000/secret` }), (s) => s.script(...Array.from({ length: 200 }, () => ({ status: 500, body: 'down' })))],
    [
      'webhook answering 429 with Retry-After',
      (s) => ({ SLACK_WEBHOOK_URL: `${s.url}/services/T000/B000/secret` }),
      (s) => s.script(...Array.from({ length: 200 }, () => ({ status: 429, headers: { 'Retry-After': '1' }, body: 'rate_limited' }))),
    ],
    ['webhook hanging (no answer at all)', (s) => ({ SLACK_WEBHOOK_URL: `${s.url}/services/T000/B000/secret` }), (s) => (s.hangAll = true)],
    ['bot API answering ok:false ratelimited', (s) => ({ SLACK_BOT_TOKEN: 'xoxb-hardening-not-real', SLACK_CHANNEL: '#ops', SLACK_API_URL: s.url }), (s) => s.script(...Array.from({ length: 200 }, () => ({ status: 200, body: { ok: false, error: 'ratelimited' } })))],
  ])('Slack %s: the same outcomes as without Slack', async (_name, env, fault) => {
    const slack = await SlackStandIn.start();
    try {
      fault(slack);
      const got = await outcomes({ ...env(slack), SLACK_ALLOW_HTTP: 'true', SLACK_MAX_ATTEMPTS: '3', SLACK_TIMEOUT: '200ms' }, slack);
      expect(got).toEqual(baseline);
    } finally {
      await slack.close();
    }
  });
});
