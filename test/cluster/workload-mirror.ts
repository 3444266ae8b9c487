/**
 * The reference workload's metrics for a real control plane. On the sandbox, the workload
 * simulator (src/sandbox/workload) reads the pods, Deployments and database Cluster from the
 * sandbox's own object store; here it reads the same objects from the real kube-apiserver, listed
 * every `everyMs`, so that the pods the real controllers create and kwok makes Ready are the ones
 * that carry the load. It serves what the sandbox serves for Prometheus and for the load
 * (/metrics, /metrics/cadvisor, /metrics/postgres, /metrics/redis, /sandbox/load …).
 *
 * Only the load model is simulated (there are no real processes behind kwok's pods); everything
 * the service reads and writes is the real apiserver's.
 */
import { createServer, type Server } from 'node:http';
import { AppsV1Api, AutoscalingV2Api, CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { ObjectStore } from '../../src/sandbox/object-store.js';
import { R } from '../../src/sandbox/resources.js';
import type { KubeObject } from '../../src/sandbox/types.js';
import type { ResourceDef } from '../../src/sandbox/resources.js';
import { WorkloadSimulator, type WorkloadOptions } from '../../src/sandbox/workload/index.js';

export interface WorkloadMirror {
  /** http://127.0.0.1:PORT: the metrics and load endpoints. */
  url: string;
  workload: WorkloadSimulator;
  /** The latest listed copy of an object (pods, Deployments, HPAs, CNPG Clusters of the namespace). */
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined;
  close(): Promise<void>;
}

/** What observe() reads of an ObjectStore, answered from the latest lists. */
class ListedObjects {
  private byDef = new Map<ResourceDef, KubeObject[]>();

  replace(def: ResourceDef, items: KubeObject[]): void {
    this.byDef.set(def, items);
  }

  listShared(def: ResourceDef, namespace?: string): readonly KubeObject[] {
    return (this.byDef.get(def) ?? []).filter((o) => namespace === undefined || o.metadata.namespace === namespace);
  }

  get(def: ResourceDef, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.listShared(def, namespace).find((o) => o.metadata.name === name);
  }
}

const asObjects = (items: unknown[], apiVersion: string, kind: string): KubeObject[] =>
  // Lists carry no apiVersion/kind per item; the sandbox's objects do.
  items.map((i) => ({ ...(JSON.parse(JSON.stringify(i)) as KubeObject), apiVersion, kind }));

export async function startWorkloadMirror(admin: KubeConfig, opts: { namespace?: string; everyMs?: number; workload?: WorkloadOptions } = {}): Promise<WorkloadMirror> {
  const namespace = opts.namespace ?? 'ci';
  const core = admin.makeApiClient(CoreV1Api);
  const apps = admin.makeApiClient(AppsV1Api);
  const autoscaling = admin.makeApiClient(AutoscalingV2Api);
  const custom = admin.makeApiClient(CustomObjectsApi);
  const listed = new ListedObjects();
  const hpas = R.hpas;

  const refresh = async () => {
    const [pods, deployments, hpaList, clusters] = await Promise.all([
      core.listNamespacedPod({ namespace }),
      apps.listNamespacedDeployment({ namespace }),
      autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace }),
      custom.listNamespacedCustomObject({ group: 'postgresql.cnpg.io', version: 'v1', namespace, plural: 'clusters' }) as Promise<{ items: unknown[] }>,
    ]);
    listed.replace(R.pods, asObjects(pods.items, 'v1', 'Pod'));
    listed.replace(R.deployments, asObjects(deployments.items, 'apps/v1', 'Deployment'));
    listed.replace(hpas, asObjects(hpaList.items, 'autoscaling/v2', 'HorizontalPodAutoscaler'));
    listed.replace(R.cnpgClusters, asObjects(clusters.items, 'postgresql.cnpg.io/v1', 'Cluster'));
  };
  await refresh();

  // The simulator only reads (listShared, get); it never writes to what it is given.
  const workload = new WorkloadSimulator(listed as unknown as ObjectStore, () => new Date(), opts.workload);
  let stopped = false;
  let refreshing = Promise.resolve();
  const timer = setInterval(() => {
    refreshing = refreshing.then(() => (stopped ? undefined : refresh().catch(() => undefined)));
  }, opts.everyMs ?? 250);

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    void workload.handle(req, res, url).then((handled) => {
      if (!handled) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const defOf = (apiVersion: string, kind: string): ResourceDef | undefined =>
    new Map<string, ResourceDef>([
      ['v1/Pod', R.pods],
      ['apps/v1/Deployment', R.deployments],
      ['autoscaling/v2/HorizontalPodAutoscaler', hpas],
      ['postgresql.cnpg.io/v1/Cluster', R.cnpgClusters],
    ]).get(`${apiVersion}/${kind}`);

  return {
    url: `http://127.0.0.1:${port}`,
    workload,
    get(apiVersion, kind, ns, name) {
      const def = defOf(apiVersion, kind);
      return def ? listed.get(def, ns, name) : undefined;
    },
    async close() {
      stopped = true;
      clearInterval(timer);
      await refreshing;
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
