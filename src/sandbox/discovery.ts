/**
 * Discovery documents (/version, /api, /apis, /api/v1, /apis/<group>/<version>)
 * built from the resource table, in the legacy (unaggregated) form that every
 * client version accepts.
 */
import { apiVersionOf, groupVersions, RESOURCES, type ResourceDef } from './resources.js';

/** The Kubernetes version the sandbox claims to be. */
export const SANDBOX_VERSION = { major: '1', minor: '31', gitVersion: 'v1.31.0' } as const;

export function versionInfo(): Record<string, string> {
  return {
    ...SANDBOX_VERSION,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2024-08-13T00:00:00Z',
    goVersion: 'go1.22.5',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function coreVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupEntry(group: string): Record<string, unknown> {
  const versions = groupVersions()
    .filter((gv) => gv.group === group)
    .map((gv) => ({ groupVersion: `${gv.group}/${gv.version}`, version: gv.version }));
  return { name: group, versions, preferredVersion: versions[0] };
}

export function apiGroupList(): Record<string, unknown> {
  const groups = [...new Set(groupVersions().map((gv) => gv.group).filter((g) => g !== ''))];
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map(groupEntry) };
}

/** The APIGroup document of /apis/<group>, or undefined for an unknown group. */
export function apiGroup(group: string): Record<string, unknown> | undefined {
  if (!groupVersions().some((gv) => gv.group === group)) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(group) };
}

function resourceEntries(r: ResourceDef): Record<string, unknown>[] {
  const main: Record<string, unknown> = {
    name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: [...r.verbs],
  };
  if (r.shortNames.length > 0) main.shortNames = r.shortNames;
  if (r.categories) main.categories = r.categories;
  const out = [main];
  if (r.scale) {
    out.push({ name: `${r.plural}/scale`, singularName: '', namespaced: r.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
  }
  if (r.status) {
    out.push({ name: `${r.plural}/status`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'patch', 'update'] });
  }
  return out;
}

/** The APIResourceList of one group version, or undefined when it is not served. */
export function apiResourceList(group: string, version: string): Record<string, unknown> | undefined {
  const defs = RESOURCES.filter((r) => r.group === group && r.version === version);
  if (defs.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf({ group, version }),
    resources: defs.flatMap(resourceEntries),
  };
}
