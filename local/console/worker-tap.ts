/**
 * What the local worker was handed and how each invocation ended, kept in memory for the console: the
 * ledger records an event's claim and outcome but not its type or when it was processed, and this is the
 * one place the local runtime sees both without any change to the worker. It wraps the worker's handler
 * the way the SQS poller calls it and keeps ids only (vendor, type, dedupe key, interview key) — never the
 * payload, which holds candidate data.
 *
 * Only this process's deliveries are known: events processed by an earlier `npm start` show in the
 * console from the ledger alone, without a type or a time.
 */
import type { SQSEvent } from 'aws-lambda';
import { findInterviewKey } from '../../functions/ledger/lifecycle.js';
import type { QueueMessage } from '../../functions/vendors/envelope.js';
import type { LocalHandler } from '../lambda-context.js';
import { failedMessageIds } from '../sqs-poller.js';

/**
 * How the latest delivery of an event ended for the worker: `running` (invoked, no answer yet), `ok` (not
 * reported as failed, so the poller deletes it), `failed` (reported in `batchItemFailures`, or the whole
 * invocation threw or answered nonsense: SQS delivers it again).
 */
export type DeliveryResult = 'running' | 'ok' | 'failed';

/** One event as the worker saw it. */
export interface TappedEvent {
  readonly dedupeKey: string;
  readonly vendor: string;
  readonly type: string;
  /** The interview's ledger key, when the message carried the envelope (not a claim check). */
  readonly interviewKey?: string;
  /** When the vendor says it happened, if it says. */
  readonly occurredAt?: string;
  /** A test delivery from the vendor's dashboard (the worker acknowledges it without any effect). */
  readonly test?: true;
  /** When the worker was last invoked with it (ISO 8601). */
  readonly lastDeliveryAt: string;
  /** Deliveries to the worker in this process. */
  readonly deliveries: number;
  readonly result: DeliveryResult;
}

export interface WorkerTap {
  /** `handler`, reporting each invocation's records and outcome to the tap. */
  wrap<TResult>(handler: LocalHandler<SQSEvent, TResult>): LocalHandler<SQSEvent, TResult>;
  /** The events seen, most recently delivered first. */
  events(): TappedEvent[];
}

export interface WorkerTapOptions {
  /**
   * Events kept; the oldest delivery is forgotten first.
   * @default 500
   */
  readonly capacity?: number;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/** The ids of a queue message; undefined for a body that is not one (the worker dead-letters those). */
const idsOf = (body: string): Omit<TappedEvent, 'lastDeliveryAt' | 'deliveries' | 'result'> | undefined => {
  let message: QueueMessage;
  try {
    message = JSON.parse(body) as QueueMessage;
  } catch {
    return undefined;
  }
  if (message?.kind === 'claim-check') {
    return { dedupeKey: message.dedupeKey, vendor: message.vendor, type: message.type };
  }
  const event = message?.kind === 'event' ? message.event : undefined;
  if (typeof event?.dedupeKey !== 'string') return undefined;
  const ids = { dedupeKey: event.dedupeKey, vendor: event.vendor, type: event.type };
  const occurredAt = event.occurredAt === undefined ? {} : { occurredAt: event.occurredAt };
  // A test delivery's interview is the vendor's fake one: it has no interview to link to.
  if (event.test === true) return { ...ids, ...occurredAt, test: true };
  // An event without an interview (an unknown type): the worker decides what to do with it.
  const interviewKey = findInterviewKey(event);
  return { ...ids, ...(interviewKey === undefined ? {} : { interviewKey }), ...occurredAt };
};

export const createWorkerTap = (options: WorkerTapOptions = {}): WorkerTap => {
  const capacity = options.capacity ?? 500;
  const now = options.now ?? (() => new Date());
  /** By dedupe key, in delivery order (a re-delivery moves to the end). */
  const seen = new Map<string, TappedEvent>();

  const record = (event: TappedEvent) => {
    seen.delete(event.dedupeKey);
    seen.set(event.dedupeKey, event);
    for (const key of seen.keys()) {
      if (seen.size <= capacity) break;
      seen.delete(key);
    }
  };

  /**
   * Records how the invocation ended for each of its events still showing its own delivery: an event
   * delivered again meanwhile (a vendor's re-send, a visibility timeout shorter than the batch) shows the
   * newer delivery, whose outcome an older invocation must not write (it would hide a later failure).
   */
  const settle = (
    delivered: ReadonlyMap<string, { dedupeKey: string; delivery: number }>,
    failed: ReadonlySet<string> | 'all',
  ) => {
    for (const [messageId, { dedupeKey, delivery }] of delivered) {
      const event = seen.get(dedupeKey);
      if (event === undefined || event.result !== 'running' || event.deliveries !== delivery) continue;
      seen.set(dedupeKey, { ...event, result: failed === 'all' || failed.has(messageId) ? 'failed' : 'ok' });
    }
  };

  return {
    wrap:
      <TResult>(handler: LocalHandler<SQSEvent, TResult>): LocalHandler<SQSEvent, TResult> =>
      async (event, context) => {
        const at = now().toISOString();
        /** message id → dedupe key and which delivery of it this is, for the records this invocation carries. */
        const delivered = new Map<string, { dedupeKey: string; delivery: number }>();
        for (const sqsRecord of event.Records) {
          const ids = idsOf(sqsRecord.body);
          if (ids === undefined) continue;
          const deliveries = (seen.get(ids.dedupeKey)?.deliveries ?? 0) + 1;
          delivered.set(sqsRecord.messageId, { dedupeKey: ids.dedupeKey, delivery: deliveries });
          record({ ...ids, lastDeliveryAt: at, deliveries, result: 'running' });
        }
        // A timed-out invocation fails its batch (the poller keeps the messages), while the handler may run
        // on and return later: its answer must not show those events processed.
        const timedOut =
          typeof context?.getRemainingTimeInMillis === 'function'
            ? setTimeout(() => settle(delivered, 'all'), context.getRemainingTimeInMillis())
            : undefined;
        try {
          const response = await handler(event, context);
          settle(delivered, failedMessageIds(response, new Set(event.Records.map((r) => r.messageId))));
          return response;
        } catch (error) {
          settle(delivered, 'all');
          throw error;
        } finally {
          clearTimeout(timedOut);
        }
      },
    events: () => [...seen.values()].reverse(),
  };
};
