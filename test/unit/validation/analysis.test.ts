import { assessMetric, judge, worstPhase, type Measurement, type MeasurementPhase } from '../../../src/validation/analysis.js';
import { parseResult } from '../../../src/validation/prometheus.js';
import { rolloutStatus } from '../../../src/validation/rollout.js';

const m = (phase: MeasurementPhase): Measurement => ({ phase, value: phase === 'Error' ? null : 1, at: '', message: '' });
const seq = (s: string): Measurement[] => [...s].map((c) => m(({ S: 'Successful', F: 'Failed', E: 'Error', I: 'Inconclusive' } as const)[c as 'S']));

describe('assessMetric (Argo Rollouts semantics)', () => {
  const limits = { count: 3, failureLimit: 0, consecutiveErrorLimit: 2 };
  test.each<[string, string, string]>([
    ['nothing measured yet', '', 'Running'],
    ['still counting', 'SS', 'Running'],
    ['count reached', 'SSS', 'Successful'],
    // failureLimit 0: the first failure fails the metric
    ['one failure', 'SF', 'Failed'],
    // errors do not count toward `count`
    ['errors do not count', 'SESE', 'Running'],
    // more than consecutiveErrorLimit (2) errors in a row
    ['three errors in a row', 'SEEE', 'Error'],
    // a success resets the consecutive errors
    ['errors interrupted', 'EESEESS', 'Successful'],
    ['inconclusive measurement', 'SI', 'Inconclusive'],
  ])('%s', (_n, s, expected) => {
    expect(assessMetric(seq(s), limits)).toBe(expected);
  });

  test('failureLimit 1 tolerates one failure', () => {
    expect(assessMetric(seq('SFS'), { count: 3, failureLimit: 1, consecutiveErrorLimit: 4 })).toBe('Successful');
    expect(assessMetric(seq('FF'), { count: 3, failureLimit: 1, consecutiveErrorLimit: 4 })).toBe('Failed');
  });

  test('the run phase is the worst metric phase', () => {
    expect(worstPhase(['Successful', 'Inconclusive', 'Successful'])).toBe('Inconclusive');
    expect(worstPhase(['Error', 'Failed'])).toBe('Failed');
    expect(worstPhase(['Successful'])).toBe('Successful');
  });
});

describe('judge: thresholds, absolute and relative to the baseline', () => {
  test.each<[string, number, Parameters<typeof judge>[1], number | null, string]>([
    ['below passes', 0.0005, { below: 0.001 }, null, 'Successful'],
    ['below is strict', 0.001, { below: 0.001 }, null, 'Failed'],
    ['above passes', 0.9, { above: 0.8 }, null, 'Successful'],
    // error rate not above 1.1 × baseline
    ['within 1.1 × baseline', 0.0105, { belowBaseline: 1.1 }, 0.01, 'Successful'],
    ['over 1.1 × baseline', 0.02, { belowBaseline: 1.1 }, 0.01, 'Failed'],
    ['relative without a baseline is an error', 0.02, { belowBaseline: 1.1 }, null, 'Error'],
    ['both thresholds must hold', 0.5, { below: 1, above: 0.6 }, null, 'Failed'],
  ])('%s', (_n, value, t, baseline, expected) => {
    expect(judge(value, t, baseline).phase).toBe(expected);
  });
});

describe('Prometheus results: errors are data', () => {
  test.each<[string, Parameters<typeof parseResult>[0], boolean, string | number]>([
    ['scalar', { resultType: 'scalar', result: [1, '0.5'] }, true, 0.5],
    ['one-element vector', { resultType: 'vector', result: [{ value: [1, '42'] }] }, true, 42],
    ['empty vector', { resultType: 'vector', result: [] }, false, 'no data'],
    ['several series', { resultType: 'vector', result: [{ value: [1, '1'] }, { value: [1, '2'] }] }, false, 'returned 2 series'],
    ['NaN', { resultType: 'scalar', result: [1, 'NaN'] }, false, 'NaN'],
    ['matrix', { resultType: 'matrix', result: [] }, false, 'unsupported result type'],
  ])('%s', (_n, data, ok, expected) => {
    const r = parseResult(data);
    expect(r.ok).toBe(ok);
    if (r.ok) expect(r.value).toBe(expected);
    else expect(r.error).toContain(expected);
  });
});

describe('rolloutStatus (kubectl rollout status)', () => {
  const dep = (status: Record<string, unknown>, generation = 2, replicas = 3) => ({ kind: 'Deployment', metadata: { name: 'd', generation }, spec: { replicas }, status });
  test.each<[string, ReturnType<typeof dep> | Record<string, unknown>, string, RegExp]>([
    ['spec not observed', dep({ observedGeneration: 1 }), 'waiting', /spec update to be observed/],
    ['updated replicas short', dep({ observedGeneration: 2, updatedReplicas: 1, replicas: 3, availableReplicas: 1 }), 'waiting', /1 out of 3 new replicas/],
    ['old replicas terminating', dep({ observedGeneration: 2, updatedReplicas: 3, replicas: 4, availableReplicas: 3 }), 'waiting', /old replicas are pending termination/],
    ['not available yet', dep({ observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 2 }), 'waiting', /2 of 3 updated replicas are available/],
    ['rolled out', dep({ observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 3 }), 'done', /successfully rolled out/],
    // ProgressDeadlineExceeded fails at once
    ['progress deadline', dep({ observedGeneration: 2, conditions: [{ type: 'Progressing', reason: 'ProgressDeadlineExceeded' }] }), 'failed', /exceeded its progress deadline/],
    ['statefulset ready', { kind: 'StatefulSet', metadata: { name: 's', generation: 1 }, spec: { replicas: 2 }, status: { observedGeneration: 1, readyReplicas: 2, currentRevision: 'a', updateRevision: 'a' } }, 'done', /complete/],
    ['statefulset not ready', { kind: 'StatefulSet', metadata: { name: 's', generation: 1 }, spec: { replicas: 2 }, status: { observedGeneration: 1, readyReplicas: 1 } }, 'waiting', /1 of 2 pods/],
    ['custom resource instances', { kind: 'Cluster', metadata: { name: 'db' }, spec: { instances: 3 }, status: { readyInstances: 2 } }, 'waiting', /2 of 3 instances/],
  ])('%s', (_n, obj, state, message) => {
    const v = rolloutStatus(obj);
    expect(v.state).toBe(state);
    expect(v.message).toMatch(message);
  });
});
