/**
 * CloudWatch metrics of interview-sync's own counters, built from `functions/platform/metric-names.ts` (the
 * one list the handlers emit from), so the dashboard and the alarms cannot name a metric no handler emits.
 */
import { Duration } from 'aws-cdk-lib';
import { Metric, Stats } from 'aws-cdk-lib/aws-cloudwatch';
import type { MetricSpec } from '../../functions/platform/metric-names.js';

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
