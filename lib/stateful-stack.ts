/**
 * The stateful half of a stage: everything that holds data or identity and must survive a redeploy of the
 * code — the ledger table, the bucket (claim checks, raw events, archived media) and its access-log bucket,
 * the events and archive queues with their DLQs (events in flight), and the two secrets (values operators
 * put in). It changes rarely, is retained and termination-protected by default (except on a stage named
 * `dev`), and exports what the stateless stack and `npm run ops` need.
 *
 * Construct ids (`Storage`, `Secrets`, `Events`, `ArchiveQueue` and their children) are those of the former
 * single `InterviewSync-<stage>` stack, so every stateful resource keeps its logical id: that is what a
 * `cdk import` of the old stack's retained resources into this one matches on (README, Deploy).
 */
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ArchiveQueue } from './constructs/archive-queue.js';
import { EventQueue } from './constructs/event-queue.js';
import { ServiceSecrets } from './constructs/secrets.js';
import { Storage, storageDefaults } from './constructs/storage.js';

/** What the stateless stack (and `npm run ops`) use of the stateful one. */
export interface StatefulResources {
  readonly ledgerTable: ITable;
  readonly bucket: IBucket;
  readonly eventsQueue: IQueue;
  readonly eventsDeadLetterQueue: IQueue;
  readonly archiveQueue: IQueue;
  readonly archiveDeadLetterQueue: IQueue;
  readonly webhookSecret: ISecret;
  readonly integrationSecret: ISecret;
  readonly vendorApiSecret: ISecret;
}

export interface InterviewSyncStatefulStackProps extends StackProps {
  /** The stage's name (`dev`, `prod`, …); `dev` changes the defaults of `retain` and `terminationProtection`. */
  readonly stage: string;
  /**
   * Whether the table, buckets, queues and secrets outlive the stack (`RemovalPolicy.RETAIN`); otherwise they
   * are deleted with it, the buckets emptied first.
   * @default true, false for the stage `dev`
   */
  readonly retain?: boolean;
  /**
   * CloudFormation termination protection of this stack.
   * @default true, false for the stage `dev`
   */
  readonly terminationProtection?: boolean;
  /**
   * How long a raw event (`raw/`) is kept. Whole days.
   * @default Duration.days(30)
   */
  readonly rawEventRetention?: Duration;
  /**
   * Age after which archived media (`interviews/`) moves to S3 Glacier Instant Retrieval. Whole days.
   * @default Duration.days(90)
   */
  readonly archiveTransitionAfter?: Duration;
  /**
   * Age after which archived media (`interviews/`) is deleted. Whole days, later than the transition.
   * @default undefined (kept until deleted on purpose)
   */
  readonly archiveExpiration?: Duration;
  /**
   * How long the bucket's S3 server access logs are kept. Whole days.
   * @default Duration.days(365)
   */
  readonly bucketAccessLogRetention?: Duration;
}

/** Every default of {@link InterviewSyncStatefulStackProps}, in one place. */
export const statefulStackDefaults = {
  /** Data outlives the stack everywhere but on the throw-away `dev` stage. */
  retain: (stage: string): boolean => stage !== 'dev',
  terminationProtection: (stage: string): boolean => stage !== 'dev',
  rawEventRetention: storageDefaults.rawEventRetention,
  archiveTransitionAfter: storageDefaults.archiveTransitionAfter,
  bucketAccessLogRetention: storageDefaults.accessLogRetention,
} as const;

export class InterviewSyncStatefulStack extends Stack implements StatefulResources {
  public readonly storage: Storage;
  public readonly secrets: ServiceSecrets;
  public readonly events: EventQueue;
  public readonly archive: ArchiveQueue;
  /** Whether the stateful resources are retained (the resolved `retain` prop). */
  public readonly retained: boolean;

  constructor(scope: Construct, id: string, props: InterviewSyncStatefulStackProps) {
    const defaults = statefulStackDefaults;
    super(scope, id, {
      ...props,
      terminationProtection: props.terminationProtection ?? defaults.terminationProtection(props.stage),
    });
    const retain = props.retain ?? defaults.retain(props.stage);
    this.retained = retain;

    this.storage = new Storage(this, 'Storage', {
      retain,
      accessLogRetention: props.bucketAccessLogRetention ?? defaults.bucketAccessLogRetention,
      rawEventRetention: props.rawEventRetention ?? defaults.rawEventRetention,
      archiveTransitionAfter: props.archiveTransitionAfter ?? defaults.archiveTransitionAfter,
      archiveExpiration: props.archiveExpiration,
    });
    this.secrets = new ServiceSecrets(this, 'Secrets', { retain });
    this.events = new EventQueue(this, 'Events', { retain });
    this.archive = new ArchiveQueue(this, 'ArchiveQueue', { retain });

    // What `npm run ops` needs to find this stage's data (`aws cloudformation describe-stacks` on this stack).
    const outputs: Record<string, { readonly value: string; readonly description: string }> = {
      LedgerTableName: {
        value: this.storage.ledgerTable.tableName,
        description: 'Interview ledger: state, dedupe, effects, parked events and archive manifests.',
      },
      BucketName: {
        value: this.storage.bucket.bucketName,
        description: 'Claim checks (claim-checks/), raw events (raw/) and archived media (interviews/).',
      },
      AccessLogsBucketName: {
        value: this.storage.accessLogsBucket.bucketName,
        description: 'S3 server access logs of the bucket (under archive-bucket/).',
      },
      EventsQueueUrl: {
        value: this.events.queue.queueUrl,
        description: 'Events queue: replays and redrives go here.',
      },
      DeadLetterQueueUrl: {
        value: this.events.deadLetterQueue.queueUrl,
        description: 'Events the worker gave up on; inspect, then redrive to the events queue.',
      },
      ArchiveQueueUrl: {
        value: this.archive.queue.queueUrl,
        description: 'Archive queue: one task per asset to copy to S3.',
      },
      ArchiveDeadLetterQueueUrl: {
        value: this.archive.deadLetterQueue.queueUrl,
        description: 'Archive tasks the archive gave up on; inspect, then redrive to the archive queue.',
      },
      WebhookSecretsArn: {
        value: this.secrets.webhook.secretArn,
        description: 'Secret to fill with { round0SigningSecrets: [...], micro1Tokens: [...] }.',
      },
      IntegrationSecretsArn: {
        value: this.secrets.integration.secretArn,
        description: 'Secret to fill with the ATS credentials and the Slack webhook URL.',
      },
      VendorApiSecretsArn: {
        value: this.secrets.vendorApi.secretArn,
        description: 'Secret to fill with { round0ApiKey, micro1ApiKey } (npm run ops -- setup).',
      },
    };
    for (const [name, output] of Object.entries(outputs)) new CfnOutput(this, name, output);
  }

  get ledgerTable(): ITable {
    return this.storage.ledgerTable;
  }
  get bucket(): IBucket {
    return this.storage.bucket;
  }
  get eventsQueue(): IQueue {
    return this.events.queue;
  }
  get eventsDeadLetterQueue(): IQueue {
    return this.events.deadLetterQueue;
  }
  get archiveQueue(): IQueue {
    return this.archive.queue;
  }
  get archiveDeadLetterQueue(): IQueue {
    return this.archive.deadLetterQueue;
  }
  get webhookSecret(): ISecret {
    return this.secrets.webhook;
  }
  get integrationSecret(): ISecret {
    return this.secrets.integration;
  }
  get vendorApiSecret(): ISecret {
    return this.secrets.vendorApi;
  }
}

/** Whole days of a duration given in days (the configuration's unit). */
export const days = (count: number | undefined): Duration | undefined =>
  count === undefined ? undefined : Duration.days(count);
