/**
 * A real Kubernetes control plane on loopback, for the tests and for trying the service by hand:
 * etcd, kube-apiserver (RBAC on), kube-controller-manager (deployment, replicaset, HPA, service
 * account… controllers), kube-scheduler, and kwok playing the kubelets (fake nodes; pods bound by
 * the scheduler become Running and Ready). All built from their Go modules by `npm run components`.
 * The CloudNativePG operator's part is played by cnpg-stand-in.ts (instance pods and status).
 *
 * Started, it has: certificates and a service-account key generated for this run; the real
 * CloudNativePG `Cluster` CRD, the prometheus-operator CRDs, Argo CD's `Application`, Flux's
 * `Kustomization` and `HelmRelease` and KEDA's `ScaledObject` taken from their modules; the RBAC
 * of `deploy/` (rendered by kustomize from the manifests, not copied); the reference workload of
 * the sandbox (`src/sandbox/seed/reference.yaml`); and two kubeconfigs: `kubeconfig` authenticates
 * as the `autoremediator` ServiceAccount (a TokenRequest token), `adminKubeconfig` as a cluster admin.
 *
 * Contract: `startControlPlane()` resolves once everything above is ready, or rejects after
 * stopping whatever it had started; `stop()` ends every process it started (by pid) and removes
 * its temporary folder. Nothing listens anywhere but 127.0.0.1.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { startCnpgStandIn } from './cnpg-stand-in.js';
import { freePort, waitFor } from '../helpers/binaries.js';
import { component, componentPath, componentVersion, type ComponentName } from '../helpers/components.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The CRDs installed from their modules: CloudNativePG, prometheus-operator, and the owners a
 * target may have (Argo CD's Application, Flux's Kustomization and HelmRelease, KEDA's ScaledObject).
 */
const CRD_SETS = ['crd-cnpg', 'crd-prometheus-operator', 'crd-argocd', 'crd-flux-kustomize', 'crd-flux-helm', 'crd-keda'] as const satisfies readonly ComponentName[];

/** What a control plane needs built; `npm run components` builds them. */
export const CONTROL_PLANE_COMPONENTS: ComponentName[] = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok', 'kwok-stages', ...CRD_SETS];

/** The identity deploy/ gives the service (checked against what kustomize renders). */
export const SERVICE_ACCOUNT = { namespace: 'autoremediator', name: 'autoremediator' };

/** One request of the service's ServiceAccount, from the apiserver's audit log. */
export interface AuditedRequest {
  time: string;
  /** Who sent it, e.g. system:serviceaccount:autoremediator:autoremediator. */
  user: string;
  verb: string;
  apiGroup: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  code: number;
}

export interface ControlPlaneOptions {
  /** Apply the reference workload (default true). */
  seed?: boolean;
  /** Fake nodes kwok manages (default 3). */
  nodes?: number;
  /** The HPA controller's sync period (default 2s; a real cluster's default is 15s). */
  hpaSyncPeriod?: string;
  /** More users whose requests the audit log keeps (requests()), e.g. another release's ServiceAccount. */
  auditUsers?: string[];
  /** Where each component's output goes (default: a log file per component in the temp folder). */
  log?: (line: string) => void;
}

export interface ControlPlane {
  /** https://127.0.0.1:PORT */
  server: string;
  /** The apiserver's reported gitVersion, e.g. v1.37.2. */
  version: string;
  /** Kubeconfig file authenticating as ServiceAccount autoremediator/autoremediator. */
  kubeconfig: string;
  /** Kubeconfig file authenticating as a cluster admin (group system:masters). */
  adminKubeconfig: string;
  /** The ServiceAccount's bearer token (what the service sends). */
  serviceAccountToken: string;
  admin: KubeConfig;
  dir: string;
  /** Applies objects as the admin (server-side apply, field manager `control-plane`). */
  apply(objects: KubernetesObject[], opts?: { dryRun?: boolean }): Promise<void>;
  /** The service's requests so far (and those of opts.auditUsers), as the apiserver audited them (completed requests, in order). */
  requests(): AuditedRequest[];
  /** Each component's log so far (for a failing test's message). */
  logs(): string;
  stop(): Promise<void>;
}

export function missingComponents(): ComponentName[] {
  return CONTROL_PLANE_COMPONENTS.filter((c) => component(c) === null);
}

/** waitFor, with the components' logs in the error: a control plane that does not come up says why. */
async function until(what: string, timeoutMs: number, check: () => Promise<boolean>, logs: () => string): Promise<void> {
  await waitFor(`control plane: ${what}`, check, timeoutMs, 200).catch((err: Error) => {
    throw new Error(`${err.message}\n${logs().slice(-4000)}`);
  });
}

/** Multi-document YAML → objects (documents that are empty or not objects are dropped). */
export function parseManifests(text: string, source: string): KubernetesObject[] {
  const out: KubernetesObject[] = [];
  parseAllDocuments(text).forEach((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${source}: document ${i + 1}: ${doc.errors[0]!.message}`);
    const v = doc.toJS() as KubernetesObject | null;
    if (v && typeof v === 'object' && v.kind) out.push(v);
  });
  return out;
}

function kubectl(): string {
  return process.env.KUBECTL ?? 'kubectl';
}

/** The objects `kubectl kustomize DIR` renders (Debian's kubectl; KUBECTL names another). */
export function kustomize(dir: string): KubernetesObject[] {
  const text = execFileSync(kubectl(), ['kustomize', join(root, dir)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return parseManifests(text, `kubectl kustomize ${dir}`);
}

function kubeconfigYaml(server: string, caFile: string, token: string, user: string): string {
  const ca = readFileSync(caFile).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: control-plane',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${ca}`,
    'users:',
    `- name: ${user}`,
    '  user:',
    `    token: ${token}`,
    'contexts:',
    `- name: ${user}`,
    '  context:',
    '    cluster: control-plane',
    `    user: ${user}`,
    `current-context: ${user}`,
    '',
  ].join('\n');
}

/** CA, the apiserver's serving certificate (127.0.0.1, localhost) and the service-account key pair. */
function makeCertificates(dir: string): void {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=autoremediator-test-ca']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'apiserver.key', '-out', 'apiserver.csr', '-subj', '/CN=kube-apiserver']);
  writeFileSync(
    join(dir, 'apiserver.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n',
  );
  run(['x509', '-req', '-in', 'apiserver.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'apiserver.crt', '-days', '2', '-extfile', 'apiserver.ext']);
  run(['genrsa', '-out', 'sa.key', '2048']);
  run(['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);
}

/** Fake nodes for kwok: it manages the nodes annotated kwok.x-k8s.io/node=fake. */
function fakeNode(i: number): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: `kwok-node-${i}`,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: { type: 'kwok', 'kubernetes.io/hostname': `kwok-node-${i}`, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' },
    },
    spec: {},
    status: {
      allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
      capacity: { cpu: '32', memory: '256Gi', pods: '110' },
    },
  } as KubernetesObject;
}

export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const missing = missingComponents();
  if (missing.length > 0) {
    throw new Error(`control plane: not built: ${missing.join(', ')}; run npm run components (needs Go ≥ 1.26 and the Go module proxy)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'autoremediator-cp-'));
  const procs: { name: string; proc: ChildProcess; out: string[] }[] = [];
  const logs = () => procs.map((p) => `--- ${p.name}\n${p.out.join('').slice(-3000)}`).join('\n');
  let stopped = false;

  let cnpg: { stop(): Promise<void> } | undefined;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await cnpg?.stop();
    // Reverse order: the clients of the apiserver first, etcd last.
    for (const p of [...procs].reverse()) {
      if (p.proc.exitCode !== null || p.proc.signalCode !== null) continue;
      const exited = new Promise<void>((r) => p.proc.once('exit', () => r()));
      p.proc.kill('SIGTERM');
      const t = setTimeout(() => p.proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const start = (name: ComponentName, args: string[]) => {
    const out: string[] = [];
    const proc = spawn(componentPath(name), args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (b: Buffer) => {
      const s = b.toString();
      out.push(s);
      if (out.length > 400) out.splice(0, out.length - 400);
      opts.log?.(`[${name}] ${s}`);
    };
    proc.stdout.on('data', keep);
    proc.stderr.on('data', keep);
    procs.push({ name, proc, out });
    proc.once('exit', (code, sig) => {
      if (!stopped) out.push(`\n[${name} exited: ${code ?? sig}]\n`);
    });
    return proc;
  };
  const alive = (name: string) => {
    const p = procs.find((x) => x.name === name);
    if (p && (p.proc.exitCode !== null || p.proc.signalCode !== null)) throw new Error(`${name} exited`);
  };

  try {
    makeCertificates(dir);
    const adminToken = `admin-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
    writeFileSync(join(dir, 'tokens.csv'), `${adminToken},control-plane-admin,control-plane-admin,"system:masters"\n`);

    writeFileSync(
      join(dir, 'audit-policy.yaml'),
      [
        'apiVersion: audit.k8s.io/v1',
        'kind: Policy',
        'omitStages: [RequestReceived]',
        'rules:',
        `  - level: Metadata`,
        `    users: ${JSON.stringify([`system:serviceaccount:${SERVICE_ACCOUNT.namespace}:${SERVICE_ACCOUNT.name}`, ...(opts.auditUsers ?? [])])}`,
        '  - level: None',
        '',
      ].join('\n'),
    );
    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    start('etcd', [
      '--name=default',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
      '--listen-metrics-urls=',
      // Tests only: a crash loses the cluster anyway (its folder is temporary).
      '--unsafe-no-fsync',
      '--log-level=warn',
    ]);
    await until('etcd', 30_000, async () => {
      alive('etcd');
      const r = await fetch(`http://127.0.0.1:${etcdClient}/health`);
      return r.ok;
    }, logs);

    const server = `https://127.0.0.1:${apiPort}`;
    start('kube-apiserver', [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--tls-cert-file=${join(dir, 'apiserver.crt')}`,
      `--tls-private-key-file=${join(dir, 'apiserver.key')}`,
      `--client-ca-file=${join(dir, 'ca.crt')}`,
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--service-cluster-ip-range=10.96.0.0/16',
      // The "kubernetes" Service would point at 127.0.0.1, which Endpoints validation refuses.
      '--endpoint-reconciler-type=none',
      '--profiling=false',
      `--cert-dir=${join(dir, 'apiserver-certs')}`,
      // Every request of the service's ServiceAccount, as the sandbox logs its requests.
      `--audit-policy-file=${join(dir, 'audit-policy.yaml')}`,
      `--audit-log-path=${join(dir, 'audit.log')}`,
      '--audit-log-mode=blocking',
    ]);
    const admin = new KubeConfig();
    writeFileSync(join(dir, 'admin.kubeconfig'), kubeconfigYaml(server, join(dir, 'ca.crt'), adminToken, 'control-plane-admin'));
    admin.loadFromFile(join(dir, 'admin.kubeconfig'));
    const ca = readFileSync(join(dir, 'ca.crt'));
    const https = await import('node:https');
    /** One request as the admin over the control plane's own CA (node's fetch takes no CA). */
    const adminRequest = (method: string, path: string, body?: string, contentType = 'application/json'): Promise<Response> =>
      new Promise((res, rej) => {
        const headers: Record<string, string> = { authorization: `Bearer ${adminToken}`, accept: 'application/json' };
        if (body !== undefined) headers['content-type'] = contentType;
        const req = https.request(`${server}${path}`, { method, ca, headers }, (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => res(new Response(Buffer.concat(chunks), { status: r.statusCode ?? 0 })));
        });
        req.on('error', rej);
        req.end(body);
      });
    const adminGet = (path: string) => adminRequest('GET', path);
    await until('kube-apiserver /readyz', 90_000, async () => {
      alive('kube-apiserver');
      return (await adminGet('/readyz')).ok;
    }, logs);
    const version = ((await (await adminGet('/version')).json()) as { gitVersion: string }).gitVersion;

    start('kube-controller-manager', [
      `--kubeconfig=${join(dir, 'admin.kubeconfig')}`,
      `--service-account-private-key-file=${join(dir, 'sa.key')}`,
      `--root-ca-file=${join(dir, 'ca.crt')}`,
      '--use-service-account-credentials=true',
      '--controllers=*',
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      '--secure-port=0',
      `--horizontal-pod-autoscaler-sync-period=${opts.hpaSyncPeriod ?? '2s'}`,
    ]);
    start('kube-scheduler', [`--kubeconfig=${join(dir, 'admin.kubeconfig')}`, '--leader-elect=false', '--bind-address=127.0.0.1', '--secure-port=0']);
    // kwok's own stages (from its module): nodes initialised and kept alive by leases; pods
    // created, then Running and Ready after 1–6 s each, as kwok's "general" profile plays them.
    const stages = readdirSync(componentPath('kwok-stages')).filter((f) => f.endsWith('.yaml'));
    start('kwok', [
      ...stages.map((f) => `--config=${join(componentPath('kwok-stages'), f)}`),
      `--kubeconfig=${join(dir, 'admin.kubeconfig')}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      // Leases as kubelets renew them: without, the node lifecycle controller marks the pods unready.
      '--node-lease-duration-seconds=40',
      '--cidr=10.244.0.1/16',
      '--node-ip=10.244.0.1',
      `--server-address=127.0.0.1:${await freePort()}`,
    ]);

    // Resource paths from discovery, as kubectl finds them.
    const discovered = new Map<string, { name: string; namespaced: boolean }>();
    const resourceOf = async (apiVersion: string, kind: string) => {
      const key = `${apiVersion}/${kind}`;
      if (!discovered.has(key)) {
        const r = await adminGet(apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`);
        if (!r.ok) throw new Error(`discovery of ${apiVersion}: ${r.status} ${await r.text()}`);
        const list = (await r.json()) as { resources: { name: string; kind: string; namespaced: boolean }[] };
        for (const x of list.resources) if (!x.name.includes('/')) discovered.set(`${apiVersion}/${x.kind}`, { name: x.name, namespaced: x.namespaced });
      }
      const found = discovered.get(key);
      if (!found) throw new Error(`the apiserver serves no ${kind} in ${apiVersion}`);
      return found;
    };
    /** Server-side apply with strict field validation: an unknown field is an error, not a silent drop. */
    const apply = async (list: KubernetesObject[], o: { dryRun?: boolean } = {}) => {
      for (const obj of list) {
        const what = `${obj.kind} ${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
        const res = await resourceOf(obj.apiVersion!, obj.kind!);
        const prefix = obj.apiVersion!.includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
        const ns = res.namespaced ? `/namespaces/${obj.metadata?.namespace ?? 'default'}` : '';
        const query = `fieldManager=control-plane&force=true&fieldValidation=Strict${o.dryRun ? '&dryRun=All' : ''}`;
        const r = await adminRequest('PATCH', `${prefix}${ns}/${res.name}/${obj.metadata!.name!}?${query}`, JSON.stringify(obj), 'application/apply-patch+yaml');
        if (!r.ok) throw new Error(`apply ${what}: ${r.status} ${await r.text()}`);
      }
    };

    // Nodes, then wait until kwok has made them Ready.
    const nodes = Array.from({ length: opts.nodes ?? 3 }, (_, i) => fakeNode(i));
    await apply(nodes);
    await until('kwok nodes Ready', 60_000, async () => {
      alive('kwok');
      const list = (await (await adminGet('/api/v1/nodes')).json()) as { items: { status?: { conditions?: { type: string; status: string }[] } }[] };
      return list.items.length === nodes.length && list.items.every((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    }, logs);

    // CRDs from their modules, then wait until each is Established.
    const crds: KubernetesObject[] = [];
    for (const set of CRD_SETS) {
      const folder = componentPath(set);
      for (const f of readdirSync(folder).filter((x) => x.endsWith('.yaml'))) crds.push(...parseManifests(readFileSync(join(folder, f), 'utf8'), f));
    }
    await apply(crds);
    await until('CRDs Established', 60_000, async () => {
      for (const c of crds) {
        const r = await adminGet(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${c.metadata!.name!}`);
        const body = (await r.json()) as { status?: { conditions?: { type: string; status: string }[] } };
        if (!body.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True')) return false;
      }
      return true;
    }, logs);

    // The CloudNativePG operator's part (instances and status), played against the real API.
    cnpg = startCnpgStandIn(admin);

    // The service's identity and permissions, from deploy/ as kustomize renders them.
    const rendered = kustomize('deploy/overlays/single');
    const identity = rendered.filter((o) => ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(o.kind!));
    if (!identity.some((o) => o.kind === 'ServiceAccount' && o.metadata?.name === SERVICE_ACCOUNT.name && o.metadata.namespace === SERVICE_ACCOUNT.namespace)) {
      throw new Error(`deploy/overlays/single renders no ServiceAccount ${SERVICE_ACCOUNT.namespace}/${SERVICE_ACCOUNT.name}`);
    }
    // The install's namespace is the user's to create (the chart and the overlays create none).
    await apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: SERVICE_ACCOUNT.namespace } }]);
    await apply(identity);
    const sa = identity.find((o) => o.kind === 'ServiceAccount')!;
    const saNamespace = sa.metadata!.namespace!;
    const saName = sa.metadata!.name!;

    if (opts.seed !== false) {
      const seed = parseManifests(readFileSync(join(root, 'src/sandbox/seed/reference.yaml'), 'utf8'), 'src/sandbox/seed/reference.yaml');
      // Namespaces first: the rest lives in them.
      await apply(seed.filter((o) => o.kind === 'Namespace'));
      await until('default service accounts', 30_000, async () => {
        for (const ns of seed.filter((o) => o.kind === 'Namespace')) {
          if (!(await adminGet(`/api/v1/namespaces/${ns.metadata!.name!}/serviceaccounts/default`)).ok) return false;
        }
        return true;
      }, logs);
      await apply(seed.filter((o) => o.kind !== 'Namespace'));
    }

    // A token for the ServiceAccount (TokenRequest), as `kubectl create token` asks for it.
    const tokenResponse = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
      name: saName,
      namespace: saNamespace,
      body: { spec: { audiences: [], expirationSeconds: 86_400 } },
    });
    const serviceAccountToken = tokenResponse.status?.token;
    if (!serviceAccountToken) throw new Error('TokenRequest returned no token');
    writeFileSync(join(dir, 'autoremediator.kubeconfig'), kubeconfigYaml(server, join(dir, 'ca.crt'), serviceAccountToken, `${saNamespace}-${saName}`));

    return {
      server,
      version,
      kubeconfig: join(dir, 'autoremediator.kubeconfig'),
      adminKubeconfig: join(dir, 'admin.kubeconfig'),
      serviceAccountToken,
      admin,
      dir,
      apply,
      requests: () => readAudit(join(dir, 'audit.log')),
      logs,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

interface AuditEvent {
  stage: string;
  user?: { username?: string };
  verb: string;
  objectRef?: { apiGroup?: string; resource?: string; subresource?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
  stageTimestamp: string;
}

function readAudit(file: string): AuditedRequest[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as AuditEvent)
    .filter((e) => e.stage === 'ResponseComplete')
    .map((e) => ({
      time: e.stageTimestamp,
      user: e.user?.username ?? '',
      verb: e.verb,
      apiGroup: e.objectRef?.apiGroup ?? '',
      ...(e.objectRef?.resource ? { resource: e.objectRef.resource } : {}),
      ...(e.objectRef?.subresource ? { subresource: e.objectRef.subresource } : {}),
      ...(e.objectRef?.namespace ? { namespace: e.objectRef.namespace } : {}),
      ...(e.objectRef?.name ? { name: e.objectRef.name } : {}),
      code: e.responseStatus?.code ?? 0,
    }));
}

/** The version `npm run components` builds, for messages. */
export function controlPlaneVersion(): string {
  return componentVersion('kube-apiserver');
}
