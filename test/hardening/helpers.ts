/**
 * Shared support for the hardening tests: an app builder that also lets a test
 * wrap the store, a clock that can jump, direct row counts of the SQLite file,
 * rule files in temp directories, and a latch.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createApp, type App } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import type { ClusterPort } from '../../src/actions/port.js';
import type { StoredAlert } from '../../src/domain/alert.js';
import type { Remediation } from '../../src/domain/remediation.js';
import type { Clock } from '../../src/platform/clock.js';
import { silentLogger, type Logger } from '../../src/platform/logger.js';
import { createMetrics } from '../../src/platform/metrics.js';
import type { RemediationListener } from '../../src/domain/remediation.js';
import type { Validator } from '../../src/validation/port.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { ADMIN_TOKEN, WEBHOOK_TOKEN } from '../helpers/app.js';
import { REPO_ROOT } from '../helpers/fixtures.js';

export { ADMIN_TOKEN, WEBHOOK_TOKEN };
export const HOOK = { Authorization: `Bearer ${WEBHOOK_TOKEN}`, 'Content-Type': 'application/json' };
export const ADMIN = { Authorization: `Bearer ${ADMIN_TOKEN}` };
export const SHIPPED_RULES = join(REPO_ROOT, 'rules');

/** Real time plus an offset a test can move forward (claims, cooldowns, leases). */
export class JumpClock implements Clock {
  private offset = 0;
  now(): Date {
    return new Date(Date.now() + this.offset);
  }
  jump(ms: number): void {
    this.offset += ms;
  }
}

/** A gate that holds callers until opened. */
export class Latch {
  private release!: () => void;
  readonly opened: Promise<void> = new Promise((r) => (this.release = r));
  open(): void {
    this.release();
  }
}

export interface HardenedApp {
  app: App;
  /** The configuration the app was built with. */
  config: Config;
  dir: string;
  /** The SQLite file (when the store is SQLite). */
  dbPath: string;
  /** Listening on 127.0.0.1 (started lazily by `server()`). */
  server(): Server;
  close(): Promise<void>;
}

export interface BuildOptions {
  cluster: ClusterPort;
  env?: Record<string, string>;
  clock?: Clock;
  logger?: Logger;
  validator?: Validator;
  listeners?: RemediationListener[];
  /** Wrap the real store (fault injection). */
  wrapStore?: (store: Store) => Store;
}

/**
 * Like test/helpers/app.ts buildTestApp (real SQLite in a temp dir, the shipped rules,
 * ALLOWED_NAMESPACES=ci), plus a store wrapper and listeners.
 */
export async function buildApp(opts: BuildOptions): Promise<HardenedApp> {
  const dir = mkdtempSync(join(tmpdir(), 'autoremediator-hardening-'));
  const dbPath = join(dir, 'test.db');
  const config = loadConfig({
    WEBHOOK_TOKEN,
    ADMIN_TOKEN,
    RULES_DIR: SHIPPED_RULES,
    DATABASE_URL: `sqlite:${dbPath}`,
    DRY_RUN: 'false',
    ALLOWED_NAMESPACES: 'ci',
    READINESS_POLL_MS: '10',
    ...opts.env,
  });
  const real = await openStore(config.databaseUrl);
  const store = opts.wrapStore ? opts.wrapStore(real) : real;
  let app: App;
  try {
    app = await createApp({
      config,
      logger: opts.logger ?? silentLogger,
      cluster: opts.cluster,
      metrics: createMetrics(false),
      watchRules: false,
      store,
      ...(opts.clock ? { clock: opts.clock } : {}),
      ...(opts.validator ? { validator: opts.validator } : {}),
      ...(opts.listeners ? { listeners: opts.listeners } : {}),
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let server: Server | null = null;
  return {
    app,
    config,
    dir,
    dbPath,
    server() {
      server ??= app.http.listen(0, '127.0.0.1');
      return server;
    },
    async close() {
      if (server) {
        const s = server;
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
      await app.stop(5000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Row counts read straight from the SQLite file (a second, read-only connection). */
export function rowCounts(dbPath: string): { notifications: number; alerts: number; remediations: number } {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT (SELECT count(*) FROM notifications) AS notifications, (SELECT count(*) FROM alerts) AS alerts, (SELECT count(*) FROM remediations) AS remediations').get() as {
      notifications: number;
      alerts: number;
      remediations: number;
    };
  } finally {
    db.close();
  }
}

/** Every item of a cursor-paged list, page after page. */
async function allPages<T>(page: (cursor: string | null) => Promise<{ items: T[]; nextCursor: string | null }>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const p = await page(cursor);
    out.push(...p.items);
    cursor = p.nextCursor;
  } while (cursor);
  return out;
}

/** Every stored alert, through the Store interface (all pages). */
export function allAlerts(store: Store): Promise<StoredAlert[]> {
  return allPages((cursor) => store.listAlerts({ limit: 500, cursor }));
}

/** Every remediation, through the Store interface (all pages). */
export function allRemediations(store: Store): Promise<Remediation[]> {
  return allPages((cursor) => store.listRemediations({ limit: 500, cursor }));
}

/** Wait until the engine's queue is empty and every run it started has finished. */
export async function quiesce(app: App, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const active = await app.store.listRemediationsInPhases(['planned', 'applying', 'validating', 'rolling_back']);
    if (app.engine.queueDepth === 0 && active.length === 0) return;
    if (Date.now() > until) throw new Error(`engine did not quiesce: queue ${app.engine.queueDepth}, active runs ${active.map((r) => `${r.id}:${r.phase}`).join(', ')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A rules directory holding one file; remove it with `rmSync(dir, { recursive: true })`. */
export function rulesDir(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'hardening-rules-'));
  writeFileSync(join(dir, 'rules.yaml'), yaml);
  return dir;
}

/** A firing Alertmanager notification with these alerts (labels; fingerprint and startsAt derived from the index unless given). */
export function notification(alerts: Array<{ labels: Record<string, string>; fingerprint?: string; startsAt?: string; status?: 'firing' | 'resolved'; annotations?: Record<string, string> }>): string {
  return JSON.stringify({
    receiver: 'hardening',
    status: 'firing',
    alerts: alerts.map((a, i) => ({
      status: a.status ?? 'firing',
      labels: a.labels,
      annotations: a.annotations ?? {},
      startsAt: a.startsAt ?? new Date(Date.parse('2026-11-28T10:00:00Z') + i * 1000).toISOString(),
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://127.0.0.1:9090/graph',
      fingerprint: a.fingerprint ?? i.toString(16).padStart(16, '0'),
    })),
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://127.0.0.1:9093',
    version: '4',
    groupKey: '{}:{}',
    truncatedAlerts: 0,
  });
}

/** A validator that passes at once (no rollout wait, no metrics). */
export const passingValidator: Validator = {
  validate: () => Promise.resolve({ outcome: 'passed', summary: 'passed (hardening test validator)', details: {} }),
};

/** mulberry32: a small seeded generator, so a failing random run can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
