/** The status page's HTML: values escaped, buttons by phase (approve/deny only for a run awaiting approval). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Remediation } from '../../../src/domain/remediation.js';
import { esc, remediationLive, targetHref, timelineLive } from '../../../src/http/status/render.js';
import { REPO_ROOT } from '../../helpers/fixtures.js';

const run = JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'status', 'remediation-hpa-succeeded.json'), 'utf8')) as Remediation;
const live = (rem: Remediation, breakerOpen = false) =>
  remediationLive({ rem, alert: null, rule: null, breaker: breakerOpen ? { targetKey: rem.targetKey!, open: true, reason: 'r', openedAt: new Date(), resetAt: null, resetBy: null } : null, series: [] });

test('esc escapes what could end an attribute or start a tag', () => {
  expect(esc(`<script>alert("x")</script>&'`)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
});

test.each([
  ['succeeded: roll back', 'succeeded', false, ['rollback'], ['approve', 'deny', 'reset-breaker']],
  ['succeeded with the breaker open: roll back, reset', 'succeeded', true, ['rollback', 'reset-breaker'], ['approve']],
  ['validating: nothing yet', 'validating', false, [], ['rollback', 'approve']],
  ['rolled back: nothing', 'rolled_back', false, [], ['rollback', 'approve']],
  ['awaiting approval: approve, deny (with a reason field)', 'awaiting_approval', false, ['approve', 'deny'], ['rollback']],
])('%s', (_n, phase, breaker, present, absent) => {
  const html = live({ ...run, phase: phase as Remediation['phase'] }, breaker);
  for (const a of present) expect(html).toContain(`data-action="${a}"`);
  for (const a of absent) expect(html).not.toContain(`data-action="${a}"`);
  if (phase === 'awaiting_approval') expect(html).toContain(`data-reason-for="${run.id}"`);
});

test('an explanation or a label cannot inject markup; chart data cannot end its script element', () => {
  const evil = '</script><img src=x onerror=alert(1)>';
  const rem = { ...run, decision: { ...run.decision, explanation: evil } };
  expect(live(rem)).not.toContain('<img');
  const html = timelineLive({
    key: 'ci/deployment/x',
    readings: [],
    spans: [{ fingerprint: 'f', alertname: evil, subject: evil, start: 1, end: 2, generatorURL: 'javascript:alert(1)" onclick="x' }],
    runs: [],
    decisions: [rem],
    checks: [],
    breaker: null,
  });
  expect(html).not.toContain('<img');
  expect(html).not.toContain('" onclick="x');
  expect(html).not.toContain('javascript:');
  expect(html.match(/<\/script>/g)).toHaveLength(1);
});

test.each([
  ['http://prometheus:9090/graph?g0.expr=up', true],
  ['HTTPS://grafana.example.com/d/x', true],
  ['javascript:alert(1)', false],
  [' javascript:alert(1)', false],
  ['data:text/html,x', false],
  ['', false],
])('safeUrl(%s): a link? %s', async (u, ok) => {
  const { safeUrl } = await import('../../../src/http/status/render.js');
  expect(safeUrl(u)).toBe(ok ? u : null);
});

test('target links keep each segment of the key', () => {
  expect(targetHref('ci/deployment/api')).toBe('/targets/ci/deployment/api');
  expect(targetHref('ci/cluster.postgresql.cnpg.io/db')).toBe('/targets/ci/cluster.postgresql.cnpg.io/db');
});
