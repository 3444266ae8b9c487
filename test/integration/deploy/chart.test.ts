/**
 * deploy/helm/autoremediator with a real Helm (built from its Go module): `helm lint`, then
 * `helm template` for each value set of chart.ts, every rendering parsed and checked against the
 * Kubernetes schemas, for namespaces, labels, selectors, Pod Security "restricted", the one list
 * of allowed namespaces, the store, the rule table and monitoring; values that cannot work fail
 * with a message naming the value. What the RBAC grants is compared with what the service sends
 * in test/integration/kube/rbac.test.ts; that the kustomize renderings are the chart's, here.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { describeWithComponents, component } from '../../helpers/components.js';
import { loadConfig } from '../../../src/config/config.js';
import { CHART_DIR, CHART_VALUE_SETS, helm, helmTemplate, valueSet } from './chart.js';
import { podEnvironment } from './pod-env.js';
import { CRD_KINDS, DEPLOY_DIR, REPO_ROOT, one, repoRuleFiles, restrictedViolations, schemaProblems, typeKey, type K8sObject } from './manifests.js';

const execFileAsync = promisify(execFile);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

const CLUSTER_SCOPED = new Set(['ClusterRole', 'ClusterRoleBinding']);
const chartYaml = parse(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { name: string; version: string; appVersion: string };

const podOf = (objects: K8sObject[]) => one(objects, 'Deployment').spec.template as Loose;
const containerOf = (objects: K8sObject[]) => (podOf(objects).spec.containers as Loose[]).find((c) => c.name === 'autoremediator')!;
const envOf = (objects: K8sObject[], name: string) => (containerOf(objects).env as Loose[]).find((e) => e.name === name);
const selects = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
const valuesOf = (file: string) => parse(readFileSync(join(CHART_DIR, file), 'utf8')) as Loose;

describeWithComponents(['helm'], 'deploy/helm/autoremediator with Helm', () => {
  const bin = component('helm')!;
  const rendered = new Map<string, K8sObject[]>();
  const objectsOf = (name: string) => rendered.get(name)!;

  beforeAll(async () => {
    for (const v of CHART_VALUE_SETS) rendered.set(v.name, (await helmTemplate(bin, v)).objects);
  }, 120_000);

  test.each(CHART_VALUE_SETS.map((v) => v.name))('helm lint --strict: %s', async (name) => {
    const v = valueSet(name);
    const out = await helm(bin, ['lint', '.', '--strict', '--namespace', v.namespace, ...v.values.flatMap((f) => ['--values', f])]);
    expect(out).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  describe.each(CHART_VALUE_SETS.map((v) => v.name))('value set %s', (name) => {
    const v = valueSet(name);

    test('every built-in object validates against the Kubernetes schema; no Secret, no Namespace', () => {
      const objects = objectsOf(name);
      expect(objects.length).toBeGreaterThanOrEqual(7);
      for (const o of objects.filter((x) => !CRD_KINDS.has(typeKey(x)))) {
        const id = `${o.kind}/${o.metadata.name}`;
        expect({ id, problems: schemaProblems(o) }).toEqual({ id, problems: [] });
      }
      expect(objects.filter((o) => o.kind === 'Secret' || o.kind === 'Namespace')).toEqual([]);
    });

    test('every object is in the release namespace (Roles and RoleBindings: in the allowed namespaces), with the chart labels', () => {
      const allowed = (envOf(objectsOf(name), 'ALLOWED_NAMESPACES')!.value as string).split(',');
      for (const o of objectsOf(name)) {
        const id = `${o.kind}/${o.metadata.name}`;
        const expected = CLUSTER_SCOPED.has(o.kind) ? undefined : o.kind === 'Role' || o.kind === 'RoleBinding' ? (allowed.includes(o.metadata.namespace!) ? o.metadata.namespace : 'an allowed namespace') : v.namespace;
        expect({ id, namespace: o.metadata.namespace }).toEqual({ id, namespace: expected });
        expect({ id, labels: o.metadata.labels }).toEqual({
          id,
          labels: expect.objectContaining({
            'app.kubernetes.io/name': 'autoremediator',
            'app.kubernetes.io/instance': v.release,
            'app.kubernetes.io/managed-by': 'Helm',
            'app.kubernetes.io/version': chartYaml.appVersion,
            'helm.sh/chart': `${chartYaml.name}-${chartYaml.version}`,
          }),
        });
      }
    });

    test('names: the release name when it contains "autoremediator", else <release>-autoremediator', () => {
      const expected = v.release.includes('autoremediator') ? v.release : `${v.release}-autoremediator`;
      expect(one(objectsOf(name), 'Deployment').metadata.name).toBe(expected);
      expect(one(objectsOf(name), 'Service').metadata.name).toBe(expected);
    });

    test('the Deployment, Service, PDB, NetworkPolicy and spread constraints select the pods, and only this release', () => {
      const objects = objectsOf(name);
      const pod = podOf(objects);
      const labels = pod.metadata.labels as Record<string, string>;
      const selectors: Array<[string, Record<string, string> | undefined]> = [
        ['Deployment', one(objects, 'Deployment').spec.selector.matchLabels],
        ['Service', one(objects, 'Service').spec.selector],
        ['PodDisruptionBudget', one(objects, 'PodDisruptionBudget').spec.selector.matchLabels],
        ['NetworkPolicy', one(objects, 'NetworkPolicy').spec.podSelector.matchLabels],
        ...(pod.spec.topologySpreadConstraints as Loose[]).map((t): [string, Record<string, string>] => [`spread ${t.topologyKey as string}`, t.labelSelector.matchLabels as Record<string, string>]),
      ];
      for (const [what, selector] of selectors) {
        expect({ what, selects: selects(selector, labels) }).toEqual({ what, selects: true });
        // Another release of the chart in the same namespace is not selected.
        expect({ what, other: selects(selector, { ...labels, 'app.kubernetes.io/instance': `${v.release}-other` }) }).toEqual({ what, other: false });
      }
      expect(one(objects, 'Service').spec.ports).toEqual([{ name: 'http', port: 8000, targetPort: 'http', protocol: 'TCP' }]);
    });

    test('the pod meets the "restricted" Pod Security Standard, with a read-only root filesystem', () => {
      const pod = podOf(objectsOf(name)).spec;
      expect(restrictedViolations(pod)).toEqual([]);
      expect(containerOf(objectsOf(name)).securityContext.readOnlyRootFilesystem).toBe(true);
      expect(pod.automountServiceAccountToken).toBe(true);
    });

    test('runs as its ServiceAccount; every binding names it, in the release namespace; ALLOWED_NAMESPACES is the RoleBindings\' namespaces', () => {
      const objects = objectsOf(name);
      const sa = one(objects, 'ServiceAccount');
      expect(podOf(objects).spec.serviceAccountName).toBe(sa.metadata.name);
      const bindings = objects.filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding');
      expect(bindings.length).toBeGreaterThan(0);
      for (const b of bindings) {
        expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: v.namespace }]);
        // The role it refers to exists, in the binding's namespace for a RoleBinding.
        const roleKind = b.kind === 'RoleBinding' ? 'Role' : 'ClusterRole';
        const role = one(objects.filter((o) => o.metadata.namespace === b.metadata.namespace), roleKind, b.roleRef.name);
        expect(b.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: role.kind, name: role.metadata.name });
      }
      const values = v.values.reduce<Loose>((acc, f) => ({ ...acc, ...valuesOf(f) }), valuesOf('values.yaml'));
      const allowed = envOf(objects, 'ALLOWED_NAMESPACES')!.value as string;
      expect(allowed).toBe((values.allowedNamespaces as string[]).join(','));
      if (values.rbac.scope === 'namespaces') {
        expect(objects.filter((o) => CLUSTER_SCOPED.has(o.kind))).toEqual([]);
        expect(bindings.map((b) => b.metadata.namespace).sort()).toEqual(allowed.split(',').sort());
        expect(objects.filter((o) => o.kind === 'Role').map((r) => r.metadata.namespace).sort()).toEqual(allowed.split(',').sort());
      } else {
        expect(bindings.map((b) => b.kind)).toEqual(['ClusterRoleBinding']);
        expect(objects.filter((o) => o.kind === 'Role')).toEqual([]);
      }
    });
  });

  test('defaults: shadow mode, SQLite on a kept PVC at /data, one replica, Recreate, the repository\'s rule table', () => {
    const objects = objectsOf('defaults');
    const deployment = one(objects, 'Deployment');
    expect([deployment.spec.replicas, deployment.spec.strategy]).toEqual([1, { type: 'Recreate' }]);
    expect(envOf(objects, 'DRY_RUN')).toEqual({ name: 'DRY_RUN', value: 'true' });
    expect(envOf(objects, 'DATABASE_URL')).toEqual({ name: 'DATABASE_URL', value: 'sqlite:/data/autoremediator.db' });
    const pvc = one(objects, 'PersistentVolumeClaim');
    expect(pvc.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
    const volume = podOf(objects).spec.volumes.find((x: Loose) => x.persistentVolumeClaim?.claimName === pvc.metadata.name);
    expect(containerOf(objects).volumeMounts).toContainEqual({ name: volume.name, mountPath: '/data' });
    expect(one(objects, 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
    const rules = one(objects, 'ConfigMap');
    expect(rules.data).toEqual(repoRuleFiles());
    const mount = containerOf(objects).volumeMounts.find((m: Loose) => m.name === podOf(objects).spec.volumes.find((x: Loose) => x.configMap?.name === rules.metadata.name)?.name);
    expect(mount).toEqual({ name: 'rules', mountPath: envOf(objects, 'RULES_DIR')!.value, readOnly: true });
    expect(containerOf(objects).image).toBe(`autoremediator:${chartYaml.appVersion}`);
    // Credentials only by reference, from the Secret named like the release.
    for (const key of ['ADMIN_TOKEN', 'WEBHOOK_TOKEN', 'SLACK_BOT_TOKEN']) expect(envOf(objects, key)!.valueFrom.secretKeyRef.name).toBe('autoremediator');
  });

  test('postgresql: two replicas rolling, DATABASE_URL, tokens and Slack each from their Secret, no PVC, no CloudNativePG rules', () => {
    const objects = objectsOf('postgresql');
    const deployment = one(objects, 'Deployment');
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    expect(envOf(objects, 'DATABASE_URL')).toEqual({ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'autoremediator-db', key: 'url' } } });
    expect(envOf(objects, 'ADMIN_TOKEN')!.valueFrom.secretKeyRef).toEqual({ name: 'autoremediator-tokens', key: 'admin-token' });
    expect(envOf(objects, 'WEBHOOK_TOKEN')!.valueFrom.secretKeyRef).toEqual({ name: 'autoremediator-tokens', key: 'webhook-token', optional: true });
    expect(envOf(objects, 'SLACK_WEBHOOK_URL')!.valueFrom.secretKeyRef).toEqual({ name: 'autoremediator-slack', key: 'slack-webhook-url', optional: true });
    expect(envOf(objects, 'DRY_RUN')!.value).toBe('false');
    expect(envOf(objects, 'PUBLIC_URL')!.value).toBe('https://autoremediator.example.com');
    expect(objects.filter((o) => o.kind === 'PersistentVolumeClaim')).toEqual([]);
    expect(containerOf(objects).volumeMounts.map((m: Loose) => m.mountPath as string)).not.toContain('/data');
    expect(one(objects, 'PodDisruptionBudget').spec.minAvailable).toBe(1);
    expect(JSON.stringify(one(objects, 'ClusterRole').rules)).not.toMatch(/cnpg/);
  });

  test('existing-configmap: no ConfigMap and no PVC rendered; the pod mounts the named ones', () => {
    const objects = objectsOf('existing-configmap');
    expect(objects.filter((o) => o.kind === 'ConfigMap' || o.kind === 'PersistentVolumeClaim')).toEqual([]);
    const volumes = podOf(objects).spec.volumes as Loose[];
    expect(volumes.find((x) => x.name === 'rules')!.configMap).toEqual({ name: 'team-remediation-rules' });
    expect(volumes.find((x) => x.name === 'data')!.persistentVolumeClaim).toEqual({ claimName: 'autoremediator-sqlite' });
  });

  test('defaults and inline-rules: the rendered rule table passes `autoremediator check`', async () => {
    const inline = one(objectsOf('inline-rules'), 'ConfigMap');
    expect(inline.data).toEqual(valuesOf('ci/inline-rules-values.yaml').rules.files);
    for (const set of ['defaults', 'inline-rules']) {
      const dir = mkdtempSync(join(tmpdir(), 'chart-rules-'));
      try {
        for (const [file, text] of Object.entries(one(objectsOf(set), 'ConfigMap').data as Record<string, string>)) writeFileSync(join(dir, file), text);
        const { stdout } = await execFileAsync(process.execPath, [join(REPO_ROOT, 'dist', 'autoremediator.mjs'), 'check', dir], { encoding: 'utf8' });
        expect(stdout).toMatch(/^SUCCESS: \d+ rules? in \d+ files?$/m);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  test('monitoring: ServiceMonitor and PrometheusRule carry release: kube-prometheus-stack; the monitor selects the Service in its own namespace', () => {
    const objects = objectsOf('monitoring');
    const v = valueSet('monitoring');
    const sm = one(objects, 'ServiceMonitor');
    const rule = one(objects, 'PrometheusRule');
    const svc = one(objects, 'Service');
    for (const o of [sm, rule]) expect(o.metadata.labels!.release).toBe('kube-prometheus-stack');
    expect(sm.metadata.namespace).toBe(v.namespace);
    expect(sm.spec.namespaceSelector).toBeUndefined(); // own namespace, whatever it is
    expect(selects(sm.spec.selector.matchLabels, svc.metadata.labels!)).toBe(true);
    expect(sm.spec.endpoints).toEqual([{ port: svc.spec.ports[0].name, path: '/metrics', interval: '30s', scrapeTimeout: '10s' }]);
    const dashboard = one(objects, 'ConfigMap', `${svc.metadata.name}-dashboard`);
    expect(dashboard.metadata.labels!.grafana_dashboard).toBe('1');
    expect(dashboard.data).toEqual({ 'grafana-dashboard.json': readFileSync(join(DEPLOY_DIR, 'observability', 'grafana-dashboard.json'), 'utf8') });
    // NetworkPolicy peers as given.
    expect(one(objects, 'NetworkPolicy').spec.ingress[0].from).toEqual(valuesOf('ci/monitoring-values.yaml').networkPolicy.ingressFrom);
  });

  test('monitoring: every alert has a runbook_url into RUNBOOKS.md, the extra alert labels, and the absent/down alerts watch the Service\'s job', () => {
    const objects = objectsOf('monitoring');
    const values = valuesOf('ci/monitoring-values.yaml').monitoring.prometheusRule;
    const rules = (one(objects, 'PrometheusRule').spec.groups as Loose[]).flatMap((g) => g.rules as Loose[]);
    for (const r of rules) {
      expect({ alert: r.alert, runbook_url: r.annotations.runbook_url }).toEqual({ alert: r.alert, runbook_url: `${values.runbookBaseUrl}#${(r.alert as string).toLowerCase()}` });
      expect(r.annotations.runbook).toBeUndefined();
      expect(r.labels).toEqual({ severity: expect.stringMatching(/^(warning|critical)$/), team: 'platform' });
    }
    const job = one(objects, 'Service').metadata.name;
    expect(rules.find((r) => r.alert === 'AutoremediatorDown')!.expr).toBe(`up{job="${job}"} == 0`);
    expect(rules.find((r) => r.alert === 'AutoremediatorAbsent')!.expr).toBe(`absent(up{job="${job}"})`);
  });

  /** The rendering's pod environment made here (podEnvironment), with these Secrets and ConfigMaps, read by the service's own loadConfig. */
  const configOf = async (objects: K8sObject[], secrets: Record<string, Record<string, string>>, configMaps: Record<string, Record<string, string>>, tokens: string[] = []) => {
    const root = mkdtempSync(join(tmpdir(), 'chart-pod-'));
    roots.push(root);
    const rendered = Object.fromEntries(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o.data as Record<string, string>]));
    const pod = await podEnvironment(one(objects, 'Deployment'), 'autoremediator', root, {
      secret: (name) => Promise.resolve(secrets[name] ?? null),
      configMap: (name) => Promise.resolve(configMaps[name] ?? rendered[name] ?? null),
      serviceAccountToken: (audience, expirationSeconds) => {
        tokens.push(`${audience ?? '(api server)'} ${expirationSeconds}`);
        return Promise.resolve(`projected-token-for-${audience ?? 'api'}`);
      },
    });
    return { pod, config: loadConfig(pod.env) };
  };
  const roots: string[] = [];
  afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));
  const TOKENS = { 'admin-token': 'a'.repeat(40), 'webhook-token': 'w'.repeat(40) };
  const PEM = '-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n';

  test('prometheus-auth: basic auth from its Secret, the CA bundle from its ConfigMap and the headers reach the service as it reads them', async () => {
    const objects = objectsOf('prometheus-auth');
    // Credentials by reference only; the CA mounted whole (no subPath: an update reaches the pod).
    expect(envOf(objects, 'PROMETHEUS_BASIC_AUTH')).toEqual({ name: 'PROMETHEUS_BASIC_AUTH', valueFrom: { secretKeyRef: { name: 'prometheus-client', key: 'basic-auth' } } });
    expect(containerOf(objects).volumeMounts.filter((m: Loose) => m.subPath !== undefined)).toEqual([]);
    expect(podOf(objects).spec.volumes.find((v: Loose) => v.name === 'prometheus-ca')).toEqual({ name: 'prometheus-ca', configMap: { name: 'prometheus-ca', items: [{ key: 'ca.pem', path: 'ca.crt' }] } });
    const { config } = await configOf(objects, { autoremediator: TOKENS, 'prometheus-client': { 'basic-auth': 'reader:s3cret:with:colons' } }, { 'prometheus-ca': { 'ca.pem': PEM } });
    expect(config.prometheusUrl).toBe('https://prometheus.monitoring.svc:9090');
    expect(config.prometheusClient).toEqual({
      auth: { kind: 'basic', user: 'reader', password: 's3cret:with:colons' },
      ca: PEM,
      insecureSkipVerify: false,
      headers: { 'X-Forwarded-User': 'autoremediator', 'X-Scope-OrgID': 'team-a' },
    });
    // Without the Secret the pod would not start: said, naming it.
    await expect(configOf(objects, { autoremediator: TOKENS }, { 'prometheus-ca': { 'ca.pem': PEM } })).rejects.toThrow(/PROMETHEUS_BASIC_AUTH: Secret prometheus-client does not exist/);
  });

  test('prometheus-token: a projected ServiceAccount token for the proxy\'s audience becomes the token file the service reads again; skip-verify', async () => {
    const objects = objectsOf('prometheus-token');
    expect(podOf(objects).spec.volumes.find((v: Loose) => v.name === 'prometheus-token')).toEqual({
      name: 'prometheus-token',
      projected: { sources: [{ serviceAccountToken: { audience: 'thanos-query', expirationSeconds: 1800, path: 'token' } }] },
    });
    const tokens: string[] = [];
    const { config } = await configOf(objects, { 'remediation-autoremediator': TOKENS }, {}, tokens);
    expect(tokens).toEqual(['thanos-query 1800']);
    expect(config.prometheusClient.auth).toEqual({ kind: 'bearer-file', file: expect.stringMatching(/\/var\/run\/secrets\/autoremediator\/prometheus-token\/token$/) });
    const file = (config.prometheusClient.auth as { file: string }).file;
    expect(readFileSync(file, 'utf8')).toBe('projected-token-for-thanos-query');
    expect(config.prometheusClient.insecureSkipVerify).toBe(true);
  });

  test('a bearer token from a Secret: mounted whole as the token file (a changed Secret reaches the pod), a CA from a Secret', async () => {
    const { objects } = await helmTemplate(bin, { release: 'autoremediator', namespace: 'sre', values: [] }, [
      'config.prometheusUrl=https://mimir-gateway.mimir.svc',
      'config.prometheus.bearerToken.existingSecret=mimir-reader',
      'config.prometheus.tls.caSecret=mimir-ca',
      'config.prometheus.headers.X-Scope-OrgID=platform',
    ]);
    expect(podOf(objects).spec.volumes.find((v: Loose) => v.name === 'prometheus-token')).toEqual({ name: 'prometheus-token', secret: { secretName: 'mimir-reader', items: [{ key: 'token', path: 'token' }] } });
    expect(envOf(objects, 'PROMETHEUS_BEARER_TOKEN')).toBeUndefined(); // never as a variable: it could not change
    const { config } = await configOf(objects, { autoremediator: TOKENS, 'mimir-reader': { token: 'tenant-token\n' }, 'mimir-ca': { 'ca.crt': PEM } }, {});
    const auth = config.prometheusClient.auth as { kind: string; file: string };
    expect(auth.kind).toBe('bearer-file');
    expect(readFileSync(auth.file, 'utf8')).toBe('tenant-token\n');
    expect([config.prometheusClient.ca, config.prometheusClient.headers]).toEqual([PEM, { 'X-Scope-OrgID': 'platform' }]);
  });

  test('defaults: no PROMETHEUS_* variable but the URL, no Prometheus volume', () => {
    const objects = objectsOf('defaults');
    expect((containerOf(objects).env as Loose[]).map((e) => e.name as string).filter((n) => n.startsWith('PROMETHEUS_'))).toEqual(['PROMETHEUS_URL']);
    expect((podOf(objects).spec.volumes as Loose[]).map((v) => v.name as string).filter((n) => n.startsWith('prometheus'))).toEqual([]);
  });

  test.each([
    // [what, --set pairs, what the message must say]
    ['two Prometheus credentials', ['config.prometheus.basicAuth.existingSecret=a', 'config.prometheus.serviceAccountToken.enabled=true'], /config.prometheus.serviceAccountToken.enabled, config.prometheus.basicAuth.existingSecret: set at most one Prometheus credential/],
    ['a CA for an http:// Prometheus', ['config.prometheus.tls.caConfigMap=ca'], /config.prometheus.tls.caConfigMap: apply to https:\/\/ only, but config.prometheusUrl is http:\/\//],
    ['both a CA ConfigMap and a CA Secret', ['config.prometheusUrl=https://p', 'config.prometheus.tls.caConfigMap=a', 'config.prometheus.tls.caSecret=b'], /name the CA bundle's ConfigMap or its Secret, not both/],
    ['Prometheus options without a URL', ['config.prometheusUrl=', 'config.prometheus.headers.X-Scope-OrgID=a'], /config.prometheus.headers: set without config.prometheusUrl/],
    ['an Authorization header', ['config.prometheus.headers.Authorization=Bearer x'], /config.prometheus.headers.Authorization: set by config.prometheus.bearerToken/],
    ['a header value with a comma', ['config.prometheus.headers.X-Scope-OrgID=a\\,b'], /X-Scope-OrgID/],
    ['a header name with a space', ['config.prometheus.headers.X Tenant=a'], /config\/prometheus\/headers|X Tenant/],
    ['a projected token living under 10 minutes', ['config.prometheus.serviceAccountToken.enabled=true', 'config.prometheus.serviceAccountToken.expirationSeconds=60'], /expirationSeconds/],
    ['a misspelled Prometheus option', ['config.prometheus.basicauth.existingSecret=a'], /basicauth/],

    ['an unknown rbac.scope', ['rbac.scope=namespaced'], /rbac\/scope|rbac\.scope/],
    ['a misspelled key', ['rbca.scope=cluster'], /rbca/],
    ['a namespace name Kubernetes refuses', ['allowedNamespaces={Payments}'], /allowedNamespaces/],
    ['"*" with rbac.scope=namespaces', ['rbac.scope=namespaces', 'allowedNamespaces={*}'], /allowedNamespaces: \["\*"\] needs rbac.scope=cluster/],
    ['a namespace listed twice', ['allowedNamespaces={ci,payments,ci}'], /allowedNamespaces: a namespace is listed twice/],
    ['rbac.scope=namespaces with no namespace', ['rbac.scope=namespaces', 'allowedNamespaces=null'], /allowedNamespaces is empty/],
    ['two replicas on SQLite', ['replicaCount=2'], /replicaCount: 2 replicas need store.type=postgresql/],
    ['an unknown store', ['store.type=mysql'], /store\/type|store\.type/],
    ['a PrometheusRule without runbookBaseUrl', ['monitoring.prometheusRule.enabled=true'], /monitoring.prometheusRule.runbookBaseUrl/],
    ['a rule file name without .yaml', ['rules.files.team=rules: []'], /rules.files: "team" is not a rule file name/],
  ])('refuses %s, naming the value', async (_what, set, message) => {
    await expect(helmTemplate(bin, { release: 'autoremediator', namespace: 'x', values: [] }, set)).rejects.toThrow(message);
  });

  test('the kustomize renderings are the chart\'s: scripts/render-deploy.mjs --check passes, and fails naming a file edited by hand', async () => {
    const run = (root: string) => execFileAsync(process.execPath, [join(root, 'scripts', 'render-deploy.mjs'), '--check'], { env: { ...process.env, HELM: bin }, encoding: 'utf8' });
    await expect(run(REPO_ROOT)).resolves.toMatchObject({ stdout: expect.stringMatching(/every rendering matches the chart/) });
    const tmp = mkdtempSync(join(tmpdir(), 'render-deploy-'));
    try {
      cpSync(join(REPO_ROOT, 'scripts'), join(tmp, 'scripts'), { recursive: true });
      cpSync(DEPLOY_DIR, join(tmp, 'deploy'), { recursive: true });
      const file = join(tmp, 'deploy', 'overlays', 'ha', 'autoremediator.yaml');
      writeFileSync(file, readFileSync(file, 'utf8').replace('replicas: 2', 'replicas: 3'));
      await expect(run(tmp)).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/deploy\/overlays\/ha\/autoremediator\.yaml/) });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
