/**
 * The CloudWatch dashboard of a stage (stateless stack), built with cdk-monitoring-constructs'
 * `MonitoringFacade`, top to bottom:
 *
 * - alarm status: the stage's alarms (`ServiceAlarms`, hand-built: see lib/constructs/alarms.ts), hand-built
 *   as one `AlarmStatusWidget` segment because the facade only lists alarms it created itself;
 * - the HTTP API (requests, 4xx, 5xx, latency percentiles), the three functions (invocations, errors,
 *   throttles, p50/p90/p99 duration, concurrent executions), both queues with their DLQs (depth, oldest
 *   message age, DLQ depth and age) and the ledger table (throttles, latency, capacity): the library's
 *   `monitor*` segments, as they are;
 * - after each queue's segments, what the queue holds by state (visible, in flight, delayed) and what its DLQ
 *   holds (visible + in flight, as its alarm counts), which the library's queue graphs leave out;
 * - every metric of `functions/platform/metric-names.ts`, through the library's custom monitoring: the
 *   aggregate by `service` (one graph per service and unit, since counts, bytes and milliseconds share no
 *   axis), `EndToEndLag` p50/p90/p99, the ATS failure rate (the alarm's metric math), and one breakdown graph
 *   per metric with breakdown dimensions, as a `SEARCH` over exactly those dimensions (so new vendors,
 *   reasons or providers appear without a deploy).
 */
import { Aws, Duration } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  AlarmStatusWidget,
  type IAlarm,
  MathExpression,
  type Metric,
  Stats,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import {
  type CustomMetric,
  type CustomMetricGroup,
  type CustomMonitoringProps,
  DashboardRenderingPreference,
  DefaultDashboardFactory,
  GraphWidgetType,
  MetricStatistic,
  MonitoringFacade,
  SingleWidgetDashboardSegment,
} from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import { type MetricSpec, metrics } from '../../functions/platform/metric-names.js';
import { resources } from '../resources.js';
import { atsFailureRate, serviceMetric } from './service-metrics.js';

export interface ServiceDashboardProps {
  /** CloudWatch dashboard name (unique in the account: dashboards are not regional). */
  readonly dashboardName: string;
  /** The stage's metrics namespace (`metricsNamespaceOf`): its functions' custom metrics. */
  readonly metricsNamespace: string;
  readonly api: IHttpApi;
  readonly ingestFunction: IFunction;
  readonly workerFunction: IFunction;
  readonly archiveFunction: IFunction;
  readonly eventsQueue: IQueue;
  readonly eventsDeadLetterQueue: IQueue;
  readonly archiveQueue: IQueue;
  readonly archiveDeadLetterQueue: IQueue;
  readonly ledgerTable: ITable;
  /** Shown in the alarm-status widget at the top. */
  readonly alarms: readonly IAlarm[];
  /**
   * Minimum ATS writes per period for the failure rate graph (the ATS failure-rate alarm's minimum).
   * @default 5
   */
  readonly atsMinimumWrites?: number;
}

/** Period of the custom metric graphs: the alarms' shortest custom-metric period. */
const period = Duration.minutes(5);

const services = [
  resources.ingest.serviceName,
  resources.worker.serviceName,
  resources.archive.serviceName,
] as const;

/** The metrics of `metric-names.ts` a service publishes, grouped by unit (one graph per unit). */
const byServiceAndUnit = (service: string): Map<MetricSpec['unit'], MetricSpec[]> => {
  const groups = new Map<MetricSpec['unit'], MetricSpec[]>();
  for (const spec of Object.values(metrics) as MetricSpec[]) {
    if (spec.service !== service) continue;
    groups.set(spec.unit, [...(groups.get(spec.unit) ?? []), spec]);
  }
  return groups;
};

/** The statistic a metric is graphed with: a sum for counts and bytes, the p90 for durations (as alarmed). */
const statisticOf = (spec: MetricSpec): MetricStatistic =>
  spec.unit === 'Milliseconds' ? MetricStatistic.P90 : MetricStatistic.SUM;

/**
 * The breakdown of a metric: a `SEARCH` over the metric with exactly the `service` and breakdown dimensions
 * (the breakdown set of the EMF lines the handlers publish, functions/platform/metrics.ts), one line per
 * dimension value set.
 */
const breakdownSearch = (
  namespace: string,
  spec: MetricSpec & { breakdown: readonly string[] },
): CustomMetric => ({
  namespace,
  searchQuery: `MetricName="${spec.name}"`,
  dimensionsMap: {
    service: spec.service,
    ...Object.fromEntries(spec.breakdown.map((dimension) => [dimension, undefined])),
  },
  statistic: statisticOf(spec),
  period,
});

/**
 * What a queue and its DLQ hold, by state. The library's queue graphs count visible messages only, but the
 * worker hides a retried event for up to 3 h (`ChangeMessageVisibility`, functions/queue/redelivery.ts) and
 * the archive defers a busy asset for up to 15 min (`DelaySeconds`, functions/archive/busy-wait.ts): during an
 * ATS outage or rate limiting a queue reads 0 visible while it holds hundreds of events. Stacked, so the top
 * is all the queue holds. The DLQ graph is what its `*-dlq-not-empty` alarm counts (visible + in flight,
 * lib/constructs/alarms.ts): maxima over this file's 5 minutes, never below the alarm's 1-minute maxima.
 */
const messagesByState = (name: string, queue: IQueue, deadLetterQueue: IQueue): CustomMonitoringProps => {
  const max = (label: string) => ({ statistic: Stats.MAXIMUM, period, label });
  return {
    humanReadableName: `${name}: messages by state`,
    alarmFriendlyName: `${name} messages by state`,
    metricGroups: [
      {
        title: 'Visible, in flight and delayed (max, stacked)',
        graphWidgetType: GraphWidgetType.STACKED_AREA,
        metrics: [
          queue.metricApproximateNumberOfMessagesVisible(max('Visible')),
          queue.metricApproximateNumberOfMessagesNotVisible(max('In flight (processing or held for retry)')),
          queue.metricApproximateNumberOfMessagesDelayed(max('Delayed')),
        ],
      },
      {
        title: 'DLQ: visible + in flight (max, as alarmed)',
        metrics: [
          new MathExpression({
            expression: 'FILL(visible, 0) + FILL(inFlight, 0)',
            usingMetrics: {
              visible: deadLetterQueue.metricApproximateNumberOfMessagesVisible(max('Visible')),
              inFlight: deadLetterQueue.metricApproximateNumberOfMessagesNotVisible(max('In flight')),
            },
            period,
            label: 'Visible + in flight',
          }),
        ],
      },
    ],
  };
};

export class ServiceDashboard extends Construct {
  public readonly facade: MonitoringFacade;
  /** The stage's metrics namespace. */
  private readonly namespace: string;
  public readonly dashboardFactory: DefaultDashboardFactory;

  constructor(scope: Construct, id: string, props: ServiceDashboardProps) {
    super(scope, id);
    this.namespace = props.metricsNamespace;
    const atsMinimumWrites = props.atsMinimumWrites ?? 5;

    this.dashboardFactory = new DefaultDashboardFactory(this, 'Dashboards', {
      dashboardNamePrefix: props.dashboardName,
      createDashboard: true,
      // One dashboard: the summary and alarm dashboards would repeat it under two more names.
      createSummaryDashboard: false,
      createAlarmDashboard: false,
      renderingPreference: DashboardRenderingPreference.INTERACTIVE_ONLY,
      detailDashboardRange: Duration.hours(3),
    });
    this.facade = new MonitoringFacade(this, 'Monitoring', {
      metricFactoryDefaults: { namespace: props.metricsNamespace, period },
      dashboardFactory: this.dashboardFactory,
    });
    const facade = this.facade;

    facade.addSegment(
      new SingleWidgetDashboardSegment(
        new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: 4 }),
      ),
    );

    facade.addLargeHeader('Front door: webhooks API and ingest');
    facade.monitorApiGatewayV2HttpApi({ api: props.api, humanReadableName: 'Webhooks HTTP API' });
    facade.monitorLambdaFunction({
      lambdaFunction: props.ingestFunction,
      humanReadableName: 'Ingest Lambda',
      // SQS and API Gateway invoke it: no stream, no iterator age.
      isIterator: false,
    });
    facade.monitorCustom(this.serviceMetrics(resources.ingest.serviceName, 'Ingest metrics', []));

    facade.addLargeHeader('Sync: events queue, worker, ledger, ATS');
    facade.monitorSqsQueueWithDlq({
      queue: props.eventsQueue,
      deadLetterQueue: props.eventsDeadLetterQueue,
      humanReadableName: 'Events queue',
    });
    facade.monitorCustom(messagesByState('Events queue', props.eventsQueue, props.eventsDeadLetterQueue));
    facade.monitorLambdaFunction({
      lambdaFunction: props.workerFunction,
      humanReadableName: 'Worker Lambda',
      // SQS and API Gateway invoke it: no stream, no iterator age.
      isIterator: false,
    });
    facade.monitorCustom(
      this.serviceMetrics(resources.worker.serviceName, 'Worker metrics', [
        {
          title: 'EndToEndLag (vendor event → ATS write)',
          metrics: [MetricStatistic.P50, MetricStatistic.P90, MetricStatistic.P99].map((statistic) =>
            serviceMetric(metrics.endToEndLag, {
              namespace: props.metricsNamespace,
              statistic,
              period,
              label: `EndToEndLag ${statistic}`,
            }),
          ),
        },
        {
          title: 'ATS write failure rate (%)',
          metrics: [
            // The alarm's rate: over its 15 minutes, in which its minimum volume is counted.
            atsFailureRate(props.metricsNamespace, atsMinimumWrites, 'AtsWriteFailed / AtsWrite (%)'),
          ],
        },
      ]),
    );
    facade.monitorDynamoTable({ table: props.ledgerTable, humanReadableName: 'Ledger table' });

    facade.addLargeHeader('Archive: archive queue, archive Lambda');
    facade.monitorSqsQueueWithDlq({
      queue: props.archiveQueue,
      deadLetterQueue: props.archiveDeadLetterQueue,
      humanReadableName: 'Archive queue',
    });
    facade.monitorCustom(messagesByState('Archive queue', props.archiveQueue, props.archiveDeadLetterQueue));
    facade.monitorLambdaFunction({
      lambdaFunction: props.archiveFunction,
      humanReadableName: 'Archive Lambda',
      // SQS and API Gateway invoke it: no stream, no iterator age.
      isIterator: false,
    });
    facade.monitorCustom(this.serviceMetrics(resources.archive.serviceName, 'Archive metrics', []));
  }

  /**
   * One custom-monitoring section per service: the aggregates by unit, `extra` groups, then one breakdown
   * graph per metric that has breakdown dimensions.
   */
  private serviceMetrics(service: (typeof services)[number], title: string, extra: CustomMetricGroup[]) {
    const aggregates: CustomMetricGroup[] = [...byServiceAndUnit(service)].map(([unit, specs]) => ({
      title: `${title} (${unit === 'Count' ? 'sum' : unit === 'Bytes' ? 'bytes, sum' : 'p90, ms'})`,
      metrics: specs.map(
        (spec): Metric =>
          serviceMetric(spec, { namespace: this.namespace, statistic: statisticOf(spec), period }),
      ),
    }));
    const breakdowns: CustomMetricGroup[] = (Object.values(metrics) as MetricSpec[])
      .filter(
        (spec): spec is MetricSpec & { breakdown: readonly string[] } =>
          spec.service === service && spec.breakdown !== undefined,
      )
      .map((spec) => ({
        title: `${spec.name} by ${spec.breakdown.join(', ')}`,
        metrics: [breakdownSearch(this.namespace, spec)],
      }));
    return {
      humanReadableName: title,
      alarmFriendlyName: title,
      metricGroups: [...aggregates, ...extra, ...breakdowns],
    };
  }
}

/** The console URL of a dashboard in the stack's region (the commercial partition's console). */
export const dashboardUrl = (dashboardName: string): string =>
  `https://console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${dashboardName}`;
