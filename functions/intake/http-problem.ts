/**
 * Maps intake errors to RFC 9457 `application/problem+json` answers. Anything not recognised here is a
 * fault on our side (5xx) — bad input always has a typed error and a 4xx.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { SecretUnavailableError } from '../platform/errors.js';
import { QueueUnavailableError } from '../queue/errors.js';
import {
  InvalidEventError,
  MalformedJsonError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  UnknownVendorRouteError,
  WebhookAuthenticationError,
} from './errors.js';

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly errors?: ReadonlyArray<{ readonly path: string; readonly message: string }>;
}

const problemType = (slug: string): string => `https://github.com/interview-sync/problems#${slug}`;

/** The problem an error becomes. `requestId` lets a vendor's support quote the failing delivery. */
export const problemFor = (error: unknown): Problem => {
  if (error instanceof UnknownVendorRouteError) {
    return { type: problemType('not-found'), title: 'Not Found', status: 404, detail: error.message };
  }
  if (error instanceof MethodNotAllowedError) {
    return {
      type: problemType('method-not-allowed'),
      title: 'Method Not Allowed',
      status: 405,
      detail: error.message,
    };
  }
  if (error instanceof PayloadTooLargeError) {
    return {
      type: problemType('payload-too-large'),
      title: 'Payload Too Large',
      status: 413,
      detail: error.message,
    };
  }
  if (error instanceof WebhookAuthenticationError) {
    // Deliberately the same text for every failure: no hint whether the token, signature or clock failed.
    return {
      type: problemType('unauthorized'),
      title: 'Unauthorized',
      status: 401,
      detail: 'the request could not be authenticated as coming from the vendor',
    };
  }
  if (error instanceof MalformedJsonError) {
    return { type: problemType('malformed-json'), title: 'Bad Request', status: 400, detail: error.message };
  }
  if (error instanceof InvalidEventError) {
    return {
      type: problemType('invalid-event'),
      title: 'Bad Request',
      status: 400,
      detail: `the event does not match the vendor's schema: ${error.issues
        .map((issue) => `${issue.path}: ${issue.message}`)
        .join('; ')}`,
      errors: error.issues,
    };
  }
  if (error instanceof QueueUnavailableError || error instanceof SecretUnavailableError) {
    // 503 makes the vendor retry the delivery later: nothing was acknowledged, so nothing is lost. (The raw
    // event store is the worker's: its failures never reach the ingest's answer.)
    return {
      type: problemType('unavailable'),
      title: 'Service Unavailable',
      status: 503,
      detail: 'the event could not be queued; retry later',
    };
  }
  return {
    type: problemType('internal'),
    title: 'Internal Server Error',
    status: 500,
    detail: 'unexpected error',
  };
};

export const problemResponse = (problem: Problem, requestId?: string): APIGatewayProxyStructuredResultV2 => ({
  statusCode: problem.status,
  headers: {
    'content-type': 'application/problem+json',
    ...(problem.status === 503 ? { 'retry-after': '30' } : {}),
    ...(problem.status === 405 ? { allow: 'POST' } : {}),
  },
  body: JSON.stringify(requestId === undefined ? problem : { ...problem, requestId }),
});
