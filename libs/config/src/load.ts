import type { z } from 'zod';
import { ConfigError } from './errors';

export type EnvSource = Readonly<Record<string, string | undefined>>;

/**
 * Validates the environment against one service's schema and returns its typed configuration.
 * The only place in the code base that reads process.env; everything else receives the result.
 */
export function loadConfig<S extends z.ZodTypeAny>(service: string, schema: S, env: EnvSource = process.env): z.output<S> {
  // Empty strings mean "unset", so a blank variable in a manifest falls back to the default.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('GS_') && v !== '' && v !== undefined));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      service,
      result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  return result.data as z.output<S>;
}
