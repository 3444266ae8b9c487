import { accessReport, formatAccessReport, requiredPermissions, type AccessResult } from '../../../src/planner/permissions.js';
import type { Rule } from '../../../src/rule-table/rule.js';
import { ruleSchema } from '../../../src/rule-table/schema.js';

function rule(name: string, over: Record<string, unknown>): Rule {
  const spec = ruleSchema.parse({ name, matchers: ['alertname="X"'], target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: 'api' }, action: { type: 'scale', maxReplicas: 5 }, ...over });
  return { ...spec, source: { file: 't.yaml', index: 0 }, compiled: [] };
}

const list = (rules: Rule[], allowed: readonly string[] | '*') =>
  requiredPermissions(rules, allowed).needed.map((n) => `${n.verb} ${n.kind}${n.subresource ? `/${n.subresource}` : ''} ${n.namespace || '*'}${n.onlyWhen ? ' (optional)' : ''}`).sort();

describe('requiredPermissions: what the rules send, where they may act', () => {
  test.each<[string, Rule[], readonly string[] | '*', string[]]>([
    ['scale of a Deployment', [rule('a', {})], ['ci'], ['create Event ci', 'get Deployment ci', 'get Deployment/scale ci', 'list HorizontalPodAutoscaler ci', 'patch Deployment ci', 'update Deployment/scale ci']],
    [
      'hpa: the HPA, and the ScaledObject when KEDA owns it (optional)',
      [rule('a', { action: { type: 'hpa', ceiling: 9 } })],
      ['ci'],
      ['create Event ci', 'get Deployment ci', 'get HorizontalPodAutoscaler ci', 'get ScaledObject ci (optional)', 'list HorizontalPodAutoscaler ci', 'patch Deployment ci', 'patch HorizontalPodAutoscaler ci', 'patch ScaledObject ci (optional)'],
    ],
    ['a templated namespace: every allowed one', [rule('a', { target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: '{{ $labels.namespace }}', name: 'api' }, action: { type: 'resources', container: 'app', resource: 'cpu', factor: 2, cap: '2' } })], ['ci', 'pay'], ['create Event ci', 'create Event pay', 'get Deployment ci', 'get Deployment pay', 'patch Deployment ci', 'patch Deployment pay']],
    ['a templated namespace with ALLOWED_NAMESPACES=*: all namespaces', [rule('a', { target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: '{{ $labels.namespace }}', name: 'api' }, action: { type: 'restart' } })], '*', ['create Event *', 'get Deployment *', 'list ReplicaSet *', 'patch Deployment *']],
    ['from a Pod: pod and ReplicaSet reads', [rule('a', { target: { from: 'Pod', namespace: 'ci', name: '{{ $labels.pod }}' }, action: { type: 'undo' } })], ['ci'], ['create Event ci', 'get Deployment ci', 'get Pod ci', 'get ReplicaSet ci', 'list ReplicaSet ci', 'patch Deployment ci']],
    ['a literal namespace not allowed: nothing', [rule('a', {})], ['pay'], []],
    ['a disabled rule: nothing', [rule('a', { enabled: false })], ['ci'], []],
  ])('%s', (_n, rules, allowed, want) => {
    expect(list(rules, allowed)).toEqual(want);
  });

  test('two rules needing the same permission: one check naming both', () => {
    const needed = requiredPermissions([rule('a', {}), rule('b', {})], ['ci']).needed;
    expect(needed.find((n) => n.verb === 'update')!.rules).toEqual(['a', 'b']);
  });

  test('a templated kind is named as unchecked', () => {
    const plan = requiredPermissions([rule('a', { target: { apiVersion: 'apps/v1', kind: '{{ $labels.kind }}', namespace: 'ci', name: 'x' } })], ['ci']);
    expect(plan.needed).toEqual([]);
    expect(plan.unchecked).toEqual([{ rule: 'a', why: 'its target kind is templated (apps/v1 {{ $labels.kind }})' }]);
  });
});

describe('the report names each missing permission', () => {
  const need = (verb: string, onlyWhen?: string) => ({ verb, apiVersion: 'apps/v1', kind: 'Deployment', subresource: 'scale', namespace: 'ci', rules: ['a'], ...(onlyWhen ? { onlyWhen } : {}) });
  test.each<[string, AccessResult[], boolean, string]>([
    ['all allowed', [{ need: need('get'), resource: 'apps/deployments/scale', allowed: true, detail: '' }], true, "RBAC: the rules' 1 permissions are all allowed"],
    [
      'one missing',
      [{ need: need('get'), resource: 'apps/deployments/scale', allowed: true, detail: '' }, { need: need('update'), resource: 'apps/deployments/scale', allowed: false, detail: '' }],
      false,
      "RBAC: 1 of the rules' 2 permissions missing:\n  missing update apps/deployments/scale in namespace ci (rules: a)",
    ],
    ['an optional one missing: still ok, said', [{ need: need('patch', 'KEDA'), resource: 'keda.sh/scaledobjects', allowed: false, detail: 'no RBAC policy matched' }], true, "RBAC: the rules' 1 permissions are all allowed\n  not allowed (optional) patch keda.sh/scaledobjects in namespace ci (rules: a), needed when KEDA: no RBAC policy matched"],
  ])('%s', (_n, results, ok, text) => {
    const r = accessReport(results, [], new Date(0));
    expect(r.ok).toBe(ok);
    expect(formatAccessReport(r)).toBe(text);
  });
});
