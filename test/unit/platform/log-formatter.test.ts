/**
 * The functions' log line (functions/platform/observability.ts `createLogger`): Powertools' standard entry
 * without the keys every line of a function's log group repeats, through the Logger's own middleware as
 * the handlers use it.
 */

import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { describe, expect, it } from '@jest/globals';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { createLogger } from '../../../functions/platform/observability.js';
import { captureOutput } from '../../helpers/captured-output.js';

const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'InterviewSync-prod-Stateless-WorkerFunction-abc',
  functionVersion: '$LATEST',
  invokedFunctionArn:
    'arn:aws:lambda:eu-west-1:123456789012:function:InterviewSync-prod-Stateless-WorkerFunction-abc',
  memoryLimitInMB: '1024',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/InterviewSync-prod-Stateless-WorkerFunction-abc',
  logStreamName: '2026/12/02/[$LATEST]abc',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

/** The JSON lines `act` writes to stdout and stderr (Powertools writes errors and warnings to stderr). */
const linesOf = async (act: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> => {
  const { stdout, stderr } = await captureOutput(act);
  return `${stdout}${stderr}`
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
};

describe('the functions’ log line', () => {
  it('keeps level, message, time, service, cold start, request id and the code’s keys; drops name, ARN, memory and sampling rate', async () => {
    // Prepare
    const logger = createLogger('interview-sync-worker');
    const handler = middy(async () => {
      logger.info('event processed', { eventKey: 'round0:evt_1', outcome: 'synced' });
    }).use(injectLambdaContext(logger, { resetKeys: true }));

    // Act
    const [line, ...more] = await linesOf(() => handler({}, context));

    // Assess
    expect(more).toEqual([]);
    expect(Object.keys(line ?? {}).sort()).toEqual(
      [
        'level',
        'message',
        'timestamp',
        'service',
        'cold_start',
        'function_request_id',
        'eventKey',
        'outcome',
      ].sort(),
    );
    expect(line).toMatchObject({
      level: 'INFO',
      message: 'event processed',
      service: expect.any(String),
      function_request_id: context.awsRequestId,
      eventKey: 'round0:evt_1',
    });
    expect(JSON.stringify(line)).not.toContain(context.functionName);
  });

  it('still formats an error with its name, message and stack', async () => {
    // Prepare
    const logger = createLogger('interview-sync-ingest');

    // Act
    const [line] = await linesOf(async () => logger.error('webhook not queued', new Error('SQS down')));

    // Assess
    expect(line).toMatchObject({
      level: 'ERROR',
      message: 'webhook not queued',
      error: { name: 'Error', message: 'SQS down', stack: expect.any(String) },
    });
  });
});
