/**
 * Validation of an adapter's settings (`ATS_CONFIG`, no secrets) and credentials (the integration secret's
 * `ats` object). Both fail loudly at start-up with {@link ConfigurationError}.
 */
import * as v from 'valibot';
import { ConfigurationError } from '../platform/errors.js';

/** Parses `ATS_CONFIG` for `adapter`; the message lists what is wrong (config holds no secrets). */
export const parseSettings = <S extends v.GenericSchema>(adapter: string, schema: S, input: unknown) => {
  const result = v.safeParse(schema, input ?? {});
  if (!result.success) {
    throw new ConfigurationError(`ATS_CONFIG for ${adapter} is invalid: ${v.summarize(result.issues)}`);
  }
  return result.output as v.InferOutput<S>;
};

/**
 * Picks the required credential keys; the message names missing keys only, never values.
 */
export const requireCredentials = <K extends string>(
  adapter: string,
  credentials: Readonly<Record<string, string>> | undefined,
  keys: readonly K[],
): Record<K, string> => {
  const missing = keys.filter((key) => !credentials?.[key]);
  if (missing.length > 0) {
    throw new ConfigurationError(`ATS credentials for ${adapter} lack: ${missing.join(', ')}`);
  }
  return Object.fromEntries(keys.map((key) => [key, credentials?.[key] ?? ''])) as Record<K, string>;
};
