/**
 * Valibot building blocks shared by the vendors' schemas. The schemas follow what vendors really send
 * (their own samples break their own docs: non-UUID ids, nulls, absent fields), so they are strict only
 * about what processing depends on and let every other field through untouched.
 */
import * as v from 'valibot';

function isPlainObject(input: unknown): input is Record<string, unknown> {
  return typeof input === 'object' && input !== null && !Array.isArray(input);
}

/**
 * A JSON object whose listed entries are validated and whose other entries pass through. Arrays are
 * refused first: valibot's `looseObject` alone would accept `[]` as an object.
 */
export function objectOf<const TEntries extends v.ObjectEntries>(entries: TEntries) {
  return v.pipe(
    v.custom<Record<string, unknown>>(isPlainObject, 'Invalid type: expected Object'),
    v.looseObject(entries),
  );
}

/**
 * Text that went through U+FFFD: a byte that was not UTF-8, or an unpaired UTF-16 surrogate (a string cut
 * mid-character), both made U+FFFD at the door so free text is kept. An id or an event type is refused
 * instead: it becomes a dedupe key, an S3 key segment or an API path, and a mangled one matches nothing. A
 * U+FFFD the vendor sent as such is refused too: once decoded it cannot be told apart (and an id holding
 * one was mangled before it reached us).
 */
const wholeText = v.check<string, string>(
  (text) => !text.includes('\uFFFD'),
  'Invalid text: an unpaired UTF-16 surrogate or a byte that is not UTF-8 (an id must be whole)',
);

/**
 * Text with something besides whitespace: an id or a type of blanks names nothing (a dedupe key ending in
 * spaces, an API path `/interviews/%20` that can only 404), so it is refused at the door with its field.
 */
const notBlank = v.check<string, string>(
  (text) => text.trim() !== '',
  'Invalid value: expected more than whitespace',
);

/**
 * An id that goes into a dedupe key. Not validated as a UUID: ROUND0 samples use `770g0622-…` and
 * `test-interview-id`, micro1 report ids look like `h0gqkAcaDJ`. Capped because the key becomes a
 * DynamoDB partition key (at most 2048 bytes) and several ids are joined into one.
 */
export const keyPart = v.pipe(
  v.string(),
  v.minLength(1, 'Invalid length: expected a non-empty string'),
  v.maxLength(255, 'Invalid length: expected at most 255 characters'),
  notBlank,
  wholeText,
);

/** An event type (ROUND0 `type`, micro1 `event`), known or not: it names metrics, logs and keys. */
export const eventType = v.pipe(v.string(), v.minLength(1), v.maxLength(100), notBlank, wholeText);

/** A text field that may be absent or null. */
export const optionalText = v.nullish(v.string());

/**
 * An id that may be absent, null or empty, and that becomes part of a ledger key when present (micro1's
 * session key `session:<interview_id>:<candidate_id>`): capped as {@link keyPart}, or a long one would be
 * accepted, then refused by DynamoDB on every attempt (a key over 2048 bytes) and dead-lettered.
 */
export const optionalKeyPart = v.nullish(
  v.pipe(v.string(), v.maxLength(255, 'Invalid length: expected at most 255 characters'), wholeText),
);

const scoreMessage = 'Invalid value: expected a score from 0 to 100';

/** A 0–100 score (micro1 `proctoring_score`). Any number, not only integers: nothing depends on that. */
export const percent = v.pipe(v.number(), v.minValue(0, scoreMessage), v.maxValue(100, scoreMessage));

/** A 0–100 score that may be absent or null (ROUND0 `score`, micro1 `ai_match_score`, …). */
export const optionalPercent = v.nullish(percent);

/**
 * An id in the company's ATS. The micro1 samples show strings, but several ATSs number their records
 * (Greenhouse application ids are integers), so an integer is accepted too and read as its decimal string
 * (inferred: not documented by micro1).
 */
export const optionalAtsId = v.nullish(
  v.union([v.pipe(v.string(), wholeText), v.pipe(v.number(), v.safeInteger())]),
);
