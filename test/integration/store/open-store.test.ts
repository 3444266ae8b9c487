// DATABASE_URL parsing (pure, table-driven) and what openStore says when the URL is wrong.
import { describeDatabaseLocation, openStore, parseDatabaseUrl } from '../../../src/store/open-store.js';

describe('parseDatabaseUrl', () => {
  test.each([
    // plain paths, relative and absolute
    ['data/autoremediator.db', { kind: 'sqlite', path: 'data/autoremediator.db' }],
    ['/var/lib/autoremediator/store.db', { kind: 'sqlite', path: '/var/lib/autoremediator/store.db' }],
    // in-memory, bare and with the scheme
    [':memory:', { kind: 'sqlite', path: ':memory:' }],
    ['sqlite::memory:', { kind: 'sqlite', path: ':memory:' }],
    // sqlite: with a relative path, and sqlite:/// with an absolute one
    ['sqlite:data/x.db', { kind: 'sqlite', path: 'data/x.db' }],
    ['sqlite:///var/lib/x.db', { kind: 'sqlite', path: '/var/lib/x.db' }],
    ['sqlite://data/x.db', { kind: 'sqlite', path: 'data/x.db' }],
    // file: URLs (percent-decoded) and file: with a relative path
    ['file:///var/lib/my%20db.sqlite', { kind: 'sqlite', path: '/var/lib/my db.sqlite' }],
    ['file:data/x.db', { kind: 'sqlite', path: 'data/x.db' }],
    // surrounding whitespace from an env file is ignored
    ['  data/x.db\n', { kind: 'sqlite', path: 'data/x.db' }],
    // both PostgreSQL schemes, passed on whole
    ['postgres://u:p@db:5432/app', { kind: 'postgres', url: 'postgres://u:p@db:5432/app' }],
    ['postgresql://db/app?sslmode=require', { kind: 'postgres', url: 'postgresql://db/app?sslmode=require' }],
  ])('%j -> %j', (url, expected) => {
    expect(parseDatabaseUrl(url)).toEqual(expected);
  });

  test.each([
    // nothing at all
    ['', /DATABASE_URL is empty/],
    // another database
    ['mysql://root@db/app', /DATABASE_URL has an unsupported scheme "mysql:"/],
    ['redis://127.0.0.1:6379', /unsupported scheme "redis:"/],
    // a scheme and no file
    ['sqlite:', /DATABASE_URL "sqlite:" names no file/],
    // a file URL on another host
    ['file://otherhost/x.db', /DATABASE_URL "file:\/\/otherhost\/x.db" is not a usable file URL/],
    // a broken PostgreSQL URL: the message must not repeat it (it may hold a password)
    ['postgres://u:secret@[broken/app', /^(?!.*secret).*DATABASE_URL is not a valid PostgreSQL URL/],
  ])('%j is refused: %s', (url, message) => {
    expect(() => parseDatabaseUrl(url)).toThrow(message);
  });

  test('describeDatabaseLocation hides a password', () => {
    expect(describeDatabaseLocation({ kind: 'postgres', url: 'postgres://u:secret@db:5432/app' })).toBe('postgres://u:***@db:5432/app');
    expect(describeDatabaseLocation({ kind: 'sqlite', path: 'data/x.db' })).toBe('sqlite:data/x.db');
  });
});

describe('openStore', () => {
  test('opens an in-memory SQLite store, migrated', async () => {
    const store = await openStore(':memory:');
    try {
      expect(store.kind).toBe('sqlite');
      expect(await store.listBreakers()).toEqual([]);
    } finally {
      await store.close();
    }
  });

  test('an unreachable PostgreSQL rejects naming DATABASE_URL, without the password', async () => {
    // port 1 on loopback: nothing listens, the connection is refused at once
    const err: unknown = await openStore('postgres://u:secret@127.0.0.1:1/app', { connectionTimeoutMillis: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^DATABASE_URL postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/app: cannot migrate the database: /);
    expect((err as Error).message).not.toContain('secret');
  });
});
