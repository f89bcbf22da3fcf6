/**
 * The one description of interview-sync's queues, tables, bucket and function settings.
 *
 * Both the CDK app (`lib/`) and the local runtime (`local/`) read this object, so a setting changed here
 * changes the deployed stack and `npm start` alike. Physical names are used verbatim by the local
 * emulators; on AWS CloudFormation generates unique names (so several stages can live in one account)
 * and the functions receive them through environment variables.
 */

import { archiveRoot } from '../functions/archive/types.js';
import { defaultMaxBodyBytes } from '../functions/intake/accept-webhook.js';
import { rawEventsPrefix } from '../functions/queue/raw-events.js';

/** Seconds the worker Lambda may run for one batch. */
const workerTimeoutSeconds = 60;
/** How long the worker's event source mapping gathers a batch (seconds). */
const workerBatchingWindowSeconds = 1;

/**
 * Seconds the archive Lambda may run for one asset: Lambda's maximum, because a long recording is streamed
 * from the vendor to S3 in one invocation (an hour of 720p HLS is a few hundred MB).
 */
const archiveTimeoutSeconds = 900;

export const resources = {
  /**
   * CloudWatch namespace of the custom metrics of `npm start`; a deployed stage's is this plus `/<stage>`
   * ({@link metricsNamespaceOf}).
   */
  metricsNamespace: 'InterviewSync',
  /** SQS queue between the ingest and the worker Lambda. */
  eventsQueue: {
    name: 'interview-sync-events',
    /**
     * AWS's guidance for SQS event sources: visibility timeout ≥ 6 × the function timeout plus the batching
     * window, so a batch still being retried by the poller is not handed to a second worker.
     */
    visibilityTimeoutSeconds: 6 * workerTimeoutSeconds + workerBatchingWindowSeconds,
    /** 14 days: the SQS maximum, so a long ATS outage does not expire acknowledged events. */
    retentionSeconds: 14 * 24 * 3600,
    /**
     * Receives before a message is dead-lettered. High on purpose: transient ATS outages are retried
     * with the queue's visibility timeout as back-off (10 × 6 min ≈ 1 h) instead of dead-lettering.
     */
    maxReceiveCount: 10,
    /** Largest SQS message body; larger envelopes go to S3 (claim check). */
    maxMessageBytes: 256 * 1024,
  },
  /** Dead-letter queue for events the worker could not process. */
  deadLetterQueue: {
    name: 'interview-sync-events-dlq',
    retentionSeconds: 14 * 24 * 3600,
    /**
     * SQS's largest (1 MiB), not the events queue's 256 KiB: the worker dead-letters a message with its
     * body and attributes plus the failure's (`failureReason` up to 1 KiB, `failureErrorName`, `failedAt`),
     * so a message the ingest inlined at the limit would not fit a DLQ of the same size and would be retried
     * until SQS moved it after 10 receives, without its reason.
     */
    maxMessageBytes: 1024 * 1024,
  },
  /** The interview ledger: per-interview state, event dedupe and effects, and parked events (`pk`/`sk`). */
  ledgerTable: {
    name: 'interview-sync-ledger',
    partitionKey: 'pk',
    sortKey: 'sk',
    ttlAttribute: 'expiresAt',
  },
  /** SQS queue between the worker (one task per asset to archive) and the archive Lambda. */
  archiveQueue: {
    name: 'interview-sync-archive-tasks',
    /** AWS's guidance for SQS event sources: ≥ 6 × the function timeout (6 × 15 min = 90 min). */
    visibilityTimeoutSeconds: 6 * archiveTimeoutSeconds,
    /** 14 days, the SQS maximum: a vendor's media host may be down for a while. */
    retentionSeconds: 14 * 24 * 3600,
    /**
     * Receives before a task is dead-lettered. Lower than the events queue's: each retry waits out the
     * 90-minute visibility timeout, so 5 receives already span about 7.5 hours, and a task that failed that
     * often (a media host refusing, a recording that will not download) needs a person.
     */
    maxReceiveCount: 5,
  },
  /** Dead-letter queue of the archive: tasks that failed permanently or too often. */
  archiveDeadLetterQueue: {
    name: 'interview-sync-archive-tasks-dlq',
    retentionSeconds: 14 * 24 * 3600,
    /** SQS's largest, as the events DLQ's: a task is dead-lettered with the failure's attributes added. */
    maxMessageBytes: 1024 * 1024,
  },
  /**
   * Bucket for oversized events (claim checks, prefix `claim-checks/`), the raw event store (`raw/`) and
   * archived media (`interviews/`).
   */
  bucket: {
    name: 'interview-sync-archive',
    claimCheckPrefix: 'claim-checks/',
    /**
     * Every accepted delivery as received (functions/queue/raw-events.ts), written by the worker (the ingest
     * sends it along), read by `npm run ops -- replay`; expired after the stage's raw-event retention (a
     * lifecycle rule on the prefix).
     */
    rawEventsPrefix,
    /** Claim-check objects are only needed until the worker has processed the event. */
    claimCheckExpirationDays: 30,
    /**
     * Archived interview media (answer audio, recordings, reports) in the key layout of
     * `functions/archive/types.ts`; kept until deleted on purpose.
     */
    archivePrefix: archiveRoot,
  },
  ingest: {
    entry: 'functions/ingest.ts',
    /** Powertools `POWERTOOLS_SERVICE_NAME` of the ingest Lambda. */
    serviceName: 'interview-sync-ingest',
    memoryMb: 512,
    /**
     * The longest answer time (`answerWithinMs`, functions/intake/accept-webhook.ts: 8 s for ROUND0, 13 s for
     * micro1), by which its secret read and writes are given up, and 2 s for its own 503 + Retry-After
     * (test/unit/platform/ingest-limits.test.ts). In-region an invocation takes milliseconds. API Gateway
     * allows 30 s.
     */
    timeoutSeconds: 15,
    /** Largest webhook body accepted (bytes): 4 MiB, see `defaultMaxBodyBytes` for why. */
    maxBodyBytes: defaultMaxBodyBytes,
    /** Tolerance for ROUND0 signature timestamps (seconds). */
    signatureToleranceSeconds: 300,
    /** Steady-state request rate allowed per route by API Gateway. */
    throttleRatePerSecond: 100,
    throttleBurst: 200,
  },
  worker: {
    entry: 'functions/worker.ts',
    /** Powertools `POWERTOOLS_SERVICE_NAME` of the worker Lambda. */
    serviceName: 'interview-sync-worker',
    /**
     * The worker waits on DynamoDB, S3, the vendor API and the ATS far longer than it computes (about 7 ms of
     * CPU per event), and Lambda bills the waiting at the memory size: 512 MB halves the 1,024 MB bill for a
     * few more milliseconds of CPU per event. BENCHMARKS.md, "The worker's memory size", prices each size
     * from the bench's measurements.
     */
    memoryMb: 512,
    timeoutSeconds: workerTimeoutSeconds,
    batchSize: 10,
    maxBatchingWindowSeconds: workerBatchingWindowSeconds,
    /** Caps parallel workers so a backlog cannot exceed the ATS's rate limit (2 is the SQS minimum). */
    maxConcurrency: 5,
    /**
     * How long an interview's ledger item (its state, event dedupe and effect records) is kept after its
     * last write: longer than interviews, late reports and recordings, and the vendors' retry windows.
     */
    ledgerRetentionSeconds: 180 * 24 * 3600,
    /**
     * How long an attempt holds its claims on an event and its ATS writes: longer than the timeout (a live
     * worker never loses a claim) and shorter than the events queue's visibility timeout (a redelivery after
     * a crash finds the claims free).
     */
    claimLeaseSeconds: 2 * workerTimeoutSeconds,
    /**
     * How long an ATS write whose call got no answer (a timeout, a gateway's 502/504: the ATS may still be
     * making it) is left alone before another attempt looks for it and makes it again if absent: past the ATS
     * calls' own 10 s timeout, so a request the ATS was still working on has landed by then.
     */
    unansweredSettleSeconds: 30,
  },
  archive: {
    entry: 'functions/archive.ts',
    /** Powertools `POWERTOOLS_SERVICE_NAME` of the archive Lambda. */
    serviceName: 'interview-sync-archive',
    /**
     * Memory also buys CPU and network bandwidth in Lambda; 2 GB keeps SHA-256 hashing and a few 8 MB
     * multipart parts in flight well within the budget.
     */
    memoryMb: 2048,
    timeoutSeconds: archiveTimeoutSeconds,
    /** One asset per invocation: each asset succeeds, retries and dead-letters on its own. */
    batchSize: 1,
    /**
     * Parallel archive invocations, separate from the worker's: enough to drain an interview's assets
     * together, few enough not to hammer a vendor's media host (2 is the SQS minimum).
     */
    maxConcurrency: 4,
    /**
     * Default of `ARCHIVE_MEDIA_HOSTS` (stack prop `archiveMediaHosts`): the hosts each vendor's media URLs
     * may name, in the URL guard's syntax (`functions/platform/url-guard.ts`). micro1 serves recordings and
     * reports from its own subdomains. ROUND0 states no storage host in prose, but its own event docs' samples
     * serve `audio_url` from `storage.round0.io` (shared/seeds/round0-webhook-events.md): that host, and no
     * other. With none, every ROUND0 answer's audio would be refused and dead-lettered from the first
     * interview on; a host that turns out different is refused the same way (the archive DLQ alarm fires,
     * `npm run ops` lists it) until an operator names it (context `archiveMediaHosts`).
     */
    // micro1 serves reports and playlists from micro1.ai itself and players from its subdomains (its samples).
    mediaHosts: { micro1: ['micro1.ai', '*.micro1.ai'], round0: ['storage.round0.io'] },
    /**
     * Default of `ARCHIVE_VARIANTS`: of an HLS master playlist's variants, archive only the highest
     * bandwidth (`highest`) or every one (`all`).
     */
    variants: 'highest',
  },
} as const;

export type Resources = typeof resources;

/**
 * CloudWatch namespace of a deployed stage's custom metrics (Powertools `POWERTOOLS_METRICS_NAMESPACE`):
 * `InterviewSync/<stage>`. One per stage, as several stages may share an account: with one namespace, a
 * `dev` worker failing its events fired `prod`'s alarms and added to its graphs.
 */
export const metricsNamespaceOf = (stage: string): string => `${resources.metricsNamespace}/${stage}`;
