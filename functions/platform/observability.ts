/**
 * Powertools Logger, Metrics and Tracer, one set per function. Service name and metrics namespace come from
 * `POWERTOOLS_SERVICE_NAME` / `POWERTOOLS_METRICS_NAMESPACE` when set (the CDK stack sets them).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/** CloudWatch namespace of every interview-sync metric. */
export const metricsNamespace = 'InterviewSync';

export const createLogger = (serviceName: string): Logger =>
  new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? serviceName });

export const createMetrics = (serviceName: string): Metrics =>
  new Metrics({
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? serviceName,
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? metricsNamespace,
  });

/**
 * X-Ray tracing (the CDK stack turns active tracing on). Response capture is off: responses carry
 * candidate data, and traces must hold no PII. Outside Lambda (tests, `npm start`) Tracer disables itself.
 */
export const createTracer = (serviceName: string): Tracer =>
  new Tracer({
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? serviceName,
    captureHTTPsRequests: false,
  });
