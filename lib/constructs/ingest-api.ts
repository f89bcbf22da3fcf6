/**
 * The public edge: an HTTP API with one route per vendor (and `$default` for any other path or method,
 * which the ingest refuses with a problem) in front of the ingest Lambda, which verifies a webhook and
 * enqueues it with its raw delivery (the worker stores that under `raw/`). The ingest Lambda can send to the
 * queue, write claim checks and read the webhook secret — nothing else (`ingestGrants` in lib/permissions.ts).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  type HttpStage,
  LogGroupLogDestination,
  PayloadFormatVersion,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { envNames } from '../../functions/platform/env.js';
import { acknowledgeAwsSolutions, acknowledgeObjectWildcard } from '../compliance.js';
import { applyGrants, ingestGrants } from '../permissions.js';
import { resources } from '../resources.js';
import {
  type FunctionObservability,
  propsFromResources,
  ServiceFunction,
  serviceFunctionDefaults,
} from './service-function.js';

/** Route paths, relative to the API's endpoint. */
export const webhookRoutes = {
  round0: '/webhooks/round0',
  /** micro1 cannot sign its webhooks; a high-entropy token in the path authenticates them. */
  micro1: '/webhooks/micro1/{token}',
} as const;

/**
 * Fields of one access-log line. `$context.routeKey` (`POST /webhooks/micro1/{token}`) is logged instead of
 * `$context.path` because the micro1 path carries the secret token.
 */
export const accessLogFields = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  routeKey: '$context.routeKey',
  status: '$context.status',
  latency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  responseLength: '$context.responseLength',
} as const;

export interface IngestApiProps {
  readonly queue: IQueue;
  readonly bucket: IBucket;
  readonly webhookSecret: ISecret;
  /** Log retention, log level and tracing of the function; the retention and removal apply to the access logs too. */
  readonly observability: FunctionObservability;
}

export class IngestApi extends Construct {
  public readonly function: ServiceFunction;
  public readonly api: HttpApi;
  public readonly stage: HttpStage;
  public readonly accessLogGroup: LogGroup;

  constructor(scope: Construct, id: string, props: IngestApiProps) {
    super(scope, id);
    const settings = resources.ingest;

    this.function = new ServiceFunction(this, 'Function', {
      ...propsFromResources(settings),
      ...props.observability,
      environment: {
        [envNames.queueUrl]: props.queue.queueUrl,
        [envNames.bucketName]: props.bucket.bucketName,
        [envNames.webhookSecretsArn]: props.webhookSecret.secretArn,
        [envNames.maxBodyBytes]: String(settings.maxBodyBytes),
        [envNames.sqsMaxMessageBytes]: String(resources.eventsQueue.maxMessageBytes),
        [envNames.signatureToleranceSeconds]: String(settings.signatureToleranceSeconds),
      },
    });

    const { claimCheckPrefix } = resources.bucket;
    applyGrants(this.function, ingestGrants, {
      eventsQueue: { resourceArns: [props.queue.queueArn] },
      claimCheckObjects: { resourceArns: [props.bucket.arnForObjects(`${claimCheckPrefix}*`)] },
      webhookSecret: { resourceArns: [props.webhookSecret.secretArn] },
    });
    acknowledgeObjectWildcard(
      this.function,
      props.bucket,
      claimCheckPrefix,
      'Claim-check keys are generated per event; the wildcard is confined to the claim-check prefix.',
    );

    this.api = new HttpApi(this, 'HttpApi', {
      description: 'interview-sync: webhooks from AI-interview vendors',
      // The stage is created below so it can carry throttling and access logging.
      createDefaultStage: false,
    });

    const { logRetention, retainLogs } = props.observability;
    this.accessLogGroup = new LogGroup(this, 'AccessLogs', {
      retention: logRetention ?? serviceFunctionDefaults.logRetention,
      removalPolicy:
        (retainLogs ?? serviceFunctionDefaults.retainLogs) ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      // Rendered as the stage's `DefaultRouteSettings`, i.e. per route: a flood on one vendor's route
      // cannot use up the other's budget.
      throttle: { rateLimit: settings.throttleRatePerSecond, burstLimit: settings.throttleBurst },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogGroup),
        format: AccessLogFormat.custom(JSON.stringify(accessLogFields)),
      },
    });

    const integration = new HttpLambdaIntegration('IngestIntegration', this.function, {
      payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
    });
    this.api.addRoutes({ path: webhookRoutes.round0, methods: [HttpMethod.POST], integration });
    this.api.addRoutes({ path: webhookRoutes.micro1, methods: [HttpMethod.POST], integration });
    // Every other path and method too: the ingest answers them 404 or 405 as problem+json and counts them
    // (`WebhookRejected`, reason `route` or `method`), where API Gateway alone would answer its own
    // `{"message":"Not Found"}` and a vendor posting to a wrong URL would show nowhere. The stage's
    // throttle applies to this route as to the others; such a refusal is never alarmed.
    new HttpRoute(this.api, 'DefaultRoute', {
      httpApi: this.api,
      routeKey: HttpRouteKey.DEFAULT,
      integration,
    });
    acknowledgeAwsSolutions(
      this.api,
      'APIG4',
      'Vendors cannot send IAM or JWT credentials. The ingest Lambda authenticates every webhook itself: ' +
        "ROUND0's HMAC signature, micro1's secret path token (see functions/vendors/); it refuses any " +
        'other path or method, which the $default route hands it.',
    );
  }

  /** Full URL of a route without path parameters, e.g. `https://…/webhooks/round0`. */
  urlOf(path: string): string {
    return `${this.api.apiEndpoint}${path}`;
  }
}
