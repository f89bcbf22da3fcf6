/**
 * Which vendor a request is for, decided the way the HTTP API decided it: by the route it matched.
 *
 * The path is not a reliable guide. A named stage (`/prod/webhooks/round0`) or a custom domain's base path
 * mapping (`/v1/webhooks/round0`) prefixes `rawPath`, while `routeKey` stays the route as defined
 * (`POST /webhooks/round0`) whatever stage or domain the request came through.
 */
import type { VendorName } from '../vendors/envelope.js';
import { isVendorName } from '../vendors/index.js';
import { MethodNotAllowedError, UnknownVendorRouteError } from './errors.js';

/**
 * The HTTP API's route keys, one per vendor. The CDK stack (`lib/constructs/ingest-api.ts`) and the local
 * gateway (`local/runtime.ts`) must define exactly these; `test/unit/intake/vendor-route.test.ts` checks.
 */
export const webhookRouteKeys = {
  round0: 'POST /webhooks/round0',
  /** micro1 cannot sign its webhooks; a high-entropy token in the path authenticates them. */
  micro1: 'POST /webhooks/micro1/{token}',
} as const satisfies Record<VendorName, string>;

/** The route key of a catch-all route, and of a request that reached the function some other way. */
export const defaultRouteKey = '$default';

export interface RoutedRequest {
  /**
   * The route API Gateway matched (payload 2.0 `routeKey`).
   * @default '$default' (no route key: route by the path)
   */
  readonly routeKey?: string;
  /** Request path as delivered (`rawPath`), possibly behind a stage or base path; read only on `$default`. */
  readonly path: string;
  /** The matched route's parameters (payload 2.0 `pathParameters`): `token` on the micro1 route. */
  readonly pathParameters?: Readonly<Record<string, string | undefined>>;
  /**
   * The HTTP method (payload 2.0 `requestContext.http.method`); read only on `$default`, where the route
   * matched any method (the webhook route keys are POST routes).
   * @default 'POST'
   */
  readonly method?: string;
}

export type VendorRoute =
  | { readonly vendor: 'round0' }
  /** `token` is undefined when the request carried none: that is an authentication failure, not a 404. */
  | { readonly vendor: 'micro1'; readonly token: string | undefined };

/**
 * The micro1 token a path parameter presents.
 *
 * HTTP APIs hand `pathParameters` (and `rawPath`) over already percent-decoded — AWS's docs do not say
 * so; live captures do (hotsock/voker `vokerhttp/testdata/ingress-paths.json`) — while other sources of a
 * path (a REST API, a Function URL, an emulator) may not. A genuine token is base64url and never contains
 * `%`, so decoding once more changes nothing for it and lets a still-encoded one through. A value that is
 * not valid percent-encoding (`%E0%A4%A`, a stray `%`) makes `decodeURIComponent` throw `URIError`: it is
 * kept as delivered, so it fails authentication like any other wrong token (the same 401, never a 5xx).
 */
export const presentedToken = (value: string): string => {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
};

/**
 * `…/webhooks/<vendor>[/<token>][/]` at the end of a path, after any stage or base path. Anchored at the
 * end only, because a base path mapping may be several segments deep (`/orders/v2/webhooks/round0`).
 */
const routeSuffixPattern = /(?:^|\/)webhooks\/([a-z0-9]+)(?:\/([^/]+))?\/?$/;

/** Routing by the path, for a catch-all `$default` route (the stack's, for paths and methods no vendor route takes). */
const routeByPath = (path: string): VendorRoute => {
  const match = routeSuffixPattern.exec(path);
  const vendor = match?.[1];
  const token = match?.[2];
  if (vendor === undefined || !isVendorName(vendor)) throw new UnknownVendorRouteError();
  // ROUND0 signs its body and has no token route; micro1 cannot sign, so its route must carry the token.
  if (vendor === 'round0') {
    if (token !== undefined) throw new UnknownVendorRouteError();
    return { vendor };
  }
  if (token === undefined) throw new UnknownVendorRouteError();
  return { vendor, token: presentedToken(token) };
};

/**
 * The vendor route of a request: its route key when API Gateway matched one of {@link webhookRouteKeys},
 * its path's suffix on `$default`.
 *
 * @example
 * resolveVendorRoute({ routeKey: 'POST /webhooks/micro1/{token}', path: '/v1/webhooks/micro1/abc',
 *   pathParameters: { token: 'abc' } }); // { vendor: 'micro1', token: 'abc' }
 * @throws {UnknownVendorRouteError} for any other route key, or a `$default` path naming no vendor route.
 * @throws {MethodNotAllowedError} for a `$default` request of a vendor route with a method other than POST.
 */
export const resolveVendorRoute = (request: RoutedRequest): VendorRoute => {
  const routeKey = request.routeKey ?? defaultRouteKey;
  if (routeKey === webhookRouteKeys.round0) return { vendor: 'round0' };
  if (routeKey === webhookRouteKeys.micro1) {
    const token = request.pathParameters?.token;
    return { vendor: 'micro1', token: token === undefined ? undefined : presentedToken(token) };
  }
  if (routeKey === defaultRouteKey) {
    const route = routeByPath(request.path);
    // Vendors only POST webhooks: the catch-all route (the stack's `$default`, or a proxy's) matches any
    // method, and a GET or a PUT is not a delivery.
    const method = (request.method ?? 'POST').toUpperCase();
    if (method !== 'POST') throw new MethodNotAllowedError(method);
    return route;
  }
  throw new UnknownVendorRouteError();
};

/**
 * The vendor a request is addressed to, whatever else is wrong with it (for metrics), or `unknown` when
 * its route names no vendor.
 */
export const vendorAddressed = (request: RoutedRequest): VendorName | 'unknown' => {
  try {
    return resolveVendorRoute({ ...request, method: 'POST' }).vendor;
  } catch {
    return 'unknown';
  }
};
