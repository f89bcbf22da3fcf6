/**
 * The worker Lambda: consumes the events queue in batches, dedupes in DynamoDB and syncs the ATS. It can read
 * the integration secret and never the webhook secret (`workerGrants` in lib/permissions.ts).
 */
import { Duration, Names } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { interviewStatePkPrefix, parkedPkPrefix } from '../../functions/ledger/partitions.js';
import { envNames } from '../../functions/platform/env.js';
import { acknowledgeObjectWildcard } from '../compliance.js';
import { applyGrants, leadingKeysCondition, workerGrants } from '../permissions.js';
import { resources } from '../resources.js';
import { type FunctionObservability, propsFromResources, ServiceFunction } from './service-function.js';

export interface WorkerProps {
  readonly queue: IQueue;
  /** Where the worker sends permanently failed messages itself, with the reason attached. */
  readonly deadLetterQueue: IQueue;
  /** Where the worker sends one task per asset to archive. */
  readonly archiveQueue: IQueue;
  readonly bucket: IBucket;
  readonly ledgerTable: ITable;
  readonly integrationSecret: ISecret;
  /** The vendors' API keys (enrichment). */
  readonly vendorApiSecret: ISecret;
  /** `LEDGER_RETENTION_SECONDS`: how long an interview's ledger item is kept after its last write. */
  readonly ledgerRetention: Duration;
  /** `ATS_ADAPTER`: which ATS adapter the worker uses. */
  readonly atsAdapter: string;
  /** `ATS_CONFIG`: the adapter's settings, serialised as JSON. */
  readonly atsConfig: Readonly<Record<string, unknown>>;
  /** `ROUND0_API_BASE_URL`. */
  readonly round0ApiBaseUrl: string;
  /** `MICRO1_API_BASE_URL`. */
  readonly micro1ApiBaseUrl: string;
  /** `SLACK_NOTIFICATIONS`. */
  readonly slackNotifications: boolean;
  /** `ATS_COMPLETED_STAGE_ID`: stage to move an application to once screened; unset = no move. */
  readonly atsCompletedStageId?: string;
  /** `ATS_SCORE_FIELD_ID`: custom field receiving the screening score; unset = not written. */
  readonly atsScoreFieldId?: string;
  /** Log retention, log level and tracing. */
  readonly observability: FunctionObservability;
}

export class Worker extends Construct {
  public readonly function: ServiceFunction;

  constructor(scope: Construct, id: string, props: WorkerProps) {
    super(scope, id);
    const settings = resources.worker;

    this.function = new ServiceFunction(this, 'Function', {
      ...propsFromResources(settings),
      ...props.observability,
      environment: {
        [envNames.ledgerTableName]: props.ledgerTable.tableName,
        [envNames.bucketName]: props.bucket.bucketName,
        [envNames.integrationSecretsArn]: props.integrationSecret.secretArn,
        [envNames.vendorApiSecretsArn]: props.vendorApiSecret.secretArn,
        [envNames.ledgerRetentionSeconds]: String(props.ledgerRetention.toSeconds()),
        [envNames.claimLeaseSeconds]: String(settings.claimLeaseSeconds),
        [envNames.unansweredSettleSeconds]: String(settings.unansweredSettleSeconds),
        [envNames.queueVisibilityTimeoutSeconds]: String(resources.eventsQueue.visibilityTimeoutSeconds),
        [envNames.queueMaxReceiveCount]: String(resources.eventsQueue.maxReceiveCount),
        [envNames.atsAdapter]: props.atsAdapter,
        // Each of the instances the event source runs at once takes its part of the ATS's rate limit.
        [envNames.atsRateShare]: String(settings.maxConcurrency),
        [envNames.atsConfig]: JSON.stringify(
          // The log adapter's default file is not writable in Lambda: print its lines to CloudWatch Logs.
          props.atsAdapter === 'log' && !('path' in props.atsConfig)
            ? { ...props.atsConfig, path: 'stdout' }
            : props.atsConfig,
        ),
        [envNames.round0ApiBaseUrl]: props.round0ApiBaseUrl,
        [envNames.micro1ApiBaseUrl]: props.micro1ApiBaseUrl,
        [envNames.slackNotifications]: String(props.slackNotifications),
        [envNames.deadLetterQueueUrl]: props.deadLetterQueue.queueUrl,
        // To delay a failed message's redelivery when the ATS asked for a longer Retry-After.
        [envNames.queueUrl]: props.queue.queueUrl,
        [envNames.archiveQueueUrl]: props.archiveQueue.queueUrl,
        ...(props.atsCompletedStageId === undefined
          ? {}
          : { [envNames.atsCompletedStageId]: props.atsCompletedStageId }),
        ...(props.atsScoreFieldId === undefined ? {} : { [envNames.atsScoreFieldId]: props.atsScoreFieldId }),
      },
    });

    // The mapping is added directly instead of through `SqsEventSource`, whose `bind` grants all of
    // `grantConsumeMessages` (GetQueueUrl included); the role gets what the mapping calls from `workerGrants`.
    // The function's resource depends on the role's default policy, and the mapping on the function, so
    // CloudFormation creates the mapping only once the role may receive from the queue. The id is the one
    // `SqsEventSource` gives its mapping: deployed stages keep their mapping (updated in place) instead of
    // polling the queue with a second one, at twice the concurrency, until the old one is deleted.
    this.function.addEventSourceMapping(`SqsEventSource:${Names.nodeUniqueId(props.queue.node)}`, {
      eventSourceArn: props.queue.queueArn,
      batchSize: settings.batchSize,
      maxBatchingWindow: Duration.seconds(settings.maxBatchingWindowSeconds),
      maxConcurrency: settings.maxConcurrency,
      // The worker returns the failed message ids; only those are retried, not the whole batch.
      reportBatchItemFailures: true,
    });

    const { claimCheckPrefix: claimChecks, rawEventsPrefix } = resources.bucket;
    applyGrants(this.function, workerGrants, {
      eventsQueue: { resourceArns: [props.queue.queueArn] },
      deadLetterQueue: { resourceArns: [props.deadLetterQueue.queueArn] },
      // Its own items only (interview state and the parking lot), not the archive's manifest and leases.
      interviewState: {
        resourceArns: [props.ledgerTable.tableArn],
        conditions: leadingKeysCondition([interviewStatePkPrefix]),
      },
      parkingLot: {
        resourceArns: [props.ledgerTable.tableArn],
        conditions: leadingKeysCondition([parkedPkPrefix]),
      },
      claimCheckObjects: { resourceArns: [props.bucket.arnForObjects(`${claimChecks}*`)] },
      // Listing only under the claim-check prefix. For the 404-or-403 decision of a GET, S3 evaluates the
      // requested key as `s3:prefix`, so a claim-check key matches (AWS does not document this; Ceph RGW
      // adopted it to match AWS, ceph/ceph#68577). Were it not so, the grant would be inert: a 403, as without.
      claimCheckListing: {
        resourceArns: [props.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': `${claimChecks}*` } },
      },
      integrationSecret: { resourceArns: [props.integrationSecret.secretArn] },
      vendorApiSecret: { resourceArns: [props.vendorApiSecret.secretArn] },
      archiveQueue: { resourceArns: [props.archiveQueue.queueArn] },
      rawEvents: { resourceArns: [props.bucket.arnForObjects(`${rawEventsPrefix}*`)] },
    });
    acknowledgeObjectWildcard(
      this.function,
      props.bucket,
      claimChecks,
      `Claim-check keys are generated per event; the wildcard is confined to ${claimChecks}.`,
    );
    acknowledgeObjectWildcard(
      this.function,
      props.bucket,
      rawEventsPrefix,
      `Raw event keys are per vendor, day and event, or per day and batch (functions/queue/raw-events.ts); the wildcard is confined to ${rawEventsPrefix}.`,
    );
  }
}
