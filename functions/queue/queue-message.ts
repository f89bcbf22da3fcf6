/**
 * Reads a message of the SQS events queue back (the worker): the envelope and the raw delivery, following a
 * claim check to S3 when there is one (`event-queue.ts` writes them).
 */
import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import type { InterviewEvent, QueueMessage, RawDelivery } from '../vendors/envelope.js';
import { UnreadableQueueMessageError } from './errors.js';

/** A queued event as the worker reads it: the envelope and, for a vendor's delivery, its raw form. */
export interface QueuedEvent {
  readonly event: InterviewEvent;
  /** Absent on replays, internal events and messages queued before the worker kept raw deliveries. */
  readonly raw?: RawDelivery;
}

/**
 * An envelope of a version this worker reads, with the fields the batch as a whole works with (the raw
 * store's day and order) of the types they must have: a damaged or hand-made message is refused alone,
 * instead of throwing where it would fail its batch-mates too.
 */
const isEnvelope = (value: unknown): value is InterviewEvent => {
  const event = value as Partial<Record<keyof InterviewEvent, unknown>> | null | undefined;
  return (
    typeof event === 'object' &&
    event !== null &&
    event.schemaVersion === 1 &&
    typeof event.vendor === 'string' &&
    typeof event.type === 'string' &&
    typeof event.dedupeKey === 'string' &&
    typeof event.receivedAt === 'string'
  );
};

/** A raw delivery as `rawDeliveryOf` writes it: headers (strings) and the body as base64 text. */
const isRawDelivery = (value: unknown): value is RawDelivery => {
  const raw = value as { headers?: unknown; bodyBase64?: unknown } | null | undefined;
  return (
    typeof raw === 'object' &&
    raw !== null &&
    typeof raw.bodyBase64 === 'string' &&
    typeof raw.headers === 'object' &&
    raw.headers !== null &&
    !Array.isArray(raw.headers) &&
    Object.values(raw.headers).every((header) => typeof header === 'string')
  );
};

/**
 * An `event` message, or the content of a claim check: `{ kind: 'event', … }`, or a bare envelope (older).
 * A `raw` the ingest would not have written (a message made by hand, damaged) makes it unreadable: kept
 * whole on the DLQ with the reason, rather than failing its batch-mates when the raw store reads it.
 */
const queuedEventOf = (message: unknown): QueuedEvent | undefined => {
  if (isEnvelope(message)) return { event: message };
  const candidate = message as { kind?: unknown; event?: unknown; raw?: unknown } | undefined;
  if (candidate?.kind !== 'event' || !isEnvelope(candidate.event)) return undefined;
  if (candidate.raw === undefined) return { event: candidate.event };
  if (!isRawDelivery(candidate.raw)) {
    throw new UnreadableQueueMessageError('queue message has a raw delivery without headers or body');
  }
  return { event: candidate.event, raw: candidate.raw };
};

/**
 * Turns an SQS message body back into the envelope and raw delivery, following a claim check to S3 when
 * there is one. Throws {@link UnreadableQueueMessageError} for bodies that can never be read (the worker
 * dead-letters them); S3 errors propagate as they are (transient: the message is retried).
 */
export const readQueueMessage = async (body: string, s3: S3Client): Promise<QueuedEvent> => {
  let message: QueueMessage;
  try {
    message = JSON.parse(body) as QueueMessage;
  } catch (error) {
    throw new UnreadableQueueMessageError('queue message is not JSON', { cause: error });
  }
  if (message?.kind === 'event') {
    const queued = queuedEventOf(message);
    if (queued !== undefined) return queued;
  }
  if (message?.kind === 'claim-check') {
    let text: string;
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: message.bucket, Key: message.key }));
      text = (await object.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      // A missing object will not appear by retrying (expired or deleted): say so now, not after 10 receives.
      if (error instanceof NoSuchKey) {
        throw new UnreadableQueueMessageError('claim-check object is missing', { cause: error });
      }
      throw error;
    }
    let content: unknown;
    try {
      content = JSON.parse(text);
    } catch (error) {
      throw new UnreadableQueueMessageError('claim-check object is not JSON', { cause: error });
    }
    const queued = queuedEventOf(content);
    if (queued === undefined) {
      throw new UnreadableQueueMessageError('claim-check object holds no envelope of a known schema version');
    }
    return queued;
  }
  throw new UnreadableQueueMessageError('queue message has an unknown kind or schema version');
};
