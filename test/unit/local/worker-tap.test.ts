/**
 * The console's worker tap when two deliveries of one event overlap (a vendor's re-send while the first is
 * in flight, or a visibility timeout shorter than the batch): the row shows the newest delivery's outcome,
 * whichever invocation ends first.
 */
import { describe, expect, it } from '@jest/globals';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createWorkerTap } from '../../../local/console/worker-tap.js';
import { LambdaTimeoutError } from '../../../local/errors.js';
import { invokeLocally } from '../../../local/lambda-context.js';

const body = JSON.stringify({
  kind: 'event',
  event: {
    schemaVersion: 1,
    vendor: 'round0',
    type: 'interview_ended',
    known: true,
    dedupeKey: 'round0:evt_1',
    receivedAt: '2026-01-02T03:04:00.000Z',
    payload: { data: { interview: { id: 'iv-1' } } },
  },
});
const sqsEvent = (messageId: string) => ({ Records: [{ messageId, body }] }) as unknown as SQSEvent;
const context = {} as Context;

/** A worker invocation that ends when told: with the message reported failed, or not. */
const invocation = () => {
  let end: (failed: boolean) => void = () => undefined;
  const ended = new Promise<boolean>((resolve) => {
    end = resolve;
  });
  const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => ({
    batchItemFailures: (await ended)
      ? event.Records.map((record) => ({ itemIdentifier: record.messageId }))
      : [],
  });
  return { handler, end };
};

describe('worker tap: overlapping deliveries of one event', () => {
  it.each([
    ['the older invocation ends first', [0, 1]],
    ['the newer invocation ends first', [1, 0]],
  ])('shows the newer delivery failed when it failed and the older one succeeded (%s)', async (_, order) => {
    // Prepare
    const tap = createWorkerTap();
    const older = invocation();
    const newer = invocation();
    const running = [
      tap.wrap(older.handler)(sqsEvent('m-1'), context),
      tap.wrap(newer.handler)(sqsEvent('m-2'), context),
    ];
    const outcome = [() => older.end(false), () => newer.end(true)];

    // Act
    for (const index of order as number[]) {
      outcome[index]?.();
      await running[index];
    }

    // Assess
    expect(tap.events()).toEqual([
      expect.objectContaining({ dedupeKey: 'round0:evt_1', deliveries: 2, result: 'failed' }),
    ]);
  });

  it('a single delivery still settles as the invocation answered', async () => {
    // Prepare
    const tap = createWorkerTap();
    const only = invocation();
    const running = tap.wrap(only.handler)(sqsEvent('m-1'), context);

    // Act
    only.end(false);
    await running;

    // Assess
    expect(tap.events()).toEqual([expect.objectContaining({ deliveries: 1, result: 'ok' })]);
  });

  it('shows a delivery whose invocation timed out failed, even when its handler returns later', async () => {
    // Prepare: a handler that answers success after the function's timeout (the poller keeps the message)
    const tap = createWorkerTap();
    const late = invocation();
    const settings = {
      functionName: 'worker',
      region: 'us-east-1',
      accountId: '000000000000',
      memoryMb: 512,
      timeoutSeconds: 0.05,
    };

    // Act
    const invoked = await invokeLocally(tap.wrap(late.handler), sqsEvent('m-1'), settings).catch(
      (error: unknown) => error,
    );
    // (the tap's own timer runs out with the invocation's, in the same millisecond or the next)
    await new Promise((resolve) => setTimeout(resolve, 10));
    const afterTimeout = tap.events().map((event) => event.result);
    late.end(false);
    await new Promise((resolve) => setTimeout(resolve, 20));

    // Assess
    expect(invoked).toBeInstanceOf(LambdaTimeoutError);
    expect(afterTimeout).toEqual(['failed']);
    expect(tap.events().map((event) => event.result)).toEqual(['failed']);
  });
});
