/**
 * Slack wired into the running app: one coherent thread per remediation, and a
 * Slack outage changes no remediation outcome.
 */
import request from 'supertest';
import { referenceCluster } from '../../helpers/fake-cluster.js';
import { ADMIN_TOKEN, WEBHOOK_TOKEN, buildTestApp, settle, type TestApp } from '../../helpers/app.js';
import { fixture } from '../../helpers/fixtures.js';
import { waitFor } from '../../helpers/binaries.js';
import { SlackStandIn } from '../notify/slack-stand-in.js';

const hook = { Authorization: `Bearer ${WEBHOOK_TOKEN}`, 'Content-Type': 'application/json' };
const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

describe('Slack from the app', () => {
  let slack: SlackStandIn;
  let t: TestApp;
  beforeEach(async () => {
    slack = await SlackStandIn.start();
    t = await buildTestApp({
      cluster: referenceCluster(),
      env: { SLACK_BOT_TOKEN: 'xoxb-test-token-not-real', SLACK_CHANNEL: '#oncall', SLACK_API_URL: slack.url, SLACK_ALLOW_HTTP: 'true', SLACK_MAX_ATTEMPTS: '2' },
    });
  });
  afterEach(async () => {
    await t.close();
    await slack.close();
  });

  test('one thread per remediation: a parent updated in place, each transition a reply in order', async () => {
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(fixture('firing-single-QueueDepthHigh').toString()).expect(202);
    await settle(t.app);
    const [rem] = (await request(t.app.http).get('/api/v1/remediations').set(admin)).body.items;
    expect(rem.phase).toBe('succeeded');
    // created (parent) + applying, validating, succeeded (3 updates and 3 replies)
    await waitFor('the Slack thread', () => Promise.resolve(slack.to('chat.postMessage').length >= 4 && slack.to('chat.update').length >= 3), 5000, 20);
    const posts = slack.to('chat.postMessage');
    const parents = posts.filter((p) => !p.body.thread_ts);
    expect(parents).toHaveLength(1);
    const parentTs = parents[0]!.posted!.ts;
    const replies = posts.filter((p) => p.body.thread_ts);
    expect(replies.every((r) => r.body.thread_ts === parentTs)).toBe(true);
    expect(replies.map((r) => r.body.text)).toEqual([expect.stringMatching(/applying/i), expect.stringMatching(/validating/i), expect.stringMatching(/succeeded/i)]);
    const updates = slack.to('chat.update');
    expect(updates.every((u) => u.body.ts === parentTs)).toBe(true);
    expect(updates.at(-1)!.body.text).toMatch(/succeeded/i);
    expect(parents[0]!.authorization).toBe('Bearer xoxb-test-token-not-real');
    expect(JSON.stringify(parents[0]!.body.blocks)).toContain('ci-failure-agent-consumer');
  });

  test('Slack down (500 on every call): the remediation still succeeds', async () => {
    for (let i = 0; i < 50; i++) slack.script({ status: 500, body: 'down' });
    await request(t.app.http).post('/api/v1/alerts').set(hook).send(fixture('firing-single-QueueDepthHigh').toString()).expect(202);
    await settle(t.app);
    const [rem] = (await request(t.app.http).get('/api/v1/remediations').set(admin)).body.items;
    expect(rem.phase).toBe('succeeded');
    await waitFor('a failed Slack delivery to be counted', async () => /autoremediator_notifications_sent_total\{result="(retry|failed)"\} [1-9]/.test((await request(t.app.http).get('/metrics')).text), 5000, 50);
  });
});
