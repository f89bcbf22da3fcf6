/**
 * Text a vendor cut mid-character, made Unicode. Shared by the ingest and `ops replay`, so a replayed delivery
 * becomes the envelope it became at the door (the same text, the same content hash where a key needs one).
 */

import { shownKey } from './issues.js';

/**
 * A delivery's body as text: UTF-8, a byte that is not UTF-8 (a vendor cutting a string mid-character) read
 * as U+FFFD rather than losing the event, and a leading byte order mark dropped (RFC 8259 §8.1 lets a parser
 * ignore it; fetch's `Response.json()` does) rather than refusing a signed event the vendor will not send
 * again. The signature covers the exact bytes, which the raw event store keeps.
 */
export const bodyText = (raw: Buffer): string => {
  const text = raw.toString('utf8');
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
};

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
 * bodies hold no such literal and skip the walk.
 *
 * The walk keeps one frame per open container, not one entry per value: the input may be hostile, and a
 * 4 MB body of two million array items with one `1e999` made a path and an entry for each (900 MB, past
 * the ingest's memory). The caller has bounded the nesting, so the frames are few; a path is made only for
 * the number found.
 */
export const nonFiniteNumberPath = (text: string, value: unknown): string | undefined => {
  if (!mayOverflow.test(text)) return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : '';
  if (typeof value !== 'object' || value === null) return undefined;
  const frames = [frameOf(value)];
  while (frames.length > 0) {
    const frame = frames[frames.length - 1] as Frame;
    if (frame.next >= frame.size) {
      frames.pop();
      continue;
    }
    const child = frame.childAt(frame.next);
    frame.next += 1;
    if (typeof child === 'number' && !Number.isFinite(child)) {
      return frames.map((open) => shownKey(open.keyAt(open.next - 1))).join('.');
    }
    if (typeof child === 'object' && child !== null) frames.push(frameOf(child));
  }
  return undefined;
};

/** An open container of the walk: its children in document order, and the next one to visit. */
interface Frame {
  readonly size: number;
  readonly childAt: (index: number) => unknown;
  readonly keyAt: (index: number) => string;
  next: number;
}

const frameOf = (container: object): Frame => {
  if (Array.isArray(container)) {
    // By index: no key string per item unless it is the one reported.
    return { size: container.length, childAt: (i) => container[i], keyAt: String, next: 0 };
  }
  // JSON.parse made every member an own data property (`__proto__` included), so a lookup finds it.
  const record = container as Readonly<Record<string, unknown>>;
  const keys = Object.keys(record);
  return {
    size: keys.length,
    childAt: (i) => record[keys[i] as string],
    keyAt: (i) => keys[i] as string,
    next: 0,
  };
};
