/** `deadlineOptions` (functions/ledger/request-deadline.ts): the abort signal that ends a ledger request. */
import { describe, expect, it } from '@jest/globals';
import { deadlineOptions } from '../../../functions/ledger/request-deadline.js';

describe('deadlineOptions', () => {
  it('gives no signal without a deadline', () => {
    // Assess
    expect(deadlineOptions(undefined)).toBeUndefined();
    expect(deadlineOptions(() => undefined)).toBeUndefined();
  });

  it('gives a signal that aborts at a deadline of a fraction of a millisecond, not a throw', async () => {
    // Act: a twelfth of a 2 s timeout, as the local runtime's short worker timeouts give
    const options = deadlineOptions(() => Date.now() + 2000 / 12);

    // Assess: not yet aborted; aborted once the deadline has passed
    expect(options?.abortSignal.aborted).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(options?.abortSignal.aborted).toBe(true);
  });

  it('gives an aborted signal for a deadline already passed: the request is never sent', () => {
    // Assess
    expect(deadlineOptions(() => Date.now() - 1)?.abortSignal.aborted).toBe(true);
  });
});
