/** A configuration that cannot be used: every problem, each naming its variable or key. Shared by config/ and notify/config.ts, so neither imports the other. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}
