/**
 * When a message the worker gives back comes round again, if not after the queue's visibility timeout. Pure:
 * the worker applies it with `ChangeMessageVisibility`.
 */

/**
 * Longest a throttled event is given back for, whatever its Retry-After. Ten receives of it then keep a
 * message at most about 30 h in the events queue, so one SQS dead-letters after them still has over 12 of
 * its 14 days of retention (counted from its first enqueue) while the dead-letter age alarm counts from the
 * move; and it stays far inside SQS's limit of 12 h from the receive.
 */
export const maxThrottledDelaySeconds = 3 * 3600;

/** The shortest wait of a throttled event's first redelivery; doubled at every receive. */
const throttledFloorBaseSeconds = 10;

/**
 * When an event that the ATS or a vendor API throttled (`Retry-After`) comes back: after the Retry-After,
 * but not sooner than 10 s doubled at every receive, up to the queue's visibility timeout (10, 20, 40 … 360
 * s); never later than {@link maxThrottledDelaySeconds}. A short Retry-After alone brought a message back
 * every few seconds and spent its 10 receives in minutes: an event that was only throttled was
 * dead-lettered, without a reason. `visibilityTimeoutSeconds` is 0 when the queue's is not known.
 */
export const throttledRetrySeconds = (
  retryAfterSeconds: number,
  receiveCount: number,
  visibilityTimeoutSeconds: number,
): number => {
  const doublings = Math.max(0, Math.min(receiveCount - 1, 20));
  const floor = Math.min(visibilityTimeoutSeconds, throttledFloorBaseSeconds * 2 ** doublings);
  return Math.min(maxThrottledDelaySeconds, Math.max(Math.ceil(retryAfterSeconds), floor));
};
