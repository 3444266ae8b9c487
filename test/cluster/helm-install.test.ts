/**
 * `helm install` of deploy/helm/autoremediator (a Helm built from its Go module) into a namespace
 * of no particular name on the real control plane, with rbac.scope=namespaces and two allowed
 * namespaces, then the service run as the release would run it, then `helm uninstall`.
 *
 * kwok runs no containers, so the service runs here as a local process configured exactly as the
 * installed Deployment says (test/integration/deploy/pod-env.ts): its env as the API returns it
 * (Secret references resolved from the real Secrets), its volumes made from the real ConfigMaps
 * and Secrets (the rule table the chart installed, the Prometheus CA), authenticated as the
 * release's ServiceAccount through a TokenRequest token. What differs from a pod, and only that:
 * the token reaches it through KUBECONFIG instead of the in-cluster mount, and it listens on a
 * free loopback port instead of 8000.
 *
 * Proven, each through the real API:
 * - every action kind that changes a workload (scale of a Deployment, a StatefulSet and a
 *   CloudNativePG Cluster; hpa; resources; restart; undo) succeeds in an allowed namespace, as
 *   does a scale in the second allowed namespace, validated through a real Prometheus 3 that
 *   demands TLS (a CA of the test's) and basic auth, configured through the chart's values; the
 *   apiserver's audit log of the release's ServiceAccount shows no 401/403 and no request
 *   outside the allowed namespaces;
 * - nothing else is allowed: SelfSubjectAccessReviews as that ServiceAccount for every granted
 *   verb in a namespace outside the list and in the release's own, and for every verb the
 *   service does not need; real 403s for a read outside the list and for a verb not needed;
 * - the `redis` kind reaches Kubernetes only to read a Service (`get services`), shown allowed
 *   by review; its Redis half is proven in cluster-contract.test.ts (a Service's cluster IP
 *   is not routable here: there is no kube-proxy);
 * - `helm uninstall` removes every object of the release (the SQLite PVC stays, as
 *   helm.sh/resource-policy: keep says) and the ServiceAccount's token stops working.
 */
import { jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppsV1Api, AutoscalingV2Api, CoreV1Api, CustomObjectsApi, RbacAuthorizationV1Api, type KubernetesObject, type V1PolicyRule } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/config.js';
import { PrometheusSource } from '../../src/validation/prometheus.js';
import { freePort, waitFor } from '../helpers/binaries.js';
import { component, describeWithComponents } from '../helpers/components.js';
import { fixture } from '../helpers/fixtures.js';
import { startCli, type CliProcess } from '../helpers/process.js';
import { certificates, PROMETHEUS_PASSWORD, PROMETHEUS_USER, startWebPrometheus, webConfig, type WebPrometheus } from '../helpers/prometheus-web.js';
import { CHART_DIR } from '../integration/deploy/chart.js';
import { podEnvironment } from '../integration/deploy/pod-env.js';
import { CONTROL_PLANE_COMPONENTS, startControlPlane, type ControlPlane } from './control-plane.js';

const execFileAsync = promisify(execFile);
jest.setTimeout(300_000);

// A release name without "autoremediator" in it: the objects are fence-autoremediator.
const RELEASE = 'fence';
const FULLNAME = 'fence-autoremediator';
const NAMESPACE = `platform-${Math.random().toString(36).slice(2, 8)}`;
const ALLOWED = ['ci', 'orders'];
const OUTSIDE = 'payments';
const SA_USER = `system:serviceaccount:${NAMESPACE}:${FULLNAME}`;
const WEBHOOK_TOKEN = 'helm-webhook-token-0123456789abcdef';
const ADMIN_TOKEN = 'helm-admin-token-0123456789abcdefgh';

interface Remediation {
  id: string;
  rule: string | null;
  target: { namespace: string; name: string } | null;
  phase: string;
  decision: { outcome: string; reason?: string; explanation: string };
  transitions: { from: string | null; to: string; note: string }[];
}

/** One rule per action kind that changes a workload; each validated by a query to the authenticated Prometheus (inconclusive → rollback, so success needs the query to work). */
const RULES = `rules:
  - name: scale-deployment
    matchers: ['alertname="HelmScaleDeployment"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: "{{ $labels.namespace }}", name: "{{ $labels.workload }}" }
    action: { type: scale, maxReplicas: 3 }
    validate: &validate
      rolloutTimeout: 120s
      onInconclusive: rollback
      checks:
        - { name: prometheus-answers, query: "vector(0)", below: 1, interval: 1s, count: 2 }
  - name: scale-statefulset
    matchers: ['alertname="HelmScaleStatefulSet"']
    target: { apiVersion: apps/v1, kind: StatefulSet, namespace: "{{ $labels.namespace }}", name: "{{ $labels.workload }}" }
    action: { type: scale, maxReplicas: 2 }
    validate: *validate
  - name: scale-database
    matchers: ['alertname="HelmScaleDatabase"']
    target: { apiVersion: postgresql.cnpg.io/v1, kind: Cluster, namespace: "{{ $labels.namespace }}", name: "{{ $labels.workload }}" }
    action: { type: scale, maxReplicas: 4 }
    validate: *validate
  - name: hpa-floor
    matchers: ['alertname="HelmHpa"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: "{{ $labels.namespace }}", name: "{{ $labels.workload }}" }
    action: { type: hpa, bound: min, ceiling: 5 }
    validate: *validate
  - name: raise-memory
    matchers: ['alertname="HelmResources"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: "{{ $labels.namespace }}", name: "{{ $labels.workload }}" }
    action: { type: resources, container: app, resource: memory, factor: 1.5, cap: 1Gi }
    validate: *validate
  - name: restart
    matchers: ['alertname="HelmRestart"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: "{{ $labels.namespace }}", name: "{{ $labels.workload }}" }
    action: { type: restart }
    validate: *validate
  - name: undo
    matchers: ['alertname="HelmUndo"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: "{{ $labels.namespace }}", name: "{{ $labels.workload }}" }
    action: { type: undo }
    validate: *validate
`;

/** The alerts: [alertname, namespace, workload, the rule that must act]. */
const ALERTS: Array<[string, string, string, string]> = [
  ['HelmScaleDeployment', 'ci', 'helm-scale', 'scale-deployment'],
  ['HelmScaleDeployment', 'orders', 'orders-api', 'scale-deployment'],
  ['HelmScaleStatefulSet', 'ci', 'helm-sts', 'scale-statefulset'],
  ['HelmScaleDatabase', 'ci', 'ci-failure-agent-db', 'scale-database'],
  ['HelmHpa', 'ci', 'ci-failure-agent', 'hpa-floor'],
  ['HelmResources', 'ci', 'helm-resources', 'raise-memory'],
  ['HelmRestart', 'ci', 'helm-restart', 'restart'],
  ['HelmUndo', 'ci', 'helm-undo', 'undo'],
];

const workload = (kind: 'Deployment' | 'StatefulSet', namespace: string, name: string, image = 'registry.example/app:1'): KubernetesObject =>
  ({
    apiVersion: 'apps/v1',
    kind,
    metadata: { name, namespace },
    spec: {
      replicas: 1,
      ...(kind === 'StatefulSet' ? { serviceName: name } : {}),
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image, resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } } }] },
      },
    },
  }) as KubernetesObject;

/** A captured Alertmanager body with this alert's labels (the envelope as Alertmanager sends it). */
function alertBody(alertname: string, namespace: string, name: string, i: number): string {
  const body = JSON.parse(fixture('firing-single-QueueDepthHigh.json').toString()) as { alerts: { labels: Record<string, string>; fingerprint: string }[]; commonLabels: Record<string, string>; groupLabels: Record<string, string>; groupKey: string };
  const labels = { alertname, namespace, workload: name, severity: 'warning' };
  body.alerts = [{ ...body.alerts[0]!, labels, fingerprint: `4e1e${i.toString(16).padStart(12, '0')}` }];
  body.commonLabels = labels;
  body.groupLabels = { alertname, workload: name };
  return JSON.stringify(body);
}

describeWithComponents([...CONTROL_PLANE_COMPONENTS, 'helm', 'prometheus'], 'helm install into any namespace with rbac.scope=namespaces, on a real control plane', () => {
  const helmBin = component('helm')!;
  let cp: ControlPlane;
  let dir: string;
  let prom: WebPrometheus;
  let svc: CliProcess | undefined;
  let url: string;
  let saKubeconfig: string;
  let saToken: string;
  let serviceEnv: Record<string, string>;
  const runs = new Map<string, Remediation>();

  const helm = async (args: string[]) => {
    const env = { ...process.env, HELM_CONFIG_HOME: join(dir, 'helm', 'config'), HELM_CACHE_HOME: join(dir, 'helm', 'cache'), HELM_DATA_HOME: join(dir, 'helm', 'data') };
    try {
      return (await execFileAsync(helmBin, [...args, '--kubeconfig', cp.adminKubeconfig], { env, encoding: 'utf8', timeout: 120_000 })).stdout;
    } catch (err) {
      const e = err as Error & { stderr?: string };
      throw new Error(`helm ${args.join(' ')}: ${e.stderr || e.message}`);
    }
  };
  /** One request with this bearer token, over the control plane's CA. */
  const withToken = (token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = request(`${cp.server}${path}`, { method, ca: readFileSync(join(cp.dir, 'ca.crt')), headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  /** As the release's ServiceAccount (its TokenRequest token). */
  const asRelease = (method: string, path: string, body?: unknown) => withToken(saToken, method, path, body);
  const asAdmin = (path: string) => withToken(cp.admin.getCurrentUser()?.token ?? '', 'GET', path);
  const remediations = async () => {
    const res = await fetch(`${url}/api/v1/remediations?limit=200`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    if (!res.ok) throw new Error(`remediations: ${res.status}`);
    return ((await res.json()) as { items: Remediation[] }).items;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'helm-install-'));
    cp = await startControlPlane({ seed: true, auditUsers: [SA_USER] });

    // Prometheus 3 demanding TLS (a CA of the test's) and basic auth.
    const certs = certificates(join(dir, 'pki'));
    prom = await startWebPrometheus(join(dir, 'prometheus'), webConfig({ basicAuth: true, tls: certs }));
    const promUrl = `https://127.0.0.1:${prom.port}`;
    const probe = new PrometheusSource(promUrl, 3000, loadConfig({ INSECURE_NO_AUTH: 'true', PROMETHEUS_URL: promUrl, PROMETHEUS_CA_FILE: certs.caCrt, PROMETHEUS_BASIC_AUTH: `${PROMETHEUS_USER}:${PROMETHEUS_PASSWORD}` }).prometheusClient);
    await waitFor('Prometheus 3 with TLS and basic auth', async () => (await probe.query('vector(1)')).ok, 30_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${prom.log().slice(-2000)}`);
    });

    // The namespaces, the workloads of each kind, and what the user creates before installing: the Secrets and the CA's ConfigMap.
    await cp.apply([NAMESPACE, 'orders', OUTSIDE].map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })));
    await cp.apply([
      workload('Deployment', 'ci', 'helm-scale'),
      workload('Deployment', 'ci', 'helm-resources'),
      workload('Deployment', 'ci', 'helm-restart'),
      workload('Deployment', 'ci', 'helm-undo'),
      workload('StatefulSet', 'ci', 'helm-sts'),
      workload('Deployment', 'orders', 'orders-api'),
      workload('Deployment', OUTSIDE, 'payments-api'),
    ]);
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    await cp.apply([
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: FULLNAME, namespace: NAMESPACE }, data: { 'webhook-token': b64(WEBHOOK_TOKEN), 'admin-token': b64(ADMIN_TOKEN) } } as KubernetesObject,
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'prometheus-reader', namespace: NAMESPACE }, data: { 'basic-auth': b64(`${PROMETHEUS_USER}:${PROMETHEUS_PASSWORD}`) } } as KubernetesObject,
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'prometheus-ca', namespace: NAMESPACE }, data: { 'ca.crt': readFileSync(certs.caCrt, 'utf8') } } as KubernetesObject,
    ]);
    // undo needs an earlier revision: helm-undo goes to image :2 (revision 2) before the service starts.
    const apps = cp.admin.makeApiClient(AppsV1Api);
    const ready = async (ns: string, name: string, kind: 'Deployment' | 'StatefulSet' = 'Deployment') => {
      const o = kind === 'Deployment' ? await apps.readNamespacedDeployment({ namespace: ns, name }) : await apps.readNamespacedStatefulSet({ namespace: ns, name });
      return o.status?.observedGeneration === o.metadata?.generation && o.status?.readyReplicas === o.spec?.replicas && (o.status?.updatedReplicas ?? 0) === o.spec?.replicas;
    };
    await waitFor('helm-undo revision 1 Ready', () => ready('ci', 'helm-undo'), 90_000, 250);
    await cp.apply([workload('Deployment', 'ci', 'helm-undo', 'registry.example/app:2')]);
    for (const [ns, name] of [['ci', 'helm-scale'], ['ci', 'helm-resources'], ['ci', 'helm-restart'], ['ci', 'helm-undo'], ['orders', 'orders-api']] as const) {
      await waitFor(`${ns}/${name} Ready`, () => ready(ns, name), 90_000, 250);
    }
    await waitFor('ci/helm-sts Ready', () => ready('ci', 'helm-sts', 'StatefulSet'), 90_000, 250);
    await waitFor('ci-failure-agent 3/3 Ready', async () => (await apps.readNamespacedDeployment({ namespace: 'ci', name: 'ci-failure-agent' })).status?.readyReplicas === 3, 90_000, 250);

    // helm install, the values a platform team would write.
    const values = {
      allowedNamespaces: ALLOWED,
      rbac: { scope: 'namespaces' },
      config: {
        dryRun: false,
        logLevel: 'warn',
        prometheusUrl: promUrl,
        prometheus: {
          basicAuth: { existingSecret: 'prometheus-reader', key: 'basic-auth' },
          tls: { caConfigMap: 'prometheus-ca', caKey: 'ca.crt' },
          headers: { 'X-Scope-OrgID': 'team-a' },
        },
      },
      // The loop's speed on a test cluster: readiness polled every 200 ms.
      extraEnv: [{ name: 'READINESS_POLL_MS', value: '200' }],
      rules: { files: { 'every-kind.yaml': RULES } },
    };
    writeFileSync(join(dir, 'values.yaml'), stringify(values));
    await helm(['install', RELEASE, CHART_DIR, '--namespace', NAMESPACE, '--values', join(dir, 'values.yaml')]);

    // The service as the installed Deployment configures it.
    const core = cp.admin.makeApiClient(CoreV1Api);
    const deployment = await apps.readNamespacedDeployment({ namespace: NAMESPACE, name: FULLNAME });
    const sa = deployment.spec!.template.spec!.serviceAccountName!;
    const tokenFor = async (audience?: string, expirationSeconds = 3600) =>
      (await core.createNamespacedServiceAccountToken({ name: sa, namespace: NAMESPACE, body: { spec: { audiences: audience ? [audience] : [], expirationSeconds } } })).status!.token;
    const pod = await podEnvironment(deployment, 'autoremediator', join(dir, 'pod'), {
      secret: async (name) => {
        const s = await core.readNamespacedSecret({ namespace: NAMESPACE, name }).catch(() => null);
        return s ? Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])) : null;
      },
      configMap: async (name) => (await core.readNamespacedConfigMap({ namespace: NAMESPACE, name }).catch(() => null))?.data ?? null,
      serviceAccountToken: tokenFor,
    });
    saToken = await tokenFor();
    saKubeconfig = join(dir, 'release.kubeconfig');
    writeFileSync(
      saKubeconfig,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'cp', cluster: { server: cp.server, 'certificate-authority-data': readFileSync(join(cp.dir, 'ca.crt')).toString('base64') } }],
        users: [{ name: sa, user: { token: saToken } }],
        contexts: [{ name: sa, context: { cluster: 'cp', user: sa } }],
        'current-context': sa,
      }),
    );
    const port = await freePort();
    serviceEnv = { ...pod.env, PORT: String(port), HOST: '127.0.0.1', KUBECONFIG: saKubeconfig };
    url = `http://127.0.0.1:${port}`;
    svc = startCli(['serve'], serviceEnv);
    await waitFor('the service /readyz', async () => (await fetch(`${url}/readyz`)).ok, 30_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${svc?.output().slice(-3000)}`);
    });
  }, 420_000);

  afterAll(async () => {
    if (svc) {
      svc.kill('SIGTERM');
      await svc.exited;
    }
    await prom?.stop();
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  test('the release: ServiceAccount in the release namespace, a Role and RoleBinding in each allowed namespace, nothing cluster-wide; the service reads the chart\'s env', async () => {
    const rbac = cp.admin.makeApiClient(RbacAuthorizationV1Api);
    const selector = `app.kubernetes.io/instance=${RELEASE}`;
    for (const ns of [...ALLOWED, OUTSIDE, NAMESPACE]) {
      const roles = (await rbac.listNamespacedRole({ namespace: ns, labelSelector: selector })).items.map((r) => r.metadata!.name);
      const bindings = (await rbac.listNamespacedRoleBinding({ namespace: ns, labelSelector: selector })).items;
      expect({ ns, roles }).toEqual({ ns, roles: ALLOWED.includes(ns) ? [FULLNAME] : [] });
      for (const b of bindings) expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: FULLNAME, namespace: NAMESPACE }]);
    }
    expect((await rbac.listClusterRole({ labelSelector: selector })).items).toEqual([]);
    expect((await rbac.listClusterRoleBinding({ labelSelector: selector })).items).toEqual([]);
    // The one list, and the Prometheus options as the chart rendered them.
    expect(serviceEnv).toMatchObject({ ALLOWED_NAMESPACES: ALLOWED.join(','), DRY_RUN: 'false', PROMETHEUS_BASIC_AUTH: `${PROMETHEUS_USER}:${PROMETHEUS_PASSWORD}`, PROMETHEUS_HEADERS: 'X-Scope-OrgID=team-a' });
    expect(readFileSync(serviceEnv.PROMETHEUS_CA_FILE!, 'utf8')).toMatch(/BEGIN CERTIFICATE/);
    expect(readFileSync(join(serviceEnv.RULES_DIR!, 'every-kind.yaml'), 'utf8')).toBe(RULES);
  });

  test('every action kind that changes a workload succeeds in an allowed namespace, validated through the authenticated Prometheus', async () => {
    const post = async (body: string) =>
      (await fetch(`${url}/api/v1/alerts`, { method: 'POST', headers: { Authorization: `Bearer ${WEBHOOK_TOKEN}`, 'Content-Type': 'application/json' }, body })).status;
    for (const [i, [alertname, ns, name]] of ALERTS.entries()) expect(await post(alertBody(alertname, ns, name, i))).toBe(202);
    const terminal = ['succeeded', 'rolled_back', 'failed'];
    await waitFor('every run finished', async () => {
      for (const r of await remediations()) if (r.rule && r.target && r.decision.outcome === 'act' && terminal.includes(r.phase)) runs.set(`${r.target.namespace}/${r.target.name}`, r);
      return ALERTS.every(([, ns, name]) => runs.has(`${ns}/${name}`));
    }, 240_000, 500).catch((err: Error) => {
      throw new Error(`${err.message}: finished ${[...runs.keys()].join(', ')}\n${JSON.stringify(runs.size ? [...runs.values()] : null).slice(0, 3000)}\n${svc?.output().slice(-3000)}`);
    });
    const outcome = ALERTS.map(([, ns, name]) => {
      const r = runs.get(`${ns}/${name}`)!;
      return { target: `${ns}/${name}`, rule: r.rule, phase: r.phase, ...(r.phase === 'succeeded' ? {} : { why: r.transitions.at(-1)?.note }) };
    });
    expect(outcome).toEqual(ALERTS.map(([, ns, name, rule]) => ({ target: `${ns}/${name}`, rule, phase: 'succeeded' })));

    // What each kind changed, read back from the API.
    const apps = cp.admin.makeApiClient(AppsV1Api);
    const d = (ns: string, name: string) => apps.readNamespacedDeployment({ namespace: ns, name });
    expect((await d('ci', 'helm-scale')).spec?.replicas).toBeGreaterThan(1);
    expect((await d('orders', 'orders-api')).spec?.replicas).toBeGreaterThan(1);
    expect((await apps.readNamespacedStatefulSet({ namespace: 'ci', name: 'helm-sts' })).spec?.replicas).toBe(2);
    const db = (await cp.admin.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ group: 'postgresql.cnpg.io', version: 'v1', namespace: 'ci', plural: 'clusters', name: 'ci-failure-agent-db' })) as { spec: { instances: number } };
    expect(db.spec.instances).toBeGreaterThan(2);
    expect((await cp.admin.makeApiClient(AutoscalingV2Api).readNamespacedHorizontalPodAutoscaler({ namespace: 'ci', name: 'ci-failure-agent' })).spec?.minReplicas).toBeGreaterThan(3);
    expect((await d('ci', 'helm-resources')).spec?.template.spec?.containers[0]?.resources?.limits?.memory).toBe('192Mi');
    expect((await d('ci', 'helm-restart')).spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeDefined();
    expect((await d('ci', 'helm-undo')).spec?.template.spec?.containers[0]?.image).toBe('registry.example/app:1');
  });

  test('the audit log of the release\'s ServiceAccount: no 401/403, nothing outside the allowed namespaces, a write for each kind', () => {
    const mine = cp.requests().filter((r) => r.user === SA_USER);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.filter((r) => r.code === 401 || r.code === 403)).toEqual([]);
    // The RBAC preflight's SelfSubjectAccessReviews (at start, after a reload, every 5 min) are
    // cluster-scoped creates every authenticated identity may make (system:basic-user): they ask,
    // they touch nothing. Every other request stays inside the allowed namespaces.
    const preflight = (r: (typeof mine)[number]) => r.apiGroup === 'authorization.k8s.io' && r.resource === 'selfsubjectaccessreviews' && r.verb === 'create';
    expect(mine.some(preflight)).toBe(true);
    expect(mine.filter((r) => r.resource && !preflight(r) && !ALLOWED.includes(r.namespace ?? '(cluster-wide)'))).toEqual([]);
    const writes = new Set(mine.filter((r) => ['patch', 'update', 'create'].includes(r.verb) && r.code < 300).map((r) => `${r.verb} ${r.apiGroup || 'core'} ${r.resource}${r.subresource ? `/${r.subresource}` : ''} ${r.namespace}`));
    for (const w of ['update apps deployments/scale ci', 'update apps deployments/scale orders', 'update apps statefulsets/scale ci', 'update postgresql.cnpg.io clusters/scale ci', 'patch autoscaling horizontalpodautoscalers ci', 'patch apps deployments ci', 'create core events ci']) {
      expect({ w, sent: writes.has(w) }).toEqual({ w, sent: true });
    }
  });

  test('an alert for a workload outside the list is skipped by the service (outside-allowed-namespaces), and the workload is untouched', async () => {
    const res = await fetch(`${url}/api/v1/alerts`, { method: 'POST', headers: { Authorization: `Bearer ${WEBHOOK_TOKEN}`, 'Content-Type': 'application/json' }, body: alertBody('HelmScaleDeployment', OUTSIDE, 'payments-api', 99) });
    expect(res.status).toBe(202);
    let skipped: Remediation | undefined;
    await waitFor('the skip', async () => {
      skipped = (await remediations()).find((r) => r.target?.namespace === OUTSIDE);
      return skipped !== undefined;
    }, 30_000, 250);
    expect(skipped!.decision).toMatchObject({ outcome: 'skip', reason: 'outside-allowed-namespaces' });
    expect((await cp.admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ namespace: OUTSIDE, name: 'payments-api' })).spec?.replicas).toBe(1);
  });

  test('nothing else is allowed: SelfSubjectAccessReview for each granted verb outside the list and every verb not needed; real 403s', async () => {
    const role = await cp.admin.makeApiClient(RbacAuthorizationV1Api).readNamespacedRole({ namespace: 'ci', name: FULLNAME });
    const granted = (role.rules ?? []).flatMap((r: V1PolicyRule) => (r.apiGroups ?? ['']).flatMap((g) => (r.resources ?? []).flatMap((res) => r.verbs.map((verb) => ({ group: g, resource: res, verb })))));
    // The redis kind's one request (get services) is among them.
    expect(granted).toContainEqual({ group: '', resource: 'services', verb: 'get' });
    const review = async (namespace: string | undefined, group: string, resource: string, verb: string) => {
      const [res, sub] = resource.split('/');
      const r = await asRelease('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { ...(namespace ? { namespace } : {}), group, resource: res, ...(sub ? { subresource: sub } : {}), verb } },
      });
      if (r.status !== 201) throw new Error(`SelfSubjectAccessReview: ${r.status} ${r.body}`);
      return (JSON.parse(r.body) as { status: { allowed: boolean } }).status.allowed;
    };
    const wrong: string[] = [];
    const expectAllowed = async (allowed: boolean, ns: string | undefined, g: string, res: string, verb: string) => {
      if ((await review(ns, g, res, verb)) !== allowed) wrong.push(`${verb} ${g || 'core'} ${res} in ${ns ?? '(cluster)'}: ${allowed ? 'denied, must be allowed' : 'allowed, must be denied'}`);
    };
    for (const { group, resource, verb } of granted) {
      for (const ns of ALLOWED) await expectAllowed(true, ns, group, resource, verb);
      for (const ns of [OUTSIDE, NAMESPACE, 'default', 'kube-system']) await expectAllowed(false, ns, group, resource, verb);
      await expectAllowed(false, undefined, group, resource, verb); // cluster-wide (all namespaces)
    }
    const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];
    for (const resource of [...new Set(granted.map((g) => `${g.group}|${g.resource}`))]) {
      const [group, res] = resource.split('|') as [string, string];
      for (const verb of VERBS.filter((v) => !granted.some((g) => g.group === group && g.resource === res && g.verb === v))) await expectAllowed(false, 'ci', group, res, verb);
    }
    for (const [g, res, verb] of [['', 'secrets', 'get'], ['', 'secrets', 'list'], ['', 'configmaps', 'get'], ['', 'pods', 'delete'], ['', 'pods/exec', 'create'], ['', 'serviceaccounts/token', 'create'], ['rbac.authorization.k8s.io', 'roles', 'escalate'], ['rbac.authorization.k8s.io', 'rolebindings', 'create'], ['batch', 'jobs', 'create']] as const) {
      await expectAllowed(false, 'ci', g, res, verb);
    }
    for (const [g, res] of [['', 'nodes'], ['', 'namespaces'], ['rbac.authorization.k8s.io', 'clusterroles']] as const) await expectAllowed(false, undefined, g, res, 'list');
    expect(wrong).toEqual([]);

    // Real requests: a read in the second allowed namespace works, the same read outside the list is a 403 from the apiserver.
    expect((await asRelease('GET', '/apis/apps/v1/namespaces/orders/deployments/orders-api')).status).toBe(200);
    const outside = await asRelease('GET', `/apis/apps/v1/namespaces/${OUTSIDE}/deployments/payments-api`);
    const message = (r: { body: string }) => (JSON.parse(r.body) as { message: string }).message;
    expect([outside.status, message(outside)]).toEqual([403, expect.stringContaining(`cannot get resource "deployments" in API group "apps" in the namespace "${OUTSIDE}"`)]);
    // A verb the service never needs (delete), even where it may patch, dry-run so nothing would change: 403.
    const del = await asRelease('DELETE', '/apis/apps/v1/namespaces/ci/deployments/helm-scale?dryRun=All');
    expect([del.status, message(del)]).toEqual([403, expect.stringContaining('cannot delete resource "deployments" in API group "apps" in the namespace "ci"')]);
    const secrets = await asRelease('GET', '/api/v1/namespaces/ci/secrets');
    expect(secrets.status).toBe(403);
  });

  test('helm uninstall removes every object of the release (the SQLite PVC is kept, as its resource policy says); the token stops working', async () => {
    svc!.kill('SIGTERM');
    await svc!.exited;
    svc = undefined;
    const core = cp.admin.makeApiClient(CoreV1Api);
    const helmSecrets = async () => (await core.listNamespacedSecret({ namespace: NAMESPACE, labelSelector: `owner=helm,name=${RELEASE}` })).items.length;
    expect(await helmSecrets()).toBe(1);
    await helm(['uninstall', RELEASE, '--namespace', NAMESPACE]);

    const selector = `app.kubernetes.io/instance=${RELEASE}`;
    const apps = cp.admin.makeApiClient(AppsV1Api);
    const rbac = cp.admin.makeApiClient(RbacAuthorizationV1Api);
    const listAsAdmin = async (path: string) => JSON.parse((await asAdmin(path)).body) as { items: { kind?: string; metadata: { name: string } }[] };
    const left = async () => {
      const found: string[] = [];
      for (const ns of [NAMESPACE, ...ALLOWED]) {
        const lists: Array<[string, Promise<{ items: { metadata?: { name?: string } }[] }>]> = [
          ['Deployment', apps.listNamespacedDeployment({ namespace: ns, labelSelector: selector })],
          ['Service', core.listNamespacedService({ namespace: ns, labelSelector: selector })],
          ['ConfigMap', core.listNamespacedConfigMap({ namespace: ns, labelSelector: selector })],
          ['ServiceAccount', core.listNamespacedServiceAccount({ namespace: ns, labelSelector: selector })],
          ['PersistentVolumeClaim', core.listNamespacedPersistentVolumeClaim({ namespace: ns, labelSelector: selector })],
          ['Role', rbac.listNamespacedRole({ namespace: ns, labelSelector: selector })],
          ['RoleBinding', rbac.listNamespacedRoleBinding({ namespace: ns, labelSelector: selector })],
        ];
        for (const [kind, p] of lists) for (const o of (await p).items) found.push(`${kind} ${ns}/${o.metadata?.name ?? ''}`);
      }
      const netpols = await listAsAdmin(`/apis/networking.k8s.io/v1/namespaces/${NAMESPACE}/networkpolicies?labelSelector=${encodeURIComponent(selector)}`);
      const pdbs = await listAsAdmin(`/apis/policy/v1/namespaces/${NAMESPACE}/poddisruptionbudgets?labelSelector=${encodeURIComponent(selector)}`);
      for (const o of netpols.items) found.push(`NetworkPolicy ${NAMESPACE}/${o.metadata.name}`);
      for (const o of pdbs.items) found.push(`PodDisruptionBudget ${NAMESPACE}/${o.metadata.name}`);
      return found.sort();
    };
    await waitFor('the release\'s objects gone', async () => (await left()).length === 1, 60_000, 500).catch(async (err: Error) => {
      throw new Error(`${err.message}: left ${(await left()).join(', ')}`);
    });
    expect(await left()).toEqual([`PersistentVolumeClaim ${NAMESPACE}/${FULLNAME}-data`]);
    expect(await helmSecrets()).toBe(0);
    // The ServiceAccount is gone, so its token is refused.
    await waitFor('the token refused', async () => (await asRelease('GET', '/apis/apps/v1/namespaces/ci/deployments/helm-scale')).status === 401, 30_000, 500);
  });
});
