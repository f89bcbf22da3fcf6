/**
 * Every refusal the intake makes is counted under one reason of the contract's enumeration, and nothing
 * that is our fault (5xx) is counted as a refusal.
 */
import * as intakeErrors from '../../../functions/intake/errors.js';
import {
  InvalidEventError,
  MalformedJsonError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  UnknownVendorRouteError,
  WebhookAuthenticationError,
} from '../../../functions/intake/errors.js';
import { problemFor } from '../../../functions/intake/http-problem.js';
import { describeRefusal, rejectedReasonOf } from '../../../functions/intake/refusal.js';
import { webhookRouteKeys } from '../../../functions/intake/vendor-route.js';
import { SecretUnavailableError } from '../../../functions/platform/errors.js';
import { webhookRejectedReasons } from '../../../functions/platform/metrics.js';
import { QueueUnavailableError, RawEventStoreUnavailableError } from '../../../functions/queue/errors.js';

/** One instance of every refusal error, with the reason it is counted under. */
const refusals = [
  [new UnknownVendorRouteError(), 'route'],
  [new MethodNotAllowedError('GET'), 'method'],
  [new PayloadTooLargeError(6_000_000, 5_242_880), 'size'],
  [new WebhookAuthenticationError('signature', 'signature mismatch'), 'signature'],
  [new WebhookAuthenticationError('signature', 'signature timestamp'), 'signature'],
  [new WebhookAuthenticationError('token'), 'token'],
  [new MalformedJsonError(), 'json'],
  [new InvalidEventError([{ path: 'data.responses.0.score', message: 'Invalid type' }]), 'schema'],
] as const;

describe('rejectedReasonOf', () => {
  it.each(refusals.map(([error, reason]) => [error.name, error.message, error, reason] as const))(
    '%s (%s) → %s',
    (_name, _message, error, reason) => {
      // Act & Assess
      expect(rejectedReasonOf(error)).toBe(reason);
      expect(problemFor(error).status).toBeGreaterThanOrEqual(400);
      expect(problemFor(error).status).toBeLessThan(500);
    },
  );

  it('covers every error class of intake/errors.ts, and every reason is produced by one', () => {
    // Prepare
    const exported = Object.values(intakeErrors).filter((value) => typeof value === 'function');

    // Assess
    expect(new Set(refusals.map(([error]) => error.constructor))).toEqual(new Set(exported));
    expect(new Set(refusals.map(([, reason]) => reason))).toEqual(new Set(webhookRejectedReasons));
  });

  it.each([
    new QueueUnavailableError('down'),
    new RawEventStoreUnavailableError('down'),
    new SecretUnavailableError('down'),
    new Error('bug'),
    'a string',
  ])('counts no refusal for a fault on our side (%p): it is a 5xx', (error) => {
    expect(rejectedReasonOf(error)).toBeUndefined();
    expect(problemFor(error).status).toBeGreaterThanOrEqual(500);
  });
});

describe('describeRefusal', () => {
  it.each([
    [
      'a bad ROUND0 signature',
      new WebhookAuthenticationError('signature', 'signature mismatch'),
      { routeKey: webhookRouteKeys.round0, path: '/webhooks/round0' },
      { vendor: 'round0', reason: 'signature', authentication: true, invalid: false },
    ],
    [
      'a wrong micro1 token',
      new WebhookAuthenticationError('token'),
      { routeKey: webhookRouteKeys.micro1, path: '/webhooks/micro1/x', pathParameters: { token: 'x' } },
      { vendor: 'micro1', reason: 'token', authentication: true, invalid: false },
    ],
    [
      'a schema violation',
      new InvalidEventError([]),
      { routeKey: webhookRouteKeys.round0, path: '/webhooks/round0' },
      { vendor: 'round0', reason: 'schema', authentication: false, invalid: true },
    ],
    [
      'a signed body that is not JSON',
      new MalformedJsonError(),
      { routeKey: webhookRouteKeys.micro1, path: '/webhooks/micro1/x', pathParameters: { token: 'x' } },
      { vendor: 'micro1', reason: 'json', authentication: false, invalid: true },
    ],
    [
      'an oversized body (refused before it is authenticated)',
      new PayloadTooLargeError(5, 4),
      { routeKey: webhookRouteKeys.round0, path: '/webhooks/round0' },
      { vendor: 'round0', reason: 'size', authentication: false, invalid: false },
    ],
    [
      'a path naming no vendor',
      new UnknownVendorRouteError(),
      { routeKey: '$default', path: '/webhooks/acme' },
      { vendor: 'unknown', reason: 'route', authentication: false, invalid: false },
    ],
    [
      'a GET on a vendor path of a catch-all route',
      new MethodNotAllowedError('GET'),
      { routeKey: '$default', path: '/webhooks/micro1/x', method: 'GET' },
      { vendor: 'micro1', reason: 'method', authentication: false, invalid: false },
    ],
  ] as const)('describes %s', (_, error, request, expected) => {
    expect(describeRefusal(error, request)).toEqual(expected);
  });

  it('describes no refusal for a 5xx', () => {
    expect(describeRefusal(new QueueUnavailableError('down'), { path: '/webhooks/round0' })).toBeUndefined();
  });
});
