/**
 * `autoremediator check --cluster <rules>…`: the rule files as `check` validates them, then the
 * RBAC preflight: for every verb the rules need on their targets, in the namespaces they may act
 * in (ALLOWED_NAMESPACES), a SelfSubjectAccessReview as the identity the service runs with
 * (KUBECONFIG, KUBE_API_URL + KUBE_TOKEN, or in-cluster). Exit 0 when all are allowed, 1 naming
 * each missing permission, 2 when the cluster cannot be asked.
 */
import { checkRules, formatCheckReport } from '../rule-table/check.js';
import { loadRuleFiles } from '../rule-table/loader.js';
import { formatAccessReport } from '../planner/permissions.js';
import { clusterFromEnv } from './cluster-from-env.js';

/** ALLOWED_NAMESPACES as the service reads it: `*`, or a comma-separated list (empty: none). */
export function allowedFromEnv(value: string | undefined): readonly string[] | '*' {
  const list = (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return list.includes('*') ? '*' : list;
}

export async function runClusterCheck(paths: readonly string[], opts: { kubeconfig?: string }, out: { stdout: (s: string) => void; stderr: (s: string) => void }): Promise<number> {
  const checked = await checkRules(paths);
  const report = formatCheckReport(checked);
  // The same files as one table, as check just validated them.
  const loaded = checked.ok ? await loadRuleFiles(checked.files.map((f) => f.file)) : null;
  if (!loaded?.ok) {
    out.stderr(report);
    return 1;
  }
  out.stdout(report);
  const env = opts.kubeconfig ? { ...process.env, KUBE_API_URL: undefined, KUBECONFIG: opts.kubeconfig } : process.env;
  const { cluster, description } = clusterFromEnv(env);
  if (!cluster.reviewAccess) {
    out.stderr(`RBAC: cannot ask the cluster: ${description}\n`);
    return 2;
  }
  const allowed = allowedFromEnv(env.ALLOWED_NAMESPACES);
  if (allowed !== '*' && allowed.length === 0) {
    out.stdout('RBAC: ALLOWED_NAMESPACES is empty: no rule may act anywhere, so no permission is needed\n');
    return 0;
  }
  try {
    const access = await cluster.reviewAccess(loaded.table.rules, allowed);
    const text = `${formatAccessReport(access)}\n`;
    (access.ok ? out.stdout : out.stderr)(`cluster ${description}, namespaces ${allowed === '*' ? '*' : allowed.join(', ')}\n${text}`);
    return access.ok ? 0 : 1;
  } catch (err) {
    out.stderr(`RBAC: cannot ask the cluster (${description}): ${(err as Error).message}\n`);
    return 2;
  }
}
