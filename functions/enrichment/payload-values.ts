/** Small readers shared by the ROUND0 and micro1 enrichers. */
import * as v from 'valibot';
import type { VendorName } from '../vendors/envelope.js';
import { UnreadableEventPayloadError } from './errors.js';

/** `value` when it is a non-empty string (after trimming), else undefined. */
export const textOf = (value: string | null | undefined): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value : undefined;

/** `value` when it is a finite number, else undefined (null reads as absent). */
export const numberOf = (value: number | null | undefined): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

/** micro1 writes `YYYY-MM-DD HH:mm:ss` without a zone (shared/vendors/micro1.md: treat as UTC, inferred). */
const zonelessDateTime = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)$/;

/** An ISO 8601 UTC timestamp for a vendor date-time, or undefined when it cannot be read. */
export function isoTimestampOf(value: string | null | undefined): string | undefined {
  const raw = textOf(value)?.trim();
  if (raw === undefined) return undefined;
  const zoneless = zonelessDateTime.exec(raw);
  const millis = Date.parse(zoneless ? `${zoneless[1]}T${zoneless[2]}Z` : raw);
  return Number.isNaN(millis) ? undefined : new Date(millis).toISOString();
}

/** `entries` without the undefined ones, so optional fields are absent rather than present-but-undefined. */
export function compact<T extends object>(entries: T): T {
  return Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined)) as T;
}

/** `items` when there is at least one, else undefined. */
export const nonEmpty = <T>(items: readonly T[]): readonly T[] | undefined =>
  items.length > 0 ? items : undefined;

/**
 * An optional part read with `schema`, or absent when it is null, absent or of another shape. Ingest checks
 * only the fields each event type depends on and lets the rest through, so a badly typed optional part
 * (a numeric rating, `"N/A"` for an evaluation) must not make the whole event unreadable: that is a
 * permanent failure, and an event ingest answered 202 for would be dead-lettered.
 */
export const optionalPart = <const TSchema extends v.GenericSchema>(schema: TSchema) =>
  v.fallback(v.nullish(schema), undefined as v.InferOutput<v.NullishSchema<TSchema, undefined>>);

/**
 * An optional list whose items `item` cannot read are left out (the others still render), absent when it
 * is not a list: see {@link optionalPart}.
 */
export const readableItems = <const TItem extends v.GenericSchema>(item: TItem) =>
  optionalPart(
    v.pipe(
      v.array(v.unknown()),
      v.transform((items) =>
        items.flatMap((value) => {
          const result = v.safeParse(item, value);
          return result.success ? [result.output as v.InferOutput<TItem>] : [];
        }),
      ),
    ),
  );

/** `payload` read with `schema`; throws {@link UnreadableEventPayloadError} naming the failing paths only. */
export function readEventPayload<const TSchema extends v.GenericSchema>(
  vendor: VendorName,
  eventType: string,
  schema: TSchema,
  payload: unknown,
): v.InferOutput<TSchema> {
  const result = v.safeParse(schema, payload);
  if (result.success) return result.output;
  throw new UnreadableEventPayloadError(vendor, eventType, failingPaths(result.issues, ''));
}

/**
 * The distinct dotted paths of valibot issues (`responses.0.score`), at most 10: what an error may name
 * instead of the values, which can be candidate data. `root` names an issue of the value itself.
 */
export const failingPaths = (issues: readonly v.BaseIssue<unknown>[], root: string): string[] =>
  [...new Set(issues.map((issue) => issue.path?.map((item) => String(item.key)).join('.') || root))].slice(
    0,
    10,
  );
