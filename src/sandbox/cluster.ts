/**
 * What the simulated controllers share: the store, the clock, the faults, the
 * per-pod timings that decide readiness, and an event recorder that aggregates
 * repeated events the way client-go's recorder does.
 */
import { randomInt } from 'node:crypto';
import type { SandboxFaults } from './faults.js';
import { formatTime, type ObjectStore } from './object-store.js';
import { R } from './resources.js';
import { isRecord, type CoreEvent, type OwnerReference, type StoredObject } from './types.js';

export interface PodTiming {
  /** When the simulated kubelet first saw the pod (clock ms). */
  createdMs: number;
  /** When it became Ready; readiness is sticky once reached. */
  readyMs?: number;
}

export interface Cluster {
  store: ObjectStore;
  clock: () => Date;
  faults: SandboxFaults;
  readyDelayMs: number;
  podTimes: Map<string, PodTiming>;
  events: EventRecorder;
}

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** Random name suffix in the alphabet Kubernetes uses for generated names. */
export function randomSuffix(length = 5): string {
  let s = '';
  for (let i = 0; i < length; i++) s += ALPHANUMS[randomInt(ALPHANUMS.length)];
  return s;
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** FNV-1a over the template, encoded like `rand.SafeEncodeString` (the `pod-template-hash` form). */
export function templateHash(template: unknown): string {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(stableStringify(template))) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return [...String(h >>> 0)].map((c) => ALPHANUMS[c.charCodeAt(0) % ALPHANUMS.length]).join('');
}

/** The controller owner reference of an object, if it has one. */
export function controllerOf(obj: StoredObject): OwnerReference | undefined {
  return (obj.metadata.ownerReferences ?? []).find((o) => o.controller === true);
}

export function isControlledBy(obj: StoredObject, owner: StoredObject): boolean {
  return controllerOf(obj)?.uid === owner.metadata.uid;
}

export function ownerReference(owner: StoredObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid,
    controller: true, blockOwnerDeletion: true,
  };
}

export function nowMs(cluster: Pick<Cluster, 'clock'>): number {
  return cluster.clock().getTime();
}

/** Writes Events about objects; an identical event (same object, reason, message) bumps count instead. */
export class EventRecorder {
  private readonly names = new Map<string, string>();
  private seq = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly clock: () => Date,
  ) {}

  record(involved: StoredObject, type: 'Normal' | 'Warning', reason: string, message: string, component: string): void {
    const namespace = involved.metadata.namespace ?? 'default';
    const key = `${involved.metadata.uid}|${reason}|${message}|${component}`;
    const now = formatTime(this.clock());
    const existingName = this.names.get(key);
    const existing = existingName ? (this.store.get(R.events, namespace, existingName)) : undefined;
    if (existing) {
      existing.count = (typeof existing.count === 'number' ? existing.count : 1) + 1;
      existing.lastTimestamp = now;
      this.store.update(R.events, existing);
      return;
    }
    if (!this.store.has(R.namespaces, undefined, namespace)) return;
    const name = `${involved.metadata.name}.${(this.clock().getTime() * 1000 + (this.seq++ % 1000)).toString(16)}`;
    this.names.set(key, name);
    const event: CoreEvent = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace, uid: '', resourceVersion: '', creationTimestamp: '' },
      involvedObject: {
        apiVersion: involved.apiVersion, kind: involved.kind, name: involved.metadata.name, namespace,
        uid: involved.metadata.uid, resourceVersion: involved.metadata.resourceVersion,
      },
      reason, message, type, count: 1,
      source: { component },
      firstTimestamp: now, lastTimestamp: now,
      reportingComponent: component, reportingInstance: '',
    };
    this.store.create(R.events, event);
  }
}
