/**
 * Event-level dedupe: each vendor event is processed once, however often the vendor or SQS delivers it.
 *
 * Built on Powertools Idempotency (DynamoDB persistence) rather than by hand: it already does the
 * conditional "claim or read the stored result" write, deletes the in-progress record when processing
 * fails (so the retry runs again) and ties the in-progress lease to the Lambda's remaining time (so the
 * event of a crashed or timed-out invocation is retried once the lease lapses).
 */
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import type { InterviewEvent } from '../vendors/envelope.js';
import { EventInProgressError, MissingDedupeKeyError } from './errors.js';

/** The part of a Lambda context the lease needs; the local runtime's context has it too. */
export interface InvocationClock {
  /** Milliseconds until the invocation is stopped. */
  getRemainingTimeInMillis(): number;
}

export interface EventDeduperOptions {
  /** Client for the idempotency table. */
  readonly client: DynamoDBClient;
  /** Name of the idempotency table (partition key `id`, TTL attribute `expiration`). */
  readonly tableName: string;
  /**
   * How long a completed record is kept, i.e. how long a redelivery is recognised as a duplicate. Must
   * outlast the vendors' retry windows and the queue's retention.
   * @default 604800 (7 days)
   */
  readonly retentionSeconds?: number;
  /**
   * Lease of an in-progress record when no invocation context was registered (scripts, tests). Without a
   * lease Powertools would block a crashed event until the whole retention had passed.
   * @default 120000 (2 minutes: longer than the worker's timeout, shorter than the queue's visibility timeout)
   */
  readonly fallbackLeaseMs?: number;
  /**
   * Prefix of the stored keys. Fixed instead of Powertools' default (the Lambda's function name), which
   * CloudFormation regenerates when the function is replaced: every record would be orphaned and every
   * in-flight redelivery processed again.
   * @default 'interview-sync#event'
   */
  readonly keyPrefix?: string;
}

/** What `processOnce` returns: the (stored) result and whether this delivery was a duplicate. */
export interface DedupeOutcome<T> {
  /** The processing result, as stored (JSON round-tripped, so identical for first run and duplicates). */
  readonly result: T;
  /** True when the event had already been processed and the stored result was served. */
  readonly duplicate: boolean;
}

export interface EventDeduper {
  /** The Powertools configuration (key path `dedupeKey`, expiry = retention, the duplicate-marking hook). */
  readonly config: IdempotencyConfig;
  /**
   * Ties the in-progress lease to this invocation's deadline. Call it at the start of every invocation
   * with the Lambda context (a context whose time is up falls back to `fallbackLeaseMs`).
   */
  registerLambdaContext(context: InvocationClock): void;
  /**
   * Wraps `fn` so that it runs at most once per `event.dedupeKey` (until the retention expires).
   *
   * - a duplicate resolves to the stored result with `duplicate: true`, without running `fn`;
   * - while another invocation holds the event's lease it throws {@link EventInProgressError} (transient);
   * - when `fn` throws, the in-progress record is deleted and the error rethrown, so a retry runs again.
   *
   * `fn`'s result is stored in DynamoDB: keep it small and JSON-compatible (a summary, not the payload).
   *
   * @example
   * ```ts
   * const deduper = createEventDeduper({ client, tableName });
   * const processEvent = deduper.processOnce(async (event) => ({ effects: await sync(event) }));
   * // per invocation:
   * deduper.registerLambdaContext(context);
   * const { result, duplicate } = await processEvent(event);
   * ```
   */
  processOnce<T>(
    fn: (event: InterviewEvent) => Promise<T>,
  ): (event: InterviewEvent) => Promise<DedupeOutcome<T>>;
}

const defaults = {
  retentionSeconds: 7 * 24 * 3600,
  fallbackLeaseMs: 120_000,
  keyPrefix: 'interview-sync#event',
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Creates the event deduper over the idempotency table.
 *
 * The key is the envelope's `dedupeKey` only, not the body: a ROUND0 redelivery carries a new signature
 * timestamp but the same event `id`, and a micro1 redelivery has no id at all (the normaliser derives the
 * key from stable fields), so hashing the whole body would make redeliveries look new.
 */
export function createEventDeduper(options: EventDeduperOptions): EventDeduper {
  const { client, tableName } = options;
  const retentionSeconds = options.retentionSeconds ?? defaults.retentionSeconds;
  const fallbackLeaseMs = options.fallbackLeaseMs ?? defaults.fallbackLeaseMs;
  const keyPrefix = options.keyPrefix ?? defaults.keyPrefix;

  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'dedupeKey',
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: retentionSeconds,
    // Powertools calls the hook only when it serves a COMPLETED record instead of running the function:
    // exactly the duplicate case, so the stored `duplicate: false` is flipped here.
    responseHook: (response) => (isRecord(response) ? { ...response, duplicate: true } : response),
  });
  // Only the remaining time is read (BasePersistenceLayer.saveInProgress); a real context replaces this.
  config.registerLambdaContext({ getRemainingTimeInMillis: () => fallbackLeaseMs } as Context);

  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName,
    awsSdkV3Client: client,
    keyAttr: 'id',
    expiryAttr: 'expiration',
  });

  return {
    config,
    registerLambdaContext(context) {
      // A context left over from an earlier invocation of a warm container reports no time left; a lease
      // that is already over would let a concurrent delivery run the event too, so fall back instead.
      const lease = {
        getRemainingTimeInMillis: () => Math.max(context.getRemainingTimeInMillis(), 0) || fallbackLeaseMs,
      };
      config.registerLambdaContext(lease as Context);
    },
    processOnce<T>(fn: (event: InterviewEvent) => Promise<T>) {
      const idempotent = makeIdempotent(
        async (event: InterviewEvent) => {
          const result = await fn(event);
          // Stored as a DynamoDB map: round-trip through JSON so `undefined` members and class instances
          // cannot make the success write fail after the work is done, and so the first run returns
          // exactly what a duplicate will.
          return result === undefined
            ? { duplicate: false }
            : { result: JSON.parse(JSON.stringify(result)), duplicate: false };
        },
        { persistenceStore, config, keyPrefix },
      );
      return async (event: InterviewEvent): Promise<DedupeOutcome<T>> => {
        if (typeof event.dedupeKey !== 'string' || event.dedupeKey === '') throw new MissingDedupeKeyError();
        try {
          return (await idempotent(event)) as DedupeOutcome<T>;
        } catch (error) {
          if (error instanceof IdempotencyAlreadyInProgressError) {
            throw new EventInProgressError(event.dedupeKey, { cause: error });
          }
          throw error;
        }
      };
    },
  };
}
