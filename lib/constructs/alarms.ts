/**
 * The alarms of a stage and the one SNS topic they all notify (stateless stack).
 *
 * Hand-built with aws-cdk-lib's `Alarm` rather than cdk-monitoring-constructs' alarm factories: each alarm
 * here is one row of a short table with a fixed name, a description that tells the on-call what to do and
 * links its README runbook, a missing-data policy chosen for its metric, and (for the ATS failure rate) metric
 * math with a minimum volume. The factories compose their own names and descriptions, spread the table over
 * one `monitor*` call per resource, and would put every threshold behind their own threshold types; the
 * dashboard, where the library does fit, shows these alarms in an alarm-status widget.
 *
 * Missing data: every alarm here treats it as not breaching, each for its own reason (written on its row):
 * AWS and Powertools publish nothing for an idle queue, an API without requests, a function not invoked or a
 * counter that did not move, and for each of them "nothing published" means "nothing wrong". A stuck
 * pipeline is not silent: the queue-age alarms see its backlog (SQS keeps publishing for a queue that holds
 * messages).
 */
import { Annotations, Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  MathExpression,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Subscription, SubscriptionProtocol, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { metrics } from '../../functions/platform/metric-names.js';
import { atsFailureRate, serviceMetric } from './service-metrics.js';

/**
 * The README anchor of each alarm's runbook section (GitHub's slug of the `### Runbook: …` heading). Every
 * alarm description ends with `Runbook: README.md#<anchor>`; a test checks each anchor has its heading.
 */
export const runbooks = {
  eventsDeadLetters: 'runbook-events-dlq-not-empty',
  archiveDeadLetters: 'runbook-archive-dlq-not-empty',
  deadLettersExpiring: 'runbook-dead-letters-about-to-expire',
  eventsBacklog: 'runbook-events-queue-backlog',
  archiveBacklog: 'runbook-archive-queue-backlog',
  apiServerErrors: 'runbook-api-5xx',
  webhookThrottled: 'runbook-webhook-throttled',
  webhookAuthFailures: 'runbook-webhook-auth-failures',
  webhookInvalid: 'runbook-webhook-invalid',
  webhookUnknownTypes: 'runbook-webhook-unknown-types',
  atsFailureRate: 'runbook-ats-failure-rate',
  archiveFailures: 'runbook-archive-failures',
  enrichmentFallbacks: 'runbook-enrichment-fallbacks',
  endToEndLag: 'runbook-end-to-end-lag',
  webhookSilence: 'runbook-webhook-silence',
  lambdaErrors: 'runbook-lambda-errors-or-throttles',
  notificationsFailed: 'runbook-alarm-notifications-failed',
} as const;

/** The metric the API's access log gives for each delivery API Gateway throttled (429). */
export const webhookThrottledMetricName = 'WebhookThrottled';

/** Thresholds of the alarms (stage configuration `alarms`). */
export interface AlarmThresholds {
  /**
   * Age of the oldest queued event above which the events backlog alarm fires: a worker not taking events
   * (stuck, throttled, crashing at start). An event being retried is seen only until its third receive (SQS's
   * ApproximateAgeOfOldestMessage then skips it): events-failing-repeatedly covers those.
   * @default Duration.minutes(30)
   */
  readonly eventsQueueMaxAge?: Duration;
  /**
   * Age of the oldest archive task above which the archive backlog alarm fires: an archive not taking tasks.
   * A failed task waits out the 90-minute visibility timeout and is skipped by the age metric from its third
   * receive: archive-tasks-failing-repeatedly covers it.
   * @default Duration.hours(3)
   */
  readonly archiveQueueMaxAge?: Duration;
  /**
   * Age of the oldest dead letter above which the "about to expire" alarm fires. The age counts from the
   * message's arrival in the dead-letter queue, but SQS deletes a message it moved there 14 days after it was
   * first queued: the time it spent being retried counts against it. That is at most about 31 h (10 receives,
   * a throttled event's redelivery capped at 3 h: functions/queue/redelivery.ts), so the default leaves at
   * least 2.7 days to redrive it (4 days for what the worker dead-lettered itself: a new message).
   * @default Duration.days(10)
   */
  readonly deadLetterMaxAge?: Duration;
  /**
   * 5xx answers of the HTTP API in 5 minutes at or above which the API alarm fires.
   * @default 5
   */
  readonly apiServerErrorsPer5Minutes?: number;
  /**
   * Deliveries the ingest answered 503 because SQS (or S3, for a claim check) refused them (`WebhookFailed`)
   * in 5 minutes at or above which the alarm fires. Each is a delivery not accepted: ROUND0 retries, micro1
   * documents no retry, so one is enough to look.
   * @default 1
   */
  readonly webhookFailedPer5Minutes?: number;
  /**
   * Deliveries API Gateway refused with 429 (over the stage's throttle) in 5 minutes at or above which the
   * alarm fires: the ingest never sees them, so no metric of its own can.
   * @default 1
   */
  readonly webhookThrottledPer5Minutes?: number;
  /**
   * Deliveries refused for a bad signature or token in 5 minutes at or above which the alarm fires.
   * @default 20
   */
  readonly webhookAuthFailuresPer5Minutes?: number;
  /**
   * Authenticated deliveries refused as not JSON or against the schema (`WebhookInvalid`) in 15 minutes at or
   * above which the alarm fires. Each is a genuine event the vendor will not send again.
   * @default 1
   */
  readonly webhookInvalidPer15Minutes?: number;
  /**
   * Accepted events of a type this version does not know (`WebhookUnknownType`) per hour at or above which the
   * alarm fires: the worker acknowledges them without effect.
   * @default 1
   */
  readonly webhookUnknownTypesPerHour?: number;
  /**
   * Share of failed ATS writes (`AtsWriteFailed` / `AtsWrite`, in %) over 15 minutes at or above which the
   * alarm fires.
   * @default 20
   */
  readonly atsFailureRatePercent?: number;
  /**
   * ATS writes in 15 minutes below which the failure rate is not judged (one failed write of two is no trend).
   * @default 5
   */
  readonly atsMinimumWrites?: number;
  /**
   * Archive tasks failed permanently (`ArchiveFailed`) in 15 minutes at or above which the alarm fires.
   * @default 3
   */
  readonly archiveFailuresPer15Minutes?: number;
  /**
   * Events synced from the webhook alone because the vendor's API did not know the interview or report
   * (`EnrichmentNotFound`) or failed for good (`EnrichmentDegraded`), per hour, at or above which the alarm
   * fires: a key or base URL of another account or environment degrades every note, silently otherwise.
   * @default 5
   */
  readonly enrichmentFallbacksPerHour?: number;
  /**
   * p90 of `EndToEndLag` (vendor event → ATS write) above which the lag alarm fires, when it holds for two
   * 15-minute periods in a row.
   * @default Duration.minutes(15)
   */
  readonly endToEndLagP90?: Duration;
  /**
   * Errors plus throttles of one function in 5 minutes at or above which its alarm fires.
   * @default 1
   */
  readonly functionErrorsPer5Minutes?: number;
  /**
   * How long without an accepted webhook (`WebhookReceived`, test deliveries apart) before the silence
   * alarm fires: a vendor that stopped delivering, or a URL or secret changed on one side only. Whole hours,
   * at most 24 (CloudWatch evaluates at most a day).
   * @default undefined (no silence alarm: a quiet stage is not a broken one unless you say how quiet)
   */
  readonly webhookSilence?: Duration;
}

/** Every default of {@link AlarmThresholds}, in one place. */
export const alarmThresholdDefaults = {
  eventsQueueMaxAge: Duration.minutes(30),
  archiveQueueMaxAge: Duration.hours(3),
  deadLetterMaxAge: Duration.days(10),
  apiServerErrorsPer5Minutes: 5,
  webhookFailedPer5Minutes: 1,
  webhookThrottledPer5Minutes: 1,
  webhookAuthFailuresPer5Minutes: 20,
  webhookInvalidPer15Minutes: 1,
  webhookUnknownTypesPerHour: 1,
  atsFailureRatePercent: 20,
  atsMinimumWrites: 5,
  archiveFailuresPer15Minutes: 3,
  enrichmentFallbacksPerHour: 5,
  endToEndLagP90: Duration.minutes(15),
  functionErrorsPer5Minutes: 1,
} as const satisfies Required<Omit<AlarmThresholds, 'webhookSilence'>>;

export interface AlarmTopicProps {
  /**
   * E-mail address subscribed to the topic (it must confirm the subscription once).
   * @default undefined (no subscription: subscribe a pager or chat integration yourself)
   */
  readonly email?: string;
  /**
   * https endpoints subscribed to the topic (a pager's SNS integration), confirmed by the endpoint.
   * @default []
   */
  readonly webhookUrls?: readonly string[];
}

/**
 * The SNS topic every alarm notifies, encrypted and TLS-only.
 *
 * Encrypted with a customer-managed KMS key, not the AWS-managed `alias/aws/sns`: CloudWatch must be allowed
 * to use the key to publish to an encrypted topic, and an AWS-managed key's policy cannot be changed, so alarms
 * sent to a topic under `alias/aws/sns` are silently dropped. The key costs about 1 USD a month; its policy
 * adds what the CloudWatch documentation asks for (Decrypt and GenerateDataKey* for cloudwatch.amazonaws.com).
 */
export class AlarmTopic extends Construct {
  public readonly topic: Topic;
  public readonly key: Key;

  constructor(scope: Construct, id: string, props: AlarmTopicProps = {}) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      description: 'interview-sync: encrypts the alarm topic',
      enableKeyRotation: true,
      // Nothing outlives the topic under this key (SNS keeps no messages), so it goes with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        // This account's alarms only, as the topic's own policy says (no confused deputy on the key).
        conditions: {
          ArnLike: {
            'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*`,
          },
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        },
      }),
    );
    this.topic = new Topic(this, 'Topic', {
      displayName: 'interview-sync alarms',
      masterKey: this.key,
      enforceSSL: true,
    });
    // `enforceSSL` gives the topic a policy of its own, which replaces SNS's default one: allow CloudWatch
    // alarms of this account and region to publish, explicitly.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*`,
          },
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        },
      }),
    );
    if (props.email !== undefined) this.topic.addSubscription(new EmailSubscription(props.email));
    // Alarms nobody hears are no alarms: said at synth, as the archive says a vendor without media hosts.
    if (props.email === undefined && (props.webhookUrls ?? []).length === 0) {
      Annotations.of(this).addWarningV2(
        'interview-sync:alarms-notify-nobody',
        'no alarmEmail or alarmWebhookUrls: the alarms go to an SNS topic nobody is subscribed to. Set one, ' +
          'e.g. -c alarmEmail=oncall@example.com or -c alarmWebhookUrls=\'["https://…"]\'.',
      );
    }
    // Construct ids by position: a pager's URL holds its integration key, which a logical id made from it
    // would print in every stack event and resource listing.
    (props.webhookUrls ?? []).forEach((url, index) => {
      new Subscription(this, `Webhook${index}`, {
        topic: this.topic,
        protocol: SubscriptionProtocol.HTTPS,
        endpoint: url,
      });
    });
  }
}

export interface ServiceAlarmsProps {
  /** Stage name, part of every alarm's name (`interview-sync-<stage>-…`). */
  readonly stage: string;
  /** The stage's metrics namespace (`metricsNamespaceOf`): its functions' custom metrics. */
  readonly metricsNamespace: string;
  /** Where every alarm (and its return to OK) is sent. */
  readonly topic: AlarmTopic;
  readonly api: IHttpApi;
  /** The API's access log group (JSON lines with a string `status`): its 429s are counted from it. */
  readonly apiAccessLogGroup: ILogGroup;
  readonly ingestFunction: IFunction;
  readonly workerFunction: IFunction;
  readonly archiveFunction: IFunction;
  readonly eventsQueue: IQueue;
  readonly eventsDeadLetterQueue: IQueue;
  readonly archiveQueue: IQueue;
  readonly archiveDeadLetterQueue: IQueue;
  /**
   * @default alarmThresholdDefaults
   */
  readonly thresholds?: AlarmThresholds;
}

/** One alarm of the table. */
interface AlarmRow {
  /** Construct id; the alarm's name is `interview-sync-<stage>-<name>`. */
  readonly id: string;
  readonly name: string;
  readonly metric: IMetric;
  readonly threshold: number;
  readonly comparisonOperator: ComparisonOperator;
  /** @default 1 */
  readonly evaluationPeriods?: number;
  readonly treatMissingData: TreatMissingData;
  /** What the alarm means and what to do, in sentences; the runbook pointer is appended. */
  readonly description: string;
  readonly runbook: (typeof runbooks)[keyof typeof runbooks];
}

const oneMinute = Duration.minutes(1);
const fiveMinutes = Duration.minutes(5);
const fifteenMinutes = Duration.minutes(15);
const oneHour = Duration.hours(1);

export class ServiceAlarms extends Construct {
  /** Every alarm, in table order. */
  public readonly alarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: ServiceAlarmsProps) {
    super(scope, id);
    const limits = { ...alarmThresholdDefaults, ...definedOnly(props.thresholds ?? {}) };
    const humanAge = (age: Duration) => age.toHumanString();

    // Visible and in flight: a dead letter someone is reading (the console's poll, an erase's sweep) is hidden
    // for its visibility timeout, and counted by the visible metric alone the alarm would clear meanwhile.
    const deadLettersHeld = (queue: IQueue, name: string) =>
      new MathExpression({
        expression: 'FILL(visible, 0) + FILL(inFlight, 0)',
        usingMetrics: {
          visible: queue.metricApproximateNumberOfMessagesVisible({
            period: oneMinute,
            statistic: Stats.MAXIMUM,
          }),
          inFlight: queue.metricApproximateNumberOfMessagesNotVisible({
            period: oneMinute,
            statistic: Stats.MAXIMUM,
          }),
        },
        period: oneMinute,
        label: `${name} DLQ messages (visible + in flight)`,
      });
    const deadLettersSent = (queue: IQueue) =>
      queue.metricNumberOfMessagesSent({ period: fiveMinutes, statistic: Stats.SUM });
    const oldestMessageAge = (queue: IQueue, period: Duration) =>
      queue.metricApproximateAgeOfOldestMessage({ period, statistic: Stats.MAXIMUM });
    const errorsAndThrottles = (fn: IFunction, name: string) =>
      new MathExpression({
        expression: 'FILL(errors, 0) + FILL(throttles, 0)',
        usingMetrics: {
          errors: fn.metricErrors({ period: fiveMinutes, statistic: Stats.SUM }),
          throttles: fn.metricThrottles({ period: fiveMinutes, statistic: Stats.SUM }),
        },
        period: fiveMinutes,
        label: `${name} errors + throttles`,
      });

    // API Gateway answers a request over the stage's throttle with 429 before the ingest runs, and publishes
    // no metric of its own for it (its 4xx count mixes them with the ingest's refusals): the access log,
    // which logs every request, is where they are counted.
    const throttled = new MetricFilter(this, 'WebhookThrottledFilter', {
      logGroup: props.apiAccessLogGroup,
      filterPattern: FilterPattern.stringValue('$.status', '=', '429'),
      metricNamespace: props.metricsNamespace,
      metricName: webhookThrottledMetricName,
      metricValue: '1',
    });

    const rows: AlarmRow[] = [
      {
        id: 'EventsDeadLetterQueueNotEmpty',
        name: 'events-dlq-not-empty',
        metric: deadLettersHeld(props.eventsDeadLetterQueue, 'events'),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        // SQS stops publishing for a queue idle for six hours: an empty DLQ no one touches. A DLQ holding a
        // message keeps publishing, so missing data never hides a dead letter.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          'At least one interview event is in the events dead-letter queue: the worker gave up on it (a permanent ' +
          'error, or 10 failed receives), so some of its ATS writes are missing. Read its failureReason, fix the ' +
          'cause, then run `npm run ops -- redrive events`.',
        runbook: runbooks.eventsDeadLetters,
      },
      {
        id: 'ArchiveDeadLetterQueueNotEmpty',
        name: 'archive-dlq-not-empty',
        metric: deadLettersHeld(props.archiveDeadLetterQueue, 'archive'),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        // As for the events DLQ: an idle, empty queue stops publishing; one holding a message does not.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          'At least one archive task is in the archive dead-letter queue: a recording, answer audio or report ' +
          'was not copied to S3 (a media host not allowed, an expired URL, five failed attempts). Read its ' +
          'failureReason, fix the cause, then run `npm run ops -- redrive archive`.',
        runbook: runbooks.archiveDeadLetters,
      },
      // The not-empty alarms stay in ALARM while a known dead letter waits for its redrive, and say nothing of
      // the next ones: these fire on each new arrival. NumberOfMessagesSent counts the dead letters the worker
      // and the archive send (every one they give up on, with its reason); what SQS's own redrive moves (a
      // message the worker never got to answer for) is counted only by the not-empty alarms.
      {
        id: 'EventsDeadLettered',
        name: 'events-dead-lettered',
        metric: deadLettersSent(props.eventsDeadLetterQueue),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          'An interview event was dead-lettered in the last 5 minutes (also while older dead letters wait on ' +
          'the events DLQ, which keeps events-dlq-not-empty in ALARM). Read its failureReason, fix the cause, ' +
          'then run `npm run ops -- redrive events`.',
        runbook: runbooks.eventsDeadLetters,
      },
      {
        id: 'ArchiveDeadLettered',
        name: 'archive-dead-lettered',
        metric: deadLettersSent(props.archiveDeadLetterQueue),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          'An archive task was dead-lettered in the last 5 minutes (also while older dead letters wait on the ' +
          'archive DLQ, which keeps archive-dlq-not-empty in ALARM). Read its failureReason, fix the cause, ' +
          'then run `npm run ops -- redrive archive`.',
        runbook: runbooks.archiveDeadLetters,
      },
      {
        id: 'EventsDeadLettersAboutToExpire',
        name: 'events-dlq-about-to-expire',
        metric: oldestMessageAge(props.eventsDeadLetterQueue, fiveMinutes),
        threshold: limits.deadLetterMaxAge.toSeconds(),
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        // An empty DLQ has no oldest message and, idle, publishes nothing: nothing can expire.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          `An event has been dead-lettered for over ${humanAge(limits.deadLetterMaxAge)}; SQS deletes it 14 days ` +
          'after it was first queued. Redrive it now with `npm run ops -- redrive events`, or it can only be ' +
          'replayed from the raw event store while that keeps it.',
        runbook: runbooks.deadLettersExpiring,
      },
      {
        id: 'ArchiveDeadLettersAboutToExpire',
        name: 'archive-dlq-about-to-expire',
        metric: oldestMessageAge(props.archiveDeadLetterQueue, fiveMinutes),
        threshold: limits.deadLetterMaxAge.toSeconds(),
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        // As for the events DLQ: an empty, idle DLQ publishes nothing and nothing can expire.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          `An archive task has been dead-lettered for over ${humanAge(limits.deadLetterMaxAge)}; SQS deletes it ` +
          '14 days after it was first queued, and the vendor URL in it may stop working. Redrive it now with ' +
          '`npm run ops -- redrive archive`.',
        runbook: runbooks.deadLettersExpiring,
      },
      {
        id: 'EventsQueueBacklog',
        name: 'events-queue-backlog',
        metric: oldestMessageAge(props.eventsQueue, oneMinute),
        threshold: limits.eventsQueueMaxAge.toSeconds(),
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        // An idle, empty queue stops publishing; a backlog keeps the queue active, so it is always seen.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          `The oldest event on the events queue has waited over ${humanAge(limits.eventsQueueMaxAge)}: the ` +
          'worker is not taking events, or not fast enough (its trigger disabled, its concurrency at 0, a ' +
          'backlog its 5 batches at once cannot drain), so ATS updates are late. A worker failing every event ' +
          '(a crash at start, an ATS outage) shows as worker-errors or events-failing-repeatedly instead. Check ' +
          'the worker errors and logs and `npm run ops -- status`.',
        runbook: runbooks.eventsBacklog,
      },
      {
        id: 'ArchiveQueueBacklog',
        name: 'archive-queue-backlog',
        metric: oldestMessageAge(props.archiveQueue, oneMinute),
        threshold: limits.archiveQueueMaxAge.toSeconds(),
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        // As for the events queue: a backlog keeps the queue publishing.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          `The oldest archive task has waited over ${humanAge(limits.archiveQueueMaxAge)}: archive attempts keep ` +
          "failing (a vendor's media host down or refusing, expired URLs, timeouts on long recordings) or the " +
          'archive Lambda is not running. Check the archive logs and errors; vendor media URLs expire, so act ' +
          'before the tasks are dead-lettered.',
        runbook: runbooks.archiveBacklog,
      },
      {
        id: 'EventsFailingRepeatedly',
        name: 'events-failing-repeatedly',
        metric: serviceMetric(metrics.eventFailingRepeatedly, {
          namespace: props.metricsNamespace,
          period: fifteenMinutes,
        }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // Published only when an event fails again: no datapoint, nothing failing.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          'An event failed again on its third or later attempt (12 minutes or more after it arrived, about 30 s ' +
          'for one throttled with a short Retry-After): its ATS ' +
          "update is late and it heads for the DLQ. SQS's queue-age metric stops counting a message received " +
          'three times, so the backlog alarm does not see it. Check the worker logs ("event will be retried": ' +
          'the error) and `npm run ops -- status`.',
        runbook: runbooks.eventsBacklog,
      },
      {
        id: 'ArchiveTasksFailingRepeatedly',
        name: 'archive-tasks-failing-repeatedly',
        metric: serviceMetric(metrics.archiveTaskFailingRepeatedly, {
          namespace: props.metricsNamespace,
          period: fifteenMinutes,
        }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // As above: published only when a task fails again.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          'An archive task failed again on its second or later attempt (90 minutes or more late); the queue-age ' +
          'metric stops counting a task received three times, so the archive backlog alarm may not see it. ' +
          'Vendor media URLs expire: check the archive logs ("archive task will be retried": the error).',
        runbook: runbooks.archiveBacklog,
      },
      {
        id: 'ApiServerErrors',
        name: 'api-5xx',
        metric: props.api.metricServerError({ period: fiveMinutes, statistic: Stats.SUM }),
        threshold: limits.apiServerErrorsPer5Minutes,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // API Gateway publishes nothing for a period without requests: no requests, no errors.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          `The webhook API answered ${limits.apiServerErrorsPer5Minutes} or more deliveries with a 5xx within 5 ` +
          'minutes: the ingest could not queue or store them (SQS or S3 refused, the function crashed or was ' +
          'throttled). Vendors retry for a while only; find the cause in the ingest logs now.',
        runbook: runbooks.apiServerErrors,
      },
      {
        id: 'WebhookNotQueued',
        name: 'webhook-not-queued',
        metric: serviceMetric(metrics.webhookFailed, {
          namespace: props.metricsNamespace,
          period: fiveMinutes,
        }),
        threshold: limits.webhookFailedPer5Minutes,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // Published only when the ingest answers 503: no datapoint, nothing refused.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          `The ingest answered ${limits.webhookFailedPer5Minutes} or more deliveries 503 within 5 minutes: SQS (or ` +
          'S3, for a claim check) refused to queue them. api-5xx waits for more, but micro1 documents no retry, so ' +
          'one may be an event lost. Read "webhook not queued" in the ingest logs (its cause) and fix it.',
        runbook: runbooks.apiServerErrors,
      },
      {
        id: 'WebhookThrottled',
        name: 'webhook-throttled',
        metric: throttled.metric({ period: fiveMinutes, statistic: Stats.SUM }),
        threshold: limits.webhookThrottledPer5Minutes,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // The filter publishes only for a matching line: no 429, no datapoint.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          `API Gateway refused ${limits.webhookThrottledPer5Minutes} or more deliveries with 429 within 5 minutes: ` +
          "a vendor's traffic went over the route's throttle before the ingest could see it. Vendors that " +
          'retry send them again later; find the route in the access log, and raise the throttle ' +
          '(lib/resources.ts) if the traffic is genuine.',
        runbook: runbooks.webhookThrottled,
      },
      {
        id: 'WebhookAuthFailures',
        name: 'webhook-auth-failures',
        metric: serviceMetric(metrics.webhookAuthFailed, {
          namespace: props.metricsNamespace,
          period: fiveMinutes,
        }),
        threshold: limits.webhookAuthFailuresPer5Minutes,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // Powertools publishes the counter only when a delivery is refused: no datapoint, no failure.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          `${limits.webhookAuthFailuresPer5Minutes} or more deliveries within 5 minutes failed the ROUND0 signature ` +
          'or micro1 token check: a vendor secret rotated without updating the webhook secret, or someone ' +
          "probing the URLs. Genuine deliveries are being refused: find the vendor on the dashboard's " +
          'WebhookAuthFailed by vendor, then fix the webhook secret or rotate a leaked token.',
        runbook: runbooks.webhookAuthFailures,
      },
      {
        id: 'WebhookInvalid',
        name: 'webhook-invalid',
        metric: serviceMetric(metrics.webhookInvalid, {
          namespace: props.metricsNamespace,
          period: fifteenMinutes,
        }),
        threshold: limits.webhookInvalidPer15Minutes,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // Published only when a delivery is refused: no datapoint, nothing refused.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          `${limits.webhookInvalidPer15Minutes} or more authenticated deliveries within 15 minutes were refused ` +
          "(400) as not JSON or against the vendor's schema: the vendor changed its payload, or this version " +
          'reads it wrong. The vendor does not send a refused event again and the raw event store never saw it: ' +
          'read the path named by "webhook refused" in the ingest logs, fix the schema, deploy, then ask the ' +
          'vendor to resend.',
        runbook: runbooks.webhookInvalid,
      },
      {
        id: 'WebhookUnknownTypes',
        name: 'webhook-unknown-types',
        metric: serviceMetric(metrics.webhookUnknownType, {
          namespace: props.metricsNamespace,
          period: oneHour,
        }),
        threshold: limits.webhookUnknownTypesPerHour,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // Published only when such an event arrives: no datapoint, none arrived.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          `${limits.webhookUnknownTypesPerHour} or more accepted events within an hour were of a type this ` +
          'version does not know: the vendor added one, and the worker acknowledged them without effect. They are ' +
          'in the raw event store: once a version handles the type, replay them with ' +
          '`npm run ops -- replay --vendor <v> --since <iso> --type <type>` (no --force: nothing marked them done).',
        runbook: runbooks.webhookUnknownTypes,
      },
      {
        id: 'AtsFailureRate',
        name: 'ats-failure-rate',
        metric: atsFailureRate(props.metricsNamespace, limits.atsMinimumWrites, 'ATS write failure rate (%)'),
        threshold: limits.atsFailureRatePercent,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No ATS writes in a period (no interviews, or a stopped worker, which the backlog alarm sees): there
        // is no rate to judge.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          `${limits.atsFailureRatePercent}% or more of the ATS calls failed over 15 minutes (with at least ` +
          `${limits.atsMinimumWrites} calls, the failed ones counted): the ATS is down or rate limiting, or refuses the credentials, the ` +
          'user or an id in the configuration. Run `npm run ops -- doctor` against the stage and read the ' +
          'worker logs; failed writes are retried, then dead-lettered.',
        runbook: runbooks.atsFailureRate,
      },
      {
        id: 'ArchiveFailures',
        name: 'archive-failures',
        metric: serviceMetric(metrics.archiveFailed, {
          namespace: props.metricsNamespace,
          period: fifteenMinutes,
        }),
        threshold: limits.archiveFailuresPer15Minutes,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // Published only when a task fails: no datapoint, no failure.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          `${limits.archiveFailuresPer15Minutes} or more archive tasks failed permanently within 15 minutes: ` +
          'something systematic, not one bad file (a media host missing from archiveMediaHosts, the vendor API ' +
          'key, the bucket). Find the common failureReason, fix it, then `npm run ops -- redrive archive`.',
        runbook: runbooks.archiveFailures,
      },
      {
        id: 'EnrichmentFallbacks',
        name: 'enrichment-fallbacks',
        metric: new MathExpression({
          expression: 'FILL(notFound, 0) + FILL(degraded, 0)',
          usingMetrics: {
            notFound: serviceMetric(metrics.enrichmentNotFound, {
              namespace: props.metricsNamespace,
              period: oneHour,
            }),
            degraded: serviceMetric(metrics.enrichmentDegraded, {
              namespace: props.metricsNamespace,
              period: oneHour,
            }),
          },
          period: oneHour,
          label: "Events synced without the vendor's API",
        }),
        threshold: limits.enrichmentFallbacksPerHour,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // Published only when an event falls back: no datapoint, nothing fell back.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          `${limits.enrichmentFallbacksPerHour} or more events within an hour were synced from the webhook ` +
          "alone: the vendor's API did not know them (404) or refused the key or request for good. Notes are " +
          'written once, so these stay without what the API adds (all the answers, fresh audio URLs). Usually a ' +
          'vendor API key or base URL of another account or environment: check the vendor API secret and the ' +
          'stage settings.',
        runbook: runbooks.enrichmentFallbacks,
      },
      {
        id: 'EndToEndLag',
        name: 'end-to-end-lag',
        metric: serviceMetric(metrics.endToEndLag, {
          namespace: props.metricsNamespace,
          period: fifteenMinutes,
          statistic: Stats.p(90),
        }),
        threshold: limits.endToEndLagP90.toMilliseconds(),
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 2,
        // Lag is measured at each ATS write; no writes, no lag to judge (a stuck worker shows as a backlog).
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          `For 30 minutes, 9 in 10 ATS writes came more than ${humanAge(limits.endToEndLagP90)} after the ` +
          "vendor's event: recruiters see results late. Look at the events queue age, the worker's duration " +
          "and throttles, the ATS's rate limiting (Retry-After) and whether one vendor delivers late.",
        runbook: runbooks.endToEndLag,
      },
      ...(
        [
          ['IngestErrors', 'ingest', props.ingestFunction],
          ['WorkerErrors', 'worker', props.workerFunction],
          ['ArchiveErrors', 'archive', props.archiveFunction],
        ] as const
      ).map(
        ([id, name, fn]): AlarmRow => ({
          id,
          name: `${name}-errors`,
          metric: errorsAndThrottles(fn, name),
          threshold: limits.functionErrorsPer5Minutes,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          // Lambda publishes Errors and Throttles only for invocations: none, nothing failed.
          treatMissingData: TreatMissingData.NOT_BREACHING,
          description:
            `The ${name} Lambda failed or was throttled: an unhandled error, a timeout or a crash at start (bad ` +
            'configuration, a secret that is not valid JSON), or the account concurrency limit. Handled failures ' +
            'do not count here, so each one is a bug or a broken setting: read the function logs.',
          runbook: runbooks.lambdaErrors,
        }),
      ),
      {
        id: 'AlarmNotificationsFailed',
        name: 'alarm-notifications-failed',
        // SNS counts a delivery failed once its retries (a pager's HTTPS endpoint: its delivery policy) are spent.
        metric: props.topic.topic.metricNumberOfNotificationsFailed({
          period: fiveMinutes,
          statistic: Stats.SUM,
        }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // SNS publishes nothing for a period without notifications: none sent, none failed.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          "SNS could not deliver an alarm notification to one of the alarm topic's subscribers (a pager URL " +
          'refusing, down or rotated): an alarm may have paged nobody. This one reaches the subscribers that ' +
          'work; check the alarm list in the console and the subscriptions (alarmEmail, alarmWebhookUrls).',
        runbook: runbooks.notificationsFailed,
      },
      ...(limits.webhookSilence === undefined
        ? []
        : [silenceRow(limits.webhookSilence, props.metricsNamespace)]),
    ];

    const action = new SnsAction(props.topic.topic);
    this.alarms = rows.map((row) => {
      const alarm = new Alarm(this, row.id, {
        alarmName: `interview-sync-${props.stage}-${row.name}`,
        alarmDescription: `${row.description} Runbook: README.md#${row.runbook}`,
        metric: row.metric,
        threshold: row.threshold,
        comparisonOperator: row.comparisonOperator,
        evaluationPeriods: row.evaluationPeriods ?? 1,
        treatMissingData: row.treatMissingData,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      return alarm;
    });
  }
}

/**
 * The silence alarm: no accepted webhook for `silence`, judged on hourly sums. Missing data is breaching
 * here, as it is the very thing watched: Powertools publishes `WebhookReceived` only when one arrives.
 */
const silenceRow = (silence: Duration, namespace: string): AlarmRow => {
  const hours = silence.toHours({ integral: false });
  if (!Number.isInteger(hours) || hours < 1 || hours > 24) {
    throw new Error(`webhookSilence must be whole hours from 1 to 24, got ${silence.toHumanString()}`);
  }
  return {
    id: 'WebhookSilence',
    name: 'webhook-silence',
    metric: serviceMetric(metrics.webhookReceived, { namespace, period: oneHour }),
    threshold: 1,
    comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
    evaluationPeriods: hours,
    treatMissingData: TreatMissingData.BREACHING,
    description:
      `No webhook was accepted for ${silence.toHumanString()}: a vendor stopped delivering, or its webhook URL ` +
      'or secret was changed on one side only (refused deliveries show as WebhookRejected). Check the vendor ' +
      "dashboards' delivery logs against `npm run ops -- urls`, and the ingest's WebhookRejected by reason.",
    runbook: runbooks.webhookSilence,
  };
};

/** `thresholds` without its `undefined` members, so a spread cannot unset a default. */
const definedOnly = <T extends object>(value: T): Partial<T> =>
  Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as Partial<T>;
