/**
 * How long a task for an asset another task is archiving waits before it looks again (functions/archive.ts
 * sends it back to the archive queue with this delay).
 */

/** The first wait; each further wait doubles it. */
export const firstBusyWaitSeconds = 30;

/** SQS's longest `DelaySeconds`. */
const maxDelaySeconds = 900;

/**
 * Seconds to wait after `deferrals` waits already: 30 s, doubling with each wait, and never past the holder's
 * lease (it ends at `busyUntilMs`; 5 s more so the lease has ended), within SQS's 1 to 900 s. Not the
 * lease's end alone: a lease lasts until its holder's invocation ends (up to 15 minutes) while most assets
 * are archived within a minute or two, and the holder has no way to wake a task that waits.
 */
export const busyWaitSeconds = (deferrals: number, busyUntilMs: number, nowMs: number): number => {
  const untilLeaseEnds = Math.ceil((busyUntilMs - nowMs) / 1000) + 5;
  const backedOff = firstBusyWaitSeconds * 2 ** deferrals;
  return Math.min(Math.max(Math.min(untilLeaseEnds, backedOff), 1), maxDelaySeconds);
};
