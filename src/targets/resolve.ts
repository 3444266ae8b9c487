/**
 * Finding the workload from the object an alert names (`target.from`): pure. Given the start
 * (a Pod or a HorizontalPodAutoscaler) and the objects read so far, `resolveStep` says which object
 * to read next, or the verdict: the workload found with the chain that led to it, or why there is
 * none and at which hop. The reader (read-target.ts) only carries the reads out, so the same
 * objects always give the same answer.
 *
 * The hops, as the Kubernetes controllers link the objects:
 * - Pod → its controller (the ownerReference with `controller: true`): a ReplicaSet, a StatefulSet,
 *   or a custom resource's controller (a CloudNativePG Cluster); DaemonSet, Job and bare pods stop;
 * - ReplicaSet → its controlling Deployment (a ReplicaSet no Deployment owns stops);
 * - HorizontalPodAutoscaler → its `spec.scaleTargetRef`;
 * - the workload is read too: it must exist, and a controller reached through an ownerReference
 *   must have the uid that reference names (else it was deleted and re-created since).
 */
import type { ActionType } from '../rule-table/schema.js';
import type { TargetRef } from '../domain/target.js';
import { actionPhrase, cannotCarry } from '../rule-table/capabilities.js';

/** An object as read from the API, as far as the resolution needs it. */
export interface ObjectLike {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    creationTimestamp?: string | Date;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ apiVersion?: string; kind?: string; name?: string; uid?: string; controller?: boolean }>;
  };
  spec?: unknown;
}

/** One read: the object, or null when the API answered 404. */
export interface ReadResult {
  ref: TargetRef;
  object: ObjectLike | null;
}

/** One link of the chain: the object and how it was reached from the one before. */
export interface Hop {
  ref: TargetRef;
  /** `alert` for the start, `controller` (ownerReference) or `scaleTargetRef`. */
  via: 'alert' | 'controller' | 'scaleTargetRef';
  /** The uid the ownerReference named, checked against the object read. */
  uid?: string;
}

export type ResolveStep =
  | { outcome: 'read'; ref: TargetRef }
  | { outcome: 'resolved'; target: TargetRef; chain: Hop[]; objects: ReadResult[] }
  | { outcome: 'unresolved'; chain: Hop[]; message: string };

/** At most this many objects on a chain (pod → ReplicaSet → Deployment is 3). */
const MAX_HOPS = 4;

const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');
const BUILTIN_GROUPS = new Set(['', 'apps', 'batch']);

/** `pod ci/x`, `ReplicaSet ci/y`: how an object is named in explanations. */
export function describeRef(ref: Pick<TargetRef, 'kind' | 'namespace' | 'name'>): string {
  return `${ref.kind === 'Pod' ? 'pod' : ref.kind} ${ref.namespace}/${ref.name}`;
}

/** `pod ci/x → ReplicaSet ci/y → Deployment ci/z`: the chain as one phrase. */
export function describeChain(chain: readonly Hop[]): string {
  return chain.map((h) => describeRef(h.ref)).join(' → ');
}

/**
 * The next read or the verdict, for a start and the reads made so far (in the order asked).
 * `action` is what the rule does: a workload that can never carry it (a StatefulSet for `undo`)
 * is unresolved, with the reason.
 */
export function resolveStep(start: TargetRef, reads: readonly ReadResult[], action: ActionType): ResolveStep {
  const chain: Hop[] = [{ ref: start, via: 'alert' }];
  const unresolved = (message: string): ResolveStep => ({ outcome: 'unresolved', chain, message: `${describeChain(chain)}: ${message}` });
  for (let i = 0; ; i++) {
    const hop = chain[i]!;
    const read = reads[i];
    if (read === undefined) return { outcome: 'read', ref: hop.ref };
    const obj = read.object;
    if (obj === null) return unresolved(i === 0 ? `the ${hop.ref.kind} the alert names was not found` : `the ${hop.ref.kind} was not found`);
    if (hop.uid !== undefined && obj.metadata?.uid !== undefined && obj.metadata.uid !== hop.uid) {
      return unresolved(`the ${hop.ref.kind} has uid ${obj.metadata.uid}, not the uid ${hop.uid} its ownerReference names (it was deleted and created again)`);
    }
    // What an HPA scales is the workload, whatever its kind.
    const next: Next = hop.via === 'scaleTargetRef' ? { done: true } : nextHop(hop.ref, obj);
    if ('fail' in next) return unresolved(next.fail);
    if ('done' in next) {
      if (i === 0) return unresolved(`a ${hop.ref.kind} is not a workload`); // the start is a Pod or an HPA
      const why = cannotCarry(action, hop.ref.apiVersion, hop.ref.kind);
      if (why !== null) return unresolved(`the workload cannot carry ${actionPhrase(action)}: ${why}`);
      return { outcome: 'resolved', target: hop.ref, chain, objects: reads.slice(0, i + 1) };
    }
    if (chain.length >= MAX_HOPS) return unresolved(`more than ${MAX_HOPS} objects on the way to the workload`);
    chain.push(next.hop);
  }
}

type Next = { hop: Hop } | { done: true } | { fail: string };

function nextHop(ref: TargetRef, obj: ObjectLike): Next {
  const group = groupOf(ref.apiVersion);
  if (ref.kind === 'Pod' && group === '') {
    const owner = controllerOf(obj);
    if (!owner) return { fail: 'the pod has no controller (a bare pod): there is no workload to act on' };
    const ownerGroup = groupOf(owner.apiVersion);
    const follow = (owner.kind === 'ReplicaSet' || owner.kind === 'StatefulSet') && ownerGroup === 'apps';
    if (!follow && BUILTIN_GROUPS.has(ownerGroup)) {
      return { fail: `the pod is controlled by ${owner.kind} ${owner.name}; only pods of a Deployment (through its ReplicaSet), a StatefulSet or a custom resource's controller are followed` };
    }
    return { hop: { ref: { ...owner, namespace: ref.namespace }, via: 'controller', ...(owner.uid ? { uid: owner.uid } : {}) } };
  }
  if (ref.kind === 'ReplicaSet' && group === 'apps') {
    const owner = controllerOf(obj);
    if (!owner) return { fail: 'the ReplicaSet has no controlling Deployment (a bare ReplicaSet)' };
    if (owner.kind !== 'Deployment' || groupOf(owner.apiVersion) !== 'apps') return { fail: `the ReplicaSet is controlled by ${owner.kind} ${owner.name}, not a Deployment` };
    return { hop: { ref: { ...owner, namespace: ref.namespace }, via: 'controller', ...(owner.uid ? { uid: owner.uid } : {}) } };
  }
  if (ref.kind === 'HorizontalPodAutoscaler' && group === 'autoscaling') {
    const st = (obj.spec as { scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string } } | undefined)?.scaleTargetRef;
    if (!st?.kind || !st.name) return { fail: 'the HPA has no spec.scaleTargetRef' };
    const apiVersion = st.apiVersion ?? (['Deployment', 'StatefulSet', 'ReplicaSet'].includes(st.kind) ? 'apps/v1' : undefined);
    if (apiVersion === undefined) return { fail: `the HPA's scaleTargetRef names ${st.kind} ${st.name} without an apiVersion` };
    return { hop: { ref: { apiVersion, kind: st.kind, namespace: ref.namespace, name: st.name }, via: 'scaleTargetRef' } };
  }
  return { done: true };
}

function controllerOf(obj: ObjectLike): { apiVersion: string; kind: string; name: string; uid?: string } | null {
  const ref = obj.metadata?.ownerReferences?.find((o) => o.controller === true);
  if (!ref?.apiVersion || !ref.kind || !ref.name) return null;
  return { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, ...(ref.uid ? { uid: ref.uid } : {}) };
}
