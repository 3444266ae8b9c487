/**
 * RBAC preflight, the pure half: which verbs on which resources, in which namespaces, the loaded
 * rules need (what their action kinds send), and the report of what the API server answered to a
 * SelfSubjectAccessReview for each (actions/access.ts asks). Used by `autoremediator check
 * --cluster`, the startup log line and `/readyz` detail.
 */
import type { Rule } from '../rule-table/rule.js';

const hasTemplate = (s: string): boolean => s.includes('{{');

/** One permission a rule needs. `namespace` '' means every namespace (ALLOWED_NAMESPACES=* with a templated namespace). */
export interface NeededPermission {
  verb: string;
  /** The kind it is about, resolved to group/resource by discovery (actions/access.ts). */
  apiVersion: string;
  kind: string;
  subresource?: string;
  namespace: string;
  /** The rules that need it. */
  rules: string[];
  /** Needed only in some cases (e.g. a KEDA ScaledObject owning the HPA): reported, never a failure. */
  onlyWhen?: string;
}

const HPA = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' };
const EVENT = { apiVersion: 'v1', kind: 'Event' };

type Need = Omit<NeededPermission, 'namespace' | 'rules'>;

/** What one action kind sends for a target of this kind (see the RBAC-from-calls test, test/integration/kube/rbac.test.ts). */
function needsOf(rule: Rule, apiVersion: string, kind: string): Need[] {
  const t = { apiVersion, kind };
  const common: Need[] = [{ verb: 'patch', ...t }, { verb: 'create', ...EVENT }];
  const from: Need[] =
    rule.target.from === 'Pod'
      ? [{ verb: 'get', apiVersion: 'v1', kind: 'Pod' }, { verb: 'get', apiVersion: 'apps/v1', kind: 'ReplicaSet' }]
      : rule.target.from === 'HorizontalPodAutoscaler'
        ? [{ verb: 'get', ...HPA }]
        : [];
  switch (rule.action.type) {
    case 'scale':
      return [...from, { verb: 'get', ...t, subresource: 'scale' }, { verb: 'update', ...t, subresource: 'scale' }, { verb: 'list', ...HPA }, { verb: 'get', ...t }, ...common];
    case 'hpa':
      return [
        ...from,
        { verb: 'get', ...t },
        { verb: 'list', ...HPA },
        { verb: 'get', ...HPA },
        { verb: 'patch', ...HPA },
        ...common,
        { verb: 'get', apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', onlyWhen: 'a KEDA ScaledObject owns the HPA' },
        { verb: 'patch', apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', onlyWhen: 'a KEDA ScaledObject owns the HPA' },
      ];
    case 'resources':
      return [...from, { verb: 'get', ...t }, ...common];
    case 'restart':
    case 'undo':
      return [...from, { verb: 'get', ...t }, { verb: 'list', apiVersion: 'apps/v1', kind: 'ReplicaSet' }, ...common];
    case 'redis':
      return [...from, ...(rule.action.service ? [{ verb: 'get', apiVersion: 'v1', kind: 'Service' }] : []), ...common];
  }
}

export interface PermissionPlan {
  needed: NeededPermission[];
  /** Rules whose needs could not be known without an alert (a templated kind): named, not checked. */
  unchecked: { rule: string; why: string }[];
}

/**
 * Every permission the enabled rules need in the namespaces they may act in: a rule's literal
 * namespace when it is allowed, else each allowed namespace ('' for all when ALLOWED_NAMESPACES=*).
 * A target found `from` a Pod or HPA is taken to be a Deployment (apps/v1), the common case.
 */
export function requiredPermissions(rules: readonly Rule[], allowed: readonly string[] | '*'): PermissionPlan {
  const byKey = new Map<string, NeededPermission>();
  const unchecked: PermissionPlan['unchecked'] = [];
  for (const rule of rules) {
    if (!rule.enabled) continue;
    const t = rule.target;
    const apiVersion = t.from ? 'apps/v1' : (t.apiVersion ?? '');
    const kind = t.from ? 'Deployment' : (t.kind ?? '');
    if (hasTemplate(apiVersion) || hasTemplate(kind)) {
      unchecked.push({ rule: rule.name, why: `its target kind is templated (${apiVersion} ${kind})` });
      continue;
    }
    let namespaces: string[];
    if (!hasTemplate(t.namespace)) namespaces = allowed === '*' || allowed.includes(t.namespace) ? [t.namespace] : [];
    else namespaces = allowed === '*' ? [''] : [...allowed];
    if (namespaces.length === 0) {
      unchecked.push({ rule: rule.name, why: `its namespace ${t.namespace} is not in ALLOWED_NAMESPACES: it never acts` });
      continue;
    }
    for (const need of needsOf(rule, apiVersion, kind)) {
      for (const namespace of namespaces) {
        const key = `${need.verb} ${need.apiVersion} ${need.kind} ${need.subresource ?? ''} ${namespace}`;
        const have = byKey.get(key);
        if (have) {
          if (!have.rules.includes(rule.name)) have.rules.push(rule.name);
        } else byKey.set(key, { ...need, namespace, rules: [rule.name] });
      }
    }
  }
  return { needed: [...byKey.values()], unchecked };
}

/** One permission as the API server judged it. */
export interface AccessResult {
  need: NeededPermission;
  /** The group/resource[/subresource] discovery gave, e.g. `apps/deployments/scale`, `core/events`. */
  resource: string;
  allowed: boolean;
  /** The server's reason, or why it could not be asked (a kind the server does not serve). */
  detail: string;
}

export interface AccessReport {
  ok: boolean;
  checked: number;
  missing: AccessResult[];
  /** Missing but needed only in some cases (onlyWhen). */
  missingOptional: AccessResult[];
  unchecked: PermissionPlan['unchecked'];
  at: string;
}

export function accessReport(results: readonly AccessResult[], unchecked: PermissionPlan['unchecked'], at: Date): AccessReport {
  const missing = results.filter((r) => !r.allowed && !r.need.onlyWhen);
  const missingOptional = results.filter((r) => !r.allowed && r.need.onlyWhen);
  return { ok: missing.length === 0, checked: results.length, missing, missingOptional, unchecked, at: at.toISOString() };
}

/** `patch apps/deployments in ci (rules: a, b)` */
export function describeMissing(r: AccessResult): string {
  const ns = r.need.namespace === '' ? 'all namespaces' : `namespace ${r.need.namespace}`;
  const why = r.detail ? `: ${r.detail}` : '';
  return `${r.need.verb} ${r.resource} in ${ns} (rules: ${r.need.rules.join(', ')})${r.need.onlyWhen ? `, needed when ${r.need.onlyWhen}` : ''}${why}`;
}

/** The report as `check --cluster` prints it and the startup log line says it. */
export function formatAccessReport(report: AccessReport): string {
  const lines: string[] = [];
  if (report.ok) lines.push(`RBAC: the rules' ${report.checked} permissions are all allowed`);
  else lines.push(`RBAC: ${report.missing.length} of the rules' ${report.checked} permissions missing:`);
  for (const m of report.missing) lines.push(`  missing ${describeMissing(m)}`);
  for (const m of report.missingOptional) lines.push(`  not allowed (optional) ${describeMissing(m)}`);
  for (const u of report.unchecked) lines.push(`  not checked: rule ${u.rule}: ${u.why}`);
  return lines.join('\n');
}
