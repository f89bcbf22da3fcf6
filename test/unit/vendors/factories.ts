/**
 * Event factories for the vendors tests: a vendor's sample body (from the fixtures) with the changes a
 * test is about, addressed by dotted paths, so each test states only what differs.
 */
import type { VendorName } from '../../../functions/vendors/envelope.js';
import { fixture } from '../../helpers/fixtures.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Container = Json[] | { [key: string]: Json };

export interface EventChanges {
  /** Values to set, by dotted path (`data.responses.0.score`); missing parents are created as objects. */
  readonly set?: Readonly<Record<string, Json>>;
  /** Dotted paths to delete. */
  readonly remove?: readonly string[];
}

function isContainer(value: Json | undefined): value is Container {
  return typeof value === 'object' && value !== null;
}

function parentOf(root: Container, path: string): [Container, string] {
  const keys = path.split('.');
  const last = keys.pop();
  if (last === undefined) throw new Error(`Empty path`);
  let current: Container = root;
  for (const key of keys) {
    const record = current as Record<string, Json>;
    const next = record[key];
    if (isContainer(next)) {
      current = next;
    } else {
      const created: Record<string, Json> = {};
      record[key] = created;
      current = created;
    }
  }
  return [current, last];
}

/** Applies {@link EventChanges} to a copy of `body`. */
export function withChanges(body: Json, changes: EventChanges = {}): Json {
  const copy = structuredClone(body);
  if (!isContainer(copy)) throw new Error('Only objects and arrays can be changed');
  for (const [path, value] of Object.entries(changes.set ?? {})) {
    const [parent, key] = parentOf(copy, path);
    (parent as Record<string, Json>)[key] = value;
  }
  for (const path of changes.remove ?? []) {
    const [parent, key] = parentOf(copy, path);
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
  }
  return copy;
}

/** A vendor event: the vendor's sample body of `type` with `changes` applied. */
export function vendorEvent(vendor: VendorName, type: string, changes?: EventChanges): Json {
  return withChanges(fixture(vendor, type).body as Json, changes);
}

export const round0Event = (
  type: 'interview_started' | 'interview_ended' | 'test_interview_ended',
  changes?: EventChanges,
) => vendorEvent('round0', type, changes);

export const micro1Event = (type: string, changes?: EventChanges) => vendorEvent('micro1', type, changes);

/** A fixed reception time, so envelopes compare equal across runs. */
export const receivedAt = new Date('2024-06-01T12:00:00.000Z');
