/**
 * The subset of Slack Block Kit the notifier sends, and the text helpers that keep
 * every dynamic string inside Slack's limits and free of mrkdwn control sequences.
 */
import type { ActionsBlock, Button } from '@slack/types';

export interface PlainText {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
}

export interface Mrkdwn {
  type: 'mrkdwn';
  text: string;
}

export type TextObject = PlainText | Mrkdwn;

export type SlackBlock =
  | { type: 'header'; text: PlainText }
  | { type: 'section'; text: Mrkdwn; fields?: Mrkdwn[] }
  | { type: 'section'; fields: Mrkdwn[] }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'divider' }
  | ActionsBlock;

/** What is posted: Block Kit blocks plus the plain `text` Slack shows in notifications and where blocks cannot be rendered. */
export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

/** Slack's limits (api.slack.com/reference/block-kit/blocks). */
export const LIMITS = { header: 150, sectionText: 3000, field: 2000, fields: 10, contextElements: 10, blocks: 50, text: 4000 } as const;

/**
 * Escape the three characters Slack treats as control sequences, so that alert
 * labels or annotations cannot ping `<!channel>` or forge a link.
 */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cut to `max` characters, marking the cut. */
export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 1))}…`;
}

/** A `<url|label>` link; characters that would end the link early are percent-encoded. */
export function link(url: string, label: string): string {
  const safe = url.replace(/[<>| ]/g, (c) => encodeURIComponent(c));
  return `<${safe}|${escapeMrkdwn(label)}>`;
}

export function mrkdwn(text: string, max: number = LIMITS.sectionText): Mrkdwn {
  return { type: 'mrkdwn', text: truncate(text, max) };
}

export function header(text: string): SlackBlock {
  return { type: 'header', text: { type: 'plain_text', text: truncate(text, LIMITS.header), emoji: true } };
}

export function section(text: string): SlackBlock {
  return { type: 'section', text: mrkdwn(text) };
}

export function fieldsSection(fields: readonly string[]): SlackBlock {
  return { type: 'section', fields: fields.slice(0, LIMITS.fields).map((f) => mrkdwn(f, LIMITS.field)) };
}

export function context(texts: readonly string[]): SlackBlock {
  return { type: 'context', elements: texts.slice(0, LIMITS.contextElements).map((t) => mrkdwn(t)) };
}

/** Slack's limits on a button (api.slack.com/reference/block-kit/block-elements#button). */
const BUTTON = { text: 75, actionId: 255, value: 2000 } as const;

/** A button of an actions block: its `action_id` tells the interactivity endpoint what was clicked, `value` which run. */
export function button(text: string, actionId: string, value: string, style?: 'primary' | 'danger'): Button {
  return { type: 'button', text: { type: 'plain_text', text: truncate(text, BUTTON.text), emoji: true }, action_id: truncate(actionId, BUTTON.actionId), value: truncate(value, BUTTON.value), ...(style ? { style } : {}) };
}

export function actions(blockId: string, elements: Button[]): SlackBlock {
  return { type: 'actions', block_id: blockId, elements };
}
