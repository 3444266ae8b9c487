export { WorkloadSimulator, DEFAULT_LOAD, DEFAULT_QUEUE, DEFAULT_REDIS_ADDRESS, type WorkloadOptions, type WorkloadSnapshot } from './simulator.js';
export { DEFAULT_PARAMS, type Load, type WorkloadFaults, type WorkloadParams } from './model.js';
export { REFERENCE_WORKLOAD, type WorkloadRefs } from './observe.js';
export type { ProfileSpec } from './profile.js';
export { prometheusConfig, SANDBOX_SCRAPE_JOBS, type PrometheusConfigOptions } from './prometheus-config.js';
export { fastRuleTable, type FastRulesOptions } from './fast-rules.js';
