import { describe, expect, it } from '@jest/globals';
import {
  heldEventRetrySeconds,
  maxThrottledDelaySeconds,
  throttledRetrySeconds,
} from '../../../functions/queue/redelivery.js';

/** The deployed events queue: 6-minute visibility timeout, dead-lettered at the 10th receive. */
const visibility = 360;
const maxReceiveCount = 10;

/** Seconds a message spends in the queue before SQS dead-letters it, when every receive is throttled. */
const secondsInQueue = (retryAfterSeconds: number) =>
  Array.from({ length: maxReceiveCount }, (_, index) =>
    throttledRetrySeconds(retryAfterSeconds, index + 1, visibility),
  ).reduce((sum, seconds) => sum + seconds, 0);

describe('throttledRetrySeconds', () => {
  it('waits at least the Retry-After', () => {
    // Act
    const delays = [1, 30, 600, 3600].map((retryAfter) => throttledRetrySeconds(retryAfter, 1, visibility));

    // Assess
    expect(delays).toEqual([10, 30, 600, 3600]);
  });

  it('does not spend a throttled event’s receives in minutes on a short Retry-After', () => {
    // Act
    const delays = Array.from({ length: maxReceiveCount }, (_, index) =>
      throttledRetrySeconds(1, index + 1, visibility),
    );

    // Assess
    expect(delays).toEqual([10, 20, 40, 80, 160, 320, 360, 360, 360, 360]);
    expect(secondsInQueue(1)).toBeGreaterThan(30 * 60);
  });

  it('keeps a dead-lettered message over 12 of its 14 days of retention, and inside SQS’s 12 h per receive', () => {
    // Act
    const longest = throttledRetrySeconds(7 * 24 * 3600, 1, visibility);

    // Assess
    expect(longest).toBe(maxThrottledDelaySeconds);
    expect(longest).toBeLessThan(12 * 3600 - 300);
    expect(secondsInQueue(7 * 24 * 3600)).toBeLessThanOrEqual(2 * 24 * 3600);
  });

  it('takes the Retry-After as it is when the queue’s visibility timeout is not known', () => {
    // Act
    const delay = throttledRetrySeconds(2.2, 3, 0);

    // Assess
    expect(delay).toBe(3);
  });
});

describe('heldEventRetrySeconds', () => {
  it('brings a held event back in 2 s, doubled at every receive, while shorter than the queue’s timeout', () => {
    // Act
    const waits = Array.from({ length: maxReceiveCount }, (_, index) => heldEventRetrySeconds(index + 1, 60));

    // Assess: 64 s is not shorter than a 60 s timeout: from the 6th receive the timeout applies
    expect(waits).toEqual([2, 4, 8, 16, 32, undefined, undefined, undefined, undefined, undefined]);
  });

  it('reaches a dead holder’s 120 s lease before the deployed queue dead-letters the message', () => {
    // Act: the waits before each of the first 7 receives' successors, on the deployed queue (360 s timeout)
    const waits = Array.from({ length: 6 }, (_, index) => heldEventRetrySeconds(index + 1, visibility) ?? 0);

    // Assess: the 7th receive comes 126 s after the first, past the lease, with 3 receives left
    expect(waits).toEqual([2, 4, 8, 16, 32, 64]);
    expect(waits.reduce((sum, seconds) => sum + seconds, 0)).toBeGreaterThanOrEqual(120);
    expect(waits.length + 1).toBeLessThan(maxReceiveCount);
  });

  it('waits out the queue’s timeout when it is not known', () => {
    expect(heldEventRetrySeconds(1, 0)).toBeUndefined();
  });
});
