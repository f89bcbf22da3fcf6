/**
 * The raw event store: every accepted delivery's exact body and the headers that matter, kept in S3 so an
 * operator can replay any window of events later (`npm run ops -- replay --vendor … --since …`), re-verify
 * what a vendor sent, or erase a candidate. The delivery travels in the SQS message with its envelope and
 * the worker writes it before anything else it does with the event, so the ingest's 202 waits for SQS
 * alone (one service that must be up, not two) and a delivery is stored once it reaches the worker, whatever
 * happens to it after. Expired after a configurable retention (a bucket lifecycle rule on the prefix).
 *
 * Key: `raw/{vendor}/{yyyy-mm-dd}/{dedupe key}.json` (the day the delivery was received, UTC; a very long
 * dedupe key is cut and hashed, see `keySegment`). A vendor's
 * redelivery of the same event overwrites it (same dedupe key, same day) — what was received last is kept.
 */
import { createHash } from 'node:crypto';
import type { PutObject } from '../platform/object-put.js';
import type { InterviewEvent, RawDelivery, VendorName } from '../vendors/envelope.js';
import { RawEventStoreUnavailableError } from './errors.js';

/** Root of the raw event store. */
export const rawEventsPrefix = 'raw/';

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

/** The prefix of one vendor's deliveries received on `day` (`yyyy-mm-dd`). */
export const rawEventDayPrefix = (vendor: VendorName, day: string): string =>
  `${rawEventsPrefix}${vendor}/${day}/`;

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

export interface RawEventStoreOptions {
  /** How objects reach S3 (the worker's SDK client, platform/clients.ts `sdkPutObject`). */
  readonly putObject: PutObject;
  /** The bucket of the raw event store (the stack's bucket; the prefix is {@link rawEventsPrefix}). */
  readonly bucket: string;
}

/** Writes raw events at {@link rawEventKey}. */
export class RawEventStore {
  readonly #options: RawEventStoreOptions;

  constructor(options: RawEventStoreOptions) {
    this.#options = options;
  }

  /**
   * Stores `raw` (SSE-S3); resolves only once S3 accepted it, with its key. A redelivery (same vendor, day
   * and dedupe key) overwrites the object: a plain PUT, no condition, so a retry after a partial failure
   * always succeeds.
   *
   * @throws {RawEventStoreUnavailableError} when S3 refused or could not be reached.
   */
  async put(raw: RawEvent): Promise<string> {
    const { putObject, bucket } = this.#options;
    const key = rawEventKey(raw.vendor, new Date(raw.receivedAt), raw.dedupeKey);
    try {
      await putObject({
        bucket,
        key,
        body: JSON.stringify(raw),
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
