/**
 * Errors of the ATS adapters and of the Slack notification. The worker edge maps them:
 * {@link AtsTransientError} → retry (SQS redelivery, honouring `retryAfterSeconds`), {@link AtsPermanentError}
 * → dead-letter / give up, {@link NotificationUncertainError} → record as "maybe sent" and never resend.
 */
import { HttpPermanentError, HttpTransientError } from '../platform/http.js';

/** The ATS is unavailable or rate-limiting (429, 5xx, timeout, network): retry later. */
export class AtsTransientError extends Error {
  readonly adapter: string;
  readonly status?: number;
  /** Seconds the ATS asked to wait, when it said. */
  readonly retryAfterSeconds?: number;

  constructor(
    message: string,
    details: { adapter: string; status?: number; retryAfterSeconds?: number },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'AtsTransientError';
    this.adapter = details.adapter;
    this.status = details.status;
    this.retryAfterSeconds = details.retryAfterSeconds;
  }
}

/** The ATS refused the request (a 4xx, a `success:false`, an unusable answer): repeating it will not help. */
export class AtsPermanentError extends Error {
  readonly adapter: string;
  readonly status?: number;
  /** A short machine-readable reason (`unauthorized`, `invalid_input`, `ambiguous_application`…), never PII. */
  readonly reason: string;

  constructor(
    message: string,
    details: { adapter: string; status?: number; reason: string },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'AtsPermanentError';
    this.adapter = details.adapter;
    this.status = details.status;
    this.reason = details.reason;
  }
}

/** The record a write targets does not exist (any more) in the ATS. */
export class AtsNotFoundError extends AtsPermanentError {
  constructor(message: string, details: { adapter: string; status?: number }, options?: ErrorOptions) {
    super(message, { ...details, reason: 'not_found' }, options);
    this.name = 'AtsNotFoundError';
  }
}

/**
 * A notification (Slack) may have been delivered: the request reached the server and no answer said
 * otherwise (5xx, a timeout or a connection lost after sending). Resending could post it twice, so the
 * caller must record it as done-or-lost and NOT retry — at-most-once is the contract (see `notifySlack`).
 */
export class NotificationUncertainError extends Error {
  readonly channel: string;
  /** The HTTP status, when the server answered one. */
  readonly status?: number;

  constructor(message: string, details: { channel: string; status?: number }, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NotificationUncertainError';
    this.channel = details.channel;
    this.status = details.status;
  }
}

const reasonForStatus = (status: number): string => {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 410) return 'gone';
  if (status === 422 || status === 400) return 'invalid_request';
  return `http_${status}`;
};

/**
 * Turns an error from the HTTP client into the matching ATS error; other errors pass through unchanged.
 * Messages carry the adapter, operation and status only.
 */
export const toAtsError = (adapter: string, error: unknown): unknown => {
  if (error instanceof HttpTransientError) {
    return new AtsTransientError(
      `${adapter}: ${error.message}`,
      { adapter, status: error.status, retryAfterSeconds: error.retryAfterSeconds },
      { cause: error },
    );
  }
  if (error instanceof HttpPermanentError) {
    const details = { adapter, status: error.status };
    if (error.status === 404)
      return new AtsNotFoundError(`${adapter}: ${error.message}`, details, { cause: error });
    return new AtsPermanentError(
      `${adapter}: ${error.message}`,
      { ...details, reason: reasonForStatus(error.status) },
      { cause: error },
    );
  }
  return error;
};

/**
 * Whether a write that failed with `error` may still reach the ATS: an attempt of it (the HTTP client may
 * have retried) got no answer after it may have gone out (a timeout, a reset), or a gateway answered for a
 * backend that may still be working on it (502, 504). Only the ATS's own answers (a 500, a 503, a 429: it is
 * done with the request), requests never sent (a refused connection, a deadline passed in the rate limiter's
 * queue) and an adapter's own refusal are final.
 */
export const mayStillLand = (error: unknown): boolean =>
  error instanceof AtsTransientError &&
  error.cause instanceof HttpTransientError &&
  error.cause.unansweredAttempt;
