/**
 * A deadline for the ledger's DynamoDB requests, from whoever runs them (the worker: its invocation's end,
 * less what answering the batch needs). A request still running then is aborted, and one that would start
 * after it is never sent: a DynamoDB that hangs fails the event (retried) instead of running the invocation
 * into its timeout with its whole batch. The SDK's own timeouts (5 s an attempt, 3 attempts: platform/
 * clients.ts) still apply before it. An aborted write may still have been applied, as one the SDK gave up on
 * may: the sync treats both alike (a claim commit that landed waits out its lease; a settle that landed is
 * what the retry reads), so no ATS write is made twice.
 */

/** Epoch ms by which every request must have ended; `undefined`: none (the SDK's timeouts alone). */
export type RequestsEndBy = () => number | undefined;

/** The `send` options that end a request at `endBy` (none without a deadline). */
export const deadlineOptions = (
  endBy: RequestsEndBy | undefined,
): { abortSignal: AbortSignal } | undefined => {
  const end = endBy?.();
  if (end === undefined) return undefined;
  const left = end - Date.now();
  // Whole milliseconds: AbortSignal.timeout throws on a fraction (a deadline a twelfth of a short timeout).
  return { abortSignal: left <= 0 ? AbortSignal.abort() : AbortSignal.timeout(Math.ceil(left)) };
};
