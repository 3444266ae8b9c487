/**
 * Helpers for the deploy/ tests: read manifests (multi-document YAML), validate objects against
 * the Kubernetes schemas, build kustomizations with a kubectl binary, and pick objects out of
 * the result.
 *
 * Two schema checks, because each misses what the other finds:
 * - kubernetes-models (JSON Schema from the OpenAPI spec): types, required fields, enums.
 *   It accepts unknown fields, so a typo such as `readOnlyRootFileSystem` would pass, and the
 *   API server would drop the field (or reject it under strict field validation).
 * - the attribute maps of @kubernetes/client-node's models: every field must be one the API
 *   knows, recursively.
 */
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { ConfigMap, Namespace, PersistentVolumeClaim, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../../helpers/fixtures.js';

export { REPO_ROOT };
export const DEPLOY_DIR = join(REPO_ROOT, 'deploy');
export const RULES_DIR = join(REPO_ROOT, 'rules');

/** A Kubernetes object as plain data; tests read into it freely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [k: string]: any };

/** Every document of a YAML file, parsed; throws naming the file on a syntax error. */
export function parseYamlDocuments(text: string, file: string): unknown[] {
  return parseAllDocuments(text).map((doc, i) => {
    if (doc.errors.length) throw new Error(`${file} (document ${i + 1}): ${doc.errors.map((e) => e.message).join('; ')}`);
    return doc.toJS() as unknown;
  });
}

export function readObjects(file: string): K8sObject[] {
  return parseYamlDocuments(readFileSync(file, 'utf8'), relative(REPO_ROOT, file)).filter((d) => d !== null) as K8sObject[];
}

/** Files under `dir`, relative to it, sorted; `ext` filters by suffix. */
export function listFiles(dir: string, ext: string[]): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (ext.some((e) => name.endsWith(e))) out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

interface Model {
  validate(): void;
}
type ModelClass = new (data: never) => Model;

const MODELS: Record<string, ModelClass> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

/** Kinds of prometheus-operator: no schema package installed, checked by hand in observability.test.ts. */
export const CRD_KINDS = new Set(['monitoring.coreos.com/v1/ServiceMonitor', 'monitoring.coreos.com/v1/PrometheusRule']);

export const typeKey = (o: { apiVersion: string; kind: string }): string => `${o.apiVersion}/${o.kind}`;

/**
 * Problems of one built-in object: schema errors, then unknown fields. Empty when valid.
 * Throws for a kind this helper has no schema for, so that a new kind is not silently skipped.
 */
export function schemaProblems(obj: K8sObject): string[] {
  const Model = MODELS[typeKey(obj)];
  if (!Model) throw new Error(`no schema for ${typeKey(obj)} (${obj.metadata?.name}): add its kubernetes-models class to MODELS`);
  const problems: string[] = [];
  try {
    new Model(obj as never).validate();
  } catch (err) {
    problems.push((err as Error).message);
  }
  const version = obj.apiVersion.split('/').pop()!;
  const typeName = `${version[0]!.toUpperCase()}${version.slice(1)}${obj.kind}`;
  problems.push(...unknownFields(obj, typeName, ''));
  return problems;
}

interface Attribute {
  baseName: string;
  type: string;
}
type Typed = { getAttributeTypeMap(): Attribute[] };

/** Paths of fields the client-node model of `typeName` (recursively) does not know. */
export function unknownFields(value: unknown, typeName: string, path: string): string[] {
  if (value === null || value === undefined) return [];
  const array = /^Array<(.+)>$/.exec(typeName);
  if (array) return Array.isArray(value) ? value.flatMap((v, i) => unknownFields(v, array[1]!, `${path}[${i}]`)) : [];
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(typeName);
  if (map) return typeof value === 'object' ? Object.entries(value).flatMap(([k, v]) => unknownFields(v, map[1]!, `${path}.${k}`)) : [];
  const cls = (k8s as unknown as Record<string, Partial<Typed> | undefined>)[typeName];
  if (typeof cls?.getAttributeTypeMap !== 'function' || typeof value !== 'object') return [];
  const attrs = cls.getAttributeTypeMap();
  return Object.entries(value).flatMap(([key, v]) => {
    const attr = attrs.find((a) => a.baseName === key);
    return attr ? unknownFields(v, attr.type, `${path}.${key}`) : [`${path}.${key}: unknown field of ${typeName}`];
  });
}

const execFileAsync = promisify(execFile);

/** `kubectl kustomize <dir>` parsed into objects. Deprecation warnings on stderr are ignored. */
export async function kustomize(kubectl: string, dir: string): Promise<K8sObject[]> {
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync(kubectl, ['kustomize', dir], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: 30_000 }));
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`${kubectl} kustomize ${relative(REPO_ROOT, dir)} failed: ${e.stderr ?? e.message}`);
  }
  return parseYamlDocuments(stdout, `${kubectl} kustomize ${dir}`).filter((d) => d !== null) as K8sObject[];
}

/** The one object of `kind` (and `name`, when given); fails the test when there is not exactly one. */
export function one(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0]!;
}

/** The rule files of the repository's rules/ folder: name → exact content. */
export function repoRuleFiles(): Record<string, string> {
  return Object.fromEntries(
    readdirSync(RULES_DIR)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()
      .map((f) => [f, readFileSync(join(RULES_DIR, f), 'utf8')]),
  );
}

/** The files that define the service's metrics: every metrics.ts under src/ (platform, notify, …). */
export const METRICS_FILES = listFiles(join(REPO_ROOT, 'src'), ['metrics.ts']).filter((f) => f.split('/').pop() === 'metrics.ts').map((f) => join('src', f));

/** Metric names the service defines (`name: 'autoremediator_…'` in the METRICS_FILES), with their kind. */
export function definedMetrics(): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of METRICS_FILES) {
    const text = readFileSync(join(REPO_ROOT, file), 'utf8');
    for (const m of text.matchAll(/new (Counter|Gauge|Histogram|Summary)\(\{\s*name:\s*'(autoremediator_[a-z0-9_]+)'/g)) out.set(m[2]!, m[1]!);
  }
  return out;
}

/** Volume types the "restricted" Pod Security Standard allows. */
const RESTRICTED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);

/**
 * What in a pod spec the "restricted" Pod Security Standard (v1.25+) refuses, as the
 * PodSecurity admission would name it; empty when the pod is admitted. The container-level
 * fields fall back to the pod's securityContext where the standard allows it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function restrictedViolations(pod: Record<string, any>): string[] {
  const out: string[] = [];
  const psc = pod.securityContext ?? {};
  for (const f of ['hostNetwork', 'hostPID', 'hostIPC']) if (pod[f]) out.push(`${f}: true`);
  for (const v of pod.volumes ?? []) {
    const type = Object.keys(v).find((k) => k !== 'name');
    if (!type || !RESTRICTED_VOLUMES.has(type)) out.push(`volume ${v.name}: type ${type} not allowed`);
  }
  if (psc.runAsUser === 0) out.push('securityContext.runAsUser: 0');
  const seccomp = (t?: string) => t === 'RuntimeDefault' || t === 'Localhost';
  for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
    const sc = c.securityContext ?? {};
    const at = `container ${c.name}`;
    if (sc.privileged) out.push(`${at}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${at}: allowPrivilegeEscalation != false`);
    if ((sc.runAsNonRoot ?? psc.runAsNonRoot) !== true) out.push(`${at}: runAsNonRoot != true`);
    if (sc.runAsUser === 0) out.push(`${at}: runAsUser 0`);
    if (!seccomp(sc.seccompProfile?.type ?? psc.seccompProfile?.type)) out.push(`${at}: seccompProfile not RuntimeDefault or Localhost`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) out.push(`${at}: capabilities do not drop ALL`);
    const added = (sc.capabilities?.add ?? []).filter((a: string) => a !== 'NET_BIND_SERVICE');
    if (added.length) out.push(`${at}: adds capabilities ${added.join(', ')}`);
    for (const p of c.ports ?? []) if (p.hostPort) out.push(`${at}: hostPort ${p.hostPort}`);
  }
  return out;
}

const PROMQL_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/**
 * The metric names a PromQL expression selects. Strings, label matchers `{…}`, range and
 * subquery brackets `[…]` and grouping label lists are removed first; what remains as an
 * identifier not followed by `(` and not a keyword is a metric name.
 */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?/g)) {
    const [, ident, call] = m;
    if (call || PROMQL_KEYWORDS.has(ident!.toLowerCase())) continue;
    // A number's exponent or suffix (1e3, 5m) is not an identifier start; matchAll only starts at letters.
    const before = stripped[m.index - 1];
    if (before !== undefined && /[0-9.]/.test(before)) continue;
    names.add(ident!);
  }
  return [...names].sort();
}

/** True when `name` is a defined metric, or a histogram's `_bucket`/`_sum`/`_count` series. */
export function isDefinedSeries(name: string, defined: Map<string, string>): boolean {
  if (defined.has(name)) return true;
  const m = /^(.+)_(bucket|sum|count)$/.exec(name);
  return m !== null && ['Histogram', 'Summary'].includes(defined.get(m[1]!) ?? '') && (m[2] !== 'bucket' || defined.get(m[1]!) === 'Histogram');
}
