import { createHash } from 'node:crypto';
import type { VendorName } from './envelope.js';

/**
 * JSON with object keys sorted recursively, so two deliveries of the same content hash alike whatever
 * order the vendor serialised the keys in. Array order is kept (it is meaningful); `undefined` object
 * entries are dropped as `JSON.stringify` drops them.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .sort()
      .filter((key) => record[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The dedupe key of last resort, for events that carry no id to key on (unknown types, an undocumented
 * payload without ids): `${vendor}:${event}:sha256:${hex}` over the canonical JSON of the whole body.
 * A redelivery with identical content gets the same key; any changed field makes it a new event. `body` is
 * the body as parsed from JSON, not a schema's output: valibot drops a `__proto__` key, and two bodies
 * differing only there would have shared a key (the second taken for a redelivery and dropped).
 */
export function contentDedupeKey(vendor: VendorName, eventType: string, body: unknown): string {
  const digest = createHash('sha256').update(canonicalJson(body), 'utf8').digest('hex');
  return `${vendor}:${eventType}:sha256:${digest}`;
}

/**
 * An id that is not the last part of a key: `%` and `:` percent-encoded, so a key splits back into its parts
 * one way only, and two events (or interviews) whose ids differ never share it (`a:b` + `c` and `a` + `b:c`
 * did). The last part needs no escaping (a key's number of parts is fixed). An id without either character
 * is unchanged: the key of every id a vendor has sent so far stays what it was, so no event in flight across
 * a deploy gets a new key.
 */
export function leadingKeyPart(id: string): string {
  return id.replace(/[%:]/g, (character) => (character === '%' ? '%25' : '%3A'));
}
