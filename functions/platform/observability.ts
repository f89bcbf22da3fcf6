/**
 * Powertools Logger and Metrics, one pair per function. Service name and metrics namespace come from
 * `POWERTOOLS_SERVICE_NAME` / `POWERTOOLS_METRICS_NAMESPACE` when set (the CDK stack sets them).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/** CloudWatch namespace of every interview-sync metric. */
export const metricsNamespace = 'InterviewSync';

export const createLogger = (serviceName: string): Logger =>
  new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? serviceName });

export const createMetrics = (serviceName: string): Metrics =>
  new Metrics({
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? serviceName,
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? metricsNamespace,
  });
