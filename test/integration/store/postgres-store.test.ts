// PostgresStore against a real PostgreSQL: the shared contract, then what needs two
// replicas (pools) on one database: the target lock, concurrent migrations, and a
// failure inside the recording transaction. Every schema is t_<random>, dropped at the end.
//
// TEST_DATABASE_URL overrides the server. Unreachable: the tests are skipped with a
// message, except with CI=true, where that is a failure.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describeDatabaseLocation } from '../../../src/store/open-store.js';
import { openPostgresStore } from '../../../src/store/postgres-store.js';
import type { PostgresStore } from '../../../src/store/postgres-store.js';
import { POSTGRES_MIGRATIONS } from '../../../src/store/migrations/postgres.js';
import type { Store } from '../../../src/store/store.js';
import { runStoreContract } from '../../contract/store.contract.js';
import { alert, at, notification, sleep, within } from '../../contract/store-builders.js';

const URL_ = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const START = 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';

async function reachable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: URL_, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const unreachable = await reachable();
const message = `PostgreSQL not reachable at ${describeDatabaseLocation({ kind: 'postgres', url: URL_ })} (${unreachable ?? ''}); start it with \`${START}\` or set TEST_DATABASE_URL`;

if (unreachable !== null && process.env.CI === 'true') {
  test('PostgreSQL is reachable (required when CI=true)', () => {
    throw new Error(message);
  });
} else if (unreachable !== null) {
  console.warn(`SKIPPED postgres-store tests: ${message}`);
  test.skip(`SKIPPED: ${message}`, () => undefined);
} else {
  definePostgresTests();
}

function definePostgresTests(): void {
  const admin = new pg.Pool({ connectionString: URL_, max: 2 });
  const schemas: string[] = [];
  const urls = new WeakMap<Store, string>();
  const schemaOf = new Map<string, string>();
  afterAll(async () => {
    for (const schema of schemas.splice(0)) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  /** A new, empty schema and a URL whose connections use it. */
  async function freshSchema(): Promise<string> {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    await admin.query(`CREATE SCHEMA ${schema}`);
    schemas.push(schema);
    const url = new URL(URL_);
    // synchronous_commit=off: test speed only (no fsync wait per commit); visibility and locking are unchanged.
    url.searchParams.set('options', `-c search_path=${schema} -c synchronous_commit=off`);
    schemaOf.set(url.toString(), schema);
    return url.toString();
  }

  async function open(url: string): Promise<PostgresStore> {
    const store = openPostgresStore(url, { connectionTimeoutMillis: 5000 });
    await store.migrate();
    urls.set(store, url);
    return store;
  }

  // One schema for the contract, emptied before each test: DDL per test (a schema and a
  // migration each) would dominate the run time.
  let contractUrl: string | undefined;
  const emptyContractSchema = async (): Promise<string> => {
    if (contractUrl === undefined) return (contractUrl = await freshSchema());
    const s = schemaOf.get(contractUrl)!;
    await admin.query(`DELETE FROM ${s}.slack_threads; DELETE FROM ${s}.remediation_transitions; DELETE FROM ${s}.remediations; DELETE FROM ${s}.alerts;
                       DELETE FROM ${s}.notifications; DELETE FROM ${s}.breakers; DELETE FROM ${s}.pauses;`);
    return contractUrl;
  };

  runStoreContract('PostgresStore', async () => open(await emptyContractSchema()), undefined, {
    openPeer: (store) => open(urls.get(store)!),
  });

  describe('PostgresStore replicas', () => {
    const stores: Store[] = [];
    const replicas = async (count: number): Promise<PostgresStore[]> => {
      const url = await freshSchema();
      const list: PostgresStore[] = [];
      for (let i = 0; i < count; i++) list.push(await open(url));
      stores.push(...list);
      return list;
    };
    afterEach(async () => {
      await Promise.all(stores.splice(0).map((s) => s.close()));
    });

    test('two replicas never hold one target lock at once', async () => {
      const [r1, r2] = await replicas(2);
      let active = 0;
      let maxActive = 0;
      let runs = 0;
      const hold = async (): Promise<void> => {
        active++;
        maxActive = Math.max(maxActive, active);
        runs++;
        await sleep(20);
        active--;
      };
      await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? r2! : r1!).withTargetLock('ci/deployment/ci-failure-agent', hold)));
      expect(runs).toBe(8);
      expect(maxActive).toBe(1);
    });

    test('two replicas hold locks on different targets at the same time', async () => {
      const [r1, r2] = await replicas(2);
      let enteredB!: () => void;
      const bIsIn = new Promise<void>((resolve) => {
        enteredB = resolve;
      });
      const a = r1!.withTargetLock('ns/deployment/a', async () => {
        await within(bIsIn, 3000, 'replica 2 could not lock b while replica 1 held a');
        return 'a';
      });
      const b = r2!.withTargetLock('ns/deployment/b', () => {
        enteredB();
        return Promise.resolve('b');
      });
      await expect(Promise.all([a, b])).resolves.toEqual(['a', 'b']);
    });

    test("a replica's lock is released when fn throws: the other replica gets it", async () => {
      const [r1, r2] = await replicas(2);
      await expect(r1!.withTargetLock('k', () => Promise.reject(new Error('apply failed')))).rejects.toThrow('apply failed');
      await expect(within(r2!.withTargetLock('k', () => Promise.resolve('ok')), 3000, 'lock still held by replica 1')).resolves.toBe('ok');
      // and the lock connection went back to the pool unlocked: replica 1 can lock again
      await expect(within(r1!.withTargetLock('k', () => Promise.resolve('again')), 3000, 'replica 1 cannot relock')).resolves.toBe('again');
    });

    test('replicas migrating one empty schema at the same time apply each migration once', async () => {
      const url = await freshSchema();
      const list = Array.from({ length: 4 }, () => openPostgresStore(url));
      stores.push(...list);
      await Promise.all(list.map((s) => s.migrate()));
      const schema = schemaOf.get(url)!;
      const { rows } = await admin.query(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
      expect(rows).toEqual(POSTGRES_MIGRATIONS.map((m) => ({ version: m.version })));
    });

    test('a failure inside the transaction leaves nothing of the notification behind', async () => {
      const [store] = await replicas(1);
      const schema = schemaOf.get(urls.get(store!)!)!;
      await admin.query(`
        CREATE FUNCTION ${schema}.fail_alert() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'injected failure'; END $$;
        CREATE TRIGGER fail_alert BEFORE INSERT ON ${schema}.alerts
          FOR EACH ROW WHEN (NEW.fingerprint = 'ffffffffffffffff') EXECUTE FUNCTION ${schema}.fail_alert();`);
      // identities sort the good alert first, so it is inserted before the failing one
      const good = alert({ fingerprint: '0000000000000001' });
      const bad = alert({ fingerprint: 'ffffffffffffffff' });
      await expect(store!.recordNotification(notification([good, bad], at(0)), [good, bad])).rejects.toThrow('injected failure');
      const { rows } = await admin.query(
        `SELECT (SELECT count(*)::int FROM ${schema}.notifications) AS n, (SELECT count(*)::int FROM ${schema}.alerts) AS a`,
      );
      expect(rows).toEqual([{ n: 0, a: 0 }]);
      await admin.query(`DROP TRIGGER fail_alert ON ${schema}.alerts`);
      const ok = await store!.recordNotification(notification([good, bad], at(1)), [good, bad]);
      expect(ok.alerts.map((x) => x.duplicateOf)).toEqual([null, null]);
    });
  });
}
