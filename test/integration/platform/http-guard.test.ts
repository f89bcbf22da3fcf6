/**
 * The outbound client's SSRF guard, size cap, deadline and streaming against real servers on 127.0.0.1.
 * Under a policy that refuses private addresses the server must see no connection at all.
 */
import { createHash } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  createHttpClient,
  type HttpClientOptions,
  HttpPermanentError,
  HttpTransientError,
  ResponseTooLargeError,
  UrlRefusedError,
} from '../../../functions/platform/http.js';
import { connectRefusalOf, createUrlGuard } from '../../../functions/platform/url-guard.js';
import { startTestServer, type TestServer } from './test-servers.js';

const resolveTo =
  (...addresses: string[]) =>
  async (): Promise<LookupAddress[]> =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

const collect = async (body: AsyncIterable<Buffer>): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
};

describe('createHttpClient with a URL policy (SSRF guard)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(() => server.close());

  const guarded = (options: HttpClientOptions = {}) =>
    createHttpClient({ maxAttempts: 1, timeoutMs: 2_000, urlPolicy: { allowHttp: true }, ...options });

  it('refuses loopback literals, and names that resolve to private addresses, before connecting', async () => {
    // Prepare
    const before = server.connections();
    const http = guarded({ resolveHost: resolveTo('127.0.0.1') });

    // Act
    const errors = await Promise.all(
      [
        `http://127.0.0.1:${server.port}/x`,
        `http://2130706433:${server.port}/x`,
        `http://[::ffff:127.0.0.1]:${server.port}/x`,
        `http://interview-media.test:${server.port}/x?token=secret`,
      ].map((url) => http.request({ method: 'GET', url }).catch((error: unknown) => error)),
    );

    // Assess
    for (const error of errors) {
      expect(error).toBeInstanceOf(UrlRefusedError);
      expect(error).toMatchObject({ reason: 'private-address', operation: 'GET /x' });
      expect((error as Error).message).not.toContain('secret');
    }
    expect((errors[3] as Error).message).toBe(
      'GET /x: URL refused (private-address): interview-media.test resolves to a non-public address: 127.0.0.1 is loopback',
    );
    expect(server.connections()).toBe(before);
  });

  it('refuses localhost through the real resolver', async () => {
    // Prepare
    const before = server.connections();

    // Act
    const attempt = guarded().request({ method: 'GET', url: `http://localhost:${server.port}/x` });

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'UrlRefusedError', reason: 'private-address' });
    expect(server.connections()).toBe(before);
  });

  it('refuses a name when any of its addresses is private, dialling none of them', async () => {
    // Prepare
    const before = server.connections();
    const http = guarded({ resolveHost: resolveTo('93.184.215.14', '127.0.0.1') });

    // Act
    const attempt = http.request({ method: 'GET', url: `http://mixed.test:${server.port}/x` });

    // Assess
    await expect(attempt).rejects.toMatchObject({ reason: 'private-address' });
    expect(server.connections()).toBe(before);
  });

  it('resolves the name once, for the connection itself (no window for DNS rebinding)', async () => {
    // Prepare
    const lookups: string[] = [];
    const http = guarded({
      resolveHost: async (hostname) => {
        lookups.push(hostname);
        return [{ address: '169.254.169.254', family: 4 }];
      },
    });

    // Act
    const attempt = http.request({
      method: 'GET',
      url: `http://rebind.test:${server.port}/latest/meta-data`,
    });

    // Assess
    await expect(attempt).rejects.toMatchObject({ reason: 'private-address' });
    expect(lookups).toEqual(['rebind.test']);
  });

  it('reaches the same server when the policy allows private addresses (the observation works)', async () => {
    // Prepare
    const before = server.connections();
    const http = guarded({
      urlPolicy: { allowHttp: true, allowPrivateAddresses: true },
      resolveHost: resolveTo('127.0.0.1'),
    });

    // Act
    const response = await http.request({ method: 'GET', url: `http://localhost:${server.port}/x` });

    // Assess
    expect(response.body).toBe('ok');
    expect(server.connections()).toBeGreaterThan(before);
  });

  it('has a dispatcher that refuses loopback literals itself, should a URL ever skip the pre-flight check', async () => {
    // Prepare
    const dispatcher = await createUrlGuard({ allowHttp: true }).dispatcher();
    const before = server.connections();

    // Act
    const error = await fetch(`${server.url}/x`, { dispatcher } as RequestInit).catch((e: unknown) => e);

    // Assess
    expect(connectRefusalOf(error)).toMatchObject({
      reason: 'private-address',
      detail: '127.0.0.1 is loopback',
    });
    expect(server.connections()).toBe(before);
  });

  it('keeps today’s behaviour without a policy: http to a loopback fake works', async () => {
    // Act
    const response = await createHttpClient({ maxAttempts: 1 }).request({
      method: 'GET',
      url: `${server.url}/x`,
    });

    // Assess
    expect(response.status).toBe(200);
  });
});

describe('createHttpClient limits', () => {
  let server: TestServer;
  let encodedHits = 0;
  let closedEarly: Promise<number>;
  let reportClose: (bytes: number) => void;

  beforeAll(async () => {
    server = await startTestServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://placeholder');
      if (url.pathname === '/bytes') {
        const size = Number(url.searchParams.get('size'));
        const body = Buffer.alloc(size, 7);
        const headers = url.searchParams.has('chunked') ? {} : { 'content-length': String(size) };
        response.writeHead(200, headers).end(body);
      } else if (url.pathname === '/endless') {
        // Writes 64 KiB chunks until the client goes away: a "5 GB" file.
        let sent = 0;
        const chunk = Buffer.alloc(64 * 1024, 1);
        response.writeHead(200, { 'content-type': 'video/mp4' });
        const pump = () => {
          while (!response.destroyed && sent < 512 * 1024 * 1024) {
            sent += chunk.length;
            if (!response.write(chunk)) {
              response.once('drain', pump);
              return;
            }
          }
        };
        response.on('close', () => reportClose(sent));
        pump();
      } else if (url.pathname === '/hang') {
        // Never answers.
      } else if (url.pathname === '/trickle') {
        response.writeHead(200).write('first');
      } else if (url.pathname === '/paced') {
        // Eight 64 KiB chunks, one every 100 ms: slow, never silent for long.
        response.writeHead(200);
        let left = 8;
        const next = () => {
          if (response.destroyed) return;
          response.write(Buffer.alloc(64 * 1024, 2));
          if (--left === 0) response.end();
          else setTimeout(next, 100);
        };
        next();
      } else if (url.pathname === '/stacked' || url.pathname === '/unknown-coding') {
        encodedHits += 1;
        const stacked = url.pathname === '/stacked';
        const body = stacked ? gzipSync(gzipSync(Buffer.alloc(1024, 0))) : Buffer.from('compressed');
        response.writeHead(200, { 'content-encoding': stacked ? 'gzip, gzip' : 'zz-custom' }).end(body);
      } else if (url.pathname === '/encoded-503' || url.pathname === '/encoded-404') {
        encodedHits += 1;
        response
          .writeHead(url.pathname === '/encoded-503' ? 503 : 404, { 'content-encoding': 'gzip, gzip' })
          .end(gzipSync(gzipSync(Buffer.from('{"message":"busy"}'))));
      } else if (url.pathname === '/gzip') {
        response.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(Buffer.from('plain text')));
      } else if (url.pathname === '/missing') {
        response.writeHead(404).end('no such recording');
      } else {
        response.writeHead(200).end('ok');
      }
    });
  });

  afterAll(() => server.close());

  beforeEach(() => {
    closedEarly = new Promise((resolve) => {
      reportClose = resolve;
    });
  });

  const client = (options: HttpClientOptions = {}) => createHttpClient({ maxAttempts: 1, ...options });

  it('stops reading a body past maxResponseBytes with a permanent error', async () => {
    // Prepare
    const http = client({ maxResponseBytes: 1024 });

    // Act
    const declared = await http
      .request({ method: 'GET', url: `${server.url}/bytes?size=2048` })
      .catch((e: unknown) => e);
    const streamed = await http
      .request({ method: 'GET', url: `${server.url}/bytes?size=2048&chunked` })
      .catch((e: unknown) => e);
    const fits = await http.request({ method: 'GET', url: `${server.url}/bytes?size=1024&chunked` });

    // Assess
    expect(declared).toBeInstanceOf(ResponseTooLargeError);
    expect(streamed).toBeInstanceOf(ResponseTooLargeError);
    expect(streamed).toBeInstanceOf(HttpPermanentError);
    expect(fits.body).toHaveLength(1024);
  });

  it('refuses stacked or unknown content codings before reading, for good (one attempt), and reads gzip', async () => {
    // Prepare: a client that would retry a transient failure three times
    const http = createHttpClient({ maxAttempts: 3, baseDelayMs: 1 });
    encodedHits = 0;

    // Act
    const stacked = await http
      .request({ method: 'GET', url: `${server.url}/stacked` })
      .catch((e: unknown) => e);
    const unknown = await http
      .request({ method: 'GET', url: `${server.url}/unknown-coding` })
      .catch((e: unknown) => e);
    const streamed = await http
      .stream({ method: 'GET', url: `${server.url}/stacked` })
      .catch((e: unknown) => e);
    const plain = await http.request({ method: 'GET', url: `${server.url}/gzip` });

    // Assess: each refused as permanent on its first answer; a single gzip read as text
    for (const error of [stacked, unknown, streamed]) {
      expect(error).toBeInstanceOf(HttpPermanentError);
      expect((error as Error).name).toBe('UnreadableEncodingError');
    }
    expect(encodedHits).toBe(3);
    expect(plain.body).toBe('plain text');
  });

  it('classifies an error page in an unreadable coding by its status: a 503 retried and transient, a 404 a 404', async () => {
    // Prepare: a client that retries a transient failure three times
    const http = createHttpClient({ maxAttempts: 3, baseDelayMs: 1 });
    encodedHits = 0;

    // Act
    const busy = await http
      .request({ method: 'GET', url: `${server.url}/encoded-503` })
      .catch((e: unknown) => e);
    const missing = await http
      .request({ method: 'GET', url: `${server.url}/encoded-404` })
      .catch((e: unknown) => e);

    // Assess: three attempts at the 503, one at the 404; neither refused for its coding
    expect(busy).toBeInstanceOf(HttpTransientError);
    expect(busy).toMatchObject({ status: 503 });
    expect(missing).toBeInstanceOf(HttpPermanentError);
    expect(missing).toMatchObject({ name: 'HttpPermanentError', status: 404 });
    expect(encodedHits).toBe(4);
  });

  it('gives up at the overall deadline even though each attempt could take longer', async () => {
    // Prepare
    const http = createHttpClient({ maxAttempts: 4, timeoutMs: 5_000, deadlineMs: 300 });

    // Act
    const error = await http.request({ method: 'GET', url: `${server.url}/hang` }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(HttpTransientError);
    expect((error as Error).message).toBe('GET /hang: deadline of 300 ms exceeded');
  });

  it('streams a body in full, byte for byte, under the cap', async () => {
    // Prepare
    const size = 3 * 1024 * 1024;
    const http = client({ maxResponseBytes: 4 * 1024 * 1024 });

    // Act
    const response = await http.stream({ method: 'GET', url: `${server.url}/bytes?size=${size}&chunked` });
    const body = await collect(response.body);

    // Assess
    expect(response.status).toBe(200);
    expect(body).toHaveLength(size);
    expect(createHash('sha256').update(body).digest('hex')).toBe(
      createHash('sha256').update(Buffer.alloc(size, 7)).digest('hex'),
    );
  });

  it('fails a stream past the cap and abandons the download instead of holding it', async () => {
    // Prepare
    const cap = 1024 * 1024;
    const http = client({ maxResponseBytes: cap });

    // Act
    const response = await http.stream({ method: 'GET', url: `${server.url}/endless` });
    const error = await collect(response.body).catch((e: unknown) => e);
    const sentByServer = await closedEarly;

    // Assess
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect(error).toMatchObject({ maxBytes: cap, status: 200 });
    // The server stopped long before its 512 MiB: only what socket buffers held was sent.
    expect(sentByServer).toBeLessThan(64 * 1024 * 1024);
  });

  it('refuses a stream whose Content-Length exceeds the cap before reading it', async () => {
    // Prepare
    const http = client({ maxResponseBytes: 1024 });

    // Act
    const attempt = http.stream({ method: 'GET', url: `${server.url}/bytes?size=4096` });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ResponseTooLargeError);
  });

  it('throws error statuses from stream as request does, and honours a per-request cap', async () => {
    // Prepare
    const http = client({ maxResponseBytes: 10 });

    // Act
    const missing = await http
      .stream({ method: 'GET', url: `${server.url}/missing` })
      .catch((e: unknown) => e);
    const larger = await http.stream({
      method: 'GET',
      url: `${server.url}/bytes?size=100&chunked`,
      maxResponseBytes: 100,
    });

    // Assess
    expect(missing).toBeInstanceOf(HttpPermanentError);
    expect(missing).toMatchObject({ status: 404, body: '' });
    expect(await collect(larger.body)).toHaveLength(100);
  });

  it('fails a stream whose body outlives the deadline, though headers came in time', async () => {
    // Prepare
    const http = client({ timeoutMs: 5_000, deadlineMs: 300 });

    // Act
    const response = await http.stream({ method: 'GET', url: `${server.url}/trickle` });
    const error = await collect(response.body).catch((e: unknown) => e);

    // Assess
    expect(response.status).toBe(200);
    expect((error as Error).name).toBe('TimeoutError');
  });

  it('fails a stream whose body stalls past the idle timeout, as transient, long before the deadline', async () => {
    // Prepare
    const http = client({ timeoutMs: 5_000, deadlineMs: 30_000, bodyIdleTimeoutMs: 300 });

    // Act
    const response = await http.stream({ method: 'GET', url: `${server.url}/trickle` });
    const error = await collect(response.body).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(HttpTransientError);
    expect(error).toMatchObject({ message: 'GET /trickle: body stalled (no bytes for 300 ms)', status: 200 });
  });

  it('does not count time its reader spends elsewhere, nor a slow body that keeps coming, as a stall', async () => {
    // Prepare
    const http = client({ bodyIdleTimeoutMs: 300 });
    const slowReader = async (body: AsyncIterable<Buffer>): Promise<number> => {
      let size = 0;
      for await (const chunk of body) {
        size += chunk.byteLength;
        // An upload of what was read that takes longer than the idle timeout.
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      return size;
    };

    // Act
    const bytes = await http.stream({ method: 'GET', url: `${server.url}/bytes?size=100000` });
    const paced = await http.stream({ method: 'GET', url: `${server.url}/paced` });

    // Assess
    expect(await slowReader(bytes.body)).toBe(100_000);
    expect(await collect(paced.body)).toHaveLength(8 * 64 * 1024);
  });

  it('refuses a stream to a private address under a policy', async () => {
    // Prepare
    const before = server.connections();
    const http = client({ urlPolicy: { allowHttp: true } });

    // Act
    const attempt = http.stream({ method: 'GET', url: `${server.url}/bytes?size=10` });

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'UrlRefusedError', reason: 'private-address' });
    expect(server.connections()).toBe(before);
  });
});
