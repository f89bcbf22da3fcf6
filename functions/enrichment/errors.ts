/**
 * Errors of enrichment (reading interview data back from the vendors' APIs). Every class here is
 * permanent: repeating the call will not fix it. Transient failures (429, 5xx, timeouts, network) are not
 * wrapped: they surface as `HttpTransientError` from `../platform/http.js` so the worker edge classifies
 * all outbound HTTP alike and lets the queue redeliver the message.
 */
import type { VendorName } from '../vendors/envelope.js';

/** The vendor's API does not know the interview or report (404, or no report matches the filters). */
export class VendorResourceNotFoundError extends Error {
  constructor(
    readonly vendor: VendorName,
    /** What was looked up, e.g. `interview` or `report` (never an id of a person). */
    readonly resource: string,
    options?: ErrorOptions,
  ) {
    super(`${vendor} API: ${resource} not found`, options);
    this.name = 'VendorResourceNotFoundError';
  }
}

/** The API key is missing, wrong or lacks permission (401/403): an operator must fix the configuration. */
export class VendorApiAuthError extends Error {
  constructor(
    readonly vendor: VendorName,
    readonly status: number,
    /** The vendor's error message (micro1 `message`), when it sent one. */
    readonly vendorMessage?: string,
    options?: ErrorOptions,
  ) {
    super(`${vendor} API refused the API key (HTTP ${status})`, options);
    this.name = 'VendorApiAuthError';
  }
}

/** The vendor refused the request for another reason (a 4xx other than 401/403/404/408/429). */
export class VendorApiRequestError extends Error {
  constructor(
    readonly vendor: VendorName,
    readonly status: number,
    readonly vendorMessage?: string,
    options?: ErrorOptions,
  ) {
    super(`${vendor} API refused the request (HTTP ${status})`, options);
    this.name = 'VendorApiRequestError';
  }
}

/** The vendor answered 2xx with a body that is not the documented shape (or micro1's `status: false`). */
export class VendorApiResponseError extends Error {
  constructor(
    readonly vendor: VendorName,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${vendor} API: ${message}`, options);
    this.name = 'VendorApiResponseError';
  }
}

/** The queued webhook body cannot be read as the event type it claims to be (ingest validated it, so: drift). */
export class UnreadableEventPayloadError extends Error {
  constructor(
    readonly vendor: VendorName,
    readonly eventType: string,
    /** Dotted paths of the failing fields (no values: they may be PII). */
    readonly paths: readonly string[],
  ) {
    super(`${vendor} ${eventType} payload is unreadable at ${paths.join(', ') || '(root)'}`);
    this.name = 'UnreadableEventPayloadError';
  }
}
