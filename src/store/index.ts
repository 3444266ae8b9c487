export * from './store.js';
export { openStore, parseDatabaseUrl, describeDatabaseLocation } from './open-store.js';
export type { OpenStoreOptions, DatabaseLocation } from './open-store.js';
export { SqliteStore, openSqliteStore } from './sqlite-store.js';
export type { SqliteStoreOptions } from './sqlite-store.js';
export { PostgresStore, openPostgresStore } from './postgres-store.js';
export type { PostgresStoreOptions } from './postgres-store.js';
export { InvalidCursorError } from './cursor.js';
