/**
 * The SQS queue between the ingest and the worker Lambda, its dead-letter queue, and the two alarms that
 * say events are not getting through.
 */
import { Duration } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { resources } from '../resources.js';
import { deadLetterQueueNotEmptyAlarm, oldestMessageTooOldAlarm } from './queue-alarms.js';

export interface EventQueueProps {
  /**
   * Age of the oldest queued event above which the backlog alarm fires. Events being retried (an ATS
   * outage) age too: with 10 receives × a 6-minute visibility timeout an event is retried for about an
   * hour before it is dead-lettered, so the default alarms halfway through that budget.
   * @default Duration.minutes(30)
   */
  readonly oldestMessageAgeThreshold?: Duration;
}

export class EventQueue extends Construct {
  /** Interview events waiting for the worker. */
  public readonly queue: Queue;
  /** Events the worker gave up on after `maxReceiveCount` receives. */
  public readonly deadLetterQueue: Queue;
  /** Fires as soon as one event is dead-lettered: someone has to look at it. */
  public readonly deadLetterAlarm: Alarm;
  /** Fires when the oldest queued event is older than the threshold: the worker is stuck or failing. */
  public readonly oldestMessageAgeAlarm: Alarm;

  constructor(scope: Construct, id: string, props: EventQueueProps = {}) {
    super(scope, id);
    const oldestMessageAgeThreshold = props.oldestMessageAgeThreshold ?? Duration.minutes(30);

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.seconds(resources.deadLetterQueue.retentionSeconds),
    });

    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(resources.eventsQueue.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(resources.eventsQueue.retentionSeconds),
      deadLetterQueue: {
        queue: this.deadLetterQueue,
        maxReceiveCount: resources.eventsQueue.maxReceiveCount,
      },
    });

    this.deadLetterAlarm = deadLetterQueueNotEmptyAlarm(
      this,
      this.deadLetterQueue,
      'interview-sync: events were dead-lettered; inspect and redrive the DLQ.',
    );
    this.oldestMessageAgeAlarm = oldestMessageTooOldAlarm(
      this,
      this.queue,
      oldestMessageAgeThreshold,
      `interview-sync: an event has waited over ${oldestMessageAgeThreshold.toHumanString()} for the worker.`,
    );
  }
}
