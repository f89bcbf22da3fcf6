/**
 * The events queue's writes end by the deadline its caller gives (the ingest's answer time,
 * functions/intake/accept-webhook.ts `answerWithinMs`): the claim check's PUT and the SendMessage both get
 * it, and without one neither has any.
 */
import { describe, expect, it } from '@jest/globals';
import type { MessageToSend } from '../../../functions/platform/message-send.js';
import type { ObjectToPut } from '../../../functions/platform/object-put.js';
import { EventQueue } from '../../../functions/queue/event-queue.js';
import type { InterviewEvent } from '../../../functions/vendors/envelope.js';
import { parseVendorEvent } from '../../../functions/vendors/index.js';
import { fixture } from '../../helpers/fixtures.js';

const recordingQueue = (maxMessageBytes: number) => {
  const puts: ObjectToPut[] = [];
  const sends: MessageToSend[] = [];
  const queue = new EventQueue({
    putObject: async (object) => {
      puts.push(object);
    },
    sendMessage: async (message) => {
      sends.push(message);
      return { messageId: `m-${sends.length}` };
    },
    queueUrl: 'http://127.0.0.1:1/000000000000/events',
    bucket: 'claims',
    maxMessageBytes,
  });
  return { queue, puts, sends };
};

const ended = (): InterviewEvent => {
  const parsed = parseVendorEvent('round0', fixture('round0', 'interview_ended').body, new Date());
  if (!parsed.ok) throw new Error('the fixture does not parse');
  return parsed.event;
};

describe('EventQueue.publish deadline', () => {
  it('gives a claim check’s PUT and its pointer’s send the deadline', async () => {
    // Prepare: a message limit the envelope exceeds (a claim check).
    const { queue, puts, sends } = recordingQueue(1_024);
    const deadline = Date.now() + 5_000;

    // Act
    const published = await queue.publish(ended(), undefined, deadline);

    // Assess
    expect(published.claimCheck).toBe(true);
    expect(puts.map((put) => put.deadline)).toEqual([deadline]);
    expect(sends.map((send) => send.deadline)).toEqual([deadline]);
  });

  it('gives a message that fits its send the deadline', async () => {
    // Prepare
    const { queue, puts, sends } = recordingQueue(256 * 1024);
    const deadline = Date.now() + 5_000;

    // Act
    await queue.publish(ended(), undefined, deadline);

    // Assess
    expect(puts).toEqual([]);
    expect(sends.map((send) => send.deadline)).toEqual([deadline]);
  });

  it('gives neither write a deadline when its caller has none', async () => {
    // Prepare
    const { queue, puts, sends } = recordingQueue(1_024);

    // Act
    await queue.publish(ended());

    // Assess
    expect([...puts, ...sends].map((write) => 'deadline' in write)).toEqual([false, false]);
  });
});

describe('EventQueue.publish size', () => {
  /** Bytes SQS counts for `sent`: its body, and each attribute's name, data type ('String') and value. */
  const sqsBytes = (sent: MessageToSend) =>
    Buffer.byteLength(sent.body) +
    Object.entries(sent.attributes).reduce(
      (sum, [name, value]) => sum + Buffer.byteLength(name) + 'String'.length + Buffer.byteLength(value),
      0,
    );

  /** A raw delivery whose body makes the message `bytes` long as SQS counts it (attributes included). */
  const rawOfSize = async (bytes: number) => {
    const { queue, sends } = recordingQueue(Number.MAX_SAFE_INTEGER);
    await queue.publish(ended(), { headers: {}, bodyBase64: '' });
    const [sent] = sends;
    if (sent === undefined) throw new Error('nothing sent');
    return { headers: {}, bodyBase64: 'A'.repeat(bytes - sqsBytes(sent)) };
  };

  it.each([
    ['at SQS’s 256 KiB, attributes included', 256 * 1024, false],
    ['a byte over 256 KiB only with its attributes counted', 256 * 1024 + 1, true],
  ])('sends a message %s as a claim check: %s', async (_, bytes, claimCheck) => {
    // Prepare
    const raw = await rawOfSize(bytes);
    const { queue, sends } = recordingQueue(256 * 1024);

    // Act
    const published = await queue.publish(ended(), raw);

    // Assess
    expect(published.claimCheck).toBe(claimCheck);
    if (!claimCheck) expect(sends.map(sqsBytes)).toEqual([bytes]);
  });
});
