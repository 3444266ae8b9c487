import { fileURLToPath } from 'node:url';
import type { PostgresStoreOptions } from './postgres-store.js';
import { openSqliteStore } from './sqlite-store.js';
import type { SqliteStoreOptions } from './sqlite-store.js';
import type { Store } from './store.js';

export type OpenStoreOptions = SqliteStoreOptions & PostgresStoreOptions;

/** Where DATABASE_URL points. */
export type DatabaseLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

const USAGE = 'use sqlite:<path>, file:<path>, a plain file path, :memory:, or postgres://user@host:port/db';

/**
 * Parse DATABASE_URL. SQLite: `sqlite:data/x.db`, `sqlite:///var/lib/x.db` (absolute),
 * `file:///var/lib/x.db`, `file:data/x.db`, a plain path, `:memory:` / `sqlite::memory:`.
 * PostgreSQL: `postgres://…` or `postgresql://…`. Anything else throws an Error that
 * names DATABASE_URL; messages never repeat a URL's password.
 */
export function parseDatabaseUrl(databaseUrl: string): DatabaseLocation {
  const value = databaseUrl.trim();
  if (value === '') throw new Error(`DATABASE_URL is empty: ${USAGE}`);
  if (/^postgres(ql)?:\/\//i.test(value)) {
    if (!URL.canParse(value)) throw new Error(`DATABASE_URL is not a valid PostgreSQL URL (${value.split(':')[0]}://…): ${USAGE}`);
    return { kind: 'postgres', url: value };
  }
  const sqlite = /^sqlite:(.*)$/is.exec(value);
  if (sqlite) {
    const rest = sqlite[1]!;
    const path = rest.startsWith('//') ? rest.slice(2) : rest;
    if (path === '') throw new Error(`DATABASE_URL "${value}" names no file: ${USAGE}`);
    return { kind: 'sqlite', path };
  }
  const file = /^file:(.*)$/is.exec(value);
  if (file) {
    const rest = file[1]!;
    let path: string;
    try {
      path = rest.startsWith('//') ? fileURLToPath(value) : rest;
    } catch (err) {
      throw new Error(`DATABASE_URL "${value}" is not a usable file URL (${(err as Error).message}): ${USAGE}`);
    }
    if (path === '') throw new Error(`DATABASE_URL "${value}" names no file: ${USAGE}`);
    return { kind: 'sqlite', path };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value);
  if (scheme && value !== ':memory:') throw new Error(`DATABASE_URL has an unsupported scheme "${scheme[1]}:": ${USAGE}`);
  return { kind: 'sqlite', path: value };
}

/** The location for messages: a PostgreSQL URL without its password. */
export function describeDatabaseLocation(location: DatabaseLocation): string {
  if (location.kind === 'sqlite') return `sqlite:${location.path}`;
  const url = new URL(location.url);
  if (url.password !== '') url.password = '***';
  return url.toString();
}

/**
 * Open the store DATABASE_URL names and bring its schema up to date.
 *
 * @example const store = await openStore(process.env.DATABASE_URL ?? 'sqlite:data/autoremediator.db');
 */
export async function openStore(databaseUrl: string, options: OpenStoreOptions = {}): Promise<Store> {
  const location = parseDatabaseUrl(databaseUrl);
  const where = describeDatabaseLocation(location);
  let store: Store;
  try {
    // pg is loaded only when DATABASE_URL names PostgreSQL.
    store = location.kind === 'sqlite' ? openSqliteStore(location.path, options) : (await import('./postgres-store.js')).openPostgresStore(location.url, options);
  } catch (err) {
    throw new Error(`DATABASE_URL ${where}: cannot open the database: ${(err as Error).message}`, { cause: err });
  }
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw new Error(`DATABASE_URL ${where}: cannot migrate the database: ${(err as Error).message}`, { cause: err });
  }
  return store;
}
