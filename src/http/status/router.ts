/**
 * The status page at `/`: server-rendered views (targets, target timeline, remediation,
 * decisions, rules), login/logout, and the static assets (uPlot, status.js, status.css).
 *
 * Live updates: status.js asks for the `live` part of the view it shows (header
 * X-Status-Fragment: live) with If-None-Match every STATUS_POLL_MS, and only while the tab
 * is visible. Each view is computed at most once per second whatever the number of clients
 * (a shared cache of at most 200 views, one computation in flight per view); an unchanged
 * view answers 304 with no body.
 */
import { createHash } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import type { Remediation } from '../../domain/remediation.js';
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import type { RuleTable } from '../../rule-table/rule.js';
import type { ReloadStatus } from '../../rule-table/watcher.js';
import type { Store } from '../../store/store.js';
import type { StoredAlert } from '../../domain/alert.js';
import { safeEqual } from '../auth.js';
import { HttpError } from '../errors.js';
import { adminVerdict, type AdminGate } from './admin-auth.js';
import { readAsset } from './assets.js';
import { alertSpans, checkSeries, decisionRow, pausesFor, phaseSpans, ruleMatches, searchDecisions, type DecisionFilter, type DecisionRow } from './model.js';
import * as view from './render.js';
import type { TargetSampler } from './sampler.js';
import { readCookie, SESSION_COOKIE, SESSION_TTL_MS, sessionCookie } from './session.js';

export interface StatusDeps {
  store: Store;
  rules: { current(): RuleTable; status(): ReloadStatus };
  clock: Clock;
  logger: Logger;
  sampler: TargetSampler | null;
  gate: AdminGate;
  adminToken: string | null;
  /** Mark the cookie Secure (PUBLIC_URL is https, or the request came over TLS). */
  secureCookies: boolean;
  pollMs: number;
  sampleEveryMs: number;
  /** Shared with the app, which empties it after each change made through the API. */
  views: ViewCache;
}

/** The rendered views, each kept for a second; emptied after a change made through the API (a reset shows at once). */
export class ViewCache {
  readonly entries = new Map<string, { at: number; value: Promise<Rendered> }>();
  clear(): void {
    this.entries.clear();
  }
}

interface Rendered {
  title: string;
  nav: view.PageOptions['nav'];
  head: string;
  live: string;
  etag: string;
}

const VIEW_TTL_MS = 1000;
const MAX_VIEWS = 200;
const SCAN = 2000;
const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

export function statusRouter(deps: StatusDeps): Router {
  const { store, clock } = deps;
  const router = express.Router();
  const cache = deps.views.entries;

  router.get('/status/assets/:file', (req, res, next) => {
    const asset = readAsset(String(req.params.file));
    if (!asset) {
      next(new HttpError(404, 'not-found', `no status page asset ${String(req.params.file)}`));
      return;
    }
    res.set({ 'Content-Type': asset.type, 'Cache-Control': 'public, max-age=300', ETag: asset.etag, 'X-Content-Type-Options': 'nosniff' });
    if (req.headers['if-none-match'] === asset.etag) res.status(304).end();
    else res.send(asset.body);
  });

  router.get('/favicon.ico', (_req, res) => {
    res.status(204).end();
  });

  const form = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 5 });

  router.post('/status/login', form, (req, res) => {
    const token = typeof (req.body as { token?: unknown } | undefined)?.token === 'string' ? (req.body as { token: string }).token : '';
    res.set(SECURITY_HEADERS);
    if (!deps.adminToken || !deps.gate.sessions) {
      res.status(400).type('html').send(view.loginPage('This service has no ADMIN_TOKEN: there is nothing to log in with (INSECURE_NO_AUTH leaves the page open).'));
      return;
    }
    if (!token || !safeEqual(token, deps.adminToken)) {
      deps.logger.warn({ ip: req.ip }, 'status page: login with a wrong token');
      res.status(401).type('html').send(view.loginPage('That is not the admin token.'));
      return;
    }
    const s = deps.gate.sessions.issue(clock.now().getTime());
    res.set('Set-Cookie', sessionCookie(s.value, { maxAgeSeconds: Math.floor(SESSION_TTL_MS / 1000), secure: deps.secureCookies || req.secure }));
    res.redirect(303, '/');
  });

  router.post('/status/logout', form, (req, res) => {
    const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
    const csrf = (req.body as { csrf?: unknown } | undefined)?.csrf;
    const s = cookie && deps.gate.sessions ? deps.gate.sessions.check(cookie, clock.now().getTime()) : null;
    if (s?.ok) {
      if (typeof csrf !== 'string' || !safeEqual(csrf, s.csrf)) {
        res.set(SECURITY_HEADERS).status(403).type('text').send('logout needs the session’s CSRF token');
        return;
      }
      deps.gate.sessions!.revoke(s.nonce, s.expiresAt, clock.now().getTime());
    }
    res.set('Set-Cookie', sessionCookie('', { maxAgeSeconds: 0, secure: deps.secureCookies || req.secure }));
    res.redirect(303, '/');
  });

  /** Render through the shared cache: at most one computation per view per second. */
  function cached(key: string, make: () => Promise<Omit<Rendered, 'etag'>>): Promise<Rendered> {
    const now = Date.now();
    const hit = cache.get(key);
    if (hit && now - hit.at < VIEW_TTL_MS) return hit.value;
    const value = make().then((r) => ({ ...r, etag: `"${createHash('sha256').update(r.head).update('\0').update(r.live).digest('base64url').slice(0, 27)}"` }));
    value.catch(() => cache.delete(key));
    cache.delete(key);
    cache.set(key, { at: now, value });
    while (cache.size > MAX_VIEWS) cache.delete(cache.keys().next().value!);
    return value;
  }

  function serve(key: (req: Request) => string, make: (req: Request) => Promise<Omit<Rendered, 'etag'>>) {
    return (req: Request, res: Response, next: (err?: unknown) => void): void => {
      res.set(SECURITY_HEADERS);
      res.vary('X-Status-Fragment');
      const v = adminVerdict(deps.gate, req);
      if (!v.ok) {
        res.status(v.status).set('WWW-Authenticate', 'Bearer realm="autoremediator admin"');
        if (req.headers['x-status-fragment']) res.type('text').send('log in again');
        else res.type('html').send(view.loginPage(req.headers.authorization ? 'The credential sent is not the admin token.' : null));
        return;
      }
      cached(key(req), () => make(req))
        .then((r) => {
          res.set('ETag', r.etag);
          if (req.headers['x-status-fragment'] === 'live') {
            if (req.headers['if-none-match'] === r.etag) res.status(304).end();
            else res.type('html').send(r.live);
            return;
          }
          const session = v.session;
          res.type('html').send(view.page({ title: r.title, nav: r.nav, csrf: session?.csrf ?? null, session: session !== null, pollMs: deps.pollMs }, r.head, r.live));
        })
        .catch(next);
    };
  }

  async function recent(limit: number): Promise<Remediation[]> {
    const out: Remediation[] = [];
    let cursor: string | null = null;
    while (out.length < limit) {
      const page = await store.listRemediations({ limit: Math.min(500, limit - out.length), cursor });
      out.push(...page.items);
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    return out;
  }

  /** The alerts behind these decisions: recent pages first, then the few still missing one by one. */
  async function alertsOf(rems: readonly Remediation[]): Promise<Map<string, StoredAlert>> {
    const byId = new Map<string, StoredAlert>();
    const wanted = new Set(rems.map((r) => r.alertId).filter((x): x is string => x !== null));
    let cursor: string | null = null;
    for (let i = 0; i < 4 && wanted.size > byId.size; i++) {
      const page = await store.listAlerts({ limit: 500, cursor, duplicate: false });
      for (const a of page.items) if (wanted.has(a.id)) byId.set(a.id, a);
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    let fetched = 0;
    for (const id of wanted) {
      if (byId.has(id) || fetched >= 100) continue;
      fetched++;
      const a = await store.getAlert(id);
      if (a) byId.set(id, a);
    }
    return byId;
  }

  async function decisionRows(): Promise<DecisionRow[]> {
    const rems = await recent(SCAN);
    const alerts = await alertsOf(rems);
    return rems.map((r) => decisionRow(r, alerts));
  }

  // --- Targets -----------------------------------------------------------------------
  router.get(
    '/',
    serve(
      () => 'targets',
      async () => {
        const rems = await recent(500);
        const byTarget = new Map<string, { last: Remediation; run: Remediation | null; rules: Set<string> }>();
        for (const r of rems) {
          if (!r.targetKey) continue;
          const t = byTarget.get(r.targetKey) ?? (byTarget.size < 50 ? { last: r, run: null, rules: new Set<string>() } : null);
          if (!t) continue;
          if (!t.run && r.decision.outcome === 'act') t.run = r;
          if (r.rule) t.rules.add(r.rule);
          byTarget.set(r.targetKey, t);
        }
        const breakers = new Map((await store.listBreakers()).map((b) => [b.targetKey, b]));
        const pauses = await store.listActivePauses(clock.now());
        const rows: view.TargetRow[] = [];
        let readNow = 0;
        for (const [key, t] of byTarget) {
          let reading = deps.sampler?.latest(key) ?? null;
          if (!reading && deps.sampler && t.last.target && readNow < 5) {
            readNow++;
            reading = await deps.sampler.read(t.last.target);
          }
          rows.push({ key, reading, breaker: breakers.get(key) ?? null, pauses: pausesFor({ key, namespace: t.last.namespace ?? '' }, [...t.rules], pauses), lastRun: t.run, lastDecision: t.last });
        }
        return { title: 'Targets', nav: 'targets', head: '<p class="muted">Every target decided about recently (act or skip), with its state in the cluster now.</p>', live: view.targetsLive(rows, deps.sampleEveryMs) };
      },
    ),
  );

  // --- Target timeline ---------------------------------------------------------------
  const targetKeyOf = (req: Request): string => {
    const p = req.params as Record<string, string>;
    const key = `${p.namespace}/${String(p.kind).toLowerCase()}/${p.name}`;
    if (key.length > 400) throw new HttpError(400, 'invalid-target', 'target key longer than 400 characters');
    return key;
  };
  router.get(
    '/targets/:namespace/:kind/:name',
    serve(
      (req) => `timeline|${targetKeyOf(req)}`,
      async (req) => {
        const key = targetKeyOf(req);
        const rems = (await store.listRemediations({ targetKey: key, limit: 200 })).items.slice().reverse();
        const alerts = await alertsOf(rems);
        const fingerprints = [...new Set([...alerts.values()].map((a) => a.fingerprint))].slice(-20);
        const deliveries: StoredAlert[] = [];
        for (const f of fingerprints) deliveries.push(...(await store.listAlerts({ fingerprint: f, limit: 100, duplicate: false })).items);
        const table = deps.rules.current();
        const ruleOf = (name: string | null) => table.rules.find((r) => r.name === name) ?? null;
        const runs = rems.filter((r) => r.decision.outcome === 'act').map((rem) => ({ rem, phases: phaseSpans(rem) }));
        const checks = runs
          .map(({ rem }) => ({ rem, series: checkSeries(rem, ruleOf(rem.rule)) }))
          .filter((c) => c.series.length)
          .slice(-3)
          .reverse();
        const live = view.timelineLive({ key, readings: deps.sampler?.series(key) ?? [], spans: alertSpans(deliveries), runs, decisions: rems, checks, breaker: await store.getBreaker(key) });
        return { title: `Timeline of ${key}`, nav: 'targets', head: `<p class="muted">Replicas and HPA bounds over time, the alerts (firing → resolved), each decision and each run's phases on one time axis.</p>`, live };
      },
    ),
  );

  // --- Remediation -------------------------------------------------------------------
  router.get(
    '/remediations/:id',
    serve(
      (req) => `remediation|${String(req.params.id).slice(0, 100)}`,
      async (req) => {
        const id = String(req.params.id).slice(0, 100);
        const rem = await store.getRemediation(id);
        if (!rem) throw new HttpError(404, 'not-found', `no remediation with id ${id}`);
        const alert = rem.alertId ? await store.getAlert(rem.alertId) : null;
        const rule = deps.rules.current().rules.find((r) => r.name === rem.rule) ?? null;
        const breaker = rem.targetKey ? await store.getBreaker(rem.targetKey) : null;
        const live = view.remediationLive({ rem, alert, rule, breaker, series: checkSeries(rem, rule) });
        return { title: `Remediation #${rem.id.slice(-6)}`, nav: null, head: view.remediationHead(rem), live };
      },
    ),
  );

  // --- Decisions ---------------------------------------------------------------------
  const filterOf = (req: Request): DecisionFilter => {
    const q = req.query as Record<string, unknown>;
    const f: DecisionFilter = {};
    for (const k of ['alertname', 'rule', 'reason', 'target', 'q'] as const) {
      const v = q[k];
      if (v === undefined || v === '') continue;
      if (typeof v !== 'string' || v.length > 200) throw new HttpError(400, 'invalid-query', `query parameter ${k}: a string of at most 200 characters`, { field: k });
      f[k] = v;
    }
    for (const k of ['since', 'until'] as const) {
      const v = q[k];
      if (v === undefined || v === '') continue;
      const ms = typeof v === 'string' ? Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(v) ? v : `${v}Z`) : NaN;
      if (!Number.isFinite(ms)) throw new HttpError(400, 'invalid-query', `query parameter ${k}: not a date and time (2026-12-06T05:00)`, { field: k });
      f[k] = ms;
    }
    return f;
  };
  router.get(
    '/decisions',
    serve(
      (req) => `decisions|${JSON.stringify(filterOf(req))}`,
      async (req) => {
        const f = filterOf(req);
        const rows = await decisionRows();
        const found = searchDecisions(rows, f);
        return { title: 'Decisions', nav: 'decisions', head: view.decisionsHead(f, SCAN), live: view.decisionsLive(f, found.rows, found.counts, 200) };
      },
    ),
  );

  // --- Rules -------------------------------------------------------------------------
  router.get(
    '/rules',
    serve(
      () => 'rules',
      async () => {
        const rows = await decisionRows();
        return { title: 'Rules', nav: 'rules', head: '<p class="muted">The rule table serving now, in the order it is matched (first match wins unless <code>continue</code>).</p>', live: view.rulesLive(deps.rules.current(), deps.rules.status(), ruleMatches(rows)) };
      },
    ),
  );

  return router;
}
