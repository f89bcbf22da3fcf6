/**
 * `npm run ops -- replay --vendor <v> --since <when> [--until <when>] [--type <t>] [--force]`: every
 * delivery of the raw event store in the window, parsed again by the vendors' parser and published to the
 * events queue as the ingest would, oldest first.
 *
 * Without `--force` each envelope keeps its dedupe key: the worker acknowledges what it processed before as
 * a duplicate and processes only what it never finished (its records lost, parked, or cut short). The store
 * holds what reached the worker (it keeps each delivery first): an accepted event that never reached a
 * working worker is still on the events queue or its DLQ (14 days), and comes home by `redrive`.
 * With `--force` each gets a new one (`<key>#replay-<time of the run>`), so the worker processes it again;
 * the ATS writes are recorded in the interview's ledger by what they write (`note`, `status:completed`, …),
 * not by event, so only the writes not recorded there are made (a lost record, a newly configured stage
 * move or score field) and nothing the ATS already has is written twice.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { RawEvent } from '../../functions/queue/raw-events.js';
import type { InterviewEvent, VendorName } from '../../functions/vendors/envelope.js';
import { Progress, type ProgressStream } from './progress.js';
import { envelopeOfRaw, listRawEvents, readRawEvents } from './raw-store.js';
import type { ObjectRef } from './s3-objects.js';

export interface RawReplayOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly vendor: VendorName;
  readonly since: Date;
  /** @default now */
  readonly until?: Date;
  /** Only this event type. */
  readonly type?: string;
  readonly force?: boolean;
  /** Enqueues an envelope (`EventQueue.publish`). */
  readonly publish: (event: InterviewEvent) => Promise<unknown>;
  readonly progress?: ProgressStream;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

export interface RawReplayOutcome {
  readonly days: readonly string[];
  /** The vendor's deliveries stored on the window's days (each once: the copy received last). */
  readonly listed: number;
  readonly sent: number;
  /** Received outside the exact window (same day). */
  readonly outsideWindow: number;
  readonly otherType: number;
  /** Keys of objects that are not a stored delivery, or whose body the parser refuses now, with why. */
  readonly unreadable: ReadonlyArray<{ readonly key: string; readonly reason: string }>;
  /** The suffix forced replays got (`#replay-…`). */
  readonly forcedSuffix?: string;
}

/** The reason of an object (or a batch's entry) that is no stored delivery of the vendor. */
export const notADelivery = 'not a stored delivery';

/** Reads this many objects at once. */
const readConcurrency = 16;
/** Batch objects kept parsed in the second pass (a batch's deliveries are received together: adjacent). */
const cachedObjects = 16;

/** What the first pass keeps of a stored delivery: enough to order, filter and find it, not its body. */
interface Listed {
  readonly ref: ObjectRef;
  /** Its place in a batch object (0 for a delivery stored alone). */
  readonly index: number;
  readonly receivedAt: string;
  readonly type: string;
  readonly dedupeKey: string;
}

/**
 * Reads `refs` (`readConcurrency` at once) and keeps what {@link Listed} says of each of `vendor`'s
 * deliveries, and the keys of the objects that hold none: the bodies of a whole day are never held at
 * once, only one chunk of them.
 */
const listDeliveries = async (
  s3: S3Client,
  bucket: string,
  vendor: VendorName,
  refs: readonly ObjectRef[],
): Promise<{ listed: Listed[]; notDeliveries: ObjectRef[]; gone: ObjectRef[] }> => {
  const listed: Listed[] = [];
  const notDeliveries: ObjectRef[] = [];
  // Deleted (expired, erased) between the listing and this read: deliveries that were there, not replayed.
  const gone: ObjectRef[] = [];
  for (let start = 0; start < refs.length; start += readConcurrency) {
    const chunk = refs.slice(start, start + readConcurrency);
    const read = await Promise.all(
      chunk.map((ref) => readRawEvents(s3, bucket, ref, (missing) => gone.push(missing))),
    );
    read.forEach((stored, position) => {
      const ref = chunk[position] as ObjectRef;
      if (stored === undefined) {
        if (!gone.includes(ref)) notDeliveries.push(ref);
        return;
      }
      // Its deliveries are replayed; what is not one is reported, as an object that is not one is.
      if (stored.unreadable > 0) notDeliveries.push(ref);
      stored.events.forEach((raw, index) => {
        // A batch object holds both vendors' deliveries.
        if (raw === undefined || raw.vendor !== vendor) return;
        listed.push({ ref, index, receivedAt: raw.receivedAt, type: raw.type, dedupeKey: raw.dedupeKey });
      });
    });
  }
  return { listed, notDeliveries, gone };
};

/**
 * One copy per dedupe key, the one received last (a delivery retried in another batch is stored twice,
 * as a vendor's redelivery on another day is), in the order received.
 */
const latestPerDedupeKey = (listed: readonly Listed[]): Listed[] => {
  const latest = new Map<string, Listed>();
  for (const entry of listed) {
    const kept = latest.get(entry.dedupeKey);
    if (kept === undefined || kept.receivedAt <= entry.receivedAt) latest.set(entry.dedupeKey, entry);
  }
  return [...latest.values()].sort((a, b) => a.receivedAt.localeCompare(b.receivedAt));
};

export const replayRawEvents = async (options: RawReplayOptions): Promise<RawReplayOutcome> => {
  const now = (options.now ?? (() => new Date()))();
  const until = options.until ?? now;
  const listing = await listRawEvents(options.s3, options.bucket, {
    vendors: [options.vendor],
    since: options.since,
    until,
  });
  const suffix = options.force ? `#replay-${now.toISOString().replace(/[-:.]/g, '')}` : undefined;
  let sent = 0;
  let listed = 0;
  let outsideWindow = 0;
  let otherType = 0;
  const unreadable: Array<{ key: string; reason: string }> = [];
  // Day by day (`raw/{vendor}/{day}/…` and `raw/batches/{day}/…`), each day's deliveries in the order they
  // were received.
  const byDay = new Map<string, ObjectRef[]>();
  for (const ref of listing.objects) {
    const day = ref.key.split('/')[2] ?? '';
    byDay.set(day, [...(byDay.get(day) ?? []), ref]);
  }
  const progress = new Progress(`replay ${options.vendor}`, listing.objects.length, {
    ...(options.progress === undefined ? {} : { stream: options.progress }),
  });
  // Two passes a day: the first orders and filters the day's deliveries, the second reads each one sent
  // again and publishes it, so memory holds one day's keys and times, never its bodies (but for a few
  // batch objects).
  for (const day of [...byDay.keys()].sort()) {
    const refs = byDay.get(day) ?? [];
    const found = await listDeliveries(options.s3, options.bucket, options.vendor, refs);
    progress.tick(refs.length);
    for (const ref of found.notDeliveries) unreadable.push({ key: ref.key, reason: notADelivery });
    for (const ref of found.gone) unreadable.push({ key: ref.key, reason: 'gone since it was listed' });
    // The window first, then the copy received last of each: a day's last copy received after `--until`
    // must not hide one inside the window.
    const inWindow = found.listed.filter(({ receivedAt: received }) => {
      const receivedAt = Date.parse(received);
      return receivedAt >= options.since.getTime() && receivedAt <= until.getTime();
    });
    const deliveries = latestPerDedupeKey(inWindow);
    const distinct = new Set(found.listed.map(({ dedupeKey }) => dedupeKey)).size;
    listed += distinct;
    outsideWindow += distinct - deliveries.length;
    const cache = new Map<string, ReadonlyArray<RawEvent | undefined> | undefined>();
    const read = async (ref: ObjectRef, index: number): Promise<RawEvent | undefined> => {
      const id = `${ref.key}\u0000${ref.versionId ?? ''}`;
      if (!cache.has(id)) {
        if (cache.size >= cachedObjects) cache.delete(cache.keys().next().value as string);
        cache.set(id, (await readRawEvents(options.s3, options.bucket, ref))?.events);
      }
      return cache.get(id)?.[index];
    };
    for (const { ref, index, type, dedupeKey } of deliveries) {
      if (options.type !== undefined && type !== options.type) {
        otherType += 1;
        continue;
      }
      const raw = await read(ref, index);
      if (raw === undefined || raw.dedupeKey !== dedupeKey) {
        unreadable.push({ key: ref.key, reason: 'gone or changed since it was listed' });
        continue;
      }
      const parsed = envelopeOfRaw(raw);
      if (!parsed.ok) {
        unreadable.push({ key: ref.key, reason: parsed.reason });
        continue;
      }
      // The dedupe key it was stored with, not the one today's parser would derive: a change in how keys
      // are derived must not make a replay without --force process everything again.
      const event = {
        ...parsed.event,
        dedupeKey: `${raw.dedupeKey}${suffix ?? ''}`,
        replayedAt: now.toISOString(),
      };
      await options.publish(event);
      sent += 1;
    }
  }
  progress.done();
  return {
    days: listing.days,
    listed: listed + unreadable.filter(({ reason }) => reason === notADelivery).length,
    sent,
    outsideWindow,
    otherType,
    unreadable,
    ...(suffix === undefined ? {} : { forcedSuffix: suffix }),
  };
};

/** The lines `npm run ops -- replay --vendor …` prints. */
export const rawReplayLines = (options: RawReplayOptions, outcome: RawReplayOutcome): string[] => {
  const window = `${options.since.toISOString()} .. ${(options.until ?? new Date()).toISOString()}`;
  if (outcome.listed === 0)
    return [`no ${options.vendor} events stored in the raw event store for ${window}`];
  const lines = [
    `sent ${outcome.sent} ${options.vendor} event(s) to the events queue (${outcome.listed} stored on ` +
      `${outcome.days.length} day(s): ${outcome.days[0]} .. ${outcome.days.at(-1)})`,
  ];
  if (outcome.otherType > 0) lines.push(`skipped ${outcome.otherType} of another type than ${options.type}`);
  if (outcome.outsideWindow > 0) lines.push(`skipped ${outcome.outsideWindow} received outside ${window}`);
  for (const { key, reason } of outcome.unreadable) lines.push(`skipped ${key}: ${reason}`);
  lines.push(
    outcome.forcedSuffix === undefined
      ? 'same dedupe keys: the worker skips what it processed before (duplicates) and processes the rest'
      : `forced: new dedupe keys (<key>${outcome.forcedSuffix}); the worker processes each again, and ` +
          'makes only the ATS writes not recorded in the interview ledger',
  );
  return lines;
};
