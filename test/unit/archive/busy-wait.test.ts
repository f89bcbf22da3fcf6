import { describe, expect, it } from '@jest/globals';
import { busyWaitSeconds } from '../../../functions/archive/busy-wait.js';

const now = Date.parse('2026-12-04T12:00:00Z');
const minutes = (count: number) => now + count * 60_000;

describe('busyWaitSeconds', () => {
  it('waits 30 s first and twice as long after each wait, up to SQS’s 15 minutes, while the lease lasts longer', () => {
    // Act
    const waits = [0, 1, 2, 3, 4, 5, 6, 7].map((deferrals) => busyWaitSeconds(deferrals, minutes(60), now));

    // Assess: about an hour over the 8 waits before a task archives regardless
    expect(waits).toEqual([30, 60, 120, 240, 480, 900, 900, 900]);
    expect(waits.reduce((sum, wait) => sum + wait, 0)).toBe(3630);
  });

  it('never waits past the holder’s lease (5 s after it ends)', () => {
    expect(busyWaitSeconds(0, now + 8_000, now)).toBe(13);
    expect(busyWaitSeconds(4, minutes(2), now)).toBe(125);
    expect(busyWaitSeconds(7, now + 1_001, now)).toBe(7);
  });

  it('waits at least the 1 s SQS allows when the lease has just ended', () => {
    expect(busyWaitSeconds(0, now - 60_000, now)).toBe(1);
    expect(busyWaitSeconds(3, now, now)).toBe(5);
  });
});
