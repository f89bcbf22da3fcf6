/**
 * What each Lambda's role may do: one table per function, one row per resource, the actions listed
 * explicitly. Every action is one the function's code (or its SQS event source) sends; the comment on a row
 * names the code that sends it. CDK's `grant*` helpers are not used for these resources: `grantReadWriteData`,
 * `grantSendMessages`, `grantConsumeMessages` and `grantRead` add actions no code here calls (Scan,
 * BatchWriteItem, GetQueueUrl, DescribeSecret, …).
 *
 * When a function starts (or stops) calling an API, change its row here and the expected table in
 * `test/infra/least-privilege.test.ts`; the test fails on any grant not written out in both places.
 *
 * Not listed here, because they are not the code's choice: writing its own log group's streams
 * (`logs:CreateLogStream`, `logs:PutLogEvents`, added by `ServiceFunction` in place of the AWS-managed
 * `AWSLambdaBasicExecutionRole`, which reaches every log group) and X-Ray's `PutTraceSegments`/
 * `PutTelemetryRecords`, which CDK adds for active tracing (a stage with `tracing: false` has neither the
 * tracing nor these two actions).
 * No KMS action is needed: the queues use SQS-managed keys, the bucket SSE-S3, the tables AWS-owned keys
 * and the secrets the account's `aws/secretsmanager` key, whose policy lets Secrets Manager decrypt on the
 * caller's behalf.
 */
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';

/** Resource name → the IAM actions granted on it. */
export type GrantsTable = Readonly<Record<string, readonly string[]>>;

/** Where one row of a {@link GrantsTable} applies. */
export interface GrantTarget {
  readonly resourceArns: readonly string[];
  /**
   * IAM conditions of the statement.
   * @default - none
   */
  readonly conditions?: Readonly<Record<string, Record<string, unknown>>>;
}

/**
 * The ingest Lambda (functions/ingest.ts). It faces the internet: it can enqueue what it received (and store
 * an envelope too large for SQS as a claim check), and read nothing but its own secret. It cannot write the
 * raw event store: the worker keeps the raw deliveries.
 */
export const ingestGrants = {
  /** `EventQueue.publish` (functions/queue/event-queue.ts). */
  eventsQueue: ['sqs:SendMessage'],
  /** Claim checks of envelopes above the SQS limit, under `claim-checks/` (`EventQueue.#storeClaimCheck`). */
  claimCheckObjects: ['s3:PutObject'],
  /** Powertools Parameters `getSecret` (functions/platform/secrets.ts). */
  webhookSecret: ['secretsmanager:GetSecretValue'],
} as const satisfies GrantsTable;

/**
 * A ledger grant's condition: only items whose partition key starts with one of `prefixes`
 * (functions/ledger/partitions.ts). Every call the functions make names its key, so each has leading keys.
 */
export const leadingKeysCondition = (
  prefixes: readonly string[],
): Readonly<Record<string, Record<string, unknown>>> => ({
  'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes.map((prefix) => `${prefix}*`) },
});

/** The worker Lambda (functions/worker.ts). */
export const workerGrants = {
  eventsQueue: [
    // What Lambda's SQS event source mapping calls with the function's role (the actions of the
    // AWS-managed AWSLambdaSQSQueueExecutionRole policy).
    'sqs:ReceiveMessage',
    'sqs:DeleteMessage',
    'sqs:GetQueueAttributes',
    // `delayRedelivery` honours a long `Retry-After` (functions/worker.ts).
    'sqs:ChangeMessageVisibility',
  ],
  /** `sendToDeadLetterQueue` (functions/queue/dead-letter.ts). */
  deadLetterQueue: ['sqs:SendMessage'],
  /**
   * `InterviewLedger` (read, commit, settle, close; functions/ledger/): it never puts a whole item, so an
   * interview's state (what makes ATS writes exactly once) is only ever changed by conditional updates.
   */
  interviewState: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
  /**
   * `ParkingLot.park`. The Get, Query and Delete of `ParkingLot.get`/`list`/`remove` run in `npm run ops`
   * with the operator's credentials, not in the worker.
   */
  parkingLot: ['dynamodb:PutItem'],
  /** `readQueueMessage` follows a claim check (functions/queue/queue-message.ts). */
  claimCheckObjects: ['s3:GetObject'],
  /**
   * No code lists the bucket, but `readQueueMessage` tells a missing claim check (`NoSuchKey`: dead-letter
   * now, with the reason) from an S3 outage (retry). S3 answers a GET of a missing key with 404 only to a
   * caller allowed `s3:ListBucket`, else with 403 AccessDenied, which would be retried for an hour and
   * dead-lettered without a reason. Granted on the claim-check prefix only (see the Worker construct).
   */
  claimCheckListing: ['s3:ListBucket'],
  /** Powertools Parameters `getSecret` (functions/platform/secrets.ts): ATS and Slack credentials. */
  integrationSecret: ['secretsmanager:GetSecretValue'],
  /** The vendors' API keys, for enrichment (and, until `ops setup` moves them, read from the above too). */
  vendorApiSecret: ['secretsmanager:GetSecretValue'],
  /**
   * Enqueues one task per asset to archive (`ArchiveTask`, functions/archive/types.ts). `SendMessageBatch`,
   * if used, is authorised by the same action.
   */
  archiveQueue: ['sqs:SendMessage'],
  /**
   * The raw event store, under `raw/` only (functions/queue/raw-events.ts): one PutObject per invocation (and
   * day) for the deliveries the worker receives, before it processes them. No GetObject or ListBucket: the worker never reads it back
   * (replays run in `npm run ops` with the operator's credentials).
   */
  rawEvents: ['s3:PutObject'],
} as const satisfies GrantsTable;

/** The archive Lambda (functions/archive.ts): streams interview media from the vendors into the bucket. */
export const archiveGrants = {
  archiveQueue: [
    // What Lambda's SQS event source mapping calls with the function's role (the actions of the AWS-managed
    // AWSLambdaSQSQueueExecutionRole policy). A failed asset simply waits out the visibility timeout.
    'sqs:ReceiveMessage',
    'sqs:DeleteMessage',
    'sqs:GetQueueAttributes',
    // A task for an asset another task is archiving is sent again, delayed until that one's lease ends
    // (`deferUntil`, functions/archive.ts).
    'sqs:SendMessage',
  ],
  /** A task that failed permanently goes to the archive's DLQ with the reason attached. */
  archiveDeadLetterQueue: ['sqs:SendMessage'],
  /** When a batch of assets is complete, the archive tells the worker with an internal event. */
  eventsQueue: ['sqs:SendMessage'],
  /**
   * `ArchiveManifest` (objects by key, batch completion, asset leases; functions/archive/manifest.ts). No
   * Query: the manifest reads items by key.
   */
  archiveManifest: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  /**
   * `ParkingLot.park` of a task that failed permanently: write only. Parked events hold whole envelopes
   * (candidates' data, replayed by operators), and this function parses vendor-supplied playlists.
   */
  parkingLot: ['dynamodb:PutItem'],
  /**
   * Objects under `interviews/` only (functions/archive/s3-store.ts). A body within one part is one
   * PutObject; a longer one goes through `@aws-sdk/lib-storage`'s `Upload`: CreateMultipartUpload,
   * UploadPart and CompleteMultipartUpload, all three authorised by `s3:PutObject`, and
   * AbortMultipartUpload (its own action) when an upload fails, so no billed orphan parts are left; it never
   * lists parts (`ListMultipartUploadParts`) and sends PutObjectTagging only for tags, which the store does
   * not set. The finished multipart object is then copied onto itself to add its `sha256` metadata: a
   * CopyObject needs `s3:GetObject` on its source and `s3:PutObject` on its destination (and a copy that
   * fails `PreconditionFailed` is checked by a HeadObject of its label, which `s3:GetObject` allows).
   *
   * No `s3:ListBucket` (unlike the worker's claim checks): no code reads a key that may be missing, and the
   * store treats the copy's 403 and 404 alike (a permanent client error).
   */
  archiveObjects: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
  /**
   * The ROUND0 API key, to fetch fresh `audio_url`s when one expired (Powertools Parameters `getSecret`): the
   * vendor API secret, not the integration secret with the ATS credentials.
   */
  vendorApiSecret: ['secretsmanager:GetSecretValue'],
} as const satisfies GrantsTable;

/**
 * Grants each row of `table` on its target. `targets` must name a target for every row, so a row added to a
 * table does not compile until the construct says where it applies.
 */
export const applyGrants = <T extends GrantsTable>(
  grantee: IGrantable,
  table: T,
  targets: { readonly [K in keyof T]: GrantTarget },
): void => {
  for (const [name, actions] of Object.entries(table) as [keyof T & string, readonly string[]][]) {
    const target = targets[name];
    Grant.addToPrincipal({
      grantee,
      actions: [...actions],
      resourceArns: [...target.resourceArns],
      conditions: target.conditions === undefined ? undefined : { ...target.conditions },
    });
  }
};
