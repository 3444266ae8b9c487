/**
 * What one durable SQLite commit costs on this machine's disk, measured the way the
 * store commits (WAL, synchronous = FULL: an fsync per commit) and, for comparison,
 * with synchronous = NORMAL (no fsync per commit in WAL mode). Used to attribute time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { median } from './stats.js';

export function commitCostMs(commits = 200): { full: number; normal: number } {
  const dir = mkdtempSync(join(tmpdir(), 'autoremediator-bench-commit-'));
  try {
    const out = { full: 0, normal: 0 };
    for (const mode of ['full', 'normal'] as const) {
      const db = new Database(join(dir, `${mode}.db`));
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${mode.toUpperCase()}`);
      db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
      const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
      const row = 'x'.repeat(1000);
      const each: number[] = [];
      for (let i = 0; i < commits; i++) {
        const t = performance.now();
        db.transaction(() => insert.run(row)).immediate();
        each.push(performance.now() - t);
      }
      db.close();
      out[mode] = median(each);
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
