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
 * A redelivery with identical content gets the same key; any changed field makes it a new event.
 */
export function contentDedupeKey(vendor: VendorName, eventType: string, body: unknown): string {
  const digest = createHash('sha256').update(canonicalJson(body), 'utf8').digest('hex');
  return `${vendor}:${eventType}:sha256:${digest}`;
}
