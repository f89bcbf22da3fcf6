/**
 * `npm run ops -- redrive` against a deployed stage's queues (named by flags), through aws-sdk-client-mock:
 * the source queue refusing a message (a fault the emulator cannot produce) leaves it on the DLQ, and the
 * command says so with exit code 1, so a script does not take a partial redrive for done.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListDeadLetterSourceQueuesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { runOpsCommand } from '../../../local/ops.js';

const sqs = mockClient(SQSClient);
const dlq = 'https://sqs.us-east-1.amazonaws.com/123456789012/interview-sync-events-dlq';
const events = 'https://sqs.us-east-1.amazonaws.com/123456789012/interview-sync-events';

afterEach(() => {
  sqs.reset();
});

const deadLetters = (count: number) => {
  sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: String(count) } });
  sqs.on(ListDeadLetterSourceQueuesCommand).resolves({ queueUrls: [events] });
  sqs
    .on(ReceiveMessageCommand)
    .resolvesOnce({
      Messages: Array.from({ length: count }, (_, n) => ({
        MessageId: `m-${n}`,
        ReceiptHandle: `r-${n}`,
        Body: JSON.stringify({
          kind: 'event',
          event: { vendor: 'round0', type: 'interview_ended', dedupeKey: `k${n}` },
        }),
      })),
    })
    .resolves({ Messages: [] });
  sqs.on(ChangeMessageVisibilityCommand).resolves({});
  sqs.on(DeleteMessageBatchCommand).callsFake((input: { Entries?: Array<{ Id?: string }> }) => ({
    Successful: (input.Entries ?? []).map((entry) => ({ Id: entry.Id })),
    Failed: [],
  }));
};

describe('ops redrive exit code', () => {
  it('exits 1 when the source queue refused a message, leaving it on the DLQ', async () => {
    // Prepare
    deadLetters(2);
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [{ Id: '0', MessageId: 'new-0', MD5OfMessageBody: 'x' }],
      Failed: [{ Id: '1', SenderFault: true, Code: 'InvalidParameterValue' }],
    });

    // Act
    const { lines, exitCode } = await runOpsCommand(
      ['redrive', 'events', '--dlq-url', dlq, '--region', 'us-east-1'],
      '/nonexistent',
    );

    // Assess
    expect(exitCode).toBe(1);
    expect(lines.join('\n')).toContain(
      '1 message(s) were refused by the events queue and left on the DLQ; stopped',
    );
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand)[0]?.args[0].input).toMatchObject({
      ReceiptHandle: 'r-1',
      VisibilityTimeout: 0,
    });
  });

  it('exits 1 when it stopped on receives of only messages that came back, originals maybe left', async () => {
    // Prepare: the DLQ holds 3, but every receive brings back the same message, dead-lettered after the run
    // started (a moved event that failed again), ahead of the originals
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '3' } });
    sqs.on(ListDeadLetterSourceQueuesCommand).resolves({ queueUrls: [events] });
    sqs.on(ReceiveMessageCommand).callsFake(() => ({
      Messages: [
        {
          MessageId: 'came-back',
          ReceiptHandle: `r-${Math.random()}`,
          Body: JSON.stringify({ kind: 'event', event: { vendor: 'round0', dedupeKey: 'k0' } }),
          Attributes: { SentTimestamp: String(Date.now() + 60_000) },
        },
      ],
    }));
    sqs.on(ChangeMessageVisibilityCommand).resolves({});

    // Act
    const { lines, exitCode } = await runOpsCommand(
      ['redrive', 'events', '--dlq-url', dlq, '--region', 'us-east-1'],
      '/nonexistent',
    );

    // Assess: nothing sent, and the run says to go again
    expect(exitCode).toBe(1);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toEqual([]);
    expect(lines.join('\n')).toContain(
      'up to 3 original(s) it set out to move may still be on the events DLQ; run it again',
    );
  });

  it('exits 0 when every message moved', async () => {
    // Prepare
    deadLetters(2);
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries?: Array<{ Id?: string }> }) => ({
      Successful: (input.Entries ?? []).map((entry) => ({
        Id: entry.Id,
        MessageId: `new-${entry.Id}`,
        MD5OfMessageBody: 'x',
      })),
      Failed: [],
    }));

    // Act
    const { exitCode, lines } = await runOpsCommand(
      ['redrive', 'events', '--dlq-url', dlq, '--region', 'us-east-1'],
      '/nonexistent',
    );

    // Assess: and it names what it acted on, a deployed stage's queue, not the local npm start
    expect(lines.at(-1)).toBe('on: the stage named by resource flags (region us-east-1)');
    expect(exitCode).toBe(0);
  });
});
