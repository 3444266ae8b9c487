/**
 * Silences while a run validates: what to silence, for how long, and how Alertmanager's
 * answers are sorted. Pure.
 */
import type { LabelSet } from '../domain/alert.js';
import type { Rule } from '../rule-table/rule.js';

/**
 * Labels left out of the silence's matchers: they name one pod, container or scrape
 * endpoint, and change while the fix settles (a scale-out or restart brings new pods, and
 * with them new `pod`/`instance` values for the same problem). Every other label is matched
 * exactly, `severity` included: an escalation to critical is not silenced.
 */
export const VOLATILE_LABELS: ReadonlySet<string> = new Set(['pod', 'pod_name', 'pod_ip', 'pod_uid', 'uid', 'instance', 'container_id', 'id']);

/** After the validation window, the silence holds this much longer (Alertmanager's evaluation and group_wait lag). */
export const SILENCE_MARGIN_MS = 5 * 60_000;

export interface Matcher {
  name: string;
  value: string;
  isRegex: false;
  isEqual: true;
}

/** Alertmanager API v2 PostableSilence. */
export interface PostableSilence {
  matchers: Matcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

export const CREATED_BY = 'autoremediator';

/** Exact matchers for every non-volatile, non-empty label, sorted by name. */
export function silenceMatchers(labels: LabelSet): Matcher[] {
  return Object.keys(labels)
    .filter((k) => !VOLATILE_LABELS.has(k) && labels[k] !== '')
    .sort()
    .map((name) => ({ name, value: labels[name]!, isRegex: false, isEqual: true }));
}

/**
 * The longest a validation of this rule can take: the rollout wait, then the slowest
 * check at its most attempts (the validator's own bound). The silence is expired when the
 * run ends; this bound only matters if nobody is left to expire it.
 */
export function validationWindowMs(rule: Pick<Rule, 'validate'> | null): number {
  const v = rule?.validate;
  const rollout = v?.rolloutTimeout ?? 300_000;
  const checks = (v?.checks ?? []).map((c) => (c.count * (c.consecutiveErrorLimit + 1) + c.consecutiveErrorLimit + 1) * c.interval);
  return rollout + Math.max(0, ...checks);
}

/** Silence for this rule? Its own `silenceDuringValidation`, else the global SILENCE_DURING_VALIDATION. */
export function wantsSilence(rule: Pick<Rule, 'silenceDuringValidation'> | null, globalDefault: boolean): boolean {
  return rule?.silenceDuringValidation ?? globalDefault;
}

/** The silence for a run that starts validating at `now`; null when no label is left to match. */
export function planSilence(input: { remediationId: string; ruleName: string | null; rule: Pick<Rule, 'validate'> | null; labels: LabelSet; now: Date }): PostableSilence | null {
  const matchers = silenceMatchers(input.labels);
  if (!matchers.some((m) => m.name === 'alertname')) return null;
  const end = new Date(input.now.getTime() + validationWindowMs(input.rule) + SILENCE_MARGIN_MS);
  return {
    matchers,
    startsAt: input.now.toISOString(),
    endsAt: end.toISOString(),
    createdBy: CREATED_BY,
    comment: `autoremediator: remediation ${input.remediationId} (rule ${input.ruleName ?? 'none'}) is validating its action; expired when the run ends.`,
  };
}

/** Why a silence call failed: a closed set, also in the run's result and the announcement. */
export const SILENCE_FAILURES = ['network', 'timeout', 'rejected', 'server_error', 'bad_response'] as const;
export type SilenceFailure = (typeof SILENCE_FAILURES)[number];

export type SilenceAnswer = { ok: true; id: string } | { ok: false; reason: SilenceFailure; detail: string };

export interface RawAnswer {
  status: number;
  body: string;
}

const clean = (s: string): string => {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > 200 ? `${one.slice(0, 200)}…` : one;
};

/** POST /api/v2/silences: 200 with `{"silenceID": "…"}` is created. */
export function classifyCreate(res: RawAnswer): SilenceAnswer {
  if (res.status === 200) {
    try {
      const body = JSON.parse(res.body) as { silenceID?: unknown };
      if (typeof body.silenceID === 'string' && body.silenceID !== '') return { ok: true, id: body.silenceID };
    } catch {
      // fall through
    }
    return { ok: false, reason: 'bad_response', detail: `HTTP 200 without a silenceID: ${clean(res.body)}` };
  }
  return statusFailure(res);
}

/**
 * DELETE /api/v2/silence/{id}: 200 is expired (0.25 answers 200 for an already expired one too).
 * A silence Alertmanager no longer knows (deleted after its retention, or on a peer that lost
 * its state) silences nothing either, which is what expiring wants: 404, or 0.25's 500
 * `"silence not found"`, count as done.
 */
export function classifyExpire(res: RawAnswer, id: string): SilenceAnswer {
  if (res.status === 200 || res.status === 404) return { ok: true, id };
  if (/already expired|silence not found/i.test(res.body)) return { ok: true, id };
  return statusFailure(res);
}

function statusFailure(res: RawAnswer): SilenceAnswer {
  const detail = `HTTP ${res.status}: ${clean(res.body) || 'no body'}`;
  if (res.status >= 500) return { ok: false, reason: 'server_error', detail };
  if (res.status >= 400) return { ok: false, reason: 'rejected', detail };
  return { ok: false, reason: 'bad_response', detail };
}

/** No answer: `code` is the socket/axios error code. */
export function classifyTransportError(code: string | undefined): SilenceAnswer {
  const timeout = code === 'ECONNABORTED' || code === 'ETIMEDOUT';
  return { ok: false, reason: timeout ? 'timeout' : 'network', detail: code ?? 'no answer' };
}
