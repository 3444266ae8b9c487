/**
 * Client configuration for a sandbox: a client-node KubeConfig, and a kubeconfig
 * file that kubectl (and client-node's loadFromFile) accept for a plain-http server.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';

const NAME = 'sandbox';

/**
 * A KubeConfig for `url`. client-node refuses an http:// server unless
 * skipTLSVerify is set (createAgent in its config.ts), hence the flag.
 */
export function sandboxKubeConfig(url: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: NAME, server: url, skipTLSVerify: true }],
    users: [{ name: NAME }],
    contexts: [{ name: NAME, cluster: NAME, user: NAME, namespace: 'default' }],
    currentContext: NAME,
  });
  return kc;
}

/** The kubeconfig YAML for `url`. */
export function kubeconfigYaml(url: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: NAME, cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: NAME, user: {} }],
    contexts: [{ name: NAME, context: { cluster: NAME, user: NAME, namespace: 'default' } }],
    'current-context': NAME,
    preferences: {},
  });
}
