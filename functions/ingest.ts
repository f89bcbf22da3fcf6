/**
 * Ingest Lambda: API Gateway HTTP API → authenticate, validate, normalise → SQS. Answers 202 only after
 * SQS accepted the event. Wiring only; the rules live in `intake/` and `vendors/`.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { acceptWebhook } from './intake/accept-webhook.js';
import { problemFor, problemResponse } from './intake/http-problem.js';
import { instrumentClients, s3Client, sqsClient } from './platform/clients.js';
import { optionalEnv, positiveIntEnv, requireEnv } from './platform/config.js';
import { envNames } from './platform/env.js';
import { createLogger, createMetrics, createTracer } from './platform/observability.js';
import { createSecretReader } from './platform/secrets.js';
import { webhookSecretsSchema } from './platform/secrets-shape.js';
import { EventQueue } from './queue/event-queue.js';

const env = process.env;
const logger = createLogger('interview-sync-ingest');
const metrics = createMetrics('interview-sync-ingest');
const tracer = createTracer('interview-sync-ingest');
instrumentClients((client) => tracer.captureAWSv3Client(client));

const readWebhookSecrets = createSecretReader({
  arn: optionalEnv(env, envNames.webhookSecretsArn),
  localFile: optionalEnv(env, envNames.localSecretsFile),
  section: 'webhook',
  schema: webhookSecretsSchema,
  maxAgeSeconds: positiveIntEnv(env, envNames.secretsCacheSeconds, 300),
});
const queue = new EventQueue({
  sqs: sqsClient(),
  s3: s3Client(),
  queueUrl: requireEnv(env, envNames.queueUrl),
  bucket: requireEnv(env, envNames.bucketName),
  maxMessageBytes: positiveIntEnv(env, envNames.sqsMaxMessageBytes, 256 * 1024),
});
const maxBodyBytes = positiveIntEnv(env, envNames.maxBodyBytes, 5 * 1024 * 1024);
const signatureToleranceSeconds = positiveIntEnv(env, envNames.signatureToleranceSeconds, 300);

const ingest = async (
  event: APIGatewayProxyEventV2,
  context: Context,
): Promise<APIGatewayProxyStructuredResultV2> => {
  try {
    const accepted = await acceptWebhook(
      {
        // Route by what API Gateway matched: rawPath carries any stage (`/prod/…`) or custom-domain base
        // path (`/v1/…`) in front of the route, routeKey and pathParameters never do.
        routeKey: event.routeKey,
        path: event.rawPath,
        pathParameters: event.pathParameters,
        headers: event.headers ?? {},
        rawBody: Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8'),
      },
      { readWebhookSecrets, publish: (e) => queue.publish(e), maxBodyBytes, signatureToleranceSeconds },
    );
    logger.setCorrelationId(accepted.event.dedupeKey);
    logger.info('webhook accepted', {
      vendor: accepted.event.vendor,
      eventType: accepted.event.type,
      known: accepted.event.known,
      messageId: accepted.messageId,
      claimCheck: accepted.claimCheck,
    });
    metrics.addMetric(accepted.event.known ? 'WebhookAccepted' : 'WebhookUnknownType', MetricUnit.Count, 1);
    if (accepted.claimCheck) metrics.addMetric('WebhookClaimCheck', MetricUnit.Count, 1);
    return {
      statusCode: 202,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ received: true, id: accepted.event.dedupeKey }),
    };
  } catch (error) {
    const problem = problemFor(error);
    // Log the error's class and message only: they never carry the body, a secret or PII.
    const detail = { status: problem.status, error: error instanceof Error ? error.name : typeof error };
    if (problem.status >= 500) logger.error('webhook not queued', { ...detail, cause: String(error) });
    else
      logger.warn('webhook refused', {
        ...detail,
        reason: error instanceof Error ? error.message : undefined,
      });
    metrics.addMetric(problem.status >= 500 ? 'WebhookFailed' : 'WebhookRefused', MetricUnit.Count, 1);
    return problemResponse(problem, context.awsRequestId);
  }
};

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(ingest);
