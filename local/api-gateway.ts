/**
 * A local stand-in for the API Gateway HTTP API in front of the ingest Lambda: each request becomes a
 * payload-format-2.0 event as AWS builds it, the handler's result becomes the HTTP response.
 *
 * Differences from AWS, on purpose: answers the gateway itself produces (no route, payload too large,
 * handler failure) are `application/problem+json` like the ingest's own errors, where AWS answers
 * `{"message":"Not Found"}` and friends; no throttling, no TLS, no custom domain, no named stage (so no
 * `/<stage>` before the route in `rawPath`).
 *
 * Percent-encoding: `routeKey` and `pathParameters` are what AWS sends (the route as defined, parameters
 * decoded). `rawPath` stays as received, where an HTTP API delivers it decoded, and a path that is not
 * valid percent-encoding is passed on, where an HTTP API refuses it with 400 before the function runs
 * (both observed in live captures, hotsock/voker `vokerhttp/testdata/ingress-paths.json`, not documented by
 * AWS): the ingest handler routes without `rawPath` and must refuse such a token itself, which this way
 * runs locally too.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { defaultRouteKey } from '../functions/intake/vendor-route.js';
import { GatewayPayloadTooLargeError, LambdaTimeoutError, LocalPipelineError } from './errors.js';
import { invokeLocally, type LocalFunctionSettings, type LocalHandler } from './lambda-context.js';
import { listenOnLoopback, loopbackHost } from './listen.js';
import { consoleLog, type LocalLog } from './log.js';

/** API Gateway's hard limit on a request payload (HTTP APIs: 10 MB). */
export const httpApiMaxPayloadBytes = 10 * 1024 * 1024;

export interface LocalHttpApiOptions {
  /**
   * Route keys as in the CDK stack, e.g. `POST /webhooks/micro1/{token}`; `$default` matches whatever no
   * other route does (any method and path), as on an HTTP API.
   */
  readonly routes: readonly string[];
  /**
   * Creates one handler per execution environment. Lambda runs one invocation at a time in an environment,
   * and a handler keeps per-invocation state in module scope (Powertools' logger keys, correlation id,
   * metrics buffer): each request in flight gets an environment of its own, reused once it is answered, and
   * one whose invocation timed out is thrown away (as Lambda replaces it). As the SQS poller does.
   */
  readonly createHandler: () => LocalHandler<APIGatewayProxyEventV2, APIGatewayProxyResultV2>;
  /** The integrated function's settings (timeout, memory) for its Lambda context. */
  readonly function: LocalFunctionSettings;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default httpApiMaxPayloadBytes (10 MB) */
  readonly maxPayloadBytes?: number;
  /** @default consoleLog */
  readonly log?: LocalLog;
}

export interface LocalHttpApi {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Stops accepting connections, waits for requests in flight, then closes every connection. */
  close(): Promise<void>;
}

/** A parsed route key. */
interface HttpApiRoute {
  readonly routeKey: string;
  readonly method: string;
  readonly segments: readonly string[];
}

export interface MatchedRoute {
  readonly routeKey: string;
  readonly pathParameters?: Record<string, string>;
}

const parseRoute = (routeKey: string): HttpApiRoute => {
  const [method, path, ...rest] = routeKey.split(' ');
  if (!method || !path?.startsWith('/') || rest.length > 0) {
    throw new LocalPipelineError(`not a route key: "${routeKey}" (expected "METHOD /path")`);
  }
  return { routeKey, method: method.toUpperCase(), segments: path.split('/').slice(1) };
};

const parameterName = (segment: string): string | undefined =>
  segment.startsWith('{') && segment.endsWith('}') ? segment.slice(1, -1) : undefined;

/**
 * The route a request matches, with its path parameters. A path or method no route names matches
 * `$default` when there is one, else nothing (AWS answers 404 for both). Parameters are URL-decoded,
 * except one that is not valid percent-encoding, which is passed on as received (see the file comment);
 * `{proxy+}` routes are not needed here and not supported.
 */
export const matchRoute = (
  routes: readonly string[],
  method: string,
  rawPath: string,
): MatchedRoute | undefined => {
  const segments = rawPath.split('/').slice(1);
  const named = routes.filter((routeKey) => routeKey !== defaultRouteKey);
  for (const route of named.map(parseRoute)) {
    if (route.method !== method.toUpperCase() || route.segments.length !== segments.length) continue;
    const pathParameters: Record<string, string> = {};
    const matches = route.segments.every((expected, index) => {
      const actual = segments[index] ?? '';
      const name = parameterName(expected);
      if (name === undefined) return expected === actual;
      if (actual === '') return false;
      pathParameters[name] = safeDecode(actual);
      return true;
    });
    if (matches) {
      return Object.keys(pathParameters).length > 0
        ? { routeKey: route.routeKey, pathParameters }
        : { routeKey: route.routeKey };
    }
  }
  return routes.includes(defaultRouteKey) ? { routeKey: defaultRouteKey } : undefined;
};

const safeDecode = (value: string): string => {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
};

/**
 * Whether API Gateway passes a body as a UTF-8 string. HTTP APIs base64-encode every body except
 * `text/*`, `application/json`, `application/xml` and `application/javascript` — a missing Content-Type
 * and even `application/x-www-form-urlencoded` arrive base64-encoded. The AWS docs only say "if the
 * content type is binary"; this split was verified against AWS by ministackorg/ministack#766.
 */
export const isTextContentType = (contentType: string | undefined): boolean => {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (!mediaType) return false;
  return (
    mediaType.startsWith('text/') ||
    mediaType === 'application/json' ||
    mediaType === 'application/xml' ||
    mediaType === 'application/javascript'
  );
};

/** What `toHttpApiEvent` needs from an HTTP request (decoupled from node:http for tests). */
export interface RawHttpRequest {
  readonly method: string;
  /** Path and query string as received (`/webhooks/round0?x=1`). */
  readonly url: string;
  /** Header name/value pairs in arrival order (Node's `rawHeaders`, flattened). */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  readonly sourceIp: string;
  /** e.g. `HTTP/1.1` */
  readonly protocol: string;
}

/** Identity of the fake API, as AWS puts it in every event. */
export interface HttpApiIdentity {
  readonly accountId: string;
  readonly apiId: string;
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `requestContext.time` format: `12/Mar/2020:19:03:58 +0000`. */
export const formatRequestTime = (date: Date): string => {
  const pad = (value: number) => String(value).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
};

/**
 * Random hex from `randomUUID`, which Node draws from a buffer of 128 ids at a time: `randomBytes` is one
 * getrandom call each, and two of them were 3.6 % of the local ingest's CPU (measured).
 */
const randomHex = (length: number): string => randomUUID().replaceAll('-', '').slice(0, length);

/** An API Gateway request id (`requestContext.requestId`): 11 random bytes in base64, like `JKJaXmPLvHcESHA=`. */
const newRequestId = (): string => Buffer.from(randomHex(22), 'hex').toString('base64');

/** An X-Ray style trace header, which API Gateway adds to every request. */
const traceHeader = (now: Date): string =>
  `Root=1-${Math.floor(now.getTime() / 1000).toString(16)}-${randomHex(24)}`;

/**
 * Builds the payload-format-2.0 event API Gateway sends for `request`: lower-cased headers with repeated
 * headers joined by commas, `Cookie` moved to `cookies`, `x-forwarded-*` and `x-amzn-trace-id` added,
 * query parameters decoded (repeats joined by commas), optional fields omitted when empty as AWS does.
 */
export const toHttpApiEvent = (
  request: RawHttpRequest,
  route: MatchedRoute,
  identity: HttpApiIdentity,
  now: Date = new Date(),
  requestId: string = newRequestId(),
): APIGatewayProxyEventV2 => {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let index = 0; index + 1 < request.rawHeaders.length; index += 2) {
    const name = (request.rawHeaders[index] as string).toLowerCase();
    const value = request.rawHeaders[index + 1] as string;
    if (name === 'cookie') {
      cookies.push(
        ...value
          .split(';')
          .map((cookie) => cookie.trim())
          .filter((cookie) => cookie !== ''),
      );
      continue;
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  headers['x-forwarded-for'] =
    headers['x-forwarded-for'] === undefined
      ? request.sourceIp
      : `${headers['x-forwarded-for']}, ${request.sourceIp}`;
  headers['x-forwarded-proto'] ??= 'http';
  headers['x-amzn-trace-id'] ??= traceHeader(now);

  const queryIndex = request.url.indexOf('?');
  const rawPath = queryIndex === -1 ? request.url : request.url.slice(0, queryIndex);
  const rawQueryString = queryIndex === -1 ? '' : request.url.slice(queryIndex + 1);
  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    queryStringParameters[name] =
      queryStringParameters[name] === undefined ? value : `${queryStringParameters[name]},${value}`;
  }

  const domainName = (headers.host ?? 'localhost').replace(/:\d+$/, '');
  const isText = isTextContentType(headers['content-type']);
  const hasBody = request.body.length > 0;
  return {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(queryStringParameters).length > 0 ? { queryStringParameters } : {}),
    requestContext: {
      accountId: identity.accountId,
      apiId: identity.apiId,
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: request.method,
        path: rawPath,
        protocol: request.protocol,
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: route.routeKey,
      stage: '$default',
      time: formatRequestTime(now),
      timeEpoch: now.getTime(),
    },
    ...(hasBody ? { body: request.body.toString(isText ? 'utf8' : 'base64') } : {}),
    ...(route.pathParameters ? { pathParameters: route.pathParameters } : {}),
    isBase64Encoded: hasBody && !isText,
  };
};

/** The HTTP response for a handler result, following API Gateway's payload 2.0 response rules. */
export interface HttpApiResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly cookies: readonly string[];
  readonly body: Buffer;
}

/**
 * API Gateway's reading of a 2.0 result: an object with `statusCode` is a structured response; anything
 * else (a string, an object without `statusCode`) is a 200 `application/json` body.
 */
export const fromHandlerResult = (result: APIGatewayProxyResultV2): HttpApiResponse => {
  if (typeof result === 'object' && result !== null && 'statusCode' in result) {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(result.headers ?? {}))
      headers[name.toLowerCase()] = String(value);
    const body = result.body ?? '';
    return {
      statusCode: result.statusCode ?? 200,
      headers,
      cookies: result.cookies ?? [],
      body: Buffer.from(body, result.isBase64Encoded ? 'base64' : 'utf8'),
    };
  }
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    cookies: [],
    body: Buffer.from(typeof result === 'string' ? result : JSON.stringify(result)),
  };
};

/** An answer the gateway gives itself (see the file comment for why problem+json). */
const gatewayProblem = (statusCode: number, title: string): HttpApiResponse => ({
  statusCode,
  headers: { 'content-type': 'application/problem+json' },
  cookies: [],
  body: Buffer.from(JSON.stringify({ type: 'about:blank', title, status: statusCode })),
});

const writeResponse = (res: ServerResponse, response: HttpApiResponse, requestId: string): void => {
  res.statusCode = response.statusCode;
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  if (response.cookies.length > 0) res.setHeader('set-cookie', [...response.cookies]);
  res.setHeader('apigw-requestid', requestId);
  res.setHeader('content-length', response.body.length);
  res.end(response.body);
};

/**
 * Reads the whole body; past `limit` it keeps reading but stops buffering and then rejects, so the
 * client finishes its upload and reads the 413 instead of seeing a reset connection.
 */
const readBody = (req: IncomingMessage, limit: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () =>
      size > limit ? reject(new GatewayPayloadTooLargeError(limit)) : resolve(Buffer.concat(chunks)),
    );
    req.on('error', reject);
  });

/** Starts the HTTP API on 127.0.0.1. */
export const startHttpApi = async (options: LocalHttpApiOptions): Promise<LocalHttpApi> => {
  // Fail at start, not on the first request.
  for (const routeKey of options.routes) if (routeKey !== defaultRouteKey) parseRoute(routeKey);
  const log = options.log ?? consoleLog;
  const maxPayloadBytes = options.maxPayloadBytes ?? httpApiMaxPayloadBytes;
  const identity: HttpApiIdentity = { accountId: options.function.accountId, apiId: 'local' };
  const inFlight = new Set<Promise<void>>();
  /** Environments not serving a request now (see `createHandler`). */
  const idle: LocalHandler<APIGatewayProxyEventV2, APIGatewayProxyResultV2>[] = [];
  let closing = false;

  const respond = async (
    req: IncomingMessage,
    route: MatchedRoute | undefined,
    requestId: string,
    started: number,
  ): Promise<HttpApiResponse> => {
    if (closing || route === undefined) {
      req.resume(); // discard the body without buffering it
      return closing ? gatewayProblem(503, 'Service Unavailable') : gatewayProblem(404, 'Not Found');
    }
    let body: Buffer;
    try {
      body = await readBody(req, maxPayloadBytes);
    } catch (error) {
      if (error instanceof GatewayPayloadTooLargeError)
        return gatewayProblem(413, 'Request Entity Too Large');
      throw error;
    }
    const event = toHttpApiEvent(
      {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        rawHeaders: req.rawHeaders,
        body,
        sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
        protocol: `HTTP/${req.httpVersion}`,
      },
      route,
      identity,
      new Date(started),
      requestId,
    );
    const handler = idle.pop() ?? options.createHandler();
    try {
      const result = await invokeLocally(handler, event, options.function);
      idle.push(handler);
      return fromHandlerResult(result);
    } catch (error) {
      if (!(error instanceof LambdaTimeoutError)) idle.push(handler);
      // AWS answers 500 when the integration fails (a throw, a timeout).
      log.error('ingest handler failed', { requestId, error: String(error) });
      return gatewayProblem(500, 'Internal Server Error');
    }
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = Date.now();
    const requestId = newRequestId();
    const method = req.method ?? 'GET';
    const route = matchRoute(options.routes, method, (req.url ?? '/').split('?')[0] ?? '/');
    const response = await respond(req, route, requestId, started);
    if (closing) res.setHeader('connection', 'close');
    writeResponse(res, response, requestId);
    // Route keys, not paths: a micro1 path carries its secret token.
    log.info('http', {
      requestId,
      route: route?.routeKey ?? `${method} (no route)`,
      status: response.statusCode,
      ms: Date.now() - started,
    });
  };

  const server: Server = createServer((req, res) => {
    const work = serve(req, res)
      .catch((error: unknown) => {
        log.error('local API Gateway failed', { error: String(error) });
        if (!res.headersSent) writeResponse(res, gatewayProblem(500, 'Internal Server Error'), 'none');
        else res.destroy();
      })
      .finally(() => inFlight.delete(work));
    inFlight.add(work);
  });

  const port = await listenOnLoopback(server, options.port ?? 0);

  return {
    url: `http://${loopbackHost}:${port}`,
    port,
    close: async () => {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await Promise.allSettled([...inFlight]);
      server.closeAllConnections();
      await closed;
    },
  };
};
