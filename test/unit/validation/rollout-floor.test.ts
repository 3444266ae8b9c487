/** The rollout wait after an hpa action: the workload must reach the new floor, then be ready. */
import { rolloutStatusAtFloor } from '../../../src/validation/rollout.js';

const deployment = (replicas: number, ready: number) => ({
  kind: 'Deployment',
  metadata: { name: 'agent', generation: 2 },
  spec: { replicas },
  status: { observedGeneration: 2, replicas: ready, updatedReplicas: ready, readyReplicas: ready, availableReplicas: ready },
});

describe('rolloutStatusAtFloor', () => {
  test.each<[string, ReturnType<typeof deployment>, number | null, 'done' | 'waiting', RegExp]>([
    ['no floor (not an hpa action): judged as kubectl does', deployment(3, 3), null, 'done', /successfully rolled out/],
    ['floor 5, the HPA has not scaled it yet (3/3 ready)', deployment(3, 3), 5, 'waiting', /new floor of 5 \(spec\.replicas 3\)/],
    ['floor 5, scaled to 5, 3 of them available', deployment(5, 3), 5, 'waiting', /3 of 5|out of 5/],
    ['floor 5, scaled to 5 and ready', deployment(5, 5), 5, 'done', /successfully rolled out/],
    ['floor 5, the HPA went above it (7) and they are ready', deployment(7, 7), 5, 'done', /successfully rolled out/],
  ])('%s', (_name, obj, floor, state, message) => {
    const v = rolloutStatusAtFloor(obj, floor);
    expect(v.state).toBe(state);
    expect(v.message).toMatch(message);
  });

  test('a scaled custom resource counts spec.instances', () => {
    expect(rolloutStatusAtFloor({ kind: 'Cluster', metadata: { name: 'db' }, spec: { instances: 2 }, status: { readyInstances: 2 } }, 3).state).toBe('waiting');
  });
});
