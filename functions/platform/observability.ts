/**
 * Powertools Logger, Metrics and Tracer, one set per function. Service name and metrics namespace come from
 * `POWERTOOLS_SERVICE_NAME` / `POWERTOOLS_METRICS_NAMESPACE` when set (the CDK stack sets them).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { MetricService, ServiceMetrics } from './metrics.js';

/** CloudWatch namespace of every interview-sync metric. */
export const metricsNamespace = 'InterviewSync';

export const createLogger = (serviceName: string): Logger =>
  new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? serviceName });

/**
 * The metrics of one service, branded with it so that `recordMetric` (`metrics.ts`) accepts only that
 * service's specs from `metric-names.ts`.
 */
export const createMetrics = <Service extends MetricService>(serviceName: Service): ServiceMetrics<Service> =>
  new Metrics({
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? serviceName,
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? metricsNamespace,
  }) as ServiceMetrics<Service>;

/**
 * X-Ray tracing (the CDK stack turns active tracing on). Response capture is off: responses carry
 * candidate data, and traces must hold no PII. Outside Lambda (tests, `npm start`) Tracer disables itself.
 */
export const createTracer = (serviceName: string): Tracer =>
  new Tracer({
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? serviceName,
    captureHTTPsRequests: false,
  });
