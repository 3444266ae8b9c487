/**
 * The contract of the validator port (validation/port.ts Validator) as the driver relies on
 * it, with what stands behind it: the target's rollout and a metrics source. Run on
 * ClusterValidator over the real KubeCluster on the sandbox and PrometheusSource on a real
 * Prometheus (validator-real.test.ts), and over the FakeCluster and ScriptedMetrics the
 * driver's tests use (validator-fake.test.ts): the same rule and the same world give the same
 * verdict on both, or the fakes lie.
 *
 * Never rejects; a rollout that is not ready in time fails; a check over its threshold fails,
 * under it passes (the measured value recorded); a query without data is inconclusive (errors
 * are measurements); the baseline is each check's value just before the action.
 */
import type { ActDecision } from '../../src/domain/decision.js';
import type { Remediation } from '../../src/domain/remediation.js';
import { targetKey, type TargetRef } from '../../src/domain/target.js';
import type { Rule } from '../../src/rule-table/rule.js';
import { ruleSchema } from '../../src/rule-table/schema.js';
import type { ValidationOutcome, Validator } from '../../src/validation/port.js';

export interface ValidatorHarness {
  validator: Validator;
  /** A Deployment that is rolled out and ready. */
  readyTarget(): Promise<TargetRef>;
  /** A Deployment whose pods never become ready. */
  stuckTarget(): Promise<TargetRef>;
  /** Make the gauge `contract_p99_seconds{namespace="ci"}` read `value`; resolves once the validator's source answers it. */
  setP99(value: number): Promise<void>;
  close(): Promise<void>;
}

const P99 = 'contract_p99_seconds{namespace="{{ $labels.namespace }}"}';

function rule(validate: Record<string, unknown>): Rule {
  const spec = ruleSchema.parse({
    name: 'contract-validate',
    matchers: ['alertname="HighLatency"'],
    target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: 'x' },
    action: { type: 'scale', maxReplicas: 10 },
    validate,
  });
  return { ...spec, source: { file: 'contract.yaml', index: 0 }, compiled: [] };
}

/** A run in `validating` for this target, as the driver hands it over. */
function run(target: TargetRef, baseline: Record<string, unknown> = {}): Remediation {
  const decision: ActDecision = { outcome: 'act', rule: 'contract-validate', target, action: 'scale', before: { replicas: 1 }, after: { replicas: 1 }, explanation: 'contract', facts: {} };
  const at = new Date();
  return {
    id: `contract-${Math.random().toString(36).slice(2)}`,
    alertId: null,
    rule: 'contract-validate',
    targetKey: targetKey(target),
    target,
    namespace: target.namespace,
    phase: 'validating',
    decision,
    snapshot: { replicas: 1 },
    result: { baseline },
    dryRun: false,
    origin: 'alert',
    createdAt: at,
    updatedAt: at,
    transitions: [],
  };
}

async function settled(p: Promise<ValidationOutcome>): Promise<ValidationOutcome> {
  await expect(p).resolves.toBeDefined();
  return p;
}

export function runValidatorContract(name: string, makeHarness: () => Promise<ValidatorHarness>): void {
  describe(`validator contract: ${name}`, () => {
    let h: ValidatorHarness;
    beforeAll(async () => {
      h = await makeHarness();
    }, 60_000);
    afterAll(async () => h?.close());
    const alert = { labels: { alertname: 'HighLatency', namespace: 'ci' }, annotations: {} };

    test('a ready rollout and no checks: passed', async () => {
      const r = rule({ rolloutTimeout: '10s' });
      const out = await settled(h.validator.validate(run(await h.readyTarget()), r, r.action));
      expect(out).toMatchObject({ outcome: 'passed', details: { rollout: { state: 'done' } } });
    });

    test('a rollout that is not ready in time: failed, saying so', async () => {
      const r = rule({ rolloutTimeout: '1s' });
      const out = await settled(h.validator.validate(run(await h.stuckTarget()), r, r.action));
      expect(out.outcome).toBe('failed');
      expect(out.summary).toMatch(/^rollout not ready: timed out after 1000 ms/);
    });

    test('a check under its threshold passes, over it fails; the measured value is recorded', async () => {
      const r = rule({ rolloutTimeout: '10s', checks: [{ name: 'p99', query: P99, below: 0.5, interval: '50ms', count: 2 }] });
      const target = await h.readyTarget();
      await h.setP99(0.2);
      const baseline = await h.validator.baseline!(r, alert);
      expect(baseline).toMatchObject({ p99: { query: 'contract_p99_seconds{namespace="ci"}', value: 0.2, error: null } });
      const good = await settled(h.validator.validate(run(target, baseline), r, r.action));
      expect(good).toMatchObject({ outcome: 'passed', details: { checks: { p99: { phase: 'Successful', after: 0.2 } } } });
      await h.setP99(0.9);
      const bad = await settled(h.validator.validate(run(target, baseline), r, r.action));
      expect(bad.outcome).toBe('failed');
      expect(bad.summary).toMatch(/p99: Failed \(after 0\.9, baseline 0\.2\)/);
    });

    test('a check relative to the baseline: worse than the factor allows fails', async () => {
      const r = rule({ rolloutTimeout: '10s', checks: [{ name: 'p99', query: P99, belowBaseline: 1.5, interval: '50ms', count: 1 }] });
      const target = await h.readyTarget();
      await h.setP99(0.2);
      const baseline = await h.validator.baseline!(r, alert);
      await h.setP99(0.4);
      const out = await settled(h.validator.validate(run(target, baseline), r, r.action));
      expect(out).toMatchObject({ outcome: 'failed', details: { checks: { p99: { baseline: 0.2, after: 0.4 } } } });
    });

    test('a query without data: inconclusive, never an exception', async () => {
      const r = rule({ rolloutTimeout: '10s', checks: [{ name: 'gone', query: 'contract_absent_metric{namespace="{{ $labels.namespace }}"}', below: 1, interval: '50ms', count: 1, consecutiveErrorLimit: 1 }] });
      const target = await h.readyTarget();
      const baseline = await h.validator.baseline!(r, alert);
      expect(baseline).toMatchObject({ gone: { value: null, error: expect.stringMatching(/no data/) } });
      const out = await settled(h.validator.validate(run(target, baseline), r, r.action));
      expect(out.outcome).toBe('inconclusive');
    });
  });
}
