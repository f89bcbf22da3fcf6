/**
 * An ATS's rate limits are the account's (its API key or credential), and the worker runs up to its event
 * source's maximum concurrency of Lambda instances at once, each with a limiter of its own. Each instance
 * therefore takes an equal part of the configured (account-wide) rate, so that together they stay inside
 * it; the 429 + Retry-After handling remains for whatever else uses the account. A shared limiter (a
 * DynamoDB token bucket) would let one busy instance use the whole rate, at a write per ATS request.
 */

/** One instance's part of an account-wide count (requests per second, per window, a burst): never below 1. */
export const perInstance = (accountWide: number, instances = 1): number =>
  Math.max(1, Math.floor(accountWide / Math.max(1, Math.floor(instances))));

/** One instance's minimum spacing between requests when the account's is `accountWideMs`. */
export const spacingPerInstance = (accountWideMs: number, instances = 1): number =>
  accountWideMs * Math.max(1, Math.floor(instances));

/**
 * One instance's part of an account-wide `count` per `intervalMs`: that count split across the instances,
 * or, when it is smaller than their number, one request per a longer interval (3 a second over 5 instances:
 * one each per 1,667 ms), so that together they never exceed the account's rate.
 */
export const ratePerInstance = (
  count: number,
  intervalMs: number,
  instances = 1,
): { readonly amount: number; readonly intervalMs: number } => {
  const share = Math.max(1, Math.floor(instances));
  return count >= share
    ? { amount: perInstance(count, share), intervalMs }
    : { amount: 1, intervalMs: Math.ceil((intervalMs * share) / Math.max(1, count)) };
};
