/**
 * Powertools Logger, Metrics and Tracer, one set per function. Service name and metrics namespace come from
 * `POWERTOOLS_SERVICE_NAME` / `POWERTOOLS_METRICS_NAMESPACE` when set (the CDK stack sets them).
 */

import type { MiddlewareLikeObj } from '@aws-lambda-powertools/commons/types';
import { LogFormatter, Logger, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { instrumentClients } from './clients.js';
import { ContractMetrics, type MetricService, type ServiceMetrics } from './metrics.js';

/** CloudWatch namespace of every interview-sync metric. */
export const metricsNamespace = 'InterviewSync';

/**
 * Powertools' standard entry without the keys every line of a function's log group repeats to no purpose:
 * `function_name`, `function_arn` and `function_memory_size` (the log group is the function's, and its
 * configuration does not change between lines) and `sampling_rate` (no debug sampling is configured). About
 * 230 bytes of each ~600-byte line, and CloudWatch Logs bills ingestion by the byte. Kept, in Powertools'
 * names: level, message, timestamp, service, cold_start, function_request_id, xray_trace_id (when
 * traced), tenant_id, and every key the code adds.
 */
export class LeanLogFormatter extends LogFormatter {
  formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        service: attributes.serviceName,
        cold_start: attributes.lambdaContext?.coldStart,
        function_request_id: attributes.lambdaContext?.awsRequestId,
        xray_trace_id: attributes.xRayTraceId,
        tenant_id: attributes.lambdaContext?.tenantId,
      },
    }).addAttributes(additional);
  }
}

export const createLogger = (serviceName: string): Logger =>
  new Logger({
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? serviceName,
    logFormatter: new LeanLogFormatter(),
  });

/**
 * The metrics of one service, branded with it so that `recordMetric` (`metrics.ts`) accepts only that
 * service's specs from `metric-names.ts`.
 */
export const createMetrics = <Service extends MetricService>(serviceName: Service): ServiceMetrics<Service> =>
  new ContractMetrics({
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? serviceName,
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? metricsNamespace,
  }) as ServiceMetrics<Service>;

/**
 * X-Ray tracing, loaded only where the stack turned it on for the function: `POWERTOOLS_TRACE_ENABLED` is
 * `'true'` (lib/constructs/service-function.ts sets it per function and bundles it as a constant, so a
 * function without tracing has no Tracer and no X-Ray SDK in its bundle: nothing to load at cold start, and
 * no async hooks taxing every await). Unset (tests, `npm start`): no tracing.
 *
 * Call it at module scope before creating any SDK client: it instruments every client created afterwards.
 * Returns the middleware that traces each invocation, none when tracing is off. Response capture is off:
 * responses carry candidate data, and traces must hold no PII.
 */
export const loadTracing = async (serviceName: string): Promise<MiddlewareLikeObj[]> => {
  // The condition is spelled out here, not in a helper, so that esbuild drops the imports when it is false.
  if (process.env.POWERTOOLS_TRACE_ENABLED === 'true') {
    const [{ Tracer }, { captureLambdaHandler }] = await Promise.all([
      import('@aws-lambda-powertools/tracer'),
      import('@aws-lambda-powertools/tracer/middleware'),
    ]);
    const tracer = new Tracer({
      serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? serviceName,
      captureHTTPsRequests: false,
    });
    instrumentClients((client) => tracer.captureAWSv3Client(client));
    return [captureLambdaHandler(tracer, { captureResponse: false })];
  }
  return [];
};
