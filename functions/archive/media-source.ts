/**
 * The archive's {@link MediaSource}: media URLs from vendor payloads (answer audio, report PDFs, HLS
 * playlists, segments and keys) streamed through the one outbound HTTP client (`platform/http.ts`), under a
 * per-vendor media policy: https only, the vendor's media hosts only, public addresses only (checked again
 * at connect time and on every redirect hop), a per-hop timeout, a body idle timeout, an overall deadline and
 * a size cap.
 *
 * These URLs come from webhook payloads, which anyone who learns a receiver URL can forge: without the
 * guard a payload naming `http://169.254.169.254/…` would have the archive copy the Lambda's credentials into
 * the bucket. So every host is refused unless configured (`ARCHIVE_MEDIA_HOSTS`, {@link parseArchiveMediaHosts}).
 *
 * Local runs (`npm start`, relaxation `OUTBOUND_ALLOW_LOCAL=true`) may also fetch plain http from loopback
 * (`127.0.0.1`, `localhost`, `[::1]`) on any port without listing it: that is where the local media fakes
 * listen, on ports chosen at start. Deployed functions never get the relaxation, so never this either.
 */
import { Readable } from 'node:stream';
import * as v from 'valibot';
import { ConfigurationError } from '../platform/errors.js';
import {
  createHttpClient,
  type HttpClient,
  type HttpClientOptions,
  HttpPermanentError,
  type HttpStreamResponse,
  type UrlPolicy,
  type UrlPolicyRelaxation,
} from '../platform/http.js';
import { createUrlGuard } from '../platform/url-guard.js';
import { type VendorName, vendorNames } from '../vendors/envelope.js';
import { ArchiveTimeBudgetError } from './errors.js';
import type { MediaResponse, MediaSource } from './types.js';

/** Per vendor, the hosts its media URLs may name, in the URL guard's syntax (`host`, `*.suffix`, `host:port`). */
export type ArchiveMediaHosts = Readonly<Record<VendorName, readonly string[]>>;

/**
 * The media hosts used when `ARCHIVE_MEDIA_HOSTS` does not name a vendor.
 * - micro1: its own domain. The samples of its API reference and webhook catalogue serve reports and
 *   recordings from the apex (`https://micro1.ai/report/<id>.pdf`, `https://micro1.ai/interview/<id>.m3u8`)
 *   and player pages from subdomains (`zara.micro1.ai`); a wildcard does not cover the apex, so both are
 *   listed. The CDN the playlists' segments really come from is not documented: if it is another domain
 *   (CloudFront, S3), add its exact host in configuration (a wildcard over such a shared domain is refused).
 * - ROUND0: none. Its storage host is not documented (the webhook guide's sample names `storage.round0.io`,
 *   a sample, not a statement of where audio lives), so nothing is assumed: an empty list admits no host and
 *   ROUND0 audio is refused (a permanent failure an operator sees) until the host is configured.
 */
export const defaultArchiveMediaHosts: ArchiveMediaHosts = {
  micro1: ['micro1.ai', '*.micro1.ai'],
  round0: [],
};

const hostList = v.optional(v.array(v.string()));
/** Strict: a misspelt vendor name would otherwise be ignored and that vendor left on its defaults. */
const mediaHostsSchema = v.strictObject({
  micro1: hostList,
  round0: hostList,
} satisfies Record<VendorName, typeof hostList>);

/**
 * The media hosts of every vendor from `ARCHIVE_MEDIA_HOSTS`, a JSON object such as
 * `{"micro1": ["micro1.ai", "*.micro1.ai", "d123.cloudfront.net"], "round0": ["storage.round0.io"]}`. A vendor
 * the object names gets exactly its list (`[]` refuses every host); a vendor it leaves out keeps
 * {@link defaultArchiveMediaHosts}; unset or empty means the defaults for all.
 *
 * @throws ConfigurationError when the value is not JSON, names an unknown vendor, or an entry is not a host
 *   (checked here, at cold start, rather than at the first download)
 */
export const parseArchiveMediaHosts = (raw: string | undefined): ArchiveMediaHosts => {
  if (raw === undefined || raw.trim() === '') return defaultArchiveMediaHosts;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new ConfigurationError('ARCHIVE_MEDIA_HOSTS is not JSON', { cause: error });
  }
  const parsed = v.safeParse(mediaHostsSchema, json);
  if (!parsed.success) {
    throw new ConfigurationError(
      `ARCHIVE_MEDIA_HOSTS must be {"<vendor>": ["host", …]} for vendors ${vendorNames.join(', ')}: ${v.summarize(parsed.issues)}`,
    );
  }
  const hosts = Object.fromEntries(
    vendorNames.map((vendor) => [vendor, parsed.output[vendor] ?? defaultArchiveMediaHosts[vendor]]),
  ) as Record<VendorName, readonly string[]>;
  // Parses every entry as the guard will (throws ConfigurationError naming a malformed one).
  for (const allowedHosts of Object.values(hosts)) createUrlGuard({ allowedHosts });
  return hosts;
};

/**
 * The URL policy of `vendor`'s media: its hosts, https, public addresses, unless `relaxation` (local runs,
 * `urlPolicyRelaxationFromEnv`) allows http and private addresses.
 */
export const mediaPolicyFor = (
  vendor: VendorName,
  hosts: ArchiveMediaHosts,
  relaxation: UrlPolicyRelaxation = {},
): UrlPolicy => ({ ...relaxation, allowedHosts: hosts[vendor] });

export interface MediaSourceOptions
  extends Omit<
    HttpClientOptions,
    | 'urlPolicy'
    | 'timeoutMs'
    | 'deadlineMs'
    | 'maxResponseBytes'
    | 'maxRedirects'
    | 'credentialHeaders'
    | 'bodyIdleTimeoutMs'
  > {
  /**
   * Where media URLs may go ({@link mediaPolicyFor}). A policy that allows both http and private addresses
   * (the local relaxation) also admits loopback over http on any port.
   */
  readonly policy: UrlPolicy;
  /**
   * Epoch milliseconds by which every request must end (the Lambda invocation's time, less a margin): a
   * request ends by then, and one that would start after it throws {@link ArchiveTimeBudgetError}.
   * @default none
   */
  readonly until?: number;
  /**
   * Milliseconds to wait for the headers of one attempt's hop (the body is bounded by `deadlineMs`).
   * @default 15000
   */
  readonly timeoutMs?: number;
  /**
   * Milliseconds one fetch may take, retries and the whole body included: a bound on a stalled download,
   * inside the archive Lambda's 15 minutes.
   * @default 600000 (10 minutes)
   */
  readonly deadlineMs?: number;
  /**
   * Largest body streamed, in bytes; past it the body fails with `ResponseTooLargeError` (permanent). An hour
   * of 720p video is a few hundred MB; a 2 GiB "recording" is not one.
   * @default 2147483648 (2 GiB)
   */
  readonly maxResponseBytes?: number;
  /**
   * Redirects followed per attempt (each hop passes the guard).
   * @default 3
   */
  readonly maxRedirects?: number;
  /**
   * Milliseconds a body may go without a byte while it is read; past it the fetch fails as transient (a
   * retry resumes where it stopped) instead of holding the invocation until the deadline.
   * @default 60000
   */
  readonly bodyIdleTimeoutMs?: number;
}

const defaults = {
  timeoutMs: 15_000,
  bodyIdleTimeoutMs: 60_000,
  deadlineMs: 10 * 60_000,
  maxResponseBytes: 2 * 1024 ** 3,
  maxRedirects: 3,
};

/** Loopback host names the local media fakes answer on (as `URL.hostname` spells them). */
const loopbackHostnames = new Set(['127.0.0.1', 'localhost', '[::1]']);

const operationOf = (url: string): string => {
  try {
    // The host only: media paths and queries carry signatures and ids.
    return `media GET ${new URL(url).host}`;
  } catch {
    return 'media GET';
  }
};

/** `bytes <first>-<last>/<size>` of a 206 (RFC 9110 §14.4). */
const contentRangeOf = (header: string | null): { first: number; last: number } | undefined => {
  const match = /^bytes (\d+)-(\d+)\/(?:\d+|\*)$/.exec(header?.trim() ?? '');
  return match === null ? undefined : { first: Number(match[1]), last: Number(match[2]) };
};

/**
 * The bytes `[offset, offset + length)` of a whole body, for a server that ignored `Range` and answered 200:
 * what comes before is skipped, and the download is cancelled once the range has passed.
 */
const sliceOf = (body: Readable, offset: number, length: number, operation: string): Readable => {
  async function* slice(): AsyncGenerator<Buffer> {
    let position = 0;
    let remaining = length;
    // Leaving the loop early (range complete) destroys `body`, which cancels the download.
    for await (const chunk of body as AsyncIterable<Buffer>) {
      const start = Math.max(0, offset - position);
      position += chunk.byteLength;
      if (start >= chunk.byteLength) continue;
      const piece = chunk.subarray(start, start + remaining);
      remaining -= piece.byteLength;
      yield piece;
      if (remaining === 0) return;
    }
    throw new HttpPermanentError(`${operation}: body ended before the requested range`, {
      operation,
      status: 200,
    });
  }
  return Readable.from(slice(), { objectMode: false });
};

/**
 * Creates the {@link MediaSource} for one vendor's media.
 *
 * @example
 * const source = createMediaSource({ policy: mediaPolicyFor('micro1', parseArchiveMediaHosts(raw), relaxation) });
 * const { body, url } = await source.fetch(playlistUrl);
 */
export const createMediaSource = (options: MediaSourceOptions): MediaSource => {
  const { policy, until, ...http } = options;
  const clientOptions: HttpClientOptions = {
    ...http,
    timeoutMs: options.timeoutMs ?? defaults.timeoutMs,
    bodyIdleTimeoutMs: options.bodyIdleTimeoutMs ?? defaults.bodyIdleTimeoutMs,
    deadlineMs: options.deadlineMs ?? defaults.deadlineMs,
    maxResponseBytes: options.maxResponseBytes ?? defaults.maxResponseBytes,
    maxRedirects: options.maxRedirects ?? defaults.maxRedirects,
  };
  const client = createHttpClient({ ...clientOptions, urlPolicy: policy });
  // The relaxation is exactly "http and private addresses": a deployed policy never has either.
  const local = policy.allowHttp === true && policy.allowPrivateAddresses === true;
  // Per port, a client that also admits the loopback names on that port: the guard's allowlist names ports
  // exactly, and the fakes' ports are chosen at start. A redirect to another port is refused like any
  // unlisted host. A handful of ports per process, so the map stays small.
  const loopbackClients = new Map<string, HttpClient>();

  const clientFor = (url: string): HttpClient => {
    if (!local) return client;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return client;
    }
    if (!loopbackHostnames.has(parsed.hostname)) return client;
    let loopback = loopbackClients.get(parsed.port);
    if (loopback === undefined) {
      const suffix = parsed.port === '' ? '' : `:${parsed.port}`;
      loopback = createHttpClient({
        ...clientOptions,
        urlPolicy: {
          ...policy,
          // No allowlist (any host) stays none; an allowlist gains the loopback names on this port.
          allowedHosts:
            policy.allowedHosts === undefined
              ? undefined
              : [...policy.allowedHosts, ...[...loopbackHostnames].map((host) => `${host}${suffix}`)],
        },
      });
      loopbackClients.set(parsed.port, loopback);
    }
    return loopback;
  };

  return {
    async fetch(url, range): Promise<MediaResponse> {
      const operation = operationOf(url);
      const headers: Record<string, string> = {
        // Media is compressed already; and a Range counts bytes of the encoding actually sent, so ask for none.
        'accept-encoding': 'identity',
      };
      if (range !== undefined) {
        if (!Number.isSafeInteger(range.offset) || range.offset < 0 || !Number.isSafeInteger(range.length)) {
          throw new RangeError(`${operation}: invalid byte range`);
        }
        if (range.length < 1) throw new RangeError(`${operation}: empty byte range`);
        headers.range = `bytes=${range.offset}-${range.offset + range.length - 1}`;
      }
      const left = until === undefined ? undefined : until - Date.now();
      if (left !== undefined && left <= 0) throw new ArchiveTimeBudgetError(operation);
      const response: HttpStreamResponse = await clientFor(url).stream({
        method: 'GET',
        url,
        headers,
        operation,
        ...(left === undefined ? {} : { deadlineMs: Math.min(left, clientOptions.deadlineMs ?? left) }),
      });
      const { status } = response;
      // http.ts hands back 3xx without a Location (304, 300) as it does 2xx; media needs a body.
      if (status < 200 || status > 299 || status === 204) {
        response.body.destroy();
        throw new HttpPermanentError(`${operation}: HTTP ${status}`, { operation, status });
      }
      if (range === undefined) return response;
      if (status === 206) {
        const served = contentRangeOf(response.headers.get('content-range'));
        if (served?.first !== range.offset || served.last !== range.offset + range.length - 1) {
          response.body.destroy();
          throw new HttpPermanentError(`${operation}: HTTP 206 for another range than requested`, {
            operation,
            status,
          });
        }
        return response;
      }
      // 200: the server (or a redirect's target) ignored Range and sends the whole resource.
      return { ...response, body: sliceOf(response.body, range.offset, range.length, operation) };
    },
  };
};
