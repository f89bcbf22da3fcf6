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

/** Seconds the first redelivery of an event another attempt holds waits; doubled at every receive. */
const heldRetryBaseSeconds = 2;

/**
 * When an attempt that met its event (or a write it waits for) held by another live attempt — a concurrent
 * redelivery — comes back: 2 s, doubled at every receive (2, 4, 8, … s), and only while shorter than the
 * queue's own visibility timeout (`undefined`: the timeout then applies). The holder usually finishes within
 * a second, so the redelivery then finds the event done instead of waiting out six minutes; a holder that
 * died loses its claims after its lease (120 s), and the redeliveries reach that before the queue's
 * maxReceiveCount (10) could dead-letter the message (2 + 4 + … + 64 = 126 s by the 7th receive).
 * `visibilityTimeoutSeconds` is 0 when the queue's is not known: the message then waits it out.
 */
export const heldEventRetrySeconds = (
  receiveCount: number,
  visibilityTimeoutSeconds: number,
): number | undefined => {
  const seconds = heldRetryBaseSeconds * 2 ** Math.max(0, Math.min(receiveCount - 1, 20));
  return seconds < visibilityTimeoutSeconds ? seconds : undefined;
};
