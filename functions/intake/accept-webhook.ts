/**
 * The front door's business rules, free of Lambda and HTTP types: route → size → authenticate → parse →
 * validate → normalise → enqueue. Resolves only once the queue has durably accepted the event, so the
 * caller may answer 2xx; every refusal is a typed error from `./errors.ts`.
 */
import type { WebhookSecrets } from '../platform/secrets-shape.js';
import type { InterviewEvent, VendorName } from '../vendors/envelope.js';
import {
  isVendorName,
  parseVendorEvent,
  verifyMicro1Token,
  verifyRound0Signature,
} from '../vendors/index.js';
import {
  InvalidEventError,
  MalformedJsonError,
  PayloadTooLargeError,
  UnknownVendorRouteError,
  WebhookAuthenticationError,
} from './errors.js';

export interface WebhookRequest {
  /** Request path, e.g. `/webhooks/round0` or `/webhooks/micro1/<token>`. */
  readonly path: string;
  /** Headers with lower-cased names (as API Gateway HTTP APIs deliver them). */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The body exactly as received: signatures are computed over these bytes. */
  readonly rawBody: Buffer;
}

export interface AcceptWebhookDeps {
  readonly readWebhookSecrets: () => Promise<WebhookSecrets>;
  readonly publish: (
    event: InterviewEvent,
  ) => Promise<{ readonly messageId: string; readonly claimCheck: boolean }>;
  /** Largest body accepted (bytes). */
  readonly maxBodyBytes: number;
  /** ROUND0 signature timestamp tolerance (seconds). */
  readonly signatureToleranceSeconds: number;
  readonly now?: () => Date;
}

export interface AcceptedWebhook {
  readonly event: InterviewEvent;
  readonly messageId: string;
  readonly claimCheck: boolean;
}

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
    for (const child of Object.values(current)) stack.push({ value: child, depth: depth + 1 });
  }
  return deepest;
};

const routePattern = /^\/webhooks\/([a-z0-9]+)(?:\/([^/]+))?\/?$/;

/**
 * The micro1 token a path segment presents. `decodeURIComponent` throws `URIError` on a segment that is
 * not valid percent-encoding (`%E0%A4%A`, a stray `%`): such a segment is kept as delivered, so it fails
 * authentication like any other wrong token (the same 401) instead of escaping as a 500.
 */
const presentedToken = (segment: string): string => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

/** Which vendor a path is for, and the micro1 path token. Exact routes, as the HTTP API defines them. */
export const resolveVendorRoute = (path: string): { vendor: VendorName; token?: string } => {
  const match = routePattern.exec(path);
  const vendor = match?.[1];
  const token = match?.[2];
  if (vendor === undefined || !isVendorName(vendor)) throw new UnknownVendorRouteError();
  // ROUND0 signs its body and has no token route; micro1 cannot sign, so its route must carry the token.
  if ((vendor === 'round0') !== (token === undefined)) throw new UnknownVendorRouteError();
  return token === undefined ? { vendor } : { vendor, token: presentedToken(token) };
};

const authenticate = async (
  vendor: VendorName,
  token: string | undefined,
  request: WebhookRequest,
  deps: AcceptWebhookDeps,
  now: Date,
): Promise<void> => {
  const secrets = await deps.readWebhookSecrets();
  if (vendor === 'micro1') {
    if (!verifyMicro1Token(token, secrets.micro1Tokens)) throw new WebhookAuthenticationError('token');
    return;
  }
  const verdict = verifyRound0Signature({
    rawBody: request.rawBody,
    header: request.headers['x-webhook-signature'],
    secrets: secrets.round0SigningSecrets,
    toleranceSeconds: deps.signatureToleranceSeconds,
    nowSeconds: Math.floor(now.getTime() / 1000),
  });
  if (!verdict.ok) throw new WebhookAuthenticationError(`signature ${verdict.reason}`);
};

export const acceptWebhook = async (
  request: WebhookRequest,
  deps: AcceptWebhookDeps,
): Promise<AcceptedWebhook> => {
  const now = deps.now?.() ?? new Date();
  const { vendor, token } = resolveVendorRoute(request.path);
  if (request.rawBody.length > deps.maxBodyBytes) {
    throw new PayloadTooLargeError(request.rawBody.length, deps.maxBodyBytes);
  }
  await authenticate(vendor, token, request, deps, now);

  let body: unknown;
  try {
    body = JSON.parse(request.rawBody.toString('utf8'));
  } catch (error) {
    throw new MalformedJsonError({ cause: error });
  }
  if (nestingDepth(body) > maxNestingDepth) {
    throw new InvalidEventError([{ path: '', message: `nested deeper than ${maxNestingDepth} levels` }]);
  }
  const parsed = parseVendorEvent(vendor, body, now);
  if (!parsed.ok) throw new InvalidEventError(parsed.issues);

  const published = await deps.publish(parsed.event);
  return { event: parsed.event, ...published };
};
