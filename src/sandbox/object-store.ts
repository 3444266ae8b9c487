/**
 * The sandbox's etcd: objects per resource, a global resourceVersion counter, and
 * a bounded history of changes for watches. It owns the server-set metadata
 * (uid, resourceVersion, generation, creationTimestamp) and hands out copies only.
 */
import { randomUUID } from 'node:crypto';
import type { ResourceDef } from './resources.js';
import { clone, semanticEqual, type StoredObject, type KubeObject } from './types.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  def: ResourceDef;
  /** The object after the change (before it, for DELETED); never mutated after emission. */
  object: StoredObject;
  rv: number;
}

/** A metav1.Time: RFC 3339 with second precision, as the API server serializes it. */
export function formatTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Everything but the metadata and status: a change here bumps metadata.generation. */
function specPart(obj: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

function keyOf(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

export class ObjectStore {
  private rv = 0;
  private readonly buckets = new Map<ResourceDef, Map<string, StoredObject>>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<(e: StoreEvent) => void>();

  constructor(
    private readonly clock: () => Date,
    private readonly historyLimit = 5000,
  ) {}

  /** The current (latest) resourceVersion, as a list answers it. */
  resourceVersion(): string {
    return String(this.rv);
  }

  private bucket(def: ResourceDef): Map<string, StoredObject> {
    let b = this.buckets.get(def);
    if (!b) {
      b = new Map();
      this.buckets.set(def, b);
    }
    return b;
  }

  get(def: ResourceDef, namespace: string | undefined, name: string): StoredObject | undefined {
    const obj = this.bucket(def).get(keyOf(def.namespaced ? namespace : undefined, name));
    return obj ? clone(obj) : undefined;
  }

  has(def: ResourceDef, namespace: string | undefined, name: string): boolean {
    return this.bucket(def).has(keyOf(def.namespaced ? namespace : undefined, name));
  }

  /** Copies of the objects of a resource, in one namespace or all, ordered by namespace then name. */
  list(def: ResourceDef, namespace?: string): StoredObject[] {
    return this.listShared(def, namespace).map(clone);
  }

  /**
   * The stored objects themselves, for the controllers' hot read paths: they are
   * never mutated in place (every write stores a new object), so sharing is safe
   * as long as the caller does not mutate them either.
   */
  listShared(def: ResourceDef, namespace?: string): readonly StoredObject[] {
    const out: StoredObject[] = [];
    for (const obj of this.bucket(def).values()) {
      if (namespace === undefined || !def.namespaced || obj.metadata.namespace === namespace) out.push(obj);
    }
    return out.sort((a, b) => compareKeys(a, b));
  }

  /** Stores a new object; the caller has checked that the name is free. Returns a copy of what was stored. */
  create(def: ResourceDef, obj: KubeObject): StoredObject {
    const stored = clone(obj) as StoredObject;
    const meta = stored.metadata;
    meta.uid = randomUUID();
    meta.creationTimestamp = formatTime(this.clock());
    meta.resourceVersion = String(++this.rv);
    if (!def.namespaced) delete meta.namespace;
    if (def.generation) meta.generation = 1;
    else delete meta.generation;
    this.bucket(def).set(keyOf(meta.namespace, meta.name), stored);
    this.emit('ADDED', def, stored);
    return clone(stored);
  }

  /**
   * Replaces a stored object with `next` (same namespace and name), giving it a new
   * resourceVersion and bumping generation when anything outside metadata and status
   * changed. Identity fields (uid, creationTimestamp) are kept from the stored copy.
   */
  update(def: ResourceDef, next: KubeObject): StoredObject {
    const key = keyOf(def.namespaced ? next.metadata.namespace : undefined, next.metadata.name ?? '');
    const prev = this.bucket(def).get(key);
    if (!prev) throw new Error(`sandbox store: update of missing ${def.plural} ${key}`);
    const stored = clone(next) as StoredObject;
    const meta = stored.metadata;
    meta.uid = prev.metadata.uid;
    meta.creationTimestamp = prev.metadata.creationTimestamp;
    meta.resourceVersion = String(++this.rv);
    if (!def.namespaced) delete meta.namespace;
    if (def.generation) {
      const gen = prev.metadata.generation ?? 1;
      meta.generation = semanticEqual(specPart(prev), specPart(stored)) ? gen : gen + 1;
    } else delete meta.generation;
    this.bucket(def).set(key, stored);
    this.emit('MODIFIED', def, stored);
    return clone(stored);
  }

  /** Removes an object; returns the removed copy, or undefined if there was none. */
  remove(def: ResourceDef, namespace: string | undefined, name: string): StoredObject | undefined {
    const key = keyOf(def.namespaced ? namespace : undefined, name);
    const prev = this.bucket(def).get(key);
    if (!prev) return undefined;
    this.bucket(def).delete(key);
    const gone = clone(prev);
    gone.metadata.resourceVersion = String(++this.rv);
    this.emit('DELETED', def, gone);
    return clone(gone);
  }

  /** Every object, of every resource, whose metadata.ownerReferences name this uid. */
  dependentsOf(uid: string): { def: ResourceDef; object: StoredObject }[] {
    const out: { def: ResourceDef; object: StoredObject }[] = [];
    for (const [def, bucket] of this.buckets) {
      for (const obj of bucket.values()) {
        if ((obj.metadata.ownerReferences ?? []).some((o) => o.uid === uid)) out.push({ def, object: clone(obj) });
      }
    }
    return out;
  }

  subscribe(listener: (e: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Changes after `rv`, or 'expired' when they are no longer all kept. */
  eventsSince(rv: number): StoreEvent[] | 'expired' {
    const oldest = this.history[0]?.rv ?? this.rv + 1;
    if (rv < this.rv && rv < oldest - 1) return 'expired';
    return this.history.filter((e) => e.rv > rv);
  }

  /** The oldest resourceVersion a watch can still start from. */
  oldestResourceVersion(): string {
    return String((this.history[0]?.rv ?? this.rv + 1) - 1);
  }

  private emit(type: WatchEventType, def: ResourceDef, stored: StoredObject): void {
    // Stored objects are replaced, never mutated in place, so the event can share them.
    const event: StoreEvent = { type, def, object: stored, rv: this.rv };
    this.history.push(event);
    if (this.history.length > this.historyLimit) this.history.splice(0, this.history.length - this.historyLimit);
    for (const l of this.listeners) l(event);
  }
}

function compareKeys(a: StoredObject, b: StoredObject): number {
  const ka = keyOf(a.metadata.namespace, a.metadata.name);
  const kb = keyOf(b.metadata.namespace, b.metadata.name);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
