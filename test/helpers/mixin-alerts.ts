/**
 * Alertmanager webhook bodies (version 4) for kubernetes-mixin alerts, labelled exactly as
 * kube-prometheus-stack sends them: kube-state-metrics is scraped with honorLabels, so the object's
 * own `namespace` / `pod` / `container` / `horizontalpodautoscaler` / `deployment` come from the
 * series, plus the scrape's `job`, `instance`, `service`, `endpoint`, Prometheus's `prometheus`
 * and external `cluster` labels. An alert on a series without a `pod` label (an HPA's, a
 * Deployment's) still carries `pod` and `container` - of the kube-state-metrics pod itself.
 * The annotations are the mixin's (description, runbook_url, summary).
 */

/** The kube-state-metrics scrape target as kube-prometheus-stack names it. */
export const KSM_TARGET = {
  job: 'kube-state-metrics',
  instance: '10.244.0.17:8080',
  service: 'kube-prometheus-stack-kube-state-metrics',
  endpoint: 'http',
  prometheus: 'monitoring/kube-prometheus-stack-prometheus',
  cluster: 'prod-eu-1',
} as const;
const KSM_POD = { pod: 'kube-prometheus-stack-kube-state-metrics-6d5b7f8c9-xq2lm', container: 'kube-state-metrics' } as const;

export type Labels = Record<string, string>;

export const mixinLabels = {
  KubeHpaMaxedOut: (namespace: string, hpa: string): Labels => ({
    alertname: 'KubeHpaMaxedOut', ...KSM_TARGET, ...KSM_POD, namespace, horizontalpodautoscaler: hpa, severity: 'warning',
  }),
  KubePodCrashLooping: (namespace: string, pod: string, container: string): Labels => ({
    alertname: 'KubePodCrashLooping', ...KSM_TARGET, namespace, pod, container, reason: 'CrashLoopBackOff', uid: '7f1c2a9e-3b1d-4c8e-9a51-2f6d8e0b4c11', severity: 'warning',
  }),
  KubeContainerOOMKilled: (namespace: string, pod: string, container: string): Labels => ({
    alertname: 'KubeContainerOOMKilled', ...KSM_TARGET, namespace, pod, container, uid: '0b9d7c1e-5f2a-4e3b-8d6c-1a2b3c4d5e6f', severity: 'warning',
  }),
  KubeDeploymentReplicasMismatch: (namespace: string, deployment: string): Labels => ({
    alertname: 'KubeDeploymentReplicasMismatch', ...KSM_TARGET, ...KSM_POD, namespace, deployment, severity: 'warning',
  }),
};

const ANNOTATIONS: Record<string, (l: Labels) => Labels> = {
  KubeHpaMaxedOut: (l) => ({ description: `HPA ${l.namespace}/${l.horizontalpodautoscaler} has been running at max replicas for longer than 15 minutes.`, runbook_url: 'https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubehpamaxedout', summary: 'HPA is running at max replicas' }),
  KubePodCrashLooping: (l) => ({ description: `Pod ${l.namespace}/${l.pod} (${l.container}) is in waiting state (reason: "CrashLoopBackOff").`, runbook_url: 'https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping', summary: 'Pod is crash looping.' }),
  KubeDeploymentReplicasMismatch: (l) => ({ description: `Deployment ${l.namespace}/${l.deployment} has not matched the expected number of replicas for longer than 15 minutes.`, runbook_url: 'https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubedeploymentreplicasmismatch', summary: 'Deployment has not matched the expected number of replicas.' }),
};

/** Alertmanager's fingerprint of a label set: FNV-1a 64 over the sorted names and values, each followed by 0xff. */
export function fingerprint(labels: Labels): string {
  let h = 0xcbf29ce484222325n;
  const add = (s: string) => {
    for (const b of Buffer.from(s, 'utf8')) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
    h = BigInt.asUintN(64, (h ^ 0xffn) * 0x100000001b3n);
  };
  for (const name of Object.keys(labels).sort()) {
    add(name);
    add(labels[name]!);
  }
  return h.toString(16).padStart(16, '0');
}

/** One firing alert in a notification as Alertmanager posts it (receiver and route as a real config would name them). */
export function webhookBody(labels: Labels, opts: { startsAt?: string; status?: 'firing' | 'resolved' } = {}): string {
  const annotations = ANNOTATIONS[labels.alertname!]?.(labels) ?? { summary: `${labels.alertname} on ${labels.namespace}/${labels.pod ?? ''}` };
  const status = opts.status ?? 'firing';
  const alert = {
    status,
    labels,
    annotations,
    startsAt: opts.startsAt ?? new Date().toISOString(),
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: `http://kube-prometheus-stack-prometheus.monitoring:9090/graph?g0.expr=${encodeURIComponent(`ALERTS{alertname="${labels.alertname}"}`)}&g0.tab=1`,
    fingerprint: fingerprint(labels),
  };
  const groupLabels = { alertname: labels.alertname!, namespace: labels.namespace! };
  return JSON.stringify({
    receiver: 'autoremediator',
    status,
    alerts: [alert],
    groupLabels,
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: 'http://kube-prometheus-stack-alertmanager.monitoring:9093',
    version: '4',
    groupKey: `{}/{severity=~"warning|critical"}:{alertname="${labels.alertname}", namespace="${labels.namespace}"}`,
    truncatedAlerts: 0,
  });
}
