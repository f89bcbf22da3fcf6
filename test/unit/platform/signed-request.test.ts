/**
 * The retry loop of the ingest's signed writes (functions/platform/signed-request.ts) within a deadline:
 * each attempt gets the lesser of its timeout and the time left, none starts with less than
 * `minAttemptMs` left, and without a deadline every attempt gets its whole timeout.
 */
import { describe, expect, it } from '@jest/globals';
import { minAttemptMs, OutOfTimeError, retrying } from '../../../functions/platform/signed-request.js';

const transient = () => true;

/** An attempt that uses its whole time and fails, as one against an endpoint that never answers. */
const hangs = (given: number[]) => async (timeoutMs: number) => {
  given.push(timeoutMs);
  await new Promise((resolve) => setTimeout(resolve, timeoutMs));
  throw new Error(`no answer within ${timeoutMs} ms`);
};

describe('retrying', () => {
  it('gives every attempt its whole timeout without a deadline', async () => {
    // Prepare
    const given: number[] = [];
    const attempt = async (timeoutMs: number) => {
      given.push(timeoutMs);
      throw new Error('refused');
    };

    // Act
    const error = await retrying(attempt, transient, { maxAttempts: 3, timeoutMs: 1_500 }).catch((e) => e);

    // Assess
    expect(error).toEqual(new Error('refused'));
    expect(given).toEqual([1_500, 1_500, 1_500]);
  });

  it('cuts the attempt under way at the deadline and starts none after it', async () => {
    // Prepare: room for one whole attempt of 1.2 s and about half of a second one (less the jitter between).
    const given: number[] = [];
    const deadline = Date.now() + 1_900;

    // Act
    const error = await retrying(hangs(given), transient, {
      maxAttempts: 3,
      timeoutMs: 1_200,
      deadline,
    }).catch((e) => e);

    // Assess: the second attempt got what was left (about 650 ms of its 1.2 s); no third.
    expect(error).toBeInstanceOf(Error);
    expect(given).toHaveLength(2);
    expect(given[0]).toBe(1_200);
    expect(given[1]).toBeLessThanOrEqual(700);
    expect(given[1]).toBeGreaterThanOrEqual(minAttemptMs);
    expect(Date.now()).toBeLessThan(deadline + 300);
  });

  it('starts no attempt with less than the minimum left, and sends nothing when out of time', async () => {
    // Prepare
    const given: number[] = [];

    // Act
    const error = await retrying(hangs(given), transient, {
      maxAttempts: 3,
      timeoutMs: 1_500,
      deadline: Date.now() + minAttemptMs / 2,
    }).catch((e) => e);

    // Assess
    expect(error).toBeInstanceOf(OutOfTimeError);
    expect(given).toEqual([]);
  });

  it('does not retry what is not transient, deadline or not', async () => {
    // Prepare
    let attempts = 0;
    const attempt = async () => {
      attempts += 1;
      throw new Error('AccessDenied');
    };

    // Act
    await retrying(attempt, () => false, {
      maxAttempts: 3,
      timeoutMs: 1_000,
      deadline: Date.now() + 60_000,
    }).catch(() => undefined);

    // Assess
    expect(attempts).toBe(1);
  });
});
