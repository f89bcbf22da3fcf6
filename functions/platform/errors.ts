/** An error's class name: what logs, metrics and dead-letter reasons name (never its message). */
export const errorNameOf = (error: unknown): string => (error instanceof Error ? error.name : typeof error);

/** The service's configuration (environment, secrets) is missing or malformed. */
export class ConfigurationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigurationError';
  }
}

/** A secret could not be read (Secrets Manager unreachable, local file missing). Transient for callers. */
export class SecretUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SecretUnavailableError';
  }
}

/**
 * A secret's value does not have the shape the service needs (a hand-edited value during a rotation).
 * Unavailable rather than a configuration error: the ingest answers 503 and the worker retries, so nothing
 * is refused or dead-lettered while someone puts the value right.
 */
export class MalformedSecretError extends SecretUnavailableError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MalformedSecretError';
  }
}

/** A failure that may succeed later: 429, 5xx, 408, a timeout or a network error. */
export class HttpTransientError extends Error {
  /** HTTP status, absent for network errors and timeouts. */
  readonly status?: number;
  /** Seconds the server asked to wait (`Retry-After`), when it said. */
  readonly retryAfterSeconds?: number;
  readonly operation: string;
  /**
   * Whether some attempt of the request (not only the last) may have reached the server and got no answer of
   * the server's own: a timeout or a reset after it was sent, or a gateway's 502/504. A write may then still
   * land after this error.
   */
  readonly unansweredAttempt: boolean;

  constructor(
    message: string,
    details: { operation: string; status?: number; retryAfterSeconds?: number; unansweredAttempt?: boolean },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'HttpTransientError';
    this.operation = details.operation;
    this.status = details.status;
    this.retryAfterSeconds = details.retryAfterSeconds;
    this.unansweredAttempt = details.unansweredAttempt ?? false;
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

/**
 * Why the HTTP client refused to send a request to a URL (or to follow a redirect to it):
 * - `invalid-url`: not a URL, or a `Location` that does not parse;
 * - `scheme`: not https (or http where the policy allows it);
 * - `host-not-allowed`: the host is not in the policy's allowlist;
 * - `private-address`: the host is, or resolves to, an address that is not public (loopback, private,
 *   link-local, metadata, unique-local, multicast, reserved…);
 * - `cross-origin-redirect`: a redirect to another origin for a request carrying credentials, or one that
 *   would re-send a non-idempotent body elsewhere;
 * - `too-many-redirects`: more hops than the client follows;
 * - `method-changing-redirect`: a 301/302 that would re-send a POST as a GET without its body (the write
 *   not made), which would read as the write done.
 */
export type UrlRefusalReason =
  | 'invalid-url'
  | 'scheme'
  | 'host-not-allowed'
  | 'private-address'
  | 'cross-origin-redirect'
  | 'too-many-redirects'
  | 'method-changing-redirect';

/**
 * The HTTP client refused a URL before sending anything to it (an SSRF guard or redirect rule). A subclass of
 * {@link HttpPermanentError} so every edge that already treats that class as "do not retry" does so here;
 * `status` is 0 because no response was received. Count these by `name`/`reason` to see SSRF attempts.
 * Messages name the operation, the reason and at most the host: never a path or query.
 */
export class UrlRefusedError extends HttpPermanentError {
  readonly reason: UrlRefusalReason;
  /** The refused host (no path, no query), when there was one. */
  readonly host?: string;

  constructor(
    message: string,
    details: { operation: string; reason: UrlRefusalReason; host?: string },
    options?: ErrorOptions,
  ) {
    super(message, { operation: details.operation, status: 0 }, options);
    this.name = 'UrlRefusedError';
    this.reason = details.reason;
    this.host = details.host;
  }
}

/**
 * A response whose `Content-Encoding` the client does not read: stacked codings (`gzip, gzip, …`, a
 * decompression bomb's shape) or one it does not know. Refused before its body is read, and never retried:
 * the server would answer the same.
 */
export class UnreadableEncodingError extends HttpPermanentError {
  constructor(message: string, details: { operation: string; status: number }, options?: ErrorOptions) {
    super(message, details, options);
    this.name = 'UnreadableEncodingError';
  }
}

/** A response body (or its `Content-Length`) exceeded the client's `maxResponseBytes`; reading stopped there. */
export class ResponseTooLargeError extends HttpPermanentError {
  readonly maxBytes: number;

  constructor(
    message: string,
    details: { operation: string; status: number; maxBytes: number },
    options?: ErrorOptions,
  ) {
    super(message, { operation: details.operation, status: details.status }, options);
    this.name = 'ResponseTooLargeError';
    this.maxBytes = details.maxBytes;
  }
}
