/**
 * The CloudWatch dashboard operators watch: the front door (API Gateway, ingest), the queue (depth, age,
 * DLQ), the worker, the archive (its queue, DLQ and Lambda), and what the service itself counts (accepted,
 * refused, duplicates, unmatched, dead-lettered). Custom metric names are the ones the handlers emit
 * through Powertools Metrics.
 */
import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IAlarm,
  type IMetric,
  Metric,
  Stats,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { resources } from '../resources.js';

export interface ServiceDashboardProps {
  readonly api: HttpApi;
  readonly ingestFunction: IFunction;
  readonly workerFunction: IFunction;
  readonly archiveFunction: IFunction;
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly archiveQueue: IQueue;
  readonly archiveDeadLetterQueue: IQueue;
  readonly alarms: readonly IAlarm[];
}

/** Metrics the ingest Lambda emits (functions/ingest.ts). */
export const ingestMetricNames = [
  'WebhookAccepted',
  'WebhookUnknownType',
  'WebhookClaimCheck',
  'WebhookRefused',
  'WebhookFailed',
] as const;
/** Metrics the worker Lambda emits (functions/worker.ts). */
export const workerMetricNames = [
  'EventSynced',
  'EventIgnored',
  'DuplicateEvent',
  'EventRetried',
  'CandidateUnmatched',
  'EventDeadLettered',
] as const;

/** Metrics the archive Lambda emits (functions/archive.ts). */
export const archiveMetricNames = ['ArchiveObjects', 'ArchiveBytes', 'ArchiveFailed', 'SsrfRefused'] as const;

const period = Duration.minutes(1);

/** A service metric as Powertools publishes it: namespace, and the `service` dimension. */
const serviceMetric = (serviceName: string, metricName: string): IMetric =>
  new Metric({
    namespace: resources.metricsNamespace,
    metricName,
    dimensionsMap: { service: serviceName },
    statistic: Stats.SUM,
    period,
  });

export class ServiceDashboard extends Construct {
  public readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ServiceDashboardProps) {
    super(scope, id);
    const { api, ingestFunction, workerFunction, archiveFunction, queue, deadLetterQueue } = props;
    const { archiveQueue, archiveDeadLetterQueue } = props;
    const graph = (title: string, left: IMetric[], right: IMetric[] = []) =>
      new GraphWidget({ title, left, right, width: 8, height: 6 });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: 3 })],
        [
          graph(
            'Webhooks (API Gateway)',
            [
              api.metricCount({ period }),
              api.metricClientError({ period }),
              api.metricServerError({ period }),
            ],
            [api.metricLatency({ period, statistic: Stats.p(99) })],
          ),
          graph(
            'Ingest outcomes',
            ingestMetricNames.map((name) => serviceMetric(resources.ingest.serviceName, name)),
          ),
          graph(
            'Ingest Lambda',
            [ingestFunction.metricErrors({ period }), ingestFunction.metricThrottles({ period })],
            [ingestFunction.metricDuration({ period, statistic: Stats.p(99) })],
          ),
        ],
        [
          graph(
            'Events queue',
            [queue.metricApproximateNumberOfMessagesVisible({ period })],
            [queue.metricApproximateAgeOfOldestMessage({ period })],
          ),
          graph(
            'Worker outcomes',
            workerMetricNames.map((name) => serviceMetric(resources.worker.serviceName, name)),
            [deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, label: 'DLQ messages' })],
          ),
          graph(
            'Worker Lambda',
            [
              workerFunction.metricInvocations({ period }),
              workerFunction.metricErrors({ period }),
              workerFunction.metricThrottles({ period }),
            ],
            [workerFunction.metricDuration({ period, statistic: Stats.p(99) })],
          ),
        ],
        [
          graph(
            'Archive queue',
            [archiveQueue.metricApproximateNumberOfMessagesVisible({ period })],
            [archiveQueue.metricApproximateAgeOfOldestMessage({ period })],
          ),
          // Counts on the left; bytes, another unit, on the right axis.
          graph(
            'Archive outcomes',
            [
              ...archiveMetricNames
                .filter((name) => name !== 'ArchiveBytes')
                .map((name) => serviceMetric(resources.archive.serviceName, name)),
              archiveDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
                period,
                label: 'Archive DLQ messages',
              }),
            ],
            [serviceMetric(resources.archive.serviceName, 'ArchiveBytes')],
          ),
          graph(
            'Archive Lambda',
            [
              archiveFunction.metricInvocations({ period }),
              archiveFunction.metricErrors({ period }),
              archiveFunction.metricThrottles({ period }),
            ],
            [archiveFunction.metricDuration({ period, statistic: Stats.p(99) })],
          ),
        ],
      ],
    });
  }
}
