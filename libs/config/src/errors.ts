export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID' as const;

  constructor(
    readonly service: string,
    readonly issues: readonly string[],
  ) {
    super(`invalid configuration for ${service}:\n  - ${issues.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}
