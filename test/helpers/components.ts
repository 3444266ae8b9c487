/**
 * Real components built from Go modules by `npm run components` (scripts/components.mjs):
 * kube-apiserver, etcd, kwok, a current Prometheus and Alertmanager, Helm. A test that
 * needs one that is not built skips with a message saying how to build it, except under
 * CI=true, where it fails: .ci/run builds them, so CI must run those tests.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const clusterDir = join(root, 'test', 'cluster');

interface Component {
  dir: string;
  module: string;
  package?: string;
  files?: string[];
}

function manifest(): Record<string, Component> {
  return JSON.parse(readFileSync(join(clusterDir, 'components.json'), 'utf8')) as Record<string, Component>;
}

export type ComponentName =
  | 'kube-apiserver'
  | 'kube-controller-manager'
  | 'kube-scheduler'
  | 'etcd'
  | 'kwok'
  | 'alertmanager'
  | 'amtool'
  | 'prometheus'
  | 'promtool'
  | 'helm'
  | 'crd-cnpg'
  | 'crd-prometheus-operator'
  | 'crd-argocd'
  | 'crd-flux-kustomize'
  | 'crd-flux-helm'
  | 'crd-keda'
  | 'kwok-stages';

/** The version our go.mod pins for the component's module. */
export function componentVersion(name: ComponentName): string {
  const c = manifest()[name];
  if (!c) throw new Error(`unknown component ${name}`);
  const text = readFileSync(join(clusterDir, c.dir, 'go.mod'), 'utf8');
  const escaped = c.module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const m = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, 'm').exec(text);
  if (!m?.[1]) throw new Error(`test/cluster/${c.dir}/go.mod: no version pinned for ${c.module}`);
  return m[1];
}

/**
 * Where `npm run components` puts the binary, or for a set of files (CRDs) their folder,
 * whether or not it is built.
 */
export function componentPath(name: ComponentName): string {
  const c = manifest()[name];
  if (!c) throw new Error(`unknown component ${name}`);
  if (c.files) return join(root, '.cache', 'components', `${name}@${componentVersion(name)}`);
  return join(root, '.cache', 'components', `${c.dir}@${componentVersion(name)}`, name);
}

/** The binary's (or the file set's folder's) path when built, else null. */
export function component(name: ComponentName): string | null {
  const p = componentPath(name);
  const c = manifest()[name];
  return existsSync(c?.files ? join(p, '.done') : p) ? p : null;
}

/**
 * `describe` when every component is built; otherwise `describe.skip` with a message
 * naming the command that builds them, or a failing test when CI=true.
 */
export function describeWithComponents(names: ComponentName[], title: string, fn: () => void): void {
  const missing = names.filter((n) => component(n) === null);
  if (missing.length === 0) {
    describe(title, fn);
    return;
  }
  const message =
    `${title}: needs ${missing.map((n) => `${n} ${componentVersion(n)}`).join(', ')}, built from Go modules; ` +
    `build with: npm run components -- ${missing.join(' ')} (needs Go ≥ 1.26 and the Go module proxy)`;
  if (process.env.CI === 'true') {
    describe(title, () => {
      test('required components are built (CI=true)', () => {
        throw new Error(message);
      });
    });
    return;
  }
  console.warn(`SKIPPED ${message}`);
  describe.skip(title, fn);
}
