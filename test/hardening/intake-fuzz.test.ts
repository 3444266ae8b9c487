/**
 * Intake fuzzing: the captured Alertmanager bodies (byte for byte) mutated at random,
 * posted through the real HTTP stack into the real SQLite store. Whatever comes in:
 * the answer is 2xx or 4xx (never 5xx: the queue is large enough here), the app keeps
 * answering /healthz, nothing pollutes Object.prototype, a 4xx leaves the store exactly
 * as it was, and a 202 means every alert of the body is stored as sent.
 */
import fc from 'fast-check';
import request from 'supertest';
import type { Server } from 'node:http';
import { fixture, fixtureNames } from '../helpers/fixtures.js';
import { referenceCluster } from '../helpers/fake-cluster.js';
import { ADMIN, HOOK, buildApp, passingValidator, quiesce, rowCounts, type HardenedApp } from './helpers.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = Array<string | number>;

const FIXTURES = fixtureNames();

// ---------- mutation machinery (plain data in, plain data out) ----------

function allPaths(v: Json, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => allPaths(x, [...prefix, i], out));
  else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) allPaths(v[k]!, [...prefix, k], out);
  return out;
}

function getAt(root: Json, path: Path): Json {
  let v: Json = root;
  for (const p of path) v = (v as Record<string | number, Json>)[p]!;
  return v;
}

/** Sets an own property even for `__proto__`, as JSON.parse would create it. */
function define(obj: Record<string, Json>, key: string, value: Json): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function setAt(root: Json, path: Path, value: Json): Json {
  if (path.length === 0) return value;
  const parent = getAt(root, path.slice(0, -1));
  const key = path[path.length - 1]!;
  if (Array.isArray(parent)) parent[key as number] = value;
  else define(parent as Record<string, Json>, String(key), value);
  return root;
}

function deleteAt(root: Json, path: Path): Json {
  if (path.length === 0) return null;
  const parent = getAt(root, path.slice(0, -1));
  const key = path[path.length - 1]!;
  if (Array.isArray(parent)) parent.splice(key as number, 1);
  else delete (parent as Record<string, Json>)[String(key)];
  return root;
}

/** The same value with its JSON type changed: where a string belongs, a number, and so on. */
function retype(v: Json): Json {
  if (typeof v === 'string') return v.length > 0 && !Number.isNaN(Number(v)) ? Number(v) : v.length;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return String(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return Object.fromEntries(v.map((x, i) => [String(i), x]));
  return Object.values(v);
}

type Op =
  | { op: 'delete'; at: number }
  | { op: 'replace'; at: number; value: Json }
  | { op: 'add'; at: number; key: string; value: Json }
  | { op: 'retype'; at: number };

function applyOps(body: Json, ops: Op[]): Json {
  let root = body;
  for (const o of ops) {
    const paths = allPaths(root);
    const path = paths[o.at % paths.length]!;
    if (o.op === 'delete') root = deleteAt(root, path);
    else if (o.op === 'replace') root = setAt(root, path, o.value);
    else if (o.op === 'retype') root = setAt(root, path, retype(getAt(root, path)));
    else {
      const target = getAt(root, path);
      if (Array.isArray(target)) target.push(o.value);
      else if (target !== null && typeof target === 'object') define(target, o.key, o.value);
      else root = setAt(root, path, o.value);
    }
  }
  return root;
}

const parsedFixture = (name: string): Json => JSON.parse(fixture(name).toString('utf8')) as Json;

// ---------- arbitraries ----------

/** Code units people rarely test with: NUL, lone surrogates, look-alikes, bidi controls, astral characters. */
const nastyChar = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  fc.constantFrom('\u0000', '\u202e', '\u200b', '\ufeff', 'с', 'і', 'ο', '\uffff', '\ud83d\ude00', '"', '\\', '\n', '/', '..', '{{', '}}'),
);
const nastyString = fc.string({ unit: nastyChar, maxLength: 40 });

const specialValue: fc.Arbitrary<Json> = fc.constantFrom<Json>(
  '',
  '4',
  'firing',
  'resolved',
  '0001-01-01T00:00:00Z',
  'not-a-time',
  'ffffffffffffffff',
  '0123456789ABCDEF',
  -1,
  0,
  1.5,
  1e308,
  true,
  [],
  {},
  null,
);
const anyValue: fc.Arbitrary<Json> = fc.oneof(fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>, specialValue, nastyString);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('replace' as const), at: fc.nat(), value: anyValue }),
  fc.record({ op: fc.constant('add' as const), at: fc.nat(), key: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'alertname', 'version')), value: anyValue }),
  fc.record({ op: fc.constant('retype' as const), at: fc.nat() }),
);

// ---------- the property ----------

let t: HardenedApp;
let server: Server;

beforeAll(async () => {
  // QUEUE_CAPACITY far above what the fuzzing posts: any 503 here would be a defect.
  // A 1 MiB limit (the default is 16 MiB), so that the 413 side is fuzzed too.
  t = await buildApp({ cluster: referenceCluster(), validator: passingValidator, env: { QUEUE_CAPACITY: '1000000', MAX_BODY_BYTES: String(1024 * 1024) } });
  server = t.server();
});
afterAll(async () => t.close());

function postBytes(body: Buffer | string): request.Test {
  // An identity serializer: the bytes go out exactly as given (superagent would JSON-encode a Buffer).
  return request(server).post('/api/v1/alerts').set(HOOK).serialize((b: unknown) => b as string).send(typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
}

interface SentAlert {
  labels: Record<string, unknown>;
  annotations: Record<string, unknown>;
  fingerprint: unknown;
  status: unknown;
}

/** Own entries in order, `__proto__` included (Object.entries sees own keys only). */
const entries = (o: unknown): Array<[string, unknown]> => (o && typeof o === 'object' ? Object.entries(o) : []);

/** Post one body and check the whole property; returns the status. */
async function postAndCheck(bytes: Buffer): Promise<number> {
  const before = rowCounts(t.dbPath);
  const res = await postBytes(bytes);
  const where = `status ${res.status}, body ${JSON.stringify(res.body).slice(0, 300)}; sent ${bytes.toString('utf8').slice(0, 300)}`;
  if (!(res.status === 202 || (res.status >= 400 && res.status < 500))) throw new Error(`not 202 or 4xx: ${where}`);
  const after = rowCounts(t.dbPath);
  if (res.status === 202) {
    // What the server saw: the bytes decoded as UTF-8 (invalid sequences become U+FFFD), then JSON.parse.
    const sent = JSON.parse(bytes.toString('utf8')) as { alerts: SentAlert[] };
    const answered = (res.body as { alerts: Array<{ id: string }> }).alerts;
    expect({ answered: answered.length, where }).toEqual({ answered: sent.alerts.length, where });
    expect({ notifications: after.notifications - before.notifications, alerts: after.alerts - before.alerts }).toEqual({ notifications: 1, alerts: sent.alerts.length });
    for (const [i, a] of answered.entries()) {
      const stored = await t.app.store.getAlert(a.id);
      const want = sent.alerts[i]!;
      // A duplicate (same fingerprint, startsAt and status as an alert stored before) is a narrow
      // row: it shows its first copy's labels and annotations (README: retention and duplicates),
      // which are what was decided on; a first copy keeps exactly what was sent.
      const first = stored?.duplicateOf ? await t.app.store.getAlert(stored.duplicateOf) : null;
      expect({ labels: entries(stored?.labels), annotations: entries(stored?.annotations), fingerprint: stored?.fingerprint, status: stored?.status }).toEqual({
        labels: entries(first ? first.labels : want.labels),
        annotations: entries(first ? first.annotations : want.annotations),
        fingerprint: want.fingerprint,
        status: want.status,
      });
    }
  } else {
    expect({ ...after, remediations: 0 }).toEqual({ ...before, remediations: 0 });
    expect(res.body).toEqual({ error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }) });
  }
  expect(Object.keys(Object.prototype)).toEqual([]);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  const health = await request(server).get('/healthz');
  expect(health.status).toBe(200);
  return res.status;
}

const RUNS = { numRuns: 120 };

describe('intake fuzzing: mutated captured bodies', () => {
  test('every captured body, unchanged, is accepted whole', async () => {
    for (const name of FIXTURES) expect(await postAndCheck(fixture(name))).toBe(202);
  });

  test('missing, extra, replaced and re-typed fields: 202 with every alert stored, or 4xx with nothing stored', async () => {
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FIXTURES), fc.array(opArb, { minLength: 1, maxLength: 4 }), async (name, ops) => {
        statuses.add(await postAndCheck(Buffer.from(JSON.stringify(applyOps(parsedFixture(name), ops)), 'utf8')));
      }),
      RUNS,
    );
    // The generator reached both sides of the property.
    expect([...statuses].some((s) => s === 202) && [...statuses].some((s) => s >= 400)).toBe(true);
  });

  test('unicode in labels, annotations and free-text fields (NUL, lone surrogates, look-alikes, bidi)', async () => {
    const field = fc.constantFrom('label-value', 'label-name', 'annotation-value', 'receiver', 'groupKey', 'generatorURL', 'externalURL');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FIXTURES), field, fc.nat(), nastyString, fc.string({ maxLength: 8 }), async (name, where, which, value, suffix) => {
        const body = parsedFixture(name) as { alerts: Array<Record<string, Record<string, string> | string>> } & Record<string, unknown>;
        const alert = body.alerts[which % body.alerts.length]!;
        const labels = alert.labels as Record<string, string>;
        if (where === 'label-value') labels[Object.keys(labels)[which % Object.keys(labels).length]!] = value + suffix;
        else if (where === 'label-name') define(labels, value + suffix, 'x');
        else if (where === 'annotation-value') (alert.annotations as Record<string, string>).summary = value;
        else if (where === 'generatorURL') alert.generatorURL = value;
        else body[where] = value;
        await postAndCheck(Buffer.from(JSON.stringify(body), 'utf8'));
      }),
      RUNS,
    );
  });

  test('raw byte edits (invalid UTF-8, truncation, stray bytes)', async () => {
    const edit = fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), kind: fc.constantFrom('set', 'insert', 'delete') });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FIXTURES), fc.array(edit, { minLength: 1, maxLength: 5 }), async (name, edits) => {
        const bytes = [...fixture(name)];
        for (const e of edits) {
          const i = e.at % (bytes.length + 1);
          if (e.kind === 'set' && i < bytes.length) bytes[i] = e.byte;
          else if (e.kind === 'insert') bytes.splice(i, 0, e.byte);
          else bytes.splice(i, 1);
        }
        await postAndCheck(Buffer.from(bytes));
      }),
      RUNS,
    );
  });

  test('duplicate keys: the last one wins, as JSON.parse reads them, and nothing half-stored', async () => {
    const dupable = ['status', 'receiver', 'version', 'alerts', 'groupKey', 'truncatedAlerts'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FIXTURES), fc.constantFrom(...dupable), anyValue, fc.boolean(), async (name, key, value, extraFirst) => {
        const text = fixture(name).toString('utf8').trimEnd();
        // Insert `"key": value` as the first member (the original, later, wins) or the last (it wins).
        const member = `${JSON.stringify(key)}:${JSON.stringify(value)}`;
        const body = extraFirst ? `{${member},${text.slice(1)}` : `${text.slice(0, -1)},${member}}`;
        await postAndCheck(Buffer.from(body, 'utf8'));
      }),
      { numRuns: 60 },
    );
  });

  test.each([
    [['__proto__']],
    [['constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__']],
  ])('prototype-pollution keys %j anywhere: no pollution, and a 202 keeps every label as sent', async (keys) => {
    const place = fc.constantFrom('top', 'alert', 'labels', 'annotations', 'groupLabels', 'commonLabels');
    const value: fc.Arbitrary<Json> = fc.oneof(fc.constantFrom<Json>('x', 'yes', 5, { polluted: 'yes' }, ['polluted'], null), nastyString);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FIXTURES), place, fc.constantFrom(...keys), value, async (name, where, key, v) => {
        const body = parsedFixture(name) as Record<string, Json> & { alerts: Array<Record<string, Json>> };
        const alert = body.alerts[0]!;
        const target = where === 'top' ? body : where === 'alert' ? alert : where === 'labels' || where === 'annotations' ? (alert[where] as Record<string, Json>) : (body[where] as Record<string, Json>);
        define(target, key, v);
        await postAndCheck(Buffer.from(JSON.stringify(body), 'utf8'));
      }),
      { numRuns: 60 },
    );
  });

  test('huge label values: under MAX_BODY_BYTES stored whole (or refused as a whole), over it 413', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...FIXTURES),
        fc.integer({ min: 100_000, max: 1_200_000 }),
        fc.constantFrom('a', '\u0000', 'é', '\ud800', '\ud83d\ude00'),
        async (name, length, ch) => {
          const body = parsedFixture(name) as { alerts: Array<{ labels: Record<string, string> }> };
          body.alerts[0]!.labels.huge = ch.repeat(Math.ceil(length / ch.length));
          const bytes = Buffer.from(JSON.stringify(body), 'utf8');
          const status = await postAndCheck(bytes);
          // NUL and a lone surrogate may be refused (400) as unstorable text; everything else under the limit is stored.
          const refusable = ch === '\u0000' || ch === '\ud800';
          if (bytes.length > 1024 * 1024) expect(status).toBe(413);
          else if (refusable) expect([202, 400]).toContain(status);
          else expect(status).toBe(202);
        },
      ),
      { numRuns: 12 },
    );
  });

  test.each<[string, (depth: number) => string, (nested: string, body: string) => string, number]>([
    // an unknown top-level field is allowed (newer Alertmanagers add fields): accepted, stored raw
    ['array as an extra top-level field', (d) => '['.repeat(d) + ']'.repeat(d), (n, b) => `${b.slice(0, -1)},"extra":${n}}`, 202],
    ['object as an extra alert field', (d) => '{"a":'.repeat(d) + '1' + '}'.repeat(d), (n, b) => b.replace('"status":"firing","labels"', `"status":"firing","deep":${n},"labels"`), 202],
    // nesting where a string belongs is a type error
    ['array as a label value', (d) => '['.repeat(d) + ']'.repeat(d), (n, b) => b.replace('"severity":"warning"', `"severity":${n}`), 400],
    ['object as the labels', (d) => '{"a":'.repeat(d) + '"x"' + '}'.repeat(d), (n, b) => b.replace(/"labels":\{[^}]*\}/, `"labels":${n}`), 400],
  ])('deep nesting (%s, depth 100 000)', async (_name, nested, place, status) => {
    const body = place(nested(100_000), fixture('firing-single-QueueDepthHigh').toString('utf8').trimEnd());
    expect(await postAndCheck(Buffer.from(body, 'utf8'))).toBe(status);
  });

  test.each([
    'receiver',
    'status',
    'groupKey',
    'externalURL',
    'alerts[0].status',
    'alerts[0].labels.namespace',
    'alerts[0].annotations.summary',
    'alerts[0].startsAt',
    'alerts[0].endsAt',
    'alerts[0].generatorURL',
    'alerts[0].fingerprint',
    'groupLabels.alertname',
    'commonLabels.alertname',
    'commonAnnotations.summary',
  ])('a number where a string belongs (%s) is 400, nothing stored', async (path) => {
    const body = parsedFixture('firing-single-QueueDepthHigh');
    const parts: Path = path.split(/\.|\[|\]\.?/).filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    setAt(body, parts, 42);
    expect(await postAndCheck(Buffer.from(JSON.stringify(body), 'utf8'))).toBe(400);
  });

  test('a label named __proto__ is either refused (400) or stored with the alert; never accepted and dropped', async () => {
    for (const value of ['x', 5]) {
      const body = parsedFixture('firing-single-QueueDepthHigh') as { alerts: Array<{ labels: Record<string, Json>; fingerprint: string }> };
      define(body.alerts[0]!.labels, '__proto__', value);
      body.alerts[0]!.fingerprint = 'abcdefabcdef0001';
      // postAndCheck compares own entries, so a dropped label fails it; a number must be 400 like any other label.
      const status = await postAndCheck(Buffer.from(JSON.stringify(body), 'utf8'));
      if (typeof value === 'number') expect(status).toBe(400);
    }
  });

  test('after the fuzzing: every accepted first delivery was decided (no decision failed on odd input)', async () => {
    await quiesce(t.app, 20_000);
    expect((await t.app.store.listUndecidedAlerts(1000)).map((a) => ({ id: a.id, labels: a.labels }))).toEqual([]);
    expect((await request(server).get('/readyz')).status).toBe(200);
  });
});

describe('admin replay of odd payloads', () => {
  test.each<[string, () => string]>([
    // a payload nested 100 000 deep: body-parser reads it; the replay must answer 4xx, not fail inside
    ['nested 100 000 deep', () => '['.repeat(100_000) + ']'.repeat(100_000)],
    ['a number', () => '42'],
    [
      'a captured body with a number label',
      () => {
        const b = parsedFixture('firing-single-QueueDepthHigh') as { alerts: Array<{ labels: Record<string, Json> }> };
        b.alerts[0]!.labels.severity = 3;
        return JSON.stringify(b);
      },
    ],
  ])('replay of %s → 4xx, not 5xx', async (_name, payload) => {
    const res = await request(server).post('/api/v1/replay').set({ ...ADMIN, 'Content-Type': 'application/json' }).send(`{"payload":${payload()}}`);
    expect({ status: res.status, body: res.body as unknown }).toEqual({ status: 400, body: { error: expect.objectContaining({ code: expect.any(String) }) } });
  });
});

describe('10 000 alerts in one notification', () => {
  let big: HardenedApp;
  beforeAll(async () => {
    big = await buildApp({ cluster: referenceCluster(), validator: passingValidator, env: { MAX_BODY_BYTES: String(16 * 1024 * 1024), CONCURRENT_REMEDIATIONS: '16' } });
  });
  afterAll(async () => big.close());

  const many = (n: number): string => {
    const alerts = Array.from({ length: n }, (_, i) => ({
      status: 'firing',
      labels: { alertname: 'HardeningNoRuleMatches', instance: `10.0.${i >> 8}.${i & 255}:9100`, job: 'node' },
      annotations: { summary: `alert ${i}` },
      startsAt: '2026-11-28T10:00:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://127.0.0.1:9090/graph',
      fingerprint: i.toString(16).padStart(16, '0'),
    }));
    return JSON.stringify({ receiver: 'r', status: 'firing', alerts, groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://127.0.0.1:9093', version: '4', groupKey: '{}:{}', truncatedAlerts: 0 });
  };

  test('MAX_ALERTS_PER_NOTIFICATION (10 000) + 1 → 400, nothing stored; exactly 10 000 → 202, all stored, all decided', async () => {
    const over = await request(big.server()).post('/api/v1/alerts').set(HOOK).send(many(10_001));
    expect(over.status).toBe(400);
    expect(over.body.error.message).toMatch(/MAX_ALERTS_PER_NOTIFICATION/);
    expect(rowCounts(big.dbPath)).toMatchObject({ notifications: 0, alerts: 0 });

    const res = await request(big.server()).post('/api/v1/alerts').set(HOOK).send(many(10_000));
    expect(res.status).toBe(202);
    expect(res.body.accepted).toBe(10_000);
    expect(rowCounts(big.dbPath)).toMatchObject({ notifications: 1, alerts: 10_000 });
    await quiesce(big.app, 60_000);
    expect(await big.app.store.listUndecidedAlerts(10)).toEqual([]);
    expect(rowCounts(big.dbPath).remediations).toBe(10_000);
  }, 90_000);
});
