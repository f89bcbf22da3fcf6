/**
 * The one outbound HTTP client: every ATS adapter (and later the vendor API clients) sends through it, so
 * timeouts, retries and error classification are decided in one place.
 *
 * - Every attempt has its own timeout (`AbortSignal.timeout`).
 * - 429, 5xx, 408 and network failures are transient; other 4xx are permanent and never retried.
 * - Retries are bounded, with exponential backoff and full jitter (AWS Architecture Blog, "Exponential
 *   Backoff and Jitter"), except that a `Retry-After` header (seconds or HTTP date) on 429/503 is honoured.
 * - A request that is not idempotent (a POST creating a note) is retried only when the server certainly did
 *   not act on it (429, or a connection that was never established): repeating it after a timeout or a 500
 *   could create a second note. Those failures surface as {@link HttpTransientError} for the caller (the
 *   worker's effects ledger) to reconcile.
 * - Nothing here logs; errors carry the status and an operation label, never the URL's query (it may hold an
 *   e-mail), the request or response body, or headers.
 *
 * Written by hand rather than with a retry library because the rules above (idempotency-aware retries,
 * `Retry-After` capped by the Lambda time budget) are the whole point and fit in one small file.
 */

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
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The response body as text (may contain PII: never log it). */
  readonly body: string;
  /** The body parsed as JSON; throws {@link HttpPermanentError} when it is not JSON. */
  json<T = unknown>(): T;
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
   * Milliseconds one attempt may take before it is aborted.
   * @default 10000
   */
  readonly timeoutMs?: number;
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
  /** @default globalThis.fetch */
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
   * Runs every attempt (retries included), e.g. through a rate limiter, and may inspect each response's
   * headers (rate-limit counters). The attempt's timeout starts when `attempt` is called, not while queued.
   * @default calls `attempt` at once
   */
  readonly schedule?: (attempt: () => Promise<Response>) => Promise<Response>;
}

/** A failure that may succeed later: 429, 5xx, 408, a timeout or a network error. */
export class HttpTransientError extends Error {
  /** HTTP status, absent for network errors and timeouts. */
  readonly status?: number;
  /** Seconds the server asked to wait (`Retry-After`), when it said. */
  readonly retryAfterSeconds?: number;
  readonly operation: string;

  constructor(
    message: string,
    details: { operation: string; status?: number; retryAfterSeconds?: number },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'HttpTransientError';
    this.operation = details.operation;
    this.status = details.status;
    this.retryAfterSeconds = details.retryAfterSeconds;
  }
}

/** A failure that repeating will not fix: a 4xx other than 408/429, or a malformed response. */
export class HttpPermanentError extends Error {
  readonly status: number;
  readonly operation: string;
  /**
   * The response body, kept for callers that classify vendor error codes. Not enumerable, so a logger that
   * serialises the error does not print it (it may echo PII).
   */
  declare readonly body: string;

  constructor(
    message: string,
    details: { operation: string; status: number; body?: string },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'HttpPermanentError';
    this.operation = details.operation;
    this.status = details.status;
    Object.defineProperty(this, 'body', { value: details.body ?? '', enumerable: false });
  }
}

export interface HttpClient {
  /**
   * Sends `request`, retrying transient failures as described in the module comment. Resolves with a 2xx/3xx
   * response or one whose status is in `acceptStatuses`; otherwise throws {@link HttpTransientError} or
   * {@link HttpPermanentError}.
   */
  request(request: HttpRequest): Promise<HttpResponse>;
}

const defaults = {
  timeoutMs: 10_000,
  maxAttempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxRetryAfterSeconds: 20,
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

/** Error codes of failures that happen before the request reaches the server, so any request may be retried. */
const notSentCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

const errorCode = (error: unknown): string | undefined => {
  for (let current: unknown = error, depth = 0; current && depth < 4; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
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
    } catch (error) {
      throw new HttpPermanentError(
        `${operation}: response is not JSON`,
        { operation, status, body },
        { cause: error },
      );
    }
  },
});

/** Creates an {@link HttpClient}; options are resolved once, `{ ...defaults, ...options }`. */
export const createHttpClient = (options: HttpClientOptions = {}): HttpClient => {
  const timeoutMs = options.timeoutMs ?? defaults.timeoutMs;
  const maxAttempts = Math.max(1, options.maxAttempts ?? defaults.maxAttempts);
  const baseDelayMs = options.baseDelayMs ?? defaults.baseDelayMs;
  const maxDelayMs = options.maxDelayMs ?? defaults.maxDelayMs;
  const maxRetryAfterSeconds = options.maxRetryAfterSeconds ?? defaults.maxRetryAfterSeconds;
  const doFetch = options.fetch ?? globalThis.fetch;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const schedule = options.schedule ?? ((attempt: () => Promise<Response>) => attempt());

  const request = async (req: HttpRequest): Promise<HttpResponse> => {
    const operation = req.operation ?? defaultOperation(req);
    const idempotent =
      req.idempotent ?? (req.method === 'GET' || req.method === 'PUT' || req.method === 'DELETE');

    for (let attempt = 1; ; attempt += 1) {
      const isLast = attempt >= maxAttempts;
      let response: Response;
      let body: string;
      try {
        response = await schedule(() =>
          doFetch(req.url, {
            method: req.method,
            headers: req.headers,
            body: req.body,
            signal: AbortSignal.timeout(timeoutMs),
          }),
        );
        // Inside the try: the timeout also covers reading the body, and a body cut short is a network error.
        body = await response.text();
      } catch (error) {
        const timedOut = isTimeout(error);
        const notSent = notSentCodes.has(errorCode(error) ?? '');
        const message = timedOut
          ? `${operation}: timed out after ${timeoutMs} ms`
          : `${operation}: network error`;
        if (isLast || !(idempotent || notSent)) {
          throw new HttpTransientError(message, { operation }, { cause: error });
        }
        const delayMs = backoffDelayMs(attempt, baseDelayMs, maxDelayMs, random);
        options.onRetry?.({ operation, attempt, delayMs, reason: timedOut ? 'timeout' : 'network' });
        await sleep(delayMs);
        continue;
      }

      const { status } = response;
      if ((status >= 200 && status < 400) || req.acceptStatuses?.includes(status)) {
        return toResponse(status, response.headers, body, operation);
      }

      const transient = status === 429 || status === 408 || status >= 500;
      if (!transient) {
        throw new HttpPermanentError(`${operation}: HTTP ${status}`, { operation, status, body });
      }

      const retryAfterSeconds =
        status === 429 || status === 503
          ? parseRetryAfter(response.headers.get('retry-after'), now())
          : undefined;
      // Only a 429 certainly means "not processed"; anything else on a non-idempotent request is the caller's to reconcile.
      const retryable = idempotent || status === 429;
      const tooLong = retryAfterSeconds !== undefined && retryAfterSeconds > maxRetryAfterSeconds;
      if (isLast || !retryable || tooLong) {
        throw new HttpTransientError(`${operation}: HTTP ${status}`, {
          operation,
          status,
          retryAfterSeconds,
        });
      }
      const delayMs =
        retryAfterSeconds !== undefined
          ? retryAfterSeconds * 1000
          : backoffDelayMs(attempt, baseDelayMs, maxDelayMs, random);
      options.onRetry?.({ operation, attempt, delayMs, status, reason: 'status' });
      await sleep(delayMs);
    }
  };

  return { request };
};

/** `Authorization` value for HTTP Basic with `username` and `password` (RFC 7617). */
export const basicAuthorization = (username: string, password = ''): string =>
  `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
