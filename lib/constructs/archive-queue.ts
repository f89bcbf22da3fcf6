/**
 * The archive queue (one task per asset, from the worker to the archive Lambda), its dead-letter queue and
 * their two alarms. Settings come from `resources.archiveQueue`, which the local emulators read too.
 */
import { Duration } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { resources } from '../resources.js';
import { deadLetterQueueNotEmptyAlarm, oldestMessageTooOldAlarm } from './queue-alarms.js';

export interface ArchiveQueueProps {
  /**
   * Age of the oldest queued task above which the backlog alarm fires. A task that fails waits out the
   * 90-minute visibility timeout before its next attempt, so the default fires once a task has failed twice
   * and waits for its third of five attempts (about 7.5 hours in all before the DLQ), or when the archive
   * has made no progress for 3 hours.
   * @default Duration.hours(3)
   */
  readonly oldestMessageAgeThreshold?: Duration;
}

export class ArchiveQueue extends Construct {
  /** Assets waiting for the archive Lambda. */
  public readonly queue: Queue;
  /** Tasks the archive gave up on (a permanent failure, or `maxReceiveCount` receives). */
  public readonly deadLetterQueue: Queue;
  /** Fires as soon as one task is dead-lettered. */
  public readonly deadLetterAlarm: Alarm;
  /** Fires when the oldest task is older than the threshold. */
  public readonly oldestMessageAgeAlarm: Alarm;

  constructor(scope: Construct, id: string, props: ArchiveQueueProps = {}) {
    super(scope, id);
    const oldestMessageAgeThreshold = props.oldestMessageAgeThreshold ?? Duration.hours(3);
    const settings = resources.archiveQueue;

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.seconds(resources.archiveDeadLetterQueue.retentionSeconds),
    });

    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(settings.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(settings.retentionSeconds),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: settings.maxReceiveCount },
    });

    this.deadLetterAlarm = deadLetterQueueNotEmptyAlarm(
      this,
      this.deadLetterQueue,
      'interview-sync: archive tasks were dead-lettered; inspect and redrive the archive DLQ.',
    );
    this.oldestMessageAgeAlarm = oldestMessageTooOldAlarm(
      this,
      this.queue,
      oldestMessageAgeThreshold,
      `interview-sync: an archive task has waited over ${oldestMessageAgeThreshold.toHumanString()}.`,
    );
  }
}
