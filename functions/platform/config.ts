/**
 * Reading configuration from the environment, once, at module scope (Powertools' `envUtils` habit):
 * a missing or malformed variable fails the cold start loudly instead of a request later.
 */
import { ConfigurationError } from './errors.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The value of `name`; throws {@link ConfigurationError} when it is unset or empty. */
export const requireEnv = (env: Env, name: string): string => {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new ConfigurationError(`environment variable ${name} is required`);
  }
  return value;
};

/** The value of `name`, or `undefined` when unset or empty. */
export const optionalEnv = (env: Env, name: string): string | undefined => {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
};

/** A positive integer from `name`, or `fallback` when unset; throws when set but not a positive integer. */
export const positiveIntEnv = (env: Env, name: string, fallback: number): number => {
  const raw = optionalEnv(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigurationError(`environment variable ${name} must be a positive integer, got "${raw}"`);
  }
  return value;
};

/** `true` for "true"/"1", `false` for "false"/"0", `fallback` when unset. */
export const booleanEnv = (env: Env, name: string, fallback: boolean): boolean => {
  const raw = optionalEnv(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigurationError(`environment variable ${name} must be true or false, got "${raw}"`);
};
