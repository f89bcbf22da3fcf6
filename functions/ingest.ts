/**
 * Ingest Lambda: API Gateway HTTP API → authenticate, validate, normalise → SQS, the raw delivery in the same
 * message (the worker keeps it in the raw event store). Answers 202 only once SQS accepted the event. Wiring
 * only; the rules live in `intake/` and `vendors/`.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import {
  acceptedBody,
  acceptWebhook,
  answerWithinMs,
  defaultMaxBodyBytes,
  type WebhookRequest,
} from './intake/accept-webhook.js';
import { problemFor, problemResponse } from './intake/http-problem.js';
import { describeRefusal } from './intake/refusal.js';
import { lightWriters } from './platform/clients.js';
import { optionalEnv, positiveIntEnv, requireEnv } from './platform/config.js';
import { envNames } from './platform/env.js';
import { metrics as metricSpecs } from './platform/metric-names.js';
import { recordMetric } from './platform/metrics.js';
import { createLogger, createMetrics, loadTracing } from './platform/observability.js';
import { createSecretReader, ingestFreshEnoughMs } from './platform/secrets.js';
import { webhookSecretsSchema } from './platform/secrets-shape.js';
import { EventQueue } from './queue/event-queue.js';

const env = process.env;
// Before any client is created: tracing instruments the clients created after it.
const tracing = await loadTracing('interview-sync-ingest');

const readWebhookSecrets = createSecretReader({
  arn: optionalEnv(env, envNames.webhookSecretsArn),
  localFile: optionalEnv(env, envNames.localSecretsFile),
  section: 'webhook',
  schema: webhookSecretsSchema,
  maxAgeSeconds: positiveIntEnv(env, envNames.secretsCacheSeconds, 300),
  freshEnoughMs: ingestFreshEnoughMs,
});
const bucket = requireEnv(env, envNames.bucketName);
const queue = new EventQueue({
  // Signed requests, not the SDK's clients: the SQS client's per-send CPU was a third of the ingest's, and the
  // S3 client half of its cold start for a rare claim check (platform/message-send.ts, object-put.ts).
  ...lightWriters(),
  queueUrl: requireEnv(env, envNames.queueUrl),
  bucket,
  maxMessageBytes: positiveIntEnv(env, envNames.sqsMaxMessageBytes, 256 * 1024),
});
const maxBodyBytes = positiveIntEnv(env, envNames.maxBodyBytes, defaultMaxBodyBytes);
const signatureToleranceSeconds = positiveIntEnv(env, envNames.signatureToleranceSeconds, 300);

/**
 * One execution environment's handler: its own logger and metrics, which hold per-invocation state (the
 * context's keys, the correlation id, the metrics buffer). Lambda runs one invocation at a time per
 * environment; the local API gateway gives each request in flight a handler of its own (as the SQS poller
 * does for the worker), or concurrent requests would log under one another's request id. The secrets cache,
 * the queue's writers and tracing are shared: they hold no invocation's state.
 */
export const createIngestHandler = () => {
  const logger = createLogger('interview-sync-ingest');
  const metrics = createMetrics('interview-sync-ingest');

  const ingest = async (
    event: APIGatewayProxyEventV2,
    context: Context,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    const receivedAt = Date.now();
    const request: WebhookRequest = {
      // Route by what API Gateway matched: rawPath carries any stage (`/prod/…`) or custom-domain base
      // path (`/v1/…`) in front of the route, routeKey and pathParameters never do.
      routeKey: event.routeKey,
      path: event.rawPath,
      pathParameters: event.pathParameters,
      method: event.requestContext?.http?.method,
      headers: event.headers ?? {},
      rawBody: Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8'),
    };
    try {
      const accepted = await acceptWebhook(request, {
        readWebhookSecrets,
        publish: (e, raw, deadline) => queue.publish(e, raw, deadline),
        answerBy: (vendor) => receivedAt + answerWithinMs[vendor],
        maxBodyBytes,
        signatureToleranceSeconds,
      });
      const { vendor, known } = accepted.event;
      // An unknown type is the vendor's free text: the dimension says `unknown`, never the text.
      const eventType = known ? accepted.event.type : 'unknown';
      logger.setCorrelationId(accepted.event.dedupeKey);
      if (accepted.event.test) {
        // The vendor's "send test webhook": counted apart, so it never shows as real traffic.
        logger.info('test delivery received', { vendor, eventType: accepted.event.type });
        recordMetric(metrics, metricSpecs.testDeliveryReceived, 1, { vendor, eventType });
      } else {
        logger.info('webhook accepted', {
          vendor,
          eventType: accepted.event.type,
          known,
          messageId: accepted.messageId,
          claimCheck: accepted.claimCheck,
        });
        recordMetric(metrics, metricSpecs.webhookReceived, 1, { vendor, eventType });
        if (!known) recordMetric(metrics, metricSpecs.webhookUnknownType, 1, { vendor });
      }
      if (accepted.claimCheck) recordMetric(metrics, metricSpecs.webhookClaimCheck, 1);
      return {
        statusCode: 202,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(acceptedBody(accepted.event)),
      };
    } catch (error) {
      const problem = problemFor(error);
      // Log the error's class and message only: they never carry the body, a secret or PII.
      const detail = { status: problem.status, error: error instanceof Error ? error.name : typeof error };
      const refusal = describeRefusal(error, request);
      if (refusal === undefined) {
        // What failed underneath (its class and code only: a message may quote what it failed on, such as a
        // secrets file's text), and how long the request had run: at its answer time, the time ran out.
        const cause: unknown = error instanceof Error ? error.cause : undefined;
        const code = (cause as { code?: unknown } | undefined)?.code;
        logger.error('webhook not queued', {
          ...detail,
          cause: String(error),
          ...(cause instanceof Error ? { underlying: cause.name } : {}),
          ...(typeof code === 'string' ? { underlyingCode: code } : {}),
          elapsedMs: Date.now() - receivedAt,
        });
        recordMetric(metrics, metricSpecs.webhookFailed, 1);
      } else {
        logger.warn('webhook refused', {
          ...detail,
          vendor: refusal.vendor,
          reason: error instanceof Error ? error.message : undefined,
        });
        recordMetric(metrics, metricSpecs.webhookRejected, 1, {
          vendor: refusal.vendor,
          reason: refusal.reason,
        });
        if (refusal.authentication) {
          recordMetric(metrics, metricSpecs.webhookAuthFailed, 1, { vendor: refusal.vendor });
        }
        if (refusal.invalid) recordMetric(metrics, metricSpecs.webhookInvalid, 1, { vendor: refusal.vendor });
      }
      return problemResponse(problem, context.awsRequestId);
    }
  };

  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(tracing)
    .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
    .use(logMetrics(metrics))
    .handler(ingest);
};

export const handler = createIngestHandler();
