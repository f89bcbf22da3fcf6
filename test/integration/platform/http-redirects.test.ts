/**
 * Redirects followed by the outbound client against two real servers on 127.0.0.1 (two ports, two
 * origins): credentials never reach the second origin.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  createHttpClient,
  type HttpClientOptions,
  type HttpMethod,
  UrlRefusedError,
} from '../../../functions/platform/http.js';
import { redirectingHandler, startTestServer, type TestServer } from './test-servers.js';

describe('createHttpClient following redirects', () => {
  let origin: TestServer;
  let other: TestServer;

  beforeAll(async () => {
    [origin, other] = await Promise.all([startTestServer(redirectingHandler), startTestServer()]);
  });

  afterAll(() => Promise.all([origin.close(), other.close()]));

  beforeEach(() => {
    origin.requests.length = 0;
    other.requests.length = 0;
  });

  const client = (options: HttpClientOptions = {}) => createHttpClient({ maxAttempts: 1, ...options });
  const redirectUrl = (status: number, to: string) =>
    `${origin.url}/redirect/${status}?to=${encodeURIComponent(to)}`;

  it.each([
    ['authorization', { authorization: 'Bearer r0-secret' }, {}],
    ['x-api-key', { 'x-api-key': 'm1-secret' }, {}],
    ['cookie', { cookie: 'session=secret' }, {}],
    ['a header the request marks', { 'x-signature': 'sig' }, { credentialHeaders: ['X-Signature'] }],
  ])(
    'refuses a cross-origin redirect of a request carrying %s; the other origin sees nothing',
    async (_label, headers, extra) => {
      // Prepare
      const http = client();
      const connectionsBefore = other.connections();

      // Act
      const error = await http
        .request({
          method: 'GET',
          url: redirectUrl(302, `${other.url}/landing?email=ada@example.com`),
          headers,
          ...extra,
        })
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(UrlRefusedError);
      expect(error).toMatchObject({ reason: 'cross-origin-redirect', operation: 'GET /redirect/302' });
      expect((error as Error).message).not.toContain('ada@');
      expect(origin.requests).toHaveLength(1);
      expect(other.requests).toHaveLength(0);
      expect(other.connections()).toBe(connectionsBefore);
    },
  );

  it('refuses a cross-origin redirect for a header marked as a credential on the client', async () => {
    // Prepare
    const http = client({ credentialHeaders: ['x-lever-signature'] });

    // Act
    const attempt = http.request({
      method: 'GET',
      url: redirectUrl(307, `${other.url}/landing`),
      headers: { 'X-Lever-Signature': 'sig' },
    });

    // Assess
    await expect(attempt).rejects.toMatchObject({ reason: 'cross-origin-redirect' });
    expect(other.requests).toHaveLength(0);
  });

  it('follows a same-origin redirect with its credentials', async () => {
    // Prepare
    const http = client();

    // Act
    const response = await http.request({
      method: 'GET',
      url: redirectUrl(302, '/landing'),
      headers: { 'x-api-key': 'm1-secret' },
    });

    // Assess
    expect(response.body).toBe('landed with GET');
    expect(origin.requests.map((r) => [r.path, r.headers['x-api-key']])).toEqual([
      ['/redirect/302?to=%2Flanding', 'm1-secret'],
      ['/landing', 'm1-secret'],
    ]);
  });

  it('follows an unauthenticated redirect to another origin, taking only content-negotiation headers', async () => {
    // Prepare
    const http = client();

    // Act
    const response = await http.request({
      method: 'GET',
      url: redirectUrl(302, `${other.url}/media.mp3`),
      headers: { accept: 'audio/mpeg', range: 'bytes=0-', 'x-tenant': 'acme', 'X-Request-Id': 'r-1' },
    });

    // Assess
    expect(response.status).toBe(200);
    expect(other.requests).toHaveLength(1);
    expect(other.requests[0]?.headers).toMatchObject({ accept: 'audio/mpeg', range: 'bytes=0-' });
    expect(other.requests[0]?.headers['x-tenant']).toBeUndefined();
    expect(other.requests[0]?.headers['x-request-id']).toBeUndefined();
  });

  it('turns a POST into a GET without body on 303', async () => {
    // Prepare
    const http = client();

    // Act
    const response = await http.request({
      method: 'POST',
      url: redirectUrl(303, '/landing'),
      headers: { 'content-type': 'application/json' },
      body: '{"note":"hello"}',
    });

    // Assess
    expect(response.body).toBe('landed with GET');
    const landing = origin.requests[1];
    expect(landing).toMatchObject({ method: 'GET', path: '/landing', body: '' });
    expect(landing?.headers['content-type']).toBeUndefined();
  });

  it.each([301, 302])(
    'refuses to turn a POST into a GET on %d (fetch would: the write not made would read as done)',
    async (status) => {
      // Prepare
      const http = client();

      // Act
      const attempt = await http
        .request({ method: 'POST', url: redirectUrl(status, '/landing'), body: 'x' })
        .catch((error: unknown) => error);

      // Assess: refused for good, and nothing sent to the Location
      expect(attempt).toMatchObject({ name: 'UrlRefusedError', reason: 'method-changing-redirect' });
      expect(origin.requests).toHaveLength(1);
    },
  );

  it.each([301, 302])('follows a GET redirected with %d', async (status) => {
    // Act
    const response = await client().request({ method: 'GET', url: redirectUrl(status, '/landing') });

    // Assess
    expect(response.body).toBe('landed with GET');
  });

  it.each([307, 308])('keeps method and body on %d', async (status) => {
    // Prepare
    const http = client();

    // Act
    const response = await http.request({
      method: 'POST',
      url: redirectUrl(status, '/landing'),
      headers: { 'content-type': 'application/json', authorization: 'Bearer t' },
      body: '{"note":"hello"}',
    });

    // Assess
    expect(response.body).toBe('landed with POST');
    expect(origin.requests[1]).toMatchObject({ method: 'POST', path: '/landing', body: '{"note":"hello"}' });
    expect(origin.requests[1]?.headers).toMatchObject({
      'content-type': 'application/json',
      authorization: 'Bearer t',
    });
  });

  it.each<[HttpMethod, number]>([
    ['POST', 307],
    ['POST', 308],
    ['PATCH', 307],
    ['PATCH', 301],
  ])(
    'never re-sends a non-idempotent %s to another origin (%d), even without credentials',
    async (method, status) => {
      // Prepare
      const http = client();

      // Act
      const attempt = http.request({ method, url: redirectUrl(status, `${other.url}/notes`), body: '{}' });

      // Assess
      await expect(attempt).rejects.toMatchObject({
        name: 'UrlRefusedError',
        reason: 'cross-origin-redirect',
      });
      expect(other.requests).toHaveLength(0);
    },
  );

  it('lets an unauthenticated POST answered 303 fetch the result from another origin with a GET', async () => {
    // Prepare
    const http = client();

    // Act
    await http.request({ method: 'POST', url: redirectUrl(303, `${other.url}/result`), body: '{}' });

    // Assess
    expect(other.requests).toEqual([expect.objectContaining({ method: 'GET', path: '/result', body: '' })]);
  });

  it('re-sends an idempotent PUT to another origin on 307 when it carries no credentials', async () => {
    // Prepare
    const http = client();

    // Act
    await http.request({ method: 'PUT', url: redirectUrl(307, `${other.url}/object`), body: 'data' });

    // Assess
    expect(other.requests).toEqual([expect.objectContaining({ method: 'PUT', body: 'data' })]);
  });

  it('follows 3 redirects and refuses the 4th', async () => {
    // Prepare
    const http = client();

    // Act
    const three = await http.request({ method: 'GET', url: `${origin.url}/chain/3` });
    const sentForThree = origin.requests.length;
    const four = await http.request({ method: 'GET', url: `${origin.url}/chain/4` }).catch((e: unknown) => e);

    // Assess
    expect(three.body).toBe('landed with GET');
    expect(sentForThree).toBe(4);
    expect(four).toMatchObject({ name: 'UrlRefusedError', reason: 'too-many-redirects' });
    expect(origin.requests.length - sentForThree).toBe(4);
  });

  it('checks the allowlist on every hop: a redirect to a host outside it is refused before connecting', async () => {
    // Prepare
    const http = client({
      urlPolicy: {
        allowHttp: true,
        allowPrivateAddresses: true,
        allowedHosts: [new URL(origin.url).host],
      },
    });
    const connectionsBefore = other.connections();

    // Act
    const attempt = http.request({ method: 'GET', url: redirectUrl(302, `${other.url}/x`) });

    // Assess
    await expect(attempt).rejects.toMatchObject({ reason: 'host-not-allowed' });
    expect(other.connections()).toBe(connectionsBefore);
  });
});
