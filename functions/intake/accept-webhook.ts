/**
 * The front door's business rules, free of Lambda and HTTP types: route → size → authenticate → parse →
 * validate → normalise → enqueue, the raw delivery travelling with the envelope (the worker keeps it in the
 * raw event store). Resolves only once the queue has durably accepted the event, so the caller may answer
 * 2xx; every refusal is a typed error from `./errors.ts`.
 */
import { SecretUnavailableError } from '../platform/errors.js';
import type { WebhookSecrets } from '../platform/secrets-shape.js';
import { rawDeliveryOf } from '../queue/raw-events.js';
import type { InterviewEvent, RawDelivery, VendorName } from '../vendors/envelope.js';
import {
  bodyText,
  micro1TokenShapeOk,
  nonFiniteNumberPath,
  parseVendorEvent,
  round0HeaderFailure,
  verifyMicro1Token,
  verifyRound0Signature,
  withUnpairedSurrogatesReplaced,
} from '../vendors/index.js';
import {
  InvalidEventError,
  MalformedJsonError,
  PayloadTooLargeError,
  WebhookAuthenticationError,
} from './errors.js';
import { type RoutedRequest, resolveVendorRoute, type VendorRoute } from './vendor-route.js';

/** A webhook delivery: the route API Gateway matched (see {@link RoutedRequest}), headers and raw bytes. */
export interface WebhookRequest extends RoutedRequest {
  /** Headers with lower-cased names (as API Gateway HTTP APIs deliver them). */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The body exactly as received: signatures are computed over these bytes. */
  readonly rawBody: Buffer;
}

export interface AcceptWebhookDeps {
  /** The webhook secrets; `fresh` reads them again past the cache (rate-limited by the reader). */
  readonly readWebhookSecrets: (options?: { readonly fresh?: boolean }) => Promise<WebhookSecrets>;
  /**
   * Enqueues the envelope with its raw delivery (`EventQueue.publish`); resolves once SQS has it, and
   * gives up by `deadline` (epoch ms) when there is one.
   */
  readonly publish: (
    event: InterviewEvent,
    raw: RawDelivery,
    deadline?: number,
  ) => Promise<{ readonly messageId: string; readonly claimCheck: boolean }>;
  /**
   * Epoch ms by which the answer to a delivery for `vendor` is due (the ingest: {@link answerWithinMs} after
   * the request came): a secret read or a write still running then is given up, and the delivery gets a 503
   * (the vendor retries), not an answer its sender stopped waiting for. @default none: each call's own limits
   */
  readonly answerBy?: (vendor: VendorName) => number;
  /** Largest body accepted (bytes). */
  readonly maxBodyBytes: number;
  /** ROUND0 signature timestamp tolerance (seconds). */
  readonly signatureToleranceSeconds: number;
  readonly now?: () => Date;
}

/**
 * Largest webhook body accepted by default (bytes): the deployed value (lib/resources.ts) and the ingest's
 * fallback. API Gateway base64-encodes a body whose type is not text, and a synchronous invocation carries at
 * most 6 MB: a larger cap would let the invocation fail at the gateway instead of the ingest answering 413.
 */
export const defaultMaxBodyBytes = 4 * 1024 * 1024;

/**
 * How long the ingest may take to answer a delivery, by vendor. Without a bound, a secret read and both
 * writes running out every attempt took 13 s.
 * - ROUND0: 8 s. Its guide asks for an answer within 10 s (../shared/vendors/round0.md) and it retries: past
 *   that it stops waiting for what would be a 503 anyway. 2 s are left for a cold start's init, the gateway
 *   and the network.
 * - micro1: 13 s, all the ingest's 15 s but 2 for its own answer. It documents neither a timeout nor retries
 *   (../shared/vendors/micro1.md), so a 503 may be the end of the event: a slow queue gets every chance.
 */
export const answerWithinMs: Readonly<Record<VendorName, number>> = { round0: 8_000, micro1: 13_000 };

/** `read`, or a SecretUnavailableError (a 503) if it has not answered by `answerBy`; it goes on to fill the cache. */
const secretsBy = async <T>(read: Promise<T>, answerBy: number | undefined): Promise<T> => {
  if (answerBy === undefined) return read;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new SecretUnavailableError('the webhook secret could not be read in time')),
      Math.max(0, answerBy - Date.now()),
    );
  });
  try {
    return await Promise.race([read, late]);
  } finally {
    clearTimeout(timer);
  }
};

export interface AcceptedWebhook {
  readonly event: InterviewEvent;
  readonly messageId: string;
  readonly claimCheck: boolean;
}

/**
 * The 202 body: the dedupe key as id, and `test: true` for a test delivery from the vendor's dashboard, so
 * whoever pressed "send test webhook" (or ran `npm run send`) sees it was taken for one.
 */
export const acceptedBody = (event: InterviewEvent) => ({
  received: true,
  id: event.dedupeKey,
  ...(event.test ? { test: true } : {}),
});

/**
 * Vendor events nest about five levels deep. Refusing absurd nesting up front keeps every later step
 * (schema, canonical hashing, serialising onto the queue) from overflowing the stack on hostile input.
 */
const maxNestingDepth = 64;

/** Depth of a parsed JSON value, measured without recursion (the input may be hostile). */
const nestingDepth = (value: unknown): number => {
  let deepest = 0;
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop() as { value: unknown; depth: number };
    if (typeof current !== 'object' || current === null) continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > maxNestingDepth) return deepest;
    // Only containers go on the stack: a body of millions of numbers costs no entry per number.
    for (const child of Object.values(current)) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: depth + 1 });
    }
  }
  return deepest;
};

/** A `\uD800`–`\uDFFF` escape: only through one can a parsed string hold a lone surrogate. */
const surrogateEscape = /\\u[dD][89a-fA-F][0-9a-fA-F]{2}/;
const authenticate = async (
  route: VendorRoute,
  request: WebhookRequest,
  deps: AcceptWebhookDeps,
  now: Date,
  answerBy: number | undefined,
): Promise<void> => {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  /**
   * Why `secrets` do not authenticate the request, if they do not; `curable`: other secrets might (a token
   * or signature that matches none of these), where a missing or malformed header, or one with no signature
   * inside the time window, is refused whatever the secrets.
   */
  const refusal = (
    secrets: WebhookSecrets,
  ): { readonly error: WebhookAuthenticationError; readonly curable: boolean } | undefined => {
    if (route.vendor === 'micro1') {
      return verifyMicro1Token(route.token, secrets.micro1Tokens)
        ? undefined
        : { error: new WebhookAuthenticationError('token'), curable: true };
    }
    const verdict = verifyRound0Signature({
      rawBody: request.rawBody,
      header: request.headers['x-webhook-signature'],
      secrets: secrets.round0SigningSecrets,
      toleranceSeconds: deps.signatureToleranceSeconds,
      nowSeconds,
    });
    return verdict.ok
      ? undefined
      : {
          error: new WebhookAuthenticationError('signature', `signature ${verdict.reason}`),
          curable: verdict.unmatched,
        };
  };
  // No credential, or none a secret could match (a token of the wrong shape; a signature header missing,
  // unreadable, or whose every timestamp is outside the tolerance): refused before the secrets are read, so
  // it is a 401 even while they cannot be (a 503 would tell the sender to retry) and costs no Secrets
  // Manager read. The same clock and tolerance as the verification below, so the two cannot disagree.
  if (route.vendor === 'micro1' && !micro1TokenShapeOk(route.token)) {
    throw new WebhookAuthenticationError('token');
  }
  const headerFailure =
    route.vendor === 'round0'
      ? round0HeaderFailure(request.headers['x-webhook-signature'], {
          toleranceSeconds: deps.signatureToleranceSeconds,
          nowSeconds,
        })
      : undefined;
  if (headerFailure !== undefined) {
    throw new WebhookAuthenticationError('signature', `signature ${headerFailure}`);
  }
  const cached = await secretsBy(deps.readWebhookSecrets(), answerBy);
  const first = refusal(cached);
  if (first === undefined) return;
  // Not worth a read (seconds of the answer time when Secrets Manager is slow) where no secret could help.
  if (!first.curable) throw first.error;
  // A secret rolled at the vendor before this container's cache expired (the README's rotation order):
  // read it again once before refusing, or genuine deliveries get 401s for up to the cache's age.
  const fresh = await secretsBy(deps.readWebhookSecrets({ fresh: true }), answerBy);
  const refused = fresh === cached ? first : refusal(fresh);
  if (refused !== undefined) throw refused.error;
};

export const acceptWebhook = async (
  request: WebhookRequest,
  deps: AcceptWebhookDeps,
): Promise<AcceptedWebhook> => {
  const now = deps.now?.() ?? new Date();
  const route = resolveVendorRoute(request);
  const answerBy = deps.answerBy?.(route.vendor);
  if (request.rawBody.length > deps.maxBodyBytes) {
    throw new PayloadTooLargeError(request.rawBody.length, deps.maxBodyBytes);
  }
  await authenticate(route, request, deps, now, answerBy);

  const text = bodyText(request.rawBody);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new MalformedJsonError({ cause: error });
  }
  if (nestingDepth(body) > maxNestingDepth) {
    throw new InvalidEventError([{ path: '', message: `nested deeper than ${maxNestingDepth} levels` }]);
  }
  const overflowing = nonFiniteNumberPath(text, body);
  if (overflowing !== undefined) {
    throw new InvalidEventError([{ path: overflowing, message: 'Invalid number: too large to be read' }]);
  }
  // Most bodies hold no surrogate escape and skip the walk.
  if (surrogateEscape.test(text)) body = withUnpairedSurrogatesReplaced(body);
  const parsed = parseVendorEvent(route.vendor, body, now);
  if (!parsed.ok) throw new InvalidEventError(parsed.issues);

  // Only now, authenticated and valid, is the delivery queued: the raw store never holds a stranger's body.
  // One write before the 2xx, SQS's (S3's too only for a claim check): the worker stores the raw delivery.
  const published = await deps.publish(
    parsed.event,
    rawDeliveryOf(request.headers, request.rawBody),
    answerBy,
  );
  return { event: parsed.event, ...published };
};
