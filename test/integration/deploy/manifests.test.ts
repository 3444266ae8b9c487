/**
 * The files under deploy/ as written (no kustomize needed): they parse, every object validates
 * against the Kubernetes schemas, the kustomizations stay within what kustomize v2.0.3 reads,
 * the rules copy is the rules/ folder, and the RBAC is exactly the least-privilege list.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import {
  CRD_KINDS,
  DEPLOY_DIR,
  REPO_ROOT,
  listFiles,
  readObjects,
  repoRuleFiles,
  schemaProblems,
  typeKey,
  unknownFields,
  type K8sObject,
} from './manifests.js';

interface Kustomization {
  resources?: string[];
  bases?: string[];
  patchesStrategicMerge?: string[];
  configMapGenerator?: Array<{ name: string; files?: string[] }>;
  [k: string]: unknown;
}

/** YAML files under deploy/, the chart's templates excepted (Go templates; helm template renders them). */
const plainYamlFiles = () => listFiles(DEPLOY_DIR, ['.yaml', '.yml']).filter((f) => !f.startsWith(join('helm', 'autoremediator', 'templates')));

const KUSTOMIZATION_DIRS = ['base', 'overlays/single', 'overlays/ha', 'observability'];
const readKustomization = (dir: string): Kustomization => parse(readFileSync(join(DEPLOY_DIR, dir, 'kustomization.yaml'), 'utf8')) as Kustomization;

/** Objects a kustomization builds from its own files and its bases (no transformation). */
function sourceObjects(dir: string): K8sObject[] {
  const k = readKustomization(dir);
  return [
    ...(k.bases ?? []).flatMap((b) => sourceObjects(relative(DEPLOY_DIR, join(DEPLOY_DIR, dir, b)))),
    ...(k.resources ?? []).flatMap((r) => readObjects(join(DEPLOY_DIR, dir, r))),
  ];
}

describe('deploy/ manifests as written', () => {
  test('every YAML file under deploy/ parses (all documents; the chart templates are Go templates, not YAML)', () => {
    const files = plainYamlFiles();
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) expect(() => readObjects(join(DEPLOY_DIR, f))).not.toThrow();
  });

  test.each(['overlays/single', 'overlays/ha'])('%s: every resource validates against the Kubernetes schema', (dir) => {
    const objects = sourceObjects(dir).filter((o) => !CRD_KINDS.has(typeKey(o)));
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) expect({ object: `${o.kind}/${o.metadata.name}`, problems: schemaProblems(o) }).toEqual({ object: `${o.kind}/${o.metadata.name}`, problems: [] });
  });

  test('secret.example.yaml validates, and no kustomization includes it', () => {
    const [secret, ...rest] = readObjects(join(DEPLOY_DIR, 'base', 'secret.example.yaml'));
    expect(rest).toEqual([]);
    expect(schemaProblems(secret!)).toEqual([]);
    for (const dir of KUSTOMIZATION_DIRS) expect(JSON.stringify(readKustomization(dir))).not.toMatch(/secret\.example/);
  });

  test('the unknown-field check finds a misspelled field (so the schema test above can fail)', () => {
    const typo = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { template: { spec: { containers: [{ name: 'c', securityContext: { readOnlyRootFileSystem: true } }] } } } };
    expect(unknownFields(typo, 'V1Deployment', '')).toEqual(['.spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem: unknown field of V1SecurityContext']);
  });

  test.each(KUSTOMIZATION_DIRS)('%s: kustomization.yaml uses only fields kustomize v2.0.3 (kubectl 1.20) reads', (dir) => {
    const k = readKustomization(dir);
    // The fields of kustomize v2.0.3's Kustomization type that these files may use.
    const known = ['namespace', 'commonLabels', 'commonAnnotations', 'namePrefix', 'resources', 'bases', 'patchesStrategicMerge', 'patchesJson6902', 'configMapGenerator', 'secretGenerator', 'generatorOptions', 'images'];
    expect(Object.keys(k).filter((key) => !known.includes(key))).toEqual([]);
    // v2.0.3 reads directories only under `bases`, files only under `resources`.
    for (const r of k.resources ?? []) expect({ r, file: statSync(join(DEPLOY_DIR, dir, r)).isFile() }).toEqual({ r, file: true });
    for (const b of k.bases ?? []) expect({ b, kustomization: existsSync(join(DEPLOY_DIR, dir, b, 'kustomization.yaml')) }).toEqual({ b, kustomization: true });
  });

  test.each(KUSTOMIZATION_DIRS)('%s: every manifest file in the directory is used (only the example Secret is not)', (dir) => {
    const k = readKustomization(dir);
    const used = new Set([...(k.resources ?? []), ...(k.patchesStrategicMerge ?? []), ...(k.configMapGenerator ?? []).flatMap((g) => g.files ?? [])]);
    const files = listFiles(join(DEPLOY_DIR, dir), ['.yaml', '.yml', '.json']).filter((f) => f !== 'kustomization.yaml' && f !== 'secret.example.yaml');
    expect(files.filter((f) => !used.has(f))).toEqual([]);
  });

  test.each(['overlays/single', 'overlays/ha'])('%s: the overlay is the base (the rule table) and one rendering of the chart, unpatched', (dir) => {
    const k = readKustomization(dir);
    expect(k.bases).toEqual(['../../base']);
    expect(k.resources).toEqual(['autoremediator.yaml']);
    expect(k.patchesStrategicMerge).toBeUndefined();
    expect(readFileSync(join(DEPLOY_DIR, dir, 'autoremediator.yaml'), 'utf8')).toMatch(/^# Rendered from deploy\/helm\/autoremediator with deploy\/helm\/kustomize\/\S+\.yaml by scripts\/render-deploy\.mjs\./);
  });

  test('no kustomization creates or labels a Namespace (a `namespace:` override would relabel the chosen one)', () => {
    for (const dir of KUSTOMIZATION_DIRS) expect({ dir, namespaces: sourceObjects(dir).filter((o) => o.kind === 'Namespace') }).toEqual({ dir, namespaces: [] });
  });

  test.each([join('base', 'rules'), join('helm', 'autoremediator', 'files', 'rules')])('deploy/%s/ is the rules/ folder byte for byte, and the generator lists every file (deploy/sync-rules.sh)', (dir) => {
    const repo = repoRuleFiles();
    expect(Object.keys(repo).length).toBeGreaterThan(0);
    const copyDir = join(DEPLOY_DIR, dir);
    const copy = Object.fromEntries(listFiles(copyDir, ['.yaml', '.yml']).map((f) => [f, readFileSync(join(copyDir, f), 'utf8')]));
    expect(copy).toEqual(repo);
    const generator = readKustomization('base').configMapGenerator?.find((g) => g.name === 'autoremediator-rules');
    expect(generator?.files).toEqual(Object.keys(repo).map((f) => `rules/${f}`));
  });

  test('every environment variable the Deployment sets is one the service reads', () => {
    const sources = ['src/config/config.ts', 'src/notify/config.ts'].map((f) => readFileSync(join(REPO_ROOT, f), 'utf8')).join('\n');
    const deployments = KUSTOMIZATION_DIRS.flatMap((dir) => listFiles(join(DEPLOY_DIR, dir), ['.yaml']).map((f) => join(DEPLOY_DIR, dir, f)))
      .filter((f) => !f.includes(`${join('base', 'rules')}`) && !f.includes('secret.example'))
      .flatMap(readObjects)
      .filter((o) => o.kind === 'Deployment');
    const containers = deployments.flatMap((d) => (d.spec?.template?.spec?.containers ?? []) as Array<{ env?: Array<{ name: string }> }>);
    const names = containers.flatMap((c) => (c.env ?? []).map((e) => e.name));
    expect(names).toEqual(expect.arrayContaining(['DRY_RUN', 'DATABASE_URL', 'ADMIN_TOKEN']));
    expect(names.filter((n) => !new RegExp(`\\b${n}\\b`).test(sources))).toEqual([]);
  });

  test('every Secret key the manifests reference is documented in secret.example.yaml', () => {
    const example = readFileSync(join(DEPLOY_DIR, 'base', 'secret.example.yaml'), 'utf8');
    const refs = plainYamlFiles()
      .map((f) => readFileSync(join(DEPLOY_DIR, f), 'utf8'))
      .flatMap((text) => [...text.matchAll(/secretKeyRef:\s*\n\s*name: (\S+)\s*\n\s*key: (\S+)/g)].map((m) => ({ secret: m[1]!, key: m[2]! })));
    expect(refs.length).toBeGreaterThanOrEqual(7);
    expect(refs.filter((r) => r.secret !== 'autoremediator')).toEqual([]);
    expect(refs.filter((r) => !new RegExp(`^#?\\s*${r.key}\\b`, 'm').test(example.replace(/^#\s+/gm, '')))).toEqual([]);
  });
});

describe.each(['overlays/single', 'overlays/ha'])('deploy/%s: least privilege', (dir) => {
  const all = readObjects(join(DEPLOY_DIR, dir, 'autoremediator.yaml'));
  const objects = all.filter((o) => o.apiVersion.startsWith('rbac.authorization.k8s.io/'));
  const role = objects.find((o) => o.kind === 'ClusterRole')!;
  const binding = objects.find((o) => o.kind === 'ClusterRoleBinding')!;

  // (verb, apiGroup, resource): exactly what the service sends. A test comparing these with
  // the requests made during the test suite keeps them honest.
  const EXPECTED: Array<{ group: string; resources: string[]; verbs: string[] }> = [
    { group: 'apps', resources: ['deployments', 'statefulsets'], verbs: ['get', 'patch'] }, // read targets; annotations, resources, restart/undo
    { group: 'apps', resources: ['deployments/scale', 'statefulsets/scale'], verbs: ['get', 'update'] }, // the scale subresource
    { group: 'apps', resources: ['replicasets'], verbs: ['get', 'list'] }, // revisions for undo and readiness; pod → ReplicaSet → Deployment
    { group: '', resources: ['pods'], verbs: ['get'] }, // the pod an alert names → its controller (target.from: Pod)
    { group: 'postgresql.cnpg.io', resources: ['clusters'], verbs: ['get', 'patch'] }, // CloudNativePG Cluster, annotation
    { group: 'postgresql.cnpg.io', resources: ['clusters/scale'], verbs: ['get', 'update'] }, // database instances
    { group: 'autoscaling', resources: ['horizontalpodautoscalers'], verbs: ['get', 'list', 'patch'] }, // find the HPA; min/max; the HPA an alert names → scaleTargetRef
    { group: 'keda.sh', resources: ['scaledobjects'], verbs: ['get', 'patch'] }, // an HPA a KEDA ScaledObject owns: its minReplicaCount/maxReplicaCount
    { group: '', resources: ['events'], verbs: ['create'] }, // an Event per transition
    { group: '', resources: ['services'], verbs: ['get'] }, // the Redis Service a redis rule names
    { group: '', resources: ['resourcequotas'], verbs: ['list'] }, // guards.quota: the namespace's ResourceQuotas
  ];
  const triples = (rules: Array<{ group: string; resources: string[]; verbs: string[] }>) =>
    rules.flatMap((r) => r.resources.flatMap((res) => r.verbs.map((v) => `${v} ${r.group || '""'} ${res}`))).sort();

  test('one ClusterRole and one ClusterRoleBinding, no other RBAC object', () => {
    expect(objects.map((o) => o.kind)).toEqual(['ClusterRole', 'ClusterRoleBinding']);
  });

  test('the ClusterRole grants exactly the expected (verb, apiGroup, resource) triples', () => {
    const rules = (role.rules as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>).map((r) => ({ group: r.apiGroups[0]!, resources: r.resources, verbs: r.verbs }));
    expect(triples(rules)).toEqual(triples(EXPECTED));
  });

  test('simple form: one apiGroup per rule, each apiGroup + resource set once, no wildcards, names or URLs', () => {
    const rules = role.rules as Array<Record<string, string[]>>;
    for (const r of rules) {
      expect(Object.keys(r).sort()).toEqual(['apiGroups', 'resources', 'verbs']);
      expect(r.apiGroups).toHaveLength(1);
      expect([...r.apiGroups!, ...r.resources!, ...r.verbs!].filter((s) => s.includes('*'))).toEqual([]);
    }
    const sets = rules.map((r) => `${r.apiGroups![0]}:${[...r.resources!].sort().join(',')}`);
    expect(new Set(sets).size).toBe(sets.length);
  });

  test('the binding gives the ClusterRole to the service account the Deployment runs as', () => {
    const deployment = all.find((o) => o.kind === 'Deployment')!;
    const sa = all.find((o) => o.kind === 'ServiceAccount')!;
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name });
    // The subject names the ServiceAccount's namespace as written in the file, so that kustomize
    // (v5 too) moves it along under a `namespace:` override.
    expect(sa.metadata.namespace).toBe(readKustomization(dir).namespace);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace }]);
    expect(deployment.spec.template.spec.serviceAccountName).toBe(sa.metadata.name);
  });

});

describe('deploy/sync-rules.sh', () => {
  let tmp: string;
  beforeEach(() => {
    // A scratch copy of the layout the script expects: <root>/rules and <root>/deploy/base.
    tmp = mkdtempSync(join(tmpdir(), 'sync-rules-'));
    mkdirSync(join(tmp, 'deploy', 'base', 'rules'), { recursive: true });
    mkdirSync(join(tmp, 'deploy', 'helm', 'autoremediator', 'files', 'rules'), { recursive: true });
    mkdirSync(join(tmp, 'rules'));
    copyFileSync(join(DEPLOY_DIR, 'sync-rules.sh'), join(tmp, 'deploy', 'sync-rules.sh'));
    copyFileSync(join(DEPLOY_DIR, 'base', 'kustomization.yaml'), join(tmp, 'deploy', 'base', 'kustomization.yaml'));
    for (const [name, text] of Object.entries(repoRuleFiles())) writeFileSync(join(tmp, 'rules', name), text);
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  const run = () => execFileSync('sh', [join(tmp, 'deploy', 'sync-rules.sh')], { encoding: 'utf8' });
  const generated = () => (parse(readFileSync(join(tmp, 'deploy', 'base', 'kustomization.yaml'), 'utf8')) as Kustomization).configMapGenerator![0]!.files;

  test('copies a new rule file and lists it; drops a removed one from both', () => {
    writeFileSync(join(tmp, 'rules', 'a-extra.yml'), 'rules: []\n');
    writeFileSync(join(tmp, 'deploy', 'base', 'rules', 'stale.yaml'), 'rules: []\n');
    writeFileSync(join(tmp, 'deploy', 'helm', 'autoremediator', 'files', 'rules', 'stale.yaml'), 'rules: []\n');
    run();
    const names = ['a-extra.yml', ...Object.keys(repoRuleFiles())].sort();
    expect(listFiles(join(tmp, 'deploy', 'base', 'rules'), ['.yaml', '.yml'])).toEqual(names);
    expect(listFiles(join(tmp, 'deploy', 'helm', 'autoremediator', 'files', 'rules'), ['.yaml', '.yml'])).toEqual(names);
    expect(readFileSync(join(tmp, 'deploy', 'helm', 'autoremediator', 'files', 'rules', 'a-extra.yml'), 'utf8')).toBe('rules: []\n');
    expect(readFileSync(join(tmp, 'deploy', 'base', 'rules', 'a-extra.yml'), 'utf8')).toBe('rules: []\n');
    expect(generated()).toEqual(names.map((n) => `rules/${n}`));
  });

  test('on the repository as it is, changes nothing in the kustomization', () => {
    run();
    expect(readFileSync(join(tmp, 'deploy', 'base', 'kustomization.yaml'), 'utf8')).toBe(readFileSync(join(DEPLOY_DIR, 'base', 'kustomization.yaml'), 'utf8'));
  });

  test('the script in the repository is executable', () => {
    expect(statSync(join(DEPLOY_DIR, 'sync-rules.sh')).mode & 0o111).not.toBe(0);
  });
});
