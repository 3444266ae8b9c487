/** Render a rule's target and action templates for one alert. Pure. */
import type { LabelSet } from '../domain/alert.js';
import type { Rule } from './rule.js';
import type { TargetRef } from '../domain/target.js';
import { renderTarget, renderValue } from './templates.js';
import type { ActionSpec } from './schema.js';

export type RenderedRule =
  | { ok: true; target: TargetRef; action: ActionSpec }
  | { ok: false; reason: 'template-missing-label' | 'template-invalid-value'; message: string };

export function renderRule(rule: Rule, alert: { labels: LabelSet; annotations: LabelSet }): RenderedRule {
  const data = { labels: alert.labels, annotations: alert.annotations };
  const target = renderTarget(rule.target, data);
  if (!target.ok) return { ok: false, reason: target.reason, message: target.message };
  const action = rule.action;
  if (action.type === 'resources') {
    const c = renderValue(action.container, data, 'container');
    if (!c.ok) return { ok: false, reason: c.reason, message: `action.container: ${c.message}` };
    return { ok: true, target: target.value, action: { ...action, container: c.value } };
  }
  if (action.type === 'redis' && action.address !== undefined) {
    const a = renderValue(action.address, data, 'redis-address');
    if (!a.ok) return { ok: false, reason: a.reason, message: `action.address: ${a.message}` };
    return { ok: true, target: target.value, action: { ...action, address: a.value } };
  }
  return { ok: true, target: target.value, action };
}
