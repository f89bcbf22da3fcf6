/**
 * The archive queue (one task per asset, from the worker to the archive Lambda) and its dead-letter queue
 * (stateful stack). Settings come from `resources.archiveQueue`, which the local emulators read too; the
 * alarms live in the stateless stack (`ServiceAlarms`).
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { resources } from '../resources.js';
import { retainQueuePolicies } from './event-queue.js';

export interface ArchiveQueueProps {
  /**
   * Whether the queues (and the tasks in them) outlive the stack.
   * @default true
   */
  readonly retain?: boolean;
}

export class ArchiveQueue extends Construct {
  /** Assets waiting for the archive Lambda. */
  public readonly queue: Queue;
  /** Tasks the archive gave up on (a permanent failure, or `maxReceiveCount` receives). */
  public readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: ArchiveQueueProps = {}) {
    super(scope, id);
    const settings = resources.archiveQueue;
    const removalPolicy = (props.retain ?? true) ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.seconds(resources.archiveDeadLetterQueue.retentionSeconds),
      maxMessageSizeBytes: resources.archiveDeadLetterQueue.maxMessageBytes,
      removalPolicy,
    });

    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(settings.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(settings.retentionSeconds),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: settings.maxReceiveCount },
      removalPolicy,
    });
    retainQueuePolicies([this.deadLetterQueue, this.queue], removalPolicy);
  }
}
