/**
 * The service under test as users run it: `node dist/autoremediator.mjs serve` in its own
 * process, with a fresh SQLite file and its own rules in a temporary directory,
 * optionally pointed at a sandbox API server. After it stops, the store is read
 * back to check what it recorded.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite-store.js';
import { REPO_ROOT } from './paths.js';
import { freePort, spawnService, waitFor200, type Child } from './processes.js';

export const WEBHOOK_TOKEN = 'bench-webhook-token-0123456789';
export const ADMIN_TOKEN = 'bench-admin-token-0123456789abc';

export interface BenchService {
  child: Child;
  url: string;
  dir: string;
  dbFile: string;
  logFile: string;
  /** From spawn to /readyz answering 200. */
  readyMs: number;
  /** SIGTERM and wait (the service drains); throws when it does not exit cleanly. */
  stop(): Promise<{ ms: number }>;
  /** Delete the temporary directory (after reading the store). */
  remove(): void;
}

export interface ServiceOptions {
  /** A rule file's YAML; default: the shipped rules/ directory. */
  rulesYaml?: string;
  /** KUBE_API_URL; without it every decision skips with state-unavailable (no cluster configured). */
  kubeApiUrl?: string;
  env?: Record<string, string>;
  nodeArgs?: string[];
}

export async function startService(opts: ServiceOptions = {}): Promise<BenchService> {
  const dir = mkdtempSync(join(tmpdir(), 'autoremediator-bench-'));
  let rulesDir = join(REPO_ROOT, 'rules');
  if (opts.rulesYaml !== undefined) {
    rulesDir = join(dir, 'rules');
    mkdirSync(rulesDir);
    writeFileSync(join(rulesDir, 'bench.yaml'), opts.rulesYaml);
  }
  const port = await freePort();
  const dbFile = join(dir, 'autoremediator.db');
  const logFile = join(dir, 'service.log');
  const env: Record<string, string> = {
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: `sqlite:${dbFile}`,
    RULES_DIR: rulesDir,
    WEBHOOK_TOKEN,
    ADMIN_TOKEN,
    LOG_LEVEL: 'info',
    DRY_RUN: 'false',
    ALLOWED_NAMESPACES: 'ci',
    ...(opts.kubeApiUrl ? { KUBE_API_URL: opts.kubeApiUrl } : {}),
    ...opts.env,
  };
  const started = performance.now();
  // BENCH_SERVICE_NODE_ARGS: node flags for every service process, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof'.
  const nodeArgs = opts.nodeArgs ?? process.env.BENCH_SERVICE_NODE_ARGS?.split(' ').filter(Boolean);
  const child = spawnService(env, { logFile, ...(nodeArgs ? { nodeArgs } : {}) });
  const url = `http://127.0.0.1:${port}`;
  let readyMs: number;
  try {
    readyMs = await Promise.race([waitFor200(`${url}/readyz`, 20_000, started), child.exited.then(() => Promise.reject(new Error(`the service exited at start:\n${child.tail()}`)))]);
  } catch (err) {
    await child.stop(2000);
    throw err;
  }
  return {
    child,
    url,
    dir,
    dbFile,
    logFile,
    readyMs,
    async stop() {
      const e = await child.stop(40_000);
      if (e.code !== 0) throw new Error(`the service did not exit cleanly (code ${e.code}, signal ${e.signal}):\n${child.tail()}`);
      return { ms: e.ms };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Run fn against the stopped service's database, through the project's own Store. */
export async function withStore<T>(dbFile: string, fn: (store: SqliteStore) => Promise<T>): Promise<T> {
  const store = openSqliteStore(dbFile);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** A read-only connection for counting rows (also while the service runs: WAL readers never block it). */
export function openReadonly(dbFile: string): Database.Database {
  return new Database(dbFile, { readonly: true, fileMustExist: true });
}

export function count(db: Database.Database, sql: string, ...params: unknown[]): number {
  return (db.prepare(sql).get(...params) as { n: number }).n;
}
