/**
 * The SQS queue between the ingest and the worker Lambda and its dead-letter queue (stateful stack). Their
 * alarms live with the other alarms in the stateless stack (`ServiceAlarms`).
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Queue, QueueEncryption, QueuePolicy } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { resources } from '../resources.js';

/**
 * Keeps the TLS-only policies `enforceSSL` made with `queues` when they are retained: deleted with the stack,
 * the retained queues would accept plain HTTP. (`Queue.policy` is private: the policy is the child `Policy`.)
 */
export const retainQueuePolicies = (queues: readonly Queue[], removalPolicy: RemovalPolicy): void => {
  if (removalPolicy !== RemovalPolicy.RETAIN) return;
  for (const queue of queues) {
    const policy = queue.node.tryFindChild('Policy');
    if (policy instanceof QueuePolicy) policy.applyRemovalPolicy(removalPolicy);
  }
};

export interface EventQueueProps {
  /**
   * Whether the queues (and the events in them) outlive the stack.
   * @default true
   */
  readonly retain?: boolean;
}

export class EventQueue extends Construct {
  /** Interview events waiting for the worker. */
  public readonly queue: Queue;
  /** Events the worker gave up on after `maxReceiveCount` receives. */
  public readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: EventQueueProps = {}) {
    super(scope, id);
    const removalPolicy = (props.retain ?? true) ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.seconds(resources.deadLetterQueue.retentionSeconds),
      maxMessageSizeBytes: resources.deadLetterQueue.maxMessageBytes,
      removalPolicy,
    });

    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(resources.eventsQueue.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(resources.eventsQueue.retentionSeconds),
      // What the ingest's claim-check threshold assumes (SQS_MAX_MESSAGE_BYTES), pinned rather than left to
      // the service's default.
      maxMessageSizeBytes: resources.eventsQueue.maxMessageBytes,
      deadLetterQueue: {
        queue: this.deadLetterQueue,
        maxReceiveCount: resources.eventsQueue.maxReceiveCount,
      },
      removalPolicy,
    });
    retainQueuePolicies([this.deadLetterQueue, this.queue], removalPolicy);
  }
}
