/**
 * Archive Lambda: the worker's third job (the user's design: dedupe, ATS sync, media archival), deployed
 * with archive settings and its own queue so a long recording never delays ATS sync. Each SQS record is one
 * asset (`ArchiveTask`): stream it to S3 (`archive/`), record it in the manifest, and when the last asset of
 * its batch is archived, tell the worker (`archive.completed` on the events queue) so the ATS gets the
 * archive's location through the same path as any late part.
 *
 * Failures: transient ones (5xx, 429, timeouts, S3/DynamoDB hiccups) are retried by SQS, asset by asset; a
 * permanent one (a refused URL, a 404 that a fresh URL did not cure, a playlist that is not HLS) is parked
 * with its reason (`npm run ops -- parked failed`), sent to the archive DLQ and counted. Wiring only.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as v from 'valibot';
import { busyWaitSeconds } from './archive/busy-wait.js';
import { ArchiveTimeBudgetError, AssetBusyError, MediaUrlExpiredError } from './archive/errors.js';
import { archiveCompletedEvent, archiveTaskEvent } from './archive/events.js';
import { archiveMediaFile } from './archive/file-archiver.js';
import { archiveHlsRecording } from './archive/hls-archiver.js';
import { ArchiveManifest } from './archive/manifest.js';
import { createMediaSource, mediaPolicyFor, parseArchiveMediaHosts } from './archive/media-source.js';
import { createS3ArchiveStore } from './archive/s3-store.js';
import { freshAudioUrlOf } from './archive/tasks.js';
import type { ArchivedObject, ArchiveStore, ArchiveTask } from './archive/types.js';
import { VendorApiAuthError, VendorResourceNotFoundError } from './enrichment/errors.js';
import { Round0ApiClient } from './enrichment/round0-api.js';
import { vendorApiHttpOptions } from './enrichment/vendor-http.js';
import { ParkingLot } from './ledger/parking-lot.js';
import { dynamoDbClient, s3Client, sdkSendMessage, sqsClient } from './platform/clients.js';
import { optionalEnv, positiveIntEnv, requireEnv } from './platform/config.js';
import { envNames } from './platform/env.js';
import { errorNameOf, UrlRefusedError } from './platform/errors.js';
import { metrics as metricSpecs } from './platform/metric-names.js';
import { recordMetric } from './platform/metrics.js';
import { createLogger, createMetrics, loadTracing } from './platform/observability.js';
import { vendorApiSecretReaderFromEnv } from './platform/secrets.js';
import { urlPolicyRelaxationFromEnv } from './platform/url-guard.js';
import { sendToDeadLetterQueue } from './queue/dead-letter.js';
import { EventQueue, sqsSafeJson } from './queue/event-queue.js';
import { classifyFailure } from './sync/failures.js';
import { isVendorName, parseConfig, toVendorEventIssues } from './vendors/index.js';

const env = process.env;
const serviceName = 'interview-sync-archive';
// Before any client is created: tracing instruments the clients created after it.
const tracing = await loadTracing(serviceName);
const dynamodb = dynamoDbClient();
const s3 = s3Client();
const sqs = sqsClient();

const ledgerTable = requireEnv(env, envNames.ledgerTableName);
const bucket = requireEnv(env, envNames.bucketName);
const eventsQueueUrl = requireEnv(env, envNames.queueUrl);
const deadLetterQueueUrl = requireEnv(env, envNames.archiveDeadLetterQueueUrl);
// Where a task for an asset another task is archiving is sent again to wait (`deferUntil`); unset, it
// fails as transient and comes back after the visibility timeout.
const archiveQueueUrl = optionalEnv(env, envNames.archiveQueueUrl);
const region = optionalEnv(env, 'AWS_REGION') ?? 'us-east-1';
const round0ApiBaseUrl = optionalEnv(env, envNames.round0ApiBaseUrl);
const variants = optionalEnv(env, envNames.archiveVariants) === 'all' ? 'all' : 'highest';
const mediaHosts = parseArchiveMediaHosts(optionalEnv(env, envNames.archiveMediaHosts));
const relaxation = urlPolicyRelaxationFromEnv(env);
// 0 when unset: SQS's redrive moves a task that keeps failing, without a reason.
const archiveQueueMaxReceiveCount = positiveIntEnv(env, envNames.archiveQueueMaxReceiveCount, 0);

const archiveExpirationSeconds = positiveIntEnv(env, envNames.archiveExpirationSeconds, 0);
/**
 * Time an invocation keeps after its last manifest request may end, before Lambda's timeout (a twentieth
 * of a shorter one: the tests' seconds). The manifest's requests still run after the media deadline (the
 * 30 s margin, `invocationMarginMs`): the object's record, the lease's release, the batch's two writes.
 * Each could take about 18 s against a DynamoDB that is slow rather than down (3 attempts of 1 s connect
 * and 5 s request, clients.ts, and backoff), together far past the margin: Lambda killed the invocation
 * with no log line nor metric, and its task came back only after the queue's 90-minute visibility timeout.
 * Ended here instead (aborted: a transient failure, the task retried, or continued when its run archived
 * new objects), they leave 10 s for what follows: one SQS send (the completion's publish, a continuation
 * or a wait: SQS's own limits, 3 attempts of at most 3 s, end it within that), the log line and metrics,
 * and the batch's answer (milliseconds).
 */
const manifestReserveMs = 10_000;
/**
 * Epoch ms by which the current invocation's manifest requests must end, set as each invocation starts and
 * read by its requests through their async context: the manifest is shared by the container's invocations,
 * and the local runtime runs several at once in one process.
 */
const invocationScope = new AsyncLocalStorage<{ readonly manifestEndAt: number | undefined }>();
const manifestRequestsEndBy = (): number | undefined => invocationScope.getStore()?.manifestEndAt;
const manifest = new ArchiveManifest({
  client: dynamodb,
  tableName: ledgerTable,
  ...(archiveExpirationSeconds > 0 ? { expiresAfterSeconds: archiveExpirationSeconds } : {}),
  requestsEndBy: manifestRequestsEndBy,
});
// Its park on a last receive ends by the same time as the manifest's requests.
const parking = new ParkingLot({
  client: dynamodb,
  tableName: ledgerTable,
  requestsEndBy: manifestRequestsEndBy,
});
const events = new EventQueue({
  sendMessage: sdkSendMessage(sqs),
  // The archive publishes only `archive.completed`, a few KB of ids (each at most 255 characters), never an
  // event large enough for a claim check: its role may not write one (least privilege, checked by
  // test/infra/iam-grants.test.ts), so one asked for is refused here, plainly, not by S3's AccessDenied.
  putObject: async ({ key }) => {
    throw new Error(`the archive writes no claim check (${key}): archive.completed outgrew an SQS message`);
  },
  queueUrl: eventsQueueUrl,
  bucket,
});
// The vendor API secret alone: the archive fetches what vendors' answers point at, so it never holds the
// ATS credentials, the Slack URL or the pseudonym key (the integration secret).
const readVendorApiSecrets = vendorApiSecretReaderFromEnv(env);

/** The archive queue's message: checked before anything is fetched (a task is never trusted blindly). */
const taskSchema = v.looseObject({
  schemaVersion: v.literal(1),
  vendor: v.picklist(['round0', 'micro1']),
  interviewKey: v.pipe(v.string(), v.nonEmpty()),
  interviewId: v.pipe(v.string(), v.nonEmpty()),
  batchId: v.pipe(v.string(), v.nonEmpty()),
  batchAssets: v.array(v.string()),
  candidate: v.optional(v.pipe(v.string(), v.regex(/^email-hmac:[0-9a-f]{16}$/))),
  deferrals: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  continuations: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  asset: v.variant('kind', [
    v.looseObject({
      kind: v.literal('file'),
      name: v.string(),
      key: v.pipe(v.string(), v.startsWith('interviews/')),
      sourceUrl: v.string(),
      contentType: v.string(),
      refresh: v.optional(
        v.object({
          round0InterviewId: v.string(),
          questionId: v.string(),
          occurrence: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
        }),
      ),
    }),
    v.looseObject({
      kind: v.literal('hls'),
      name: v.string(),
      keyPrefix: v.pipe(v.string(), v.startsWith('interviews/'), v.endsWith('/')),
      sourceUrl: v.string(),
    }),
  ]),
});

type Round0AudioRefresh = NonNullable<Extract<ArchiveTask['asset'], { kind: 'file' }>['refresh']>;

/**
 * A fresh `audio_url` for one ROUND0 answer (its URLs expire 24 h after issue): the interview read again.
 * Without a ROUND0 API key the asset cannot be fetched at all: dead-lettered with that reason (not "the
 * vendor lists no fresh URL"), to be redriven once the key is in the vendor API secret. The call ends with
 * the invocation's media requests (`until`): a ROUND0 API that hangs fails this task (retried), not the
 * invocation's batch by Lambda's timeout. A key missing or refused is read again past this container's
 * 5-minute cache first: one set or rotated meanwhile (the old one revoked) is used at once, where the task
 * was dead-lettered.
 */
const freshRound0AudioUrl = async (
  key: string,
  refresh: Round0AudioRefresh,
  until: number | undefined,
): Promise<string | undefined> => {
  if (round0ApiBaseUrl === undefined) {
    throw new MediaUrlExpiredError(key, `no ROUND0 API to refresh it (${envNames.round0ApiBaseUrl} unset)`);
  }
  const baseUrl = round0ApiBaseUrl;
  const keyRead = async (fresh: boolean) =>
    (await readVendorApiSecrets(fresh ? { fresh } : undefined)).round0ApiKey || undefined;
  const apiKey = (await keyRead(false)) ?? (await keyRead(true));
  if (apiKey === undefined) {
    throw new MediaUrlExpiredError(
      key,
      'no ROUND0 API key to refresh it: store one in the vendor API secret (npm run ops -- setup ' +
        '--round0-api-key, which also moves a key left in the integration secret), then redrive',
    );
  }
  const interviewWith = (withKey: string) =>
    new Round0ApiClient({
      baseUrl,
      apiKey: withKey,
      urlPolicy: relaxation,
      http: vendorApiHttpOptions(() => until),
    }).getInterview(refresh.round0InterviewId);
  let interview: Awaited<ReturnType<Round0ApiClient['getInterview']>>;
  try {
    try {
      interview = await interviewWith(apiKey);
    } catch (error) {
      if (!(error instanceof VendorApiAuthError)) throw error;
      const rotated = await keyRead(true).catch(() => undefined);
      if (rotated === undefined || rotated === apiKey) throw error;
      interview = await interviewWith(rotated);
    }
  } catch (error) {
    if (error instanceof VendorResourceNotFoundError) return undefined;
    throw error;
  }
  // By the answer's occurrence, not the question's first answer: a retaken question's later answer would be
  // refreshed with the first one's audio.
  return freshAudioUrlOf(interview.responses, refresh);
};

/**
 * What an invocation keeps for itself after the last media request may end (at most a tenth of its time):
 * an upload in parts aborted, the failure logged and counted, the batch answered.
 */
const invocationMarginMs = 30_000;

/** How long an asset's lease lasts without an invocation's deadline (a local run without a context). */
const defaultLeaseMs = 15 * 60_000;

/** The asset's identity in the layout: a file's key, an HLS recording's key prefix. */
const assetKeyOf = (asset: ArchiveTask['asset']): string =>
  asset.kind === 'hls' ? asset.keyPrefix : asset.key;

/**
 * Times a task for a busy asset is sent back to wait before it archives regardless: 30 s, 1, 2, 4 and 8
 * minutes, then three of SQS's longest delay (15 minutes), about an hour in all, each cut short by the
 * holder's lease ending.
 */
const maxDeferrals = 8;

/**
 * Times a task cut short by its time is sent again to go on at once (without using up a receive): a
 * backstop, as each continuation must also have archived objects new to the manifest. A run streams for up
 * to 15 minutes, gigabytes at the archive's bandwidth; 50 runs (12.5 hours of copying) are far beyond any
 * interview's recording. Past them the task goes on by its receives, as after a failure, and is parked
 * with its reason on the last.
 */
const maxContinuations = 50;

/**
 * One task per asset at a time. Two tasks may carry the same recording (a micro1 report's batch and its
 * recording event's), and run at once they both downloaded and uploaded every object. The lease lasts until
 * this invocation's media requests end (`until`) and is given up when the task ends either way; a task that
 * finds it held fails with {@link AssetBusyError}, is sent again to wait (30 s, doubling with each wait,
 * never past the lease's end) and then finds everything archived (or resumes what the holder left), or
 * waits again. When it must not wait any longer (`regardless`: on its queue's last receive, or after
 * {@link maxDeferrals} waits) it still takes the lease if it is free, so a third task waits for it, and
 * archives without it otherwise: duplicate work is better than a dead letter.
 *
 * `owner` is unique to this attempt: two deliveries of one message at once (SQS delivers at least once) do
 * not share the lease. A crash: before the lease, nothing held; holding it, the lease ends at `expiresAt`
 * (the invocation's own end, long before SQS delivers the task again); after the release, nothing held.
 *
 * @param onShared called when the task archives while another holds the lease (`regardless` only).
 */
const withAssetLease = async <T>(
  task: ArchiveTask,
  owner: string,
  until: number | undefined,
  regardless: boolean,
  onShared: () => void,
  work: () => Promise<T>,
): Promise<T> => {
  const key = assetKeyOf(task.asset);
  const expiresAt = (until ?? Date.now() + defaultLeaseMs) + invocationMarginMs;
  const lease = () => manifest.lease(task.vendor, task.interviewKey, key, owner, expiresAt);
  let busyUntil = await lease();
  // Given up or expired between the two reads of `lease`: asked once more rather than sent to wait.
  if (busyUntil !== undefined && busyUntil <= Date.now()) busyUntil = await lease();
  if (busyUntil !== undefined) {
    if (!regardless) throw new AssetBusyError(key, busyUntil);
    onShared();
    return work();
  }
  try {
    return await work();
  } finally {
    // Best effort: a lease not given up ends by itself at `expiresAt`, and a failed release must not
    // hide how the task ended.
    await manifest.release(task.vendor, task.interviewKey, key, owner).catch(() => undefined);
  }
};

/**
 * Archives `task`'s asset and returns every object of it (those found archived too: a resume, a task for an
 * asset another task archived). Each object this run stores is pushed to `stored` as it is stored, so that
 * a run cut short still says what it stored; each key the manifest already recorded when this run asked is
 * added to `found` (a stored object under such a key replaced one, it covered nothing new).
 */
const archiveTask = async (
  task: ArchiveTask,
  until: number | undefined,
  stored: ArchivedObject[],
  found: Set<string>,
): Promise<readonly ArchivedObject[]> => {
  const s3Store = createS3ArchiveStore({
    s3,
    bucket,
    manifest,
    vendor: task.vendor,
    interviewKey: task.interviewKey,
    ...(until === undefined ? {} : { until }),
  });
  const store: ArchiveStore = {
    archived: async (key) => {
      const done = await s3Store.archived(key);
      if (done !== undefined) found.add(key);
      return done;
    },
    forget: (key) => s3Store.forget(key),
    put: async (key, body, meta) => {
      const object = await s3Store.put(key, body, meta);
      stored.push(object);
      return object;
    },
  };
  const source = createMediaSource({
    policy: mediaPolicyFor(task.vendor, mediaHosts, relaxation),
    ...(until === undefined ? {} : { until }),
  });
  const { asset } = task;
  if (asset.kind === 'hls') {
    return archiveHlsRecording({ asset, source, store, variants });
  }
  const refresh = asset.refresh;
  const object = await archiveMediaFile({
    asset,
    source,
    store,
    ...(refresh === undefined ? {} : { refreshUrl: () => freshRound0AudioUrl(asset.key, refresh, until) }),
  });
  return [object];
};

/** Builds an archive handler with its own logger, metrics and batch processor (see `createWorkerHandler`). */
export const createArchiveHandler = () => {
  const logger = createLogger(serviceName);
  const metrics = createMetrics(serviceName);

  /**
   * Sends `task` again to wait, with one more deferral counted: delayed 30 s after its first wait and twice as
   * long after each next, never past the lease's end `untilMs` (archive/busy-wait.ts). A new message rather than a longer visibility timeout: a wait must not use up one of the task's
   * receives (its queue dead-letters it after 5) nor count as a failed attempt. A crash after the send and
   * before this message is deleted leaves two tasks for the asset: the second finds it archived.
   */
  const deferUntil = async (
    queueUrl: string,
    record: SQSRecord,
    task: ArchiveTask,
    untilMs: number,
  ): Promise<void> => {
    // The body as the worker sent it (not the parsed task, which drops what the schema does not name)
    // with the count of waits.
    const sent = safeJson(record.body) as Record<string, unknown>;
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: sqsSafeJson({ ...sent, deferrals: (task.deferrals ?? 0) + 1 }),
        DelaySeconds: busyWaitSeconds(task.deferrals ?? 0, untilMs, Date.now()),
      }),
    );
  };

  /**
   * Sends the task's message again as it came but for its count of `continuations`, to be received at once.
   */
  const sendAgain = async (queueUrl: string, record: SQSRecord, continuations: number): Promise<void> => {
    // The body as the worker sent it (not the parsed task, which drops what the schema does not name).
    const sent = safeJson(record.body) as Record<string, unknown>;
    await sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: sqsSafeJson({ ...sent, continuations }) }),
    );
  };

  const processRecord = async (record: SQSRecord, context?: Context): Promise<void> => {
    // Media requests end before the invocation does: a task cut short by its time is retried (and resumes)
    // with a reason, not killed by Lambda's timeout.
    const remainingMs = context?.getRemainingTimeInMillis();
    const until =
      remainingMs === undefined
        ? undefined
        : Date.now() + remainingMs - Math.min(invocationMarginMs, Math.ceil(remainingMs / 10));
    // Issue messages that say what was expected, never the value received (valibot's default quotes it: a
    // hand-made task's e-mail would end up in the DLQ's failureReason, which `ops redrive` prints).
    const parsed = v.safeParse(taskSchema, safeJson(record.body), parseConfig);
    if (!parsed.success) {
      await sendToDeadLetterQueue(
        sqs,
        deadLetterQueueUrl,
        { body: record.body },
        {
          errorName: 'InvalidArchiveTask',
          reason: toVendorEventIssues(parsed.issues)
            .map(({ path, message }) => (path === '' ? message : `${path}: ${message}`))
            .join('; ')
            .slice(0, 300),
        },
      );
      // Logged once sent: a send that fails retries the task.
      logger.error('unreadable archive task dead-lettered', { messageId: record.messageId });
      // The vendor when the task names one it knows (a task is never trusted blindly), else `unknown`.
      recordMetric(metrics, metricSpecs.archiveFailed, 1, { vendor: vendorOfUnreadable(record.body) });
      return;
    }
    const task = parsed.output as ArchiveTask;
    // Ids only: never the URL (signed URLs carry credentials) nor anything about the candidate.
    const about = {
      vendor: task.vendor,
      interviewKey: task.interviewKey,
      batchId: task.batchId,
      asset: task.asset.name,
      messageId: record.messageId,
    };
    const receiveCount = Number(record.attributes.ApproximateReceiveCount);
    const lastReceive = archiveQueueMaxReceiveCount > 0 && receiveCount >= archiveQueueMaxReceiveCount;
    // What this run stored, however it ends: counted once each (a resume finds them archived, not stored).
    const stored: ArchivedObject[] = [];
    // The keys the manifest recorded before this run stored them (see `archiveTask`).
    const found = new Set<string>();
    try {
      const regardless = lastReceive || (task.deferrals ?? 0) >= maxDeferrals;
      const shared = () =>
        logger.info('archiving regardless while another task holds the asset', {
          ...about,
          receiveCount,
          deferrals: task.deferrals ?? 0,
        });
      const objects = await withAssetLease(task, randomUUID(), until, regardless, shared, () =>
        archiveTask(task, until, stored, found),
      );
      const batch = await manifest.markAssetDone(
        task.vendor,
        task.interviewKey,
        task.batchId,
        task.asset.name,
        task.batchAssets,
        task.candidate,
      );
      // Sent whenever the batch is complete, not only by the task that completed it: a send that failed is
      // repeated by the retry, and the worker dedupes the event by its batch.
      if (batch !== 'incomplete')
        await events.publish(archiveCompletedEvent(task, { bucket, region }, new Date()));
      logger.info('asset archived', { ...about, objects: objects.length, batch });
    } catch (error) {
      const disposition = classifyFailure(error);
      // Cut short by its time: a request not started (the budget) or one stopped at the deadline (a timeout).
      const timeSpent =
        error instanceof ArchiveTimeBudgetError ||
        (until !== undefined && Date.now() >= until && disposition.kind === 'transient');
      // Progress is what this run added to the manifest: objects stored under keys it did not record before.
      // An object stored again (its source URL differs from the recorded one: a playlist whose redirect lands
      // on another CDN host, or a token in the path, on every request) covers nothing new; counting it, every
      // run re-stored the same first segments and continued forever, never using up a receive.
      const covered = stored.filter((object) => !found.has(object.key)).length;
      const continuations = parsed.output.continuations ?? 0;
      const continues = timeSpent && stored.length > 0 && archiveQueueUrl !== undefined;
      if (continues && (covered === 0 || continuations >= maxContinuations)) {
        // Falls through to the retry below, which uses up a receive: on the last, parked with its reason.
        logger.warn('asset cut short by its time and not continued', {
          ...about,
          why: covered === 0 ? 'nothing new archived' : `${maxContinuations} continuations already`,
          stored: stored.length,
          continuations,
        });
      } else if (continues) {
        // Time spent, new objects archived (a long recording, a slow host): the task goes on in a new
        // message now, not after the 90-minute visibility timeout, and without using up one of its 5
        // receives, which are for failures. The continuations end: each adds keys to the manifest, of which
        // a recording has a bounded number, and at most `maxContinuations` are sent. A failed send is thrown
        // and the task retried as after any transient failure; a crash after the send leaves two tasks for
        // the asset: the second waits for the first's lease, then finds the objects archived.
        await sendAgain(archiveQueueUrl, record, continuations + 1).catch((sendError: unknown) => {
          logger.warn('could not send the rest of a task cut short by its time; it will be retried', {
            ...about,
            error: errorNameOf(sendError),
          });
          throw sendError;
        });
        logger.info('asset partly archived in the time of this invocation; the rest continues in a new one', {
          ...about,
          stored: stored.length,
          covered,
          continuations: continuations + 1,
        });
        return;
      }
      if (error instanceof AssetBusyError && archiveQueueUrl !== undefined) {
        // Waiting for another task, not failing: neither warned about nor counted as failing again. A failed
        // send is thrown, and the task retried as after any transient failure.
        await deferUntil(archiveQueueUrl, record, task, error.busyUntilMs).catch((sendError: unknown) => {
          logger.warn('could not send a task for a busy asset to wait; it will be retried', {
            ...about,
            error: errorNameOf(sendError),
          });
          throw sendError;
        });
        logger.info('asset being archived by another task; sent to wait until it ends', {
          ...about,
          deferrals: (task.deferrals ?? 0) + 1,
        });
        return;
      }
      const errorName = errorNameOf(error);
      if (disposition.kind === 'transient' && !lastReceive) {
        logger.warn('archive task will be retried', { ...about, error: errorName, receiveCount });
        // Failing again 90 minutes (a visibility timeout) or more after the first attempt: the queue's age
        // metric stops counting a task at its third receive, so it is counted here (alarms.ts).
        if (receiveCount >= 2) recordMetric(metrics, metricSpecs.archiveTaskFailingRepeatedly, 1);
        throw error;
      }
      // A transient failure on the last receive: SQS would move the task to the DLQ with no reason, nothing
      // parked and nothing counted.
      const reason =
        disposition.kind === 'transient'
          ? `gave up after ${receiveCount} attempts; the last failed with ${errorName}`
          : 'reason' in disposition
            ? disposition.reason
            : 'permanent failure';
      const parked = await parking
        .park('failed', archiveTaskEvent(task, new Date()), `archive ${task.asset.name}: ${reason}`)
        .then(() => true)
        .catch((parkError: unknown) => {
          // Before the last receive the park is retried with the task. On it, thrown, SQS would move the task
          // to the DLQ with no reason and nothing parked (a DynamoDB down fails the manifest and the park
          // alike): dead-lettered with its reason instead, as the worker does, for a redrive to bring home.
          if (!lastReceive) throw parkError;
          logger.error('could not park the archive task; dead-lettering it without its parked copy', {
            ...about,
            error: errorNameOf(parkError),
          });
          return false;
        });
      await sendToDeadLetterQueue(sqs, deadLetterQueueUrl, { body: record.body }, { errorName, reason });
      // Counted once the task is dead-lettered: a park or send that fails retries it, to be counted then.
      if (error instanceof UrlRefusedError) {
        recordMetric(metrics, metricSpecs.ssrfRefused, 1, { vendor: task.vendor });
      }
      recordMetric(metrics, metricSpecs.archiveFailed, 1, { vendor: task.vendor });
      logger.error('archive task failed permanently; dead-lettered', {
        ...about,
        error: errorName,
        reason,
        parked,
      });
    } finally {
      if (stored.length > 0) {
        const vendor = { vendor: task.vendor };
        recordMetric(metrics, metricSpecs.archiveObjects, stored.length, vendor);
        recordMetric(
          metrics,
          metricSpecs.archiveBytes,
          stored.reduce((sum, object) => sum + object.size, 0),
          vendor,
        );
      }
    }
  };

  const work = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    // After the media deadline (`until`: a tenth, at most 30 s, before the end), see `manifestReserveMs`.
    const remainingMs = context?.getRemainingTimeInMillis?.();
    const manifestEndAt =
      remainingMs === undefined
        ? undefined
        : Date.now() + remainingMs - Math.min(manifestReserveMs, Math.ceil(remainingMs / 20));
    return invocationScope.run({ manifestEndAt }, () =>
      processPartialResponse(event, processRecord, new BatchProcessor(EventType.SQS), {
        context,
        throwOnFullBatchFailure: false,
      }),
    );
  };

  return middy<SQSEvent, SQSBatchResponse>()
    .use(tracing)
    .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
    .use(logMetrics(metrics))
    .handler(work);
};

/** The `vendor` of a task that failed its schema, when it is one of ours (dimension values are enumerations). */
const vendorOfUnreadable = (body: string): string => {
  const vendor = (safeJson(body) as { vendor?: unknown } | null | undefined)?.vendor;
  return typeof vendor === 'string' && isVendorName(vendor) ? vendor : 'unknown';
};

const safeJson = (body: string): unknown => {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
};

export const handler = createArchiveHandler();
