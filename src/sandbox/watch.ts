/**
 * Watch streams: newline-delimited `{"type","object"}` events over a chunked
 * response, from a resourceVersion (replayed from the store's history, or 410
 * Expired when too old) or from "now" with a synthetic ADDED per existing object.
 */
import type { ServerResponse } from 'node:http';
import type { Cluster } from './cluster.js';
import type { StoreEvent, WatchEventType } from './object-store.js';
import type { ResourceRoute } from './request-router.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { expired } from './status.js';
import type { StoredObject } from './types.js';

export interface WatchHandle {
  /** Ends the stream (server shutdown). */
  close(): void;
}

/** Starts a watch on `res`; the caller has checked faults and written nothing yet. */
export function startWatch(cluster: Cluster, r: ResourceRoute, query: URLSearchParams, res: ServerResponse, onEnd: () => void): WatchHandle {
  const labels = parseLabelSelector(query.get('labelSelector'));
  const fields = parseFieldSelector(query.get('fieldSelector'), r.def.plural);
  const matches = (e: { def: unknown; object: StoredObject }): boolean =>
    e.def === r.def && (r.namespace === undefined || e.object.metadata.namespace === r.namespace) &&
    labels(e.object.metadata.labels) && fields(e.object);
  const requested = query.get('resourceVersion') ?? '';
  const timeoutSeconds = Number(query.get('timeoutSeconds') ?? '0');

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  // Headers go out at once, as on a real server: a client blocks in its round trip until it sees them.
  res.flushHeaders();
  const send = (type: WatchEventType | 'ERROR', object: unknown): void => {
    res.write(`${JSON.stringify({ type, object })}\n`);
  };

  let ended = false;
  let unsubscribe: () => void = () => undefined;
  let timer: NodeJS.Timeout | undefined;
  const end = (): void => {
    if (ended) return;
    ended = true;
    unsubscribe();
    if (timer) clearTimeout(timer);
    res.end();
    onEnd();
  };

  if (requested === '' || requested === '0') {
    for (const obj of cluster.store.listShared(r.def, r.namespace)) if (matches({ def: r.def, object: obj })) send('ADDED', obj);
  } else {
    const since = cluster.store.eventsSince(Number(requested));
    if (since === 'expired' || !Number.isFinite(Number(requested))) {
      send('ERROR', expired(requested, cluster.store.oldestResourceVersion()).toStatus());
      end();
      return { close: end };
    }
    for (const e of since) if (matches(e)) send(e.type, e.object);
  }
  unsubscribe = cluster.store.subscribe((e: StoreEvent) => {
    if (!ended && matches(e)) send(e.type, e.object);
  });
  if (timeoutSeconds > 0) timer = setTimeout(end, timeoutSeconds * 1000);
  res.on('close', end);
  return { close: end };
}
