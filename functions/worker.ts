/**
 * Worker Lambda: SQS batch → for each record, read the envelope (following claim checks), process it once
 * (Powertools Idempotency on the dedupe key) into ATS effects, and decide what a failure means: retry
 * (batch item failure), park (candidate not in the ATS) or dead-letter with the reason. Records are
 * isolated by the Powertools batch processor: one bad record never fails its batch-mates.
 * Wiring only; the rules live in `sync/`, `ledger/`, `ats/` and `enrichment/`.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createAtsAdapter } from './ats/index.js';
import { notifySlack } from './ats/slack.js';
import { enrichEvent } from './enrichment/enrich.js';
import { Micro1ApiClient } from './enrichment/micro1-api.js';
import { Round0ApiClient } from './enrichment/round0-api.js';
import { EffectsLedger } from './ledger/effects-ledger.js';
import { createEventDeduper } from './ledger/event-dedupe.js';
import { InterviewStateStore } from './ledger/interview-state.js';
import { ParkingLot } from './ledger/parking-lot.js';
import { AtsStatusSync } from './ledger/status-sync.js';
import { dynamoDbClient, instrumentClients, s3Client, sqsClient } from './platform/clients.js';
import { booleanEnv, optionalEnv, positiveIntEnv, requireEnv } from './platform/config.js';
import { envNames } from './platform/env.js';
import { ConfigurationError } from './platform/errors.js';
import { createLogger, createMetrics, createTracer } from './platform/observability.js';
import { createSecretReader } from './platform/secrets.js';
import { type IntegrationSecrets, integrationSecretsSchema } from './platform/secrets-shape.js';
import { sendToDeadLetterQueue } from './queue/dead-letter.js';
import { readQueueMessage } from './queue/event-queue.js';
import { classifyFailure } from './sync/failures.js';
import { type SyncDeps, syncInterviewEvent } from './sync/sync-event.js';
import type { InterviewEvent } from './vendors/envelope.js';

const env = process.env;
const logger = createLogger('interview-sync-worker');
const metrics = createMetrics('interview-sync-worker');
const tracer = createTracer('interview-sync-worker');
instrumentClients((client) => tracer.captureAWSv3Client(client));
const dynamodb = dynamoDbClient();
const s3 = s3Client();
const sqs = sqsClient();

const ledgerTable = requireEnv(env, envNames.ledgerTableName);
const deadLetterQueueUrl = requireEnv(env, envNames.deadLetterQueueUrl);
const eventsQueueUrl = optionalEnv(env, envNames.queueUrl);
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
const slackNotifications = booleanEnv(env, envNames.slackNotifications, false);
const syncOptions = {
  completedStageId: optionalEnv(env, envNames.atsCompletedStageId),
  scoreFieldId: optionalEnv(env, envNames.atsScoreFieldId),
};

const readIntegrationSecrets = createSecretReader({
  arn: optionalEnv(env, envNames.integrationSecretsArn),
  localFile: optionalEnv(env, envNames.localSecretsFile),
  section: 'integration',
  schema: integrationSecretsSchema,
  maxAgeSeconds: positiveIntEnv(env, envNames.secretsCacheSeconds, 300),
});

const deduper = createEventDeduper({
  client: dynamodb,
  tableName: requireEnv(env, envNames.idempotencyTableName),
  retentionSeconds: positiveIntEnv(env, envNames.dedupeRetentionSeconds, 7 * 24 * 3600),
});
const effects = new EffectsLedger({ client: dynamodb, tableName: ledgerTable });
const states = new InterviewStateStore({ client: dynamodb, tableName: ledgerTable });
const statusSync = new AtsStatusSync({ client: dynamodb, tableName: ledgerTable });
const parking = new ParkingLot({ client: dynamodb, tableName: ledgerTable });

/** Builds the credentialed dependencies; rebuilt only when the integration secret's content changes. */
const buildSyncDeps = (secrets: IntegrationSecrets): SyncDeps => {
  const round0 =
    secrets.round0ApiKey && round0ApiBaseUrl
      ? new Round0ApiClient({ baseUrl: round0ApiBaseUrl, apiKey: secrets.round0ApiKey })
      : undefined;
  const micro1 =
    secrets.micro1ApiKey && micro1ApiBaseUrl
      ? new Micro1ApiClient({ baseUrl: micro1ApiBaseUrl, apiKey: secrets.micro1ApiKey })
      : undefined;
  const slackUrl = slackNotifications ? secrets.slackWebhookUrl : undefined;
  return {
    ats: createAtsAdapter(atsAdapterName, atsConfig, secrets.ats),
    effects,
    states,
    statusSync,
    enrich: (event) => enrichEvent(event, { round0, micro1 }),
    notify: slackUrl === undefined ? undefined : (n) => notifySlack(slackUrl, n),
    options: syncOptions,
  };
};
let built: { fingerprint: string; deps: SyncDeps } | undefined;
const syncDeps = async (): Promise<SyncDeps> => {
  const secrets = await readIntegrationSecrets();
  const fingerprint = JSON.stringify(secrets);
  if (built?.fingerprint !== fingerprint) built = { fingerprint, deps: buildSyncDeps(secrets) };
  return built.deps;
};

const processEvent = deduper.processOnce(async (event: InterviewEvent) =>
  syncInterviewEvent(event, await syncDeps()),
);

const deadLetter = async (record: SQSRecord, error: unknown, reason: string) => {
  await sendToDeadLetterQueue(
    sqs,
    deadLetterQueueUrl,
    { body: record.body },
    { errorName: error instanceof Error ? error.name : 'Error', reason },
  );
  metrics.addMetric('EventDeadLettered', MetricUnit.Count, 1);
};

/** `Retry-After` an ATS or vendor API asked for, anywhere in the error's cause chain. */
const retryAfterOf = (error: unknown): number | undefined => {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const seconds = (e as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    if (typeof seconds === 'number' && seconds > 0) return seconds;
  }
  return undefined;
};

/**
 * Honours a `Retry-After` longer than the HTTP client waits in-process: the failed message becomes
 * visible again only then (capped at SQS's 12 h maximum), instead of after the queue's visibility timeout.
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
    );
  } catch (error) {
    // Best effort: without it the message still comes back after the queue's visibility timeout.
    logger.warn('could not delay the redelivery', { messageId: record.messageId, error: String(error) });
  }
};

const processRecord = async (record: SQSRecord): Promise<void> => {
  const receiveCount = Number(record.attributes.ApproximateReceiveCount);
  let event: InterviewEvent;
  try {
    event = await readQueueMessage(record.body, s3);
  } catch (error) {
    const disposition = classifyFailure(error);
    if (disposition.kind === 'transient') throw error;
    logger.error('unreadable message dead-lettered', { messageId: record.messageId, error: String(error) });
    await deadLetter(record, error, 'reason' in disposition ? disposition.reason : 'unreadable');
    return;
  }
  // Ids only: the dedupe key is built from vendor ids, never from e-mails or names.
  const about = {
    eventKey: event.dedupeKey,
    vendor: event.vendor,
    eventType: event.type,
    messageId: record.messageId,
  };
  try {
    const { result, duplicate } = await processEvent(event);
    if (duplicate) {
      metrics.addMetric('DuplicateEvent', MetricUnit.Count, 1);
      logger.info('duplicate event acknowledged', about);
      return;
    }
    metrics.addMetric(result.outcome === 'ignored' ? 'EventIgnored' : 'EventSynced', MetricUnit.Count, 1);
    logger.info('event processed', {
      ...about,
      outcome: result.outcome,
      reason: result.reason,
      status: result.status,
      advanced: result.advanced,
      stale: result.stale,
      effects: result.effects,
    });
  } catch (error) {
    const disposition = classifyFailure(error);
    const errorName = error instanceof Error ? error.name : typeof error;
    switch (disposition.kind) {
      case 'transient': {
        metrics.addMetric('EventRetried', MetricUnit.Count, 1);
        const retryAfterSeconds = retryAfterOf(error);
        logger.warn('event will be retried', { ...about, error: errorName, receiveCount, retryAfterSeconds });
        if (retryAfterSeconds !== undefined) await delayRedelivery(record, retryAfterSeconds);
        throw error;
      }
      case 'unmatched':
        await parking.park('unmatched', event, disposition.reason);
        metrics.addMetric('CandidateUnmatched', MetricUnit.Count, 1);
        logger.warn('candidate not found in the ATS; event parked for replay', {
          ...about,
          reason: disposition.reason,
        });
        return;
      case 'permanent':
        await parking.park('failed', event, disposition.reason);
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

const processor = new BatchProcessor(EventType.SQS);

const work = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  deduper.registerLambdaContext(context);
  return processPartialResponse(event, processRecord, processor, { context, throwOnFullBatchFailure: false });
};

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(work);
