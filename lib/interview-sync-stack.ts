/**
 * interview-sync on AWS: HTTP API → ingest Lambda → SQS (+ DLQ) → worker Lambda → DynamoDB, S3, ATS; the
 * worker → archive queue (+ DLQ) → archive Lambda → S3 (`interviews/`), and back to the worker through the
 * events queue. What each Lambda may call is listed in `lib/permissions.ts`.
 */
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import {
  ArchiveFunction,
  type ArchiveMediaHosts,
  type ArchiveVariants,
} from './constructs/archive-function.js';
import { ArchiveQueue } from './constructs/archive-queue.js';
import { ServiceDashboard } from './constructs/dashboard.js';
import { EventQueue } from './constructs/event-queue.js';
import { IngestApi, webhookRoutes } from './constructs/ingest-api.js';
import { ServiceSecrets } from './constructs/secrets.js';
import { Storage } from './constructs/storage.js';
import { Worker } from './constructs/worker.js';
import { resources } from './resources.js';

export interface InterviewSyncStackProps extends StackProps {
  /**
   * ATS adapter the worker uses (`ATS_ADAPTER`); `log` only logs the effects it would have.
   * @default 'log'
   */
  readonly atsAdapter?: string;
  /**
   * Settings of the ATS adapter (`ATS_CONFIG`, as JSON): base URL, stage ids, custom field ids. Never
   * credentials: those belong in the integration secret.
   * @default {}
   */
  readonly atsConfig?: Readonly<Record<string, unknown>>;
  /**
   * Base URL of ROUND0's API (`ROUND0_API_BASE_URL`).
   * @default 'https://rz-app-omega.vercel.app'
   */
  readonly round0ApiBaseUrl?: string;
  /**
   * Base URL of micro1's public API (`MICRO1_API_BASE_URL`).
   * @default 'https://public.api.micro1.ai'
   */
  readonly micro1ApiBaseUrl?: string;
  /**
   * Whether the worker posts notifications to Slack (`SLACK_NOTIFICATIONS`); the webhook URL is read
   * from the integration secret.
   * @default false
   */
  readonly slackNotifications?: boolean;
  /**
   * ATS stage id an application moves to once its AI screening is completed (`ATS_COMPLETED_STAGE_ID`).
   * @default undefined (no stage move)
   */
  readonly atsCompletedStageId?: string;
  /**
   * ATS custom field id that receives the screening score, 0–100 (`ATS_SCORE_FIELD_ID`).
   * @default undefined (no field written)
   */
  readonly atsScoreFieldId?: string;
  /**
   * Retention of the functions' logs and the API's access logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Age of the oldest queued event above which the backlog alarm fires.
   * @default Duration.minutes(30)
   */
  readonly oldestMessageAgeThreshold?: Duration;
  /**
   * How long the archive bucket's S3 server access logs are kept (lifecycle expiry in the access-log
   * bucket). Whole days.
   * @default Duration.days(365)
   */
  readonly bucketAccessLogRetention?: Duration;
  /**
   * Per vendor, the hosts the archive may fetch media from (`ARCHIVE_MEDIA_HOSTS`), in the URL guard's
   * syntax: `host`, `*.domain` (subdomains only), optionally `:port`. A URL naming any other host fails its
   * archive task permanently. ROUND0's storage host is not documented: name it here once known.
   * @default { micro1: ['micro1.ai', '*.micro1.ai'], round0: [] }
   */
  readonly archiveMediaHosts?: ArchiveMediaHosts;
  /**
   * Which variants of an HLS master playlist the archive keeps (`ARCHIVE_VARIANTS`): the highest bandwidth
   * only, or all of them.
   * @default 'highest'
   */
  readonly archiveVariants?: ArchiveVariants;
  /**
   * Age after which archived media (`interviews/`) moves to S3 Glacier Instant Retrieval. Whole days.
   * @default Duration.days(90)
   */
  readonly archiveTransitionAfter?: Duration;
  /**
   * Age of the oldest queued archive task above which the archive backlog alarm fires.
   * @default Duration.hours(3)
   */
  readonly archiveOldestMessageAgeThreshold?: Duration;
}

/** Every default of {@link InterviewSyncStackProps}, in one place. */
export const interviewSyncStackDefaults = {
  atsAdapter: 'log',
  atsConfig: {},
  round0ApiBaseUrl: 'https://rz-app-omega.vercel.app',
  micro1ApiBaseUrl: 'https://public.api.micro1.ai',
  slackNotifications: false,
  logRetention: RetentionDays.ONE_MONTH,
  oldestMessageAgeThreshold: Duration.minutes(30),
  bucketAccessLogRetention: Duration.days(365),
  archiveMediaHosts: resources.archive.mediaHosts,
  archiveVariants: resources.archive.variants,
  archiveTransitionAfter: Duration.days(90),
  archiveOldestMessageAgeThreshold: Duration.hours(3),
} as const;

export class InterviewSyncStack extends Stack {
  public readonly storage: Storage;
  public readonly secrets: ServiceSecrets;
  public readonly events: EventQueue;
  public readonly ingest: IngestApi;
  public readonly worker: Worker;
  public readonly archiveQueue: ArchiveQueue;
  public readonly archive: ArchiveFunction;
  public readonly dashboard: ServiceDashboard;

  constructor(scope: Construct, id: string, props: InterviewSyncStackProps = {}) {
    super(scope, id, props);
    const defaults = interviewSyncStackDefaults;
    const logRetention = props.logRetention ?? defaults.logRetention;

    this.storage = new Storage(this, 'Storage', {
      accessLogRetention: props.bucketAccessLogRetention ?? defaults.bucketAccessLogRetention,
      archiveTransitionAfter: props.archiveTransitionAfter ?? defaults.archiveTransitionAfter,
    });
    this.secrets = new ServiceSecrets(this, 'Secrets');
    this.events = new EventQueue(this, 'Events', {
      oldestMessageAgeThreshold: props.oldestMessageAgeThreshold ?? defaults.oldestMessageAgeThreshold,
    });
    this.archiveQueue = new ArchiveQueue(this, 'ArchiveQueue', {
      oldestMessageAgeThreshold:
        props.archiveOldestMessageAgeThreshold ?? defaults.archiveOldestMessageAgeThreshold,
    });

    this.ingest = new IngestApi(this, 'Ingest', {
      queue: this.events.queue,
      bucket: this.storage.bucket,
      webhookSecret: this.secrets.webhook,
      logRetention,
    });

    this.worker = new Worker(this, 'Worker', {
      queue: this.events.queue,
      deadLetterQueue: this.events.deadLetterQueue,
      archiveQueue: this.archiveQueue.queue,
      atsCompletedStageId: props.atsCompletedStageId,
      atsScoreFieldId: props.atsScoreFieldId,
      bucket: this.storage.bucket,
      ledgerTable: this.storage.ledgerTable,
      integrationSecret: this.secrets.integration,
      atsAdapter: props.atsAdapter ?? defaults.atsAdapter,
      atsConfig: props.atsConfig ?? defaults.atsConfig,
      round0ApiBaseUrl: props.round0ApiBaseUrl ?? defaults.round0ApiBaseUrl,
      micro1ApiBaseUrl: props.micro1ApiBaseUrl ?? defaults.micro1ApiBaseUrl,
      slackNotifications: props.slackNotifications ?? defaults.slackNotifications,
      logRetention,
    });

    this.archive = new ArchiveFunction(this, 'Archive', {
      queue: this.archiveQueue.queue,
      deadLetterQueue: this.archiveQueue.deadLetterQueue,
      eventsQueue: this.events.queue,
      bucket: this.storage.bucket,
      ledgerTable: this.storage.ledgerTable,
      integrationSecret: this.secrets.integration,
      mediaHosts: props.archiveMediaHosts ?? defaults.archiveMediaHosts,
      variants: props.archiveVariants ?? defaults.archiveVariants,
      round0ApiBaseUrl: props.round0ApiBaseUrl ?? defaults.round0ApiBaseUrl,
      logRetention,
    });

    this.dashboard = new ServiceDashboard(this, 'Dashboard', {
      api: this.ingest.api,
      ingestFunction: this.ingest.function,
      workerFunction: this.worker.function,
      archiveFunction: this.archive.function,
      queue: this.events.queue,
      deadLetterQueue: this.events.deadLetterQueue,
      archiveQueue: this.archiveQueue.queue,
      archiveDeadLetterQueue: this.archiveQueue.deadLetterQueue,
      alarms: [
        this.events.deadLetterAlarm,
        this.events.oldestMessageAgeAlarm,
        this.archiveQueue.deadLetterAlarm,
        this.archiveQueue.oldestMessageAgeAlarm,
      ],
    });

    new CfnOutput(this, 'Round0WebhookUrl', {
      description:
        'Webhook URL to register in ROUND0 (requests are signed with a round0SigningSecrets value).',
      value: this.ingest.urlOf(webhookRoutes.round0),
    });
    new CfnOutput(this, 'Micro1WebhookUrl', {
      description:
        'Base of the webhook URL to register in micro1: append /{token}, where {token} is one of the ' +
        'micro1Tokens in the webhook secret (the token authenticates micro1, so keep the full URL secret).',
      value: this.ingest.urlOf(webhookRoutes.micro1.replace('/{token}', '')),
    });
    new CfnOutput(this, 'WebhookSecretsArn', {
      description: 'Secret to fill with { round0SigningSecrets: [...], micro1Tokens: [...] }.',
      value: this.secrets.webhook.secretArn,
    });
    new CfnOutput(this, 'IntegrationSecretsArn', {
      description: 'Secret to fill with vendor API keys, ATS credentials and the Slack webhook URL.',
      value: this.secrets.integration.secretArn,
    });
    // What `npm run ops` needs to list and replay parked events of this stage.
    new CfnOutput(this, 'LedgerTableName', {
      description: 'Ledger table (parked events: npm run ops -- parked unmatched --table …).',
      value: this.storage.ledgerTable.tableName,
    });
    new CfnOutput(this, 'EventsQueueUrl', {
      description: 'Events queue (npm run ops -- replay … --queue-url …).',
      value: this.events.queue.queueUrl,
    });
    new CfnOutput(this, 'BucketName', {
      description: 'Claim-check and archive bucket (npm run ops -- replay … --bucket …).',
      value: this.storage.bucket.bucketName,
    });
    new CfnOutput(this, 'AccessLogsBucketName', {
      description: 'S3 server access logs of the claim-check and archive bucket (under archive-bucket/).',
      value: this.storage.accessLogsBucket.bucketName,
    });
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      description: 'Events the worker gave up on; inspect, then redrive to the events queue.',
      value: this.events.deadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'ArchiveDeadLetterQueueUrl', {
      description: 'Archive tasks the archive gave up on; inspect, then redrive to the archive queue.',
      value: this.archiveQueue.deadLetterQueue.queueUrl,
    });
  }
}
