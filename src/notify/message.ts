/**
 * Slack messages a person on call can act on, built by pure functions from a
 * remediation event: what was done (before → after), why (the alert, the labels
 * that matter, its summary and value, the rule), how validation went (baseline
 * vs after per check), the rollback, and links to the alert source and to the
 * remediation record. Every dynamic string is escaped and cut to Slack's limits.
 */
import type { LabelSet } from '../domain/alert.js';
import type { StateFields } from '../domain/decision.js';
import { approvalOf, type Phase, type Remediation } from '../domain/remediation.js';
import type { RemediationEvent } from '../domain/remediation.js';
import type { RuleSpec } from '../rule-table/schema.js';
import { LIMITS, actions, button, context, escapeMrkdwn, fieldsSection, header, link, section, truncate, type SlackBlock, type SlackMessage } from './blocks.js';

/** What the notifier could find out about the alert behind a remediation (best effort). */
export interface AlertInfo {
  generatorURL?: string | null;
  labels: LabelSet;
  annotations: LabelSet;
}

/** The parts of a rule a message shows: its name, matchers and the labels its target is filled from. */
export type RuleInfo = Pick<RuleSpec, 'name' | 'matchers'> & Partial<Pick<RuleSpec, 'target'>>;

export interface MessageOptions {
  alert?: AlertInfo | null;
  rule?: RuleInfo | null;
  /** Base URL of the API as people reach it; without it there is no link to the record. */
  publicUrl?: string | null;
  /** The remediation's earlier messages are in a thread this process no longer knows (restart, eviction). */
  continued?: boolean;
}

const PHASE_WORD: Readonly<Record<Phase, string>> = {
  planned: 'Planned',
  awaiting_approval: 'Awaiting approval',
  applying: 'Applying',
  validating: 'Validating',
  succeeded: 'Succeeded',
  rolling_back: 'Rolling back',
  rolled_back: 'Rolled back',
  failed: 'Failed',
  skipped: 'Skipped',
};

const PHASE_EMOJI: Readonly<Record<Phase, string>> = {
  planned: ':hourglass_flowing_sand:',
  awaiting_approval: ':raising_hand:',
  applying: ':gear:',
  validating: ':mag:',
  succeeded: ':white_check_mark:',
  rolling_back: ':rewind:',
  rolled_back: ':leftwards_arrow_with_hook:',
  failed: ':rotating_light:',
  skipped: ':fast_forward:',
};

/** Labels worth showing whatever the rule says, in this order. */
const USUAL_LABELS = ['severity', 'namespace', 'service', 'deployment', 'statefulset', 'pod', 'container', 'instance', 'job'];
const MAX_LABELS = 10;
const MAX_ANNOTATION = 500;

/** The emoji and the one-line headline of the remediation's current phase. */
export function headline(rem: Remediation, phase: Phase = rem.phase): { emoji: string; text: string } {
  const d = rem.decision;
  const what = subject(rem);
  if (d.outcome === 'skip') {
    if (d.reason === 'dry-run') return { emoji: ':test_tube:', text: `Dry run: would ${what}` };
    if (d.reason === 'breaker-open') return { emoji: ':no_entry:', text: `Skipped, breaker open: ${what}` };
    if (d.reason === 'budget-namespace') return { emoji: ':octagonal_sign:', text: `Skipped, namespace budget spent: ${what}` };
    if (d.reason === 'budget-global') return { emoji: ':octagonal_sign:', text: `Skipped, global budget spent: ${what}` };
    if (phase === 'skipped') return { emoji: PHASE_EMOJI.skipped, text: `Skipped (${d.reason}): ${what}` };
  }
  return { emoji: PHASE_EMOJI[phase], text: `${PHASE_WORD[phase]}: ${what}` };
}

/**
 * The whole story of a remediation as of this event: the message of a webhook
 * post and the parent of a bot-mode thread (updated in place).
 *
 * @example buildMessage({ remediation, from: 'validating', to: 'succeeded', note }, { publicUrl: 'https://ar.example.com' })
 */
export function buildMessage(e: RemediationEvent, opts: MessageOptions = {}): SlackMessage {
  const rem = e.remediation;
  const d = rem.decision;
  const labels = alertLabels(rem, opts.alert);
  const h = headline(rem, e.to);
  const blocks: SlackBlock[] = [header(`${h.emoji} ${h.text}`)];

  const fields = [`*Phase*\n${PHASE_WORD[e.to]}`, `*Rule*\n${code(d.rule ?? 'none matched')}`, `*Target*\n${code(rem.targetKey ?? 'none')}`];
  if (d.action) fields.push(`*Action*\n${code(d.action)}`);
  if (labels.alertname) fields.push(`*Alert*\n${code(labels.alertname)}`);
  if (rem.origin !== 'alert') fields.push(`*Origin*\n${rem.origin}`);
  if (rem.dryRun) fields.push('*Dry run*\nyes: nothing was applied');
  blocks.push(fieldsSection(fields));

  const change = changeLines(rem);
  if (change) blocks.push(section(change));
  blocks.push(section(whyText(rem, labels, opts)));
  blocks.push(...resultBlocks(rem));
  blocks.push(...approvalBlocks(rem, e.to));
  if (e.to === 'failed') blocks.push(section(':warning: *Needs a person:* this remediation is over and will not be retried; check the target before acting by hand.'));
  if (e.from !== null) blocks.push(section(`*Latest:* ${code(`${e.from} → ${e.to}`)} ${escapeMrkdwn(e.note)}`));

  const links = linkLine(rem, opts);
  if (links) blocks.push(section(links));
  const ctx = [`remediation ${code(rem.id)} · created ${rem.createdAt.toISOString()} · updated ${rem.updatedAt.toISOString()}`];
  if (opts.continued) ctx.push('_Earlier steps were announced in another message: autoremediator restarted or forgot that thread._');
  blocks.push(context(ctx));

  return { text: truncate(`${h.emoji} ${h.text}: ${escapeMrkdwn(d.explanation)}`, LIMITS.text), blocks: blocks.slice(0, LIMITS.blocks) };
}

/** The action_id of the Approve and Deny buttons (the interactivity endpoint's vocabulary). */
export const APPROVE_ACTION = 'autoremediator_approve';
export const DENY_ACTION = 'autoremediator_deny';

/**
 * Who asked for approval and until when; while the run waits, the Approve and Deny buttons
 * (bot mode: the thread's first message, updated in place, so the buttons go once answered);
 * once answered, who answered.
 */
export function approvalBlocks(rem: Remediation, phase: Phase): SlackBlock[] {
  const a = approvalOf(rem);
  if (!a) return [];
  if (phase === 'awaiting_approval') {
    return [
      section(`:raising_hand: *Needs approval* (required by ${a.sources.map((x) => escapeMrkdwn(x)).join(', ')}) until ${escapeMrkdwn(a.deadline)}; unapproved by then it ends as \`approval-expired\`.`),
      actions(`approval:${rem.id}`, [button('Approve', APPROVE_ACTION, rem.id, 'primary'), button('Deny', DENY_ACTION, rem.id, 'danger')]),
    ];
  }
  if (!a.outcome) return [];
  const word = { approved: ':white_check_mark: *Approved*', denied: ':no_entry_sign: *Denied*', expired: ':alarm_clock: *Approval expired*', refused: ':warning: *Approved, but refused*' }[a.outcome];
  const by = a.by ? ` by ${escapeMrkdwn(a.by)}` : '';
  const why = a.reason ? ` ("${escapeMrkdwn(truncate(a.reason, MAX_ANNOTATION))}")` : '';
  return [section(`${word}${by}${a.at ? ` at ${escapeMrkdwn(a.at)}` : ''}${why}`)];
}

/** One transition, as a reply in the remediation's thread (bot mode). */
export function buildReply(e: RemediationEvent, opts: Pick<MessageOptions, 'publicUrl'> = {}): SlackMessage {
  const rem = e.remediation;
  const from = e.from ?? 'new';
  const emoji = headline(rem, e.to).emoji;
  const blocks: SlackBlock[] = [section(`${emoji} ${code(`${from} → ${e.to}`)}\n${escapeMrkdwn(e.note)}`)];
  const result = rem.result ?? {};
  if (e.to === 'validating' && result.apply !== undefined) blocks.push(...applyBlocks(result.apply));
  if (e.to === 'validating') {
    const base = baselineText(result.baseline);
    if (base) blocks.push(section(base));
  }
  if ((e.to === 'succeeded' || e.to === 'rolling_back') && result.validation !== undefined) blocks.push(...validationBlocks(result.validation));
  if (e.to === 'failed' || e.to === 'rolled_back') {
    if (isRecord(result.apply) && result.apply.ok === false) blocks.push(...applyBlocks(result.apply));
    if (result.rollback !== undefined) blocks.push(...rollbackBlocks(result.rollback));
  }
  if (e.to === 'failed') blocks.push(section(':warning: *Needs a person:* this remediation is over and will not be retried.'));
  if (opts.publicUrl) blocks.push(context([link(remediationUrl(opts.publicUrl, rem.id), 'Remediation record')]));
  return { text: truncate(`${emoji} ${from} → ${e.to}: ${escapeMrkdwn(e.note)}`, LIMITS.text), blocks };
}

/** The remediation's address in the API. */
export function remediationUrl(publicUrl: string, id: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/api/v1/remediations/${encodeURIComponent(id)}`;
}

/**
 * The alert labels a person needs, in a stable order: those the rule matches
 * on, those its target is filled from, then the usual ones (severity,
 * namespace …). `alertname` is shown on its own and left out here.
 */
export function labelsThatMatter(labels: LabelSet, rule?: RuleInfo | null): Array<[string, string]> {
  const names: string[] = [];
  const add = (n: string) => {
    if (n !== 'alertname' && labels[n] !== undefined && !names.includes(n)) names.push(n);
  };
  for (const m of rule?.matchers ?? []) {
    const name = /^\s*\{?\s*([a-zA-Z_][a-zA-Z0-9_]*)/.exec(m)?.[1];
    if (name) add(name);
  }
  for (const tpl of Object.values(rule?.target ?? {})) {
    for (const m of tpl.matchAll(/\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)/g)) add(m[1]!);
  }
  for (const n of USUAL_LABELS) add(n);
  if (names.length === 0) for (const n of Object.keys(labels).sort()) add(n);
  return names.slice(0, MAX_LABELS).map((n) => [n, labels[n]!]);
}

/** `replicas 3 → 5` for every field that changes (every field when none does). */
export function formatChange(before: StateFields | undefined, after: StateFields | undefined): string[] {
  const b = before ?? {};
  const a = after ?? {};
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
  const changed = keys.filter((k) => (b[k] ?? null) !== (a[k] ?? null));
  return (changed.length > 0 ? changed : keys).map((k) => `${k} ${fmtRaw(b[k])} → ${fmtRaw(a[k])}`);
}

function subject(rem: Remediation): string {
  const d = rem.decision;
  if (d.action && rem.targetKey) return `${d.action} ${rem.targetKey}`;
  if (rem.targetKey) return rem.targetKey;
  const alertname = (d.facts.labels as LabelSet | undefined)?.alertname;
  return d.rule ? `rule ${d.rule}` : `alert ${alertname ?? 'without a name'}`;
}

function changeLines(rem: Remediation): string | null {
  const d = rem.decision;
  const lines = formatChange(d.before, d.after);
  if (lines.length === 0) return null;
  const title = d.outcome === 'act' ? '*Change:*' : '*Would change (not applied):*';
  return `${title} ${lines.map((l) => escapeMrkdwn(l)).join(', ')}`;
}

function whyText(rem: Remediation, labels: LabelSet, opts: MessageOptions): string {
  const lines = [`*Why:* ${escapeMrkdwn(rem.decision.explanation)}`];
  const shown = labelsThatMatter(labels, opts.rule);
  if (labels.alertname || shown.length > 0) {
    const name = labels.alertname ? `${code(labels.alertname)} ` : '';
    lines.push(`*Alert:* ${name}${shown.map(([k, v]) => code(`${k}=${v}`)).join(' ')}`.trimEnd());
  }
  const ann = opts.alert?.annotations ?? {};
  const summary = ann.summary ?? ann.description ?? ann.message;
  if (summary) lines.push(`*Summary:* ${escapeMrkdwn(truncate(summary, MAX_ANNOTATION))}`);
  if (ann.value) lines.push(`*Value:* ${escapeMrkdwn(truncate(ann.value, MAX_ANNOTATION))}`);
  if (opts.rule) lines.push(`*Rule:* ${code(opts.rule.name)} matches ${opts.rule.matchers.map(code).join(', ')}`);
  return lines.join('\n');
}

/** Apply, baseline, validation and rollback, as far as the run has got. */
function resultBlocks(rem: Remediation): SlackBlock[] {
  const r = rem.result ?? {};
  const out: SlackBlock[] = [];
  if (r.apply !== undefined) out.push(...applyBlocks(r.apply));
  if (r.validation !== undefined) out.push(...validationBlocks(r.validation, r.baseline));
  else {
    const base = baselineText(r.baseline);
    if (base) out.push(section(base));
  }
  if (r.rollback !== undefined) out.push(...rollbackBlocks(r.rollback));
  return out;
}

function applyBlocks(apply: unknown): SlackBlock[] {
  if (!isRecord(apply)) return [];
  if (apply.ok === true) return [section(`*Applied:* ${escapeMrkdwn(str(apply.detail) || 'yes')}`)];
  return [section(`*Apply failed* (${escapeMrkdwn(str(apply.reason) || 'unknown')}): ${escapeMrkdwn(str(apply.detail))}`)];
}

function rollbackBlocks(rollback: unknown): SlackBlock[] {
  if (!isRecord(rollback)) return [];
  if (rollback.ok === true) return [section(`*Rollback:* restored the state before the action. ${escapeMrkdwn(str(rollback.detail))}`.trimEnd())];
  return [section(`*Rollback failed* (${escapeMrkdwn(str(rollback.reason) || 'unknown')}): ${escapeMrkdwn(str(rollback.detail))}`)];
}

/** The validation verdict, the rollout, and baseline → after per check. */
function validationBlocks(validation: unknown, baseline?: unknown): SlackBlock[] {
  if (!isRecord(validation)) return [];
  const lines = [`*Validation: ${escapeMrkdwn(str(validation.outcome) || 'unknown')}* ${escapeMrkdwn(str(validation.summary))}`.trimEnd()];
  if (isRecord(validation.rollout)) {
    lines.push(`• rollout: ${escapeMrkdwn(str(validation.rollout.state))} ${escapeMrkdwn(str(validation.rollout.message))}`.trimEnd());
  }
  const base = isRecord(baseline) ? baseline : {};
  if (isRecord(validation.checks)) {
    for (const [name, c] of Object.entries(validation.checks)) {
      if (!isRecord(c)) continue;
      const before = c.baseline !== undefined ? c.baseline : isRecord(base[name]) ? base[name].value : null;
      lines.push(`• ${code(name)}: baseline ${fmt(before)} → after ${fmt(c.after)} (${escapeMrkdwn(str(c.phase) || 'unknown')})`);
    }
  }
  return [section(lines.join('\n'))];
}

function baselineText(baseline: unknown): string | null {
  if (!isRecord(baseline)) return null;
  const parts = Object.entries(baseline).map(([name, b]) => {
    if (!isRecord(b)) return `${code(name)} ${fmt(null)}`;
    const err = b.value === null && b.error ? ` (${escapeMrkdwn(str(b.error))})` : '';
    return `${code(name)} ${fmt(b.value)}${err}`;
  });
  return parts.length > 0 ? `*Baseline (measured before the action):* ${parts.join(', ')}` : null;
}

function linkLine(rem: Remediation, opts: MessageOptions): string | null {
  const links: string[] = [];
  const gen = opts.alert?.generatorURL;
  if (gen && /^https?:\/\//i.test(gen)) links.push(link(gen, 'Alert source'));
  if (opts.publicUrl) links.push(link(remediationUrl(opts.publicUrl, rem.id), 'Remediation record'));
  return links.length > 0 ? `*Links:* ${links.join(' · ')}` : null;
}

/** The alert's labels: from the alert itself when known, else those the decision kept. */
function alertLabels(rem: Remediation, alert: AlertInfo | null | undefined): LabelSet {
  if (alert) return alert.labels;
  const facts = rem.decision.facts.labels;
  return isRecord(facts) ? (Object.fromEntries(Object.entries(facts).filter(([, v]) => typeof v === 'string')) as LabelSet) : {};
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

/** Numbers to four significant digits; null as n/a. */
function fmtRaw(v: unknown): string {
  if (v === null || v === undefined) return 'n/a';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
  return str(v);
}

function fmt(v: unknown): string {
  return escapeMrkdwn(fmtRaw(v));
}

/** An inline code span; a backtick inside would end it early. */
function code(s: string): string {
  return `\`${escapeMrkdwn(truncate(s, 200)).replace(/`/g, "'")}\``;
}
