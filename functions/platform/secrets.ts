/**
 * Reads one of the service's secrets, cached per container.
 *
 * Deployed: Secrets Manager through Powertools Parameters (its provider caches for `maxAge` seconds, so a
 * rotated value is picked up within that time without a redeploy). Local (`npm start`): one section of
 * the git-ignored secrets file, re-read after the same `maxAge` so editing the file rotates secrets too.
 */
import { readFile } from 'node:fs/promises';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import * as v from 'valibot';
import { optionalEnv, positiveIntEnv } from './config.js';
import { envNames } from './env.js';
import { ConfigurationError, MalformedSecretError, SecretUnavailableError } from './errors.js';
import {
  type IntegrationSecrets,
  integrationSecretsSchema,
  type VendorApiSecrets,
  vendorApiSecretsSchema,
} from './secrets-shape.js';

export interface SecretReaderOptions<T> {
  /** ARN (or name) of the Secrets Manager secret; takes precedence over `localFile`. */
  readonly arn?: string;
  /** Path of the local secrets file, used when `arn` is unset. */
  readonly localFile?: string;
  /** Top-level key of the local file holding this secret. */
  readonly section: 'webhook' | 'integration' | 'vendorApi';
  /** Valibot schema the secret's JSON must satisfy. */
  readonly schema: v.GenericSchema<unknown, T>;
  /**
   * Seconds a value is cached before it is read again.
   * @default 300
   */
  readonly maxAgeSeconds?: number;
  /**
   * A value read this recently counts as fresh: `fresh` does not read it again. Not for the worker, whose
   * refusal after an invocation's own read may be a rotation that read just missed. @default 0
   */
  readonly freshEnoughMs?: number;
}

/**
 * Reads the secret. `fresh`: read it again now, past the cache — at most once per
 * {@link minFreshIntervalMs} (a request that fails authentication asks for it, and anyone can send those).
 *
 * @throws SecretUnavailableError when the secret cannot be read or is malformed (`MalformedSecretError`)
 *   and no good value was read before; with `fresh`, also when the last read failed (the cached value
 *   may be an old one)
 */
export type SecretReader<T> = (options?: { readonly fresh?: boolean }) => Promise<T>;

/** Shortest time between two reads forced by `fresh`. */
export const minFreshIntervalMs = 30_000;

/**
 * The ingest's {@link SecretReaderOptions.freshEnoughMs}: a request whose own read just fetched the secret (a
 * cold start, an expired cache) would otherwise wait out a second read, and with Secrets Manager slow the two
 * would spend its answer time (functions/intake/accept-webhook.ts `answerWithinMs`) on reads.
 */
export const ingestFreshEnoughMs = 1_000;

/**
 * Secrets Manager's per-attempt limits, and 2 attempts: without them (`getSecret`'s default client has none) a
 * hung read ran into the function's timeout — for the ingest a bare gateway 5xx with no log line, no metric
 * and no Retry-After, instead of its own 503. At worst 2 × 2 s and the wait between (an attempt's 2 s start
 * with its connection).
 */
export const secretsManagerTimeouts = {
  connectionTimeout: 1_000,
  requestTimeout: 2_000,
  throwOnRequestTimeout: true,
} as const;
export const secretsManagerMaxAttempts = 2;

let secretsProvider: SecretsProvider | undefined;
/** One provider per container (its client keeps its connections; Powertools caches values per provider). */
const provider = (): SecretsProvider => {
  secretsProvider ??= new SecretsProvider({
    clientConfig: { maxAttempts: secretsManagerMaxAttempts, requestHandler: secretsManagerTimeouts },
  });
  return secretsProvider;
};

export const createSecretReader = <T>(options: SecretReaderOptions<T>): SecretReader<T> => {
  const maxAgeMs = (options.maxAgeSeconds ?? 300) * 1000;
  const { arn, localFile, section, schema } = options;
  const freshEnoughMs = options.freshEnoughMs ?? 0;
  if (arn === undefined && localFile === undefined) {
    throw new ConfigurationError(`no source configured for the ${section} secret (ARN or local file)`);
  }

  const load = async (forceFetch: boolean): Promise<unknown> => {
    try {
      if (arn !== undefined) {
        return await provider().get(arn, { transform: 'json', maxAge: maxAgeMs / 1000, forceFetch });
      }
      const file = JSON.parse(await readFile(localFile as string, 'utf8')) as Record<string, unknown>;
      return file[section];
    } catch (error) {
      throw new SecretUnavailableError(`the ${section} secret could not be read`, { cause: error });
    }
  };

  /** The secret's content, validated. Never echoes the content: names the failing paths only. */
  const parse = (loaded: unknown): T => {
    const result = v.safeParse(schema, loaded);
    if (result.success) return result.output;
    const paths = result.issues.map((issue) => v.getDotPath(issue) ?? '(root)').join(', ');
    throw new MalformedSecretError(`the ${section} secret is malformed at: ${paths}`);
  };

  // Powertools already caches the secret; this cache also covers the local file and the validation.
  let cached: { value: T; at: number } | undefined;
  let lastForcedAt = Number.NEGATIVE_INFINITY;
  /** The last read failed (unreadable or malformed): the cached value may no longer be the current one. */
  let lastReadFailed = false;
  /** The forced read under way: a fresh value asked for meanwhile is its answer. */
  let forcedRead: Promise<T> | undefined;

  const readNow = async (forced: boolean, wantsFresh: boolean, now: number): Promise<T> => {
    try {
      const value = parse(await load(forced));
      cached = { value, at: Date.now() };
      lastReadFailed = false;
      return value;
    } catch (error) {
      lastReadFailed = true;
      if (cached === undefined) throw error;
      // Secrets Manager unreachable, or a malformed value written: the last good value still authenticates
      // (a rotation keeps the old one valid for a while), rather than every delivery getting a 503 until it
      // is back or fixed. Served without asking again for a while, forced reads included: each read waits
      // out its timeouts (seconds), which every request of the outage would otherwise spend of its own time
      // and the function's concurrency. Not to a caller that asked for a fresh value (below).
      cached = { value: cached.value, at: now - maxAgeMs + Math.min(minFreshIntervalMs, maxAgeMs) };
      lastForcedAt = now;
      if (wantsFresh) throw error;
      return cached.value;
    }
  };

  return async (options = {}) => {
    const now = Date.now();
    const wantsFresh = options.fresh === true;
    const forced =
      wantsFresh &&
      now - lastForcedAt >= minFreshIntervalMs &&
      (cached === undefined || lastReadFailed || now - cached.at >= freshEnoughMs);
    if (wantsFresh && !forced && forcedRead !== undefined) return forcedRead;
    if (cached !== undefined && !forced && now - cached.at < maxAgeMs) {
      // A caller asks for a fresh value when a credential did not match the cached one (a rotation?). Since
      // the last read failed, the cached value cannot answer that: unavailable (the ingest answers 503, so
      // the vendor retries; the worker retries the event), not a refusal on an old value.
      if (wantsFresh && lastReadFailed) {
        throw new SecretUnavailableError(`the ${section} secret could not be read lately`);
      }
      return cached.value;
    }
    if (!forced) return readNow(false, wantsFresh, now);
    lastForcedAt = now;
    const reading = readNow(true, true, now);
    forcedRead = reading;
    try {
      return await reading;
    } finally {
      if (forcedRead === reading) forcedRead = undefined;
    }
  };
};

/**
 * The reader of the integration secret (ATS credentials, Slack URL, pseudonym key) as every
 * function that needs it configures it from its environment: Secrets Manager when the ARN is set (deployed),
 * else the local secrets file's `integration` section (`npm start`).
 */
export const integrationSecretReaderFromEnv = (
  env: Readonly<Record<string, string | undefined>>,
): SecretReader<IntegrationSecrets> =>
  createSecretReader({
    arn: optionalEnv(env, envNames.integrationSecretsArn),
    localFile: optionalEnv(env, envNames.localSecretsFile),
    section: 'integration',
    schema: integrationSecretsSchema,
    maxAgeSeconds: positiveIntEnv(env, envNames.secretsCacheSeconds, 300),
  });

/**
 * The reader of the vendor API secret (ROUND0's and micro1's API keys), configured like
 * {@link integrationSecretReaderFromEnv}: the worker's enrichment and the archive's audio URL refresh.
 */
export const vendorApiSecretReaderFromEnv = (
  env: Readonly<Record<string, string | undefined>>,
): SecretReader<VendorApiSecrets> =>
  createSecretReader({
    arn: optionalEnv(env, envNames.vendorApiSecretsArn),
    localFile: optionalEnv(env, envNames.localSecretsFile),
    section: 'vendorApi',
    schema: vendorApiSecretsSchema,
    maxAgeSeconds: positiveIntEnv(env, envNames.secretsCacheSeconds, 300),
  });
