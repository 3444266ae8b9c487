export * from './schema.js';
export { parseMatcher, createMatcher, formatMatcher, type ParseMatcherResult } from './matchers.js';
export {
  parseTemplate,
  validateTemplate,
  templateRefs,
  renderTemplate,
  renderValue,
  renderTarget,
  type TemplateData,
  type TemplateRef,
  type RenderResult,
  type RenderValueResult,
  type RenderTargetResult,
  type RenderFailureReason,
} from './templates.js';
export { checkValue, isDns1123Label, isDns1123Subdomain, isApiVersion, isKind, isRedisAddress, isPromqlSafe, type ValueKind } from './values.js';
export { formatRuleError, formatPath, type RuleLoadError } from './errors.js';
export { loadRuleTable, listRuleFiles, loadRuleFiles, buildRuleTable, type LoadResult, type RuleSource } from './loader.js';
export { matchAlert, matchAlertLinear, ruleMatches, explainMatch, formatMatcherFailure, type MatcherFailure } from './match.js';
export { RuleTableWatcher, type ReloadStatus, type RuleTableWatcherOptions } from './watcher.js';
export { checkRules, formatCheckReport, type CheckResult } from './check.js';
