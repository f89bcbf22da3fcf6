/**
 * The raw event store: every accepted delivery's exact body and the headers that matter, kept in S3 so an
 * operator can replay any window of events later (`npm run ops -- replay --vendor … --since …`), re-verify
 * what a vendor sent, or erase a candidate. The delivery travels in the SQS message with its envelope and
 * the worker writes it before anything else it does with the event, so the ingest's 202 waits for SQS
 * alone (one service that must be up, not two) and a delivery is stored once it reaches the worker, whatever
 * happens to it after. Expired after a configurable retention (a bucket lifecycle rule on the prefix).
 *
 * Keys:
 * - a delivery alone in its worker invocation (a trickle): `raw/{vendor}/{yyyy-mm-dd}/{dedupe key}.json`, one
 *   {@link RawEvent} (the day the delivery was received, UTC; a very long dedupe key is cut and hashed, see
 *   `keySegment`). A vendor's redelivery of the same event overwrites it — what was received last is kept;
 * - the deliveries of one invocation received on the same day, when there are several (a busy queue's
 *   batches of up to 10, both vendors mixed): `raw/batches/{yyyy-mm-dd}/{digest}.json`, one
 *   {@link RawEventBatch}. One PUT for the batch instead of one per delivery: S3's $5 per million PUTs was
 *   more than the rest of the core path together (BENCHMARKS.md, cost). The digest is of the deliveries'
 *   dedupe keys, so the same batch received again (a retry) overwrites its own object.
 * A delivery may thus be stored more than once (a retry in another batch, a redelivery on another day):
 * readers keep the one received last per dedupe key (local/ops/raw-store.ts).
 */
import { createHash } from 'node:crypto';
import type { PutObject } from '../platform/object-put.js';
import type { InterviewEvent, RawDelivery, VendorName } from '../vendors/envelope.js';
import { RawEventStoreUnavailableError, UnreadableQueueMessageError } from './errors.js';

/** Root of the raw event store. */
export const rawEventsPrefix = 'raw/';

/**
 * Root of the batch objects. Never a vendor's folder: a vendor's day folders hold per-delivery objects only,
 * whose names are percent-encoded dedupe keys (`round0%3A…`).
 */
export const rawBatchesPrefix = `${rawEventsPrefix}batches/`;

/** Headers kept with the body: what re-verifying or replaying a delivery needs, nothing else. */
export const keptHeaders = ['content-type', 'x-webhook-signature', 'user-agent'] as const;

/** One stored delivery (JSON). */
export interface RawEvent {
  readonly schemaVersion: 1;
  readonly vendor: VendorName;
  /** The vendor's event type (as validated). */
  readonly type: string;
  readonly dedupeKey: string;
  /** When the ingest accepted it (ISO 8601, UTC): the envelope's `receivedAt`. */
  readonly receivedAt: string;
  /** {@link keptHeaders} present on the request, lower-cased names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body exactly as received, base64 (bytes, not text: a signature covers the bytes). */
  readonly bodyBase64: string;
}

/**
 * Longest dedupe key segment kept as it is. S3 keys hold at most 1,024 bytes, and vendor ids are accepted up
 * to 255 characters each, which percent-encoding can triple: a longer segment is cut and its dedupe key's
 * SHA-256 appended, or the worker could never store the delivery (and the event would be dead-lettered).
 */
const maxKeySegmentLength = 512;

/** The dedupe key as one path segment: percent-encoded (ASCII), bounded as above. */
const keySegment = (dedupeKey: string): string => {
  const encoded = encodeURIComponent(dedupeKey);
  if (encoded.length <= maxKeySegmentLength) return encoded;
  // Cut without splitting a %XX escape.
  const head = encoded.slice(0, 200).replace(/%[0-9A-F]?$/i, '');
  return `${head}~${createHash('sha256').update(dedupeKey).digest('hex')}`;
};

/** The key of a delivery's raw event. The dedupe key is made safe as one path segment. */
export const rawEventKey = (vendor: VendorName, receivedAt: Date, dedupeKey: string): string =>
  `${rawEventsPrefix}${vendor}/${receivedAt.toISOString().slice(0, 10)}/${keySegment(dedupeKey)}.json`;

/** The key of the batch object of deliveries received on `day` (`yyyy-mm-dd`) with these dedupe keys. */
export const rawBatchKey = (day: string, dedupeKeys: readonly string[]): string => {
  const digest = createHash('sha256')
    // As JSON, not joined: a key may hold the separator (a ROUND0 event id is the vendor's text), and two
    // batches whose keys joined alike would share an object, the later overwriting the earlier.
    .update(JSON.stringify([...dedupeKeys].sort()))
    .digest('hex')
    .slice(0, 32);
  return `${rawBatchesPrefix}${day}/${digest}.json`;
};

const kept: ReadonlySet<string> = new Set(keptHeaders);

/**
 * What the ingest sends along with an accepted event for the raw event store: its bytes and the
 * {@link keptHeaders} it carried (any case on the way in, lower-cased here), nothing else.
 */
export const rawDeliveryOf = (
  headers: Readonly<Record<string, string | undefined>>,
  body: Buffer,
): RawDelivery => {
  const keptValues: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (kept.has(lower) && value !== undefined) keptValues[lower] = value;
  }
  return { headers: keptValues, bodyBase64: body.toString('base64') };
};

/** The raw event the worker stores for a queued event and the delivery that travelled with it. */
export const rawEventOf = (event: InterviewEvent, delivery: RawDelivery): RawEvent => ({
  schemaVersion: 1,
  vendor: event.vendor,
  type: event.type,
  dedupeKey: event.dedupeKey,
  receivedAt: event.receivedAt,
  headers: delivery.headers,
  bodyBase64: delivery.bodyBase64,
});

/** Several deliveries of one worker invocation, received on the same day (JSON). */
export interface RawEventBatch {
  readonly schemaVersion: 2;
  readonly events: readonly RawEvent[];
}

export interface RawEventStoreOptions {
  /** How objects reach S3 (the worker's SDK client, platform/clients.ts `sdkPutObject`). */
  readonly putObject: PutObject;
  /** The bucket of the raw event store (the stack's bucket; the prefix is {@link rawEventsPrefix}). */
  readonly bucket: string;
}

/** The UTC day a delivery was received (an unreadable time, which the ingest never writes, groups apart). */
const dayOf = (raw: RawEvent): string => {
  const time = Date.parse(raw.receivedAt);
  return Number.isNaN(time) ? `invalid:${raw.receivedAt}` : new Date(time).toISOString().slice(0, 10);
};

/**
 * The order of a batch object's deliveries: by dedupe key, so the same deliveries make the same object
 * whatever order their records came in, and a retry that overwrites it keeps every delivery at its place
 * (the erase tool drops by place).
 */
export const byDedupeKey = (a: RawEvent, b: RawEvent): number =>
  a.dedupeKey < b.dedupeKey ? -1 : a.dedupeKey > b.dedupeKey ? 1 : 0;

/**
 * Most bytes of deliveries (their base64 bodies) kept in one batch object. A batch of ten claim-checked
 * deliveries (up to 10 MB each as base64) made one object of ~100 MB, which the worker's 512 MB and its S3
 * client's 5 s an attempt (platform/clients.ts) cannot be counted on for; near the limit they go in several.
 */
export const maxBatchObjectBytes = 8 * 1024 * 1024;

/** `indexes` (in order) in runs whose deliveries' bodies add up to at most {@link maxBatchObjectBytes}. */
const bySize = (indexes: readonly number[], raws: readonly RawEvent[]): number[][] => {
  const runs: number[][] = [];
  let bytes = 0;
  for (const index of indexes) {
    const size = (raws[index] as RawEvent).bodyBase64.length;
    const run = runs.at(-1);
    if (run === undefined || bytes + size > maxBatchObjectBytes) {
      runs.push([index]);
      bytes = size;
    } else {
      run.push(index);
      bytes += size;
    }
  }
  return runs;
};

/** Writes raw events: one alone at {@link rawEventKey}, several of a day at {@link rawBatchKey}. */
export class RawEventStore {
  readonly #options: RawEventStoreOptions;

  constructor(options: RawEventStoreOptions) {
    this.#options = options;
  }

  /**
   * Stores `raw` alone (SSE-S3); resolves only once S3 accepted it, with its key. A redelivery (same vendor,
   * day and dedupe key) overwrites the object: a plain PUT, no condition, so a retry after a partial failure
   * always succeeds.
   *
   * @throws {RawEventStoreUnavailableError} when S3 refused or could not be reached.
   */
  async put(raw: RawEvent): Promise<string> {
    return this.#write(rawEventKey(raw.vendor, new Date(raw.receivedAt), raw.dedupeKey), raw);
  }

  /**
   * Stores an invocation's deliveries, one PUT per day they were received on (nearly always one; more for
   * deliveries above {@link maxBatchObjectBytes} together): a day's one delivery as {@link put} does, several
   * as one {@link RawEventBatch} (in dedupe-key order). Never
   * throws: each delivery's outcome, in the order given, is its object's key, the
   * {@link RawEventStoreUnavailableError} of its day's PUT (the worker retries those deliveries' messages,
   * and the next receive stores them again), or an `UnreadableQueueMessageError` for a `receivedAt` that is not a
   * time (which the ingest never writes: a permanent failure).
   */
  async putAll(raws: readonly RawEvent[]): Promise<Array<string | Error>> {
    const byDay = new Map<string, number[]>();
    raws.forEach((raw, index) => {
      const day = dayOf(raw);
      byDay.set(day, [...(byDay.get(day) ?? []), index]);
    });
    const outcomes = new Array<string | Error>(raws.length);
    const groups = [...byDay].flatMap(([day, indexes]) =>
      bySize(
        indexes.sort((a, b) => byDedupeKey(raws[a] as RawEvent, raws[b] as RawEvent)),
        raws,
      ).map((group) => [day, group] as const),
    );
    // One object at a time: only one object's JSON is held beside the deliveries (nearly always one anyway).
    for (const [day, indexes] of groups) {
      await (async () => {
        const events = indexes.map((index) => raws[index] as RawEvent);
        let outcome: string | Error;
        try {
          // Not S3's fault, and no retry will mend it: the record fails for good (dead-lettered with why).
          if (day.startsWith('invalid:'))
            throw new UnreadableQueueMessageError('the queued event has a receivedAt that is not a time');
          outcome =
            events.length === 1
              ? await this.put(events[0] as RawEvent)
              : await this.#write(
                  rawBatchKey(
                    day,
                    events.map((raw) => raw.dedupeKey),
                  ),
                  { schemaVersion: 2, events } satisfies RawEventBatch,
                );
        } catch (error) {
          outcome =
            error instanceof RawEventStoreUnavailableError || error instanceof UnreadableQueueMessageError
              ? error
              : new RawEventStoreUnavailableError('the raw event store did not accept the events', {
                  cause: error,
                });
        }
        for (const index of indexes) outcomes[index] = outcome;
      })();
    }
    return outcomes;
  }

  async #write(key: string, content: RawEvent | RawEventBatch): Promise<string> {
    const { putObject, bucket } = this.#options;
    try {
      await putObject({
        bucket,
        key,
        body: JSON.stringify(content),
        contentType: 'application/json',
        serverSideEncryption: 'AES256',
      });
    } catch (error) {
      throw new RawEventStoreUnavailableError('the raw event store did not accept the event', {
        cause: error,
      });
    }
    return key;
  }
}
