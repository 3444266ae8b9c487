/** Pause rows of both stores to Pause (src/control/pause.ts); times already as Date. */
import { subjectOf, type Pause } from '../control/pause.js';

export interface PauseRecord {
  id: string;
  scope_key: string;
  actor: string;
  reason: string;
  created_at: Date;
  expires_at: Date | null;
  ended_at: Date | null;
  ended_by: string | null;
}

export function toPause(r: PauseRecord): Pause {
  return {
    id: r.id,
    scopeKey: r.scope_key,
    subject: subjectOf(r.scope_key),
    actor: r.actor,
    reason: r.reason,
    at: r.created_at,
    expiresAt: r.expires_at,
    endedAt: r.ended_at,
    endedBy: r.ended_by,
  };
}
