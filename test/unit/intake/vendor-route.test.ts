import { MethodNotAllowedError, UnknownVendorRouteError } from '../../../functions/intake/errors.js';
import { problemFor } from '../../../functions/intake/http-problem.js';
import {
  defaultRouteKey,
  presentedToken,
  type RoutedRequest,
  resolveVendorRoute,
  vendorAddressed,
  webhookRouteKeys,
} from '../../../functions/intake/vendor-route.js';
import { webhookRoutes } from '../../../lib/constructs/ingest-api.js';
import { ingestRouteKeys } from '../../../local/runtime.js';

const micro1Route = (token?: string): RoutedRequest => ({
  routeKey: webhookRouteKeys.micro1,
  path: `/v1/webhooks/micro1/${token ?? ''}`,
  ...(token === undefined ? {} : { pathParameters: { token } }),
});

describe('resolveVendorRoute', () => {
  it.each([
    [
      'round0, any stage prefix',
      { routeKey: 'POST /webhooks/round0', path: '/prod/webhooks/round0' },
      'round0',
    ],
    ['micro1, token from pathParameters', micro1Route('abc'), 'micro1'],
  ] as const)('routes by the route key: %s', (_, request, vendor) => {
    // Act
    const route = resolveVendorRoute(request);

    // Assess
    expect(route.vendor).toBe(vendor);
    if (route.vendor === 'micro1') expect(route.token).toBe('abc');
  });

  it('leaves a micro1 token that API Gateway did not pass undefined (a 401, not a 404)', () => {
    // Act
    const route = resolveVendorRoute(micro1Route());

    // Assess
    expect(route).toEqual({ vendor: 'micro1', token: undefined });
  });

  it.each([
    ['/webhooks/round0', { vendor: 'round0' }],
    ['/webhooks/round0/', { vendor: 'round0' }],
    ['/prod/webhooks/round0', { vendor: 'round0' }],
    ['/orders/v2/webhooks/round0', { vendor: 'round0' }],
    ['/webhooks/micro1/abc', { vendor: 'micro1', token: 'abc' }],
    ['/v1/webhooks/micro1/abc/', { vendor: 'micro1', token: 'abc' }],
    ['/v1/webhooks/micro1/a%2Bb', { vendor: 'micro1', token: 'a+b' }],
  ])('routes %s by its suffix on $default', (path, expected) => {
    // Act
    const routes = [resolveVendorRoute({ routeKey: '$default', path }), resolveVendorRoute({ path })];

    // Assess
    expect(routes).toEqual([expected, expected]);
  });

  it.each([
    ['$default', '/webhooks/acme'],
    ['$default', '/webhooks/micro1'],
    ['$default', '/prod/webhooks/micro1/'],
    ['$default', '/webhooks/round0/token'],
    ['$default', '/other'],
    ['$default', '/webhooks/micro1/a/b'],
    ['$default', '/prodwebhooks/round0'],
    ['GET /webhooks/round0', '/webhooks/round0'],
    ['POST /webhooks/{vendor}', '/webhooks/round0'],
    ['', '/webhooks/round0'],
  ])('answers 404 for route key %p and path %s', (routeKey, path) => {
    // Act
    const route = () => resolveVendorRoute({ routeKey, path });

    // Assess
    expect(route).toThrow(UnknownVendorRouteError);
    expect(problemFor(new UnknownVendorRouteError()).status).toBe(404);
  });

  it.each(['GET', 'PUT', 'delete'])('answers 405 to %s on a vendor path of $default', (method) => {
    // Act
    const route = () => resolveVendorRoute({ routeKey: '$default', path: '/webhooks/round0', method });

    // Assess
    expect(route).toThrow(MethodNotAllowedError);
    const problem = problemFor(new MethodNotAllowedError(method));
    expect(problem.status).toBe(405);
  });

  it('takes POST (any case) on $default, and reads no method on a webhook route key', () => {
    expect(resolveVendorRoute({ routeKey: '$default', path: '/webhooks/round0', method: 'post' })).toEqual({
      vendor: 'round0',
    });
    expect(
      resolveVendorRoute({ routeKey: webhookRouteKeys.round0, path: '/webhooks/round0', method: 'GET' }),
    ).toEqual({ vendor: 'round0' });
  });

  it('routes on the route keys the CDK stack and the local gateway define, beside their $default', () => {
    // Prepare
    const stackRouteKeys = Object.values(webhookRoutes).map((path) => `POST ${path}`);

    // Assess
    expect(Object.values(webhookRouteKeys).sort()).toEqual([...stackRouteKeys].sort());
    expect([...Object.values(webhookRouteKeys), defaultRouteKey].sort()).toEqual([...ingestRouteKeys].sort());
  });
});

describe('vendorAddressed', () => {
  it.each([
    ['the round0 route', { routeKey: webhookRouteKeys.round0, path: '/webhooks/round0' }, 'round0'],
    ['the micro1 route without a token', micro1Route(), 'micro1'],
    ['a vendor path of $default with another method', { path: '/webhooks/round0', method: 'GET' }, 'round0'],
    ['a path naming no vendor', { routeKey: '$default', path: '/webhooks/acme' }, 'unknown'],
    ['another route key', { routeKey: 'GET /health', path: '/health' }, 'unknown'],
  ] as const)('names the vendor of %s', (_, request, vendor) => {
    expect(vendorAddressed(request)).toBe(vendor);
  });
});

describe('presentedToken', () => {
  it.each([
    ['a decoded token as is', 'Ab-_09', 'Ab-_09'],
    ['a still-encoded token decoded', '%41b-_09', 'Ab-_09'],
    ['an incomplete escape as delivered', '%E0%A4%A', '%E0%A4%A'],
    ['a lone % as delivered', 'Ab-_09%', 'Ab-_09%'],
    ['an encoded surrogate as delivered', '%ED%A0%80', '%ED%A0%80'],
  ])('returns %s', (_, value, expected) => {
    // Act & Assess
    expect(presentedToken(value)).toBe(expected);
  });
});
