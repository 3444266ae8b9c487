/**
 * `check` refuses what can never work, naming file, key (and rule, check and position for a query):
 * a target kind that can never carry its action, PromQL that Prometheus's grammar refuses,
 * durations outside Prometheus's grammar, and `from:` written beside a literal kind.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { checkRules } from '../../../src/rule-table/check.js';
import { checkPromql } from '../../../src/rule-table/promql.js';
import { TempDirs } from './helpers.js';

const temp = new TempDirs();
afterEach(() => temp.cleanup());

type RuleYaml = Record<string, unknown>;
const base = (over: RuleYaml = {}): RuleYaml => ({
  name: 'r',
  matchers: ['alertname="KubeHpaMaxedOut"'],
  target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: '{{ $labels.namespace }}', name: 'api' },
  action: { type: 'hpa', ceiling: 30 },
  ...over,
});
const withCheck = (query: string, name = 'c'): RuleYaml => base({ validate: { checks: [{ name, query, below: 1 }] } });

async function check(rule: RuleYaml): Promise<string[]> {
  const dir = await temp.make();
  await writeFile(join(dir, 'rules.yaml'), stringify({ rules: [rule] }));
  const r = await checkRules([dir]);
  return r.errors.map((e) => e.slice(dir.length + 1));
}

describe('check: a target that can never carry its action', () => {
  test.each<[string, RuleYaml, string[]]>([
    ['hpa on a Pod', base({ target: { apiVersion: 'v1', kind: 'Pod', namespace: 'ci', name: '{{ $labels.pod }}' } }), [
      'rules.yaml: rules[0].target.kind: a Pod can never carry an hpa action: a Pod has no replicas to autoscale; find its workload with target.from: Pod (pod → ReplicaSet → Deployment, or → StatefulSet)',
    ]],
    ['scale on a Pod', base({ target: { apiVersion: 'v1', kind: 'Pod', namespace: 'ci', name: 'p' }, action: { type: 'scale', maxReplicas: 5 } }), [
      'rules.yaml: rules[0].target.kind: a Pod can never carry a scale action: a Pod has no replicas to scale; find its workload with target.from: Pod (pod → ReplicaSet → Deployment, or → StatefulSet)',
    ]],
    ['hpa on the HPA the alert names (KubeHpaMaxedOut written naively)', base({ target: { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', namespace: 'ci', name: '{{ $labels.horizontalpodautoscaler }}' } }), [
      'rules.yaml: rules[0].target.kind: a HorizontalPodAutoscaler can never carry an hpa action: an hpa action raises the bounds of the HPA whose scaleTargetRef is the target, so the target is the workload, not the HPA: write target.from: HorizontalPodAutoscaler to find the workload from the HPA the alert names',
    ]],
    ['resources on an HPA', base({ target: { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', namespace: 'ci', name: 'h' }, action: { type: 'resources', container: 'c', resource: 'memory', factor: 1.5, cap: '2Gi' } }), [
      'rules.yaml: rules[0].target.kind: a HorizontalPodAutoscaler can never carry a resources action: a HorizontalPodAutoscaler has no containers: act on its scaleTargetRef with target.from: HorizontalPodAutoscaler',
    ]],
    ['undo on a StatefulSet', base({ target: { apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: 'ci', name: 's' }, action: { type: 'undo' } }), [
      'rules.yaml: rules[0].target.kind: a StatefulSet can never carry an undo action: rollout undo is implemented for apps/v1 Deployments only, not apps/v1 StatefulSet',
    ]],
    ['scale on a DaemonSet', base({ target: { apiVersion: 'apps/v1', kind: 'DaemonSet', namespace: 'ci', name: 'd' }, action: { type: 'scale', maxReplicas: 3 } }), [
      'rules.yaml: rules[0].target.kind: a DaemonSet can never carry a scale action: a DaemonSet runs one pod per node and has no replicas to scale',
    ]],
    ['newestRevisionOnly without from: Pod', base({ action: { type: 'undo', newestRevisionOnly: { within: '1h' } } }), [
      'rules.yaml: rules[0].action.newestRevisionOnly: needs target.from: Pod: the revision a crash started with is the revision of the pod the alert names',
    ]],
    ['from beside a literal kind', base({ target: { from: 'Pod', kind: 'Deployment', namespace: 'ci', name: '{{ $labels.pod }}' } }), [
      "rules.yaml: rules[0].target.kind: give either from or kind: with from: Pod, the workload's kind is read from the cluster",
    ]],
    ['neither from nor kind', base({ target: { namespace: 'ci', name: 'x' } }), [
      'rules.yaml: rules[0].target.apiVersion: is required (or find the workload with from: Pod | HorizontalPodAutoscaler)',
      'rules.yaml: rules[0].target.kind: is required (or find the workload with from: Pod | HorizontalPodAutoscaler)',
    ]],
    ['an unknown from', base({ target: { from: 'Node', namespace: 'ci', name: 'x' } }), [
      'rules.yaml: rules[0].target.from: must be one of "Pod", "HorizontalPodAutoscaler" (got "Node")',
    ]],
  ])('%s', async (_name, rule, errors) => {
    expect(await check(rule)).toEqual(errors);
  });

  test.each<[string, RuleYaml]>([
    ['hpa found from the HPA the alert names', base({ target: { from: 'HorizontalPodAutoscaler', namespace: '{{ $labels.namespace }}', name: '{{ $labels.horizontalpodautoscaler }}' } })],
    ['undo of the newest revision found from a pod', base({ target: { from: 'Pod', namespace: '{{ $labels.namespace }}', name: '{{ $labels.pod }}' }, action: { type: 'undo', newestRevisionOnly: { within: '1h' } } })],
    ['resources found from a pod, container from the alert', base({ target: { from: 'Pod', namespace: '{{ $labels.namespace }}', name: '{{ $labels.pod }}' }, action: { type: 'resources', container: '{{ $labels.container }}', resource: 'memory', factor: 1.5, cap: '2Gi' } })],
    ['scale on a custom resource (discovery decides)', base({ target: { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', namespace: 'ci', name: 'db' }, action: { type: 'scale', maxReplicas: 5 } })],
    ['a templated kind (decided when the workload is known)', base({ target: { apiVersion: 'apps/v1', kind: '{{ $labels.kind }}', namespace: 'ci', name: 'x' } })],
  ])('accepted: %s', async (_name, rule) => {
    expect(await check(rule)).toEqual([]);
  });
});

describe('check: PromQL of validation checks, with Prometheus grammar', () => {
  test.each<[string, string, string]>([
    ['a duration out of order', 'sum(rate(http_requests_total{namespace="{{ $labels.namespace }}"}[5m1h]))', 'line 1, column 69 of the query: unexpected "1h"'],
    ['an unclosed brace', 'max(queue_depth{queue="{{ $labels.queue }}"', 'line 1, column 44 of the query: unexpected end of the query'],
    ['a dangling operator on the second line', 'sum(rate(errors_total[5m]))\n  /', 'line 2, column 4 of the query: unexpected end of the query'],
    ['an unclosed string', 'max(up{job="api})', 'line 1, column 12 of the query: the string is never closed'],
    ['a misspelt function', 'rat(x[5m])', 'line 1, column 4 of the query: unexpected "("'],
  ])('%s', async (_name, query, where) => {
    expect(await check(withCheck(query, 'my-check'))).toEqual([`rules.yaml: rules[0].validate.checks[0].query: rule r, check my-check: PromQL syntax error at ${where}`]);
  });

  test.each([
    'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="{{ $labels.namespace }}"}[5m])))',
    'max(kube_horizontalpodautoscaler_spec_max_replicas{horizontalpodautoscaler="{{ $labels.horizontalpodautoscaler }}"}) - max(kube_horizontalpodautoscaler_status_current_replicas{horizontalpodautoscaler="{{ $labels.horizontalpodautoscaler }}"})',
    'sum(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", namespace="{{ $labels.namespace }}"}) or vector(0)',
    'max_over_time(up{job="api"}[1y])',
    'sum({"service.name"="{{ index $labels "service.name" }}"})',
  ])('accepted: %s', async (query) => {
    expect(await check(withCheck(query))).toEqual([]);
  });

  test('checkPromql names line and column in the query as written, templates included', () => {
    expect(checkPromql('x{a="{{ $labels.a }}"} +')).toEqual({ line: 1, column: 25, message: 'unexpected end of the query' });
    expect(checkPromql('up')).toBeNull();
  });
});

describe('check: durations follow Prometheus', () => {
  test.each<[string, RuleYaml, string[]]>([
    ['5m1h cooldown', base({ cooldown: '5m1h' }), ['rules.yaml: rules[0].cooldown: "5m1h" is not a duration (use e.g. 30s, 5m, 1h)']],
    ['1h1h restore', base({ restore: { after: '1h1h' } }), ['rules.yaml: rules[0].restore.after: "1h1h" is not a duration (use e.g. 30s, 5m, 1h)']],
    ['1y cooldown', base({ cooldown: '1y' }), []],
    ['1h30m check interval', base({ validate: { checks: [{ name: 'c', query: 'up', below: 1, interval: '1h30m' }] } }), []],
  ])('%s', async (_name, rule, errors) => {
    expect(await check(rule)).toEqual(errors);
  });
});
