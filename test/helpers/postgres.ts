/**
 * The PostgreSQL server the tests use (TEST_DATABASE_URL, else the local one), and the gate every
 * suite that needs it goes through: unreachable, the suite is skipped with a message saying how to
 * get it, except under CI=true, where it fails.
 */
import pg from 'pg';

export const TEST_POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Null when the server answers `SELECT 1`; else why not. */
async function unreachable(): Promise<string | null> {
  const c = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Define the suite's tests when PostgreSQL answers; otherwise skip (or, with CI=true, fail) saying why. */
export async function withPostgres(suite: string, define: () => void): Promise<void> {
  const why = await unreachable();
  if (why === null) return define();
  const message = `PostgreSQL not reachable at ${TEST_POSTGRES_URL.replace(/:[^:@/]*@/, ':***@')} (${why}); start it or set TEST_DATABASE_URL`;
  if (process.env.CI === 'true') {
    test('PostgreSQL is reachable (required when CI=true)', () => {
      throw new Error(message);
    });
  } else {
    console.warn(`SKIPPED ${suite} tests: ${message}`);
    test.skip(`SKIPPED: ${message}`, () => undefined);
  }
}
