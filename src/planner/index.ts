export { budgetQueries, decide, historyWindowMs, namespaceAllowed, type ActionCountQuery, type Budget, type PlanInput, type PlannerSettings } from './decide.js';
export { planChange, changeEvents, type ChangePlan, type ChangeSkip } from './changes.js';
export { periodStart, scaleUpLimit, scaleDownLimit, stepUp, stepDown, type ChangeEvent, type SelectPolicy } from './step-policy.js';
export { parseQuantity, formatBytes, formatCpu, formatQuantity } from './quantity.js';
export { withActiveRuns } from './history.js';
