/**
 * The status page over HTTP, on the sandbox (a Kubernetes API over HTTP) and real SQLite:
 * who can read it (the admin token or a session; never the webhook credential), the session
 * cookie's attributes, CSRF on state-changing requests made with the cookie, logout, the
 * views' content, and 304s for an unchanged live view.
 */
import request from 'supertest';
import { fixture } from '../../helpers/fixtures.js';
import { ADMIN_TOKEN, WEBHOOK_TOKEN, buildTestApp, settle, type TestApp } from '../../helpers/app.js';
import { startSandboxCluster, type SandboxCluster } from '../../helpers/sandbox.js';

const hook = { Authorization: `Bearer ${WEBHOOK_TOKEN}`, 'Content-Type': 'application/json' };
const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const TARGET = 'ci/deployment/ci-failure-agent';

async function login(t: TestApp): Promise<{ cookie: string; csrf: string }> {
  const res = await request(t.app.http).post('/status/login').type('form').send({ token: ADMIN_TOKEN }).expect(303);
  expect(res.headers.location).toBe('/');
  const setCookie = (res.headers['set-cookie'] as unknown as string[])[0]!;
  const cookie = setCookie.split(';')[0]!;
  const page = await request(t.app.http).get('/').set('Cookie', cookie).expect(200);
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page.text)![1]!;
  return { cookie, csrf };
}

describe('status page', () => {
  let sandbox: SandboxCluster;
  let t: TestApp;
  beforeEach(async () => {
    sandbox = await startSandboxCluster();
    t = await buildTestApp({ cluster: sandbox.cluster });
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(fixture('firing-group-HighPodCPU-3-alerts').toString()).expect(202);
    await settle(t.app);
  });
  afterEach(async () => {
    await t.close();
    await sandbox.close();
  });

  test('without a credential, or with the webhook one, the page and its data answer 401 with the login form', async () => {
    const basic = `Basic ${Buffer.from(`alertmanager:${WEBHOOK_TOKEN}`).toString('base64')}`;
    for (const path of ['/', `/targets/${TARGET}`, '/decisions', '/rules', '/api/v1/remediations', '/api/v1/breakers']) {
      for (const auth of [undefined, `Bearer ${WEBHOOK_TOKEN}`, basic]) {
        const req = request(t.app.http).get(path).set('X-Status-Fragment', 'live');
        if (auth) req.set('Authorization', auth);
        const res = await req;
        expect([path, auth, res.status]).toEqual([path, auth, 401]);
        expect(res.text).not.toMatch(/ci-failure-agent|HighPodCPU/);
      }
    }
    const form = await request(t.app.http).get('/').expect(401);
    expect(form.text).toMatch(/<form method="post" action="\/status\/login"/);
  });

  test('login with a wrong token (or the webhook token) fails; the admin token sets an HttpOnly, SameSite=Strict session cookie', async () => {
    for (const token of ['nope', WEBHOOK_TOKEN]) {
      const bad = await request(t.app.http).post('/status/login').type('form').send({ token }).expect(401);
      expect(bad.headers['set-cookie']).toBeUndefined();
      expect(bad.text).toMatch(/not the admin token/);
    }
    const res = await request(t.app.http).post('/status/login').type('form').send({ token: ADMIN_TOKEN }).expect(303);
    const c = (res.headers['set-cookie'] as unknown as string[])[0]!;
    expect(c).toMatch(/^autoremediator_session=v1\.[0-9a-z]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    expect(c).not.toContain(ADMIN_TOKEN);
  });

  test('the targets view shows the target with its state read from the cluster, its last run and decision', async () => {
    const { cookie } = await login(t);
    const res = await request(t.app.http).get('/').set('Cookie', cookie).expect(200);
    expect(res.headers['content-security-policy']).toMatch(/script-src 'self'/);
    const row = new RegExp(`<tr data-target="${TARGET}">.*?</tr>`, 's').exec(res.text)![0];
    // The sandbox's HPA floor went 3 → 5 (the rule cpu-raise-hpa-floor); its Deployment follows.
    expect(row).toMatch(/HPA|5\.\.20/);
    expect(row).toMatch(/<td class="num">5\.\.20 \(/);
    expect(row).toMatch(/cpu [0-9m]+\/[0-9m]+ · mem [0-9A-Za-z]+\/[0-9A-Za-z]+/);
    expect(row).toMatch(/badge phase-(validating|succeeded)/);
    expect(row).toMatch(/badge skip">cooldown/);
  });

  test('a POST with the session cookie needs the CSRF token: a breaker reset through the cookie', async () => {
    const { cookie, csrf } = await login(t);
    await t.app.store.openBreaker(TARGET, 'two rollbacks within 1h', new Date());
    await new Promise((r) => setTimeout(r, 1100)); // written to the store behind the API's back: the cached view lives 1 s
    const page = await request(t.app.http).get('/').set('Cookie', cookie).expect(200);
    expect(page.text).toMatch(new RegExp(`data-action="reset-breaker" data-target="${TARGET}"`));
    const path = `/api/v1/breakers/${encodeURIComponent(TARGET)}/reset`;
    const noToken = await request(t.app.http).post(path).set('Cookie', cookie).expect(403);
    expect(noToken.body.error.code).toBe('csrf-required');
    await request(t.app.http).post(path).set('Cookie', cookie).set('X-CSRF-Token', `${csrf.slice(0, -2)}xx`).expect(403);
    expect((await t.app.store.getBreaker(TARGET))?.open).toBe(true);
    const ok = await request(t.app.http).post(path).set('Cookie', cookie).set('X-CSRF-Token', csrf).set('X-Actor', 'status page').expect(200);
    expect(ok.body).toEqual({ target: TARGET, reset: true });
    expect(await t.app.store.getBreaker(TARGET)).toMatchObject({ open: false, resetBy: 'status page' });
  });

  test('logout needs the CSRF token, then the cookie is refused', async () => {
    const { cookie, csrf } = await login(t);
    await request(t.app.http).post('/status/logout').set('Cookie', cookie).type('form').send({ csrf: 'wrong' }).expect(403);
    await request(t.app.http).get('/rules').set('Cookie', cookie).expect(200);
    const out = await request(t.app.http).post('/status/logout').set('Cookie', cookie).type('form').send({ csrf }).expect(303);
    expect((out.headers['set-cookie'] as unknown as string[])[0]).toMatch(/^autoremediator_session=; .*Max-Age=0/);
    await request(t.app.http).get('/rules').set('Cookie', cookie).expect(401);
    await request(t.app.http).get('/api/v1/remediations').set('Cookie', cookie).expect(401);
  });

  test('the live part of a view: ETag, then 304 while nothing changed', async () => {
    const first = await request(t.app.http).get('/decisions').set(admin).set('X-Status-Fragment', 'live').expect(200);
    expect(first.text).not.toMatch(/<html/);
    expect(first.text).toMatch(/badge skip">cooldown<\/span> <b>2<\/b>/);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    await new Promise((r) => setTimeout(r, 1100)); // past the shared view cache: recomputed, same bytes
    await request(t.app.http).get('/decisions').set(admin).set('X-Status-Fragment', 'live').set('If-None-Match', etag).expect(304);
  });

  test('decisions: search by reason and alertname; an unparseable time names the field', async () => {
    const res = await request(t.app.http).get('/decisions?reason=cooldown&alertname=HighPodCPU').set(admin).expect(200);
    expect(res.text.match(/<tr><td><a href="\/remediations\//g)).toHaveLength(2);
    const bad = await request(t.app.http).get('/decisions?since=yesterday').set(admin).expect(400);
    expect(bad.body.error).toMatchObject({ code: 'invalid-query', field: 'since' });
  });

  test('the timeline, the remediation and the rules views', async () => {
    const acts = (await request(t.app.http).get('/api/v1/remediations?outcome=act').set(admin).expect(200)).body.items as Array<{ id: string }>;
    const timeline = await request(t.app.http).get(`/targets/${TARGET}`).set(admin).expect(200);
    expect(timeline.text).toMatch(/<script type="application\/json" data-chart="timeline">/);
    expect(timeline.text).toMatch(/badge alert">firing<\/span> HighPodCPU ci-failure-agent-/);
    const rem = await request(t.app.http).get(`/remediations/${acts[0]!.id}`).set(admin).expect(200);
    expect(rem.text).toMatch(/minReplicas<\/td><td class="num">3<\/td><td>→<\/td><td class="num"><b>5<\/b>/);
    expect(rem.text).toMatch(/class="generator" href="http/);
    expect(rem.text).toMatch(/data-action="replay"/);
    const rules = await request(t.app.http).get('/rules').set(admin).expect(200);
    expect(rules.text).toMatch(/<b>cpu-raise-hpa-floor<\/b>/);
    expect(rules.text).toMatch(/HighPodCPU<\/a> ×3 \(acted 1\)/);
    await request(t.app.http).get('/remediations/nope').set(admin).expect(404);
  });

  test('the assets are served (no credential needed: they hold no data)', async () => {
    for (const f of ['status.js', 'status.css', 'uPlot.iife.min.js', 'uPlot.min.css']) await request(t.app.http).get(`/status/assets/${f}`).expect(200);
    await request(t.app.http).get('/status/assets/..%2Fsession.ts').expect(404);
    await request(t.app.http).get('/status/assets/package.json').expect(404);
  });
});
