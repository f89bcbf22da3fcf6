/**
 * `npm run ops -- redrive events|archive [--max N]`: moves the messages of a dead-letter queue back to the
 * queue they came from, once their cause is fixed, so they are processed again.
 *
 * Receive → send → delete, never SQS's own `StartMessageMoveTask`, deployed or local:
 * - the move task copies each message as it is, with the failure attributes the worker and the archive
 *   added (`failureReason`, `failureErrorName`, `failedAt`): they are dropped here, so a message that fails
 *   again is dead-lettered with its new reason only and never carries a stale one (the reasons are counted
 *   in the output instead); the events' `vendor`/`eventType`/`dedupeKey` attributes, which the worker's
 *   dead letters keep (older ones and SQS's own moves may lack them), are put back from the body when missing;
 * - it moves everything (only a rate can be given), while `--max` moves exactly N;
 * - it cannot forget the parked `failed` copy of each message (the worker and the archive park what they
 *   dead-letter), which would otherwise stay listed and be replayed a second time;
 * - it reports progress only as an approximate count polled from `ListMessageMoveTasks`;
 * - and one code path serves `npm start` and AWS alike (local-aws-sqs emulates the move task, but without
 *   the guarantee that matters here).
 *
 * At least once, never lost: a message is deleted from the DLQ only after the source queue accepted its
 * copy. A crash in between leaves it on both; the worker's dedupe (and the archive manifest) make the second
 * copy harmless. A message the source queue refused is released on the DLQ at once and the run stops; so
 * are, when the run fails (a request that throws), the messages it received and had not copied yet.
 *
 * A message that fails again while the redrive runs comes back to the DLQ as a new message (the worker's
 * dead-lettering sends a copy): the run does not move what reached the DLQ after it started (SQS's
 * `SentTimestamp`, which SQS's own redrive policy keeps from the original send), so a failing event is sent
 * to the ATS once per run and the DLQ's original messages are all reached. What came back is left on the DLQ
 * with its new reason, hidden until the run ends and then released, and counted apart from the moved ones;
 * the run still moves at most the number of messages the DLQ held when it started.
 */
import { createHash } from 'node:crypto';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  ListDeadLetterSourceQueuesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { archiveTaskEvent } from '../../functions/archive/events.js';
import type { ArchiveTask } from '../../functions/archive/types.js';
import type { ParkedKey, ParkingLot } from '../../functions/ledger/parking-lot.js';
import { redrivenAtAttribute, sqsSafeAttribute } from '../../functions/queue/event-queue.js';
import type { QueueMessage } from '../../functions/vendors/envelope.js';
import { queueCounts } from '../queue-depth.js';
import { Progress, type ProgressStream } from './progress.js';

/**
 * What one `SendMessageBatch` may carry in all: the sum of its messages' sizes (body, attribute names, types
 * and values). SQS refuses a batch over it whole (`BatchRequestTooLong`), and a DLQ's messages can each be
 * near the queues' 256 KiB message size (the claim-check threshold): ten of them are sent in several batches.
 * 256 KiB is SQS's limit before it raised both to 1 MiB in 2025, and is what the queues here are set to.
 */
export const batchPayloadLimitBytes = 256 * 1024;

/** A message's size as SQS counts it: its body, and each attribute's name, data type and value. */
const payloadBytes = (body: string, attributes: Record<string, MessageAttributeValue>): number =>
  Object.entries(attributes).reduce(
    (sum, [name, value]) =>
      sum +
      Buffer.byteLength(name) +
      Buffer.byteLength(value.DataType ?? '') +
      Buffer.byteLength(value.StringValue ?? '') +
      (value.BinaryValue?.length ?? 0),
    Buffer.byteLength(body),
  );

/** `items` in order, cut into runs whose sizes add up to at most the batch limit. */
const batchesWithin = <T>(items: readonly T[], sizeOf: (item: T) => number): T[][] => {
  const batches: T[][] = [];
  let current: T[] = [];
  let total = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && total + size > batchPayloadLimitBytes) {
      batches.push(current);
      current = [];
      total = 0;
    }
    current.push(item);
    total += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
};

/** Attributes the worker and the archive add when they dead-letter a message (`functions/queue/dead-letter.ts`). */
export const failureAttributes = ['failureReason', 'failureErrorName', 'failedAt'] as const;

export type RedriveWhich = 'events' | 'archive';

export interface RedriveOptions {
  readonly sqs: SQSClient;
  readonly which: RedriveWhich;
  /** The dead-letter queue. */
  readonly from: string;
  /** The queue its messages go back to. */
  readonly to: string;
  /** Move at most this many. @default all the DLQ held at the start */
  readonly max?: number;
  /** The parking lot, to forget the `failed` copies of what was moved. @default none: they stay listed */
  readonly parking?: Pick<ParkingLot, 'listKeys' | 'remove'>;
  /**
   * Whether the claim check a moved events message points to is still stored (S3 `HeadObject`). When it is
   * not (claim checks expire after 30 days), the event's parked copy is the only whole one left and is
   * kept. @default not asked: every moved message's parked copy is forgotten
   */
  readonly claimCheckStored?: (bucket: string, key: string) => Promise<boolean>;
  readonly progress?: ProgressStream;
  /**
   * Stops the run between batches (Ctrl-C): the batch in hand is finished, what was received and not copied
   * is made visible again, and the outcome says it was interrupted. @default none
   */
  readonly signal?: AbortSignal;
}

export interface RedriveOutcome {
  /** Messages the DLQ held at the start (approximate, as SQS counts). */
  readonly found: number;
  /**
   * Messages on the DLQ but hidden at the start (received by another run, an erase sweep, or left by a
   * redrive that failed between its send and its delete): not moved by this run, and said.
   */
  readonly hidden: number;
  readonly moved: number;
  /** Moved, but the DLQ refused their delete: they stay there too and would be moved again (harmless). */
  readonly notDeleted: number;
  /** Refused by the source queue: released on the DLQ, the run stopped. */
  readonly refused: number;
  /**
   * Received by the run but reached the DLQ after it started (mostly moved messages that failed again): not
   * moved, left on the DLQ with their new reason and released when it ended. Copies dead-lettered after its
   * last receive are on the DLQ too, uncounted.
   */
  readonly cameBack: number;
  /**
   * The run stopped after {@link maxStaleReceives} receives in a row brought back only messages that came
   * back (a run slower than their hiding: throttled, a laptop asleep), with fewer moved than it set out to:
   * originals may still be on the DLQ, to be moved by another run.
   */
  readonly stoppedEarly: boolean;
  /** What the run set out to move: the DLQ's count at the start, or `--max` when fewer. */
  readonly limit: number;
  /** Stopped by its signal (Ctrl-C) before it moved what it set out to. */
  readonly interrupted: boolean;
  /** `failureReason` of the moved messages → how many (PII-free by construction). */
  readonly reasons: ReadonlyMap<string, number>;
  /** Parked `failed` entries forgotten because their message was moved. */
  readonly parkedRemoved: number;
  /**
   * Parked `failed` entries kept although their message was moved: it points to a claim check no longer
   * stored (or that could not be checked), so the worker cannot read it and the copy is the event's only
   * whole envelope (`replay failed` resends it).
   */
  readonly parkedKept: number;
}

/**
 * {@link RedriveOptions.claimCheckStored} through `s3`: false when S3 answers that the object is not there;
 * any other failure (no permission, throttled) is thrown, and the parked copy kept.
 */
export const claimCheckStoredIn =
  (s3: S3Client) =>
  (bucket: string, key: string): Promise<boolean> =>
    s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
      () => true,
      (error: unknown) => {
        if ((error as { name?: string }).name === 'NotFound') return false;
        throw error;
      },
    );

/** The source queue of a DLQ, as SQS knows it (the queue whose redrive policy names it). */
export const sourceQueueOf = async (
  sqs: SQSClient,
  deadLetterQueueUrl: string,
): Promise<string | undefined> => {
  const { queueUrls = [] } = await sqs.send(
    new ListDeadLetterSourceQueuesCommand({ QueueUrl: deadLetterQueueUrl }),
  );
  return queueUrls.length === 1 ? queueUrls[0] : undefined;
};

/**
 * Up to `max` (at most 10) messages of a dead-letter queue, with their attributes and `SentTimestamp`, each
 * hidden from other receives for `visibilityTimeout` seconds. Long polling asks every SQS server: an empty
 * answer means the queue has nothing visible left.
 */
export const receiveDeadLetters = async (
  sqs: SQSClient,
  queueUrl: string,
  max: number,
  visibilityTimeout: number,
): Promise<Message[]> => {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: Math.min(10, max),
      VisibilityTimeout: visibilityTimeout,
      WaitTimeSeconds: 1,
      MessageAttributeNames: ['All'],
      // For `SentTimestamp`. Both names: SQS renamed AttributeNames, and local-aws-sqs only reads the old
      // one (which the SDK types as queue attribute names: 'All' is the one both accept).
      AttributeNames: ['All'],
      MessageSystemAttributeNames: ['All'],
    }),
  );
  return Messages;
};

/** Makes a received message visible again now, not after its visibility timeout (best effort: false if not). */
export const releaseMessage = async (sqs: SQSClient, queueUrl: string, message: Message): Promise<boolean> =>
  sqs
    .send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: message.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    )
    .then(
      () => true,
      () => false,
    );

const parseJson = (text: string | undefined): unknown => {
  try {
    return JSON.parse(text ?? '');
  } catch {
    return undefined;
  }
};

/** The dedupe key the message's parked copy has, if the body says. */
const parkedKeyOf = (which: RedriveWhich, body: string | undefined): string | undefined => {
  const value = parseJson(body);
  if (typeof value !== 'object' || value === null) return undefined;
  if (which === 'archive') {
    const task = value as Partial<ArchiveTask>;
    if (typeof task.interviewKey !== 'string' || typeof task.asset?.name !== 'string') return undefined;
    return archiveTaskEvent(task as ArchiveTask, new Date(0)).dedupeKey;
  }
  const message = value as Partial<QueueMessage>;
  if (message.kind === 'event') return message.event?.dedupeKey;
  if (message.kind === 'claim-check') return message.dedupeKey;
  return undefined;
};

/**
 * The attributes the copy is sent with: the message's own minus the failure ones, plus, for an event, the
 * envelope's and the redrive's time (`redrivenAt`, which the worker's end-to-end lag starts from).
 */
const attributesFor = (
  which: RedriveWhich,
  message: Message,
  now: Date,
): Record<string, MessageAttributeValue> => {
  const kept: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    if ((failureAttributes as readonly string[]).includes(name)) continue;
    kept[name] = {
      DataType: value.DataType,
      ...(value.StringValue === undefined ? {} : { StringValue: value.StringValue }),
      ...(value.BinaryValue === undefined ? {} : { BinaryValue: value.BinaryValue }),
    };
  }
  if (which === 'events') {
    // What `EventQueue.publish` sets (ids only), for operators filtering the queue or the DLQ.
    const body = parseJson(message.Body) as Partial<QueueMessage> | undefined;
    const about =
      body?.kind === 'event'
        ? { vendor: body.event?.vendor, eventType: body.event?.type, dedupeKey: body.event?.dedupeKey }
        : body?.kind === 'claim-check'
          ? { vendor: body.vendor, eventType: body.type, dedupeKey: body.dedupeKey }
          : {};
    for (const [name, value] of Object.entries(about)) {
      if (typeof value === 'string' && value !== '' && kept[name] === undefined)
        // As the ingest sets them: SQS refuses some characters a vendor id may hold, and the move with them.
        kept[name] = { DataType: 'String', StringValue: sqsSafeAttribute(value) };
    }
    // This redrive's, over an earlier one's.
    kept[redrivenAtAttribute] = { DataType: 'String', StringValue: now.toISOString() };
  }
  return kept;
};

/**
 * How far apart SQS's clock (a message's `SentTimestamp`) and this machine's (the run's start) may be. Within
 * it of the start the timestamp cannot say whether a message reached the DLQ before the run or after: there
 * only a copy of a message this run moved counts as come back (the worker dead-letters the body it received),
 * so an original sent just before the run is still moved, and a copy sent just after it is not.
 */
export const clockSkewMs = 2_000;

/**
 * How long a message received from a DLQ stays hidden while a run through the DLQ (a redrive, the erase's
 * sweep) goes on, so that no receive hands the same message back: 5 minutes and a second more per message
 * the DLQ held, at most SQS's 12 h. What the run keeps back is released at once when it ends.
 */
export const runVisibilitySecondsFor = (found: number): number => Math.min(12 * 3600, 300 + found);

/** Receives in a row that bring only messages seen before (they reappeared) after which such a run stops. */
export const maxStaleReceives = 5;

/** A body's fingerprint: what the run keeps of each message it moved. */
const digestOf = (body: string | undefined): string =>
  createHash('sha256')
    .update(body ?? '')
    .digest('base64');

export const redrive = async (options: RedriveOptions): Promise<RedriveOutcome> => {
  const { sqs, which, from, to } = options;
  // Before anything is received or moved: what SQS stamped after it came during the run.
  const started = Date.now();
  const { visible: found, inFlight: hidden } = await queueCounts(sqs, from);
  const limit = Math.min(options.max ?? Number.POSITIVE_INFINITY, found);
  const progress = new Progress(`redrive ${which}`, Number.isFinite(limit) ? limit : undefined, {
    ...(options.progress === undefined ? {} : { stream: options.progress }),
  });
  // Their keys only: the envelopes of thousands of parked events (an ATS outage) need not fit in memory.
  const parked = new Map<string, ParkedKey[]>();
  for (const entry of options.parking === undefined ? [] : await options.parking.listKeys('failed')) {
    parked.set(entry.dedupeKey, [...(parked.get(entry.dedupeKey) ?? []), entry]);
  }
  const reasons = new Map<string, number>();
  let moved = 0;
  let notDeleted = 0;
  let refused = 0;
  /** What came back during the run, by id, with its latest receipt handle (the one a release needs). */
  const cameBack = new Map<string, Message>();
  const movedBodies = new Set<string>();
  /** Received and not yet copied or released: made visible again if the run fails (a throttle, a crash). */
  const inHand = new Set<Message>();
  let stale = 0;
  let stoppedEarly = false;
  const hideSeconds = runVisibilitySecondsFor(found);
  let parkedRemoved = 0;
  let parkedKept = 0;
  /** False when the message points to a claim check that is gone, or whose presence could not be read. */
  const readable = async (body: string | undefined): Promise<boolean> => {
    const pointer = parseJson(body) as Partial<QueueMessage> | undefined;
    if (which !== 'events' || options.claimCheckStored === undefined || pointer?.kind !== 'claim-check') {
      return true;
    }
    const { bucket, key } = pointer as Partial<Extract<QueueMessage, { kind: 'claim-check' }>>;
    if (typeof bucket !== 'string' || typeof key !== 'string') return false;
    return options.claimCheckStored(bucket, key).catch(() => false);
  };
  const arrivedDuringRun = (message: Message): boolean => {
    const sent = Number(message.Attributes?.SentTimestamp);
    // Not stamped (SQS always does): taken for an original, as the DLQ's count at the start was.
    if (Number.isNaN(sent)) return false;
    if (sent >= started + clockSkewMs) return true;
    return sent > started - clockSkewMs && movedBodies.has(digestOf(message.Body));
  };

  try {
    // A DLQ filling faster than the run drains it (an outage) stops it, rather than hiding ever more.
    while (moved < limit && refused === 0 && cameBack.size <= limit && options.signal?.aborted !== true) {
      // Hidden long enough to send and delete a batch, and what came back for the rest of the run (a message
      // whose copy failed, and what came back when the run ends, are released at once).
      const received = await receiveDeadLetters(sqs, from, limit - moved, hideSeconds);
      const Messages: Message[] = [];
      let news = 0;
      for (const message of received) {
        const id = message.MessageId ?? message.ReceiptHandle ?? '';
        if (cameBack.has(id) || arrivedDuringRun(message)) {
          // Left on the DLQ with its new reason, and hidden again by this receive until the run ends.
          if (!cameBack.has(id)) news += 1;
          cameBack.set(id, message);
        } else {
          Messages.push(message);
        }
      }
      if (received.length === 0) break; // nothing visible is left
      // Only copies seen before, visible again after a run longer than their hiding (this receive hides them
      // once more): originals may still be behind them, so go on, but not for ever.
      if (Messages.length === 0 && news === 0) {
        stale += 1;
        if (stale >= maxStaleReceives) {
          // Fewer moved than it set out to (the loop runs while `moved < limit`): originals may be left.
          stoppedEarly = true;
          break;
        }
        continue;
      }
      stale = 0;
      for (const message of Messages) inHand.add(message);
      const entries = Messages.map((message, index) => {
        const attributes = attributesFor(which, message, new Date());
        return {
          Id: String(index),
          MessageBody: message.Body ?? '',
          ...(Object.keys(attributes).length === 0 ? {} : { MessageAttributes: attributes }),
        };
      });
      const sent: Message[] = [];
      for (const batch of batchesWithin(entries, (entry) =>
        payloadBytes(entry.MessageBody, entry.MessageAttributes ?? {}),
      )) {
        const { Successful = [], Failed = [] } = await sqs.send(
          new SendMessageBatchCommand({ QueueUrl: to, Entries: batch }),
        );
        for (const failure of Failed) {
          // Not copied: back on the DLQ now, not after the visibility timeout.
          const message = Messages[Number(failure.Id)];
          refused += 1;
          if (message === undefined) continue;
          inHand.delete(message);
          await releaseMessage(sqs, from, message);
        }
        for (const entry of Successful) {
          const message = Messages[Number(entry.Id)];
          if (message === undefined) continue;
          // Copied: hidden until its delete, or its hiding ends (a failed run leaves it, as moving it again
          // would make a second copy).
          inHand.delete(message);
          sent.push(message);
          movedBodies.add(digestOf(message.Body));
        }
      }
      if (sent.length === 0) continue;
      // Deleted only now that the source queue holds the copy.
      const deleted = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: from,
          Entries: sent.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
          })),
        }),
      );
      notDeleted += deleted.Failed?.length ?? 0;
      for (const message of sent) {
        const reason = message.MessageAttributes?.failureReason?.StringValue ?? '(no reason recorded)';
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
        const key = parkedKeyOf(which, message.Body);
        const copies = (key === undefined ? undefined : parked.get(key)) ?? [];
        if (copies.length > 0 && !(await readable(message.Body))) {
          parkedKept += copies.length;
        } else {
          for (const entry of copies) {
            await options.parking?.remove(entry);
            parkedRemoved += 1;
          }
        }
        if (key !== undefined) parked.delete(key);
      }
      moved += sent.length;
      progress.tick(sent.length);
    }
  } finally {
    // Visible again for the next redrive, also when this one failed: what came back, and what a failed run
    // had received but not copied (else hidden for the run's whole visibility timeout, 5 minutes or more).
    await Promise.all([...cameBack.values(), ...inHand].map((message) => releaseMessage(sqs, from, message)));
  }
  progress.done();
  return {
    found,
    hidden,
    moved,
    notDeleted,
    refused,
    cameBack: cameBack.size,
    stoppedEarly,
    limit,
    interrupted: options.signal?.aborted === true && moved < limit,
    reasons,
    parkedRemoved,
    parkedKept,
  };
};

/** The lines `npm run ops -- redrive` prints. */
export const redriveLines = (which: RedriveWhich, outcome: RedriveOutcome): string[] => {
  const queue = which === 'events' ? 'events queue' : 'archive queue';
  const hiddenLine = `${outcome.hidden} message(s) on the ${which} DLQ were hidden (in flight: received by another run or an erase sweep, or left by a redrive that stopped before deleting them) and not moved: run it again once they are visible`;
  if (outcome.found === 0) {
    return outcome.hidden === 0 ? [`the ${which} dead-letter queue is empty`] : [hiddenLine];
  }
  const lines = [
    `moved ${outcome.moved} of ${outcome.found} message(s) from the ${which} DLQ to the ${queue}`,
  ];
  if (outcome.hidden > 0) lines.push(hiddenLine);
  for (const [reason, count] of [...outcome.reasons].sort((a, b) => b[1] - a[1])) {
    lines.push(`  ${count} × ${reason}`);
  }
  if (outcome.parkedRemoved > 0) {
    lines.push(`forgot ${outcome.parkedRemoved} parked 'failed' copy(ies) of the moved messages`);
  }
  if (outcome.parkedKept > 0) {
    lines.push(
      `kept ${outcome.parkedKept} parked 'failed' copy(ies): their moved message points to a claim check no ` +
        'longer stored (expired), which the worker cannot read; the copy is the whole event: resend it with ' +
        '`npm run ops -- replay failed --key <dedupe key>` (`npm run ops -- parked failed` lists them)',
    );
  }
  if (outcome.notDeleted > 0) {
    lines.push(
      `${outcome.notDeleted} moved message(s) could not be deleted from the DLQ: they stay there too (a second ` +
        'redrive of them is harmless: the worker skips what is done)',
    );
  }
  if (outcome.cameBack > 0) {
    lines.push(
      `${outcome.cameBack} message(s) reached the DLQ again while this ran (failed again) and were left there ` +
        'with their new reason, not moved twice by one run',
    );
  }
  if (outcome.refused > 0) {
    lines.push(`${outcome.refused} message(s) were refused by the ${queue} and left on the DLQ; stopped`);
  }
  if (outcome.interrupted) {
    lines.push(
      `interrupted: ${outcome.limit - outcome.moved} message(s) it set out to move are still on the ${which} DLQ, ` +
        'visible; run it again to move them',
    );
  }
  if (outcome.stoppedEarly) {
    lines.push(
      `stopped after ${maxStaleReceives} receives that brought back only messages that came back: up to ` +
        `${outcome.limit - outcome.moved} original(s) it set out to move may still be on the ${which} DLQ; run it again`,
    );
  }
  lines.push(
    'the failure attributes (failureReason, failureErrorName, failedAt) were dropped: a message that fails ' +
      'again is dead-lettered with its new reason',
  );
  return lines;
};
