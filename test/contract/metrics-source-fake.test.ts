/** The metrics source's contract on the ScriptedMetrics the driver's and validation's tests use. */
import { ScriptedMetrics } from '../helpers/fake-metrics.js';
import { runMetricsSourceContract } from './metrics-source.contract.js';

runMetricsSourceContract('ScriptedMetrics', () => {
  const source = new ScriptedMetrics();
  return Promise.resolve({
    source,
    set(queue: string, value: number) {
      const q = `contract_queue_depth{queue="${queue}"}`;
      source.set(q, value);
      if (queue === 'zero') source.set(`${q} / ${q}`, value / value);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  });
});
