import { describe, expect, it } from '@jest/globals';
import { lostOf } from '../../../local/load/run.js';

describe('the load result line’s lost', () => {
  it('counts what the queues still held when the drain gave up, never reading as nothing lost', () => {
    // Act
    const drained = lostOf({ lost: 2 }, { drained: true, messages: 0 });
    const left = lostOf({ lost: 0 }, { drained: false, messages: 3 });
    const leftUncounted = lostOf({ lost: 0 }, { drained: false, messages: 0 });

    // Assess
    expect(drained).toBe(2);
    expect(left).toBe(3);
    expect(leftUncounted).toBe(1);
  });
});
