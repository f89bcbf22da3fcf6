/**
 * `redrive` (local/ops/redrive.ts) against a stand-in SQS that behaves as SQS may over a long run: a received
 * message is hidden for the visibility timeout asked and visible again after it; a receive returns at most a
 * few of the visible messages, those that became visible last first; every message moved to the source queue
 * fails again at once and comes back to the DLQ as a new message (the worker's dead-lettering). Copies seen
 * before that reappear must not end the run while originals are still on the DLQ.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from '@jest/globals';
import { redrive, redriveLines } from '../../../local/ops/redrive.js';

interface Stored {
  readonly MessageId: string;
  readonly Body: string;
  readonly sentAt: number;
  visibleAt: number;
  handle?: string;
}

const dlq = 'https://sqs.local/dlq';
const source = 'https://sqs.local/events';

/** The DLQ holding `count` originals (dead-lettered an hour ago), each receive `secondsPerReceive` apart. */
const standIn = (count: number, secondsPerReceive: number, perReceive: number) => {
  let clock = 0;
  let copies = 0;
  const sentToSource: string[] = [];
  const queue: Stored[] = Array.from({ length: count }, (_, i) => ({
    MessageId: `o${i}`,
    Body: JSON.stringify({ kind: 'event', event: { dedupeKey: `round0:evt_${i}`, vendor: 'round0' } }),
    sentAt: Date.now() - 3_600_000,
    visibleAt: 0,
  }));
  const send = async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    const input = command.input as {
      QueueUrl?: string;
      MaxNumberOfMessages?: number;
      VisibilityTimeout?: number;
      Entries?: Array<{ Id: string; ReceiptHandle?: string; MessageBody?: string }>;
      ReceiptHandle?: string;
    };
    switch (command.constructor.name) {
      case 'GetQueueAttributesCommand':
        return {
          Attributes: {
            ApproximateNumberOfMessages: String(queue.filter((m) => m.visibleAt <= clock).length),
            ApproximateNumberOfMessagesNotVisible: String(queue.filter((m) => m.visibleAt > clock).length),
          },
        };
      case 'ReceiveMessageCommand': {
        clock += secondsPerReceive;
        const visible = queue
          .filter((m) => m.visibleAt <= clock)
          .sort((a, b) => b.visibleAt - a.visibleAt || b.sentAt - a.sentAt)
          .slice(0, Math.min(perReceive, input.MaxNumberOfMessages ?? 1));
        for (const m of visible) {
          m.visibleAt = clock + (input.VisibilityTimeout ?? 30);
          m.handle = `${m.MessageId}@${clock}`;
        }
        return {
          Messages: visible.map((m) => ({
            MessageId: m.MessageId,
            Body: m.Body,
            ReceiptHandle: m.handle,
            Attributes: { SentTimestamp: String(m.sentAt) },
          })),
        };
      }
      case 'SendMessageBatchCommand': {
        const entries = input.Entries ?? [];
        for (const entry of entries) {
          sentToSource.push(entry.MessageBody ?? '');
          // Fails again at once: a new copy on the DLQ, visible now, sent now
          copies += 1;
          queue.push({
            MessageId: `c${copies}`,
            Body: entry.MessageBody ?? '',
            sentAt: Date.now() + 60_000,
            visibleAt: clock,
          });
        }
        return { Successful: entries.map((entry) => ({ Id: entry.Id })), Failed: [] };
      }
      case 'DeleteMessageBatchCommand':
        for (const entry of input.Entries ?? []) {
          const id = entry.ReceiptHandle?.split('@')[0];
          queue.splice(
            queue.findIndex((m) => m.MessageId === id),
            1,
          );
        }
        return { Failed: [] };
      case 'ChangeMessageVisibilityCommand': {
        const found = queue.find((m) => m.MessageId === input.ReceiptHandle?.split('@')[0]);
        if (found) found.visibleAt = clock;
        return {};
      }
      default:
        throw new Error(`unexpected ${command.constructor.name}`);
    }
  };
  return { sqs: { send } as unknown as SQSClient, queue, sentToSource };
};

describe('redrive over a run longer than the hiding of what came back', () => {
  it('moves every original once, though copies seen before keep reappearing ahead of them', async () => {
    // Prepare: 12 originals; 3 messages a receive, 50 s apart (the 120 s hiding ends after 3 receives)
    const { sqs, queue, sentToSource } = standIn(12, 50, 3);

    // Act
    const outcome = await redrive({ sqs, which: 'events', from: dlq, to: source });

    // Assess: every original sent once and gone from the DLQ; only the copies are left
    expect([...sentToSource].sort()).toEqual(
      Array.from({ length: 12 }, (_, i) =>
        JSON.stringify({ kind: 'event', event: { dedupeKey: `round0:evt_${i}`, vendor: 'round0' } }),
      ).sort(),
    );
    expect(outcome.moved).toBe(12);
    expect(outcome.stoppedEarly).toBe(false);
    expect(queue.every((m) => m.MessageId.startsWith('c'))).toBe(true);
  });

  it('says so, and to run it again, when copies kept reappearing until it stopped with originals left', async () => {
    // Prepare: 100 originals; 10 messages a receive, 50 s apart: the copies' hiding (400 s) ends while
    // originals are still behind them
    const { sqs, queue } = standIn(100, 50, 10);

    // Act
    const outcome = await redrive({ sqs, which: 'events', from: dlq, to: source });
    const lines = redriveLines('events', outcome);

    // Assess: what it moved, and that originals are left, which the output and the exit code say
    const left = queue.filter((m) => m.MessageId.startsWith('o')).length;
    expect(left).toBeGreaterThan(0);
    expect(outcome.moved).toBe(100 - left);
    expect(outcome.stoppedEarly).toBe(true);
    expect(lines).toContain(
      `stopped after 5 receives that brought back only messages that came back: up to ${left} original(s) it set out to move may still be on the events DLQ; run it again`,
    );
  });
});
