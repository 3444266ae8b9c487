export * from './alert.js';
export * from './target.js';
export * from './decision.js';
export * from './remediation.js';
export * from './cluster.js';
export * from './owners.js';
