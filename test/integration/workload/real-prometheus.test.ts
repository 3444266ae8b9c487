/**
 * The simulated workload through a real Prometheus evaluating the e2e alert rules
 * (alertmanager/rules/ci-failure-agent.e2e.rules.yml): every alert the rules define
 * can fire from the simulated series; each firing alert carries the labels its
 * autoremediator rule templates need; and every validation query of rules/ returns
 * exactly one value, as the validator requires. `promtool check metrics` accepts
 * every exposition.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describeWithBinaries, startPrometheus, waitFor, type RunningBinary } from '../../helpers/binaries.js';
import { REPO_ROOT } from '../../helpers/fixtures.js';
import { FILES, readAlertingRules } from '../alertmanager/configs.js';
import { loadSeed, startSandboxApi, type SandboxApi } from '../../../src/sandbox/index.js';
import { fastRuleTable, prometheusConfig, SANDBOX_SCRAPE_JOBS } from '../../../src/sandbox/workload/index.js';
import { ruleFileSchema } from '../../../src/rule-table/schema.js';
import { renderTarget, renderValue } from '../../../src/rule-table/templates.js';
import { PrometheusSource } from '../../../src/validation/prometheus.js';

/** Lint findings that the real exporters' own names draw too (the alert rules use these names). */
const KNOWN_LINT = [/^cnpg_backends_total non-counter metrics should not have "_total" suffix$/];

interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
}

describeWithBinaries({ prometheus: 'prometheus', promtool: 'prometheus' }, 'the simulated workload through a real Prometheus', () => {
  let api: SandboxApi;
  let prom: RunningBinary;

  beforeAll(async () => {
    api = await startSandboxApi({ seed: loadSeed(), readyDelayMs: 100, tickMs: 20 });
    prom = await startPrometheus(prometheusConfig({ sandbox: api.url.replace('http://', ''), ruleFiles: [FILES.e2eRules], interval: '500ms' }));
  }, 60_000);

  afterAll(async () => {
    await prom?.stop();
    await api?.close();
  });

  test('promtool check metrics accepts every exposition', async () => {
    api.workload.setLoad({ rps: 900 });
    for (const job of SANDBOX_SCRAPE_JOBS) {
      const body = await (await fetch(`${api.url}${job.path}`)).text();
      const r = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
      const problems = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l !== '' && !KNOWN_LINT.some((k) => k.test(l)));
      // exit 3: lint findings only (all of them known); 1 would be a body Prometheus cannot parse
      expect({ path: job.path, code: problems.length === 0 && r.status === 3 ? 0 : r.status, problems }).toEqual({ path: job.path, code: 0, problems: [] });
    }
  });

  test("kube-state-metrics' series reach Prometheus under the labels kubernetes-mixin's alerts select", async () => {
    // KubeHpaMaxedOut's operands, as the mixin writes them (job="kube-state-metrics"), name the HPA.
    const q = 'kube_horizontalpodautoscaler_spec_max_replicas{job="kube-state-metrics", namespace="ci"}';
    let result: { metric: Record<string, string>; value: [number, string] }[] = [];
    await waitFor(q, async () => {
      const body = (await (await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as { data: { result: typeof result } };
      result = body.data.result;
      return result.length > 0;
    }, 20_000, 250);
    expect(result.map((r) => [r.metric.horizontalpodautoscaler, r.metric.namespace, r.value[1]])).toEqual([['ci-failure-agent', 'ci', '20']]);
  });

  test('every alert fires under its condition, with the labels the rule table needs; every validation query answers one value', async () => {
    // Given the whole workload under stress at once:
    // 12 API pods at 5000 req/s: 416/pod, beyond capacity (CPU at the limit, p99 at the time-out);
    // 12 × 30 + 2 × 10 connections over 2 instances of 200: 95 % (DatabaseConnectionsHigh);
    // 2000 messages/s against 2 × 150 (QueueDepthHigh); the Redis working set outgrows its
    // 256mb maxmemory (RedisMemoryPressure); the API leaks memory (HighMemoryUsage).
    const d = api.get('apps/v1', 'Deployment', 'ci', 'ci-failure-agent')!;
    api.put({ ...d, spec: { ...d.spec, replicas: 12 } });
    await waitFor('12 ready API pods', () => Promise.resolve(api.workload.snapshot().api.ready === 12), 10_000, 50);
    api.workload.setLoad({ rps: 5000, messagesPerSecond: 2000 });
    api.workload.setFaults({ memoryLeakMiBPerMinute: 3000 });

    const expected = readAlertingRules(FILES.e2eRules).map((r) => r.alert).sort();
    expect(expected).toEqual(['DatabaseConnectionsHigh', 'HighLatencyP99', 'HighMemoryUsage', 'HighPodCPU', 'QueueDepthHigh', 'RedisMemoryPressure']);
    let alerts: PromAlert[] = [];
    await waitFor(
      `all of ${expected.join(', ')} firing`,
      async () => {
        alerts = ((await (await fetch(`${prom.url}/api/v1/alerts`)).json()) as { data: { alerts: PromAlert[] } }).data.alerts;
        const firing = new Set(alerts.filter((a) => a.state === 'firing').map((a) => a.labels.alertname));
        return expected.every((n) => firing.has(n));
      },
      60_000,
      250,
    );

    // Then each rule of rules/ finds its alert, renders its target from the alert's labels,
    // and each validation query (rendered for that alert) returns exactly one finite value.
    const rules = ruleFileSchema.parse(parse(fastRuleTable(readFileSync(join(REPO_ROOT, 'rules', 'ci-failure-agent.yaml'), 'utf8')))).rules;
    const source = new PrometheusSource(prom.url, 5000);
    const results: Record<string, unknown> = {};
    for (const rule of rules) {
      const alertname = /^alertname="([^"]+)"$/.exec(rule.matchers.find((m) => m.startsWith('alertname='))!)![1]!;
      const alert = alerts.find((a) => a.labels.alertname === alertname && a.state === 'firing')!;
      expect({ rule: rule.name, service: alert.labels.service }).toEqual({ rule: rule.name, service: 'ci-failure-agent' });
      const target = renderTarget(rule.target, alert);
      expect({ rule: rule.name, ok: target.ok }).toEqual({ rule: rule.name, ok: true });
      // The action's templated fields render from the alert too: the memory rule's container
      // from cAdvisor's `container`, the Redis address from redis_exporter's `instance`.
      if (rule.action.type === 'resources') expect(renderValue(rule.action.container, alert, 'container')).toEqual({ ok: true, value: 'ci-failure-agent' });
      if (rule.action.type === 'redis') expect([rule.action.service, rule.action.address]).toEqual(['ci-failure-agent-redis', undefined]);
      for (const check of rule.validate?.checks ?? []) {
        const q = renderValue(check.query, alert, 'promql');
        if (!q.ok) throw new Error(`${rule.name}/${check.name}: ${q.message}`);
        const r = await source.query(q.value);
        results[`${rule.name}/${check.name}`] = r;
        expect({ check: `${rule.name}/${check.name}`, ok: r.ok && Number.isFinite(r.value) }).toEqual({ check: `${rule.name}/${check.name}`, ok: true });
      }
    }
    // The checks measure what the workload does: a saturated API misses the SLA and sheds load.
    expect(results['cpu-raise-hpa-floor/p99-within-sla']).toMatchObject({ ok: true, value: expect.any(Number) as number });
    expect((results['cpu-raise-hpa-floor/p99-within-sla'] as { value: number }).value).toBeGreaterThan(0.5);
    expect((results['cpu-raise-hpa-floor/error-rate'] as { value: number }).value).toBeGreaterThan(0.001);
    expect((results['cache-raise-maxmemory/cache-hit-ratio'] as { value: number }).value).toBeLessThan(0.98);
    // The CPU and database alerts name the pod they measured (cAdvisor's and CNPG's `pod`).
    expect(alerts.find((a) => a.labels.alertname === 'HighPodCPU')!.labels.pod).toMatch(/^ci-failure-agent-[a-z0-9]+-[a-z0-9]{5}$/);
    expect(alerts.find((a) => a.labels.alertname === 'DatabaseConnectionsHigh')!.labels.pod).toMatch(/^ci-failure-agent-db-[12]$/);
    // The Redis alert names the address the redis action would connect to.
    expect(alerts.find((a) => a.labels.alertname === 'RedisMemoryPressure')!.labels.instance).toBe('ci-failure-agent-redis.ci.svc:6379');
  }, 90_000);
});
