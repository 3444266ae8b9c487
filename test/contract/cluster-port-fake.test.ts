/** The cluster port's contract on the hand-written FakeCluster the engine and HTTP tests use. */
import { targetKey, type TargetRef } from '../../src/domain/target.js';
import { FakeCluster } from '../helpers/fake-cluster.js';
import { runClusterPortContract } from './cluster-port.contract.js';

let seq = 0;
runClusterPortContract('FakeCluster', () => {
  const cluster = new FakeCluster();
  const get = (t: TargetRef) => {
    const s = cluster.states.get(targetKey(t));
    if (!s) throw new Error(`${targetKey(t)} was not seeded`);
    return s;
  };
  return Promise.resolve({
    cluster,
    seed(replicas, hpa) {
      seq += 1;
      const t: TargetRef = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ci', name: `fake-${seq}` };
      cluster.set(t, {
        replicas,
        hpa: hpa ? { name: t.name, minReplicas: hpa.min, maxReplicas: hpa.max, currentReplicas: replicas } : null,
        containers: [{ name: 'app', requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } }],
      });
      return Promise.resolve(t);
    },
    scaleElsewhere(t, replicas) {
      get(t).replicas = replicas;
      return Promise.resolve();
    },
    setHpaMinElsewhere(t, min) {
      get(t).hpa!.minReplicas = min;
      return Promise.resolve();
    },
    remove(t) {
      cluster.states.delete(targetKey(t));
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  });
});
