/**
 * CloudWatch metrics of interview-sync's own counters, built from `functions/platform/metric-names.ts` (the
 * one list the handlers emit from), so the dashboard and the alarms cannot name a metric no handler emits.
 */
import { Duration } from 'aws-cdk-lib';
import { MathExpression, Metric, Stats } from 'aws-cdk-lib/aws-cloudwatch';
import { type MetricSpec, metrics } from '../../functions/platform/metric-names.js';

export interface ServiceMetricOptions {
  /** The stage's namespace (`metricsNamespaceOf`). */
  readonly namespace: string;
  /**
   * @default Stats.SUM
   */
  readonly statistic?: string;
  /**
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;
  /**
   * @default none (graphs show the metric's name; an alarm on a labelled metric renders as metric math)
   */
  readonly label?: string;
}

/**
 * The aggregate of a metric: the line Powertools publishes with the `service` dimension only. No unit filter:
 * an alarm or graph with one only sees datapoints published with exactly that unit.
 */
export const serviceMetric = (spec: MetricSpec, options: ServiceMetricOptions): Metric =>
  new Metric({
    namespace: options.namespace,
    metricName: spec.name,
    dimensionsMap: { service: spec.service },
    statistic: options.statistic ?? Stats.SUM,
    period: options.period ?? Duration.minutes(5),
    label: options.label,
  });

/** The period the ATS failure rate is judged (alarm) and graphed (dashboard) over. */
export const atsFailureRatePeriod = Duration.minutes(15);

/**
 * Failed ATS writes as a share of those tried, in %, over 15 minutes; 0 below `minimumWrites` (one failed
 * write of two is no trend). The one definition the alarm judges and the dashboard graphs, so the graph
 * shows the rate the alarm sees.
 */
export const atsFailureRate = (namespace: string, minimumWrites: number, label: string): MathExpression =>
  new MathExpression({
    expression: `IF(writes >= ${minimumWrites}, 100 * FILL(failed, 0) / writes, 0)`,
    usingMetrics: {
      writes: serviceMetric(metrics.atsWrite, { namespace, period: atsFailureRatePeriod }),
      failed: serviceMetric(metrics.atsWriteFailed, { namespace, period: atsFailureRatePeriod }),
    },
    period: atsFailureRatePeriod,
    label,
  });
