// SqliteStore against real SQLite files: the shared contract, then what only a file shows
// (pragmas on disk, parent directories, a read-only file, a failure inside the transaction).
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, openSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../../src/store/sqlite-store.js';
import { openStore } from '../../../src/store/open-store.js';
import type { Store } from '../../../src/store/store.js';
import { SQLITE_MIGRATIONS } from '../../../src/store/migrations/sqlite.js';
import { runStoreContract } from '../../contract/store.contract.js';
import { alert, at, notification } from '../../contract/store-builders.js';

// Created on first use, so that a filtered run (-t) that skips the suites leaves nothing behind.
let root: string | undefined;
let n = 0;
const freshPath = (): string => join((root ??= mkdtempSync(join(tmpdir(), 'autoremediator-sqlite-'))), `db-${++n}`, 'store.db');
const paths = new WeakMap<Store, string>();

runStoreContract(
  'SqliteStore (file)',
  async () => {
    const path = freshPath();
    const store = openSqliteStore(path);
    await store.migrate();
    paths.set(store, path);
    return store;
  },
  () => {
    if (root) rmSync(root, { recursive: true, force: true });
    return Promise.resolve();
  },
  {
    // a second connection to the same file, as a second process would open it
    openPeer: async (store) => {
      const peer = openSqliteStore(paths.get(store)!);
      await peer.migrate();
      return peer;
    },
  },
);

runStoreContract('SqliteStore (:memory:)', async () => {
  const store = openSqliteStore(':memory:');
  await store.migrate();
  return store;
});

describe('SqliteStore on disk', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'autoremediator-sqlite-disk-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('openStore creates missing parent directories, uses WAL, and migrates once', async () => {
    const path = join(dir, 'a', 'b', 'c', 'store.db');
    const store = await openStore(`sqlite:${path}`);
    await store.close();
    const again = await openStore(path); // a plain path, and a second migrate over an existing schema
    await again.close();
    const raw = new Database(path, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(raw.prepare('SELECT version FROM schema_migrations ORDER BY version').all()).toEqual(SQLITE_MIGRATIONS.map((m) => ({ version: m.version })));
    } finally {
      raw.close();
    }
  });

  test('a failure inside the transaction leaves nothing of the notification behind', async () => {
    const path = join(dir, 'trigger', 'store.db');
    const store = await openStore(path);
    const raw = new Database(path);
    try {
      // Fails the insert of one particular alert, after the notification and earlier alerts were written.
      raw.exec(`CREATE TRIGGER fail_alert BEFORE INSERT ON alerts WHEN NEW.fingerprint = 'ffffffffffffffff'
                BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
      const good = alert();
      const bad = alert({ fingerprint: 'ffffffffffffffff' });
      await expect(store.recordNotification(notification([good, bad], at(0)), [good, bad])).rejects.toThrow('injected failure');
      expect(raw.prepare('SELECT (SELECT count(*) FROM notifications) AS n, (SELECT count(*) FROM alerts) AS a').get()).toEqual({ n: 0, a: 0 });
      raw.exec('DROP TRIGGER fail_alert');
      const ok = await store.recordNotification(notification([good, bad], at(1)), [good, bad]);
      expect(ok.alerts.map((x) => x.duplicateOf)).toEqual([null, null]);
    } finally {
      raw.close();
      await store.close();
    }
  });

  describe('group commit: writes asked for in one turn of the event loop share one transaction', () => {
    test('concurrent writes commit together, each with its own result, all durable when they resolve', async () => {
      const path = join(dir, 'group', 'store.db');
      const store = openSqliteStore(path);
      await store.migrate();
      try {
        const before = { ...store.metrics };
        const alerts = Array.from({ length: 20 }, () => alert());
        // A second identity delivery in the same batch must still see the first (it runs after it).
        const again = { ...alerts[0]! };
        const results = await Promise.all([...alerts, again].map((a, i) => store.recordNotification(notification([a], at(i)), [a])));
        expect(store.metrics.batches - before.batches).toBeGreaterThanOrEqual(1);
        expect(store.metrics.batchedWrites - before.batchedWrites).toBe(21);
        expect(results.slice(0, 20).every((r) => r.alerts[0]!.duplicateOf === null)).toBe(true);
        expect(results[20]!.alerts[0]!.duplicateOf).toBe(results[0]!.alerts[0]!.id);
        // Read back through another connection: committed, not just visible to this one.
        const raw = new Database(path, { readonly: true });
        try {
          expect(raw.prepare('SELECT count(*) AS n FROM alerts').get()).toEqual({ n: 21 });
        } finally {
          raw.close();
        }
      } finally {
        await store.close();
      }
    });

    test('a write that fails in a batch rejects alone; the others commit', async () => {
      const path = join(dir, 'group-fail', 'store.db');
      const store = openSqliteStore(path);
      await store.migrate();
      const raw = new Database(path);
      try {
        raw.exec(`CREATE TRIGGER fail_alert BEFORE INSERT ON alerts WHEN NEW.fingerprint = 'ffffffffffffffff'
                  BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
        const good = [alert(), alert()];
        const bad = [alert(), alert({ fingerprint: 'ffffffffffffffff' })];
        const settled = await Promise.allSettled([
          store.recordNotification(notification([good[0]!], at(0)), [good[0]!]),
          store.recordNotification(notification(bad, at(1)), bad),
          store.recordNotification(notification([good[1]!], at(2)), [good[1]!]),
        ]);
        expect(settled.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
        expect(String((settled[1] as PromiseRejectedResult).reason)).toMatch(/injected failure/);
        // The failed notification left nothing (not even its first alert); the others are stored.
        expect(raw.prepare('SELECT (SELECT count(*) FROM notifications) AS n, (SELECT count(*) FROM alerts) AS a').get()).toEqual({ n: 2, a: 2 });
        expect(store.metrics.batches).toBeGreaterThanOrEqual(1);
      } finally {
        raw.close();
        await store.close();
      }
    });

    test('a write alone in its turn is still one transaction: a failure part-way leaves nothing', async () => {
      const path = join(dir, 'lone-fail', 'store.db');
      const store = openSqliteStore(path);
      await store.migrate();
      const raw = new Database(path);
      try {
        raw.exec(`CREATE TRIGGER fail_alert BEFORE INSERT ON alerts WHEN NEW.fingerprint = 'eeeeeeeeeeeeeeee'
                  BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
        const bad = [alert(), alert({ fingerprint: 'eeeeeeeeeeeeeeee' })];
        const before = { ...store.metrics };
        await expect(store.recordNotification(notification(bad, at(0)), bad)).rejects.toThrow(/injected failure/);
        expect(store.metrics.batches).toBe(before.batches); // it was not batched
        // Neither the notification row nor the first alert, both written before the failing insert.
        expect(raw.prepare('SELECT (SELECT count(*) FROM notifications) AS n, (SELECT count(*) FROM alerts) AS a').get()).toEqual({ n: 0, a: 0 });
      } finally {
        raw.close();
        await store.close();
      }
    });

    test('close commits the writes already asked for; a write after close rejects', async () => {
      const path = join(dir, 'group-close', 'store.db');
      const store = openSqliteStore(path);
      await store.migrate();
      const a = alert();
      const pending = store.recordNotification(notification([a], at(0)), [a]);
      await store.close();
      expect((await pending).alerts).toHaveLength(1);
      await expect(store.recordNotification(notification([alert()], at(1)), [alert()])).rejects.toThrow(/closed/);
      const raw = new Database(path, { readonly: true });
      try {
        expect(raw.prepare('SELECT count(*) AS n FROM alerts').get()).toEqual({ n: 1 });
      } finally {
        raw.close();
      }
    });
  });

  describe('a read-only database file', () => {
    let path: string;
    let immutable = false;
    beforeAll(() => {
      path = join(dir, 'readonly', 'store.db');
    });

    /** Make the file unwritable even for root (chattr +i) when chmod alone does not stop this process. */
    const makeReadOnly = (): void => {
      chmodSync(path, 0o444);
      if (writable(path)) {
        try {
          execFileSync('chattr', ['+i', path], { stdio: 'ignore' });
          immutable = true;
        } catch {
          // reported below
        }
      }
      if (writable(path)) throw new Error(`cannot make ${path} read-only for this process (chmod 0444 and chattr +i did not stop it)`);
    };

    afterAll(() => {
      if (path === undefined) return;
      if (immutable) execFileSync('chattr', ['-i', path], { stdio: 'ignore' });
      if (existsSync(path)) chmodSync(path, 0o644);
    });

    test('opens (reads work) but recordNotification rejects and stores nothing', async () => {
      const setup = await openStore(path);
      const first = alert();
      await setup.recordNotification(notification([first], at(0)), [first]);
      await setup.close();

      makeReadOnly();
      const store = await openStore(path);
      try {
        expect(await store.ping()).toBe(true);
        expect((await store.listAlerts({ limit: 10 })).items).toHaveLength(1);
        const next = [alert(), alert()];
        await expect(store.recordNotification(notification(next, at(1)), next)).rejects.toThrow(/readonly/);
        expect((await store.listAlerts({ limit: 10 })).items).toHaveLength(1);
      } finally {
        await store.close();
      }
    });
  });
});

function writable(path: string): boolean {
  try {
    closeSync(openSync(path, 'r+'));
    return true;
  } catch {
    return false;
  }
}
