/**
 * Text a vendor cut mid-character, made Unicode. Shared by the ingest and `ops replay`, so a replayed delivery
 * becomes the envelope it became at the door (the same text, the same content hash where a key needs one).
 */

import { shownKey } from './issues.js';

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

/**
 * Only through a literal like these can `JSON.parse` give a number that is not finite: an exponent of three
 * digits or more, or 200 digits in a row (with an exponent of at most 99, an overflow needs over 209).
 */
const mayOverflow = /\d[eE][+-]?\d{3}|\d{200}/;

/**
 * The dotted path (keys as `shownKey` shows them) of the first number in `value` that is not finite, when
 * `text` (what `value` was parsed from) holds a literal too large for a double: `JSON.parse` reads `1e400`
 * as Infinity, which a schema's `number` accepts and the queue's JSON then writes as `null`, so the event
 * queued would not be the one sent (and two bodies differing only there would share a content hash). Most
 * bodies hold no such literal and skip the walk, which keeps its own stack (the input may be hostile).
 */
export const nonFiniteNumberPath = (text: string, value: unknown): string | undefined => {
  if (!mayOverflow.test(text)) return undefined;
  const stack: Array<{ value: unknown; path: readonly string[] }> = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop() as { value: unknown; path: readonly string[] };
    if (typeof current === 'number' && !Number.isFinite(current)) return path.join('.');
    if (typeof current !== 'object' || current === null) continue;
    for (const [key, child] of Object.entries(current).reverse()) {
      stack.push({ value: child, path: [...path, shownKey(key)] });
    }
  }
  return undefined;
};
