/**
 * Each worker instance's part of an ATS account's rate limit (functions/ats/rate-share.ts): together the
 * instances never exceed the account's, and none is left without a request.
 */
import { describe, expect, it } from '@jest/globals';
import { perInstance, spacingPerInstance } from '../../../functions/ats/rate-share.js';

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
});
