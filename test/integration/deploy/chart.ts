/**
 * The Helm chart deploy/helm/autoremediator rendered with a real Helm (built from its Go module:
 * `npm run components -- helm`) for the value sets its tests check.
 *
 * For a server-side dry-run against a real kube-apiserver, call renderChartValueSets(): every
 * value set, rendered, with the namespaces that must exist first and the CRDs its objects need.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { component } from '../../helpers/components.js';
import { DEPLOY_DIR, parseYamlDocuments, type K8sObject } from './manifests.js';

const execFileAsync = promisify(execFile);

export const CHART_DIR = join(DEPLOY_DIR, 'helm', 'autoremediator');

/** One `helm template` invocation: release, namespace and values files (relative to the chart). */
export interface ChartValueSet {
  name: string;
  release: string;
  namespace: string;
  values: string[];
}

/**
 * The value sets the tests render; the values files are ci/*-values.yaml in the chart (where
 * chart-testing also looks). Release names and namespaces vary on purpose: nothing may assume
 * `autoremediator`.
 */
export const CHART_VALUE_SETS: readonly ChartValueSet[] = [
  { name: 'defaults', release: 'autoremediator', namespace: 'autoremediator', values: [] },
  { name: 'cluster', release: 'autoremediator', namespace: 'ops', values: ['ci/cluster-values.yaml'] },
  { name: 'namespaces', release: 'remediator', namespace: 'platform-tools', values: ['ci/namespaces-values.yaml'] },
  { name: 'postgresql', release: 'ar', namespace: 'sre', values: ['ci/postgresql-values.yaml'] },
  { name: 'existing-configmap', release: 'autoremediator', namespace: 'platform-tools', values: ['ci/existing-configmap-values.yaml'] },
  { name: 'inline-rules', release: 'autoremediator', namespace: 'orders-ops', values: ['ci/inline-rules-values.yaml'] },
  { name: 'monitoring', release: 'autoremediator', namespace: 'monitoring-tools', values: ['ci/monitoring-values.yaml'] },
  { name: 'prometheus-auth', release: 'autoremediator', namespace: 'sre-tools', values: ['ci/prometheus-auth-values.yaml'] },
  { name: 'prometheus-token', release: 'remediation', namespace: 'observability', values: ['ci/prometheus-token-values.yaml'] },
];

export function valueSet(name: string): ChartValueSet {
  const v = CHART_VALUE_SETS.find((s) => s.name === name);
  if (!v) throw new Error(`no chart value set ${name}`);
  return v;
}

export interface HelmResult {
  yaml: string;
  objects: K8sObject[];
}

/** Runs helm; a failure throws with Helm's stderr (which names the value or template). */
export async function helm(bin: string, args: string[]): Promise<string> {
  try {
    return (await execFileAsync(bin, args, { cwd: CHART_DIR, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: 60_000 })).stdout;
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`helm ${args.join(' ')} failed:\n${e.stderr || e.stdout || e.message}`);
  }
}

/** `helm template` of the chart for one value set (plus `--set` pairs), parsed. */
export async function helmTemplate(bin: string, v: Omit<ChartValueSet, 'name'>, set: string[] = []): Promise<HelmResult> {
  const args = ['template', v.release, '.', '--namespace', v.namespace, ...v.values.flatMap((f) => ['--values', f]), ...set.flatMap((s) => ['--set', s])];
  const yaml = await helm(bin, args);
  return { yaml, objects: parseYamlDocuments(yaml, `helm ${args.join(' ')}`).filter((d) => d !== null) as K8sObject[] };
}

export interface RenderedValueSet extends ChartValueSet, HelmResult {
  /** Namespaces that must exist before applying: the release namespace and those of the Roles. */
  namespaces: string[];
  /** CRDs (group/kind) the rendering uses: apply them first (prometheus-operator's, CloudNativePG's). */
  crds: string[];
}

/**
 * Every value set of CHART_VALUE_SETS rendered by `helm template`, for a server-side dry-run
 * (`kubectl apply --dry-run=server -f -` of `yaml`, after creating `namespaces` and `crds`).
 * Throws when Helm is not built.
 */
export async function renderChartValueSets(bin: string | null = component('helm')): Promise<RenderedValueSet[]> {
  if (!bin) throw new Error('Helm is not built: npm run components -- helm');
  const out: RenderedValueSet[] = [];
  for (const v of CHART_VALUE_SETS) {
    const r = await helmTemplate(bin, v);
    const namespaces = [...new Set([v.namespace, ...r.objects.map((o) => o.metadata.namespace).filter((n): n is string => !!n)])].sort();
    const crds = [...new Set(r.objects.filter((o) => o.apiVersion.startsWith('monitoring.coreos.com/')).map((o) => `${o.apiVersion.split('/')[0]}/${o.kind}`))].sort();
    out.push({ ...v, ...r, namespaces, crds });
  }
  return out;
}
