/** The validator's contract on ClusterValidator over the FakeCluster and ScriptedMetrics the driver's tests use. */
import { ACTION_KINDS } from '../../src/actions/registry.js';
import { targetKey, type TargetRef } from '../../src/domain/target.js';
import { systemClock } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { ClusterValidator } from '../../src/validation/validator.js';
import { FakeCluster } from '../helpers/fake-cluster.js';
import { ScriptedMetrics } from '../helpers/fake-metrics.js';
import { runValidatorContract } from './validator.contract.js';

let seq = 0;
runValidatorContract('ClusterValidator over FakeCluster and ScriptedMetrics', () => {
  const cluster = new FakeCluster();
  const metrics = new ScriptedMetrics();
  const seed = (): TargetRef => {
    seq += 1;
    const t: TargetRef = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: `fake-${seq}` };
    cluster.set(t, { replicas: 1 });
    return t;
  };
  return Promise.resolve({
    validator: new ClusterValidator({ kinds: ACTION_KINDS, readObject: (t) => cluster.readObject(t), metrics, clock: systemClock, logger: silentLogger, pollMs: 20 }),
    readyTarget: () => Promise.resolve(seed()),
    stuckTarget() {
      const t = seed();
      cluster.notReady.add(targetKey(t));
      return Promise.resolve(t);
    },
    setP99(value: number) {
      metrics.set('contract_p99_seconds{namespace="ci"}', value);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  });
});
