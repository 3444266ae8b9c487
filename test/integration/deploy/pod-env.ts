/**
 * The environment and files a container of a rendered or installed Deployment would see, made
 * on this machine: every `env` entry (literal values; `secretKeyRef`/`configMapKeyRef` resolved,
 * an `optional` reference to a missing key left unset, as the kubelet does) and every mounted
 * volume written under a local folder (ConfigMap and Secret keys, projected ServiceAccount
 * tokens, emptyDir and PersistentVolumeClaim as empty folders), with the mount paths in the
 * environment's values moved there. So a test runs the service as a local process configured
 * exactly as the pod would be, without a container runtime.
 *
 * Where the data comes from is the caller's: a map for `helm template` renderings, the real
 * API for an installed release (test/cluster/helm-install.test.ts).
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

export interface PodSources {
  /** The data of a Secret (values decoded), or null when there is no such Secret. */
  secret(name: string): Promise<Record<string, string> | null>;
  /** The data of a ConfigMap, or null when there is none. */
  configMap(name: string): Promise<Record<string, string> | null>;
  /** A token of the pod's ServiceAccount for this audience and lifetime (what the kubelet requests). */
  serviceAccountToken(audience: string | undefined, expirationSeconds: number): Promise<string>;
}

export interface PodEnvironment {
  env: Record<string, string>;
  /** mountPath → the local folder standing for it. */
  mounts: Record<string, string>;
}

/** The container's environment and volumes under `root`; throws naming the reference that cannot be resolved. */
export async function podEnvironment(deployment: Loose, containerName: string, root: string, sources: PodSources): Promise<PodEnvironment> {
  const pod = deployment.spec.template.spec as Loose;
  const container = (pod.containers as Loose[]).find((c) => c.name === containerName);
  if (!container) throw new Error(`Deployment ${deployment.metadata.name as string}: no container ${containerName}`);
  const volumes = new Map(((pod.volumes ?? []) as Loose[]).map((v) => [v.name as string, v]));

  const mounts: Record<string, string> = {};
  for (const m of (container.volumeMounts ?? []) as Loose[]) {
    const volume = volumes.get(m.name as string);
    if (!volume) throw new Error(`volumeMount ${m.name as string}: no such volume in the pod`);
    if (m.subPath) throw new Error(`volumeMount ${m.name as string}: subPath is not supported here`);
    const local = join(root, m.mountPath as string);
    mkdirSync(local, { recursive: true });
    const files = await volumeFiles(volume, sources);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(local, path)), { recursive: true });
      writeFileSync(join(local, path), text);
      if (m.readOnly) chmodSync(join(local, path), 0o444);
    }
    mounts[m.mountPath as string] = local;
  }

  // Longest mount path first, so that /a/b is moved before /a.
  const moves = Object.entries(mounts).sort(([a], [b]) => b.length - a.length);
  const relocate = (value: string) => {
    for (const [path, local] of moves) {
      if (value === path || value.includes(`${path}/`)) return value.split(path).join(local);
    }
    return value;
  };

  const env: Record<string, string> = {};
  for (const e of (container.env ?? []) as Loose[]) {
    const name = e.name as string;
    if (e.value !== undefined) {
      env[name] = relocate(String(e.value));
      continue;
    }
    const ref = (e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef) as Loose | undefined;
    if (!ref) throw new Error(`env ${name}: only value, secretKeyRef and configMapKeyRef are supported`);
    const what = e.valueFrom.secretKeyRef ? 'Secret' : 'ConfigMap';
    const data = what === 'Secret' ? await sources.secret(ref.name as string) : await sources.configMap(ref.name as string);
    const v = data?.[ref.key as string];
    if (v === undefined) {
      if (ref.optional) continue;
      throw new Error(`env ${name}: ${what} ${ref.name as string} ${data ? `has no key ${ref.key as string}` : 'does not exist'} (the pod would not start)`);
    }
    env[name] = v;
  }
  return { env, mounts };
}

/** The files a volume shows: path inside the mount → content. */
async function volumeFiles(volume: Loose, sources: PodSources): Promise<Record<string, string>> {
  const pick = (data: Record<string, string>, items: Loose[] | undefined, what: string): Record<string, string> => {
    if (!items) return { ...data };
    const out: Record<string, string> = {};
    for (const i of items) {
      const v = data[i.key as string];
      if (v === undefined) throw new Error(`volume ${volume.name as string}: ${what} has no key ${i.key as string}`);
      out[i.path as string] = v;
    }
    return out;
  };
  if (volume.emptyDir || volume.persistentVolumeClaim) return {};
  if (volume.configMap) {
    const data = await sources.configMap(volume.configMap.name as string);
    if (!data) throw new Error(`volume ${volume.name as string}: ConfigMap ${volume.configMap.name as string} does not exist (the pod would not start)`);
    return pick(data, volume.configMap.items as Loose[] | undefined, `ConfigMap ${volume.configMap.name as string}`);
  }
  if (volume.secret) {
    const data = await sources.secret(volume.secret.secretName as string);
    if (!data) throw new Error(`volume ${volume.name as string}: Secret ${volume.secret.secretName as string} does not exist (the pod would not start)`);
    return pick(data, volume.secret.items as Loose[] | undefined, `Secret ${volume.secret.secretName as string}`);
  }
  if (volume.projected) {
    const out: Record<string, string> = {};
    for (const s of volume.projected.sources as Loose[]) {
      if (!s.serviceAccountToken) throw new Error(`volume ${volume.name as string}: only serviceAccountToken projections are supported`);
      const t = s.serviceAccountToken as Loose;
      out[t.path as string] = await sources.serviceAccountToken(t.audience as string | undefined, (t.expirationSeconds as number | undefined) ?? 3600);
    }
    return out;
  }
  throw new Error(`volume ${volume.name as string}: unsupported kind (${Object.keys(volume).filter((k) => k !== 'name').join(', ')})`);
}
