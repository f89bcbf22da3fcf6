/**
 * `RawEventStore.putAll` (functions/queue/raw-events.ts): an invocation's deliveries in one PUT per day they
 * were received on, a lone delivery at its own key, and a failed PUT failing only its own deliveries.
 */
import { describe, expect, it } from '@jest/globals';
import type { ObjectToPut } from '../../../functions/platform/object-put.js';
import {
  RawEventStoreUnavailableError,
  UnreadableQueueMessageError,
} from '../../../functions/queue/errors.js';
import {
  type RawEvent,
  type RawEventBatch,
  RawEventStore,
  rawBatchKey,
  rawEventKey,
} from '../../../functions/queue/raw-events.js';
import { classifyFailure } from '../../../functions/sync/failures.js';

const raw = (dedupeKey: string, receivedAt: string, vendor: 'round0' | 'micro1' = 'round0'): RawEvent => ({
  schemaVersion: 1,
  vendor,
  type: 'interview_ended',
  dedupeKey,
  receivedAt,
  headers: { 'content-type': 'application/json' },
  bodyBase64: Buffer.from(`{"id":"${dedupeKey}"}`).toString('base64'),
});

/** A store over an in-memory bucket whose PUTs to `refusedKeys` fail. */
const storeWith = (refused: (key: string) => boolean = () => false) => {
  const puts: ObjectToPut[] = [];
  const store = new RawEventStore({
    bucket: 'b',
    putObject: async (object) => {
      puts.push(object);
      if (refused(object.key)) throw new Error('SlowDown');
    },
  });
  return { store, puts };
};

describe('RawEventStore.putAll', () => {
  it("writes a day's deliveries, both vendors', as one batch object (one PUT)", async () => {
    // Prepare
    const { store, puts } = storeWith();
    const raws = [
      raw('round0:a', '2026-12-05T10:00:00.000Z'),
      raw('micro1:b', '2026-12-05T10:00:01.000Z', 'micro1'),
      raw('round0:c', '2026-12-05T10:00:02.000Z'),
    ];

    // Act
    const outcomes = await store.putAll(raws);

    // Assess
    const key = rawBatchKey('2026-12-05', ['round0:a', 'micro1:b', 'round0:c']);
    expect(outcomes).toEqual([key, key, key]);
    expect(puts).toHaveLength(1);
    expect(puts[0]).toMatchObject({ key, serverSideEncryption: 'AES256', contentType: 'application/json' });
    // in dedupe-key order, not the records' order
    expect(JSON.parse(String(puts[0]?.body))).toEqual({
      schemaVersion: 2,
      events: [raws[1], raws[0], raws[2]] as RawEvent[],
    } satisfies RawEventBatch);
  });

  it('writes the same batch object whatever order the records come in (a retry keeps every place)', async () => {
    // Prepare: one batch received twice, its records in another order the second time
    const { store, puts } = storeWith();
    const raws = ['round0:c', 'round0:a', 'micro1:b', 'round0:d'].map((key, index) =>
      raw(key, `2026-12-05T10:00:0${index}.000Z`),
    );

    // Act
    await store.putAll(raws);
    await store.putAll([...raws].reverse());

    // Assess: the same key and the same bytes, so a place (index) read before the retry still holds
    expect(puts).toHaveLength(2);
    expect(puts[1]?.key).toBe(puts[0]?.key);
    expect(puts[1]?.body).toBe(puts[0]?.body);
  });

  it('fails a delivery whose receivedAt is not a time for good (unreadable), the others stored', async () => {
    // Prepare
    const { store, puts } = storeWith();

    // Act
    const outcomes = await store.putAll([
      raw('round0:x', '2026-12-05T00:00:00.100Z'),
      raw('round0:bad', 'not a time'),
    ]);

    // Assess: a permanent failure (dead-lettered with why), not a transient outage retried ten times
    expect(outcomes[1]).toBeInstanceOf(UnreadableQueueMessageError);
    expect(classifyFailure(outcomes[1]).kind).toBe('permanent');
    expect(outcomes[0]).toBe(rawEventKey('round0', new Date('2026-12-05T00:00:00.100Z'), 'round0:x'));
    expect(puts).toHaveLength(1);
  });

  it('names a batch by its dedupe keys in any order: the same batch received again overwrites its object', () => {
    expect(rawBatchKey('2026-12-05', ['round0:a', 'micro1:b'])).toBe(
      rawBatchKey('2026-12-05', ['micro1:b', 'round0:a']),
    );
    expect(rawBatchKey('2026-12-05', ['round0:a', 'micro1:b'])).not.toBe(
      rawBatchKey('2026-12-05', ['round0:a']),
    );
    // A ROUND0 event id is the vendor's text, a newline included: two batches never share an object
    expect(rawBatchKey('2026-12-05', ['round0:1', 'round0:2\nround0:3'])).not.toBe(
      rawBatchKey('2026-12-05', ['round0:1\nround0:2', 'round0:3']),
    );
  });

  it('writes a delivery alone on its day at its own key, as a stored delivery', async () => {
    // Prepare: two days in one invocation (a batch across midnight)
    const { store, puts } = storeWith();
    const late = raw('round0:late', '2026-12-04T23:59:59.900Z');
    const early = [raw('round0:x', '2026-12-05T00:00:00.100Z'), raw('round0:y', '2026-12-05T00:00:00.200Z')];

    // Act
    const outcomes = await store.putAll([early[0] as RawEvent, late, early[1] as RawEvent]);

    // Assess
    const lateKey = rawEventKey('round0', new Date(late.receivedAt), late.dedupeKey);
    const batchKey = rawBatchKey('2026-12-05', ['round0:x', 'round0:y']);
    expect(outcomes).toEqual([batchKey, lateKey, batchKey]);
    expect(puts.map((put) => put.key).sort()).toEqual([batchKey, lateKey].sort());
    expect(JSON.parse(String(puts.find((put) => put.key === lateKey)?.body))).toEqual(late);
  });

  it('fails only the deliveries of the PUT that failed, and says so without throwing', async () => {
    // Prepare
    const { store } = storeWith((key) => key.includes('/batches/'));
    const alone = raw('round0:alone', '2026-12-04T12:00:00.000Z');

    // Act
    const outcomes = await store.putAll([
      raw('round0:x', '2026-12-05T00:00:00.100Z'),
      alone,
      raw('round0:y', '2026-12-05T00:00:00.200Z'),
    ]);

    // Assess
    expect(outcomes[0]).toBeInstanceOf(RawEventStoreUnavailableError);
    expect(outcomes[2]).toBe(outcomes[0]);
    expect(outcomes[1]).toBe(rawEventKey('round0', new Date(alone.receivedAt), alone.dedupeKey));
  });

  it('splits a day whose deliveries are large into objects of at most 8 MiB of bodies, each delivery once', async () => {
    // Prepare: four claim-checked deliveries of 3 MiB (base64) each, and a small one
    const { store, puts } = storeWith();
    const large = (key: string): RawEvent => ({
      ...raw(key, '2026-12-05T10:00:00.000Z'),
      bodyBase64: 'A'.repeat(3 * 1024 * 1024),
    });
    const raws = [
      large('round0:a'),
      large('round0:b'),
      large('round0:c'),
      large('round0:d'),
      raw('round0:e', '2026-12-05T10:00:00.000Z'),
    ];

    // Act
    const outcomes = await store.putAll(raws);

    // Assess: [a, b] and [c, d, e] (in dedupe-key order), every delivery in exactly one object, each ≤ 8 MiB
    const held = puts.map((put) => {
      const content = JSON.parse(String(put.body)) as RawEvent | RawEventBatch;
      const events = 'events' in content ? content.events : [content];
      return {
        key: put.key,
        dedupeKeys: events.map((event) => event.dedupeKey),
        bodies: events.reduce((sum, event) => sum + event.bodyBase64.length, 0),
      };
    });
    expect(held.flatMap((object) => object.dedupeKeys).sort()).toEqual([
      'round0:a',
      'round0:b',
      'round0:c',
      'round0:d',
      'round0:e',
    ]);
    for (const object of held) expect(object.bodies).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect(held.map((object) => object.dedupeKeys).sort()).toEqual([
      ['round0:a', 'round0:b'],
      ['round0:c', 'round0:d', 'round0:e'],
    ]);
    expect(outcomes).toEqual(
      raws.map((delivery) => held.find((object) => object.dedupeKeys.includes(delivery.dedupeKey))?.key),
    );
  });

  it('writes nothing for no delivery', async () => {
    const { store, puts } = storeWith();
    expect(await store.putAll([])).toEqual([]);
    expect(puts).toHaveLength(0);
  });
});
