/**
 * The contract of the cluster port and of every Kubernetes action kind: what any API server
 * behind KubeCluster must let us rely on. Run against the sandbox (cluster-sandbox.test.ts)
 * and, by the lead's harness, against a real kube-apiserver with controllers: the cases use
 * only plain manifests applied through an admin client, unique names per case, and the port.
 *
 * For each kind (scale on a Deployment, a StatefulSet and a scalable custom resource, hpa,
 * resources, restart, undo): read → apply → the read shows `after` → restore → the read shows
 * `before`; a precondition gone stale since the read is refused; a deleted target is not
 * found; a 403 is classified `forbidden`; apply and restore never reject (errors are values).
 */
import { CoreV1Api, KubernetesObjectApi, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { quantity } from '../../src/kube/guard-reads.js';
import type { ClusterPort } from '../../src/actions/port.js';
import type { ApplyOutcome, TargetState } from '../../src/domain/cluster.js';
import type { ActDecision, StateFields } from '../../src/domain/decision.js';
import type { TargetRef } from '../../src/domain/target.js';
import { stateShows } from '../../src/remediation/resume.js';
import { actionSchema, ruleSchema, type ActionSpec } from '../../src/rule-table/schema.js';
import { decide } from '../../src/planner/decide.js';
import { ACTION_KINDS } from '../../src/actions/registry.js';

export interface ClusterHarness {
  /** The port under test: the real KubeCluster over HTTP. */
  cluster: ClusterPort;
  /** Admin credentials for seeding and checking (a KubeConfig for the same server). */
  admin: KubeConfig;
  /** A namespace that exists and the cases may fill. */
  namespace: string;
  /** Does the server know the scalable custom resource `clusters.postgresql.cnpg.io` (its CRD installed)? */
  hasCnpgCrd: boolean;
  /**
   * A port whose writes RBAC forbids (403), for the `forbidden` case; omitted when the harness
   * cannot give one. The sandbox simulates it with a fault, a real server with a read-only token.
   */
  forbidden?: () => Promise<ClusterPort>;
  /** Does the server serve Argo CD's Application CRD (the owner case then creates the Application it names)? */
  hasArgoCrd?: boolean;
  /** Does the server keep managedFields (a real apiserver does; the sandbox does not)? */
  keepsManagedFields?: boolean;
  /** Direct access to the Redis the redis kind reaches (to set and put back its maxmemory); omitted: the case is not run. */
  redis?: () => Promise<{ get(): Promise<number>; set(bytes: number): Promise<void>; close(): Promise<void> }>;
  close(): Promise<void>;
}

type Obj = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

/** Seeding and checking through the admin client: plain manifests, as kubectl would send them. */
export class Admin {
  private readonly api: KubernetesObjectApi;
  constructor(kc: KubeConfig) {
    this.api = KubernetesObjectApi.makeApiClient(kc);
  }
  async create(o: Obj): Promise<Obj> {
    return this.api.create<Obj>(o);
  }
  async get(apiVersion: string, kind: string, namespace: string, name: string): Promise<Obj> {
    return this.api.read<Obj>({ apiVersion, kind, metadata: { namespace, name } });
  }
  async delete(apiVersion: string, kind: string, namespace: string, name: string): Promise<void> {
    await this.api.delete({ apiVersion, kind, metadata: { namespace, name } });
  }
  async patch(o: Obj): Promise<Obj> {
    return this.api.patch<Obj>(o, undefined, undefined, 'contract-admin', undefined, 'application/merge-patch+json');
  }
}

let seq = 0;
/** A name no other case (or run against the same server) uses. */
export function uniqueName(prefix: string): string {
  seq += 1;
  return `${prefix}-${Date.now().toString(36)}-${seq}`;
}

export function deployment(namespace: string, name: string, replicas: number): Obj {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } } }] },
      },
    },
  };
}

export function statefulSet(namespace: string, name: string, replicas: number): Obj {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace, labels },
    spec: { replicas, serviceName: name, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] } } },
  };
}

export function hpa(namespace: string, name: string, target: string, min: number, max: number): Obj {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target },
      minReplicas: min,
      maxReplicas: max,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }],
    },
  };
}

/** A KEDA ScaledObject for a Deployment (keda.sh/v1alpha1), as a user writes it. */
export function scaledObject(namespace: string, name: string, target: string, min: number, max: number): Obj {
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name, namespace },
    spec: { scaleTargetRef: { name: target }, minReplicaCount: min, maxReplicaCount: max, triggers: [{ type: 'cpu', metricType: 'Utilization', metadata: { value: '80' } }] },
  };
}

/** The HPA KEDA's operator creates for a ScaledObject: `keda-hpa-<name>`, owned by it (controller: true). */
export function kedaHpa(so: Obj, target: string, min: number, max: number): Obj {
  const h = hpa(so.metadata!.namespace!, `keda-hpa-${so.metadata!.name!}`, target, min, max);
  h.metadata!.ownerReferences = [{ apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', name: so.metadata!.name!, uid: so.metadata!.uid!, controller: true, blockOwnerDeletion: true }];
  h.metadata!.labels = { 'app.kubernetes.io/managed-by': 'keda-operator', 'scaledobject.keda.sh/name': so.metadata!.name! };
  return h;
}

export function cnpgCluster(namespace: string, name: string, instances: number): Obj {
  return { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name, namespace }, spec: { instances, storage: { size: '1Gi' } } };
}

const action = (a: Record<string, unknown>): ActionSpec => actionSchema.parse(a);
const act = (target: TargetRef, a: ActionSpec, before: StateFields, after: StateFields): ActDecision => ({
  outcome: 'act',
  rule: 'contract',
  target,
  action: a.type,
  before,
  after,
  explanation: `contract ${a.type} of ${target.name}`,
  facts: {},
});
const ref = (o: Obj): TargetRef => ({ apiVersion: o.apiVersion!, kind: o.kind!, namespace: o.metadata!.namespace!, name: o.metadata!.name! });

async function waitUntil<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Apply and restore resolve to a value, whatever the server says. */
async function settled(p: Promise<ApplyOutcome>): Promise<ApplyOutcome> {
  return expect(p).resolves.toBeDefined().then(() => p);
}

const found = (s: TargetState): Extract<TargetState, { found: true }> => {
  if (!s.found) throw new Error(`expected the target to be found: ${s.detail}`);
  return s;
};

export function runClusterContract(name: string, makeHarness: () => Promise<ClusterHarness>): void {
  describe(`cluster contract: ${name}`, () => {
    let h: ClusterHarness;
    let admin: Admin;
    beforeEach(async () => {
      h = await makeHarness();
      admin = new Admin(h.admin);
    });
    afterEach(async () => h.close());

    /** A workload of `kind`, created and read back by the port. */
    async function seedScalable(kind: 'Deployment' | 'StatefulSet' | 'Cluster', replicas: number): Promise<TargetRef> {
      const n = uniqueName(kind.toLowerCase());
      const o = kind === 'Deployment' ? deployment(h.namespace, n, replicas) : kind === 'StatefulSet' ? statefulSet(h.namespace, n, replicas) : cnpgCluster(h.namespace, n, replicas);
      await admin.create(o);
      return ref(o);
    }

    const scale = action({ type: 'scale', minReplicas: 1, maxReplicas: 10 });
    for (const kind of ['Deployment', 'StatefulSet', 'Cluster'] as const) {
      const t = kind === 'Cluster' ? 'a scalable custom resource (CNPG Cluster)' : `a ${kind}`;
      test(`scale of ${t}: read → apply → shows after → restore → shows before`, async () => {
        if (kind === 'Cluster' && !h.hasCnpgCrd) return; // the harness has no CRD for it: nothing to check
        const target = await seedScalable(kind, 2);
        const read = await h.cluster.readState(target, scale);
        expect(found(read)).toMatchObject({ replicas: 2, hpa: null });
        const out = await settled(h.cluster.apply(act(target, scale, { replicas: 2 }, { replicas: 3 }), scale, 'contract-1', read));
        expect(out).toMatchObject({ ok: true, snapshot: { replicas: 2 }, applied: { replicas: 3 } });
        expect(stateShows(await h.cluster.readState(target, scale), { replicas: 3 }, scale)).toBe(true);
        const back = await settled(h.cluster.restore(target, scale, out.ok ? out.snapshot : {}, 'contract-1'));
        expect(back.ok).toBe(true);
        expect(stateShows(await h.cluster.readState(target, scale), { replicas: 2 }, scale)).toBe(true);
      });
    }

    test('scale: a read gone stale (someone scaled it since) is refused, and nothing changes', async () => {
      const target = await seedScalable('Deployment', 2);
      const read = await h.cluster.readState(target, scale);
      await admin.patch({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: target.name, namespace: target.namespace }, spec: { replicas: 4 } });
      const out = await settled(h.cluster.apply(act(target, scale, { replicas: 2 }, { replicas: 3 }), scale, 'contract-stale', read));
      expect(out).toMatchObject({ ok: false, reason: 'refused' });
      expect(found(await h.cluster.readState(target, scale)).replicas).toBe(4);
    });

    test('a deleted target: the read says not found, apply and restore fail with not-found, none rejects', async () => {
      const target = await seedScalable('Deployment', 2);
      await admin.delete(target.apiVersion, target.kind, target.namespace, target.name);
      await waitUntil('the deletion', async () => !(await h.cluster.readState(target, scale)).found);
      expect((await h.cluster.readState(target, scale)).found).toBe(false);
      expect(await settled(h.cluster.apply(act(target, scale, { replicas: 2 }, { replicas: 3 }), scale, 'contract-gone'))).toMatchObject({ ok: false, reason: 'not-found' });
      expect(await settled(h.cluster.restore(target, scale, { replicas: 2 }, 'contract-gone'))).toMatchObject({ ok: false, reason: 'not-found' });
    });

    test('a 403 on the write is classified forbidden, at once, and nothing changes', async () => {
      if (!h.forbidden) return; // the harness has no credentials that RBAC refuses
      const target = await seedScalable('Deployment', 2);
      const readOnly = await h.forbidden();
      const out = await settled(readOnly.apply(act(target, scale, { replicas: 2 }, { replicas: 3 }), scale, 'contract-403'));
      expect(out).toMatchObject({ ok: false, reason: 'forbidden', retryable: false });
      expect((await admin.get('apps/v1', 'Deployment', target.namespace, target.name)).spec?.replicas).toBe(2);
    });

    // The redis kind against the real Redis (127.0.0.1:6379, as .ci/run starts it), through a literal
    // address; the target Deployment carries the locks and Events. Its maxmemory is put back after.
    const redisAction = action({ type: 'redis', address: 'redis://127.0.0.1:6379', factor: 2, cap: '1Gi' });
    test('redis against the real Redis: read → apply → shows after → restore → shows before; a stale read is refused', async () => {
      if (!h.redis) return; // the harness has no Redis: nothing to check
      const target = await seedScalable('Deployment', 1);
      const direct = await h.redis();
      const original = direct ? await direct.get() : null;
      try {
        if (direct) await direct.set(64 * 1024 * 1024);
        const read = found(await h.cluster.readState(target, redisAction));
        expect(read.maxmemory).toBe(64 * 1024 * 1024);
        const out = await settled(h.cluster.apply(act(target, redisAction, { maxmemory: 64 * 1024 * 1024 }, { maxmemory: 128 * 1024 * 1024 }), redisAction, 'contract-redis', read));
        expect(out).toMatchObject({ ok: true, snapshot: { maxmemory: 64 * 1024 * 1024 } });
        expect(stateShows(await h.cluster.readState(target, redisAction), { maxmemory: 128 * 1024 * 1024 }, redisAction)).toBe(true);
        // Someone changed it since the plan: refused, nothing written.
        const stale = await settled(h.cluster.apply(act(target, redisAction, { maxmemory: 64 * 1024 * 1024 }, { maxmemory: 256 * 1024 * 1024 }), redisAction, 'contract-redis-stale'));
        expect(stale.ok).toBe(false);
        expect(found(await h.cluster.readState(target, redisAction)).maxmemory).toBe(128 * 1024 * 1024);
        expect((await settled(h.cluster.restore(target, redisAction, out.ok ? out.snapshot : {}, 'contract-redis'))).ok).toBe(true);
        expect(stateShows(await h.cluster.readState(target, redisAction), { maxmemory: 64 * 1024 * 1024 }, redisAction)).toBe(true);
      } finally {
        if (direct && original !== null) await direct.set(original);
        await direct?.close();
      }
    });

    const hpaAction = action({ type: 'hpa', bound: 'min', ceiling: 10 });
    test('hpa: read → apply → shows after → restore → shows before; a stale HPA is refused', async () => {
      const target = await seedScalable('Deployment', 2);
      await admin.create(hpa(h.namespace, target.name, target.name, 2, 5));
      const read = found(await h.cluster.readState(target, hpaAction));
      expect(read.hpa).toMatchObject({ name: target.name, minReplicas: 2, maxReplicas: 5 });
      const out = await settled(h.cluster.apply(act(target, hpaAction, { minReplicas: 2, maxReplicas: 5 }, { minReplicas: 3, maxReplicas: 5 }), hpaAction, 'contract-hpa', read));
      expect(out).toMatchObject({ ok: true, snapshot: { minReplicas: 2, maxReplicas: 5 } });
      expect(stateShows(await h.cluster.readState(target, hpaAction), { minReplicas: 3, maxReplicas: 5 }, hpaAction)).toBe(true);
      expect((await settled(h.cluster.restore(target, hpaAction, out.ok ? out.snapshot : {}, 'contract-hpa'))).ok).toBe(true);
      expect(stateShows(await h.cluster.readState(target, hpaAction), { minReplicas: 2, maxReplicas: 5 }, hpaAction)).toBe(true);

      await admin.patch({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: target.name, namespace: target.namespace }, spec: { minReplicas: 4 } });
      const stale = await settled(h.cluster.apply(act(target, hpaAction, { minReplicas: 2, maxReplicas: 5 }, { minReplicas: 3, maxReplicas: 5 }), hpaAction, 'contract-hpa-stale', read));
      expect(stale).toMatchObject({ ok: false, reason: 'refused' });
      expect(found(await h.cluster.readState(target, hpaAction)).hpa?.minReplicas).toBe(4);
    });

    const resources = action({ type: 'resources', container: 'app', resource: 'cpu', factor: 2, cap: '2' });
    test('resources: read → apply → shows after → restore → shows before; a stale value is refused', async () => {
      const target = await seedScalable('Deployment', 1);
      const before = { 'requests.cpu': '100m', 'limits.cpu': '200m' };
      const after = { 'requests.cpu': '200m', 'limits.cpu': '400m' };
      expect(stateShows(await h.cluster.readState(target, resources), before, resources)).toBe(true);
      const out = await settled(h.cluster.apply(act(target, resources, before, after), resources, 'contract-res'));
      expect(out.ok).toBe(true);
      expect(stateShows(await h.cluster.readState(target, resources), after, resources)).toBe(true);
      expect((await settled(h.cluster.restore(target, resources, out.ok ? out.snapshot : {}, 'contract-res'))).ok).toBe(true);
      expect(stateShows(await h.cluster.readState(target, resources), before, resources)).toBe(true);

      // Someone changed the container since the plan: refused.
      const stale = await settled(h.cluster.apply(act(target, resources, { 'requests.cpu': '150m', 'limits.cpu': '200m' }, after), resources, 'contract-res-stale'));
      expect(stale).toMatchObject({ ok: false, reason: 'refused' });
      expect(stateShows(await h.cluster.readState(target, resources), before, resources)).toBe(true);
    });

    const revisionOf = async (t: TargetRef): Promise<number> => Number((await admin.get(t.apiVersion, t.kind, t.namespace, t.name)).metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0);
    const templateAnnotations = async (t: TargetRef): Promise<Record<string, string>> =>
      ((await admin.get(t.apiVersion, t.kind, t.namespace, t.name)).spec as { template?: { metadata?: { annotations?: Record<string, string> } } }).template?.metadata?.annotations ?? {};

    const restart = action({ type: 'restart' });
    test('restart: a new rollout (restartedAt in the template); restore undoes to the revision before', async () => {
      const target = await seedScalable('Deployment', 1);
      await waitUntil('revision 1', async () => (await revisionOf(target)) === 1);
      const out = await settled(h.cluster.apply(act(target, restart, {}, {}), restart, 'contract-restart'));
      expect(out).toMatchObject({ ok: true, snapshot: { revision: 1 } });
      expect(await templateAnnotations(target)).toHaveProperty(['kubectl.kubernetes.io/restartedAt']);
      await waitUntil('revision 2', async () => (await revisionOf(target)) === 2);
      expect((await settled(h.cluster.restore(target, restart, out.ok ? out.snapshot : {}, 'contract-restart'))).ok).toBe(true);
      expect(await templateAnnotations(target)).not.toHaveProperty(['kubectl.kubernetes.io/restartedAt']);
    });

    const undo = action({ type: 'undo' });
    test('undo: back to the previous revision; restore returns to the one before the undo', async () => {
      const target = await seedScalable('Deployment', 1);
      await waitUntil('revision 1', async () => (await revisionOf(target)) === 1);
      await admin.patch({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: target.name, namespace: target.namespace }, spec: { template: { metadata: { annotations: { 'contract/version': 'two' } } } } });
      await waitUntil('revision 2', async () => (await revisionOf(target)) === 2);
      const out = await settled(h.cluster.apply(act(target, undo, {}, {}), undo, 'contract-undo'));
      expect(out).toMatchObject({ ok: true, snapshot: { revision: 2 }, applied: { revision: 1 } });
      expect(await templateAnnotations(target)).not.toHaveProperty(['contract/version']);
      await waitUntil('revision 3', async () => (await revisionOf(target)) === 3);
      expect((await settled(h.cluster.restore(target, undo, out.ok ? out.snapshot : {}, 'contract-undo'))).ok).toBe(true);
      expect((await templateAnnotations(target))['contract/version']).toBe('two');
    });

    // ---- Owners (issue 18): KEDA's ScaledObject, GitOps marks, field managers --------------------
    test('hpa on a KEDA-owned HPA: the ScaledObject is raised and restored, the HPA never patched; a stale ScaledObject is refused', async () => {
      const target = await seedScalable('Deployment', 2);
      const so = await admin.create(scaledObject(h.namespace, uniqueName('so'), target.name, 2, 5));
      const owned = await admin.create(kedaHpa(so, target.name, 2, 5));
      const soName = so.metadata!.name!;
      const hpaName = owned.metadata!.name!;
      const soSpec = async () => (await admin.get('keda.sh/v1alpha1', 'ScaledObject', h.namespace, soName)).spec as { minReplicaCount: number; maxReplicaCount: number };
      const hpaSpec = async () => (await admin.get('autoscaling/v2', 'HorizontalPodAutoscaler', h.namespace, hpaName)).spec as { minReplicas: number; maxReplicas: number };

      const read = found(await h.cluster.readState(target, hpaAction));
      expect(read.hpa).toMatchObject({ name: hpaName, minReplicas: 2, maxReplicas: 5, scaledObject: soName });
      expect(read.owners?.object).toBe(`ScaledObject ${h.namespace}/${soName}`);
      const out = await settled(h.cluster.apply(act(target, hpaAction, { minReplicas: 2, maxReplicas: 5 }, { minReplicas: 3, maxReplicas: 5 }), hpaAction, 'contract-keda', read));
      expect(out).toMatchObject({ ok: true, snapshot: { scaledObject: soName, hpa: hpaName, minReplicas: 2, maxReplicas: 5 } });
      expect(await soSpec()).toMatchObject({ minReplicaCount: 3, maxReplicaCount: 5 });
      expect(await hpaSpec()).toMatchObject({ minReplicas: 2, maxReplicas: 5 });
      expect(stateShows(await h.cluster.readState(target, hpaAction), { minReplicas: 3, maxReplicas: 5 }, hpaAction)).toBe(true);

      // Restore from a snapshot as resume rebuilds it (no ScaledObject name in it): still the ScaledObject.
      expect(await settled(h.cluster.restore(target, hpaAction, { minReplicas: 2, maxReplicas: 5 }, 'contract-keda'))).toMatchObject({ ok: true });
      expect(await soSpec()).toMatchObject({ minReplicaCount: 2, maxReplicaCount: 5 });
      expect(await hpaSpec()).toMatchObject({ minReplicas: 2, maxReplicas: 5 });

      await admin.patch({ apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: { name: soName, namespace: h.namespace }, spec: { minReplicaCount: 4 } });
      const stale = await settled(h.cluster.apply(act(target, hpaAction, { minReplicas: 2, maxReplicas: 5 }, { minReplicas: 3, maxReplicas: 5 }), hpaAction, 'contract-keda-stale', read));
      expect(stale).toMatchObject({ ok: false, reason: 'refused' });
      expect((await soSpec()).minReplicaCount).toBe(4);
      expect((await hpaSpec()).minReplicas).toBe(2);
    });

    test('owners: an Argo CD tracking annotation names the Application in the read (and the decision skips gitops-managed)', async () => {
      const n = uniqueName('argo');
      const app = uniqueName('app');
      const d = deployment(h.namespace, n, 2);
      // An Application outside Argo CD's own namespace is tracked as <namespace>_<name>.
      d.metadata!.annotations = { 'argocd.argoproj.io/tracking-id': `${h.namespace}_${app}:apps/Deployment:${h.namespace}/${n}` };
      if (h.hasArgoCrd) {
        await admin.create({
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Application',
          metadata: { name: app, namespace: h.namespace },
          spec: { project: 'default', source: { repoURL: 'https://git.example.com/apps.git', path: 'ci', targetRevision: 'main' }, destination: { server: 'https://kubernetes.default.svc', namespace: h.namespace }, syncPolicy: { automated: { selfHeal: true } } },
        });
      }
      await admin.create(d);
      const read = found(await h.cluster.readState(ref(d), scale));
      expect(read.owners).toMatchObject({ object: `Deployment ${h.namespace}/${n}`, gitops: { tool: 'argocd', kind: 'Application', namespace: h.namespace, name: app } });
      const rule = ruleSchema.parse({ name: 'contract', matchers: ['alertname="X"'], target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: h.namespace, name: n }, action: { type: 'scale', minReplicas: 1, maxReplicas: 10 } });
      const decision = decide({
        alert: { status: 'firing', labels: { alertname: 'X' }, annotations: {}, startsAt: new Date().toISOString() },
        rule: { ...rule, source: { file: 'contract', index: 0 }, compiled: [] },
        target: ref(d),
        action: scale,
        state: read,
        history: [],
        actionsInWindow: { namespace: 0, global: 0 },
        breakerOpen: false,
        now: new Date(),
        settings: { dryRun: false, allowedNamespaces: '*', budgets: { namespace: { max: 10, windowMs: 60_000 }, global: { max: 10, windowMs: 60_000 } } },
        kinds: ACTION_KINDS,
      });
      expect(decision).toMatchObject({ outcome: 'skip', reason: 'gitops-managed' });
      expect(decision.explanation).toContain(`Argo CD Application ${h.namespace}/${app}`);
    });

    test('owners: another field manager of spec.replicas is named in the read', async () => {
      if (!h.keepsManagedFields) return; // the server keeps no managedFields (the sandbox)
      const target = await seedScalable('Deployment', 2);
      await admin.patch({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: target.name, namespace: target.namespace }, spec: { replicas: 3 } });
      const read = found(await h.cluster.readState(target, scale));
      expect(read.owners?.fieldOwners).toEqual(expect.arrayContaining([expect.objectContaining({ manager: 'contract-admin', operation: 'Update', fields: ['spec.replicas'] })]));
    });
    // ---- end of owners ---------------------------------------------------------------------------

    test('undo of a Deployment with one revision only is refused (kubectl: no rollout history)', async () => {
      const target = await seedScalable('Deployment', 1);
      await waitUntil('revision 1', async () => (await revisionOf(target)) === 1);
      expect(await settled(h.cluster.apply(act(target, undo, {}, {}), undo, 'contract-undo-1'))).toMatchObject({ ok: false, reason: 'refused' });
    });

    test('guard reads: a ResourceQuota as the quota controller reports it (status.hard, status.used of the running pods), and a pod\'s requests', async () => {
      const reads = h.cluster.guardReads;
      expect(reads).toBeDefined();
      const name = uniqueName('quota');
      const hard = { pods: '1000', 'requests.cpu': '100', 'requests.memory': '1000Gi', 'limits.memory': '2000Gi' };
      await admin.create({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name, namespace: h.namespace }, spec: { hard } });
      const target = await seedScalable('Deployment', 2);
      const core = h.admin.makeApiClient(CoreV1Api);
      // The controller catches up with the pods asynchronously: wait until the quota and a list of the pods agree.
      const agreed = await waitUntil('the quota usage to match the running pods', async () => {
        const quota = (await reads!.quotas(h.namespace)).find((q) => q.name === name);
        const pods = (await core.listNamespacedPod({ namespace: h.namespace })).items.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
        const ours = pods.filter((p) => p.metadata?.labels?.app === target.name);
        if (!quota?.used || ours.length < 2) return null;
        const cpu = pods.reduce((a, p) => a + (p.spec?.containers ?? []).reduce((b, c) => b + quantity(c.resources?.requests?.cpu), 0), 0);
        const mem = pods.reduce((a, p) => a + (p.spec?.containers ?? []).reduce((b, c) => b + quantity(c.resources?.requests?.memory), 0), 0);
        const used = quota.used;
        return quantity(used.pods) === pods.length && Math.abs(quantity(used['requests.cpu']) - cpu) < 1e-6 && quantity(used['requests.memory']) === mem ? quota : null;
      });
      // status.hard in resource.Quantity's canonical form, as the API server writes it back.
      expect(agreed.hard).toEqual({ ...hard, pods: '1k' });
      expect(Object.keys(agreed.used!).sort()).toEqual(Object.keys(hard).sort());
      // Canonical quantities: millicores or whole cores, binary units or plain bytes.
      expect(agreed.used!['requests.cpu']).toMatch(/^\d+m?$/);
      expect(agreed.used!['requests.memory']).toMatch(/^\d+(Ki|Mi|Gi)?$/);
      expect(agreed.scoped).toBe(false);
      expect(await reads!.podResources(target)).toEqual({ requests: { cpu: 0.1, memory: 64 * 2 ** 20 }, limits: { cpu: 0.2, memory: 128 * 2 ** 20 } });
      await admin.delete('v1', 'ResourceQuota', h.namespace, name);
    });
  });
}

/** The real Redis at 127.0.0.1:6379 (what .ci/run starts), for the contract's redis case. */
export async function localRedis(): Promise<{ get(): Promise<number>; set(bytes: number): Promise<void>; close(): Promise<void> }> {
  const { Redis } = await import('ioredis');
  const c = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 });
  await c.connect();
  return {
    async get() {
      const r = (await c.config('GET', 'maxmemory')) as string[];
      return Number(r[1]);
    },
    async set(bytes) {
      await c.config('SET', 'maxmemory', String(bytes));
    },
    async close() {
      await c.quit();
    },
  };
}

/**
 * The world of the port's contract (cluster-port.contract.ts) on a Kubernetes API: plain
 * manifests through the admin client, as kubectl would send them.
 */
export function adminWorld(kc: KubeConfig, namespace: string, cluster: ClusterPort) {
  const admin = new Admin(kc);
  return {
    async seed(replicas: number, h?: { min: number; max: number }): Promise<TargetRef> {
      const n = uniqueName('port');
      const o = deployment(namespace, n, replicas);
      await admin.create(o);
      if (h) await admin.create(hpa(namespace, n, n, h.min, h.max));
      return ref(o);
    },
    async scaleElsewhere(t: TargetRef, replicas: number): Promise<void> {
      await admin.patch({ apiVersion: t.apiVersion, kind: t.kind, metadata: { name: t.name, namespace: t.namespace }, spec: { replicas } });
    },
    async setHpaMinElsewhere(t: TargetRef, min: number): Promise<void> {
      await admin.patch({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: t.name, namespace: t.namespace }, spec: { minReplicas: min } });
    },
    async remove(t: TargetRef): Promise<void> {
      await admin.delete(t.apiVersion, t.kind, t.namespace, t.name);
      const scale = action({ type: 'scale', maxReplicas: 10 });
      await waitUntil('the deletion', async () => !(await cluster.readState(t, scale)).found);
    },
  };
}
