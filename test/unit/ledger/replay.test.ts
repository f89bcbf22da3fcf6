import type { ParkedEvent } from '../../../functions/ledger/parking-lot.js';
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
      parking: {
        list: async () => entries,
        remove: async (entry) => {
          removed.push(`${entry.dedupeKey}@${entry.parkedAt}`);
        },
      },
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
      parking: {
        list: async () => [parked('round0:a', '2026-01-01T00:00:00.000Z')],
        remove: async () => undefined,
      },
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
        parking: {
          list: async () => [parked('round0:a', 't1')],
          remove: async (e) => void removed.push(e.dedupeKey),
        },
        publish: async () => {
          throw new Error('queue down');
        },
        kind: 'unmatched',
      }),
    ).rejects.toThrow('queue down');
    expect(removed).toEqual([]);
  });
});
