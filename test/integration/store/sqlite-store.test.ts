// SqliteStore against real SQLite files: the shared contract, then what only a file shows
// (pragmas on disk, parent directories, a read-only file, a failure inside the transaction).
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore, SqliteStore } from '../../../src/store/sqlite-store.js';
import { WalCheckpointer } from '../../../src/store/sqlite-checkpointer.js';
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

  describe('WAL checkpoints on a background thread', () => {
    const waitFor = async (what: string, ok: () => boolean, ms = 10_000) => {
      const deadline = Date.now() + ms;
      while (!ok()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    /** The WAL's frames and how many of them are copied into the database, read without copying any. */
    const walOf = (db: Database.Database) => (db.pragma('wal_checkpoint(NOOP)') as Array<{ log: number; checkpointed: number }>)[0]!;
    const fill = async (store: Store, notifications: number) => {
      for (let i = 0; i < notifications; i++) {
        const as = Array.from({ length: 20 }, () => alert());
        await store.recordNotification(notification(as, at(i)), as);
      }
    };

    test('start once the WAL passes the threshold: automatic checkpoints off, the worker copies the WAL, close removes it', async () => {
      const path = join(dir, 'checkpointer', 'store.db');
      mkdirSync(join(dir, 'checkpointer'));
      const db = new Database(path);
      db.pragma('journal_mode = WAL');
      const store = new SqliteStore(db, { walCheckpointer: { afterBytes: 64 * 1024, idleMs: 10 } });
      await store.migrate();
      try {
        expect(store.checkpointerStatus().state).toBe('off');
        await fill(store, 40);
        await waitFor('the checkpointer to run', () => store.checkpointerStatus().state === 'running');
        expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
        await fill(store, 40);
        await waitFor('a checkpoint by the worker', () => store.checkpointerStatus().checkpoints > 0);
        // Everything the WAL held is in the database file: a checkpoint from here has nothing left to copy.
        await waitFor('the WAL to be fully copied', () => {
          const w = walOf(db);
          return w.log === w.checkpointed;
        });
        // Idle with a copied but non-empty WAL: the worker keeps looking (every 10 ms here) but
        // reports only progress, so nothing wakes the main thread and no frame is counted twice.
        await new Promise((r) => setTimeout(r, 100));
        const settled = store.checkpointerStatus();
        expect(settled.framesCheckpointed).toBeGreaterThan(0);
        await new Promise((r) => setTimeout(r, 300));
        expect(store.checkpointerStatus()).toEqual(settled);
        expect((await store.listAlerts({ limit: 1000 })).items).toHaveLength(1000);
      } finally {
        await store.close();
      }
      // Last connection closed (the worker's first): WAL checkpointed and removed.
      expect(existsSync(`${path}-wal`)).toBe(false);
      const raw = new Database(path, { readonly: true });
      try {
        expect(raw.prepare('SELECT count(*) AS n FROM alerts').get()).toEqual({ n: 1600 });
      } finally {
        raw.close();
      }
    });

    test('under steady writes the WAL still starts over: it stays near restartAfterBytes instead of growing', async () => {
      // The worker copies the WAL, but the WAL starts over only when a write finds it wholly copied:
      // a worker that is always behind (here: asleep for a minute after its first pass, as it is
      // always a commit or two behind under steady load) must not let it grow for as long as writes go on.
      const sub = join(dir, 'checkpointer-restart');
      mkdirSync(sub);
      const db = new Database(join(sub, 'store.db'));
      db.pragma('journal_mode = WAL');
      const restartAfterBytes = 256 * 1024;
      let written = 0;
      const store = new SqliteStore(db, { walCheckpointer: { afterBytes: 64 * 1024, restartAfterBytes, idleMs: 60_000 } });
      await store.migrate();
      const frameBytes = 24 + Number(db.pragma('page_size', { simple: true }));
      try {
        // Write until the store starts the worker, then stop: its first pass copies everything and,
        // caught up, it sleeps for idleMs (a minute) from there, deterministically.
        while (store.checkpointerStatus().state === 'off') {
          if (written > 5000) throw new Error('the checkpointer never started');
          await fill(store, 1);
          written += 1;
        }
        await waitFor('the checkpointer to run', () => store.checkpointerStatus().state === 'running');
        await waitFor('the worker to catch up', () => {
          const w = walOf(db);
          return w.log === w.checkpointed;
        });
        await new Promise((r) => setTimeout(r, 50)); // caught up, nothing more to copy: it sleeps from here
        // 200 notifications of 20 alerts, one commit each: many times restartAfterBytes in all.
        let most = 0;
        let biggestCommit = 0;
        let frames = walOf(db).log;
        for (let i = 0; i < 200; i++) {
          await fill(store, 1);
          written += 1;
          const after = walOf(db).log;
          // The frames this commit added (all of the WAL when it started the WAL over).
          biggestCommit = Math.max(biggestCommit, after >= frames ? after - frames : after);
          most = Math.max(most, after);
          frames = after;
        }
        expect(store.checkpointerStatus().walRestarts).toBeGreaterThanOrEqual(3);
        // At most just under the threshold plus the commit that crossed it (~50-65 pages of the table
        // and its indexes for 20 alerts); without the restart the WAL would reach ~48 MiB here.
        expect(most).toBeLessThan(Math.ceil(restartAfterBytes / frameBytes) + biggestCommit);
        expect(most * frameBytes).toBeLessThan(4 * restartAfterBytes);
        expect((await store.listAlerts({ limit: 1 })).items).toHaveLength(1);
      } finally {
        await store.close();
      }
      const raw = new Database(join(sub, 'store.db'), { readonly: true });
      try {
        expect(raw.prepare('SELECT count(*) AS n FROM alerts').get()).toEqual({ n: written * 20 });
      } finally {
        raw.close();
      }
    });

    test('below the threshold, or turned off, SQLite checkpoints as it always does', async () => {
      for (const [name, walCheckpointer] of [['high-threshold', { afterBytes: 1024 * 1024 * 1024 }], ['disabled', false as const]] as const) {
        const sub = join(dir, `no-checkpointer-${name}`);
        mkdirSync(sub);
        const db = new Database(join(sub, 'store.db'));
        db.pragma('journal_mode = WAL');
        const store = new SqliteStore(db, { walCheckpointer });
        await store.migrate();
        try {
          await fill(store, 20);
          await new Promise((r) => setTimeout(r, 100));
          expect(store.checkpointerStatus()).toEqual({ state: 'off', checkpoints: 0, framesCheckpointed: 0, walRestarts: 0 });
          // This connection's own setting (it is per connection): SQLite's default.
          expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
        } finally {
          await store.close();
        }
      }
    });

    test('a checkpointer that cannot open the database reports it (the store then checkpoints itself)', async () => {
      const failures: Error[] = [];
      const checkpointer = new WalCheckpointer(join(dir, 'no-such-dir', 'store.db'), (err) => failures.push(err));
      await expect(checkpointer.ready).rejects.toThrow(/WAL checkpointer/);
      await waitFor('the failure callback', () => failures.length === 1);
      expect(failures[0]!.message).toMatch(/unable to open|directory does not exist|no such file/i);
      await checkpointer.stop();
    });
  });

  describe('retention on disk (migration 8)', () => {
    const decidedBatch = async (store: SqliteStore, k: number, seconds: number) => {
      const alerts = Array.from({ length: 50 }, () => alert({ annotations: { summary: 'x'.repeat(400) } }));
      const r = await store.recordNotification(notification(alerts, at(seconds)), alerts);
      await Promise.all(r.alerts.map((a) => store.markAlertDecided(a.id, at(seconds))));
      return { alerts, k };
    };

    test('a notification that brings only duplicates keeps no raw body; a duplicate row keeps no labels of its own', async () => {
      const path = join(dir, 'narrow', 'store.db');
      const store = openSqliteStore(path);
      await store.migrate();
      const alerts = [alert(), alert()];
      const first = await store.recordNotification(notification(alerts, at(0)), alerts);
      const copy = await store.recordNotification(notification(alerts, at(1)), alerts);
      const mixed = await store.recordNotification(notification([alerts[0]!, alert()], at(2)), [alerts[0]!, alert()]);
      await store.close();
      const db = new Database(path, { readonly: true });
      const body = (id: string) => (db.prepare('SELECT body FROM notifications WHERE id = ?').get(id) as { body: string }).body;
      expect(body(first.notificationId)).not.toBe('');
      expect(body(copy.notificationId)).toBe('');
      expect(body(mixed.notificationId)).not.toBe('');
      const row = db.prepare('SELECT labels, annotations, generator_url FROM alerts WHERE id = ?').get(copy.alerts[0]!.id);
      expect(row).toEqual({ labels: 'null', annotations: 'null', generator_url: '' });
      const last = db.prepare('SELECT last_seen_at FROM alerts WHERE id = ?').get(first.alerts[0]!.id) as { last_seen_at: number };
      expect(last.last_seen_at).toBe(at(2).getTime());
      db.close();
    });

    test('pruning leaves no dangling reference, and the freed pages go back to the file system', async () => {
      const path = join(dir, 'shrink', 'store.db');
      const store = openSqliteStore(path, { walCheckpointer: false });
      await store.migrate();
      for (let k = 0; k < 40; k++) await decidedBatch(store, k, k);
      const keep = await decidedBatch(store, 99, 86_400);
      const sizeBefore = await store.sizeBytes();
      let deleted = 0;
      for (;;) {
        const r = await store.pruneHistory({ before: at(3600), keepActionsAfter: at(3600), keepUnrestoredOfRules: [], limit: 300 });
        deleted += r.alerts;
        if (r.alerts + r.remediations + r.notifications === 0) break;
      }
      expect(deleted).toBe(40 * 50);
      let reclaimed = 0;
      for (let n = await store.reclaimSpace(64); n > 0; n = await store.reclaimSpace(64)) reclaimed += n;
      expect(reclaimed).toBeGreaterThan(0);
      expect((await store.listAlerts({ limit: 100 })).items).toHaveLength(50);
      expect(keep.alerts).toHaveLength(50);
      await store.close();
      const db = new Database(path);
      expect(db.pragma('foreign_key_check')).toEqual([]);
      expect(db.pragma('auto_vacuum', { simple: true })).toBe(2);
      expect(db.pragma('freelist_count', { simple: true })).toBe(0);
      expect(Number(db.pragma('page_count', { simple: true })) * Number(db.pragma('page_size', { simple: true }))).toBeLessThan(sizeBefore / 2);
      db.close();
      const reopened = openSqliteStore(path);
      expect(await reopened.getAlert((await reopened.listAlerts({ limit: 1 })).items[0]!.id)).not.toBeNull();
      await reopened.close();
    });

    test('a database from before migration 8 (auto_vacuum off) is switched to incremental vacuum once, its history intact', async () => {
      const path = join(dir, 'old', 'store.db');
      mkdirSync(join(dir, 'old'));
      const old = new Database(path);
      old.pragma('journal_mode = WAL');
      old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT');
      for (const m of SQLITE_MIGRATIONS.filter((x) => x.version < 8)) {
        old.exec(m.sql);
        old.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
      }
      expect(old.pragma('auto_vacuum', { simple: true })).toBe(0);
      old.close();
      const store = openSqliteStore(path);
      await store.migrate();
      const alerts = [alert()];
      const r = await store.recordNotification(notification(alerts, at(0)), alerts);
      expect((await store.getAlert(r.alerts[0]!.id))!.labels).toEqual(alerts[0]!.labels);
      await store.close();
      const db = new Database(path, { readonly: true });
      expect(db.pragma('auto_vacuum', { simple: true })).toBe(2);
      expect((db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number }).v).toBe(Math.max(...SQLITE_MIGRATIONS.map((m) => m.version)));
      db.close();
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
