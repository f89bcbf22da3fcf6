/**
 * The two alarms every queue of interview-sync has: a message in its dead-letter queue, and a backlog
 * older than a threshold. One definition, so the events queue and the archive queue alarm alike.
 */
import { Duration } from 'aws-cdk-lib';
import { type Alarm, ComparisonOperator, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** Fires as soon as one message is visible in `deadLetterQueue`: someone has to look at it. */
export const deadLetterQueueNotEmptyAlarm = (
  scope: Construct,
  deadLetterQueue: IQueue,
  alarmDescription: string,
): Alarm =>
  deadLetterQueue
    .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: Stats.MAXIMUM })
    .createAlarm(scope, 'DeadLetterQueueNotEmpty', {
      alarmDescription,
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

/** Fires when the oldest message of `queue` is older than `threshold`: its consumer is stuck or failing. */
export const oldestMessageTooOldAlarm = (
  scope: Construct,
  queue: IQueue,
  threshold: Duration,
  alarmDescription: string,
): Alarm =>
  queue
    .metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: Stats.MAXIMUM })
    .createAlarm(scope, 'OldestMessageTooOld', {
      alarmDescription,
      threshold: threshold.toSeconds(),
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
