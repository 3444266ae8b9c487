/**
 * The kill switch: pauses people set (globally, for a namespace, a target or a rule)
 * and the pure verdict "does a pause hold this decision?". Stored (store.ts), read on
 * every decision, so every replica sees a pause from its next decision on.
 */
import { z } from 'zod';
import { targetKey, type TargetRef } from '../domain/target.js';
import { parseDuration } from '../platform/duration.js';

export const PAUSE_SCOPES = ['global', 'namespace', 'target', 'rule'] as const;
export type PauseScope = (typeof PAUSE_SCOPES)[number];

/** What a pause covers. */
export type PauseSubject =
  | { scope: 'global' }
  | { scope: 'namespace'; namespace: string }
  | { scope: 'target'; namespace: string; kind: string; name: string }
  | { scope: 'rule'; rule: string };

export interface NewPause {
  subject: PauseSubject;
  /** Who paused (X-Actor). */
  actor: string;
  reason: string;
  at: Date;
  /** null: until someone resumes. */
  expiresAt: Date | null;
}

export interface Pause extends NewPause {
  id: string;
  /** `global`, `namespace:ci`, `target:ci/deployment/api`, `rule:scale-api`: what DELETE matches on. */
  scopeKey: string;
  endedAt: Date | null;
  /** Who resumed, or `expiry`. */
  endedBy: string | null;
}

/** The stable key of a subject (kinds lower-cased, as in target keys). */
export function scopeKey(s: PauseSubject): string {
  switch (s.scope) {
    case 'global':
      return 'global';
    case 'namespace':
      return `namespace:${s.namespace}`;
    case 'target':
      return `target:${targetKey(s)}`;
    case 'rule':
      return `rule:${s.rule}`;
  }
}

/** The subject back from its key (the store keeps only the key). Throws on a key it did not write. */
export function subjectOf(key: string): PauseSubject {
  if (key === 'global') return { scope: 'global' };
  const i = key.indexOf(':');
  const kind = key.slice(0, i);
  const rest = key.slice(i + 1);
  if (kind === 'namespace') return { scope: 'namespace', namespace: rest };
  if (kind === 'rule') return { scope: 'rule', rule: rest };
  const parts = rest.split('/');
  if (kind === 'target' && parts.length === 3) return { scope: 'target', namespace: parts[0]!, kind: parts[1]!, name: parts[2]! };
  throw new Error(`not a pause scope key: "${key}"`);
}

/** "everything", "namespace ci", "target ci/deployment/api", "rule scale-api". */
export function describeSubject(s: PauseSubject): string {
  switch (s.scope) {
    case 'global':
      return 'everything';
    case 'namespace':
      return `namespace ${s.namespace}`;
    case 'target':
      return `target ${targetKey(s)}`;
    case 'rule':
      return `rule ${s.rule}`;
  }
}

/** Is the pause in force at `now` (not ended, not expired)? */
export function isActive(p: Pick<Pause, 'endedAt' | 'expiresAt' | 'at'>, now: Date): boolean {
  return p.endedAt === null && (p.expiresAt === null || p.expiresAt.getTime() > now.getTime());
}

/** Does the pause cover a decision of `rule` on `target` (null: the rule's target could not be rendered)? */
export function covers(s: PauseSubject, d: { rule: string; target: Pick<TargetRef, 'namespace' | 'kind' | 'name'> | null }): boolean {
  switch (s.scope) {
    case 'global':
      return true;
    case 'rule':
      return s.rule === d.rule;
    case 'namespace':
      return d.target !== null && d.target.namespace === s.namespace;
    case 'target':
      return d.target !== null && targetKey(d.target) === targetKey(s);
  }
}

export interface PauseVerdict {
  /** The pause named in the explanation: of those that hold, the one that ends last (an open-ended one first). */
  pause: Pause;
  /** Every pause that holds, for the facts. */
  all: Pause[];
  explanation: string;
}

/**
 * The verdict: the pauses in force at `now` that cover this decision, or null. Pure.
 * When several hold, the explanation names the one that ends last: that is when acting
 * can resume at the earliest.
 */
export function pauseVerdict(pauses: readonly Pause[], d: { rule: string; target: Pick<TargetRef, 'namespace' | 'kind' | 'name'> | null }, now: Date): PauseVerdict | null {
  const all = pauses.filter((p) => isActive(p, now) && covers(p.subject, d));
  if (all.length === 0) return null;
  const endOf = (p: Pause): number => p.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
  const pause = all.reduce((a, b) => (endOf(b) > endOf(a) ? b : a));
  return { pause, all, explanation: explainPause(pause, all.length) };
}

function explainPause(p: Pause, count: number): string {
  const until = p.expiresAt ? `until ${p.expiresAt.toISOString()}` : 'until someone resumes it (DELETE /api/v1/pause or `autoremediator resume`)';
  const more = count > 1 ? ` (${count - 1} more pause${count > 2 ? 's' : ''} also hold)` : '';
  return `Paused: ${p.actor} paused ${describeSubject(p.subject)} at ${p.at.toISOString()} ("${p.reason}"), ${until}${more}; nothing was done.`;
}

/** The facts a paused skip records. */
export function pauseFacts(v: PauseVerdict): Record<string, unknown> {
  return {
    pause: { id: v.pause.id, scope: v.pause.scopeKey, by: v.pause.actor, reason: v.pause.reason, since: v.pause.at.toISOString(), until: v.pause.expiresAt?.toISOString() ?? null },
    pauses: v.all.map((p) => p.id),
  };
}

const name63 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const objectName = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/**
 * The body of POST and DELETE /api/v1/pause. `expiresIn` is a duration ("2h"), or `expiresAt`
 * an RFC 3339 instant; neither: until resumed. DELETE needs only the scope fields.
 */
export const pauseBodySchema = z
  .strictObject({
    scope: z.enum(PAUSE_SCOPES),
    namespace: z.string().max(63).regex(name63, 'not a namespace name').optional(),
    kind: z.string().min(1).max(63).regex(/^[A-Za-z][A-Za-z0-9]*$/, 'not a Kubernetes kind').optional(),
    name: z.string().max(253).regex(objectName, 'not a Kubernetes object name').optional(),
    rule: z.string().max(200).regex(name63, 'rule names are lower-case letters, digits and dashes').optional(),
    reason: z.string().trim().min(1, 'say why (reason)').max(500).optional(),
    expiresIn: z.string().optional(),
    expiresAt: z.string().datetime({ offset: true }).optional(),
  })
  .superRefine((b, ctx) => {
    const need: Record<PauseScope, Array<'namespace' | 'kind' | 'name' | 'rule'>> = { global: [], namespace: ['namespace'], target: ['namespace', 'kind', 'name'], rule: ['rule'] };
    for (const f of need[b.scope]) if (b[f] === undefined) ctx.addIssue({ code: 'custom', path: [f], message: `scope ${b.scope} needs ${f}` });
    for (const f of ['namespace', 'kind', 'name', 'rule'] as const) {
      if (b[f] !== undefined && !need[b.scope].includes(f)) ctx.addIssue({ code: 'custom', path: [f], message: `scope ${b.scope} takes no ${f}` });
    }
    if (b.expiresIn !== undefined && b.expiresAt !== undefined) ctx.addIssue({ code: 'custom', path: ['expiresIn'], message: 'give expiresIn or expiresAt, not both' });
    if (b.expiresIn !== undefined) {
      const ms = parseDuration(b.expiresIn);
      if (ms === null || ms <= 0) ctx.addIssue({ code: 'custom', path: ['expiresIn'], message: `"${b.expiresIn}" is not a positive duration (e.g. 30m, 2h)` });
    }
  });
export type PauseBody = z.infer<typeof pauseBodySchema>;

/** The subject a (valid) body names. */
export function subjectFromBody(b: PauseBody): PauseSubject {
  switch (b.scope) {
    case 'global':
      return { scope: 'global' };
    case 'namespace':
      return { scope: 'namespace', namespace: b.namespace! };
    case 'target':
      return { scope: 'target', namespace: b.namespace!, kind: b.kind!.toLowerCase(), name: b.name! };
    case 'rule':
      return { scope: 'rule', rule: b.rule! };
  }
}

/** When a (valid) body's pause ends; null: until resumed. Throws when that is not after `now`. */
export function expiryFromBody(b: PauseBody, now: Date): Date | null {
  const at = b.expiresIn !== undefined ? new Date(now.getTime() + parseDuration(b.expiresIn)!) : b.expiresAt !== undefined ? new Date(b.expiresAt) : null;
  if (at !== null && at.getTime() <= now.getTime()) throw new RangeError(`expiresAt ${at.toISOString()} is not in the future (now ${now.toISOString()})`);
  return at;
}
