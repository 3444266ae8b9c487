/**
 * A thin wrapper over @kubernetes/client-node 1.x: the calls the actions make,
 * each with bounded retries, a timeout, a field manager, and an explicit patch
 * content type (the client's default would be JSON Patch).
 */
import {
  AppsV1Api,
  AuthorizationV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  createConfiguration,
  ServerConfiguration,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  KubeConfig,
  type KubernetesObject,
  type V1APIResource,
  type V1Node,
  type V1Pod,
  type V1ReplicaSet,
  type V1ResourceQuota,
  type V1Service,
  type V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import type { TargetRef } from '../domain/target.js';
import { KubeError } from './errors.js';
import { keepAliveAuth } from './keep-alive.js';
import { callKube, DEFAULT_RETRY, readPolicy, type RetryPolicy } from './retry.js';

export const FIELD_MANAGER = 'autoremediator';

/** What discovery says about a kind. */
export interface ResolvedKind {
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
  hasScale: boolean;
}

/** KubernetesObjectApi with its discovery cache opened up, to learn about subresources. */
class Discovery extends KubernetesObjectApi {
  async describe(apiVersion: string, kind: string): Promise<{ resource: V1APIResource | undefined; all: V1APIResource[] }> {
    const resource = await this.resource(apiVersion, kind);
    return { resource, all: this.apiVersionResourceCache[apiVersion]?.resources ?? [] };
  }
}

export interface ScaleView {
  replicas: number;
  resourceVersion: string;
}

/** A generic object as the actions read it. */
export type KubeObject = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

export class KubeClient {
  readonly apps: AppsV1Api;
  readonly authorization: AuthorizationV1Api;
  readonly autoscaling: AutoscalingV2Api;
  readonly core: CoreV1Api;
  readonly custom: CustomObjectsApi;
  readonly objects: KubernetesObjectApi;
  private readonly discovery: Discovery;
  private readonly kinds = new Map<string, ResolvedKind>();

  constructor(
    readonly kc: KubeConfig,
    readonly policy: RetryPolicy = DEFAULT_RETRY,
  ) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('the Kubernetes config has no current cluster');
    // Built as kc.makeApiClient builds them, but with one auth method shared by every client that
    // keeps connections alive (client-node alone opens a new connection for every request).
    const configuration = createConfiguration({ baseServer: new ServerConfiguration(cluster.server, {}), authMethods: { default: keepAliveAuth(kc) } });
    this.apps = new AppsV1Api(configuration);
    this.authorization = new AuthorizationV1Api(configuration);
    this.autoscaling = new AutoscalingV2Api(configuration);
    this.core = new CoreV1Api(configuration);
    this.custom = new CustomObjectsApi(configuration);
    this.objects = new KubernetesObjectApi(configuration);
    // As KubernetesObjectApi.makeApiClient does (the method is protected).
    (this.objects as unknown as { setDefaultNamespace(k: KubeConfig): void }).setDefaultNamespace(kc);
    this.discovery = new Discovery(configuration);
  }

  private call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return callKube(what, fn, this.policy);
  }

  /**
   * A read (get, list, discovery): idempotent, so it outlasts a short API outage (a restart of
   * the API server, ~1 s of 500s) with READ_EXTRA_ATTEMPTS more backed-off tries (readPolicy);
   * otherwise the alert would end as `state-unavailable` and Alertmanager's re-sends are duplicates.
   */
  private read<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return callKube(what, fn, readPolicy(this.policy));
  }

  /** Resolve a kind through discovery (cached): its plural and whether it has a scale subresource. */
  async resolve(apiVersion: string, kind: string): Promise<ResolvedKind> {
    const key = `${apiVersion}/${kind}`;
    const cached = this.kinds.get(key);
    if (cached) return cached;
    const { resource, all } = await this.read(`discover ${key}`, () => this.discovery.describe(apiVersion, kind));
    if (!resource) {
      throw new KubeError({ reason: 'not-found', retryable: false, status: 404, message: `the API server does not serve kind ${kind} in ${apiVersion}`, retryAfterMs: null });
    }
    const [group, version] = apiVersion.includes('/') ? (apiVersion.split('/') as [string, string]) : ['', apiVersion];
    const resolved = { group, version, plural: resource.name, namespaced: resource.namespaced, hasScale: all.some((r) => r.name === `${resource.name}/scale`) };
    this.kinds.set(key, resolved);
    return resolved;
  }

  async getScale(t: TargetRef): Promise<ScaleView> {
    const k = await this.scalable(t);
    const scale = (await this.read(`get ${k.plural}/scale ${t.namespace}/${t.name}`, () =>
      this.custom.getNamespacedCustomObjectScale({ group: k.group, version: k.version, namespace: t.namespace, plural: k.plural, name: t.name }),
    )) as { spec?: { replicas?: number }; metadata?: { resourceVersion?: string } };
    return { replicas: scale.spec?.replicas ?? 0, resourceVersion: scale.metadata?.resourceVersion ?? '' };
  }

  /** PUT the scale subresource with a resourceVersion precondition (409 when stale). */
  async replaceScale(t: TargetRef, replicas: number, resourceVersion: string): Promise<ScaleView> {
    const k = await this.scalable(t);
    const body = { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: t.name, namespace: t.namespace, resourceVersion }, spec: { replicas } };
    const res = (await this.call(`update ${k.plural}/scale ${t.namespace}/${t.name}`, () =>
      this.custom.replaceNamespacedCustomObjectScale({ group: k.group, version: k.version, namespace: t.namespace, plural: k.plural, name: t.name, body, fieldManager: FIELD_MANAGER }),
    )) as { spec?: { replicas?: number }; metadata?: { resourceVersion?: string } };
    return { replicas: res.spec?.replicas ?? replicas, resourceVersion: res.metadata?.resourceVersion ?? '' };
  }

  private async scalable(t: TargetRef): Promise<ResolvedKind> {
    const k = await this.resolve(t.apiVersion, t.kind);
    if (!k.hasScale || k.group === '') {
      throw new KubeError({ reason: 'invalid', retryable: false, status: null, message: `${t.kind} in ${t.apiVersion} has no scale subresource`, retryAfterMs: null });
    }
    return k;
  }

  /** The HPA whose scaleTargetRef names this workload, if any. */
  async findHpa(t: TargetRef): Promise<V2HorizontalPodAutoscaler | null> {
    const list = await this.read(`list horizontalpodautoscalers ${t.namespace}`, () => this.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace: t.namespace }));
    const group = t.apiVersion.includes('/') ? t.apiVersion.split('/')[0] : '';
    return (
      list.items.find((h) => {
        const ref = h.spec?.scaleTargetRef;
        if (!ref || ref.kind !== t.kind || ref.name !== t.name) return false;
        const refGroup = ref.apiVersion?.includes('/') ? ref.apiVersion.split('/')[0] : '';
        return ref.apiVersion === undefined || refGroup === group;
      }) ?? null
    );
  }

  /** Merge-patch an HPA's bounds; `metadata.resourceVersion` in the body is the precondition. */
  async patchHpaBounds(namespace: string, name: string, bounds: { minReplicas: number; maxReplicas: number }, resourceVersion: string): Promise<V2HorizontalPodAutoscaler> {
    return this.call(`patch horizontalpodautoscalers ${namespace}/${name}`, () =>
      this.autoscaling.patchNamespacedHorizontalPodAutoscaler(
        { name, namespace, body: { metadata: { resourceVersion }, spec: bounds }, fieldManager: FIELD_MANAGER },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
  }

  /** May this client's identity do this? (SelfSubjectAccessReview: what `kubectl auth can-i` asks.) */
  async canI(attrs: { verb: string; group: string; resource: string; subresource?: string; namespace?: string }): Promise<{ allowed: boolean; reason: string }> {
    const r = await this.call(`create selfsubjectaccessreviews (${attrs.verb} ${attrs.group}/${attrs.resource})`, () =>
      this.authorization.createSelfSubjectAccessReview({ body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: attrs } } }),
    );
    return { allowed: r.status?.allowed === true, reason: r.status?.reason ?? r.status?.evaluationError ?? '' };
  }

  async getObject(t: TargetRef): Promise<KubeObject> {
    return this.read(`get ${t.kind} ${t.namespace}/${t.name}`, () =>
      this.objects.read<KubeObject>({ apiVersion: t.apiVersion, kind: t.kind, metadata: { name: t.name, namespace: t.namespace } }),
    );
  }

  /** A Service (the `redis` action resolves its address from one in the target's namespace). */
  async getService(namespace: string, name: string): Promise<V1Service> {
    return this.read(`get services ${namespace}/${name}`, () => this.core.readNamespacedService({ name, namespace }));
  }

  /** Merge or strategic-merge patch any object with an explicit content type and field manager. */
  async patchObject(t: TargetRef, body: Record<string, unknown>, strategy: typeof PatchStrategy.MergePatch | typeof PatchStrategy.StrategicMergePatch): Promise<KubeObject> {
    const { metadata, ...rest } = body as { metadata?: Record<string, unknown> };
    // KubernetesObjectApi derives the URL from apiVersion/kind/metadata, so those must survive the body's metadata.
    const spec: KubeObject = { ...rest, apiVersion: t.apiVersion, kind: t.kind, metadata: { ...metadata, name: t.name, namespace: t.namespace } };
    return this.call(`patch ${t.kind} ${t.namespace}/${t.name}`, () => this.objects.patch<KubeObject>(spec, undefined, undefined, FIELD_MANAGER, undefined, strategy));
  }

  async listReplicaSets(namespace: string, labelSelector: string): Promise<V1ReplicaSet[]> {
    const list = await this.read(`list replicasets ${namespace}`, () => this.apps.listNamespacedReplicaSet({ namespace, labelSelector }));
    return list.items;
  }

  /** The namespace's ResourceQuotas (guards.quota). */
  async listResourceQuotas(namespace: string): Promise<V1ResourceQuota[]> {
    return (await this.call(`list resourcequotas ${namespace}`, () => this.core.listNamespacedResourceQuota({ namespace }))).items;
  }

  /** Every node (guards.capacity). */
  async listNodes(): Promise<V1Node[]> {
    return (await this.call('list nodes', () => this.core.listNode())).items;
  }

  /** Every pod bound to a node (guards.capacity), as the scheduler counts requests. */
  async listAllPods(): Promise<V1Pod[]> {
    return (await this.call('list pods', () => this.core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName!=' }))).items;
  }

  /** Record a Kubernetes Event on the target so that `kubectl describe` tells the story. */
  async createEvent(t: TargetRef, uid: string | undefined, reason: string, message: string, type: 'Normal' | 'Warning', now: Date): Promise<void> {
    const name = `${t.name}.${now.getTime().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`;
    await this.call(`create event ${t.namespace}/${name}`, () =>
      this.core.createNamespacedEvent({
        namespace: t.namespace,
        body: {
          metadata: { name, namespace: t.namespace },
          involvedObject: { apiVersion: t.apiVersion, kind: t.kind, name: t.name, namespace: t.namespace, ...(uid ? { uid } : {}) },
          reason,
          message: message.slice(0, 1024),
          type,
          source: { component: FIELD_MANAGER },
          reportingComponent: FIELD_MANAGER,
          reportingInstance: FIELD_MANAGER,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      }),
    );
  }
}

export { PatchStrategy };
