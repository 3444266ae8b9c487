/**
 * The status page's HTML, rendered on the server. Every value is escaped; chart data goes
 * into <script type="application/json"> blocks (never executed) that status.js draws with
 * uPlot. A view is a `head` (title, forms: not refreshed) and a `live` part (refreshed
 * without reloading: status.js polls it with If-None-Match). Nothing here reads the clock:
 * the same data renders the same bytes, so an unchanged view answers 304.
 */
import type { Pause } from '../../control/pause.js';
import type { StoredAlert } from '../../domain/alert.js';
import { SKIP_REASONS, type StateFields } from '../../domain/decision.js';
import type { Remediation } from '../../domain/remediation.js';
import type { Rule, RuleTable } from '../../rule-table/rule.js';
import type { ReloadStatus } from '../../rule-table/watcher.js';
import type { Breaker } from '../../store/store.js';
import type { AlertSpan, CheckSeries, DecisionFilter, DecisionRow, PhaseSpan, RuleMatch } from './model.js';
import type { Reading } from './sampler.js';

export function esc(v: string | number | boolean | null | undefined): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON inside <script type="application/json">: no `<` can end the element. */
function jsonBlock(kind: string, data: unknown): string {
  return `<script type="application/json" data-chart="${esc(kind)}">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>`;
}

/** A link from an alert (generatorURL, runbook_url) only when it is http(s): a `javascript:` URL from a webhook body never becomes a link. */
export function safeUrl(u: string | undefined | null): string | null {
  return typeof u === 'string' && /^https?:\/\//i.test(u) ? u : null;
}

export function time(ms: number | string | Date | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return '—';
  const iso = d.toISOString();
  return `<time datetime="${iso}">${iso.slice(0, 10)} ${iso.slice(11, 19)}Z</time>`;
}

function n(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return Math.abs(v) >= 1000 || Number.isInteger(v) ? String(Math.round(v * 100) / 100) : String(Number(v.toPrecision(3)));
}

export function targetHref(key: string): string {
  return `/targets/${key.split('/').map(encodeURIComponent).join('/')}`;
}

function phaseBadge(phase: string): string {
  return `<span class="badge phase-${esc(phase)}">${esc(phase)}</span>`;
}

function reasonBadge(reason: string): string {
  return `<span class="badge ${reason === 'act' ? 'act' : 'skip'}">${esc(reason)}</span>`;
}

const NAV = [
  ['targets', '/', 'Targets'],
  ['decisions', '/decisions', 'Decisions'],
  ['rules', '/rules', 'Rules'],
] as const;

export interface PageOptions {
  title: string;
  nav: 'targets' | 'decisions' | 'rules' | null;
  csrf: string | null;
  /** false when there is nothing to log out of (a bearer header, or no auth at all) */
  session: boolean;
  pollMs: number;
}

export function page(o: PageOptions, head: string, live: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(o.title)} · autoremediator</title>
${o.csrf ? `<meta name="csrf-token" content="${esc(o.csrf)}">` : ''}
<link rel="stylesheet" href="/status/assets/uPlot.min.css"><link rel="stylesheet" href="/status/assets/status.css">
<script src="/status/assets/uPlot.iife.min.js" defer></script><script src="/status/assets/status.js" defer></script>
</head><body>
<nav><a class="brand" href="/">autoremediator</a>${NAV.map(([k, href, label]) => `<a href="${href}"${o.nav === k ? ' class="active"' : ''}>${label}</a>`).join('')}
<span class="spacer"></span><span id="live-state" class="muted"></span>
${o.session ? `<form method="post" action="/status/logout"><input type="hidden" name="csrf" value="${esc(o.csrf ?? '')}"><button type="submit">Log out</button></form>` : ''}
</nav>
<main><h1>${esc(o.title)}</h1>${head}
<div id="live" data-poll-ms="${o.pollMs}">${live}</div></main>
</body></html>`;
}

export function loginPage(message: string | null): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log in · autoremediator</title><link rel="stylesheet" href="/status/assets/status.css"></head>
<body class="login"><form method="post" action="/status/login" class="login-box">
<h1>autoremediator</h1>
<p class="muted">The status page takes the admin token (<code>ADMIN_TOKEN</code>). The webhook token cannot read it.</p>
${message ? `<p class="error" role="alert">${esc(message)}</p>` : ''}
<label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Log in</button>
</form></body></html>`;
}

// ---------------------------------------------------------------------------------------
// Targets

export interface TargetRow {
  key: string;
  reading: Reading | null;
  breaker: Breaker | null;
  pauses: Pause[];
  lastRun: Remediation | null;
  lastDecision: Remediation;
}

function resources(r: Reading): string {
  if (!r.containers.length) return '—';
  return r.containers
    .map((c) => {
      const q = (k: string) => `${c.requests[k] ?? '—'}/${c.limits[k] ?? '—'}`;
      return `<div><b>${esc(c.name)}</b> cpu ${esc(q('cpu'))} · mem ${esc(q('memory'))}</div>`;
    })
    .join('');
}

function breakerCell(key: string, b: Breaker | null): string {
  if (!b?.open) return '<span class="muted">closed</span>';
  return `<span class="badge phase-failed">open</span> <span class="small">${esc(b.reason)} (${time(b.openedAt)})</span>
<button class="danger" data-action="reset-breaker" data-target="${esc(key)}">Reset breaker</button>`;
}

function pauseCell(p: Pause[]): string {
  if (!p.length) return '<span class="muted">—</span>';
  return p.map((x) => `<div><span class="badge skip">paused</span> ${esc(x.scopeKey)} by ${esc(x.actor)}: ${esc(x.reason)}${x.expiresAt ? ` until ${time(x.expiresAt)}` : ''}</div>`).join('');
}

export function targetsLive(rows: readonly TargetRow[], sampleEveryMs: number): string {
  if (!rows.length) return '<p class="empty">No target was decided about recently. Decisions appear here as alerts arrive.</p>';
  return `<table class="targets"><thead><tr><th>Target</th><th>Replicas ready/desired</th><th>HPA min..max (current)</th><th>Requests/limits</th><th>Breaker</th><th>Pause</th><th>Last run</th><th>Last decision</th></tr></thead><tbody>
${rows
  .map((t) => {
    const r = t.reading;
    const state = !r
      ? '<td colspan="3" class="muted">not read yet</td>'
      : r.error
        ? `<td colspan="3" class="error">${esc(r.found ? 'cannot be read' : 'not found')}: ${esc(r.error)}</td>`
        : `<td class="num">${n(r.ready)}/${n(r.desired)}</td><td class="num">${r.hpa ? `${r.hpa.min}..${r.hpa.max} (${n(r.hpa.current)})` : '<span class="muted">no HPA</span>'}</td><td class="small">${resources(r)}</td>`;
    const run = t.lastRun ? `<a href="/remediations/${esc(t.lastRun.id)}">${phaseBadge(t.lastRun.phase)}</a> ${esc(t.lastRun.rule ?? '')} <span class="small">${time(t.lastRun.updatedAt)}</span>` : '<span class="muted">none</span>';
    const d = t.lastDecision;
    return `<tr data-target="${esc(t.key)}"><td><a class="target" href="${targetHref(t.key)}">${esc(t.key)}</a>${r ? `<div class="small muted">read ${time(r.at)}</div>` : ''}</td>${state}
<td>${breakerCell(t.key, t.breaker)}</td><td>${pauseCell(t.pauses)}</td><td>${run}</td><td><a href="/remediations/${esc(d.id)}">${reasonBadge(d.decision.outcome === 'skip' ? d.decision.reason : 'act')}</a> <span class="small">${time(d.createdAt)}</span></td></tr>`;
  })
  .join('\n')}
</tbody></table><p class="small muted">Current state read from the cluster every ${n(sampleEveryMs / 1000)} s (STATUS_SAMPLE_INTERVAL).</p>`;
}

// ---------------------------------------------------------------------------------------
// Target timeline

export interface TimelineData {
  key: string;
  readings: readonly Reading[];
  spans: AlertSpan[];
  runs: Array<{ rem: Remediation; phases: PhaseSpan[] }>;
  decisions: Remediation[];
  checks: Array<{ rem: Remediation; series: CheckSeries[] }>;
  breaker: Breaker | null;
}

function checkCharts(id: string, series: readonly CheckSeries[]): string {
  if (!series.length) return '<p class="muted small">No validation checks measured.</p>';
  return `<div class="checks">${series
    .map(
      (c) => `<figure class="check"><figcaption><b>${esc(c.name)}</b> ${c.phase ? phaseBadge(c.phase) : ''}<br><span class="small">baseline ${n(c.baseline)} → measured ${n(c.after)}; threshold ${esc(c.threshold?.text ?? 'none')}${c.threshold ? ` (${n(c.threshold.value)})` : ''}</span></figcaption>
<div class="chart small-chart" data-chart-ref="check-${esc(id)}-${esc(c.name)}"></div>${jsonBlock(`check-${id}-${c.name}`, c)}</figure>`,
    )
    .join('')}</div>`;
}

export function timelineLive(d: TimelineData): string {
  const events: Array<{ at: number; lane: string; html: string }> = [];
  for (const s of d.spans) {
    const source = safeUrl(s.generatorURL);
    events.push({ at: s.start, lane: 'alert', html: `<span class="badge alert">firing</span> ${esc(s.alertname)} ${esc(s.subject)}${source ? ` <a href="${esc(source)}" rel="noopener noreferrer" target="_blank">source</a>` : ''}` });
    if (s.end !== null) events.push({ at: s.end, lane: 'alert', html: `<span class="badge resolved">resolved</span> ${esc(s.alertname)} ${esc(s.subject)}` });
  }
  for (const r of d.decisions) {
    const reason = r.decision.outcome === 'skip' ? r.decision.reason : `act${r.origin === 'restore' ? ' (restore)' : ''}`;
    events.push({ at: new Date(r.createdAt).getTime(), lane: 'decision', html: `${reasonBadge(reason)} <a href="/remediations/${esc(r.id)}">${esc(r.rule ?? 'no rule')}</a> ${esc(r.decision.explanation)}` });
  }
  for (const { rem, phases } of d.runs) {
    for (const p of phases.slice(1)) events.push({ at: p.start, lane: 'run', html: `<a href="/remediations/${esc(rem.id)}">#${esc(rem.id.slice(-6))}</a> ${phaseBadge(p.phase)} ${esc(p.note)}` });
  }
  events.sort((a, b) => a.at - b.at);
  const chart = {
    readings: d.readings.map((r) => ({ at: r.at, desired: r.desired, ready: r.ready, min: r.hpa?.min ?? null, max: r.hpa?.max ?? null })),
    spans: d.spans.map((s) => ({ start: s.start, end: s.end, label: `${s.alertname} ${s.subject}` })),
    runs: d.runs.map(({ rem, phases }) => ({ id: rem.id, phases: phases.map((p) => ({ phase: p.phase, start: p.start, end: p.end })) })),
    decisions: d.decisions.map((r) => ({ at: new Date(r.createdAt).getTime(), act: r.decision.outcome === 'act', reason: r.decision.outcome === 'skip' ? r.decision.reason : 'act' })),
  };
  const last = d.readings[d.readings.length - 1];
  return `<section class="now">${last && !last.error ? `Now: <b>${n(last.ready)}/${n(last.desired)}</b> ready${last.hpa ? `, HPA <b>${last.hpa.min}..${last.hpa.max}</b>` : ''} <span class="small">(${time(last.at)})</span>` : '<span class="muted">No reading of the cluster yet.</span>'}
${d.breaker?.open ? ` · ${breakerCell(d.key, d.breaker)}` : ''}</section>
<figure class="timeline"><div class="chart" data-chart-ref="timeline"></div>${jsonBlock('timeline', chart)}
<figcaption class="legend"><span class="k desired">desired replicas</span><span class="k ready">ready replicas</span><span class="k hpa">HPA min / max</span><span class="k alert">alert firing</span><span class="k act">decision: act</span><span class="k skip">decision: skip</span><span class="k run">run phases (applying, validating, …)</span></figcaption></figure>
${d.checks.map(({ rem, series }) => `<section><h2>Validation of <a href="/remediations/${esc(rem.id)}">#${esc(rem.id.slice(-6))}</a> ${phaseBadge(rem.phase)}</h2>${checkCharts(rem.id, series)}</section>`).join('')}
<h2>Events</h2>
${events.length ? `<table class="events"><thead><tr><th>Time</th><th>Lane</th><th>What</th></tr></thead><tbody>${events.map((e) => `<tr class="lane-${e.lane}"><td>${time(e.at)}</td><td>${e.lane}</td><td>${e.html}</td></tr>`).join('')}</tbody></table>` : '<p class="empty">Nothing recorded for this target.</p>'}`;
}

// ---------------------------------------------------------------------------------------
// Remediation

export interface RemediationData {
  rem: Remediation;
  alert: StoredAlert | null;
  rule: Rule | null;
  breaker: Breaker | null;
  series: CheckSeries[];
}

function fieldsTable(before: StateFields | undefined, after: StateFields | undefined): string {
  const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])];
  if (!keys.length) return '<p class="muted">No change computed.</p>';
  return `<table class="compact"><thead><tr><th>Field</th><th>Before</th><th></th><th>After</th></tr></thead><tbody>${keys
    .map((k) => `<tr><td>${esc(k)}</td><td class="num">${esc(before?.[k] ?? '—')}</td><td>→</td><td class="num"><b>${esc(after?.[k] ?? '—')}</b></td></tr>`)
    .join('')}</tbody></table>`;
}

export function remediationHead(rem: Remediation): string {
  return `<p class="actions-static"><button data-action="replay" data-alert-id="${esc(rem.alertId ?? '')}"${rem.alertId ? '' : ' disabled title="no stored alert: restore or manual run"'}>Preview replay with today's rules</button></p>
<div id="replay-result" class="replay" aria-live="polite"></div>`;
}

export function remediationLive(d: RemediationData): string {
  const { rem, alert } = d;
  const dec = rem.decision;
  const buttons: string[] = [];
  if (rem.phase === 'succeeded' && dec.outcome === 'act') buttons.push(`<button class="danger" data-action="rollback" data-id="${esc(rem.id)}">Roll back</button>`);
  if (d.breaker?.open && rem.targetKey) buttons.push(`<button class="danger" data-action="reset-breaker" data-target="${esc(rem.targetKey)}">Reset breaker of ${esc(rem.targetKey)}</button>`);
  if (rem.phase === 'awaiting_approval') {
    buttons.push(`<span class="approval"><input type="text" name="reason" placeholder="reason (optional)" maxlength="500" data-reason-for="${esc(rem.id)}">
<button class="primary" data-action="approve" data-id="${esc(rem.id)}">Approve</button><button class="danger" data-action="deny" data-id="${esc(rem.id)}">Deny</button></span>`);
  }
  const validation = rem.result?.validation as { outcome?: string; summary?: string } | undefined;
  return `<section class="summary">${phaseBadge(rem.phase)} ${reasonBadge(dec.outcome === 'skip' ? dec.reason : 'act')}
${rem.dryRun ? '<span class="badge skip">dry-run</span>' : ''} origin <b>${esc(rem.origin)}</b> · rule <b>${esc(rem.rule ?? 'none')}</b> · action <b>${esc(dec.action ?? '—')}</b>
${rem.targetKey ? ` · target <a href="${targetHref(rem.targetKey)}">${esc(rem.targetKey)}</a>` : ''} · decided ${time(rem.createdAt)}</section>
<p class="explanation">${esc(dec.explanation)}</p>
${buttons.length ? `<div class="buttons">${buttons.join(' ')}</div>` : ''}
<div class="grid2"><section><h2>Before → after</h2>${fieldsTable(dec.before, dec.after)}</section>
<section><h2>Alert</h2>${
    alert
      ? `<p>${alert.status === 'firing' ? '<span class="badge alert">firing</span>' : '<span class="badge resolved">resolved</span>'} <b>${esc(alert.labels.alertname ?? '')}</b> since ${time(alert.startsAt)}</p>
<p>${esc(alert.annotations.summary ?? alert.annotations.description ?? '')}</p>
<p>${safeUrl(alert.generatorURL) ? `<a class="generator" href="${esc(alert.generatorURL)}" rel="noopener noreferrer" target="_blank">Open the alert's expression (generatorURL)</a>` : ''}${safeUrl(alert.annotations.runbook_url) ? ` · <a href="${esc(alert.annotations.runbook_url)}" rel="noopener noreferrer" target="_blank">runbook</a>` : ''}</p>
<p class="small">${Object.entries(alert.labels)
          .map(([k, v]) => `<code>${esc(k)}=${esc(v)}</code>`)
          .join(' ')}</p>`
      : '<p class="muted">No stored alert (a restore step, a replay or a manual run).</p>'
  }</section></div>
<section><h2>Validation: baseline vs measured</h2>${validation?.summary ? `<p>${esc(validation.outcome ?? '')}: ${esc(validation.summary)}</p>` : ''}
${d.series.length ? `<table class="compact"><thead><tr><th>Check</th><th>Baseline</th><th>Measured</th><th>Threshold</th><th>Phase</th></tr></thead><tbody>${d.series.map((c) => `<tr><td>${esc(c.name)}</td><td class="num">${n(c.baseline)}</td><td class="num">${n(c.after)}</td><td>${esc(c.threshold?.text ?? '—')}${c.threshold ? ` (${n(c.threshold.value)})` : ''}</td><td>${c.phase ? phaseBadge(c.phase) : '—'}</td></tr>`).join('')}</tbody></table>` : ''}
${checkCharts(rem.id, d.series)}</section>
<section><h2>Transitions</h2><table class="compact"><thead><tr><th>Time</th><th>From</th><th>To</th><th>Note</th></tr></thead><tbody>${rem.transitions
    .map((t) => `<tr><td>${time(t.at)}</td><td>${t.from ? phaseBadge(t.from) : '—'}</td><td>${phaseBadge(t.to)}</td><td>${esc(t.note)}</td></tr>`)
    .join('')}</tbody></table></section>
<details><summary>Facts the decision used</summary><pre>${esc(JSON.stringify(dec.facts, null, 2))}</pre></details>`;
}

// ---------------------------------------------------------------------------------------
// Decisions

export function decisionsHead(f: DecisionFilter, scanned: number): string {
  const v = (x: string | undefined) => esc(x ?? '');
  const dt = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString().slice(0, 16));
  const reasons = ['act', ...SKIP_REASONS];
  return `<form class="search" method="get" action="/decisions">
<label>Alert <input name="alertname" value="${v(f.alertname)}" placeholder="HighPodCPU"></label>
<label>Rule <input name="rule" value="${v(f.rule)}"></label>
<label>Reason <select name="reason"><option value="">any</option>${reasons.map((r) => `<option${f.reason === r ? ' selected' : ''}>${esc(r)}</option>`).join('')}</select></label>
<label>Target <input name="target" value="${v(f.target)}" placeholder="ci/deployment/…"></label>
<label>Since (UTC) <input type="datetime-local" name="since" value="${dt(f.since)}"></label>
<label>Until (UTC) <input type="datetime-local" name="until" value="${dt(f.until)}"></label>
<label>Text <input name="q" value="${v(f.q)}" placeholder="words of the explanation"></label>
<button type="submit">Search</button> <a href="/decisions">clear</a></form>
<p class="small muted">Searches the newest ${scanned} decisions.</p>`;
}

export function decisionsLive(f: DecisionFilter, rows: readonly DecisionRow[], counts: ReadonlyArray<{ reason: string; count: number }>, shown: number): string {
  const params = (reason: string) => {
    const q = new URLSearchParams();
    for (const k of ['alertname', 'rule', 'target', 'q'] as const) if (f[k]) q.set(k, f[k]);
    if (f.since !== undefined) q.set('since', new Date(f.since).toISOString().slice(0, 16));
    if (f.until !== undefined) q.set('until', new Date(f.until).toISOString().slice(0, 16));
    q.set('reason', reason);
    return `/decisions?${q.toString()}`;
  };
  return `<section class="counts"><h2>By reason</h2>${counts.length ? counts.map((c) => `<a class="count${f.reason === c.reason ? ' active' : ''}" href="${esc(params(c.reason))}">${reasonBadge(c.reason)} <b>${c.count}</b></a>`).join(' ') : '<span class="muted">none</span>'}</section>
<p class="small">${rows.length} decision${rows.length === 1 ? '' : 's'}${rows.length > shown ? `, the newest ${shown} shown` : ''}</p>
<table class="decisions"><thead><tr><th>Time</th><th>Alert</th><th>Rule</th><th>Reason</th><th>Target</th><th>Phase</th><th>Why</th></tr></thead><tbody>
${rows
  .slice(0, shown)
  .map(
    (r) => `<tr><td><a href="/remediations/${esc(r.id)}">${time(r.at)}</a></td><td>${esc(r.alertname ?? '—')}</td><td>${esc(r.rule ?? '—')}</td><td>${reasonBadge(r.reason)}${r.origin !== 'alert' ? ` <span class="small">${esc(r.origin)}</span>` : ''}</td>
<td>${r.targetKey ? `<a href="${targetHref(r.targetKey)}">${esc(r.targetKey)}</a>` : '—'}</td><td>${phaseBadge(r.phase)}</td><td class="why">${esc(r.explanation)}</td></tr>`,
  )
  .join('\n')}
</tbody></table>`;
}

// ---------------------------------------------------------------------------------------
// Rules

export function rulesLive(table: RuleTable, status: ReloadStatus, matches: ReadonlyMap<string, RuleMatch[]>): string {
  return `<section class="summary">Version <code>${esc(table.version.slice(0, 12))}</code> loaded ${time(table.loadedAt)} from ${table.files.map((f) => `<code>${esc(f)}</code>`).join(', ')}.
Last reload ${time(status.lastAttemptAt)}: ${status.ok ? '<span class="badge act">ok</span>' : '<span class="badge phase-failed">failed</span> (the table above keeps serving)'}
${status.errors.length ? `<ul class="error">${status.errors.map((e) => `<li>${esc(typeof e === 'string' ? e : JSON.stringify(e))}</li>`).join('')}</ul>` : ''}</section>
<table class="rules"><thead><tr><th>#</th><th>Rule</th><th>Matchers</th><th>Target</th><th>Action</th><th>State</th><th>Matched recently</th></tr></thead><tbody>
${table.rules
  .map((r, i) => {
    const m = matches.get(r.name) ?? [];
    const tgt = r.target as { kind?: string; namespace?: string; name?: string; from?: string };
    return `<tr><td>${i + 1}</td><td><b>${esc(r.name)}</b><div class="small muted">${esc(r.description ?? '')}</div></td><td>${r.matchers.map((x) => `<code>${esc(x)}</code>`).join('<br>')}</td>
<td class="small">${esc(`${tgt.namespace ?? ''}/${tgt.kind ?? ''}/${tgt.name ?? ''}`)}${tgt.from ? ` (from ${esc(tgt.from)})` : ''}</td><td>${esc(r.action.type)}</td>
<td>${r.enabled ? '<span class="badge act">enabled</span>' : '<span class="badge skip">disabled</span>'}${r.dryRun ? ' <span class="badge skip">dry-run</span>' : ''}</td>
<td>${m.length ? m.map((x) => `<div><a href="/decisions?rule=${encodeURIComponent(r.name)}&amp;alertname=${encodeURIComponent(x.alertname)}">${esc(x.alertname)}</a> ×${x.count} (acted ${x.acted}) <span class="small">last ${time(x.last)}</span></div>`).join('') : '<span class="muted">none</span>'}</td></tr>`;
  })
  .join('\n')}
</tbody></table>`;
}
