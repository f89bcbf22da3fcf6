/**
 * Puts envelopes on the SQS events queue, with the claim-check pattern for envelopes larger than an SQS
 * message: the envelope goes to S3 first and the message carries a pointer, so a long transcript is never
 * refused at the door. The worker reads them back with `queue-message.ts` (kept apart: the ingest bundles
 * no S3 client code).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { SendMessage } from '../platform/message-send.js';
import type { PutObject } from '../platform/object-put.js';
import type { InterviewEvent, QueueMessage, RawDelivery } from '../vendors/envelope.js';
import { QueueUnavailableError } from './errors.js';

export interface EventQueueOptions {
  /** How messages reach SQS (platform/message-send.ts: the SDK client, or the ingest's signed send). */
  readonly sendMessage: SendMessage;
  /** How claim-check objects reach S3 (platform/object-put.ts: the SDK client, or the ingest's signed PUT). */
  readonly putObject: PutObject;
  readonly queueUrl: string;
  /** Bucket for claim-check objects. */
  readonly bucket: string;
  /**
   * Largest message SQS accepts, body plus attributes (bytes).
   * @default 262144
   */
  readonly maxMessageBytes?: number;
  /** @default 'claim-checks/' */
  readonly claimCheckPrefix?: string;
}

export interface PublishedEvent {
  readonly messageId: string;
  /** True when the envelope went to S3 and the message carries a pointer. */
  readonly claimCheck: boolean;
}

/**
 * SQS accepts in a body and in attribute values only #x9, #xA, #xD, #x20–#xD7FF, #xE000–#xFFFD and
 * #x10000+ (SendMessage reference); anything else fails the send, and the vendor would get 503s on every
 * retry for an event it sent in good faith. In JSON, `JSON.stringify` already escapes the control
 * characters and lone surrogates (lone surrogates are refused at the door anyway): U+FFFE and U+FFFF are
 * left, and are escaped here so that `JSON.parse` gives the same text back.
 */
export const sqsSafeJson = (value: unknown): string =>
  JSON.stringify(value).replace(/[\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);

/**
 * The message attribute `ops redrive` stamps on each event it moves back from the DLQ: when it did (ISO
 * 8601). The worker counts the end-to-end lag of a redriven event from it, as from a replay's `replayedAt`:
 * an operator's redrive of week-old dead letters is not a pipeline running a week late.
 */
export const redrivenAtAttribute = 'redrivenAt';

/** An attribute value SQS accepts: refused characters become U+FFFD (attributes only label messages). */
export const sqsSafeAttribute = (text: string): string =>
  text.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD');

/** Bytes SQS counts for a message attribute: name + data type + value. */
const attributeBytes = (attributes: Record<string, string>): number =>
  Object.entries(attributes).reduce(
    (sum, [name, value]) =>
      sum + Buffer.byteLength(name) + Buffer.byteLength('String') + Buffer.byteLength(value),
    0,
  );

/** The attributes {@link EventQueue.publish} labels each message with (ids only, no PII). */
export const eventLabelAttributes = ['vendor', 'eventType', 'dedupeKey'] as const;

export class EventQueue {
  readonly #options: Required<EventQueueOptions>;

  constructor(options: EventQueueOptions) {
    this.#options = { maxMessageBytes: 256 * 1024, claimCheckPrefix: 'claim-checks/', ...options };
  }

  /**
   * Enqueues the envelope durably, with the raw delivery when there is one (the worker stores it);
   * resolves only once SQS (and S3 for a claim check) accepted it. `deadline` (epoch ms): both writes, their
   * retries included, end by then (the ingest's answer is due).
   */
  async publish(event: InterviewEvent, raw?: RawDelivery, deadline?: number): Promise<PublishedEvent> {
    const { sendMessage, queueUrl, maxMessageBytes } = this.#options;
    // Attributes let operators filter the DLQ and the worker log without parsing bodies (no PII in them).
    const attributes: Record<string, string> = {
      vendor: event.vendor,
      eventType: sqsSafeAttribute(event.type),
      dedupeKey: sqsSafeAttribute(event.dedupeKey),
    };
    let message: QueueMessage = raw === undefined ? { kind: 'event', event } : { kind: 'event', event, raw };
    let body = sqsSafeJson(message);
    const claimCheck = Buffer.byteLength(body) + attributeBytes(attributes) > maxMessageBytes;
    if (claimCheck) {
      message = await this.#storeClaimCheck(event, body, deadline);
      body = sqsSafeJson(message);
    }
    try {
      const sent = await sendMessage({
        queueUrl,
        body,
        attributes,
        ...(deadline === undefined ? {} : { deadline }),
      });
      return { messageId: sent.messageId, claimCheck };
    } catch (error) {
      throw new QueueUnavailableError('the events queue did not accept the event', { cause: error });
    }
  }

  /** Stores the whole message (envelope and raw delivery) in S3; the message sent carries a pointer. */
  async #storeClaimCheck(
    event: InterviewEvent,
    messageBody: string,
    deadline?: number,
  ): Promise<QueueMessage> {
    const { putObject, bucket, claimCheckPrefix } = this.#options;
    // Hash the dedupe key: it may contain characters that are awkward in keys, and no PII reaches S3 keys.
    const day = event.receivedAt.slice(0, 10);
    const key = `${claimCheckPrefix}${day}/${createHash('sha256').update(event.dedupeKey).digest('hex')}-${randomUUID()}.json`;
    try {
      await putObject({
        bucket,
        key,
        body: messageBody,
        contentType: 'application/json',
        ...(deadline === undefined ? {} : { deadline }),
      });
    } catch (error) {
      throw new QueueUnavailableError('the claim-check bucket did not accept the event', { cause: error });
    }
    return {
      kind: 'claim-check',
      bucket,
      key,
      dedupeKey: event.dedupeKey,
      vendor: event.vendor,
      type: event.type,
    };
  }
}
