/**
 * What `kubectl apply -k` would send: the base and both overlays built with the kubectl binary
 * (KUBECTL, or `kubectl` on the PATH), and, where installed, with every other kubectl here too,
 * since kubectl ≤ 1.20 embeds kustomize v2.0.3 with older syntax and newer ones kustomize v5.
 * Then the same under a kustomization of a user's own that moves everything to another
 * namespace: the binding's subject and the ServiceMonitor follow, and no Namespace is relabelled.
 */
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describeWithBinaries, which } from '../../helpers/binaries.js';
import { CRD_KINDS, DEPLOY_DIR, kustomize, one, repoRuleFiles, schemaProblems, typeKey, type K8sObject } from './manifests.js';

const PRIMARY = process.env.KUBECTL ?? 'kubectl';
/** The primary kubectl, then each other one installed here (one entry per binary, however named). */
const KUBECTLS = (() => {
  const seen = new Set<string>();
  return [PRIMARY, 'kubectl', 'kubectl.debian'].filter((b) => {
    const path = which(b);
    const real = path === null ? b : realpathSync(path);
    if ((b !== PRIMARY && path === null) || seen.has(real)) return false;
    seen.add(real);
    return true;
  });
})();
const NAMESPACE = 'autoremediator';
const CLUSTER_SCOPED = new Set(['ClusterRole', 'ClusterRoleBinding']);
const SELECTOR = { 'app.kubernetes.io/name': 'autoremediator', 'app.kubernetes.io/instance': 'autoremediator' };
const BUILDS = { base: 'base', single: 'overlays/single', ha: 'overlays/ha', observability: 'observability' } as const;
type Build = keyof typeof BUILDS;

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}

/** Label-selector semantics of the API server: every matchLabels pair and every expression must hold. */
function selects(selector: Selector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every((e) => {
    const has = Object.hasOwn(labels, e.key);
    switch (e.operator) {
      case 'In':
        return has && (e.values ?? []).includes(labels[e.key]!);
      case 'NotIn':
        return !has || !(e.values ?? []).includes(labels[e.key]!);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
    }
  });
  return byLabels && byExpressions;
}

/** Parsed YAML, read freely by the assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;
const podOf = (objects: K8sObject[]) => one(objects, 'Deployment', 'autoremediator').spec.template as Loose;
const containerOf = (objects: K8sObject[]) => (podOf(objects).spec.containers as Loose[]).find((c) => c.name === 'autoremediator')!;
const envOf = (objects: K8sObject[], name: string) => (containerOf(objects).env as Array<{ name: string; value?: string; valueFrom?: Record<string, unknown> }>).find((e) => e.name === name);

describeWithBinaries({ [PRIMARY]: 'kubernetes-client' }, 'deploy/: kustomize builds', () => {
  describe.each(KUBECTLS)('%s kustomize', (kubectl) => {
    const built = {} as Record<Build, K8sObject[]>;

    beforeAll(async () => {
      for (const [name, dir] of Object.entries(BUILDS)) built[name as Build] = await kustomize(kubectl, join(DEPLOY_DIR, dir));
    });

    test.each(Object.keys(BUILDS) as Build[])('%s: every object validates and lives in the autoremediator namespace', (b) => {
      expect(built[b].length).toBeGreaterThan(0);
      for (const o of built[b]) {
        const id = `${o.kind}/${o.metadata.name}`;
        if (!CRD_KINDS.has(typeKey(o))) expect({ id, problems: schemaProblems(o) }).toEqual({ id, problems: [] });
        expect({ id, namespace: o.metadata.namespace }).toEqual({ id, namespace: CLUSTER_SCOPED.has(o.kind) ? undefined : NAMESPACE });
        expect({ id, label: o.metadata.labels?.['app.kubernetes.io/name'] }).toEqual({ id, label: 'autoremediator' });
      }
    });

    test.each(Object.keys(BUILDS) as Build[])('%s: no Namespace object (a namespace is never created nor relabelled)', (b) => {
      expect(built[b].filter((o) => o.kind === 'Namespace')).toEqual([]);
    });

    test.each(['single', 'ha'] as const)('%s: shadow mode (DRY_RUN "true") and the rules ConfigMap is the rules/ folder', (b) => {
      expect(envOf(built[b], 'DRY_RUN')).toEqual({ name: 'DRY_RUN', value: 'true' });
      const rules = one(built[b], 'ConfigMap', 'autoremediator-rules');
      expect(rules.data).toEqual(repoRuleFiles());
      // The Deployment mounts that ConfigMap, whole (no subPath: updates must reach the pod), where RULES_DIR points.
      const pod = podOf(built[b]);
      const volume = pod.spec.volumes.find((v: { configMap?: { name: string } }) => v.configMap?.name === rules.metadata.name);
      const mount = containerOf(built[b]).volumeMounts.find((m: { name: string }) => m.name === volume?.name);
      expect(mount).toEqual({ name: volume.name, mountPath: envOf(built[b], 'RULES_DIR')?.value, readOnly: true });
    });

    test.each(['single', 'ha'] as const)('%s: probes on /healthz and /readyz of port 8000, drain budget within the grace period', (b) => {
      const c = containerOf(built[b]);
      const port = (p: string | number) => (typeof p === 'number' ? p : (c.ports as Array<{ name: string; containerPort: number }>).find((cp) => cp.name === p)?.containerPort);
      expect([c.livenessProbe.httpGet.path, port(c.livenessProbe.httpGet.port)]).toEqual(['/healthz', 8000]);
      expect([c.readinessProbe.httpGet.path, port(c.readinessProbe.httpGet.port)]).toEqual(['/readyz', 8000]);
      expect([c.startupProbe.httpGet.path, port(c.startupProbe.httpGet.port)]).toEqual(['/healthz', 8000]);
      expect(envOf(built[b], 'PORT')?.value).toBe('8000');
      // preStop sleep (endpoints removed first), then the service's 20 s drain, inside the grace period.
      const [cmd, seconds] = c.lifecycle.preStop.exec.command as string[];
      expect(cmd).toBe('sleep');
      expect(Number(seconds)).toBeGreaterThan(0);
      const grace = podOf(built[b]).spec.terminationGracePeriodSeconds as number;
      expect(grace).toBe(30);
      expect(Number(seconds) + 20).toBeLessThan(grace);
    });

    test.each(['single', 'ha'] as const)('%s: non-root, read-only root filesystem, no capabilities, RuntimeDefault seccomp', (b) => {
      const pod = podOf(built[b]).spec;
      const c = containerOf(built[b]);
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(pod.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
      expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      const tmp = c.volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/tmp');
      expect(pod.volumes.find((v: { name: string }) => v.name === tmp?.name)?.emptyDir).toBeDefined();
      expect(Object.keys(c.resources.requests).sort()).toEqual(['cpu', 'memory']);
      expect(Object.keys(c.resources.limits).sort()).toEqual(['cpu', 'memory']);
    });

    test.each(['single', 'ha'] as const)('%s: Service, PDB, NetworkPolicy and spread constraints select the pods', (b) => {
      const labels = podOf(built[b]).metadata.labels as Record<string, string>;
      const svc = one(built[b], 'Service', 'autoremediator');
      expect(svc.spec.ports).toEqual([{ name: 'http', port: 8000, targetPort: 'http', protocol: 'TCP' }]);
      expect(containerOf(built[b]).ports).toEqual([{ name: 'http', containerPort: 8000, protocol: 'TCP' }]);
      expect(selects({ matchLabels: svc.spec.selector }, labels)).toBe(true);
      expect(selects(one(built[b], 'PodDisruptionBudget').spec.selector, labels)).toBe(true);
      const spread = podOf(built[b]).spec.topologySpreadConstraints as Array<{ topologyKey: string; labelSelector: Selector }>;
      expect(spread.map((s) => s.topologyKey).sort()).toEqual(['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
      for (const s of spread) expect(selects(s.labelSelector, labels)).toBe(true);

      const np = one(built[b], 'NetworkPolicy');
      expect(selects(np.spec.podSelector, labels)).toBe(true);
      expect(np.spec.policyTypes).toEqual(['Ingress']);
      expect(np.spec.ingress).toHaveLength(1);
      const [rule] = np.spec.ingress as Array<{ from: Array<{ namespaceSelector?: Selector; podSelector: Selector }>; ports: unknown[] }>;
      expect(rule!.ports).toEqual([{ port: 8000, protocol: 'TCP' }]);
      // Who may connect, as the API server would evaluate the peers (after kustomize's label rewriting).
      const admitted = (podLabels: Record<string, string>) => rule!.from.some((p) => selects(p.podSelector, podLabels) && p.namespaceSelector !== undefined && selects(p.namespaceSelector, { 'kubernetes.io/metadata.name': 'monitoring' }));
      expect(admitted({ 'app.kubernetes.io/name': 'alertmanager' })).toBe(true); // Alertmanager posting the webhook
      expect(admitted({ 'app.kubernetes.io/name': 'prometheus' })).toBe(true); // Prometheus scraping /metrics
      expect(admitted({ 'app.kubernetes.io/name': 'grafana' })).toBe(false); // anything else
      expect(admitted({ 'app.kubernetes.io/name': 'autoremediator' })).toBe(false); // not even itself
    });

    test.each(['single', 'ha'] as const)('%s: runs as its ServiceAccount, bound cluster-wide; credentials only by reference', (b) => {
      const sa = one(built[b], 'ServiceAccount', 'autoremediator');
      expect(podOf(built[b]).spec.serviceAccountName).toBe(sa.metadata.name);
      expect(one(built[b], 'ClusterRoleBinding').subjects).toEqual([{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace }]);
      expect(built[b].filter((o) => o.kind === 'Secret')).toEqual([]);
      const env = containerOf(built[b]).env as Array<{ name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
      expect(new Set(env.map((e) => e.name)).size).toBe(env.length);
      for (const name of ['ADMIN_TOKEN', 'WEBHOOK_TOKEN']) expect(envOf(built[b], name)?.valueFrom?.secretKeyRef).toMatchObject({ name: 'autoremediator' });
    });

    test('single: 1 replica, Recreate, SQLite on the PersistentVolumeClaim mounted at /data', () => {
      const deployment = one(built.single, 'Deployment', 'autoremediator');
      expect(deployment.spec.replicas).toBe(1);
      expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
      expect(envOf(built.single, 'DATABASE_URL')).toEqual({ name: 'DATABASE_URL', value: 'sqlite:/data/autoremediator.db' });
      const pvc = one(built.single, 'PersistentVolumeClaim');
      expect(pvc.spec.accessModes).toEqual(['ReadWriteOnce']);
      const volume = podOf(built.single).spec.volumes.find((v: { persistentVolumeClaim?: { claimName: string } }) => v.persistentVolumeClaim?.claimName === pvc.metadata.name);
      expect(containerOf(built.single).volumeMounts).toContainEqual({ name: volume?.name, mountPath: '/data' });
    });

    test('ha: 2 replicas, PostgreSQL URL from the Secret, PDB minAvailable 1, no RBAC beyond the base', () => {
      const deployment = one(built.ha, 'Deployment', 'autoremediator');
      expect(deployment.spec.replicas).toBe(2);
      expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
      expect(envOf(built.ha, 'DATABASE_URL')).toEqual({ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'autoremediator', key: 'database-url' } } });
      expect(readFileSync(join(DEPLOY_DIR, 'base', 'secret.example.yaml'), 'utf8')).toMatch(/database-url: postgres(ql)?:\/\//);
      expect(built.ha.filter((o) => o.kind === 'PersistentVolumeClaim')).toEqual([]);
      expect(one(built.ha, 'PodDisruptionBudget').spec).toEqual({ minAvailable: 1, selector: { matchLabels: SELECTOR } });
      // locks live in PostgreSQL: the replicas need no Lease, so no Role beyond the base's ClusterRole
      expect(built.ha.filter((o) => o.kind === 'Role' || o.kind === 'RoleBinding')).toEqual([]);
      expect(one(built.ha, 'ClusterRole').rules).toEqual(one(built.single, 'ClusterRole').rules);
    });

    test('base: only the rule table (the overlays are renderings of the chart)', () => {
      expect(built.base.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ConfigMap/autoremediator-rules']);
      expect(one(built.single, 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
    });

    test('observability: the ServiceMonitor scrapes the Service port `http`; the dashboard ConfigMap is the JSON file', () => {
      const sm = one(built.observability, 'ServiceMonitor');
      const svc = one(built.single, 'Service', 'autoremediator');
      expect(selects(sm.spec.selector, svc.metadata.labels!)).toBe(true);
      // No namespaceSelector: the monitor selects Services in its own namespace, the Service's.
      expect(sm.spec.namespaceSelector).toBeUndefined();
      expect(sm.metadata.namespace).toBe(svc.metadata.namespace);
      expect(sm.spec.endpoints.map((e: { port: string; path: string }) => [e.port, e.path])).toEqual([[svc.spec.ports[0].name, '/metrics']]);
      const dashboard = one(built.observability, 'ConfigMap', 'autoremediator-dashboard');
      expect(dashboard.metadata.labels?.grafana_dashboard).toBe('1');
      expect(dashboard.data).toEqual({ 'grafana-dashboard.json': readFileSync(join(DEPLOY_DIR, 'observability', 'grafana-dashboard.json'), 'utf8') });
    });
  });

  describe.each(KUBECTLS)('%s kustomize under a `namespace:` override of a user\'s own', (kubectl) => {
    const OTHER = 'platform-tools';
    const built = {} as Record<'single' | 'ha', K8sObject[]>;
    let dir: string;

    beforeAll(async () => {
      // A kustomization outside the repository, as a user keeps one, on top of an overlay and
      // the observability objects, moving everything to another namespace.
      dir = mkdtempSync(join(tmpdir(), 'kustomize-override-'));
      for (const b of ['single', 'ha'] as const) {
        const own = join(dir, b);
        const bases = [BUILDS[b], BUILDS.observability].map((d) => relative(own, join(DEPLOY_DIR, d)));
        mkdirSync(own);
        writeFileSync(join(own, 'kustomization.yaml'), `namespace: ${OTHER}\nbases:\n${bases.map((p) => `  - ${p}\n`).join('')}`);
        built[b] = await kustomize(kubectl, own);
      }
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    test('observability alone, with the `release` label kube-prometheus-stack selects on: both objects carry it, the monitor still selects the Service', async () => {
      const own = join(dir, 'observability');
      mkdirSync(own);
      writeFileSync(join(own, 'kustomization.yaml'), `namespace: ${OTHER}\ncommonLabels:\n  release: kube-prometheus-stack\nbases:\n  - ${relative(own, join(DEPLOY_DIR, BUILDS.observability))}\n`);
      const objects = await kustomize(kubectl, own);
      for (const kind of ['ServiceMonitor', 'PrometheusRule']) expect({ kind, release: one(objects, kind).metadata.labels?.release }).toEqual({ kind, release: 'kube-prometheus-stack' });
      expect(selects(one(objects, 'ServiceMonitor').spec.selector, one(built.single, 'Service', 'autoremediator').metadata.labels!)).toBe(true);
    });

    test.each(['single', 'ha'] as const)('%s: every namespaced object moves, the ClusterRoleBinding\'s subject with them; no Namespace is created or relabelled', (b) => {
      for (const o of built[b]) {
        const id = `${o.kind}/${o.metadata.name}`;
        expect({ id, namespace: o.metadata.namespace }).toEqual({ id, namespace: CLUSTER_SCOPED.has(o.kind) ? undefined : OTHER });
      }
      expect(built[b].filter((o) => o.kind === 'Namespace')).toEqual([]);
      const sa = one(built[b], 'ServiceAccount', 'autoremediator');
      expect(one(built[b], 'ClusterRoleBinding').subjects).toEqual([{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: OTHER }]);
      expect(podOf(built[b]).spec.serviceAccountName).toBe(sa.metadata.name);
    });

    test.each(['single', 'ha'] as const)('%s: the ServiceMonitor selects the Service in the new namespace; the alerts watch its job', (b) => {
      const sm = one(built[b], 'ServiceMonitor');
      const svc = one(built[b], 'Service', 'autoremediator');
      expect([sm.metadata.namespace, svc.metadata.namespace]).toEqual([OTHER, OTHER]);
      expect(sm.spec.namespaceSelector).toBeUndefined();
      expect(selects(sm.spec.selector, svc.metadata.labels!)).toBe(true);
      const exprs = (one(built[b], 'PrometheusRule').spec.groups as Loose[]).flatMap((g) => (g.rules as Loose[]).map((r) => r.expr as string));
      expect(exprs).toContain(`absent(up{job="${svc.metadata.name}"})`);
      expect(exprs.join('\n')).not.toMatch(/namespace="autoremediator"/);
    });
  });
});
