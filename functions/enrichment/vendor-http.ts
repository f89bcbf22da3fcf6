/**
 * What the two vendor API clients share: turning `platform/http.ts` failures into this folder's errors,
 * and validating a response body without echoing it (bodies hold transcripts and e-mails).
 */
import * as v from 'valibot';
import { HttpPermanentError, ResponseTooLargeError, UrlRefusedError } from '../platform/http.js';
import type { VendorName } from '../vendors/envelope.js';
import {
  VendorApiAuthError,
  VendorApiRequestError,
  VendorApiResponseError,
  VendorResourceNotFoundError,
} from './errors.js';
import { failingPaths } from './payload-values.js';

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
 * (notably `HttpTransientError`, and the client's own refusals `UrlRefusedError`/`ResponseTooLargeError`)
 * is returned untouched.
 */
export function toVendorApiError(vendor: VendorName, resource: string, error: unknown): unknown {
  if (!(error instanceof HttpPermanentError)) return error;
  // Kept as they are (still permanent): their names are what metrics count (SSRF refusals, oversize bodies).
  if (error instanceof UrlRefusedError || error instanceof ResponseTooLargeError) return error;
  const { status } = error;
  const vendorMessage = vendorMessageOf(error.body);
  if (status === 404) return new VendorResourceNotFoundError(vendor, resource, { cause: error });
  if (status === 401 || status === 403)
    return new VendorApiAuthError(vendor, status, vendorMessage, { cause: error });
  if (status >= 400 && status < 500)
    return new VendorApiRequestError(vendor, status, vendorMessage, { cause: error });
  // A 2xx whose body is not JSON (http.ts reports it as permanent with the response's status).
  return new VendorApiResponseError(vendor, `${resource} response is not JSON`, { cause: error });
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
