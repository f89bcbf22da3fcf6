/**
 * `sweepDeadLetterQueues` (local/ops/erase.ts) against a stand-in SQS that behaves as SQS may: a received
 * message is hidden for the visibility timeout asked and then visible again, and a receive returns visible
 * messages in no particular order (here: the ones that reappeared first). A sweep that outlasts the hiding
 * must not end early and call itself complete while a message of the candidate is still on the DLQ.
 */

import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from '@jest/globals';
import type { CandidateFindings } from '../../../local/ops/candidate.js';
import { type ErasePlan, sweepDeadLetterQueues, sweepIncomplete } from '../../../local/ops/erase.js';

const findings = {
  interviews: [{ vendor: 'round0', interviewKey: '660f9511-f30c-52e5-b827-557766551111' }],
  emails: new Set(['jane@example.com']),
  pseudonyms: new Set<string>(),
  names: new Set(['Jane Smith']),
  candidateIds: new Set<string>(),
  events: [],
  states: [],
  archiveItems: [],
} as unknown as CandidateFindings;
const plan = { claimChecks: [] } as unknown as ErasePlan;

interface Stored {
  readonly MessageId: string;
  readonly Body: string;
  visibleAt: number;
  handle?: string;
}

/** `count` dead letters of other candidates, the last one Jane's. */
const deadLetters = (count: number): Stored[] =>
  Array.from({ length: count }, (_, i) => ({
    MessageId: `m${i}`,
    Body: JSON.stringify({
      kind: 'event',
      event: {
        dedupeKey: `round0:evt_${i}`,
        candidate: { email: i === count - 1 ? 'jane@example.com' : `c${i}@example.org` },
      },
    }),
    visibleAt: 0,
  }));

/**
 * An SQS stand-in over `queue`, whose clock advances `secondsPerReceive` at each receive, and whose count of
 * visible messages is `countLag` short (SQS's is approximate: a message sent just before is not counted yet).
 */
const standIn = (queue: Stored[], secondsPerReceive: number, countLag = 0) => {
  let clock = 0;
  const send = async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    const input = command.input as {
      MaxNumberOfMessages?: number;
      VisibilityTimeout?: number;
      Entries?: Array<{ ReceiptHandle: string }>;
      ReceiptHandle?: string;
    };
    switch (command.constructor.name) {
      case 'GetQueueAttributesCommand':
        return {
          Attributes: {
            ApproximateNumberOfMessages: String(
              Math.max(0, queue.filter((m) => m.visibleAt <= clock).length - countLag),
            ),
            ApproximateNumberOfMessagesNotVisible: String(queue.filter((m) => m.visibleAt > clock).length),
          },
        };
      case 'ReceiveMessageCommand': {
        clock += secondsPerReceive;
        const visible = queue
          .filter((m) => m.visibleAt <= clock)
          .sort((a, b) => b.visibleAt - a.visibleAt)
          .slice(0, input.MaxNumberOfMessages ?? 1);
        for (const m of visible) {
          m.visibleAt = clock + (input.VisibilityTimeout ?? 30);
          m.handle = `${m.MessageId}@${clock}`;
        }
        return {
          Messages: visible.map((m) => ({ MessageId: m.MessageId, Body: m.Body, ReceiptHandle: m.handle })),
        };
      }
      case 'DeleteMessageBatchCommand':
        for (const entry of input.Entries ?? []) {
          const id = entry.ReceiptHandle.split('@')[0];
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
  return { send } as unknown as SQSClient;
};

const sweep = (queue: Stored[], secondsPerReceive: number, countLag = 0) =>
  sweepDeadLetterQueues(plan, findings, {
    sqs: standIn(queue, secondsPerReceive, countLag),
    s3: {} as S3Client,
    queues: [{ queue: 'deadLetter', label: 'events DLQ', url: 'https://sqs.local/dlq' }],
  });

describe('sweepDeadLetterQueues on a DLQ whose messages reappear', () => {
  it('reads a DLQ of 100 to the end and deletes the candidate’s message, at 40 s a receive', async () => {
    // Prepare
    const queue = deadLetters(100);

    // Act
    const sweeps = await sweep(queue, 40);

    // Assess
    expect(queue.some((m) => m.MessageId === 'm99')).toBe(false);
    expect(queue).toHaveLength(99);
    expect(sweepIncomplete(sweeps)).toBe(false);
  });

  it('reads past a count that lags: the candidate’s message dead-lettered just before is deleted too', async () => {
    // Prepare: three messages, counted as two; the candidate's is the last received
    const queue = deadLetters(3);

    // Act
    const sweeps = await sweep(queue, 1, 1);

    // Assess
    expect(queue.map((m) => m.MessageId)).toEqual(['m0', 'm1']);
    expect(sweeps[0]).toMatchObject({ found: 2, read: 3, deleted: 1, released: 2 });
    expect(sweepIncomplete(sweeps)).toBe(false);
  });

  it('says the sweep is incomplete, never complete, when the candidate’s message is left unread', async () => {
    // Prepare: so slow that what it read reappears before it is through
    const queue = deadLetters(100);

    // Act
    const sweeps = await sweep(queue, 200);

    // Assess
    const left = queue.some((m) => m.MessageId === 'm99');
    expect(left).toBe(true);
    expect(sweepIncomplete(sweeps)).toBe(true);
    expect(sweeps[0]?.failure).toMatch(/^read \d+ of the 100 message\(s\) it held$/);
  });
});
