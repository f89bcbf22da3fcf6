/**
 * What a refused delivery is counted as (`WebhookRejected` by vendor and reason, `WebhookAuthFailed` or
 * `WebhookInvalid` by vendor): one reason per refusal error of `./errors.ts`, the same errors
 * `http-problem.ts` answers 4xx.
 */
import type { WebhookRejectedReason } from '../platform/metrics.js';
import type { VendorName } from '../vendors/envelope.js';
import {
  InvalidEventError,
  MalformedJsonError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  UnknownVendorRouteError,
  WebhookAuthenticationError,
} from './errors.js';
import { type RoutedRequest, vendorAddressed } from './vendor-route.js';

export interface Refusal {
  /** The vendor whose route the request came to, `unknown` when the route is no vendor's. */
  readonly vendor: VendorName | 'unknown';
  readonly reason: WebhookRejectedReason;
  /** A bad signature or token: the alarmed `WebhookAuthFailed`. */
  readonly authentication: boolean;
  /**
   * Not JSON, or against the vendor's schema: the alarmed `WebhookInvalid`. The body is parsed only once the
   * delivery is authenticated (`accept-webhook.ts`), so this is the vendor's own event refused for good (it
   * does not send a 4xx again), never a stranger's.
   */
  readonly invalid: boolean;
}

/** The reason of a refusal error; `undefined` for anything else (a fault on our side, answered 5xx). */
export const rejectedReasonOf = (error: unknown): WebhookRejectedReason | undefined => {
  if (error instanceof UnknownVendorRouteError) return 'route';
  if (error instanceof MethodNotAllowedError) return 'method';
  if (error instanceof PayloadTooLargeError) return 'size';
  if (error instanceof WebhookAuthenticationError) return error.credential;
  if (error instanceof MalformedJsonError) return 'json';
  if (error instanceof InvalidEventError) return 'schema';
  return undefined;
};

/**
 * The refusal `error` means for `request`, or `undefined` when the error is not a refusal.
 *
 * @example
 * describeRefusal(new WebhookAuthenticationError('token'), micro1Request);
 * // { vendor: 'micro1', reason: 'token', authentication: true, invalid: false }
 */
export const describeRefusal = (error: unknown, request: RoutedRequest): Refusal | undefined => {
  const reason = rejectedReasonOf(error);
  if (reason === undefined) return undefined;
  return {
    vendor: vendorAddressed(request),
    reason,
    authentication: reason === 'signature' || reason === 'token',
    invalid: reason === 'json' || reason === 'schema',
  };
};
