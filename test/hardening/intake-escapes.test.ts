/**
 * Issue 21, low: what a black-box probe found on the edges of intake and the admin API.
 * A `__proto__` label spelled with a JSON escape is refused like the plain one; corrupt
 * compressed bodies and malformed %-escapes in admin URLs are the client's error (400),
 * never a 500.
 */
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { referenceCluster } from '../helpers/fake-cluster.js';
import { fixture } from '../helpers/fixtures.js';
import { ADMIN, HOOK, buildApp, passingValidator, rowCounts, type HardenedApp } from './helpers.js';

let t: HardenedApp;
beforeAll(async () => {
  t = await buildApp({ cluster: referenceCluster(), validator: passingValidator });
});
afterAll(async () => t.close());

test.each([
  ['"__pro\\u0074o__"'],
  ['"\\u005f\\u005fproto\\u005f\\u005f"'],
  // the plain spelling, for comparison
  ['"__proto__"'],
])('a label key %s (__proto__, escaped or not) is refused with 400, nothing stored', async (key) => {
  const text = fixture('firing-single-QueueDepthHigh').toString('utf8').replace('"alertname":', `${key}:"x","alertname":`);
  expect(text).toContain(key);
  const before = rowCounts(t.dbPath);
  const res = await request(t.app.http).post('/api/v1/alerts').set(HOOK).send(text);
  expect({ status: res.status, error: (res.body as { error?: { code?: string } }).error?.code }).toEqual({ status: 400, error: 'invalid-payload' });
  expect(rowCounts(t.dbPath)).toEqual(before);
});

test.each([
  ['gzip, truncated', 'gzip', () => gzipSync(fixture('firing-single-QueueDepthHigh')).subarray(0, 40)],
  ['gzip, not gzip at all', 'gzip', () => Buffer.from('this is not gzip')],
  ['br, not brotli', 'br', () => Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x12])],
  ['deflate, not deflate', 'deflate', () => Buffer.from('nope')],
])('a corrupt compressed body (%s) is 400, not 500', async (_name, encoding, body) => {
  const before = rowCounts(t.dbPath);
  const res = await request(t.app.http).post('/api/v1/alerts').set({ ...HOOK, 'Content-Encoding': encoding }).send(body());
  expect(res.status).toBe(400);
  expect(rowCounts(t.dbPath)).toEqual(before);
});

test.each([
  ['/api/v1/remediations/%E0%A4%A'],
  ['/api/v1/alerts/%zz'],
  ['/api/v1/breakers/ci%2/reset'],
])('a malformed %%-escape in an admin URL (%s) is 400, not 500', async (path) => {
  const method = path.endsWith('/reset') ? 'post' : 'get';
  const res = await request(t.app.http)[method](path).set(ADMIN);
  expect(res.status).toBe(400);
});
