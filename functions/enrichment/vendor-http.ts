/**
 * What the two vendor API clients share: turning `platform/http.ts` failures into this folder's errors,
 * and validating a response body without echoing it (bodies hold transcripts and e-mails).
 */
import * as v from 'valibot';
import { UnreadableEncodingError } from '../platform/errors.js';
import {
  type HttpClientOptions,
  HttpPermanentError,
  HttpTransientError,
  ResponseTooLargeError,
  UrlRefusedError,
} from '../platform/http.js';
import type { VendorName } from '../vendors/envelope.js';
import {
  VendorApiAuthError,
  VendorApiRequestError,
  VendorApiResponseError,
  VendorResourceNotFoundError,
} from './errors.js';
import { failingPaths } from './payload-values.js';

/**
 * Largest vendor API answer read: far above a long interview or a page of reports (a few hundred KB), and low
 * enough that a batch's ten records enriched at once (Powertools' batch runs them in parallel) stay well
 * within the worker's 512 MB, where the HTTP client's default (16 MiB each) did not.
 */
export const vendorApiMaxResponseBytes = 4 * 1024 * 1024;

/**
 * How the deployed functions call a vendor API (the worker's enrichment, the archive's URL refresh): a whole
 * call within 15 s, a `Retry-After` waited up to 5 s, and every call ended by `endBy` (what is left of the
 * invocation), so an API that hangs fails the one record rather than the invocation's batch by its timeout.
 */
export const vendorApiHttpOptions = (endBy: () => number | undefined): HttpClientOptions => ({
  deadlineMs: 15_000,
  maxRetryAfterSeconds: 5,
  endBy,
  maxResponseBytes: vendorApiMaxResponseBytes,
});

/** Longest vendor error message kept on an error (they are short; a long one is an echoed body). */
const maxVendorMessageLength = 200;

/** `message` of a `{ "message": "…" }` error body (micro1's shape; ROUND0's is undocumented), if any. */
export function vendorMessageOf(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    const message =
      typeof parsed === 'object' && parsed !== null ? (parsed as { message?: unknown }).message : undefined;
    return typeof message === 'string' ? message.slice(0, maxVendorMessageLength) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The error to throw for a failed call: permanent HTTP failures become this folder's errors, anything else
 * (notably `HttpTransientError`, and the client's own refusals `UrlRefusedError`/`ResponseTooLargeError`/
 * `UnreadableEncodingError`) is returned untouched.
 *
 * A 2xx whose body is not JSON is transient: it is a page put in front of the API (a CDN's or WAF's
 * challenge, a maintenance screen, an empty 204), not the API's answer, and it goes away. Permanent, a
 * ROUND0 end was dead-lettered on its first receive and a micro1 report written for good without the parts
 * the API would have added; retried, the worker's last receive still has its fallback.
 */
export function toVendorApiError(vendor: VendorName, resource: string, error: unknown): unknown {
  if (!(error instanceof HttpPermanentError)) return error;
  // Kept as they are (still permanent): their names are what metrics count (SSRF refusals, oversize bodies).
  if (
    error instanceof UrlRefusedError ||
    error instanceof ResponseTooLargeError ||
    error instanceof UnreadableEncodingError
  )
    return error;
  const { status } = error;
  const vendorMessage = vendorMessageOf(error.body);
  if (status === 404) return new VendorResourceNotFoundError(vendor, resource, { cause: error });
  if (status === 401 || status === 403)
    return new VendorApiAuthError(vendor, status, vendorMessage, { cause: error });
  if (status >= 400 && status < 500)
    return new VendorApiRequestError(vendor, status, vendorMessage, { cause: error });
  if (status >= 300 && status < 400)
    return new VendorApiResponseError(
      vendor,
      `${resource} answered HTTP ${status} with no redirect to follow`,
      {
        cause: error,
      },
    );
  // A 2xx whose body is not JSON (http.ts reports it as permanent with the response's status).
  return new HttpTransientError(
    `${vendor} API: ${resource} response is not JSON (HTTP ${status})`,
    { operation: error.operation, status },
    { cause: error },
  );
}

/** `body` validated by `schema`; throws {@link VendorApiResponseError} naming the failing paths only. */
export function parseVendorResponse<const TSchema extends v.GenericSchema>(
  vendor: VendorName,
  resource: string,
  schema: TSchema,
  body: unknown,
): v.InferOutput<TSchema> {
  const result = v.safeParse(schema, body);
  if (result.success) return result.output;
  const paths = failingPaths(result.issues, '(root)');
  throw new VendorApiResponseError(vendor, `unexpected ${resource} response at ${paths.join(', ')}`);
}
