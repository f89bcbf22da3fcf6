/**
 * The worker Lambda: consumes the events queue in batches, dedupes in DynamoDB, syncs the ATS and archives
 * media. It can read the integration secret and never the webhook secret.
 */
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { envNames } from '../../functions/platform/env.js';
import { acknowledgeAwsSolutions, objectWildcardFinding } from '../compliance.js';
import { resources } from '../resources.js';
import { ServiceFunction } from './service-function.js';

export interface WorkerProps {
  readonly queue: IQueue;
  /** Where the worker sends permanently failed messages itself, with the reason attached. */
  readonly deadLetterQueue: IQueue;
  readonly bucket: IBucket;
  readonly idempotencyTable: ITable;
  readonly ledgerTable: ITable;
  readonly integrationSecret: ISecret;
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
  readonly logRetention: RetentionDays;
}

export class Worker extends Construct {
  public readonly function: ServiceFunction;

  constructor(scope: Construct, id: string, props: WorkerProps) {
    super(scope, id);
    const settings = resources.worker;

    this.function = new ServiceFunction(this, 'Function', {
      entry: settings.entry,
      memoryMb: settings.memoryMb,
      timeoutSeconds: settings.timeoutSeconds,
      serviceName: settings.serviceName,
      metricsNamespace: resources.metricsNamespace,
      logRetention: props.logRetention,
      environment: {
        [envNames.idempotencyTableName]: props.idempotencyTable.tableName,
        [envNames.ledgerTableName]: props.ledgerTable.tableName,
        [envNames.bucketName]: props.bucket.bucketName,
        [envNames.integrationSecretsArn]: props.integrationSecret.secretArn,
        [envNames.dedupeRetentionSeconds]: String(settings.dedupeRetentionSeconds),
        [envNames.atsAdapter]: props.atsAdapter,
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
        ...(props.atsCompletedStageId === undefined
          ? {}
          : { [envNames.atsCompletedStageId]: props.atsCompletedStageId }),
        ...(props.atsScoreFieldId === undefined ? {} : { [envNames.atsScoreFieldId]: props.atsScoreFieldId }),
      },
    });

    this.function.addEventSource(
      new SqsEventSource(props.queue, {
        batchSize: settings.batchSize,
        maxBatchingWindow: Duration.seconds(settings.maxBatchingWindowSeconds),
        maxConcurrency: settings.maxConcurrency,
        // The worker returns the failed message ids; only those are retried, not the whole batch.
        reportBatchItemFailures: true,
      }),
    );

    props.idempotencyTable.grantReadWriteData(this.function);
    props.ledgerTable.grantReadWriteData(this.function);
    // Explicit S3 actions instead of `grantRead`/`grantReadWrite`, whose wildcards (`s3:GetObject*`,
    // `s3:DeleteObject*`, …) allow far more. Claim checks are written by the ingest Lambda and only read
    // here (they expire by lifecycle rule); recordings are read (already archived?) and uploaded, in parts
    // for large media, so an abandoned upload must be abortable.
    const objectGrants = [
      { prefix: resources.bucket.claimCheckPrefix, actions: ['s3:GetObject'] },
      {
        prefix: resources.bucket.recordingsPrefix,
        actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
      },
    ];
    for (const { prefix, actions } of objectGrants) {
      Grant.addToPrincipal({
        grantee: this.function,
        actions,
        resourceArns: [props.bucket.arnForObjects(`${prefix}*`)],
      });
      acknowledgeAwsSolutions(
        this.function,
        objectWildcardFinding(props.bucket, prefix),
        `Object keys are generated per event or interview; the wildcard is confined to ${prefix}.`,
      );
    }
    // Without `s3:ListBucket`, S3 answers a HEAD/GET of a missing key with 403 instead of 404, and
    // "not archived yet" could not be told apart from "access denied".
    Grant.addToPrincipal({
      grantee: this.function,
      actions: ['s3:ListBucket'],
      resourceArns: [props.bucket.bucketArn],
    });
    props.integrationSecret.grantRead(this.function);
    // A permanent failure (4xx from the ATS, unreadable message) is dead-lettered at once with its reason
    // instead of being retried until the redrive policy moves it there without one.
    props.deadLetterQueue.grantSendMessages(this.function);
  }
}
