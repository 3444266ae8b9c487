export { startSandboxApi, type SandboxApi, type SandboxOptions, type SandboxRequest } from './server.js';
export { loadSeed, referenceSeedPath } from './seed.js';
export { SandboxFaults, type ActiveFault, type FaultSpec, type RequestMatch } from './faults.js';
export { sandboxKubeConfig, kubeconfigYaml } from './kubeconfig.js';
export type { KubeObject, StoredObject } from './types.js';
export { WorkloadSimulator, DEFAULT_LOAD, type WorkloadOptions, type WorkloadSnapshot, type WorkloadFaults, type Load } from './workload/index.js';
