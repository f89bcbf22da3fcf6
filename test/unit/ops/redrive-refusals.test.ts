/**
 * `redrive` (local/ops/redrive.ts), through aws-sdk-client-mock: a message the source
 * queue refused is never deleted from the DLQ, and a parked copy whose claim check could not be checked is kept.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  type DeleteMessageBatchCommandInput,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchCommandInput,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import type { ParkedKey } from '../../../functions/ledger/parking-lot.js';
import { redrive } from '../../../local/ops/redrive.js';

const client = new SQSClient({ region: 'us-east-1' });
const sqs = mockClient(client);
const dlq = 'https://sqs.us-east-1.amazonaws.com/123456789012/interview-sync-events-dlq';
const events = 'https://sqs.us-east-1.amazonaws.com/123456789012/interview-sync-events';

afterEach(() => {
  sqs.reset();
});

/** A DLQ holding `bodies` (one receive gives them all), every send accepted but for `refused` entry ids. */
const deadLetters = (bodies: readonly string[], refused: readonly string[] = []) => {
  sqs
    .on(GetQueueAttributesCommand)
    .resolves({ Attributes: { ApproximateNumberOfMessages: String(bodies.length) } });
  sqs
    .on(ReceiveMessageCommand)
    .resolvesOnce({
      Messages: bodies.map((Body, n) => ({ MessageId: `m-${n}`, ReceiptHandle: `r-${n}`, Body })),
    })
    .resolves({ Messages: [] });
  sqs.on(ChangeMessageVisibilityCommand).resolves({});
  sqs.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
    const entries = input.Entries ?? [];
    return {
      Successful: entries
        .filter((entry) => !refused.includes(entry.Id ?? ''))
        .map((entry) => ({ Id: entry.Id, MessageId: `new-${entry.Id}`, MD5OfMessageBody: 'x' })),
      Failed: entries
        .filter((entry) => refused.includes(entry.Id ?? ''))
        .map((entry) => ({ Id: entry.Id, SenderFault: true, Code: 'InvalidParameterValue' })),
    };
  });
  sqs.on(DeleteMessageBatchCommand).callsFake((input: DeleteMessageBatchCommandInput) => ({
    Successful: (input.Entries ?? []).map((entry) => ({ Id: entry.Id })),
    Failed: [],
  }));
};

const eventBody = (dedupeKey: string) =>
  JSON.stringify({ kind: 'event', event: { vendor: 'round0', type: 'interview_ended', dedupeKey } });

describe('redrive when the source queue or S3 refuses', () => {
  it('deletes from the DLQ only what the source queue accepted: a refused message stays', async () => {
    // Prepare: two dead letters; the events queue refuses the second
    deadLetters([eventBody('round0:a'), eventBody('round0:b')], ['1']);

    // Act
    const outcome = await redrive({ sqs: client, which: 'events', from: dlq, to: events });

    // Assess
    expect(outcome).toMatchObject({ moved: 1, refused: 1 });
    const deleted = sqs
      .commandCalls(DeleteMessageBatchCommand)
      .flatMap((call) => (call.args[0].input.Entries ?? []).map((entry) => entry.ReceiptHandle));
    expect(deleted).toEqual(['r-0']);
  });

  it('keeps the parked copy of a moved claim-check message when whether its object is stored cannot be told', async () => {
    // Prepare: a claim-check pointer and its parked copy; S3 refuses the HeadObject (no s3:ListBucket: a
    // missing object answers 403, not 404)
    const pointer = {
      kind: 'claim-check',
      bucket: 'b',
      key: 'claim-checks/x.json',
      dedupeKey: 'round0:cc',
      vendor: 'round0',
      type: 'interview_ended',
    };
    deadLetters([JSON.stringify(pointer)]);
    const copy: ParkedKey = { kind: 'failed', parkedAt: '2026-01-01T00:00:00.000Z', dedupeKey: 'round0:cc' };
    const removed: string[] = [];

    // Act
    const outcome = await redrive({
      sqs: client,
      which: 'events',
      from: dlq,
      to: events,
      parking: { listKeys: async () => [copy], remove: async (entry) => void removed.push(entry.dedupeKey) },
      claimCheckStored: async () => {
        throw Object.assign(new Error('Forbidden'), { name: 'Forbidden' });
      },
    });

    // Assess
    expect(outcome).toMatchObject({ moved: 1, parkedKept: 1, parkedRemoved: 0 });
    expect(removed).toEqual([]);
  });
});
