/**
 * The archive's media source against a local HTTP server: the SSRF cases refused before any connection,
 * loopback admitted only under the local relaxation, byte ranges, the final URL after redirects, the
 * per-vendor media hosts and their configuration.
 */
import type { LookupAddress } from 'node:dns';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ArchiveTimeBudgetError } from '../../../functions/archive/errors.js';
import {
  createMediaSource,
  defaultArchiveMediaHosts,
  type MediaSourceOptions,
  mediaPolicyFor,
  parseArchiveMediaHosts,
} from '../../../functions/archive/media-source.js';
import type { MediaResponse } from '../../../functions/archive/types.js';
import { ConfigurationError } from '../../../functions/platform/errors.js';
import {
  HttpPermanentError,
  HttpTransientError,
  ResponseTooLargeError,
  UrlRefusedError,
} from '../../../functions/platform/http.js';
import { createUrlGuard, type UrlPolicyRelaxation } from '../../../functions/platform/url-guard.js';
import { startTestServer, type TestServer } from '../platform/test-servers.js';

/** The relaxation `npm start` sets (`OUTBOUND_ALLOW_LOCAL=true`). */
const localRun: UrlPolicyRelaxation = { allowHttp: true, allowPrivateAddresses: true };
const oneAttempt = { maxAttempts: 1, sleep: async () => undefined } as const;

/** 100 KB whose every byte says where it is, so a slice can be checked. */
const media = Buffer.from(Array.from({ length: 100_000 }, (_, index) => index % 251));

/** Resolves every name to `addresses` (the http tests' injected resolver). */
const resolveTo =
  (table: Readonly<Record<string, string>>) =>
  async (hostname: string): Promise<LookupAddress[]> => {
    const address = table[hostname];
    if (address === undefined) throw Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return [{ address, family: address.includes(':') ? 6 : 4 }];
  };

const collect = async (response: MediaResponse): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of response.body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/**
 * `/media/<name>`: the media, honouring a single `Range` (206) unless `?ignore-range`, or answering 206 for
 * the wrong bytes with `?wrong-range`; `/redirect?to=<url>`: 302; `/status/<n>`: that status; `/huge`: a
 * declared 3 GiB body; `/hang`: no answer at all; `/stall`: headers and a first chunk, then nothing.
 */
const mediaServer = (request: IncomingMessage, response: ServerResponse): void => {
  const url = new URL(request.url ?? '/', 'http://placeholder');
  if (url.pathname === '/redirect') {
    response.writeHead(302, { location: url.searchParams.get('to') ?? '/' }).end();
    return;
  }
  const status = /^\/status\/(\d{3})$/.exec(url.pathname)?.[1];
  if (status !== undefined) {
    response.writeHead(Number(status)).end('no');
    return;
  }
  if (url.pathname === '/hang') return;
  if (url.pathname === '/stall') {
    response.writeHead(200, { 'content-length': String(media.length) });
    response.write(media.subarray(0, 1000));
    return;
  }
  if (url.pathname === '/huge') {
    response.writeHead(200, { 'content-length': String(3 * 1024 ** 3) });
    response.write(media);
    return;
  }
  const range = /^bytes=(\d+)-(\d+)$/.exec(request.headers.range ?? '');
  if (range === null || url.searchParams.has('ignore-range')) {
    response.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': media.length }).end(media);
    return;
  }
  const first = Number(range[1]) + (url.searchParams.has('wrong-range') ? 1 : 0);
  const last = Math.min(Number(range[2]), media.length - 1);
  response
    .writeHead(206, { 'content-range': `bytes ${first}-${last}/${media.length}` })
    .end(media.subarray(first, last + 1));
};

describe('media source', () => {
  let server: TestServer;
  let port: number;

  beforeAll(async () => {
    server = await startTestServer(mediaServer);
    port = server.port;
  });

  afterAll(() => server.close());

  beforeEach(() => {
    server.requests.length = 0;
  });

  const source = (options: MediaSourceOptions) => createMediaSource({ ...oneAttempt, ...options });

  /** Fetches `url`, expecting a refusal that no connection to the test server preceded. */
  const expectRefused = async (
    options: MediaSourceOptions,
    url: string,
    reason: UrlRefusedError['reason'],
  ): Promise<UrlRefusedError> => {
    const before = server.connections();
    const error = await source(options)
      .fetch(url)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UrlRefusedError);
    expect(error).toMatchObject({ reason, status: 0 });
    expect(server.connections()).toBe(before);
    return error as UrlRefusedError;
  };

  describe('refuses SSRF targets before connecting', () => {
    it('refuses loopback as a deployed function (no relaxation), whether over http or https', async () => {
      // Prepare
      const deployed = { policy: mediaPolicyFor('micro1', defaultArchiveMediaHosts) };

      // Act / Assess
      await expectRefused(deployed, `http://127.0.0.1:${port}/media/a.mp3`, 'scheme');
      await expectRefused(deployed, `https://127.0.0.1:${port}/media/a.mp3`, 'host-not-allowed');
      await expectRefused(deployed, `https://localhost:${port}/media/a.mp3`, 'host-not-allowed');
    });

    it('refuses a host that is not on the vendor’s list, even one resolving to the server', async () => {
      // Prepare
      const options = {
        policy: { ...mediaPolicyFor('micro1', defaultArchiveMediaHosts), allowHttp: true },
        resolveHost: resolveTo({ 'media.attacker.test': '127.0.0.1' }),
      };

      // Act
      const error = await expectRefused(
        options,
        `http://media.attacker.test:${port}/media/a.mp3?sig=secret`,
        'host-not-allowed',
      );

      // Assess
      expect(error.message).not.toContain('secret');
      expect(error.message).not.toContain('/media/');
    });

    it('refuses listed hosts whose address is loopback, metadata, private or IPv4-mapped', async () => {
      // Prepare: every host listed (and http allowed), so only the address check stands in the way.
      const options = {
        policy: {
          allowHttp: true,
          allowedHosts: [
            `127.0.0.1:${port}`,
            `169.254.169.254:${port}`,
            `10.20.30.40:${port}`,
            `[::ffff:127.0.0.1]:${port}`,
            `*.micro1.ai:${port}`,
          ],
        },
        resolveHost: resolveTo({
          'cdn.micro1.ai': '127.0.0.1',
          'metadata.micro1.ai': '169.254.169.254',
          'internal.micro1.ai': '10.0.0.8',
        }),
      };

      // Act / Assess
      for (const host of [
        '127.0.0.1',
        '169.254.169.254',
        '10.20.30.40',
        '[::ffff:127.0.0.1]',
        'cdn.micro1.ai',
        'metadata.micro1.ai',
        'internal.micro1.ai',
      ]) {
        await expectRefused(options, `http://${host}:${port}/latest/meta-data/`, 'private-address');
      }
    });

    it('refuses a redirect to a private address, checked when the connection is opened', async () => {
      // Prepare: the vendor's CDN (answered in-process) redirects to a name that resolves to loopback.
      const followed: string[] = [];
      const options: MediaSourceOptions = {
        policy: { allowHttp: true, allowedHosts: ['cdn.micro1.ai', `*.micro1.ai:${port}`] },
        resolveHost: resolveTo({ 'internal.micro1.ai': '127.0.0.1' }),
        fetch: async (input, init) => {
          const url = String(input);
          followed.push(new URL(url).host);
          if (new URL(url).host === 'cdn.micro1.ai') {
            return new Response(null, {
              status: 302,
              headers: { location: `http://internal.micro1.ai:${port}/media/a.mp3` },
            });
          }
          // Anything else goes out for real, through the guard's dispatcher.
          return fetch(url, init);
        },
      };

      // Act
      await expectRefused(options, 'https://cdn.micro1.ai/recordings/a.m3u8', 'private-address');

      // Assess
      expect(followed).toEqual(['cdn.micro1.ai', `internal.micro1.ai:${port}`]);
    });

    it('refuses a redirect from a local fake to the metadata endpoint, even in a local run', async () => {
      // Prepare
      const options = { policy: mediaPolicyFor('round0', defaultArchiveMediaHosts, localRun) };

      // Act
      const error = await source(options)
        .fetch(`http://127.0.0.1:${port}/redirect?to=${encodeURIComponent('http://169.254.169.254/latest/')}`)
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(UrlRefusedError);
      expect(error).toMatchObject({ reason: 'host-not-allowed', host: '169.254.169.254' });
      expect(server.requests.map((request) => request.path)).toEqual([
        `/redirect?to=${encodeURIComponent('http://169.254.169.254/latest/')}`,
      ]);
    });

    it('refuses file: and ftp: URLs, in a local run too', async () => {
      // Prepare
      const deployed = { policy: mediaPolicyFor('micro1', defaultArchiveMediaHosts) };
      const local = { policy: mediaPolicyFor('micro1', defaultArchiveMediaHosts, localRun) };

      // Act / Assess
      for (const options of [deployed, local]) {
        await expectRefused(options, 'file:///etc/passwd', 'scheme');
        await expectRefused(options, `ftp://127.0.0.1:${port}/media/a.mp3`, 'scheme');
        await expectRefused(options, 'ftp://ftp.micro1.ai/media/a.mp3', 'scheme');
      }
    });
  });

  describe('streams media', () => {
    const local = () => source({ policy: mediaPolicyFor('round0', defaultArchiveMediaHosts, localRun) });

    it('streams http from 127.0.0.1 and localhost in a local run, though not listed', async () => {
      // Act
      const byAddress = await local().fetch(`http://127.0.0.1:${port}/media/a.mp3`);
      const byName = await local().fetch(`http://localhost:${port}/media/a.mp3`);

      // Assess
      expect(byAddress).toMatchObject({ status: 200, url: `http://127.0.0.1:${port}/media/a.mp3` });
      expect(byAddress.headers.get('content-type')).toBe('audio/mpeg');
      expect((await collect(byAddress)).equals(media)).toBe(true);
      expect((await collect(byName)).equals(media)).toBe(true);
      expect(server.requests[0]?.headers['accept-encoding']).toBe('identity');
    });

    it('asks for a byte range and hands back the 206 with exactly those bytes', async () => {
      // Act
      const response = await local().fetch(`http://127.0.0.1:${port}/media/single.ts`, {
        offset: 1_000,
        length: 2_500,
      });

      // Assess
      expect(response.status).toBe(206);
      expect(server.requests[0]?.headers.range).toBe('bytes=1000-3499');
      expect((await collect(response)).equals(media.subarray(1_000, 3_500))).toBe(true);
    });

    it('cuts the range out of a 200 when the server ignores Range', async () => {
      // Act
      const response = await local().fetch(`http://127.0.0.1:${port}/media/single.ts?ignore-range`, {
        offset: 70_000,
        length: 20_000,
      });

      // Assess
      expect(response.status).toBe(200);
      expect((await collect(response)).equals(media.subarray(70_000, 90_000))).toBe(true);
    });

    it('fails permanently on a 206 for other bytes, or a range beyond the end of the file', async () => {
      // Act
      const wrong = await local()
        .fetch(`http://127.0.0.1:${port}/media/single.ts?wrong-range`, { offset: 10, length: 10 })
        .catch((e: unknown) => e);
      const short = await local()
        .fetch(`http://127.0.0.1:${port}/media/single.ts`, { offset: 99_990, length: 100 })
        .catch((e: unknown) => e);
      const shortWhole = await local()
        .fetch(`http://127.0.0.1:${port}/media/single.ts?ignore-range`, { offset: 99_990, length: 100 })
        .then(collect)
        .catch((e: unknown) => e);

      // Assess
      expect(wrong).toBeInstanceOf(HttpPermanentError);
      expect(wrong).toMatchObject({ status: 206 });
      expect(short).toBeInstanceOf(HttpPermanentError);
      expect(shortWhole).toBeInstanceOf(HttpPermanentError);
    });

    it('reports the URL the body came from after a redirect', async () => {
      // Act
      const response = await local().fetch(`http://127.0.0.1:${port}/redirect?to=/media/v0/index.m3u8`);

      // Assess
      expect(response.url).toBe(`http://127.0.0.1:${port}/media/v0/index.m3u8`);
      expect((await collect(response)).equals(media)).toBe(true);
    });

    it('keeps the HTTP client’s error classes: 404 permanent, 503 transient', async () => {
      // Act
      const missing = await local()
        .fetch(`http://127.0.0.1:${port}/status/404`)
        .catch((e: unknown) => e);
      const unavailable = await local()
        .fetch(`http://127.0.0.1:${port}/status/503`)
        .catch((e: unknown) => e);
      const notModified = await local()
        .fetch(`http://127.0.0.1:${port}/status/304`)
        .catch((e: unknown) => e);

      // Assess
      expect(missing).toBeInstanceOf(HttpPermanentError);
      expect(missing).toMatchObject({ status: 404, operation: `media GET 127.0.0.1:${port}` });
      expect(unavailable).toBeInstanceOf(HttpTransientError);
      expect(unavailable).toMatchObject({ status: 503 });
      expect(notModified).toBeInstanceOf(HttpPermanentError);
      expect(notModified).toMatchObject({ status: 304 });
    });

    it('ends a request that hangs, or whose body stalls, by `until` (the invocation’s time), a fraction of a millisecond included', async () => {
      // Prepare: four attempts, each of which could wait 15 s for headers, within a budget of 300.5 ms
      const budgeted = () =>
        createMediaSource({
          policy: mediaPolicyFor('round0', defaultArchiveMediaHosts, localRun),
          until: Date.now() + 300.5,
        });

      // Act
      const hung = await budgeted()
        .fetch(`http://127.0.0.1:${port}/hang`)
        .catch((e: unknown) => e);
      const stalled = await budgeted()
        .fetch(`http://127.0.0.1:${port}/stall`)
        .then(collect)
        .catch((e: unknown) => e);

      // Assess: transient (the task is retried and resumes), ended by the deadline, not by a timeout
      expect(hung).toBeInstanceOf(HttpTransientError);
      expect((hung as Error).message).toMatch(/deadline of \d+ ms exceeded/);
      // A body cut short errors with the deadline signal's reason (transient to the archive's classification)
      expect(stalled).toMatchObject({ name: 'TimeoutError' });
      expect(server.requests.map((request) => request.path)).toEqual(['/hang', '/stall']);
    });

    it('ends a body that stalls after the body idle timeout as transient, with time left in the invocation', async () => {
      // Prepare: 30 s of budget, a host that sends headers and a first chunk, then nothing
      const source = createMediaSource({
        policy: mediaPolicyFor('round0', defaultArchiveMediaHosts, localRun),
        until: Date.now() + 30_000,
        bodyIdleTimeoutMs: 200,
      });

      // Act
      const stalled = await source
        .fetch(`http://127.0.0.1:${port}/stall`)
        .then(collect)
        .catch((e: unknown) => e);

      // Assess: the retry resumes from what was stored; the invocation was not held to its end
      expect(stalled).toBeInstanceOf(HttpTransientError);
      expect((stalled as Error).message).toBe(
        `media GET 127.0.0.1:${port}: body stalled (no bytes for 200 ms)`,
      );
    });

    it('starts no request once `until` has passed', async () => {
      // Prepare
      const spent = createMediaSource({
        policy: mediaPolicyFor('round0', defaultArchiveMediaHosts, localRun),
        until: Date.now() - 1,
      });
      const before = server.connections();

      // Act
      const error = await spent.fetch(`http://127.0.0.1:${port}/media/a.mp3`).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(ArchiveTimeBudgetError);
      expect(error).toMatchObject({ transient: true });
      expect(server.connections()).toBe(before);
    });

    it('caps a body at 2 GiB by default', async () => {
      // Act
      const error = await local()
        .fetch(`http://127.0.0.1:${port}/huge`)
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(ResponseTooLargeError);
      expect(error).toMatchObject({ maxBytes: 2 * 1024 ** 3 });
    });
  });

  describe('media hosts configuration', () => {
    const admits = (vendor: 'micro1' | 'round0', hosts: typeof defaultArchiveMediaHosts, url: string) =>
      createUrlGuard(mediaPolicyFor(vendor, hosts)).check(new URL(url)) === undefined;

    it('admits micro1’s own domain by default, apex and subdomains, over https only', () => {
      // Assess
      expect(admits('micro1', defaultArchiveMediaHosts, 'https://micro1.ai/report/h0gqkAcaDJ.pdf')).toBe(
        true,
      );
      expect(admits('micro1', defaultArchiveMediaHosts, 'https://micro1.ai/interview/h0gqkAcaDJ.m3u8')).toBe(
        true,
      );
      expect(admits('micro1', defaultArchiveMediaHosts, 'https://zara.micro1.ai/ai-interview-videos/x')).toBe(
        true,
      );
      expect(admits('micro1', defaultArchiveMediaHosts, 'http://micro1.ai/report/x.pdf')).toBe(false);
      expect(admits('micro1', defaultArchiveMediaHosts, 'https://micro1.ai.attacker.test/x.pdf')).toBe(false);
      expect(admits('micro1', defaultArchiveMediaHosts, 'https://storage.round0.io/audio/abc123.mp3')).toBe(
        false,
      );
    });

    it('admits no ROUND0 host by default (its storage host is not documented)', () => {
      // Assess
      expect(defaultArchiveMediaHosts.round0).toEqual([]);
      expect(admits('round0', defaultArchiveMediaHosts, 'https://storage.round0.io/audio/abc123.mp3')).toBe(
        false,
      );
    });

    it('reads ARCHIVE_MEDIA_HOSTS: a named vendor gets exactly its list, the others their defaults', () => {
      // Act
      const unset = parseArchiveMediaHosts(undefined);
      const configured = parseArchiveMediaHosts('{"round0": ["storage.round0.io"]}');
      const narrowed = parseArchiveMediaHosts('{"micro1": ["d111111abcdef8.cloudfront.net"], "round0": []}');

      // Assess
      expect(unset).toEqual(defaultArchiveMediaHosts);
      expect(configured).toEqual({ micro1: ['micro1.ai', '*.micro1.ai'], round0: ['storage.round0.io'] });
      expect(admits('round0', configured, 'https://storage.round0.io/audio/abc123.mp3')).toBe(true);
      expect(admits('micro1', narrowed, 'https://micro1.ai/report/x.pdf')).toBe(false);
      expect(admits('micro1', narrowed, 'https://d111111abcdef8.cloudfront.net/x.m3u8')).toBe(true);
    });

    it.each([
      ['not JSON', 'micro1.ai'],
      ['an unknown vendor', '{"round1": ["storage.round0.io"]}'],
      ['a list that is not of strings', '{"micro1": [42]}'],
      ['a malformed host', '{"micro1": ["https://micro1.ai/"]}'],
      ['a wildcard over a top-level domain', '{"round0": ["*.io"]}'],
    ])('refuses %s with a ConfigurationError', (_case, raw) => {
      // Act / Assess
      expect(() => parseArchiveMediaHosts(raw)).toThrow(ConfigurationError);
    });
  });
});
