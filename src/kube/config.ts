/**
 * Where the Kubernetes API is: in-cluster (service account), KUBECONFIG, or
 * KUBE_API_URL (plus KUBE_TOKEN; http:// URLs are for the sandbox and tests).
 */
import { KubeConfig } from '@kubernetes/client-node';

export interface KubeTarget {
  kc: KubeConfig;
  description: string;
}

/** The cluster described by the environment, or null when none is configured. */
export function kubeConfigFromEnv(env: Record<string, string | undefined>): KubeTarget | null {
  if (env.KUBE_API_URL) return { kc: kubeConfigForUrl(env.KUBE_API_URL, env.KUBE_TOKEN), description: `KUBE_API_URL ${env.KUBE_API_URL}` };
  if (env.KUBECONFIG) {
    const kc = new KubeConfig();
    try {
      kc.loadFromFile(env.KUBECONFIG);
    } catch (err) {
      throw new Error(`KUBECONFIG: cannot load ${env.KUBECONFIG}: ${(err as Error).message}`);
    }
    return { kc, description: `KUBECONFIG ${env.KUBECONFIG} (context ${kc.getCurrentContext()})` };
  }
  if (env.KUBERNETES_SERVICE_HOST) {
    const kc = new KubeConfig();
    kc.loadFromCluster();
    return { kc, description: 'in-cluster service account' };
  }
  return null;
}

/** A KubeConfig for one API server URL. Plain http needs skipTLSVerify in client-node 1.x. */
export function kubeConfigForUrl(url: string, token?: string): KubeConfig {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`KUBE_API_URL: not a URL: "${url}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`KUBE_API_URL: must be http:// or https://, got "${url}"`);
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'autoremediator', server: url.replace(/\/$/, ''), skipTLSVerify: parsed.protocol === 'http:' }],
    users: [{ name: 'autoremediator', ...(token ? { token } : {}) }],
    contexts: [{ name: 'autoremediator', cluster: 'autoremediator', user: 'autoremediator' }],
    currentContext: 'autoremediator',
  });
  return kc;
}
