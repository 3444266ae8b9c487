/** Remediations and the events the runner emits for them, built the way runner.ts builds them. */
import type { ActDecision, SkipDecision, SkipReason } from '../../../src/domain/decision.js';
import type { Phase, Remediation } from '../../../src/domain/remediation.js';
import type { Rule } from '../../../src/rule-table/rule.js';
import type { RemediationEvent } from '../../../src/domain/remediation.js';
import { ruleSchema } from '../../../src/rule-table/schema.js';

export const T0 = new Date('2026-11-28T12:00:00Z');

export const TARGET = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: 'ci-failure-agent-consumer' };
export const TARGET_KEY = 'ci/deployment/ci-failure-agent-consumer';

export function rule(overrides: Record<string, unknown> = {}): Rule {
  const spec = ruleSchema.parse({
    name: 'queue-add-consumers',
    matchers: ['alertname="QueueDepthHigh"', 'severity=~"warning|critical"'],
    target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: '{{ $labels.namespace }}', name: '{{ $labels.deployment }}-consumer' },
    action: { type: 'scale', minReplicas: 2, maxReplicas: 12 },
    ...overrides,
  });
  return { ...spec, source: { file: 'rules/test.yaml', index: 0 }, compiled: [] };
}

export function actDecision(over: Partial<ActDecision> = {}): ActDecision {
  return {
    outcome: 'act',
    rule: 'queue-add-consumers',
    target: TARGET,
    action: 'scale',
    before: { replicas: 2 },
    after: { replicas: 4 },
    explanation: 'Scale ci/deployment/ci-failure-agent-consumer from 2 to 4 replicas: QueueDepthHigh is firing (Pods policy allows +2 per 120s).',
    facts: { currentReplicas: 2 },
    ...over,
  };
}

export function skipDecision(reason: SkipReason, over: Partial<SkipDecision> = {}): SkipDecision {
  return {
    outcome: 'skip',
    reason,
    rule: 'queue-add-consumers',
    target: TARGET,
    action: 'scale',
    explanation: `Did not scale ci/deployment/ci-failure-agent-consumer: ${reason}.`,
    facts: {},
    ...over,
  };
}

export function remediation(over: Partial<Remediation> = {}): Remediation {
  const decision = over.decision ?? actDecision();
  return {
    id: 'rem-1',
    alertId: 'alert-1',
    rule: decision.rule,
    targetKey: decision.target ? TARGET_KEY : null,
    target: decision.target,
    namespace: decision.target?.namespace ?? null,
    phase: decision.outcome === 'act' ? 'planned' : 'skipped',
    decision,
    snapshot: null,
    result: null,
    dryRun: false,
    origin: 'alert',
    createdAt: T0,
    updatedAt: T0,
    transitions: [],
    ...over,
  };
}

/** The creation event of a remediation, as Runner.created emits it. */
export function created(rem: Remediation): RemediationEvent {
  return { remediation: rem, from: null, to: rem.phase, note: rem.decision.explanation };
}

export const BASELINE = { queue_depth: { query: 'sum(kafka_lag)', value: 1520, error: null, at: T0.toISOString() } };
export const VALIDATION_PASSED = {
  outcome: 'passed',
  summary: 'validation passed: queue_depth: Successful (after 310, baseline 1520)',
  rollout: { state: 'done', message: 'deployment "ci-failure-agent-consumer" successfully rolled out', waitedMs: 1200 },
  checks: { queue_depth: { name: 'queue_depth', query: 'sum(kafka_lag)', phase: 'Successful', baseline: 1520, after: 310.123456, measurements: [] } },
};
export const VALIDATION_FAILED = {
  outcome: 'failed',
  summary: 'validation failed: queue_depth: Failed (after 1900, baseline 1520)',
  checks: { queue_depth: { name: 'queue_depth', query: 'sum(kafka_lag)', phase: 'Failed', baseline: 1520, after: 1900, measurements: [] } },
};

type Step = { to: Phase; note: string; result?: Record<string, unknown> };

const STORIES: Record<'succeeded' | 'rolled_back' | 'apply_failed', Step[]> = {
  succeeded: [
    { to: 'applying', note: 'Scale from 2 to 4 replicas', result: { baseline: BASELINE } },
    { to: 'validating', note: 'scaled to 4 replicas', result: { apply: { ok: true, detail: 'scaled to 4 replicas', applied: { replicas: 4 } } } },
    { to: 'succeeded', note: VALIDATION_PASSED.summary, result: { validation: VALIDATION_PASSED } },
  ],
  rolled_back: [
    { to: 'applying', note: 'Scale from 2 to 4 replicas', result: { baseline: BASELINE } },
    { to: 'validating', note: 'scaled to 4 replicas', result: { apply: { ok: true, detail: 'scaled to 4 replicas' } } },
    { to: 'rolling_back', note: VALIDATION_FAILED.summary, result: { validation: VALIDATION_FAILED } },
    { to: 'rolled_back', note: 'restored 2 replicas', result: { rollback: { ok: true, detail: 'restored 2 replicas' } } },
  ],
  apply_failed: [
    { to: 'applying', note: 'Scale from 2 to 4 replicas', result: { baseline: {} } },
    { to: 'failed', note: 'apply failed (conflict): resourceVersion changed', result: { apply: { ok: false, reason: 'conflict', detail: 'resourceVersion changed' } } },
  ],
};

/** Every event of one run, creation first, with the result growing as the runner merges it. */
export function story(kind: keyof typeof STORIES, over: Partial<Remediation> = {}): RemediationEvent[] {
  let rem = remediation({ phase: 'planned', ...over });
  const events: RemediationEvent[] = [created(rem)];
  let minute = 0;
  for (const step of STORIES[kind]) {
    const from = rem.phase;
    minute++;
    rem = { ...rem, phase: step.to, result: { ...(rem.result ?? {}), ...(step.result ?? {}) }, updatedAt: new Date(T0.getTime() + minute * 60_000) };
    events.push({ remediation: rem, from, to: step.to, note: step.note });
  }
  return events;
}

/** Every text string in a message's blocks, in order, joined by newlines. */
export function blockText(m: { blocks?: unknown[] }): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'text' && typeof x === 'string') out.push(x);
        else walk(x);
      }
    }
  };
  walk(m.blocks);
  return out.join('\n');
}
