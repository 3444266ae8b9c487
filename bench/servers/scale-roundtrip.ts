/**
 * The reaction benchmark's baseline, in its own process like the service: the bare
 * round trip of one @kubernetes/client-node getScale + replaceScale against the
 * sandbox API server, for each Deployment named on the command line (the replicas
 * are written back unchanged). For comparison, the same two requests with fetch on
 * kept-alive connections (client-node 1.x opens a new connection for every request).
 * Prints one line: `RESULT {"clientNode": [ms…], "keepAliveFetch": [ms…]}`.
 *
 *   tsx bench/servers/scale-roundtrip.ts <api url> <namespace> <warmup> <name>...
 */
import { AppsV1Api } from '@kubernetes/client-node';
import { kubeConfigForUrl } from '../../src/kube/config.js';

const [url, namespace, warmupText, ...names] = process.argv.slice(2);
if (!url || !namespace || names.length === 0) {
  process.stderr.write('usage: scale-roundtrip.ts <api url> <namespace> <warmup> <name>...\n');
  process.exit(2);
}
const apps = kubeConfigForUrl(url).makeApiClient(AppsV1Api);

async function roundTrip(name: string): Promise<number> {
  const started = performance.now();
  const scale = await apps.readNamespacedDeploymentScale({ name, namespace: namespace! });
  await apps.replaceNamespacedDeploymentScale({ name, namespace: namespace!, body: { ...scale, spec: { replicas: scale.spec?.replicas ?? 0 } } });
  return performance.now() - started;
}

async function keepAliveRoundTrip(name: string): Promise<number> {
  const started = performance.now();
  const path = `${url}/apis/apps/v1/namespaces/${namespace}/deployments/${name}/scale`;
  const res = await fetch(path);
  if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
  const scale = (await res.json()) as Record<string, unknown>;
  const put = await fetch(path, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(scale) });
  if (!put.ok) throw new Error(`PUT ${path}: ${put.status}`);
  await put.arrayBuffer();
  return performance.now() - started;
}

const warmup = Number(warmupText);
const clientNode: number[] = [];
const keepAliveFetch: number[] = [];
for (let i = 0; i < warmup; i++) {
  await roundTrip(names[i % names.length]!);
  await keepAliveRoundTrip(names[i % names.length]!);
}
for (const name of names) {
  clientNode.push(await roundTrip(name));
  keepAliveFetch.push(await keepAliveRoundTrip(name));
}
process.stdout.write(`RESULT ${JSON.stringify({ clientNode, keepAliveFetch })}\n`);
