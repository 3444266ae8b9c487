/**
 * What the CloudNativePG operator does that the tests rely on, played against the real API
 * (the operator itself needs storage provisioning, webhooks and real PostgreSQL processes, none
 * of which a kwok cluster has): for every `Cluster`, instance pods `<cluster>-<serial>` labelled as
 * the operator labels them (serials never reused, the first is the primary, a scale-down removes
 * the newest replicas, never the primary), and the status fields the scale subresource and
 * readiness read (`instances`, `readyInstances`, `instanceNames`, `currentPrimary`, `phase`,
 * `selector`). The pods are scheduled by the real scheduler and made Ready by kwok.
 * Level-based and idempotent: each pass reads everything again and converges.
 */
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Pod } from '@kubernetes/client-node';

const LABEL = 'cnpg.io/cluster';
const DEFAULT_IMAGE = 'ghcr.io/cloudnative-pg/postgresql:17';

interface CnpgCluster {
  metadata: { name: string; namespace: string; uid: string };
  spec: { instances?: number; imageName?: string };
  status?: { latestGeneratedNode?: number; currentPrimary?: string };
}

const ready = (p: V1Pod) => (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

export function startCnpgStandIn(admin: KubeConfig, everyMs = 500): { stop(): Promise<void> } {
  const core = admin.makeApiClient(CoreV1Api);
  const custom = admin.makeApiClient(CustomObjectsApi);
  const group = { group: 'postgresql.cnpg.io', version: 'v1', plural: 'clusters' };

  const serial = (c: CnpgCluster, p: V1Pod) => {
    const suffix = (p.metadata?.name ?? '').slice(c.metadata.name.length + 1);
    return /^\d+$/.test(suffix) ? Number(suffix) : 0;
  };

  const syncOne = async (c: CnpgCluster) => {
    const ns = c.metadata.namespace;
    const want = typeof c.spec.instances === 'number' ? c.spec.instances : 1;
    let pods = (await core.listNamespacedPod({ namespace: ns, labelSelector: `${LABEL}=${c.metadata.name}` })).items
      .filter((p) => !p.metadata?.deletionTimestamp)
      .sort((a, b) => serial(c, a) - serial(c, b));
    let latest = Math.max(c.status?.latestGeneratedNode ?? 0, ...pods.map((p) => serial(c, p)));
    let primary = c.status?.currentPrimary && pods.some((p) => p.metadata?.name === c.status?.currentPrimary) ? c.status.currentPrimary : pods[0]?.metadata?.name;
    for (let i = pods.length; i < want; i++) {
      latest += 1;
      const name = `${c.metadata.name}-${latest}`;
      primary ??= name;
      const role = name === primary ? 'primary' : 'replica';
      const pod = await core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: {
            name,
            labels: { [LABEL]: c.metadata.name, 'cnpg.io/instanceName': name, 'cnpg.io/instanceRole': role, role, 'cnpg.io/podRole': 'instance' },
            ownerReferences: [{ apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', name: c.metadata.name, uid: c.metadata.uid, controller: true }],
          },
          spec: { containers: [{ name: 'postgres', image: c.spec.imageName ?? DEFAULT_IMAGE }] },
        },
      });
      pods.push(pod);
    }
    if (pods.length > want) {
      const doomed = pods.filter((p) => p.metadata?.name !== primary).sort((a, b) => serial(c, b) - serial(c, a)).slice(0, pods.length - want);
      for (const p of doomed) await core.deleteNamespacedPod({ namespace: ns, name: p.metadata!.name!, gracePeriodSeconds: 0 }).catch(() => undefined);
      pods = pods.filter((p) => !doomed.includes(p));
    }
    const readyCount = pods.filter(ready).length;
    const healthy = readyCount === want && pods.length === want;
    const status = {
      instances: pods.length,
      readyInstances: readyCount,
      instanceNames: pods.map((p) => p.metadata!.name!).sort(),
      latestGeneratedNode: latest,
      phase: healthy ? 'Cluster in healthy state' : pods.length < want ? 'Creating a new replica' : 'Waiting for the instances to become active',
      selector: `${LABEL}=${c.metadata.name},cnpg.io/podRole=instance`,
      ...(primary ? { currentPrimary: primary, targetPrimary: primary } : {}),
      conditions: [
        healthy
          ? { type: 'Ready', status: 'True', reason: 'ClusterIsReady', message: 'Cluster is Ready', lastTransitionTime: new Date().toISOString() }
          : { type: 'Ready', status: 'False', reason: 'ClusterIsNotReady', message: 'Cluster Is Not Ready', lastTransitionTime: new Date().toISOString() },
      ],
    };
    await custom.patchNamespacedCustomObjectStatus(
      { ...group, namespace: ns, name: c.metadata.name, body: { status } },
      // A merge patch: custom resources take no strategic merge.
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  };

  let stopped = false;
  let running = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(async () => {
      if (stopped) return;
      try {
        const list = (await custom.listClusterCustomObject(group)) as { items: CnpgCluster[] };
        for (const c of list.items) await syncOne(c).catch(() => undefined);
      } catch {
        // the CRD or the apiserver is not there yet: next pass
      }
    });
  }, everyMs);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
