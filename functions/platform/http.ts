/**
 * The one outbound HTTP client: every ATS adapter and vendor API client sends through it, so timeouts,
 * retries, redirects, the SSRF guard and error classification are decided in one place.
 *
 * - Every attempt (and every redirect hop of it) has its own timeout; an optional overall deadline bounds
 *   the whole call, retries and backoff included.
 * - 429, 5xx, 408 and network failures are transient; other 4xx are permanent and never retried.
 * - Retries are bounded, with exponential backoff and full jitter (AWS Architecture Blog, "Exponential
 *   Backoff and Jitter"), except that a `Retry-After` header (seconds or HTTP date) on 429/503 is honoured.
 * - A request that is not idempotent (a POST creating a note) is retried only when the server certainly did
 *   not act on it (429, or a connection that was never established): repeating it after a timeout or a 500
 *   could create a second note. Those failures surface as {@link HttpTransientError} for the caller (the
 *   worker's effects ledger) to reconcile.
 * - Redirects are followed here, not by `fetch` (`redirect: 'manual'`), because `fetch` forwards every
 *   header but `Authorization` to wherever a `Location` points: a 302 from a vendor API to another origin
 *   would hand it the `x-api-key`. At most {@link HttpClientOptions.maxRedirects} hops; a request carrying
 *   credentials never leaves its origin, a non-idempotent body is never re-sent to another origin, and a
 *   request that may go elsewhere takes only content-negotiation headers with it. 303 (and 301/302 of a
 *   POST) become a GET without body, as the Fetch standard says; 307/308 keep method and body.
 * - With a {@link HttpClientOptions.urlPolicy} every URL, each redirect hop included, passes the SSRF guard
 *   of `url-guard.ts` (scheme, host allowlist, public addresses checked at connect time); a refusal is a
 *   {@link UrlRefusedError}, never retried.
 * - Bodies are read up to {@link HttpClientOptions.maxResponseBytes}: beyond it reading stops with a
 *   {@link ResponseTooLargeError}. {@link HttpClient.stream} hands large bodies (media) over as a stream under
 *   the same cap instead of holding them in memory.
 * - Nothing here logs; errors carry the status and an operation label, never the URL's path or query (they
 *   may hold an e-mail), the request or response body, or headers.
 *
 * Written by hand rather than with a retry library because the rules above (idempotency-aware retries,
 * `Retry-After` capped by the Lambda time budget, credential-aware redirects) are the whole point and fit in
 * one file.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import {
  HttpPermanentError,
  HttpTransientError,
  ResponseTooLargeError,
  UnreadableEncodingError,
  UrlRefusedError,
} from './errors.js';
import {
  connectRefusalOf,
  createUrlGuard,
  type ResolveHost,
  type UrlPolicy,
  type UrlRefusal,
} from './url-guard.js';

// Re-exported: callers have always imported the HTTP errors from here.
export {
  HttpPermanentError,
  HttpTransientError,
  ResponseTooLargeError,
  type UrlRefusalReason,
  UrlRefusedError,
} from './errors.js';
export type { ResolveHost, UrlPolicy, UrlPolicyRelaxation } from './url-guard.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  readonly method: HttpMethod;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /**
   * Whether repeating the request after an ambiguous failure (timeout, 5xx) is harmless.
   * @default true for GET, PUT and DELETE; false for POST and PATCH
   */
  readonly idempotent?: boolean;
  /** Statuses handed back to the caller instead of thrown, e.g. 401 to refresh a token or 404 for "not found". */
  readonly acceptStatuses?: readonly number[];
  /**
   * Label used in error messages, e.g. `greenhouse GET /v3/candidates`. Never put a query string or an
   * identifier of a person in it.
   * @default `${method} ${pathname of url}`
   */
  readonly operation?: string;
  /**
   * Names of further headers of this request that carry a secret (e.g. a signature header), on top of the
   * client's {@link HttpClientOptions.credentialHeaders}: their presence keeps redirects on the origin.
   * @default []
   */
  readonly credentialHeaders?: readonly string[];
  /**
   * Overrides the client's {@link HttpClientOptions.maxResponseBytes} for this request (e.g. a recording).
   * @default the client's
   */
  readonly maxResponseBytes?: number;
  /**
   * Overrides the client's {@link HttpClientOptions.deadlineMs} for this request (e.g. the Lambda's
   * remaining time minus a margin).
   * @default the client's
   */
  readonly deadlineMs?: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The response body as text (may contain PII: never log it). */
  readonly body: string;
  /** The body parsed as JSON; throws {@link HttpPermanentError} when it is not JSON. */
  json<T = unknown>(): T;
}

/** A response whose body is handed over unread, from {@link HttpClient.stream}. */
export interface HttpStreamResponse {
  readonly status: number;
  readonly headers: Headers;
  /**
   * The body (may contain PII). It fails with {@link ResponseTooLargeError} once more than `maxResponseBytes`
   * arrive, and with a `TimeoutError` when the deadline passes. Consume it or `destroy()` it: an abandoned
   * body holds its connection.
   */
  readonly body: Readable;
  /**
   * The URL the body came from: the request's URL, or where its redirects led (relative references in the
   * body, such as an HLS playlist's URIs, resolve against it).
   */
  readonly url: string;
}

/** What {@link HttpClientOptions.onRetry} is told before each retry (no bodies, no headers). */
export interface HttpRetryInfo {
  readonly operation: string;
  /** The attempt that failed (1-based). */
  readonly attempt: number;
  readonly delayMs: number;
  readonly status?: number;
  readonly reason: 'status' | 'network' | 'timeout';
}

export interface HttpClientOptions {
  /**
   * Milliseconds one attempt may take before it is aborted. Each redirect hop gets its own; the last one
   * covers reading the body in {@link HttpClient.request}, and only the wait for headers in
   * {@link HttpClient.stream}.
   * @default 10000
   */
  readonly timeoutMs?: number;
  /**
   * Milliseconds a whole call may take: every attempt, hop, backoff sleep and (for a stream) the body. A
   * retry whose wait would cross it is not attempted: the last failure is thrown instead.
   * @default undefined — bounded only by attempts × timeout + backoff
   */
  readonly deadlineMs?: number;
  /**
   * Epoch milliseconds by which every call must have ended, whatever its own deadline (a Lambda
   * invocation's time, less what the caller needs after its calls): read when a call starts. A call that
   * starts after it is never sent (it fails as not sent, {@link requestNeverSent}).
   * @default undefined — each call's deadline alone
   */
  readonly endBy?: () => number | undefined;
  /**
   * Attempts per request, the first included.
   * @default 4
   */
  readonly maxAttempts?: number;
  /**
   * Base of the exponential backoff: attempt n waits a random time in [0, min(maxDelayMs, baseDelayMs * 2^(n-1))).
   * @default 250
   */
  readonly baseDelayMs?: number;
  /**
   * Ceiling of one backoff delay.
   * @default 8000
   */
  readonly maxDelayMs?: number;
  /**
   * Longest `Retry-After` waited for in-process. A longer one is not slept through (the Lambda would time
   * out); the request fails with {@link HttpTransientError} carrying `retryAfterSeconds` so the queue can
   * redeliver it later.
   * @default 20
   */
  readonly maxRetryAfterSeconds?: number;
  /**
   * Redirects followed per attempt; one more fails with {@link UrlRefusedError} `too-many-redirects`.
   * @default 3
   */
  readonly maxRedirects?: number;
  /**
   * Largest response body read, in bytes (after decompression), and largest `Content-Length` accepted.
   * Beyond it the body is abandoned and {@link ResponseTooLargeError} thrown (or the stream fails with it).
   * @default 16 MiB (16777216)
   */
  readonly maxResponseBytes?: number;
  /**
   * Milliseconds a streamed body ({@link HttpClient.stream}) may keep its reader waiting for the next bytes;
   * past it the stream fails with {@link HttpTransientError} and the download is cancelled: a host that
   * stalls mid-body frees the caller long before the deadline (undici alone waits 300 s). Time the reader
   * spends elsewhere (a slow upload of what it read) does not count.
   * @default undefined — none: the deadline alone
   */
  readonly bodyIdleTimeoutMs?: number;
  /**
   * Names of headers that carry a secret, besides `authorization`, `proxy-authorization`, `cookie` and
   * `x-api-key` (always): a request with any of them is never redirected to another origin.
   * @default []
   */
  readonly credentialHeaders?: readonly string[];
  /**
   * Where URLs may go (`url-guard.ts`): scheme, host allowlist, public addresses only. Pass one wherever a
   * URL comes from a payload or a third party; local runs relax it with `urlPolicyRelaxationFromEnv`.
   * @default undefined — http or https to any host and address (URLs from configuration only)
   */
  readonly urlPolicy?: UrlPolicy;
  /** Resolves host names for the guard's address check; injected in tests. @default `dns.lookup` (all addresses) */
  readonly resolveHost?: ResolveHost;
  /**
   * The fetch to send with. The guard's address check at connect time needs one that honours undici's
   * `dispatcher` init option (Node's global fetch does); an injected test fetch gets the URL checks only.
   * @default globalThis.fetch
   */
  readonly fetch?: typeof fetch;
  /** Injected in tests to skip real waiting. @default a `setTimeout` promise */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Injected in tests for deterministic jitter. @default Math.random */
  readonly random?: () => number;
  /** Clock used to read `Retry-After` HTTP dates. @default Date.now */
  readonly now?: () => number;
  /** Called before each retry, e.g. to log or count it. */
  readonly onRetry?: (info: HttpRetryInfo) => void;
  /**
   * Runs every request sent (retries and redirect hops included), e.g. through a rate limiter, and may
   * inspect each response's headers (rate-limit counters). The timeout starts when `attempt` is called, not
   * while queued.
   * @default calls `attempt` at once
   */
  readonly schedule?: (attempt: () => Promise<Response>) => Promise<Response>;
}

export interface HttpClient {
  /**
   * Sends `request`, retrying transient failures as described in the module comment. Resolves with a 2xx
   * response or one whose status is in `acceptStatuses` (redirects are followed, never handed back); otherwise throws {@link HttpTransientError} or
   * {@link HttpPermanentError} (of which {@link UrlRefusedError} and {@link ResponseTooLargeError}).
   */
  request(request: HttpRequest): Promise<HttpResponse>;
  /**
   * Like {@link request} (same retries, redirects and guard, until the response headers arrive) but hands
   * the body over as a stream capped at `maxResponseBytes`, for media that must not be held in memory.
   * Retries stop once headers are in: a body cut short fails the stream. Error statuses are thrown as in
   * {@link request}, without their body (`body` is `''`).
   */
  stream(request: HttpRequest): Promise<HttpStreamResponse>;
}

/** The longest Retry-After (seconds) a client waits in-process unless told otherwise. */
export const defaultMaxRetryAfterSeconds = 20;

const defaults = {
  timeoutMs: 10_000,
  maxAttempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxRetryAfterSeconds: defaultMaxRetryAfterSeconds,
  maxRedirects: 3,
  maxResponseBytes: 16 * 1024 * 1024,
} as const;

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Parses a `Retry-After` value: delta-seconds or an HTTP date (RFC 9110 §10.2.3). Returns whole seconds
 * (never negative), or `undefined` when absent or unreadable.
 */
export const parseRetryAfter = (
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined => {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  // Decimal seconds are not the RFC's, but some servers send them: rounded up. Any other number (negative,
  // signed) is unreadable: V8's Date.parse takes "1.5" or "-1" for a date long past, which read as 0 s.
  if (/^\d+\.\d+$/.test(trimmed)) return Math.ceil(Number(trimmed));
  if (/^[-+]?[\d.]+$/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
};

/** Full-jitter backoff for the attempt that just failed (1-based). */
export const backoffDelayMs = (
  attempt: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random: () => number,
) => Math.floor(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));

/**
 * The code of the error an attempt fails with when the call's deadline passed while it waited in `schedule`
 * (a rate limiter's queue): nothing was sent.
 */
const deadlineBeforeSendCode = 'DEADLINE_BEFORE_SEND';

/** Error codes of failures that happen before the request reaches the server, so any request may be retried. */
const notSentCodes = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  deadlineBeforeSendCode,
]);

/**
 * Whether `error` (an {@link HttpTransientError} or what caused it) certainly failed before the request
 * reached the server — a refused connection, an unknown host, a deadline that passed while the request was
 * still queued — so even a request that is not idempotent may be sent again.
 */
export const requestNeverSent = (error: unknown): boolean => notSentCodes.has(errorCode(error) ?? '');

/** Statuses whose `Location` is followed (Fetch standard "redirect status"). */
const redirectStatuses = new Set([301, 302, 303, 307, 308]);

/** Headers that carry a secret in every request that has them. */
const alwaysCredentialHeaders = ['authorization', 'proxy-authorization', 'cookie', 'x-api-key'];

/**
 * The only caller headers taken along to another origin: content negotiation, caching and ranges. Anything
 * else a caller set (a tenant id, a signature, a custom key header nobody marked) may identify or
 * authorise the request, so it stays behind.
 */
const crossOriginSafeHeaders = new Set([
  'accept',
  'accept-encoding',
  'accept-language',
  'cache-control',
  'content-language',
  'content-type',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'range',
  'user-agent',
]);

/** The Fetch standard's request-body-header names, dropped when a redirect turns a request into a GET. */
const bodyHeaders = new Set([
  'content-encoding',
  'content-language',
  'content-length',
  'content-location',
  'content-type',
]);

const errorCode = (error: unknown): string | undefined => {
  for (let current: unknown = error, depth = 0; current && depth < 4; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
};

/** The first error of class `type` in `error`'s cause chain (fetch wraps connect failures in a TypeError). */
const inCauseChain = <T>(error: unknown, type: abstract new (...args: never[]) => T): T | undefined => {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth += 1) {
    if (current instanceof type) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
};

/** By name, not `instanceof`: the abort reason is a DOMException, possibly from another realm. */
const isTimeout = (error: unknown): boolean => {
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  return name === 'TimeoutError' || name === 'AbortError';
};

const defaultOperation = (request: HttpRequest): string => {
  try {
    return `${request.method} ${new URL(request.url).pathname}`;
  } catch {
    return request.method;
  }
};

const toResponse = (status: number, headers: Headers, body: string, operation: string): HttpResponse => ({
  status,
  headers,
  body,
  json<T>(): T {
    try {
      return JSON.parse(body) as T;
    } catch {
      // No `cause`: V8's SyntaxError quotes the start of the body, which may hold PII.
      throw new HttpPermanentError(`${operation}: response is not JSON`, { operation, status, body });
    }
  },
});

const refused = (operation: string, refusal: UrlRefusal, options?: ErrorOptions) =>
  new UrlRefusedError(
    `${operation}: URL refused (${refusal.reason}): ${refusal.detail}`,
    { operation, reason: refusal.reason, host: refusal.host },
    options,
  );

const tooLarge = (operation: string, status: number, maxBytes: number) =>
  new ResponseTooLargeError(`${operation}: response body exceeds ${maxBytes} bytes`, {
    operation,
    status,
    maxBytes,
  });

const ignore = () => undefined;

/**
 * Abandons a body so its connection is freed. Not awaited: cancelling a tee'd body (a cloned `Response`)
 * settles only once every branch is cancelled, and nothing here depends on when it settles.
 */
const discard = (body: ReadableStream<Uint8Array> | null): void => {
  body?.cancel().catch(ignore);
};

const declaredTooLarge = (headers: Headers, maxBytes: number): boolean => {
  const length = headers.get('content-length');
  return length !== null && /^\d+$/.test(length.trim()) && Number(length) > maxBytes;
};

/** The body as text, reading no more than `maxBytes` (decoded as `Response.text()` does: UTF-8, BOM dropped). */
const readCappedText = async (response: Response, maxBytes: number, operation: string): Promise<string> => {
  if (declaredTooLarge(response.headers, maxBytes)) {
    discard(response.body);
    throw tooLarge(operation, response.status, maxBytes);
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      reader.cancel().catch(ignore);
      throw tooLarge(operation, response.status, maxBytes);
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
};

/**
 * `source` failing with {@link HttpTransientError} when a read waits more than `idleMs` for its bytes. Pulled
 * only when its reader asks (high-water mark 0), so only waits on the network count.
 */
const idleBounded = (
  source: ReadableStream<Uint8Array>,
  idleMs: number,
  operation: string,
  status: number,
): ReadableStream<Uint8Array> => {
  const reader = source.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const stalled = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new HttpTransientError(`${operation}: body stalled (no bytes for ${idleMs} ms)`, {
                  operation,
                  status,
                }),
              ),
            idleMs,
          );
        });
        try {
          const { done, value } = await Promise.race([reader.read(), stalled]);
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (error) {
          // Cancelling the source aborts the download itself.
          reader.cancel(error).catch(ignore);
          controller.error(error);
        } finally {
          clearTimeout(timer);
        }
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
};

/**
 * The body as a Node stream that fails with {@link ResponseTooLargeError} past `maxBytes` (and, given
 * `idleMs`, with {@link HttpTransientError} when it stalls: {@link idleBounded}).
 */
const cappedStream = (
  response: Response,
  maxBytes: number,
  operation: string,
  idleMs: number | undefined,
): Readable => {
  if (response.body === null) return Readable.from([]);
  let size = 0;
  const capped = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        size += chunk.byteLength;
        // Erroring the transform cancels the source, which aborts the download itself.
        if (size > maxBytes) controller.error(tooLarge(operation, response.status, maxBytes));
        else controller.enqueue(chunk);
      },
    }),
  );
  const bounded = idleMs === undefined ? capped : idleBounded(capped, idleMs, operation, response.status);
  return Readable.fromWeb(bounded as NodeReadableStream<Uint8Array>);
};

/**
 * Whether a response with `status` is handed back to the caller (2xx or accepted) rather than thrown. A 3xx
 * that reaches here was not followed (no Location, a 304, a 300): the request was not served, and taken
 * for success a write would be recorded done.
 */
const isHandedBack = (request: HttpRequest, status: number): boolean =>
  (status >= 200 && status < 300) || (request.acceptStatuses?.includes(status) ?? false);

/** One request of a redirect chain. */
interface Hop {
  readonly url: URL;
  readonly method: HttpMethod;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

const lowerCaseKeys = (headers: Readonly<Record<string, string>> = {}): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));

const keepHeaders = (headers: Readonly<Record<string, string>>, keep: (name: string) => boolean) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => keep(name)));

/** The hop a redirect leads to, or why it is refused (the target URL's own guard check comes after). */
const redirectHop = (
  hop: Hop,
  status: number,
  location: string,
  rules: { readonly credentialed: boolean; readonly idempotent: boolean },
): Hop | UrlRefusal => {
  let url: URL;
  try {
    url = new URL(location, hop.url);
  } catch {
    return { reason: 'invalid-url', detail: 'redirect Location is not a URL', host: hop.url.host };
  }
  const toGet = ((status === 301 || status === 302) && hop.method === 'POST') || status === 303;
  // Fetch's rule turns a POST answered 301/302 into a GET without its body: the write was not made (the
  // resource moved), yet the GET's 200 would read as it done (a receiver's trailing-slash redirect). A 303
  // says the write was made and where its result is; a write is otherwise only re-sent as it is (307/308).
  if (toGet && status !== 303 && hop.method !== 'GET') {
    return {
      reason: 'method-changing-redirect',
      detail: `a ${status} would re-send this ${hop.method} to ${url.host} as a GET without its body`,
      host: url.host,
    };
  }
  const crossOrigin = url.origin !== hop.url.origin;
  if (crossOrigin && rules.credentialed) {
    return {
      reason: 'cross-origin-redirect',
      detail: `redirect from ${hop.url.host} to ${url.host} refused: the request carries credentials`,
      host: url.host,
    };
  }
  const idempotentHop = hop.method === 'GET' || rules.idempotent;
  if (crossOrigin && !toGet && !idempotentHop) {
    return {
      reason: 'cross-origin-redirect',
      detail: `redirect from ${hop.url.host} to ${url.host} refused: a non-idempotent ${hop.method} is not re-sent to another origin`,
      host: url.host,
    };
  }
  let headers = hop.headers;
  if (toGet) headers = keepHeaders(headers, (name) => !bodyHeaders.has(name));
  if (crossOrigin) headers = keepHeaders(headers, (name) => crossOriginSafeHeaders.has(name));
  return toGet ? { url, method: 'GET', headers } : { url, method: hop.method, headers, body: hop.body };
};

/** The codings fetch decodes (undici): one of them, or none, is what a response may carry. */
const readableCodings: ReadonlySet<string> = new Set(['gzip', 'x-gzip', 'deflate', 'br']);

/**
 * `Content-Encoding` the client will not read, when it is one: more than one coding (undici decodes up to
 * five in a chain, each expanding the last; a runtime's limit is its own) or one fetch does not know.
 * Bounded for the message. `identity` is no coding.
 */
const unreadableCoding = (header: string | null): string | undefined => {
  if (header === null) return undefined;
  const codings = header
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  const unread = codings.length > 1 || codings.some((coding) => !readableCodings.has(coding));
  return unread ? header.slice(0, 60) : undefined;
};

/**
 * Aborts one hop after the timeout, and the whole call at the deadline. Started inside `schedule`'s
 * attempt so time spent queued in a rate limiter does not count.
 */
class HopTimer {
  readonly #controller = new AbortController();
  #handle: ReturnType<typeof setTimeout> | undefined;
  readonly signal: AbortSignal;

  constructor(deadline: AbortSignal | undefined) {
    this.signal =
      deadline === undefined ? this.#controller.signal : AbortSignal.any([this.#controller.signal, deadline]);
  }

  start(timeoutMs: number): void {
    this.#handle = setTimeout(
      () => this.#controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError')),
      timeoutMs,
    );
  }

  clear(): void {
    clearTimeout(this.#handle);
  }
}

/** Creates an {@link HttpClient}; options are resolved once, `{ ...defaults, ...options }`. */
export const createHttpClient = (options: HttpClientOptions = {}): HttpClient => {
  const timeoutMs = options.timeoutMs ?? defaults.timeoutMs;
  const maxAttempts = Math.max(1, options.maxAttempts ?? defaults.maxAttempts);
  const baseDelayMs = options.baseDelayMs ?? defaults.baseDelayMs;
  const maxDelayMs = options.maxDelayMs ?? defaults.maxDelayMs;
  const maxRetryAfterSeconds = options.maxRetryAfterSeconds ?? defaults.maxRetryAfterSeconds;
  const maxRedirects = Math.max(0, options.maxRedirects ?? defaults.maxRedirects);
  const clientMaxResponseBytes = options.maxResponseBytes ?? defaults.maxResponseBytes;
  const clientCredentialHeaders = [...alwaysCredentialHeaders, ...(options.credentialHeaders ?? [])];
  const guard = createUrlGuard(options.urlPolicy, { resolve: options.resolveHost });
  const doFetch = options.fetch ?? globalThis.fetch;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const schedule = options.schedule ?? ((attempt: () => Promise<Response>) => attempt());

  /** What one call needs to know, resolved once per call. */
  interface Call {
    readonly operation: string;
    readonly first: Hop;
    readonly idempotent: boolean;
    readonly credentialed: boolean;
    readonly maxResponseBytes: number;
    readonly deadlineMs?: number;
    readonly deadline?: AbortSignal;
    /** Epoch ms of the deadline, to decide whether a retry's wait still fits. */
    readonly deadlineAt?: number;
    readonly dispatcher?: unknown;
  }

  const prepare = async (req: HttpRequest): Promise<Call> => {
    const operation = req.operation ?? defaultOperation(req);
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      throw refused(operation, { reason: 'invalid-url', detail: 'not a URL' });
    }
    const headers = lowerCaseKeys(req.headers);
    const secretNames = [...clientCredentialHeaders, ...(req.credentialHeaders ?? [])].map((name) =>
      name.toLowerCase(),
    );
    // Whole milliseconds: AbortSignal.timeout throws on a fraction (e.g. a budget computed from a remaining time).
    const endBy = options.endBy?.();
    const budget = endBy === undefined ? undefined : endBy - Date.now();
    const own = req.deadlineMs ?? options.deadlineMs;
    const requested = budget === undefined ? own : Math.min(own ?? budget, budget);
    const deadlineMs = requested === undefined ? undefined : Math.max(1, Math.ceil(requested));
    return {
      operation,
      first: { url, method: req.method, headers, body: req.body },
      idempotent: req.idempotent ?? (req.method === 'GET' || req.method === 'PUT' || req.method === 'DELETE'),
      credentialed: secretNames.some((name) => name in headers),
      maxResponseBytes: req.maxResponseBytes ?? clientMaxResponseBytes,
      deadlineMs,
      // Already spent: aborted from the start, so `scheduled` never sends it.
      deadline:
        deadlineMs === undefined
          ? undefined
          : budget !== undefined && budget <= 0
            ? AbortSignal.abort()
            : AbortSignal.timeout(deadlineMs),
      deadlineAt: deadlineMs === undefined ? undefined : Date.now() + deadlineMs,
      dispatcher: await guard.dispatcher(),
    };
  };

  const deadlineBeforeSend = (call: Call): Error =>
    Object.assign(new Error(`${call.operation}: deadline passed while queued, not sent`), {
      code: deadlineBeforeSendCode,
    });

  /**
   * Runs `send` through `schedule`, bounded by the call's deadline while it waits there: a request queued
   * behind a rate limiter past its deadline is never sent, and its caller hears so at the deadline, with an
   * error that says "not sent" (see {@link requestNeverSent}) — not a timeout that may have reached the
   * server, which an at-most-once caller (a Slack message) could never try again.
   */
  const scheduled = (call: Call, send: () => Promise<Response>): Promise<Response> => {
    // Spent before it was queued (`endBy` passed): never waits for a turn it could not use.
    if (call.deadline?.aborted) return Promise.reject(deadlineBeforeSend(call));
    let started = false;
    const job = schedule(() => {
      if (call.deadline?.aborted) return Promise.reject(deadlineBeforeSend(call));
      started = true;
      return send();
    });
    const { deadline } = call;
    if (deadline === undefined) return job;
    return new Promise<Response>((resolve, reject) => {
      // Once sent, the request's own abort (the hop timer follows the deadline) reports what happened.
      const onAbort = () => {
        if (!started) reject(deadlineBeforeSend(call));
      };
      deadline.addEventListener('abort', onAbort, { once: true });
      job.then(resolve, reject).finally(() => deadline.removeEventListener('abort', onAbort));
    });
  };

  /**
   * One attempt: sends the request and follows redirects (each hop checked by the guard), resolving with
   * the first response that is not a redirect, its body unread and its hop timer still running, with the URL
   * that answered it.
   */
  const exchange = async (call: Call): Promise<{ response: Response; timer: HopTimer; url: URL }> => {
    let hop = call.first;
    for (let redirects = 0; ; redirects += 1) {
      const refusal = guard.check(hop.url);
      if (refusal !== undefined) throw refused(call.operation, refusal);
      const timer = new HopTimer(call.deadline);
      const current = hop;
      let response: Response;
      try {
        response = await scheduled(call, () => {
          timer.start(timeoutMs);
          return doFetch(current.url.href, {
            method: current.method,
            headers: current.headers,
            body: current.body,
            redirect: 'manual',
            signal: timer.signal,
            // Node's fetch takes an undici dispatcher; absent from the DOM RequestInit type.
            ...(call.dispatcher === undefined ? {} : { dispatcher: call.dispatcher }),
          } as RequestInit);
        });
      } catch (error) {
        timer.clear();
        throw error;
      }
      const location = redirectStatuses.has(response.status) ? response.headers.get('location') : null;
      if (location === null) return { response, timer, url: current.url };
      timer.clear();
      discard(response.body);
      if (redirects >= maxRedirects) {
        throw refused(call.operation, {
          reason: 'too-many-redirects',
          detail: `more than ${maxRedirects} redirects`,
          host: hop.url.host,
        });
      }
      const next = redirectHop(hop, response.status, location, call);
      if ('reason' in next) throw refused(call.operation, next);
      hop = next;
    }
  };

  /** The error for a failed exchange that must not be retried, or `undefined` when retry rules apply. */
  const finalError = (call: Call, error: unknown, unansweredAttempt: boolean): Error | undefined => {
    const refusal = inCauseChain(error, UrlRefusedError);
    if (refusal !== undefined) return refusal;
    // Refused inside the dispatcher, where the operation is unknown: name it now.
    const connectRefusal = connectRefusalOf(error);
    if (connectRefusal !== undefined) return refused(call.operation, connectRefusal, { cause: error });
    const tooLargeError = inCauseChain(error, ResponseTooLargeError);
    if (tooLargeError !== undefined) return tooLargeError;
    const unreadable = inCauseChain(error, UnreadableEncodingError);
    if (unreadable !== undefined) return unreadable;
    if (call.deadline?.aborted) {
      return new HttpTransientError(
        `${call.operation}: deadline of ${call.deadlineMs} ms exceeded`,
        { operation: call.operation, unansweredAttempt },
        { cause: error },
      );
    }
    return undefined;
  };

  const fitsDeadline = (call: Call, delayMs: number): boolean =>
    call.deadlineAt === undefined || Date.now() + delayMs < call.deadlineAt;

  /**
   * Runs attempts until one yields a response to hand back. `read` consumes the final response of an
   * attempt (inside the attempt's timeout and retry rules) and says what body to judge the status by.
   */
  const send = async <T>(
    req: HttpRequest,
    read: (response: Response, timer: HopTimer, call: Call) => Promise<{ body: string; value?: T }>,
  ): Promise<{ response: Response; body: string; url: URL; value?: T }> => {
    const call = await prepare(req);
    const { operation, idempotent } = call;
    // Whether an attempt so far may have reached the server without an answer of its own (see
    // HttpTransientError.unansweredAttempt): a retry answered 500 does not undo a first attempt that timed out.
    let unanswered = false;

    for (let attempt = 1; ; attempt += 1) {
      const isLast = attempt >= maxAttempts;
      let response: Response;
      let url: URL;
      let outcome: { body: string; value?: T };
      try {
        const exchanged = await exchange(call);
        response = exchanged.response;
        url = exchanged.url;
        const coding = unreadableCoding(response.headers.get('content-encoding'));
        if (coding !== undefined && isHandedBack(req, response.status)) {
          await response.body?.cancel().catch(() => undefined);
          throw new UnreadableEncodingError(
            `${operation}: HTTP ${response.status} with content-encoding ${coding}, which is not read`,
            { operation, status: response.status },
          );
        }
        if (coding !== undefined) {
          // An error page in an encoding not read must not turn a 503 (or a 404) into a refusal for good:
          // its status decides, as for an oversized one; its body is left unread.
          await response.body?.cancel().catch(() => undefined);
          exchanged.timer.clear();
          outcome = { body: '' };
        } else {
          // Inside the try: the timeout also covers reading the body, and a body cut short is a network error.
          outcome = await read(response, exchanged.timer, call);
        }
      } catch (error) {
        const notSent = requestNeverSent(error);
        if (!notSent) unanswered = true;
        const final = finalError(call, error, unanswered);
        if (final !== undefined) throw final;
        const timedOut = isTimeout(error);
        const message = timedOut
          ? `${operation}: timed out after ${timeoutMs} ms`
          : `${operation}: network error`;
        const delayMs = backoffDelayMs(attempt, baseDelayMs, maxDelayMs, random);
        if (isLast || !(idempotent || notSent) || !fitsDeadline(call, delayMs)) {
          throw new HttpTransientError(
            message,
            { operation, unansweredAttempt: unanswered },
            { cause: error },
          );
        }
        options.onRetry?.({ operation, attempt, delayMs, reason: timedOut ? 'timeout' : 'network' });
        await sleep(delayMs);
        continue;
      }

      const { status } = response;
      if (isHandedBack(req, status)) {
        return { response, url, ...outcome };
      }

      const transient = status === 429 || status === 408 || status >= 500;
      if (status === 502 || status === 504) unanswered = true;
      if (!transient) {
        throw new HttpPermanentError(`${operation}: HTTP ${status}`, {
          operation,
          status,
          body: outcome.body,
        });
      }

      const retryAfterSeconds =
        status === 429 || status === 503
          ? parseRetryAfter(response.headers.get('retry-after'), now())
          : undefined;
      // Only a 429 certainly means "not processed"; anything else on a non-idempotent request is the caller's to reconcile.
      const retryable = idempotent || status === 429;
      const tooLong = retryAfterSeconds !== undefined && retryAfterSeconds > maxRetryAfterSeconds;
      const delayMs =
        retryAfterSeconds !== undefined
          ? retryAfterSeconds * 1000
          : backoffDelayMs(attempt, baseDelayMs, maxDelayMs, random);
      if (isLast || !retryable || tooLong || !fitsDeadline(call, delayMs)) {
        throw new HttpTransientError(`${operation}: HTTP ${status}`, {
          operation,
          status,
          retryAfterSeconds,
          unansweredAttempt: unanswered,
        });
      }
      options.onRetry?.({ operation, attempt, delayMs, status, reason: 'status' });
      await sleep(delayMs);
    }
  };

  const request = async (req: HttpRequest): Promise<HttpResponse> => {
    const { response, body } = await send<never>(req, async (res, timer, call) => {
      try {
        return { body: await readCappedText(res, call.maxResponseBytes, call.operation) };
      } catch (error) {
        // An oversized error page must not turn a 503 into a permanent failure: its status decides.
        if (error instanceof ResponseTooLargeError && !isHandedBack(req, res.status)) return { body: '' };
        throw error;
      } finally {
        timer.clear();
      }
    });
    return toResponse(response.status, response.headers, body, req.operation ?? defaultOperation(req));
  };

  const stream = async (req: HttpRequest): Promise<HttpStreamResponse> => {
    const { response, url, value } = await send<Readable>(req, async (res, timer, call) => {
      // Headers are in: the attempt's timeout ends here; a long body is bounded by the deadline alone.
      timer.clear();
      if (!isHandedBack(req, res.status)) {
        // Error bodies of a media download are not worth reading; free the connection.
        discard(res.body);
        return { body: '' };
      }
      if (declaredTooLarge(res.headers, call.maxResponseBytes)) {
        discard(res.body);
        throw tooLarge(call.operation, res.status, call.maxResponseBytes);
      }
      return {
        body: '',
        value: cappedStream(res, call.maxResponseBytes, call.operation, options.bodyIdleTimeoutMs),
      };
    });
    return {
      status: response.status,
      headers: response.headers,
      body: value ?? Readable.from([]),
      url: url.href,
    };
  };

  return { request, stream };
};

/** `Authorization` value for HTTP Basic with `username` and `password` (RFC 7617). */
export const basicAuthorization = (username: string, password = ''): string =>
  `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
