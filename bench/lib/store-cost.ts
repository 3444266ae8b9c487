/**
 * What storing one notification costs in the real SqliteStore, in this process and
 * nothing else: recordNotification of the same body over and over (its alerts stored
 * as duplicates after the first, as in the intake benchmark), five at a time so that
 * they are group-committed as concurrent requests are. 1000 / this is the most
 * requests per second a single event loop could answer if storing were all it did.
 * `withoutIndexes`: drop these indexes first, to measure what each one costs.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebhookNotification } from '../../src/domain/alert.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';

export async function storeCostMs(body: Buffer, notifications: number, withoutIndexes: readonly string[] = []): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'autoremediator-bench-store-'));
  const file = join(dir, 'store.db');
  if (withoutIndexes.length) {
    const migrated = openSqliteStore(file);
    await migrated.migrate();
    await migrated.close();
    const raw = new Database(file);
    try {
      for (const index of withoutIndexes) raw.exec(`DROP INDEX ${index}`);
    } finally {
      raw.close();
    }
  }
  const store = openSqliteStore(file);
  try {
    await store.migrate();
    const text = body.toString('utf8');
    const n = JSON.parse(text) as WebhookNotification;
    const record = () =>
      store.recordNotification(
        { receivedAt: new Date(), receiver: n.receiver, status: n.status, groupKey: n.groupKey, externalURL: n.externalURL, truncatedAlerts: n.truncatedAlerts, body: text },
        n.alerts,
      );
    await record();
    const rounds = Math.max(1, Math.ceil(notifications / 5));
    const t0 = performance.now();
    for (let i = 0; i < rounds; i++) await Promise.all([record(), record(), record(), record(), record()]);
    return (performance.now() - t0) / (rounds * 5);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
