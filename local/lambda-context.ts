/**
 * A Lambda-like invocation for handlers run in-process: the `Context` object Lambda passes and the
 * function timeout it enforces.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { LambdaTimeoutError } from './errors.js';

/** What the local runtime knows about a function, mirroring its `lib/resources.ts` settings. */
export interface LocalFunctionSettings {
  readonly functionName: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly region: string;
  readonly accountId: string;
}

/** A Lambda handler as the runtime calls it (async handlers only: the callback style is not used here). */
export type LocalHandler<TEvent, TResult> = (event: TEvent, context: Context) => Promise<TResult>;

/**
 * Builds the `Context` Lambda passes to a handler. `getRemainingTimeInMillis` counts down from the
 * function timeout, so code that budgets its time (Powertools batch, the worker's ATS calls) behaves
 * as deployed.
 */
export const createLambdaContext = (
  settings: LocalFunctionSettings,
  awsRequestId: string = randomUUID(),
): Context => {
  const deadline = Date.now() + settings.timeoutSeconds * 1000;
  const deprecated = () => {
    throw new Error('the callback-style context methods are not supported; return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: settings.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${settings.region}:${settings.accountId}:function:${settings.functionName}`,
    memoryLimitInMB: String(settings.memoryMb),
    awsRequestId,
    logGroupName: `/aws/lambda/${settings.functionName}`,
    logStreamName: `local/[$LATEST]${awsRequestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: deprecated,
    fail: deprecated,
    succeed: deprecated,
  };
};

/**
 * Invokes a handler the way Lambda does: with a fresh context, failing with {@link LambdaTimeoutError}
 * when it runs past the function timeout. Unlike Lambda the handler cannot be frozen, so its promise
 * keeps running in the background; only its result is ignored.
 */
export const invokeLocally = async <TEvent, TResult>(
  handler: LocalHandler<TEvent, TResult>,
  event: TEvent,
  settings: LocalFunctionSettings,
  awsRequestId?: string,
): Promise<TResult> => {
  const context = createLambdaContext(settings, awsRequestId);
  const timeoutMs = settings.timeoutSeconds * 1000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LambdaTimeoutError(settings.functionName, timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([handler(event, context), timeout]);
  } finally {
    clearTimeout(timer);
  }
};
