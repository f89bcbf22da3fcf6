/**
 * More edges of `ops status` (local/ops/status.ts): a full micro1 applicant key is looked up as itself, an
 * interview known by its archive alone is found, and an event with no owner is not said to be in progress.
 */
import { describe, expect, it } from '@jest/globals';
import { interviewLines, interviewsForId, isFound } from '../../../local/ops/status.js';

const ref = { vendor: 'round0', interviewKey: 'int-1' } as const;
const now = Date.UTC(2026, 11, 5, 12, 0);

describe('ops status (more edges)', () => {
  it('looks a full micro1 applicant key up as that micro1 interview only', () => {
    expect(interviewsForId('applicant:app-1')).toEqual([
      { vendor: 'micro1', interviewKey: 'applicant:app-1' },
    ]);
  });

  it('counts an interview known only by its archive as found', () => {
    expect(isFound({ ref, archive: [{ sk: 'interviews/int-1/a.mp3', size: 1 }], parked: [] })).toBe(true);
  });

  it('says an event with a lease but no owner is released, not in progress, and gives the status time without its tie', () => {
    // Prepare
    const state = {
      status: 'completed',
      rank: 4,
      version: 2,
      statusStamp: '2026-12-05T11:00:00.000Z round0:evt_1',
      events: { 'round0:evt_1': { leaseUntil: now + 60_000 } },
    };

    // Act
    const lines = interviewLines({ ref, state, archive: [], parked: [] }, now);

    // Assess
    expect(lines).toContain('  status: completed (rank 4, as of 2026-12-05T11:00:00.000Z), version 2');
    expect(lines).toContain('    round0:evt_1  unfinished (released: a redelivery or replay processes it)');
  });
});
