/**
 * A refused entry of a second `SendMessageBatch` fails the record that owns it (entry ids
 * restart at 0 in every request), and only that one.
 */
import { SendMessageBatchCommand, type SendMessageBatchCommandInput, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import type { ArchiveTask } from '../../../functions/archive/types.js';
import { ArchiveTaskBatcher } from '../../../functions/queue/archive-queue.js';
import { QueueUnavailableError } from '../../../functions/queue/errors.js';

const sqs = new SQSClient({ region: 'us-east-1' });
const sqsMock = mockClient(sqs);
afterAll(() => sqsMock.restore());

const tasksOf = (id: string, count: number): ArchiveTask[] =>
  Array.from({ length: count }, (_, index) => ({
    schemaVersion: 1,
    vendor: 'round0',
    interviewKey: id,
    interviewId: id,
    batchId: `batch-${id}`,
    batchAssets: Array.from({ length: count }, (_unused, n) => `answer-${n + 1}`),
    asset: {
      kind: 'file',
      name: `answer-${index + 1}`,
      key: `interviews/${id}/question_q${index + 1}.mp3`,
      sourceUrl: `https://media.round0.example/${id}/${index + 1}.mp3`,
      contentType: 'audio/mpeg',
    },
  }));

describe('ArchiveTaskBatcher, several requests', () => {
  it('fails the record whose entry the second request refused, not the first request’s', async () => {
    // Prepare: a's ten tasks fill the first request; b's one task is the second's entry '0', refused
    sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
      const entries = input.Entries ?? [];
      const refuse = entries.length === 1;
      return {
        Successful: refuse
          ? []
          : entries.map((entry) => ({ Id: entry.Id, MessageId: `m-${entry.Id}`, MD5OfMessageBody: '' })),
        Failed: refuse ? [{ Id: '0', SenderFault: false, Code: 'InternalError' }] : [],
      };
    });
    const batcher = new ArchiveTaskBatcher(sqs, 'https://sqs.example/archive', 2, 60_000);

    // Act
    const [a, b] = await Promise.allSettled([batcher.send(tasksOf('a', 10)), batcher.send(tasksOf('b', 1))]);

    // Assess: two requests; b retried (its task was not accepted), a done
    expect(a).toEqual({ status: 'fulfilled', value: undefined });
    expect(b).toEqual({ status: 'rejected', reason: expect.any(QueueUnavailableError) });
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(2);
  });
});
