/**
 * Text a vendor cut mid-character, made Unicode. Shared by the ingest and `ops replay`, so a replayed delivery
 * becomes the envelope it became at the door (the same text, the same content hash where a key needs one).
 */

/** With the `u` flag a surrogate pair is one code point: this matches unpaired surrogates only. */
const unpairedSurrogates = /\p{Cs}/gu;

/**
 * A parsed JSON body with every unpaired UTF-16 surrogate (in strings and member names) made U+FFFD, as a
 * byte that is not UTF-8 already is when the body is decoded. Such text (half an emoji at the end of a
 * transcript line) has no UTF-8 form, and refusing the delivery for it would lose the event. Ids and event
 * types holding one are refused by the schemas (`wholeText`, ./schema-parts.ts). Recursive: the caller
 * bounds the depth. Objects are rebuilt with `Object.fromEntries`, which defines a `__proto__` member as
 * data, as `JSON.parse` did.
 */
export const withUnpairedSurrogatesReplaced = (value: unknown): unknown => {
  if (typeof value === 'string') return value.replace(unpairedSurrogates, '\uFFFD');
  if (Array.isArray(value)) return value.map(withUnpairedSurrogatesReplaced);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => [
      key.replace(unpairedSurrogates, '\uFFFD'),
      withUnpairedSurrogatesReplaced(child),
    ]),
  );
};
