/**
 * The one description of interview-sync's queues, tables, bucket and function settings.
 *
 * Both the CDK app (`lib/`) and the local runtime (`local/`) read this object, so a setting changed here
 * changes the deployed stack and `npm start` alike. Physical names are used verbatim by the local
 * emulators; on AWS CloudFormation generates unique names (so several stages can live in one account)
 * and the functions receive them through environment variables.
 */

/** Seconds the worker Lambda may run for one batch. */
const workerTimeoutSeconds = 60;

export const resources = {
  /** CloudWatch namespace of every custom metric (Powertools `POWERTOOLS_METRICS_NAMESPACE`). */
  metricsNamespace: 'InterviewSync',
  /** SQS queue between the ingest and the worker Lambda. */
  eventsQueue: {
    name: 'interview-sync-events',
    /**
     * AWS's guidance for SQS event sources: visibility timeout ≥ 6 × the function timeout, so a batch
     * still being retried by the poller is not handed to a second worker.
     */
    visibilityTimeoutSeconds: 6 * workerTimeoutSeconds,
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
  },
  /** The interview ledger: per-interview state, event dedupe and effects, and parked events (`pk`/`sk`). */
  ledgerTable: {
    name: 'interview-sync-ledger',
    partitionKey: 'pk',
    sortKey: 'sk',
    ttlAttribute: 'expiresAt',
  },
  /** Bucket for oversized events (claim checks, prefix `claim-checks/`) and archived media. */
  bucket: {
    name: 'interview-sync-archive',
    claimCheckPrefix: 'claim-checks/',
    /** Claim-check objects are only needed until the worker has processed the event. */
    claimCheckExpirationDays: 30,
    /** Archived interview media (recordings, transcripts); kept until deleted on purpose. */
    recordingsPrefix: 'recordings/',
  },
  ingest: {
    entry: 'functions/ingest.ts',
    /** Powertools `POWERTOOLS_SERVICE_NAME` of the ingest Lambda. */
    serviceName: 'interview-sync-ingest',
    memoryMb: 512,
    timeoutSeconds: 10,
    /** Largest webhook body accepted (bytes). */
    maxBodyBytes: 5 * 1024 * 1024,
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
    memoryMb: 1024,
    timeoutSeconds: workerTimeoutSeconds,
    batchSize: 10,
    maxBatchingWindowSeconds: 1,
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
  },
} as const;

export type Resources = typeof resources;
