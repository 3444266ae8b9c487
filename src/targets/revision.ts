/**
 * "Did the crash start with the newest revision?": the pure verdict behind `undo` with
 * `newestRevisionOnly`. Rolling back is the safe answer to a crash loop only when the newest
 * rollout brought the crash: the crashing pod runs the Deployment's newest revision, there is an
 * older one to go back to, and the alert started soon after that revision rolled out. A crash of
 * a revision that ran fine for days (a dependency failing, say), or of an older revision while
 * a rollout is under way, is not something an undo fixes: that is a skip that says so.
 */
import { formatDuration } from '../platform/duration.js';
import { describeRef, type Hop, type ReadResult } from './resolve.js';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

export interface RevisionInput {
  /** The chain and objects of a resolution from a Pod (resolveStep's `resolved`). */
  chain: readonly Hop[];
  objects: readonly ReadResult[];
  /** When the alert started (Alertmanager's startsAt: Prometheus's activeAt). */
  startsAt: string;
  /** How long after the rollout of the newest revision a crash still counts as started by it. */
  withinMs: number;
}

export type RevisionVerdict = { ok: true; detail: string; facts: Record<string, unknown> } | { ok: false; message: string; facts: Record<string, unknown> };

/**
 * @example newestRevisionVerdict({ chain, objects, startsAt, withinMs: 3_600_000 })
 *   // → { ok: true, detail: 'the crash started 4m after revision 2 rolled out (ReplicaSet ci/x-6f7c9d8b5)', … }
 */
export function newestRevisionVerdict(input: RevisionInput): RevisionVerdict {
  const { chain, objects } = input;
  const [pod, rs, dep] = chain;
  const no = (message: string, facts: Record<string, unknown> = {}): RevisionVerdict => ({ ok: false, message, facts });
  if (pod?.ref.kind !== 'Pod' || rs?.ref.kind !== 'ReplicaSet' || dep?.ref.kind !== 'Deployment') {
    return no(`the crash cannot be tied to a revision: ${pod ? describeRef(pod.ref) : 'the target'} is not a pod of a Deployment`);
  }
  const rsObj = objects[1]?.object;
  const depObj = objects[2]?.object;
  const podRevision = Number(rsObj?.metadata?.annotations?.[REVISION_ANNOTATION] ?? NaN);
  const newest = Number(depObj?.metadata?.annotations?.[REVISION_ANNOTATION] ?? NaN);
  const facts: Record<string, unknown> = { podRevision, newestRevision: newest, replicaSet: rs.ref.name };
  if (!Number.isInteger(podRevision) || !Number.isInteger(newest)) {
    return no(`the revisions are not known (${REVISION_ANNOTATION} missing on ${describeRef(rs.ref)} or ${describeRef(dep.ref)})`, facts);
  }
  if (podRevision !== newest) {
    return no(`the crash did not start with the newest revision: ${describeRef(pod.ref)} runs revision ${podRevision} (${describeRef(rs.ref)}), the newest of ${describeRef(dep.ref)} is ${newest}; undo would roll back a revision that is not the one crashing`, facts);
  }
  if (newest <= 1) return no(`${describeRef(pod.ref)} runs revision ${newest} of ${describeRef(dep.ref)}, its first: there is no earlier revision to go back to`, facts);
  const created = rsObj?.metadata?.creationTimestamp;
  const rolledOut = created === undefined ? NaN : new Date(created).getTime();
  const started = Date.parse(input.startsAt);
  if (!Number.isFinite(rolledOut) || !Number.isFinite(started)) return no(`cannot tell when revision ${newest} rolled out or when the crash started`, facts);
  const after = started - rolledOut;
  const at = new Date(rolledOut).toISOString();
  Object.assign(facts, { revisionRolledOutAt: at, alertStartsAt: input.startsAt, withinMs: input.withinMs });
  if (after < 0) return no(`the crash started at ${input.startsAt}, before revision ${newest} rolled out (${at}): it did not start with the newest revision`, facts);
  if (after > input.withinMs) {
    return no(
      `the crash did not start with the newest revision: it started ${formatDuration(after)} after revision ${newest} rolled out (${at}), more than the rule's ${formatDuration(input.withinMs)}; the revision ran before it crashed`,
      facts,
    );
  }
  return { ok: true, detail: `the crash started ${formatDuration(after)} after revision ${newest} rolled out (${describeRef(rs.ref)})`, facts };
}
