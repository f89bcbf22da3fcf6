/**
 * A local stand-in for Lambda's SQS event source mapping: long-polls the queue, batches messages into an
 * `SQSEvent` shaped like Lambda's, invokes the worker and deletes what succeeded.
 *
 * Semantics kept from AWS (Lambda developer guide, "Using Lambda with Amazon SQS" and "Reporting batch
 * item failures"): `ReportBatchItemFailures` is on, so only records not listed in `batchItemFailures`
 * are deleted; a thrown error, a timeout or an invalid response fails the whole batch; failed records
 * are not touched and reappear after the visibility timeout, and the queue's redrive policy moves them
 * to the DLQ after `maxReceiveCount` receives (the SQS emulator does that part).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSMessageAttributes, SQSRecord, SQSRecordAttributes } from 'aws-lambda';
import { resources } from '../lib/resources.js';
import { LambdaTimeoutError } from './errors.js';
import { invokeLocally, type LocalFunctionSettings, type LocalHandler } from './lambda-context.js';
import { consoleLog, type LocalLog } from './log.js';

export interface SqsPollerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** Goes into every record's `eventSourceARN`. */
  readonly queueArn: string;
  /**
   * Creates one worker handler per execution environment ("container"). Lambda runs one invocation at a
   * time in an environment, and handlers keep per-invocation state in module scope (Powertools' logger
   * keys, metrics buffer): the poller gives each batch an environment of its own, reuses it once the batch
   * is done, and throws away one whose invocation timed out (its promise may still be running, as Lambda
   * would have killed it). A handler's response is read like Lambda reads it (an `SQSBatchResponse`, or
   * nothing).
   */
  readonly createHandler: () => LocalHandler<SQSEvent, unknown>;
  /** The invoked function's settings (name, timeout, memory, region) for its Lambda context and log lines. */
  readonly function: LocalFunctionSettings;
  /** @default resources.worker.batchSize */
  readonly batchSize?: number;
  /** @default resources.worker.maxBatchingWindowSeconds */
  readonly maxBatchingWindowSeconds?: number;
  /** Batches processed at once. @default resources.worker.maxConcurrency */
  readonly maxConcurrency?: number;
  /**
   * Visibility timeout requested on each receive, so tests can see failed records come back quickly.
   * @default undefined — the queue's own (resources.eventsQueue.visibilityTimeoutSeconds)
   */
  readonly visibilityTimeoutSeconds?: number;
  /**
   * Wait of each ReceiveMessage. Lambda's pollers long-poll for 20 s; locally a short wait is better:
   * local-aws-sqs holds a long poll for its whole wait (it does not return on the first message), and
   * `stop()` lets the current receive finish rather than abort it, since an aborted receive would strand
   * the messages it took until their visibility timeout.
   * @default 1
   */
  readonly waitTimeSeconds?: number;
  /** @default consoleLog */
  readonly log?: LocalLog;
}

export interface SqsPoller {
  /** Stops receiving and resolves once every batch in flight has been handled (drain). */
  stop(): Promise<void>;
}

/** Largest `MaxNumberOfMessages` SQS accepts in one ReceiveMessage. */
const maxMessagesPerReceive = 10;
/** Pause between short polls while a batching window is open. */
const batchingPollMs = 50;
/** Back-off after a failed ReceiveMessage (emulator restarting, queue missing). */
const receiveErrorBackoffMs = 1000;

/** The system attributes Lambda copies into `record.attributes`. */
const recordAttributeNames = [
  'ApproximateReceiveCount',
  'SentTimestamp',
  'SenderId',
  'ApproximateFirstReceiveTimestamp',
  'AWSTraceHeader',
  'SequenceNumber',
  'MessageGroupId',
  'MessageDeduplicationId',
  'DeadLetterQueueSourceArn',
] as const;

/** SQS's `MessageAttributeValue` in Lambda's lower-camel shape (binary values base64-encoded). */
const toLambdaMessageAttributes = (
  attributes: Record<string, MessageAttributeValue> = {},
): SQSMessageAttributes =>
  Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      {
        ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
        ...(value.BinaryValue === undefined
          ? {}
          : { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
        stringListValues: value.StringListValues ?? [],
        binaryListValues: (value.BinaryListValues ?? []).map((item) => Buffer.from(item).toString('base64')),
        dataType: value.DataType ?? 'String',
      },
    ]),
  );

/** One received message as Lambda puts it in `SQSEvent.Records`. */
export const toSqsRecord = (message: Message, queueArn: string, region: string): SQSRecord => {
  const attributes: Record<string, string> = {};
  for (const name of recordAttributeNames) {
    const value = message.Attributes?.[name];
    if (value !== undefined) attributes[name] = value;
  }
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: attributes as unknown as SQSRecordAttributes,
    messageAttributes: toLambdaMessageAttributes(message.MessageAttributes),
    ...(message.MD5OfMessageAttributes === undefined
      ? {}
      : { md5OfMessageAttributes: message.MD5OfMessageAttributes }),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
};

/**
 * The message ids a worker response marks as failed, or `'all'` when Lambda would fail the whole batch:
 * a missing or empty response is success; an identifier that is empty or not in the batch invalidates
 * the response.
 */
export const failedMessageIds = (
  response: unknown,
  batchIds: ReadonlySet<string>,
): ReadonlySet<string> | 'all' => {
  if (response === undefined || response === null) return new Set();
  if (typeof response !== 'object') return 'all';
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return 'all';
  const ids = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !batchIds.has(id)) return 'all';
    ids.add(id);
  }
  return ids;
};

/**
 * One record per message id, keeping the latest receipt handle. local-aws-sqs can return a message twice
 * in one response when its visibility timeout ends during the long poll; SQS never does that.
 */
const uniqueByMessageId = (messages: readonly Message[]): Message[] => [
  ...new Map(messages.map((message) => [message.MessageId, message])).values(),
];

/** Starts polling at once; call `stop()` to drain. */
export const startSqsPoller = (options: SqsPollerOptions): SqsPoller => {
  const { sqs, queueUrl, queueArn } = options;
  const log = options.log ?? consoleLog;
  // Its lines name the function it invokes: the worker's and the archive's pollers both log batches.
  const name = options.function.functionName;
  const batchSize = options.batchSize ?? resources.worker.batchSize;
  const windowMs = (options.maxBatchingWindowSeconds ?? resources.worker.maxBatchingWindowSeconds) * 1000;
  const maxConcurrency = options.maxConcurrency ?? resources.worker.maxConcurrency;
  const waitTimeSeconds = options.waitTimeSeconds ?? 1;
  const stopping = new AbortController();
  const inFlight = new Set<Promise<void>>();
  /** Environments not running an invocation: never more than `maxConcurrency` exist at once. */
  const idle: Array<LocalHandler<SQSEvent, unknown>> = [];

  const receive = async (maxMessages: number, waitSeconds: number): Promise<Message[]> => {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(maxMessages, maxMessagesPerReceive),
        WaitTimeSeconds: waitSeconds,
        VisibilityTimeout: options.visibilityTimeoutSeconds,
        MessageAttributeNames: ['All'],
        // Both names: SQS renamed AttributeNames, and local-aws-sqs only reads the old one.
        AttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    return Messages ?? [];
  };

  /** One long poll, then short polls until the batch is full or the batching window closes. */
  const collectBatch = async (): Promise<Message[]> => {
    const batch = await receive(batchSize, waitTimeSeconds);
    const deadline = Date.now() + windowMs;
    // Once stopping, the messages already received are still processed (drain), but no more are taken.
    while (
      batch.length > 0 &&
      batch.length < batchSize &&
      Date.now() < deadline &&
      !stopping.signal.aborted
    ) {
      const more = await receive(batchSize - batch.length, 0).catch((error: unknown) => {
        log.warn(`${name}: ReceiveMessage failed while filling a batch`, { error: String(error) });
        return undefined;
      });
      if (more === undefined) break;
      if (more.length > 0) batch.push(...more);
      else {
        const pauseMs = Math.min(batchingPollMs, deadline - Date.now());
        await sleep(pauseMs, undefined, { signal: stopping.signal }).catch(() => undefined);
      }
    }
    return uniqueByMessageId(batch);
  };

  const deleteMessages = async (messages: readonly Message[]): Promise<void> => {
    for (let start = 0; start < messages.length; start += maxMessagesPerReceive) {
      const chunk = messages.slice(start, start + maxMessagesPerReceive);
      const { Failed } = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
          })),
        }),
      );
      if (Failed?.length)
        log.warn(`${name}: some processed messages could not be deleted`, { count: Failed.length });
    }
  };

  const processBatch = async (batch: Message[]): Promise<void> => {
    const started = Date.now();
    const event: SQSEvent = {
      Records: batch.map((message) => toSqsRecord(message, queueArn, options.function.region)),
    };
    const batchIds = new Set(event.Records.map((record) => record.messageId));
    let failed: ReadonlySet<string> | 'all';
    const handler = idle.pop() ?? options.createHandler();
    try {
      failed = failedMessageIds(await invokeLocally(handler, event, options.function), batchIds);
      idle.push(handler);
    } catch (error) {
      // A timed-out environment is discarded (Lambda replaces it); one whose handler threw is reused.
      if (!(error instanceof LambdaTimeoutError)) idle.push(handler);
      log.error(`${name} invocation failed; the batch will be retried`, {
        records: batch.length,
        error: String(error),
      });
      return;
    }
    if (failed === 'all') {
      log.error(`${name} returned an invalid batchItemFailures; the batch will be retried`, {
        records: batch.length,
      });
      return;
    }
    await deleteMessages(batch.filter((message) => !failed.has(message.MessageId ?? '')));
    log.info(`${name} batch`, { records: batch.length, failed: failed.size, ms: Date.now() - started });
  };

  const poll = async (): Promise<void> => {
    while (!stopping.signal.aborted) {
      if (inFlight.size >= maxConcurrency) {
        // Receive only with a free slot: messages held while waiting would eat their visibility timeout.
        await Promise.race(inFlight);
        continue;
      }
      let batch: Message[];
      try {
        batch = await collectBatch();
      } catch (error) {
        if (stopping.signal.aborted) break;
        log.warn(`${name}: ReceiveMessage failed, retrying`, { error: String(error) });
        await sleep(receiveErrorBackoffMs, undefined, { signal: stopping.signal }).catch(() => undefined);
        continue;
      }
      if (batch.length === 0) continue;
      const work: Promise<void> = processBatch(batch)
        .catch((error: unknown) => log.error(`${name} batch failed`, { error: String(error) }))
        .finally(() => inFlight.delete(work));
      inFlight.add(work);
    }
  };

  const polling = poll();
  return {
    stop: async () => {
      stopping.abort();
      await polling;
      await Promise.allSettled([...inFlight]);
    },
  };
};
