/**
 * The status page in a real browser (Debian's chromium through playwright-core) on the real
 * demo: `autoremediator sandbox --with-prometheus` as a process (sandbox cluster, real
 * Prometheus and Alertmanager, the load ramp that makes HighPodCPU fire). The browser logs in
 * with the admin token, sees the demo's target, opens its timeline and the remediation, previews
 * a replay, searches the decisions, reads the rules, and resets a breaker by clicking (the
 * request goes through the session cookie and its CSRF token). The webhook token reads nothing.
 * Each view is written to docs/screenshots/*.png (the README shows them).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { openStore } from '../../../src/store/open-store.js';
import { describeWithBrowser, launchChromium } from '../../helpers/browser.js';
import { REPO_ROOT } from '../../helpers/fixtures.js';
import { startCli, type CliProcess } from '../../helpers/process.js';
import { LOOP_BINARIES } from '../loop/harness.js';

const SHOTS = join(REPO_ROOT, 'docs', 'screenshots');
const TARGET = 'ci/deployment/ci-failure-agent';

interface Ready {
  service: string;
  prometheus: string;
  adminToken: string;
  webhookToken: string;
  dataDir: string;
}

describeWithBrowser(LOOP_BINARIES, 'status page in chromium on the demo', () => {
  let dir: string;
  let cli: CliProcess;
  let ready: Ready;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'status-browser-'));
    mkdirSync(SHOTS, { recursive: true });
    cli = startCli(['sandbox', '--with-prometheus', '--port', '0', '--data-dir', dir, '--ready-delay', '1000']);
    ready = JSON.parse((await cli.waitForLine(/^DEMO_READY /, 60_000)).slice('DEMO_READY '.length)) as Ready;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('dialog', (d) => void d.accept());
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    cli?.kill('SIGINT');
    await cli?.exited;
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  test('the webhook token reads nothing: the page, its live parts and the admin API answer 401, and it does not log in', async () => {
    const bearer = { Authorization: `Bearer ${ready.webhookToken}` };
    for (const path of ['/', '/decisions', '/rules', `/targets/${TARGET}`, '/api/v1/remediations', '/api/v1/breakers', '/api/v1/rules']) {
      for (const headers of [bearer, { ...bearer, 'X-Status-Fragment': 'live' }]) {
        const res = await fetch(`${ready.service}${path}`, { headers });
        expect([path, res.status]).toEqual([path, 401]);
        expect(await res.text()).not.toContain('ci-failure-agent');
      }
    }
    const login = await fetch(`${ready.service}/status/login`, { method: 'POST', body: new URLSearchParams({ token: ready.webhookToken }), redirect: 'manual' });
    expect(login.status).toBe(401);
    expect(login.headers.get('set-cookie')).toBeNull();
  });

  test('log in, see the demo target; its timeline fills as the HighPodCPU episode happens', async () => {
    await page.goto(ready.service);
    await page.locator('#token').waitFor();
    await page.screenshot({ path: join(SHOTS, 'login.png') });
    await page.fill('#token', ready.adminToken);
    await page.click('button[type=submit]');
    // The demo ramps the load; the target appears (live, without reloading) once the first decision is made.
    const row = page.locator(`tr[data-target="${TARGET}"]`);
    await row.waitFor({ timeout: 90_000 });
    // The run succeeds (validated through Prometheus), and the page shows it without a reload.
    await row.locator('.badge.phase-succeeded').first().waitFor({ timeout: 60_000 });
    await cli.waitForLine(/^\+\s*[\d.]+s {2}outcome {4}#\w+ succeeded/, 60_000);
    expect(await row.innerText()).toMatch(/5\/5|[3-5]\/[3-5]/);
    expect(await row.innerText()).toMatch(/\d+\.\.20 \(\d+\)/);
    expect(await page.locator('#live-state').innerText()).toMatch(/^live/);
    await page.screenshot({ path: join(SHOTS, 'targets.png'), fullPage: true });

    await row.locator('a.target').click();
    await page.waitForURL(/\/targets\/ci\/deployment\/ci-failure-agent$/);
    await page.locator('figure.timeline canvas').first().waitFor();
    const events = page.locator('table.events');
    await events.getByText('HighPodCPU').first().waitFor();
    expect(await events.innerText()).toMatch(/firing\s+HighPodCPU ci-failure-agent-/);
    expect(await events.innerText()).toMatch(/act\s+cpu-raise-hpa-floor Raise HPA ci-failure-agent of ci\/deployment\/ci-failure-agent: minReplicas 3→5/);
    expect(await events.innerText()).toMatch(/validating\s+raised HPA ci-failure-agent of ci\/deployment\/ci-failure-agent from 3\.\.20 to 5\.\.20/);
    // Validation charts: each check's measurements against its threshold.
    expect(await page.locator('figure.check canvas').count()).toBeGreaterThanOrEqual(3);
    // Let the restore steps come in too (the HPA floor back down toward 3), then take the picture.
    await events.getByText('act (restore)').first().waitFor({ timeout: 60_000 });
    await page.waitForTimeout(2500);
    await page.screenshot({ path: join(SHOTS, 'timeline.png'), fullPage: true });
  }, 240_000);

  test('open the remediation: explanation, before → after, the alert with its generatorURL, validation, a replay preview', async () => {
    await page.locator('tr.lane-decision', { hasText: 'minReplicas 3→5' }).locator('a').first().click();
    await page.waitForURL(/\/remediations\//);
    const live = page.locator('#live');
    await live.getByText('Before → after').waitFor();
    expect(await live.innerText()).toMatch(/minReplicas\s+3\s+→\s+5/);
    expect(await page.locator('a.generator').getAttribute('href')).toMatch(new RegExp(`^${ready.prometheus}/graph\\?g0\\.expr=`));
    expect(await live.innerText()).toMatch(/p99-within-sla\s+[\d.]+\s+[\d.]+\s+below 0\.5/);
    expect(await live.innerText()).toMatch(/validating\s+succeeded\s+validation passed/);
    await page.getByRole('button', { name: /Preview replay/ }).click();
    await page.locator('#replay-result').getByText(/Replay preview/).waitFor();
    expect(await page.locator('#replay-result').innerText()).toMatch(/(act|skip: [a-z-]+) — /);
    await page.screenshot({ path: join(SHOTS, 'remediation.png'), fullPage: true });
  }, 60_000);

  test('decisions: counts by reason, search by alertname and reason', async () => {
    await page.click('nav >> text=Decisions');
    await page.waitForURL(/\/decisions$/);
    await page.fill('input[name=alertname]', 'HighPodCPU');
    await page.click('form.search button[type=submit]');
    await page.waitForURL(/alertname=HighPodCPU/);
    const counts = page.locator('section.counts');
    expect(await counts.innerText()).toMatch(/act\s+\d+/);
    expect(await counts.innerText()).toMatch(/cooldown\s+\d+/);
    await page.screenshot({ path: join(SHOTS, 'decisions.png'), fullPage: true });
    await counts.locator('a', { hasText: 'cooldown' }).click();
    await page.waitForURL(/reason=cooldown/);
    const reasons = await page.locator('table.decisions tbody tr td:nth-child(4)').allInnerTexts();
    expect(reasons.length).toBeGreaterThan(0);
    expect(reasons.every((r) => r.startsWith('cooldown'))).toBe(true);
  }, 60_000);

  test('rules: the serving table, its reload status, and which alerts each rule matched', async () => {
    await page.click('nav >> text=Rules');
    await page.waitForURL(/\/rules$/);
    const row = page.locator('table.rules tr', { hasText: 'cpu-raise-hpa-floor' });
    expect(await row.innerText()).toMatch(/HighPodCPU ×\d+ \(acted \d+\)/);
    expect(await page.locator('section.summary').innerText()).toMatch(/Last reload .* ok/);
    await page.screenshot({ path: join(SHOTS, 'rules.png'), fullPage: true });
  }, 30_000);

  test('a breaker opens; the page shows it live, and a click resets it through the session cookie and its CSRF token', async () => {
    await page.click('nav >> text=Targets');
    await page.waitForURL(`${ready.service}/`);
    // The page's own fetch without the CSRF token is refused, although the cookie goes with it.
    const status = await page.evaluate(async (t) => (await fetch(`/api/v1/breakers/${encodeURIComponent(t)}/reset`, { method: 'POST' })).status, TARGET);
    expect(status).toBe(403);
    // A breaker opened in the service's store (what two rollbacks within BREAKER_WINDOW would do).
    const store = await openStore(`sqlite:${join(ready.dataDir, 'service.db')}`);
    try {
      await store.openBreaker(TARGET, '2 rollbacks within 1h (opened by the browser test)', new Date());
    } finally {
      await store.close();
    }
    const button = page.locator(`tr[data-target="${TARGET}"] button[data-action="reset-breaker"]`);
    await button.waitFor({ timeout: 15_000 }); // a live update: no reload
    await page.screenshot({ path: join(SHOTS, 'targets-breaker-open.png'), fullPage: true });
    await button.click();
    await page.locator('.flash', { hasText: `Breaker of ${TARGET} reset.` }).waitFor();
    await button.waitFor({ state: 'detached', timeout: 10_000 });
    const breakers = (await (await fetch(`${ready.service}/api/v1/breakers`, { headers: { Authorization: `Bearer ${ready.adminToken}` } })).json()) as { items: Array<{ targetKey: string; open: boolean; resetBy: string | null }> };
    expect(breakers.items.find((b) => b.targetKey === TARGET)).toMatchObject({ open: false, resetBy: 'status page' });
  }, 60_000);

  test('log out: the cookie no longer reads the page', async () => {
    await page.click('nav button[type=submit]');
    await page.locator('#token').waitFor();
    const res = await page.evaluate(async () => (await fetch('/rules', { headers: { 'X-Status-Fragment': 'live' } })).status);
    expect(res).toBe(401);
  }, 30_000);
});
