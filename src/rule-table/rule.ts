import type { RuleSpec } from './schema.js';

export type MatchOp = '=' | '!=' | '=~' | '!~';

/** One Alertmanager matcher, compiled. Regexes are fully anchored and run in linear time (RE2). */
export interface Matcher {
  name: string;
  op: MatchOp;
  value: string;
  /** The matcher as written, normalised: `severity=~"warning|critical"`. */
  text: string;
  matches(labelValue: string | undefined): boolean;
}

/** A rule as loaded: the validated spec plus where it came from and its compiled matchers. */
export interface Rule extends RuleSpec {
  source: { file: string; index: number };
  compiled: Matcher[];
}

/** An immutable, validated rule table; a reload builds a new one and swaps it in whole. */
export interface RuleTable {
  rules: readonly Rule[];
  files: readonly string[];
  loadedAt: Date;
  /** sha256 over the files' content, to tell which table made a decision. */
  version: string;
}
