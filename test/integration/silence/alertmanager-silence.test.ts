/**
 * Silences while validating, against real Alertmanagers: Debian's prometheus-alertmanager
 * (0.25) and, when built, the current one (test/helpers/components.ts). Two unclustered
 * Alertmanagers stand for an HA pair (a pair does not gossip a silence to a peer that is
 * down, so each gets its own). The silence is active while the run validates and expired
 * when it ends; an Alertmanager that does not answer never blocks the run.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { referenceCluster, type FakeCluster } from '../../helpers/fake-cluster.js';
import { ADMIN_TOKEN, WEBHOOK_TOKEN, buildTestApp, type TestApp } from '../../helpers/app.js';
import { fixture } from '../../helpers/fixtures.js';
import { describeWithBinaries, freePort, startBinary, waitFor, type RunningBinary } from '../../helpers/binaries.js';
import { component, describeWithComponents } from '../../helpers/components.js';
import { SlackStandIn } from '../notify/slack-stand-in.js';
import type { Remediation } from '../../../src/domain/remediation.js';
import type { ValidationOutcome, Validator } from '../../../src/validation/port.js';
import type { SilenceRecord } from '../../../src/silence/silencer.js';

const hook = { Authorization: `Bearer ${WEBHOOK_TOKEN}`, 'Content-Type': 'application/json' };
const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

interface AmSilence {
  id: string;
  status: { state: 'active' | 'pending' | 'expired' };
  matchers: Array<{ name: string; value: string; isRegex: boolean; isEqual?: boolean }>;
  createdBy: string;
  comment: string;
  endsAt: string;
}

function startAlertmanager(bin: string): Promise<RunningBinary> {
  return startBinary(
    bin,
    (dir, port) => [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='],
    { 'alertmanager.yml': 'route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n' },
    '/-/ready',
  );
}

async function silencesOf(am: RunningBinary): Promise<AmSilence[]> {
  const res = await fetch(`${am.url}/api/v2/silences`);
  return (await res.json()) as AmSilence[];
}

function rulesDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rules-'));
  writeFileSync(
    join(dir, 'rules.yaml'),
    `rules:
  - name: queue-add-consumers
    matchers: ['alertname="QueueDepthHigh"']
    target: { apiVersion: apps/v1, kind: Deployment, namespace: "{{ $labels.namespace }}", name: ci-failure-agent-consumer }
    action: { type: scale, minReplicas: 2, maxReplicas: 12, policies: [{ type: Pods, value: 3, periodSeconds: 60 }] }
    validate: { rolloutTimeout: 2m }
    silenceDuringValidation: true
`,
  );
  return dir;
}

/** A validator the test releases: the run stays in `validating` until then. */
function gatedValidator(): { validator: Validator; release: (o: ValidationOutcome['outcome']) => void } {
  let release!: (o: ValidationOutcome['outcome']) => void;
  const gate = new Promise<ValidationOutcome['outcome']>((r) => (release = r));
  return { validator: { validate: async () => ({ outcome: await gate, summary: 'released by the test', details: {} }) }, release };
}

function silenceSuite(bin: () => string): void {
  let ams: RunningBinary[] = [];
  let t: TestApp | undefined;
  let cluster: FakeCluster;
  let slack: SlackStandIn;

  beforeAll(async () => {
    ams = [await startAlertmanager(bin()), await startAlertmanager(bin())];
  }, 60_000);
  afterAll(async () => {
    for (const am of ams) await am.stop();
  });
  beforeEach(async () => {
    cluster = referenceCluster();
    slack = await SlackStandIn.start();
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
    await slack?.close();
  });

  const start = async (urls: string[], validator: Validator): Promise<TestApp> => {
    t = await buildTestApp({ cluster, validator, env: { RULES_DIR: rulesDir(), ALERTMANAGER_URL: urls.join(','), SLACK_WEBHOOK_URL: `${slack.url}/services/T/B/X`, SLACK_ALLOW_HTTP: 'true' } });
    await t.app.start();
    return t;
  };
  const run = async (app: TestApp): Promise<Remediation> => ((await request(app.app.http).get('/api/v1/remediations?limit=1').set(admin)).body.items as Remediation[])[0]!;
  const mine = async (am: RunningBinary, remId: string): Promise<AmSilence | undefined> => (await silencesOf(am)).find((s) => s.comment.includes(remId));

  test.each<[ValidationOutcome['outcome'], string]>([
    ['passed', 'succeeded'],
    ['failed', 'rolled_back'],
  ])('validation %s: the silence is active on each Alertmanager while the run validates, and expired when it ends (%s)', async (outcome, phase) => {
    const gate = gatedValidator();
    const app = await start(
      ams.map((a) => a.url),
      gate.validator,
    );
    await request(app.app.http).post('/api/v1/alerts').set(hook).send(fixture('firing-single-QueueDepthHigh').toString()).expect(202);
    await waitFor('the run to validate', async () => (await run(app))?.phase === 'validating', 10_000);
    const rem = await run(app);

    for (const am of ams) {
      await waitFor(`a silence on ${am.url}`, async () => (await mine(am, rem.id))?.status.state === 'active', 10_000);
      const s = (await mine(am, rem.id))!;
      expect(s.createdBy).toBe('autoremediator');
      expect(s.comment).toBe(`autoremediator: remediation ${rem.id} (rule queue-add-consumers) is validating its action; expired when the run ends.`);
      // the alert's labels as Alertmanager sent them, without the scrape instance
      expect(s.matchers.map((m) => [m.name, m.value, m.isRegex, m.isEqual ?? true]).sort()).toEqual(
        [
          ['alertname', 'QueueDepthHigh'],
          ['cluster', 'e2e-local'],
          ['job', 'ci-failure-agent'],
          ['namespace', 'ci'],
          ['queue', 'ci-failure-events'],
          ['service', 'ci-failure-agent'],
          ['severity', 'warning'],
        ].map(([n, v]) => [n, v, false, true]),
      );
      // the validation window (2m rollout) plus the 5m margin
      const left = Date.parse(s.endsAt) - Date.now();
      expect(left).toBeGreaterThan(6 * 60_000);
      expect(left).toBeLessThanOrEqual(7 * 60_000 + 1000);
    }
    await waitFor('the silence recorded with the run', async () => ((await run(app)).result as { silence?: SilenceRecord }).silence?.created.length === 2, 5000);

    gate.release(outcome);
    await waitFor(`the run to end ${phase}`, async () => (await run(app)).phase === phase, 10_000);
    for (const am of ams) await waitFor(`the silence on ${am.url} expired`, async () => (await mine(am, rem.id))?.status.state === 'expired', 10_000);
    await waitFor('the expiry recorded with the run', async () => ((await run(app)).result as { silence?: SilenceRecord }).silence?.expired?.length === 2, 5000);
    expect(((await run(app)).result as { silence: SilenceRecord }).silence.failures).toEqual([]);
  });

  test('an Alertmanager that does not answer never blocks the run: recorded, announced, the other one still silences', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const gate = gatedValidator();
    const app = await start([ams[0]!.url, dead], gate.validator);
    await request(app.app.http).post('/api/v1/alerts').set(hook).send(fixture('firing-single-QueueDepthHigh').toString()).expect(202);
    await waitFor('the run to validate', async () => (await run(app))?.phase === 'validating', 10_000);
    const rem = await run(app);
    await waitFor('the silence on the live one', async () => (await mine(ams[0]!, rem.id))?.status.state === 'active', 10_000);
    await waitFor('the failure recorded', async () => ((await run(app)).result as { silence?: SilenceRecord }).silence?.failures.length === 1, 5000);
    expect(((await run(app)).result as { silence: SilenceRecord }).silence.failures[0]).toMatchObject({ alertmanager: new URL(dead).host, step: 'create', reason: 'network', detail: 'ECONNREFUSED' });
    await waitFor('the announcement', () => Promise.resolve(slack.requests.some((r) => (r.body.text ?? '').includes(`Could not silence the alert in Alertmanager for remediation ${rem.id}`))), 5000);
    gate.release('passed');
    await waitFor('the run to succeed', async () => (await run(app)).phase === 'succeeded', 10_000);
    await waitFor('the silence expired', async () => (await mine(ams[0]!, rem.id))?.status.state === 'expired', 10_000);
  });
}

describeWithBinaries({ 'prometheus-alertmanager': 'prometheus-alertmanager' }, "silences while validating, Debian's Alertmanager (0.25)", () => {
  silenceSuite(() => 'prometheus-alertmanager');
});

describeWithComponents(['alertmanager'], 'silences while validating, the current Alertmanager', () => {
  silenceSuite(() => component('alertmanager')!);
});
