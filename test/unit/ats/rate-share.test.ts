/**
 * Each worker instance's part of an ATS account's rate limit (functions/ats/rate-share.ts): together the
 * instances never exceed the account's, and none is left without a request.
 */
import { describe, expect, it } from '@jest/globals';
import { perInstance, ratePerInstance, spacingPerInstance } from '../../../functions/ats/rate-share.js';

describe('an ATS rate limit shared by the worker instances', () => {
  it.each([
    [10, 1, 10],
    [10, 5, 2],
    [20, 3, 6],
    [50, 5, 10],
    [3, 5, 1],
  ])(
    '%i a second across %i instances: %i each, never more than the account in all',
    (rate, instances, each) => {
      expect(perInstance(rate, instances)).toBe(each);
      if (rate >= instances) expect(perInstance(rate, instances) * instances).toBeLessThanOrEqual(rate);
    },
  );

  it('takes the whole rate alone, and a nonsensical share as one instance', () => {
    expect(perInstance(10)).toBe(10);
    expect(perInstance(10, 0)).toBe(10);
    expect(perInstance(10, 2.7)).toBe(5);
  });

  it('spaces one instance’s requests by the account’s spacing times the instances', () => {
    expect(spacingPerInstance(200, 5)).toBe(1000);
    expect(spacingPerInstance(200)).toBe(200);
    expect(spacingPerInstance(0, 5)).toBe(0);
  });

  it('gives each instance one request per a longer interval when the rate is below the instances', () => {
    // 3 a second over 5 instances: one each per 1,667 ms, 3 a second in all (not 5)
    expect(ratePerInstance(3, 1000, 5)).toEqual({ amount: 1, intervalMs: 1667 });
    expect(5 * (1000 / ratePerInstance(3, 1000, 5).intervalMs)).toBeLessThanOrEqual(3);
    // Greenhouse: 4 per 30 s window over 5: one each per 37.5 s
    expect(ratePerInstance(4, 30_000, 5)).toEqual({ amount: 1, intervalMs: 37_500 });
    expect(ratePerInstance(50, 30_000, 5)).toEqual({ amount: 10, intervalMs: 30_000 });
    expect(ratePerInstance(10, 1000)).toEqual({ amount: 10, intervalMs: 1000 });
  });
});
