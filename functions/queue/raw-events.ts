/**
 * The raw event store: every accepted delivery's exact body and the headers that matter, kept in S3 so an
 * operator can replay any window of events later (`npm run ops -- replay --vendor … --since …`), re-verify
 * what a vendor sent, or erase a candidate. Written by the ingest Lambda beside the SQS message; expired
 * after a configurable retention (a bucket lifecycle rule on the prefix).
 *
 * Key: `raw/{vendor}/{yyyy-mm-dd}/{dedupe key}.json` (the day the delivery was received, UTC). A vendor's
 * redelivery of the same event overwrites it (same dedupe key, same day) — what was received last is kept.
 */
import type { VendorName } from '../vendors/envelope.js';

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
  /** When the ingest accepted it (ISO 8601, UTC). */
  readonly receivedAt: string;
  /** {@link keptHeaders} present on the request, lower-cased names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body exactly as received, base64 (bytes, not text: a signature covers the bytes). */
  readonly bodyBase64: string;
}

/** The key of a delivery's raw event. The dedupe key is made safe as one path segment. */
export const rawEventKey = (vendor: VendorName, receivedAt: Date, dedupeKey: string): string =>
  `${rawEventsPrefix}${vendor}/${receivedAt.toISOString().slice(0, 10)}/${encodeURIComponent(dedupeKey)}.json`;

/** The prefix of one vendor's deliveries received on `day` (`yyyy-mm-dd`). */
export const rawEventDayPrefix = (vendor: VendorName, day: string): string =>
  `${rawEventsPrefix}${vendor}/${day}/`;
