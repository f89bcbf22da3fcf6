/**
 * Worker Lambda: SQS batch → for each record, read the envelope (following claim checks), keep the raw
 * delivery that travelled with it in the raw event store, process it once
 * (the interview ledger dedupes it and records every ATS write) into ATS effects, and decide what a failure
 * means: retry (batch item failure), park (candidate not in the ATS) or dead-letter with the reason. A
 * vendor's test delivery is acknowledged at once, with no effect. Records are isolated by the Powertools
 * batch processor: one bad record never fails its batch-mates.
 * Wiring only; the rules live in `sync/`, `ledger/`, `ats/` and `enrichment/`.
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { ArchiveTask } from './archive/types.js';
import { AtsPermanentError, AtsTransientError, NotificationUncertainError } from './ats/errors.js';
import { createAtsAdapter } from './ats/index.js';
import { notifySlack } from './ats/slack.js';
import { enrichEvent, enrichWithoutApi } from './enrichment/enrich.js';
import { VendorApiAuthError } from './enrichment/errors.js';
import { Micro1ApiClient } from './enrichment/micro1-api.js';
import { Round0ApiClient } from './enrichment/round0-api.js';
import { vendorApiHttpOptions } from './enrichment/vendor-http.js';
import { EventInProgressError } from './ledger/errors.js';
import { InterviewLedger } from './ledger/interview-ledger.js';
import { ParkingLot } from './ledger/parking-lot.js';
import { deadlineOptions } from './ledger/request-deadline.js';
import { dynamoDbClient, sdkPutObject, smallObjectS3Client, sqsClient } from './platform/clients.js';
import { booleanEnv, optionalEnv, positiveIntEnv, requireEnv } from './platform/config.js';
import { envNames } from './platform/env.js';
import { ConfigurationError, errorNameOf } from './platform/errors.js';
import { metrics as metricSpecs } from './platform/metric-names.js';
import {
  atsWriteActionOf,
  isAtsWriteOutcome,
  recordMetric,
  type ServiceMetrics,
} from './platform/metrics.js';
import { createLogger, createMetrics, loadTracing } from './platform/observability.js';
import {
  integrationSecretReaderFromEnv,
  minFreshIntervalMs,
  vendorApiSecretReaderFromEnv,
} from './platform/secrets.js';
import type { IntegrationSecrets, VendorApiSecrets } from './platform/secrets-shape.js';
import { urlPolicyForBaseUrl, urlPolicyRelaxationFromEnv } from './platform/url-guard.js';
import { ArchiveTaskBatcher, sendArchiveTasks } from './queue/archive-queue.js';
import { sendToDeadLetterQueue } from './queue/dead-letter.js';
import { eventLabelAttributes, redrivenAtAttribute } from './queue/event-queue.js';
import { type QueuedEvent, readQueueMessage } from './queue/queue-message.js';
import { type RawEvent, RawEventStore, rawEventOf } from './queue/raw-events.js';
import { heldEventRetrySeconds, throttledRetrySeconds } from './queue/redelivery.js';
import type { CrashPoints } from './sync/apply.js';
import { EffectBusyError } from './sync/errors.js';
import { classifyFailure } from './sync/failures.js';
import { effectKeyForLog } from './sync/plan.js';
import { failedWriteOf, type SyncDeps, type SyncResult, syncInterviewEvent } from './sync/sync-event.js';
import type { InterviewEvent } from './vendors/envelope.js';

const env = process.env;
const serviceName = 'interview-sync-worker';
// Before any client is created: tracing instruments the clients created after it.
const tracing = await loadTracing(serviceName);
const dynamodb = dynamoDbClient();
const s3 = smallObjectS3Client();
const sqs = sqsClient();

const ledgerTable = requireEnv(env, envNames.ledgerTableName);
// The raw event store shares the claim-check bucket (its own prefix, expired by its own lifecycle rule).
const rawEvents = new RawEventStore({
  putObject: sdkPutObject(s3),
  bucket: requireEnv(env, envNames.bucketName),
});
const deadLetterQueueUrl = requireEnv(env, envNames.deadLetterQueueUrl);
const eventsQueueUrl = optionalEnv(env, envNames.queueUrl);
// 0 when unset: the queue's own visibility timeout is not known, and a held event waits it out.
const queueVisibilityTimeoutSeconds = positiveIntEnv(env, envNames.queueVisibilityTimeoutSeconds, 0);
// 0 when unset: SQS's redrive moves a message that keeps failing, without a reason.
const queueMaxReceiveCount = positiveIntEnv(env, envNames.queueMaxReceiveCount, 0);
// Instances that may call the ATS at once, each with its own limiter: each takes its part of the rate.
const atsRateShare = positiveIntEnv(env, envNames.atsRateShare, 1);
/**
 * From this receive on, a failing event is counted as `EventFailingRepeatedly`: SQS's
 * ApproximateAgeOfOldestMessage stops counting a message once it has been received three times, so the
 * backlog alarm cannot see an event that keeps failing (alarms.ts, events-failing-repeatedly).
 */
const failingRepeatedlyFromReceive = 3;
const archiveQueueUrl = optionalEnv(env, envNames.archiveQueueUrl);
const atsAdapterName = optionalEnv(env, envNames.atsAdapter) ?? 'log';
const atsConfig = (() => {
  try {
    return JSON.parse(optionalEnv(env, envNames.atsConfig) ?? '{}') as unknown;
  } catch (error) {
    throw new ConfigurationError(`${envNames.atsConfig} is not valid JSON`, { cause: error });
  }
})();
const round0ApiBaseUrl = optionalEnv(env, envNames.round0ApiBaseUrl);
const micro1ApiBaseUrl = optionalEnv(env, envNames.micro1ApiBaseUrl);
// Vendor API clients allow only their base URL's host, https, public addresses; `npm start` relaxes the last two.
const outboundRelaxation = urlPolicyRelaxationFromEnv(env);
const slackNotifications = booleanEnv(env, envNames.slackNotifications, false);
const completedStageId = optionalEnv(env, envNames.atsCompletedStageId);
const scoreFieldId = optionalEnv(env, envNames.atsScoreFieldId);
const syncOptions = {
  ...(completedStageId === undefined ? {} : { completedStageId }),
  ...(scoreFieldId === undefined ? {} : { scoreFieldId }),
  leaseMs: positiveIntEnv(env, envNames.claimLeaseSeconds, 120) * 1000,
  unansweredSettleMs: positiveIntEnv(env, envNames.unansweredSettleSeconds, 30) * 1000,
};

const readIntegrationSecrets = integrationSecretReaderFromEnv(env);
const readVendorApiSecrets = vendorApiSecretReaderFromEnv(env);

const ledger = new InterviewLedger({
  client: dynamodb,
  tableName: ledgerTable,
  retentionSeconds: positiveIntEnv(env, envNames.ledgerRetentionSeconds, 180 * 24 * 3600),
  requestsEndBy: () => ledgerRequestsEndBy(),
});
const parking = new ParkingLot({
  client: dynamodb,
  tableName: ledgerTable,
  requestsEndBy: () => ledgerRequestsEndBy(),
});

/**
 * The vendor APIs' calls within the worker's 60 s: each call ends by 15 s, retries included, and waits at
 * most 5 s for a Retry-After (a longer one is the queue's to wait). Past that the event is retried later
 * instead of the whole batch ending in a Lambda timeout.
 */
/**
 * Time the worker keeps after its ATS, vendor API and Slack calls, before its Lambda timeout: to record each
 * event's outcome in the ledger (DynamoDB attempts of at most 5 s, clients.ts) and answer the batch. Without
 * it, Retry-After waits and slow answers of an event's calls in turn (each within its own 20 s deadline) ran
 * the invocation into its timeout: every record of the batch back after the visibility timeout, a receive
 * spent, and a Slack message in flight left "uncertain". 10 s of the deployed 60 s.
 */
export const workerReserveMs = 10_000;
/**
 * Epoch ms by which the current invocation's outbound calls must end, set as each invocation starts and
 * read by its calls through their async context (the clients are shared by the container's invocations,
 * and the local runtime runs several at once in one process).
 */
const invocationScope = new AsyncLocalStorage<{
  readonly callsEndAt: number;
  /** Epoch ms by which the ledger's DynamoDB requests must have ended: the reserve's own deadline. */
  readonly ledgerEndAt: number;
  /** Epoch ms by which a dead letter's send and a redelivery's delay must have ended: just before the answer. */
  readonly queueEndAt: number;
  /** The invocation's archive tasks, sent together (queue/archive-queue.ts). */
  readonly archiveTasks?: ArchiveTaskBatcher;
}>();
const callsEndBy = (): number | undefined => invocationScope.getStore()?.callsEndAt;
const ledgerRequestsEndBy = (): number | undefined => invocationScope.getStore()?.ledgerEndAt;
const queueRequestsEndBy = (): number | undefined => invocationScope.getStore()?.queueEndAt;

/**
 * Time kept after the last SQS request of a record (its dead letter, its redelivery's delay) for the batch's
 * answer: an SQS that hangs there fails the record (retried, or moved by SQS's redrive on its last receive),
 * not the invocation by its timeout with every record of the batch, those dead-lettered already included.
 */
const queueReserveMs = 500;

/**
 * Time kept after the last ledger request for the batch's answer (the failed records' ids) and the metrics'
 * flush: a DynamoDB that hangs in the reserve fails its events there, not the invocation by its timeout.
 */
const answerReserveMs = 2_000;

const vendorApiHttp = vendorApiHttpOptions(callsEndBy);

/** Builds the credentialed dependencies; rebuilt only when either secret's content changes. */
const buildSyncDeps = (secrets: IntegrationSecrets, vendorApi: VendorApiSecrets): SyncDeps => {
  // A stage set up before the vendor API secret existed keeps its keys in the integration secret until
  // `npm run ops -- setup` moves them: read there meanwhile, so enrichment does not stop on an upgrade.
  const round0ApiKey = vendorApi.round0ApiKey || secrets.round0ApiKey;
  const micro1ApiKey = vendorApi.micro1ApiKey || secrets.micro1ApiKey;
  const round0 =
    round0ApiKey && round0ApiBaseUrl
      ? new Round0ApiClient({
          baseUrl: round0ApiBaseUrl,
          apiKey: round0ApiKey,
          urlPolicy: outboundRelaxation,
          http: vendorApiHttp,
        })
      : undefined;
  const micro1 =
    micro1ApiKey && micro1ApiBaseUrl
      ? new Micro1ApiClient({
          baseUrl: micro1ApiBaseUrl,
          apiKey: micro1ApiKey,
          urlPolicy: outboundRelaxation,
          http: vendorApiHttp,
        })
      : undefined;
  const slackUrl = slackNotifications ? secrets.slackWebhookUrl : undefined;
  return {
    ats: createAtsAdapter(atsAdapterName, atsConfig, secrets.ats, {
      ...(secrets.pseudonymKey === undefined ? {} : { pseudonymKey: secrets.pseudonymKey }),
      urlPolicy: outboundRelaxation,
      callsEndBy,
      rateShare: atsRateShare,
    }),
    ledger,
    ...(archiveQueueUrl === undefined
      ? {}
      : {
          archive: (tasks: readonly ArchiveTask[]) =>
            invocationScope.getStore()?.archiveTasks?.send(tasks) ??
            sendArchiveTasks(sqs, archiveQueueUrl, tasks),
        }),
    enrich: (event) => enrichEvent(event, { round0, micro1 }),
    notify:
      slackUrl === undefined
        ? undefined
        : (n) =>
            notifySlack(slackUrl, n, {
              urlPolicy: urlPolicyForBaseUrl(slackUrl, outboundRelaxation),
              endBy: callsEndBy,
            }),
    options: {
      ...syncOptions,
      ...(secrets.pseudonymKey === undefined ? {} : { pseudonymKey: secrets.pseudonymKey }),
    },
  };
};
interface BuiltDeps {
  /** The secrets the dependencies were built with, as compared (never logged). */
  readonly fingerprint: string;
  readonly deps: SyncDeps;
}
let built: BuiltDeps | undefined;
/** The dependencies for the secrets as read now (`fresh`: past the 5-minute cache, at most every 30 s). */
const syncDeps = async (read: { readonly fresh?: boolean } = {}): Promise<BuiltDeps> => {
  const [secrets, vendorApi] = await Promise.all([readIntegrationSecrets(read), readVendorApiSecrets(read)]);
  const fingerprint = JSON.stringify([secrets, vendorApi]);
  if (built?.fingerprint !== fingerprint) built = { fingerprint, deps: buildSyncDeps(secrets, vendorApi) };
  return built;
};

/**
 * Whether the ATS or a vendor API refused the credentials it was called with (401/403). (Slack is not
 * among them: its webhook URL is its credential, and a refused notification is recorded, never retried.)
 */
const refusedCredentials = (error: unknown): boolean =>
  error instanceof VendorApiAuthError ||
  (error instanceof AtsPermanentError && (error.reason === 'unauthorized' || error.reason === 'forbidden'));

/**
 * Whether the secrets, read again past the cache, hold other credentials than those `fingerprint` was built
 * with: a key rotated in Secrets Manager (and the old one revoked) that this container's 5-minute cache had
 * not seen. Such a refusal is the cache's, not the configuration's. A read that fails cannot tell
 * (`unknown`): the event is retried too, not dead-lettered for a refusal a new key may cure, but once the
 * secret can be read again (`minFreshIntervalMs`).
 */
const secretsChangedSince = async (fingerprint: string): Promise<'changed' | 'unchanged' | 'unknown'> => {
  try {
    return (await syncDeps({ fresh: true })).fingerprint === fingerprint ? 'unchanged' : 'changed';
  } catch {
    return 'unknown';
  }
};

/**
 * Seconds before an event refused with credentials the secret may no longer hold comes back: at once when it
 * holds others, after the reader will read it again when it could not (sooner, every receive would meet the
 * same unanswerable read and the last one dead-letter the event).
 */
const credentialRetryDelaySeconds = (secrets: 'changed' | 'unknown'): number =>
  secrets === 'changed' ? 1 : Math.ceil(minFreshIntervalMs / 1000) + 1;

/** `Retry-After` an ATS or vendor API asked for, anywhere in the error's cause chain. */
const retryAfterOf = (error: unknown): number | undefined => {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const seconds = (e as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    if (typeof seconds === 'number' && seconds > 0) return seconds;
  }
  return undefined;
};

/** When an attempt that met its event (or a write it waits for) held by another comes back (redelivery.ts). */
const heldRetrySeconds = (error: unknown, receiveCount: number): number | undefined =>
  error instanceof EventInProgressError || error instanceof EffectBusyError
    ? heldEventRetrySeconds(receiveCount, queueVisibilityTimeoutSeconds)
    : undefined;

/** The ATS (or Slack) whose call threw `error`, when it is an ATS error: `AtsWriteFailed`'s provider. */
const failedProviderOf = (error: unknown): string | undefined => {
  if (error instanceof AtsTransientError || error instanceof AtsPermanentError) return error.adapter;
  if (error instanceof NotificationUncertainError) return error.channel;
  return undefined;
};

/**
 * The metrics of a synced event's writes, from its result: one `AtsWrite` per write it made (the ones
 * another attempt holds, `held`, are that attempt's to count), by provider (the adapter, `slack` for
 * notifications), action and outcome; and `EndToEndLag`, from the vendor's event time to now, when the
 * event wrote a status or the note (what a recruiter sees). Skipped when the vendor gave no event time.
 */
const recordSyncMetrics = (
  metrics: ServiceMetrics<'interview-sync-worker'>,
  event: InterviewEvent,
  result: SyncResult,
  provider: string,
  nowMs: number,
  redrivenAt: string | undefined,
): void => {
  let wroteVisibly = false;
  for (const [key, outcome] of Object.entries(result.effects)) {
    if (!isAtsWriteOutcome(outcome)) continue;
    const action = atsWriteActionOf(key);
    recordMetric(metrics, metricSpecs.atsWrite, 1, {
      provider: action === 'notify' ? 'slack' : provider,
      action,
      outcome,
    });
    if (outcome === 'ran' && (action === 'status' || action === 'note')) wroteVisibly = true;
  }
  const sinceMs = lagStartMs(event, redrivenAt);
  if (wroteVisibly && Number.isFinite(sinceMs)) {
    // A vendor clock ahead of ours would give a negative lag: it counts as none.
    recordMetric(metrics, metricSpecs.endToEndLag, Math.max(0, nowMs - sinceMs), { vendor: event.vendor });
  }
};

/**
 * How long a vendor may take to deliver an event (its retries run about a day): an event time further back
 * than this before the event was received is not the event's (micro1's sample report carries a
 * `date_modified` years older than its report), and lag is counted from the receipt instead.
 */
const maxDeliveryDelayMs = 24 * 3600_000;

/**
 * Where an ATS write's end-to-end lag starts: an operator's redrive (`redrivenAt`, the message's attribute)
 * or replay, else the vendor's event time when it is one (see {@link maxDeliveryDelayMs}), else the
 * ingest's receipt.
 */
const lagStartMs = (event: InterviewEvent, redrivenAt: string | undefined): number => {
  const redrivenMs = redrivenAt === undefined ? Number.NaN : Date.parse(redrivenAt);
  if (Number.isFinite(redrivenMs)) return redrivenMs;
  if (event.replayedAt !== undefined) return Date.parse(event.replayedAt);
  const receivedMs = Date.parse(event.receivedAt);
  const occurredMs = event.occurredAt === undefined ? Number.NaN : Date.parse(event.occurredAt);
  if (!Number.isFinite(occurredMs)) return receivedMs;
  return Number.isFinite(receivedMs) && receivedMs - occurredMs > maxDeliveryDelayMs
    ? receivedMs
    : occurredMs;
};

/**
 * Each record of an invocation (the very object the batch processor hands over): its queued event, or why it
 * could not be read or kept.
 */
type ReadRecords = ReadonlyMap<SQSRecord, QueuedEvent | UnreadRecord>;

/** A record that could not be read, or whose raw delivery S3 did not take (then its event is known). */
interface UnreadRecord {
  readonly error: unknown;
  readonly event?: InterviewEvent;
}

/**
 * Reads every record of the invocation (following claim checks) and keeps their raw deliveries in the raw
 * event store, before any record is processed: every delivery that reached the worker is replayable
 * (a vendor's test delivery too, as received), whatever happens to it next. The deliveries of one day go
 * in one PUT (`RawEventStore.putAll`): a busy queue's batch of 10 costs one instead of ten. A record whose
 * message cannot be read, or whose delivery S3 did not take, carries its error to its own processing
 * (retried when transient: the message comes back and is stored again; nothing else was done).
 */
const readRecords = async (records: readonly SQSRecord[]): Promise<ReadRecords> => {
  const read = new Map<SQSRecord, QueuedEvent | UnreadRecord>();
  await Promise.all(
    records.map(async (record) => {
      try {
        read.set(record, await readQueueMessage(record.body, s3));
      } catch (error) {
        read.set(record, { error });
      }
    }),
  );
  const toKeep: Array<{ record: SQSRecord; event: InterviewEvent; raw: RawEvent }> = [];
  for (const record of records) {
    const queued = read.get(record);
    if (queued === undefined || 'error' in queued || queued.raw === undefined) continue;
    try {
      toKeep.push({ record, event: queued.event, raw: rawEventOf(queued.event, queued.raw) });
    } catch (error) {
      // This record fails alone: its batch-mates' deliveries are still kept, and they are processed.
      read.set(record, { error, event: queued.event });
    }
  }
  const kept = await rawEvents.putAll(toKeep.map(({ raw }) => raw));
  kept.forEach((outcome, index) => {
    const { record, event } = toKeep[index] as (typeof toKeep)[number];
    if (typeof outcome !== 'string') read.set(record, { error: outcome, event });
  });
  return read;
};

/** What a worker handler instance may be given besides its environment (the local runtime and tests). */
export interface WorkerHandlerOptions {
  /** Where tests kill the process mid-write; never set in deployed code. */
  readonly crashPoints?: CrashPoints;
}

/**
 * Builds a worker handler with its own logger, metrics and batch processor. Lambda runs one invocation at a
 * time per instance, and Powertools' logger keys, metrics buffer and batch processor are per-invocation
 * state: the local runtime, which runs several batches in one process, gets one handler per concurrent
 * "container" so that no two invocations ever share them. Clients, configuration and secrets are shared.
 */
export const createWorkerHandler = (options: WorkerHandlerOptions = {}) => {
  const logger = createLogger(serviceName);
  const metrics = createMetrics(serviceName);

  const deadLetter = async (record: SQSRecord, error: unknown, reason: string) => {
    // The ingest's labels stay on the dead letter: operators filter the DLQ by vendor, type or dedupe key.
    const labels = Object.fromEntries(
      eventLabelAttributes.flatMap((name) => {
        const value = record.messageAttributes?.[name]?.stringValue;
        return value === undefined ? [] : [[name, { DataType: 'String', StringValue: value }]];
      }),
    );
    await sendToDeadLetterQueue(
      sqs,
      deadLetterQueueUrl,
      { body: record.body, attributes: labels },
      { errorName: error instanceof Error ? error.name : 'Error', reason },
      deadlineOptions(queueRequestsEndBy),
    );
    recordMetric(metrics, metricSpecs.eventDeadLettered, 1);
  };

  /**
   * Makes the failed message visible again after `seconds` instead of after the queue's visibility timeout:
   * for a throttled event, after its `Retry-After` ({@link throttledRetrySeconds}); sooner for an event
   * another attempt holds ({@link heldRetrySeconds}).
   */
  const delayRedelivery = async (record: SQSRecord, seconds: number): Promise<void> => {
    if (eventsQueueUrl === undefined) return;
    try {
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: eventsQueueUrl,
          ReceiptHandle: record.receiptHandle,
          VisibilityTimeout: Math.min(Math.ceil(seconds), 12 * 3600),
        }),
        deadlineOptions(queueRequestsEndBy),
      );
    } catch (error) {
      // Best effort: without it the message still comes back after the queue's visibility timeout.
      logger.warn('could not delay the redelivery', { messageId: record.messageId, error: String(error) });
    }
  };

  /**
   * Parks `event` as failed before its dead letter. On the last receive a park that fails (DynamoDB down,
   * the invocation's ledger time spent) is logged, not thrown: the dead letter with its reason matters more
   * than the parked copy (redrive does without one), and thrown it left SQS to move the message without a
   * reason. Before the last receive it is thrown, and the next receive parks it.
   */
  const parkFailed = async (
    record: SQSRecord,
    event: InterviewEvent,
    reason: string,
    lastReceive: boolean,
  ): Promise<void> => {
    try {
      await parking.park('failed', event, reason);
    } catch (error) {
      if (!lastReceive) throw error;
      logger.error('could not park the event; dead-lettering it without its parked copy', {
        messageId: record.messageId,
        eventKey: event.dedupeKey,
        error: errorNameOf(error),
      });
    }
  };

  const processRecord = async (record: SQSRecord, read: ReadRecords): Promise<void> => {
    const receiveCount = Number(record.attributes.ApproximateReceiveCount);
    const lastReceive = queueMaxReceiveCount > 0 && receiveCount >= queueMaxReceiveCount;
    const queued = read.get(record);
    let event: InterviewEvent;
    try {
      if (queued === undefined) throw new Error('the record was not read with its batch');
      if ('error' in queued) throw queued.error;
      event = queued.event;
    } catch (error) {
      const disposition = classifyFailure(error);
      if (disposition.kind === 'transient' && lastReceive) {
        // S3 kept failing (the claim check's GET or the raw delivery's PUT) until the last receive: SQS
        // would move the message to the DLQ with no reason, and an event nothing parked. Nothing was done.
        const reason = `gave up after ${receiveCount} attempts; the last failed with ${errorNameOf(error)}`;
        const known = queued !== undefined && 'event' in queued ? queued.event : undefined;
        if (known?.test === true) {
          // A vendor's test delivery has nothing to do but be kept: not worth a DLQ alarm and a redrive.
          logger.warn('test delivery acknowledged without its raw delivery kept', {
            messageId: record.messageId,
            eventKey: known.dedupeKey,
            error: errorNameOf(error),
            reason,
          });
          return;
        }
        if (known !== undefined) await parkFailed(record, known, reason, true);
        await deadLetter(record, error, reason);
        logger.error('message kept failing before processing; dead-lettered', {
          messageId: record.messageId,
          ...(known === undefined ? {} : { eventKey: known.dedupeKey }),
          error: errorNameOf(error),
          reason,
        });
        return;
      }
      if (disposition.kind === 'transient') {
        // S3 could not give the claim check or keep the raw delivery: the message comes back, nothing done.
        recordMetric(metrics, metricSpecs.eventRetried, 1);
        if (receiveCount >= failingRepeatedlyFromReceive)
          recordMetric(metrics, metricSpecs.eventFailingRepeatedly, 1);
        logger.warn('message will be retried', {
          messageId: record.messageId,
          error: errorNameOf(error),
          receiveCount,
        });
        throw error;
      }
      await deadLetter(record, error, 'reason' in disposition ? disposition.reason : 'unreadable');
      // Logged once sent: a send that fails retries the message.
      logger.error('unreadable message dead-lettered', { messageId: record.messageId, error: String(error) });
      return;
    }
    // Ids only: the dedupe key is built from vendor ids, never from e-mails or names.
    const about = {
      eventKey: event.dedupeKey,
      vendor: event.vendor,
      eventType: event.type,
      messageId: record.messageId,
    };
    if (event.test) {
      // The vendor's "send test webhook": it was queued so that its 2xx kept the house promise, and it ends
      // here — fake ids the vendor's API does not know and no candidate to sync, so no ledger write, no
      // enrichment, no ATS write, no archive task, never parked.
      logger.info('test delivery acknowledged', about);
      return;
    }
    let builtWith: string | undefined;
    try {
      const { deps, fingerprint } = await syncDeps();
      builtWith = fingerprint;
      // Test deliveries never get here, so a vendor API that does not know a real event's interview points
      // at a key or base URL of another account or environment: synced from the webhook, counted and logged.
      // Counted once per event, by the attempt that processed it: an attempt that fails after enriching (the
      // ATS down) is retried and enriches again, and the alarm on these counts events, not attempts.
      const fellBack = { notFound: false, degraded: false };
      const enrich: SyncDeps['enrich'] = async (toEnrich) => {
        const enriched = await deps.enrich(toEnrich).catch(async (error: unknown) => {
          // The vendor's API kept failing until the last receive: what the webhook carries is synced where
          // it is enough (a micro1 report), rather than dead-lettered.
          const transient = lastReceive && classifyFailure(error).kind === 'transient';
          const fallback = transient ? await enrichWithoutApi(toEnrich, errorNameOf(error)) : undefined;
          if (fallback === undefined) throw error;
          return fallback;
        });
        if (enriched.apiNotFound === true) {
          fellBack.notFound = true;
          logger.warn("the vendor's API does not know the interview; synced from the webhook's data", about);
        }
        if (
          enriched.apiFailure === 'VendorApiAuthError' &&
          !lastReceive &&
          (await secretsChangedSince(fingerprint)) !== 'unchanged'
        ) {
          // micro1's API refused a key the secret no longer holds: synced now, from the webhook alone, the
          // parts only the API has would never reach the note. Retried with the new key instead (below).
          throw new VendorApiAuthError(toEnrich.vendor, 401);
        }
        if (enriched.apiFailure !== undefined) {
          // The webhook carried the report; the API only adds parts it lacked. The error's class only.
          fellBack.degraded = true;
          logger.warn("the vendor's API failed; synced from the webhook's data", {
            ...about,
            error: enriched.apiFailure,
          });
        }
        return enriched;
      };
      const result = await syncInterviewEvent(event, {
        ...deps,
        enrich,
        ...(options.crashPoints === undefined ? {} : { crashPoints: options.crashPoints }),
      });
      if (fellBack.notFound)
        recordMetric(metrics, metricSpecs.enrichmentNotFound, 1, { vendor: event.vendor });
      if (fellBack.degraded)
        recordMetric(metrics, metricSpecs.enrichmentDegraded, 1, { vendor: event.vendor });
      if (result.outcome === 'duplicate') {
        recordMetric(metrics, metricSpecs.duplicateEvent, 1, { vendor: event.vendor });
        logger.info('duplicate event acknowledged', about);
        return;
      }
      if (result.outcome === 'ignored') recordMetric(metrics, metricSpecs.eventIgnored, 1);
      else {
        recordMetric(metrics, metricSpecs.eventSynced, 1, {
          vendor: event.vendor,
          // An unknown type is the vendor's free text, never a dimension value (it is ignored anyway).
          eventType: event.known ? event.type : 'unknown',
        });
        const redrivenAt = record.messageAttributes?.[redrivenAtAttribute]?.stringValue;
        recordSyncMetrics(metrics, event, result, deps.ats.name, Date.now(), redrivenAt);
      }
      logger.info('event processed', {
        ...about,
        outcome: result.outcome,
        reason: result.reason,
        interviewKey: result.interviewKey,
        status: result.status,
        advanced: result.advanced,
        stale: result.stale,
        // Keys name what was written; the scores some carry stay out of the logs.
        effects: Object.fromEntries(
          Object.entries(result.effects).map(([key, outcome]) => [effectKeyForLog(key), outcome]),
        ),
      });
    } catch (error) {
      const disposition = classifyFailure(error);
      const errorName = errorNameOf(error);
      const failedProvider = failedProviderOf(error);
      if (failedProvider !== undefined) {
        recordMetric(metrics, metricSpecs.atsWriteFailed, 1, { provider: failedProvider });
        // Counted among the calls too: the failure rate divides by calls tried, and with an ATS that is down
        // or refuses the credentials every event fails at its first call, so nothing else would count.
        const failedWrite = failedWriteOf(error);
        recordMetric(metrics, metricSpecs.atsWrite, 1, {
          provider: failedProvider,
          action: failedWrite === undefined ? 'lookup' : atsWriteActionOf(failedWrite),
          outcome: 'failed',
        });
      }
      const secrets =
        disposition.kind === 'permanent' &&
        !lastReceive &&
        builtWith !== undefined &&
        refusedCredentials(error)
          ? await secretsChangedSince(builtWith)
          : 'unchanged';
      if (secrets !== 'unchanged') {
        // Refused with credentials the secret no longer holds: retried at once with the new ones, where it
        // was dead-lettered (every event of the 5 minutes after a rotation, each to be redriven by hand). A
        // refusal of the new ones is dead-lettered as before.
        recordMetric(metrics, metricSpecs.eventRetried, 1);
        logger.warn(
          'credentials refused, and the secret has changed since they were read (or cannot be read now): retried',
          {
            ...about,
            error: errorName,
          },
        );
        await delayRedelivery(record, credentialRetryDelaySeconds(secrets));
        throw error;
      }
      switch (disposition.kind) {
        case 'transient': {
          if (lastReceive) {
            // The last receive: SQS would move the message to the DLQ with no reason and nothing parked.
            const reason = `gave up after ${receiveCount} attempts; the last failed with ${errorName}`;
            await parkFailed(record, event, reason, true);
            await deadLetter(record, error, reason);
            logger.error('event kept failing; dead-lettered', { ...about, error: errorName, reason });
            return;
          }
          recordMetric(metrics, metricSpecs.eventRetried, 1);
          const retryAfterSeconds = retryAfterOf(error);
          logger.warn('event will be retried', {
            ...about,
            error: errorName,
            receiveCount,
            retryAfterSeconds,
          });
          const sooner = heldRetrySeconds(error, receiveCount);
          // Held by another attempt is waiting, not failing.
          if (sooner === undefined && receiveCount >= failingRepeatedlyFromReceive)
            recordMetric(metrics, metricSpecs.eventFailingRepeatedly, 1);
          if (retryAfterSeconds !== undefined) {
            await delayRedelivery(
              record,
              throttledRetrySeconds(retryAfterSeconds, receiveCount, queueVisibilityTimeoutSeconds),
            );
          } else if (sooner !== undefined) await delayRedelivery(record, sooner);
          throw error;
        }
        case 'unmatched':
          try {
            await parking.park('unmatched', event, disposition.reason);
          } catch (parkError) {
            // Before the last receive the park is retried with the event. On it, thrown, SQS would move the
            // message to the DLQ without a reason and with nothing parked: dead-lettered with both instead
            // (a redrive brings it back to be matched or parked).
            if (!lastReceive) throw parkError;
            const reason = `${disposition.reason}; could not park it for replay (${errorNameOf(parkError)})`;
            await deadLetter(record, error, reason);
            logger.error('candidate not found in the ATS and the event could not be parked; dead-lettered', {
              ...about,
              error: errorNameOf(parkError),
              reason,
            });
            return;
          }
          recordMetric(metrics, metricSpecs.candidateUnmatched, 1, { vendor: event.vendor });
          logger.warn('candidate not found in the ATS; event parked for replay', {
            ...about,
            reason: disposition.reason,
          });
          return;
        case 'permanent':
          await parkFailed(record, event, disposition.reason, lastReceive);
          await deadLetter(record, error, disposition.reason);
          logger.error('event failed permanently; dead-lettered', {
            ...about,
            error: errorName,
            reason: disposition.reason,
          });
          return;
      }
    }
  };

  // A processor per invocation: its record list and failures are that invocation's alone.
  const work = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const remainingMs = context.getRemainingTimeInMillis();
    // A sixth of a shorter timeout (the local runtime's tests run the worker with 2 s).
    const callsEndAt = Date.now() + remainingMs - Math.min(workerReserveMs, remainingMs / 6);
    const archiveTasks =
      archiveQueueUrl === undefined
        ? undefined
        : new ArchiveTaskBatcher(sqs, archiveQueueUrl, event.Records.length);
    // A twelfth of a shorter timeout (the local runtime's tests run the worker with 2 s).
    const ledgerEndAt = Date.now() + remainingMs - Math.min(answerReserveMs, remainingMs / 12);
    const queueEndAt = Date.now() + remainingMs - Math.min(queueReserveMs, remainingMs / 48);
    return invocationScope.run(
      { callsEndAt, ledgerEndAt, queueEndAt, ...(archiveTasks === undefined ? {} : { archiveTasks }) },
      async () => {
        const read = await readRecords(event.Records);
        return processPartialResponse(
          event,
          async (record: SQSRecord) => {
            try {
              await processRecord(record, read);
            } finally {
              archiveTasks?.finished();
            }
          },
          new BatchProcessor(EventType.SQS),
          { context, throwOnFullBatchFailure: false },
        );
      },
    );
  };

  return middy<SQSEvent, SQSBatchResponse>()
    .use(tracing)
    .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
    .use(logMetrics(metrics))
    .handler(work);
};

export const handler = createWorkerHandler();
