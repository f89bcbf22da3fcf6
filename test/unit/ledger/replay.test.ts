import type { ParkedEvent, ParkedKey } from '../../../functions/ledger/parking-lot.js';
import { replayParkedEvents } from '../../../functions/ledger/replay.js';
import type { InterviewEvent } from '../../../functions/vendors/envelope.js';

const parked = (dedupeKey: string, parkedAt: string, extra: Partial<ParkedEvent> = {}): ParkedEvent => ({
  kind: 'unmatched',
  parkedAt,
  dedupeKey,
  vendor: 'round0',
  eventType: 'interview_ended',
  reason: 'no candidate with this e-mail',
  event: { dedupeKey, receivedAt: parkedAt } as unknown as InterviewEvent,
  ...extra,
});

/**
 * A parking lot over `entries` as the store answers: keys listed without envelopes, one envelope per `get`
 * (undefined once removed), `remove` forgetting an entry. `reads` counts the envelopes read.
 */
const parkingOf = (entries: ParkedEvent[], onRemove: (entry: ParkedKey) => void = () => undefined) => {
  const held = [...entries];
  const same = (a: ParkedKey) => (b: ParkedKey) => a.parkedAt === b.parkedAt && a.dedupeKey === b.dedupeKey;
  const parking = {
    reads: 0,
    listKeys: async () => held.map(({ kind, parkedAt, dedupeKey }) => ({ kind, parkedAt, dedupeKey })),
    get: async (entry: ParkedKey) => {
      parking.reads += 1;
      return held.find(same(entry));
    },
    remove: async (entry: ParkedKey) => {
      const index = held.findIndex(same(entry));
      if (index >= 0) held.splice(index, 1);
      onRemove(entry);
    },
    held,
  };
  return parking;
};

describe('replayParkedEvents', () => {
  it('publishes the newest entry of each event once, removes all its entries, and skips payload-less ones', async () => {
    // Prepare
    const entries = [
      parked('round0:a', '2026-01-01T00:00:00.000Z'),
      parked('round0:a', '2026-01-02T00:00:00.000Z'),
      parked('round0:big', '2026-01-01T00:00:00.000Z', { payloadOmitted: true }),
    ];
    const removed: string[] = [];
    const published: InterviewEvent[] = [];

    // Act
    const outcome = await replayParkedEvents({
      parking: parkingOf(entries, (entry) => removed.push(`${entry.dedupeKey}@${entry.parkedAt}`)),
      publish: async (event) => published.push(event),
      kind: 'unmatched',
      now: () => new Date('2026-03-01T12:00:00.000Z'),
    });

    // Assess: stamped with the replay's time, from which the worker measures its lag
    expect(published).toEqual([{ ...entries[1]?.event, replayedAt: '2026-03-01T12:00:00.000Z' }]);
    expect(removed).toEqual(['round0:a@2026-01-01T00:00:00.000Z', 'round0:a@2026-01-02T00:00:00.000Z']);
    expect(outcome.replayed).toEqual(['round0:a']);
    expect(outcome.skipped).toEqual([
      { dedupeKey: 'round0:big', reason: expect.stringContaining('without its payload') },
    ]);
    expect(outcome.notParked).toEqual([]);
  });

  it('names the keys asked for that are not parked', async () => {
    // Act
    const outcome = await replayParkedEvents({
      parking: parkingOf([parked('round0:a', '2026-01-01T00:00:00.000Z')]),
      publish: async () => undefined,
      kind: 'unmatched',
      dedupeKeys: ['round0:a', 'round0:gone', 'round0:a'],
    });

    // Assess
    expect(outcome.replayed).toEqual(['round0:a']);
    expect(outcome.notParked).toEqual(['round0:gone']);
  });

  it('keeps the entry when publishing fails, so the replay can be run again', async () => {
    const removed: string[] = [];
    await expect(
      replayParkedEvents({
        parking: parkingOf([parked('round0:a', 't1')], (e) => void removed.push(e.dedupeKey)),
        publish: async () => {
          throw new Error('queue down');
        },
        kind: 'unmatched',
      }),
    ).rejects.toThrow('queue down');
    expect(removed).toEqual([]);
  });

  it('reads the envelope of each event once, and skips an event replayed by someone else since the listing', async () => {
    // Prepare: three events (one parked twice); the third is replayed by another operator once listed
    const parking = parkingOf([
      parked('round0:a', '2026-01-01T00:00:00.000Z'),
      parked('round0:a', '2026-01-02T00:00:00.000Z'),
      parked('round0:b', '2026-01-03T00:00:00.000Z'),
      parked('round0:c', '2026-01-04T00:00:00.000Z'),
    ]);
    const listKeys = parking.listKeys;
    parking.listKeys = async () => {
      const keys = await listKeys();
      parking.held.splice(3, 1);
      return keys;
    };
    const published: string[] = [];

    // Act
    const outcome = await replayParkedEvents({
      parking,
      publish: async (event) => published.push(event.dedupeKey),
      kind: 'unmatched',
      dedupeKeys: ['round0:a', 'round0:b', 'round0:c'],
    });

    // Assess: one read per event still parked (its newest entry), the one gone not published
    expect(published).toEqual(['round0:a', 'round0:b']);
    expect(outcome.replayed).toEqual(['round0:a', 'round0:b']);
    expect(outcome.notParked).toEqual(['round0:c']);
    expect(parking.reads).toBe(3);
    expect(parking.held).toEqual([]);
  });
});
