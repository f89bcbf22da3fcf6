/**
 * Reading the raw event store (`functions/queue/raw-events.ts`): the day folders of a window, each stored
 * delivery — one per object, or several in a batch object — and the envelope its body becomes when parsed
 * again by the vendors' parser: what the ingest made of it, except for the dedupe key when the replay is
 * forced.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import {
  type RawEvent,
  type RawEventBatch,
  rawBatchesPrefix,
  rawEventsPrefix,
} from '../../functions/queue/raw-events.js';
import type { InterviewEvent, VendorName } from '../../functions/vendors/envelope.js';
import {
  bodyText,
  parseVendorEvent,
  vendorNames,
  withUnpairedSurrogatesReplaced,
} from '../../functions/vendors/index.js';
import { listAll, listFolders, type ObjectRef, readText } from './s3-objects.js';

const dayPattern = /^\d{4}-\d{2}-\d{2}$/;
/** An ISO 8601 time that says its offset (`Z` or `±hh:mm`), on a day given as `yyyy-mm-dd`. */
const timePattern = /^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** The UTC start of `day` (`yyyy-mm-dd`) if it exists: V8 would read `2024-02-30` as 1 March. */
const startOfDay = (day: string): number | undefined => {
  const start = Date.parse(`${day}T00:00:00.000Z`);
  return Number.isNaN(start) || new Date(start).toISOString().slice(0, 10) !== day ? undefined : start;
};

/**
 * A `--since`/`--until` value: `yyyy-mm-dd` (a UTC day: its start for `since`, its last millisecond for
 * `until`) or an ISO 8601 time with its offset. `undefined` when unreadable, when the day does not exist,
 * and for a time without an offset (the operator's time zone would decide which deliveries it names, while
 * the store's days are UTC).
 */
export const parseWhen = (text: string, edge: 'start' | 'end'): Date | undefined => {
  if (dayPattern.test(text)) {
    const start = startOfDay(text);
    if (start === undefined) return undefined;
    return new Date(edge === 'start' ? start : start + 24 * 3600 * 1000 - 1);
  }
  const day = timePattern.exec(text)?.[1];
  if (day === undefined || startOfDay(day) === undefined) return undefined;
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : new Date(time);
};

const dayOf = (date: Date) => date.toISOString().slice(0, 10);

export interface RawListing {
  /** The day folders read, `yyyy-mm-dd`, oldest first. */
  readonly days: readonly string[];
  readonly objects: readonly ObjectRef[];
}

/**
 * The objects holding the deliveries of `vendors` received on the days of `[since, until]` (whole days: the
 * exact window is applied to each event's `receivedAt`): each vendor's day folders, and the batch objects'
 * day folders, which hold any vendor's deliveries (filter them by `RawEvent.vendor`). Lists the folders and
 * keeps those in the window, so empty days cost nothing.
 */
export const listRawEvents = async (
  s3: S3Client,
  bucket: string,
  options: {
    readonly vendors?: readonly VendorName[];
    readonly since?: Date;
    readonly until?: Date;
    /** Every version of each key (a versioned bucket, for erasure). @default false */
    readonly versions?: boolean;
  } = {},
): Promise<RawListing> => {
  const from = options.since === undefined ? undefined : dayOf(options.since);
  const to = options.until === undefined ? undefined : dayOf(options.until);
  const days = new Set<string>();
  const objects: ObjectRef[] = [];
  const roots = [
    ...(options.vendors ?? vendorNames).map((vendor) => `${rawEventsPrefix}${vendor}/`),
    rawBatchesPrefix,
  ];
  for (const root of roots) {
    const folders = await listFolders(s3, bucket, root, options.versions ?? false);
    for (const folder of folders) {
      const day = folder.slice(root.length, -1);
      if ((from !== undefined && day < from) || (to !== undefined && day > to)) continue;
      days.add(day);
      for await (const object of listAll(s3, bucket, folder, options.versions ?? false)) objects.push(object);
    }
  }
  return { days: [...days].sort(), objects };
};

/** Whether a parsed value is a stored delivery ({@link RawEvent}). */
const isRawEvent = (value: unknown): value is RawEvent => {
  const raw = value as Partial<RawEvent> | null;
  return (
    raw !== null &&
    typeof raw === 'object' &&
    raw.schemaVersion === 1 &&
    (vendorNames as readonly string[]).includes(String(raw.vendor)) &&
    typeof raw.bodyBase64 === 'string' &&
    typeof raw.receivedAt === 'string' &&
    typeof raw.dedupeKey === 'string'
  );
};

/** What a raw event store object holds ({@link readRawEvents}). */
export interface StoredRawEvents {
  /** A batch object (several deliveries, each at its place) rather than one delivery stored alone. */
  readonly batch: boolean;
  /** The deliveries, each at its place in the object; `undefined` where an entry is not one. */
  readonly events: ReadonlyArray<RawEvent | undefined>;
  /** The object's entries as stored (JSON), each at its place: what a rewrite keeps of one not understood. */
  readonly entries: readonly unknown[];
  /** How many of the entries are not stored deliveries (a batch's only; some of them, or all). */
  readonly unreadable: number;
}

/**
 * The deliveries an object holds, checked to be ones: one (a delivery stored alone), several (a batch
 * object, in its order; an entry that is not a delivery leaves a hole at its place, the others read, and a
 * batch none of whose entries is one is still a batch, all holes), or
 * `undefined` for anything else under `raw/` (or an object gone since it was listed). An object S3 does not
 * give (throttled, reset, access denied) throws: taken for "not a delivery", it let erase miss a
 * candidate's deliveries and report nothing to erase.
 */
export const readRawEvents = async (
  s3: S3Client,
  bucket: string,
  ref: ObjectRef,
  /** Told when the object is gone since it was listed (its answer is then `undefined` too). */
  gone?: (ref: ObjectRef) => void,
): Promise<StoredRawEvents | undefined> => {
  let text: string;
  try {
    text = await readText(s3, bucket, ref);
  } catch (error) {
    // Expired or deleted since it was listed: nothing is held there any more.
    if (error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NoSuchVersion')) {
      gone?.(ref);
      return undefined;
    }
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (isRawEvent(value)) return { batch: false, events: [value], entries: [value], unreadable: 0 };
  const batch = value as Partial<RawEventBatch> | null;
  if (
    batch === null ||
    typeof batch !== 'object' ||
    batch.schemaVersion !== 2 ||
    !Array.isArray(batch.events) ||
    batch.events.length === 0
  )
    return undefined;
  const entries: readonly unknown[] = batch.events;
  // One entry a reader does not understand (a vendor since removed, a later format) must not hide the others.
  const events = entries.map((entry) => (isRawEvent(entry) ? entry : undefined));
  const unreadable = events.filter((event) => event === undefined).length;
  // Even when none is understood (a vendor since removed): still a batch of everyone's deliveries, each
  // entry decided on its own, never one object to search as text and delete whole.
  return { batch: true, events, entries, unreadable };
};

/**
 * A stored delivery: the one of an object, or the `index`th of a batch object (`undefined` when the object
 * holds no delivery there).
 */
export const readRawEvent = async (
  s3: S3Client,
  bucket: string,
  ref: ObjectRef,
  index = 0,
): Promise<RawEvent | undefined> => (await readRawEvents(s3, bucket, ref))?.events[index];

/** The body of a stored delivery parsed from JSON (`undefined` when it is not JSON). */
export const rawBodyJson = (raw: RawEvent): unknown => {
  try {
    return JSON.parse(bodyText(Buffer.from(raw.bodyBase64, 'base64')));
  } catch {
    return undefined;
  }
};

export type RawEnvelope =
  | { readonly ok: true; readonly event: InterviewEvent }
  | { readonly ok: false; readonly reason: string };

/** The envelope the ingest made of a delivery: its body through `parseVendorEvent`, received when it was. */
export const envelopeOfRaw = (raw: RawEvent): RawEnvelope => {
  const body = rawBodyJson(raw);
  if (body === undefined) return { ok: false, reason: 'body is not JSON' };
  const receivedAt = new Date(raw.receivedAt);
  if (Number.isNaN(receivedAt.getTime())) return { ok: false, reason: 'receivedAt is not a time' };
  // As the ingest did (functions/intake/accept-webhook.ts), or free text cut mid-character would differ.
  const parsed = parseVendorEvent(raw.vendor, withUnpairedSurrogatesReplaced(body), receivedAt);
  if (!parsed.ok) {
    // Paths only: an issue never quotes the value (it may be PII).
    return { ok: false, reason: `invalid at ${parsed.issues.map((issue) => issue.path).join(', ')}` };
  }
  return { ok: true, event: parsed.event };
};
