/**
 * Payload-format-2.0 events as an API Gateway HTTP API hands them to the ingest Lambda, field for field
 * after the sample in AWS's "Create AWS Lambda proxy integrations for HTTP APIs"
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html#http-api-develop-integrations-lambda.proxy-format):
 * lower-cased headers, `routeKey` both at the top and in `requestContext`, `pathParameters` only on a route
 * with parameters, optional fields (cookies, query string parameters, stage variables) left out when empty.
 *
 * Two things the sample does not show and these factories model on purpose:
 * - A named stage or a custom domain's base path mapping prefixes `rawPath` (`/prod/webhooks/…`,
 *   `/v1/webhooks/…`) while `routeKey` stays the route as defined (`POST /webhooks/round0`).
 * - HTTP APIs deliver `rawPath` and `pathParameters` percent-decoded (not in AWS's docs; live captures in
 *   hotsock/voker `vokerhttp/testdata/ingress-paths.json`), so a token is passed here decoded.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** Where the API is reached, which decides what precedes the route's path in `rawPath`. */
export interface HttpApiDeployment {
  readonly name: string;
  readonly stage: string;
  readonly domainName: string;
  /** Stage name or base path as it appears before the route's path, `''` for none. */
  readonly pathPrefix: string;
}

export const httpApiDeployments = {
  /** The stack's own stage: `https://id.execute-api.us-east-1.amazonaws.com/webhooks/round0`. */
  defaultStage: {
    name: '$default stage',
    stage: '$default',
    domainName: 'id.execute-api.us-east-1.amazonaws.com',
    pathPrefix: '',
  },
  /** A named stage: `https://id.execute-api.us-east-1.amazonaws.com/prod/webhooks/round0`. */
  namedStage: {
    name: 'named stage',
    stage: 'prod',
    domainName: 'id.execute-api.us-east-1.amazonaws.com',
    pathPrefix: '/prod',
  },
  /** A custom domain whose API mapping has the base path `v1`: `https://hooks.example.com/v1/webhooks/…`. */
  customDomain: {
    name: 'custom domain with base path',
    stage: 'prod',
    domainName: 'hooks.example.com',
    pathPrefix: '/v1',
  },
} as const satisfies Record<string, HttpApiDeployment>;

export interface HttpApiEventOptions {
  /** `POST /webhooks/round0`, `POST /webhooks/micro1/{token}` or `$default`. */
  readonly routeKey: string;
  /** The request path below the stage / base path, e.g. `/webhooks/round0`. */
  readonly path: string;
  readonly pathParameters?: Record<string, string>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  /** Whether API Gateway base64-encoded the body (it does for any non-text Content-Type). */
  readonly isBase64Encoded?: boolean;
  /** @default httpApiDeployments.defaultStage */
  readonly deployment?: HttpApiDeployment;
  /** @default 'POST' */
  readonly method?: string;
}

const requestTime = new Date(Date.UTC(2020, 2, 12, 19, 3, 58));

/** One payload-format-2.0 event (see the file comment for its source). */
export const httpApiEvent = (options: HttpApiEventOptions): APIGatewayProxyEventV2 => {
  const deployment = options.deployment ?? httpApiDeployments.defaultStage;
  const rawPath = `${deployment.pathPrefix}${options.path}`;
  const body = options.body ?? Buffer.alloc(0);
  const base64 = options.isBase64Encoded ?? false;
  const userAgent = 'vendor-webhooks/1.0';
  return {
    version: '2.0',
    routeKey: options.routeKey,
    rawPath,
    rawQueryString: '',
    headers: {
      'content-length': String(body.length),
      host: deployment.domainName,
      'user-agent': userAgent,
      'x-amzn-trace-id': 'Root=1-5e6a8c2e-0123456789abcdef01234567',
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
      ...options.headers,
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api-id',
      domainName: deployment.domainName,
      domainPrefix: deployment.domainName.split('.')[0] ?? deployment.domainName,
      http: {
        method: options.method ?? 'POST',
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent,
      },
      requestId: 'id',
      routeKey: options.routeKey,
      stage: deployment.stage,
      time: '12/Mar/2020:19:03:58 +0000',
      timeEpoch: requestTime.getTime(),
    },
    ...(body.length > 0 ? { body: body.toString(base64 ? 'base64' : 'utf8') } : {}),
    ...(options.pathParameters ? { pathParameters: options.pathParameters } : {}),
    isBase64Encoded: base64 && body.length > 0,
  };
};

/** What a signed or tokenised request builder (`test/helpers/signed-requests.ts`) returns. */
interface VendorRequest {
  readonly headers: Readonly<Record<string, string>>;
  readonly rawBody: Buffer;
}

type DeliveryOptions = Pick<HttpApiEventOptions, 'deployment' | 'isBase64Encoded'>;

/** A ROUND0 delivery on its own route. */
export const round0Event = (request: VendorRequest, options: DeliveryOptions = {}): APIGatewayProxyEventV2 =>
  httpApiEvent({
    routeKey: 'POST /webhooks/round0',
    path: '/webhooks/round0',
    headers: request.headers,
    body: request.rawBody,
    ...options,
  });

/** A micro1 delivery on its token route; `token` is the value API Gateway puts in `pathParameters`. */
export const micro1Event = (
  request: VendorRequest,
  token: string,
  options: DeliveryOptions = {},
): APIGatewayProxyEventV2 =>
  httpApiEvent({
    routeKey: 'POST /webhooks/micro1/{token}',
    path: `/webhooks/micro1/${token}`,
    pathParameters: { token },
    headers: request.headers,
    body: request.rawBody,
    ...options,
  });

/** The same delivery reaching a catch-all `$default` route: no route key to go by, no path parameters. */
export const onDefaultRoute = (event: APIGatewayProxyEventV2): APIGatewayProxyEventV2 => {
  const { pathParameters: _pathParameters, ...rest } = event;
  return {
    ...rest,
    routeKey: '$default',
    requestContext: { ...event.requestContext, routeKey: '$default' },
  };
};
