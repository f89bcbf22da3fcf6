import { request as httpRequest } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import {
  fromHandlerResult,
  isTextContentType,
  type LocalHttpApi,
  matchRoute,
  startHttpApi,
} from '../../../local/api-gateway.js';
import { silentLog } from '../../../local/log.js';
import { testFunction } from './factories.js';

const routes = ['POST /webhooks/round0', 'POST /webhooks/micro1/{token}'];

interface Invocation {
  readonly event: APIGatewayProxyEventV2;
  readonly context: Context;
}

/** An HTTP API in front of a handler that records its events and answers what `respond` returns. */
const startRecordingApi = async (
  respond: (
    event: APIGatewayProxyEventV2,
  ) => Promise<APIGatewayProxyResultV2> | APIGatewayProxyResultV2 = () => ({
    statusCode: 202,
    headers: { 'content-type': 'application/json' },
    body: '{"received":true}',
  }),
  options: { maxPayloadBytes?: number; timeoutSeconds?: number; routes?: readonly string[] } = {},
) => {
  const invocations: Invocation[] = [];
  const api = await startHttpApi({
    routes: options.routes ?? routes,
    createHandler: () => async (event, context) => {
      invocations.push({ event, context });
      return respond(event);
    },
    function: testFunction({
      functionName: 'ingest-under-test',
      timeoutSeconds: options.timeoutSeconds ?? 10,
    }),
    maxPayloadBytes: options.maxPayloadBytes,
    log: silentLog,
  });
  return { api, invocations };
};

/** A raw request (node:http rather than fetch, to send repeated headers and any method). */
const send = (
  api: LocalHttpApi,
  options: { method?: string; path: string; headers?: [string, string][]; body?: Buffer | string },
) =>
  new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>(
    (resolve, reject) => {
      const req = httpRequest(`${api.url}${options.path}`, { method: options.method ?? 'POST' }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      });
      for (const [name, value] of options.headers ?? []) req.appendHeader(name, value);
      req.on('error', reject);
      req.end(options.body);
    },
  );

let running: LocalHttpApi[] = [];
const track = <T extends { api: LocalHttpApi }>(started: T): T => {
  running.push(started.api);
  return started;
};
afterEach(async () => {
  await Promise.all(running.map((api) => api.close()));
  running = [];
});

describe('local API Gateway (HTTP API, payload format 2.0)', () => {
  it('builds the event API Gateway sends for a routed request', async () => {
    // Prepare
    const { api, invocations } = track(await startRecordingApi());
    const body = '{"event":"applicant.created","data":{}}';

    // Act
    const response = await send(api, {
      path: '/webhooks/micro1/tok%2Ben?a=1&b=x%20y&a=2',
      headers: [
        ['Content-Type', 'application/json'],
        ['X-Custom', 'one'],
        ['X-Custom', 'two'],
        ['Cookie', 'session=abc; theme=dark'],
        ['User-Agent', 'micro1-webhooks/1.0'],
      ],
      body,
    });

    // Assess
    expect(response.status).toBe(202);
    expect(invocations).toHaveLength(1);
    const event = invocations[0]?.event as APIGatewayProxyEventV2;
    expect(event).toEqual({
      version: '2.0',
      routeKey: 'POST /webhooks/micro1/{token}',
      rawPath: '/webhooks/micro1/tok%2Ben',
      rawQueryString: 'a=1&b=x%20y&a=2',
      cookies: ['session=abc', 'theme=dark'],
      headers: expect.objectContaining({
        'content-type': 'application/json',
        'content-length': String(body.length),
        'x-custom': 'one,two',
        'user-agent': 'micro1-webhooks/1.0',
        host: `127.0.0.1:${api.port}`,
        'x-forwarded-for': '127.0.0.1',
        'x-forwarded-proto': 'http',
        'x-amzn-trace-id': expect.stringMatching(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/),
      }),
      queryStringParameters: { a: '1,2', b: 'x y' },
      requestContext: {
        accountId: '123456789012',
        apiId: 'local',
        domainName: '127.0.0.1',
        domainPrefix: '127',
        http: {
          method: 'POST',
          path: '/webhooks/micro1/tok%2Ben',
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'micro1-webhooks/1.0',
        },
        requestId: expect.stringMatching(/^[A-Za-z0-9+/]{15}=$/),
        routeKey: 'POST /webhooks/micro1/{token}',
        stage: '$default',
        time: expect.stringMatching(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/),
        timeEpoch: expect.any(Number),
      },
      pathParameters: { token: 'tok+en' },
      body,
      isBase64Encoded: false,
    });
    expect(Object.keys(event.headers).every((name) => name === name.toLowerCase())).toBe(true);
    expect(event.headers).not.toHaveProperty('cookie');
    expect(response.headers['apigw-requestid']).toBe(event.requestContext.requestId);
  });

  it('gives each request in flight a handler (environment) of its own and reuses it once answered, as Lambda does', async () => {
    // Prepare: handlers that note when one is entered while it already serves a request
    let created = 0;
    let overlaps = 0;
    const api = await startHttpApi({
      routes,
      createHandler: () => {
        created += 1;
        let busy = false;
        return async () => {
          if (busy) overlaps += 1;
          busy = true;
          await new Promise((resolve) => setTimeout(resolve, 50));
          busy = false;
          return { statusCode: 202, body: '' };
        };
      },
      function: testFunction({ functionName: 'ingest-under-test', timeoutSeconds: 10 }),
      log: silentLog,
    });
    const burst = () =>
      Promise.all(Array.from({ length: 5 }, () => send(api, { path: '/webhooks/round0', body: '{}' })));

    try {
      // Act: five at once, then five more at once
      const first = await burst();
      const second = await burst();

      // Assess: five environments, never two requests in one, reused by the second burst
      expect([...first, ...second].map((answer) => answer.status)).toEqual(Array(10).fill(202));
      expect(overlaps).toBe(0);
      expect(created).toBe(5);
    } finally {
      await api.close();
    }
  });

  it('omits pathParameters, queryStringParameters, cookies and body when there are none', async () => {
    // Prepare
    const { api, invocations } = track(await startRecordingApi());

    // Act
    await send(api, { path: '/webhooks/round0' });

    // Assess
    const event = invocations[0]?.event as APIGatewayProxyEventV2;
    expect(event.routeKey).toBe('POST /webhooks/round0');
    expect(event.rawQueryString).toBe('');
    for (const field of ['pathParameters', 'queryStringParameters', 'cookies', 'body']) {
      expect(event).not.toHaveProperty(field);
    }
    expect(event.isBase64Encoded).toBe(false);
  });

  it.each([
    ['application/octet-stream', true],
    ['application/x-www-form-urlencoded', true],
    ['image/png', true],
    [undefined, true],
    ['application/json', false],
    ['application/json; charset=utf-8', false],
    ['text/plain', false],
    ['application/xml', false],
  ])('Content-Type %s → isBase64Encoded %s', async (contentType, base64) => {
    // Prepare
    const { api, invocations } = track(await startRecordingApi());
    const body = Buffer.from([0x7b, 0x22, 0xc3, 0xa9, 0x22, 0x7d, 0x00, 0xff]);

    // Act
    await send(api, {
      path: '/webhooks/round0',
      headers: contentType === undefined ? [] : [['content-type', contentType]],
      body,
    });

    // Assess
    const event = invocations[0]?.event as APIGatewayProxyEventV2;
    expect(event.isBase64Encoded).toBe(base64);
    expect(event.body).toBe(base64 ? body.toString('base64') : body.toString('utf8'));
    expect(isTextContentType(contentType)).toBe(!base64);
  });

  it.each([
    ['POST', '/webhooks/unknown'],
    ['POST', '/webhooks/micro1'],
    ['POST', '/webhooks/micro1/'],
    ['POST', '/webhooks/round0/'],
    ['POST', '/webhooks/micro1/token/extra'],
    ['GET', '/webhooks/round0'],
    ['PUT', '/webhooks/micro1/token'],
    ['GET', '/'],
  ])('answers %s %s with a 404 problem without invoking the handler', async (method, path) => {
    // Prepare
    const { api, invocations } = track(await startRecordingApi());

    // Act
    const response = await send(api, { method, path, body: method === 'GET' ? undefined : '{}' });

    // Assess
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(response.body)).toEqual({ type: 'about:blank', title: 'Not Found', status: 404 });
    expect(invocations).toHaveLength(0);
  });

  it('matches a named route before $default, with its parameters', async () => {
    // Prepare
    const { api, invocations } = track(
      await startRecordingApi(undefined, { routes: ['$default', ...routes] }),
    );

    // Act
    await send(api, { path: '/webhooks/round0', body: '{}' });
    await send(api, { path: '/webhooks/micro1/tok', body: '{}' });

    // Assess
    expect(invocations.map(({ event }) => [event.routeKey, event.pathParameters])).toEqual([
      ['POST /webhooks/round0', undefined],
      ['POST /webhooks/micro1/{token}', { token: 'tok' }],
    ]);
  });

  it.each([
    ['POST', '/webhooks/unknown'],
    ['GET', '/webhooks/round0'],
    ['POST', '/webhooks/round0/'],
  ])('invokes the handler with %s %s on the $default route when there is one', async (method, path) => {
    // Prepare
    const { api, invocations } = track(
      await startRecordingApi(undefined, { routes: [...routes, '$default'] }),
    );

    // Act
    const response = await send(api, { method, path, body: method === 'GET' ? undefined : '{}' });

    // Assess: as AWS sends a catch-all match: the route key, the path and method as sent, no parameters
    expect(response.status).toBe(202);
    expect(invocations).toHaveLength(1);
    const { event } = invocations[0] as Invocation;
    expect(event.routeKey).toBe('$default');
    expect(event.rawPath).toBe(path);
    expect(event.requestContext.http.method).toBe(method);
    expect(event.pathParameters).toBeUndefined();
  });

  it('refuses a body over the payload limit with 413 without invoking the handler', async () => {
    // Prepare
    const { api, invocations } = track(await startRecordingApi(undefined, { maxPayloadBytes: 1024 }));

    // Act
    const atLimit = await send(api, { path: '/webhooks/round0', body: 'x'.repeat(1024) });
    const overLimit = await send(api, { path: '/webhooks/round0', body: 'x'.repeat(1025) });

    // Assess
    expect(atLimit.status).toBe(202);
    expect(overLimit.status).toBe(413);
    expect(overLimit.headers['content-type']).toBe('application/problem+json');
    expect(invocations).toHaveLength(1);
  });

  it("applies API Gateway's 10 MB limit by default", async () => {
    // Prepare
    const { api, invocations } = track(await startRecordingApi());

    // Act
    const response = await send(api, {
      path: '/webhooks/round0',
      body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x20),
    });

    // Assess
    expect(response.status).toBe(413);
    expect(invocations).toHaveLength(0);
  });

  it('writes the structured result: status, headers, cookies and a base64 body decoded', async () => {
    // Prepare
    const { api } = track(
      await startRecordingApi(() => ({
        statusCode: 201,
        headers: { 'X-Count': 3, 'content-type': 'application/octet-stream' },
        cookies: ['a=1; Path=/', 'b=2'],
        body: Buffer.from('binary answer').toString('base64'),
        isBase64Encoded: true,
      })),
    );

    // Act
    const response = await send(api, { path: '/webhooks/round0', body: '{}' });

    // Assess
    expect(response.status).toBe(201);
    expect(response.headers['x-count']).toBe('3');
    expect(response.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2']);
    expect(response.body).toBe('binary answer');
  });

  it('answers a result without statusCode as a 200 JSON body, as API Gateway infers it', () => {
    // Act
    const fromObject = fromHandlerResult({ received: true } as unknown as APIGatewayProxyResultV2);
    const fromString = fromHandlerResult('plain');

    // Assess
    expect(fromObject).toMatchObject({ statusCode: 200, headers: { 'content-type': 'application/json' } });
    expect(fromObject.body.toString()).toBe('{"received":true}');
    expect(fromString.body.toString()).toBe('plain');
  });

  it('answers 500 when the handler throws or outlives its timeout', async () => {
    // Prepare
    const throwing = track(
      await startRecordingApi(() => {
        throw new Error('boom');
      }),
    );
    const slow = track(
      await startRecordingApi(
        () => new Promise((resolve) => setTimeout(() => resolve({ statusCode: 202 }), 1500)),
        {
          timeoutSeconds: 1,
        },
      ),
    );

    // Act
    const thrown = await send(throwing.api, { path: '/webhooks/round0', body: '{}' });
    const timedOut = await send(slow.api, { path: '/webhooks/round0', body: '{}' });

    // Assess
    for (const response of [thrown, timedOut]) {
      expect(response.status).toBe(500);
      expect(JSON.parse(response.body)).toMatchObject({ title: 'Internal Server Error', status: 500 });
    }
  });

  it('gives the handler a Lambda context counting down from the function timeout', async () => {
    // Prepare
    const { api, invocations } = track(await startRecordingApi(undefined, { timeoutSeconds: 3 }));

    // Act
    await send(api, { path: '/webhooks/round0', body: '{}' });

    // Assess
    const context = invocations[0]?.context as Context;
    expect(context.functionName).toBe('ingest-under-test');
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(context.invokedFunctionArn).toBe(
      'arn:aws:lambda:us-east-1:123456789012:function:ingest-under-test',
    );
    expect(context.getRemainingTimeInMillis()).toBeLessThanOrEqual(3000);
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(1000);
  });

  it('close() lets a request in flight finish and then refuses connections', async () => {
    // Prepare
    let release: () => void = () => undefined;
    const { api } = await startRecordingApi(
      () => new Promise((resolve) => (release = () => resolve({ statusCode: 202, body: 'late' }))),
    );
    const inFlight = send(api, { path: '/webhooks/round0', body: '{}' });
    await new Promise((resolve) => setTimeout(resolve, 100));

    // Act
    const closing = api.close();
    release();
    const [response] = await Promise.all([inFlight, closing]);

    // Assess
    expect(response).toMatchObject({ status: 202, body: 'late' });
    await expect(send(api, { path: '/webhooks/round0', body: '{}' })).rejects.toThrow();
  });

  it('passes a path parameter that is not valid percent-encoding on as received, with its route key', async () => {
    // Prepare
    const { api, invocations } = track(await startRecordingApi());

    // Act
    const response = await send(api, { path: '/webhooks/micro1/%E0%A4%A', body: '{}' });

    // Assess
    expect(response.status).toBe(202);
    const event = invocations[0]?.event as APIGatewayProxyEventV2;
    expect(event.routeKey).toBe('POST /webhooks/micro1/{token}');
    expect(event.requestContext.routeKey).toBe(event.routeKey);
    expect(event.pathParameters).toEqual({ token: '%E0%A4%A' });
  });

  it('matches path parameters only on non-empty segments', () => {
    // Act / Assess
    expect(matchRoute(routes, 'post', '/webhooks/micro1/abc')).toEqual({
      routeKey: 'POST /webhooks/micro1/{token}',
      pathParameters: { token: 'abc' },
    });
    expect(matchRoute(routes, 'POST', '/webhooks/micro1/')).toBeUndefined();
  });
});

describe('local API Gateway: environments', () => {
  it('replaces an environment whose invocation timed out instead of invoking it again', async () => {
    const environments: number[] = [];
    let created = 0;
    const api = await startHttpApi({
      routes: ['POST /webhooks/round0'],
      createHandler: () => {
        created += 1;
        const id = created;
        return async () => {
          environments.push(id);
          if (id === 1) await new Promise<never>(() => undefined);
          return { statusCode: 202 };
        };
      },
      function: testFunction({ timeoutSeconds: 1 }),
      log: silentLog,
    });
    try {
      const first = await post(api.url);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const second = await post(api.url);
      expect([first, second]).toEqual([500, 202]);
      expect(environments).toEqual([1, 2]);
    } finally {
      await api.close();
    }
  });
});

/** POSTs `{}` to `base`'s ROUND0 route; resolves with the status. */
const post = (base: string) =>
  new Promise<number>((resolve, reject) => {
    const req = httpRequest(`${base}/webhooks/round0`, { method: 'POST' }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end('{}');
  });
