/**
 * The deployed handler's 202: a JSON body the vendor's client can read, labelled as such, once SQS took
 * the event.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { fixture } from '../../helpers/fixtures.js';
import { round0Request } from '../../helpers/signed-requests.js';
import { round0Event } from './http-api-events.js';
import { invoke, secret, sqsMock } from './ingest-harness.js';

beforeEach(() => {
  sqsMock.reset();
});

describe('ingest handler’s 202', () => {
  it('is labelled application/json and carries the dedupe key as id', async () => {
    // Prepare
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    const request = round0Request(fixture('round0', 'interview_ended').raw, { secret });

    // Act
    const result = await invoke(round0Event(request));

    // Assess
    expect(result.statusCode).toBe(202);
    expect(result.headers).toStrictEqual({ 'content-type': 'application/json' });
    expect(JSON.parse(result.body)).toStrictEqual({
      received: true,
      id: expect.stringMatching(/^round0:evt_/),
    });
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(1);
  });
});
