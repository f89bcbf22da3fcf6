/**
 * A Lambda `Context` for tests that invoke a handler directly with a fixed time budget: the worker reads
 * `getRemainingTimeInMillis` to end its calls before the invocation's timeout. (local/lambda-context.ts
 * builds the runtime's counting-down one.)
 */
import type { Context } from 'aws-lambda';

export const workerContext = (awsRequestId: string, remainingMs: number): Context =>
  ({
    functionName: 'interview-sync-worker',
    awsRequestId,
    getRemainingTimeInMillis: () => remainingMs,
  }) as unknown as Context;
