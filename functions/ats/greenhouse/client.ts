/**
 * The Harvest v3 client the Greenhouse adapter and its doctor share: OAuth client-credentials token cached
 * until shortly before it expires (refreshed once on a 401), a `bottleneck` reservoir per 30 s window plus a
 * pause whenever `X-RateLimit-Remaining` reaches the reserve (until a 429's `Retry-After` when one says; a
 * pause longer than `http.maxRetryAfterSeconds` is not slept but thrown as transient with `retryAfterSeconds`,
 * so the worker redelivers the event then), and list reading that follows `Link: rel="next"` exactly as given.
 */
import Bottleneck from 'bottleneck';
import * as v from 'valibot';
import {
  defaultMaxRetryAfterSeconds,
  type HttpRequest,
  type HttpResponse,
  parseRetryAfter,
} from '../../platform/http.js';
import { AtsPermanentError, AtsTransientError } from '../errors.js';
import { ratePerInstance } from '../rate-share.js';
import { createAtsTransport, type HttpSettings } from '../transport.js';
import type { AtsAdapterDeps } from '../types.js';
import { buildNextPage, buildTokenRequest, greenhouseRemainingHeader, parseNextLink } from './api.js';

const adapter = 'greenhouse';

/** The settings the client needs (a subset of the adapter's resolved `ATS_CONFIG`). */
export interface GreenhouseClientSettings {
  readonly baseUrl: string;
  readonly authUrl: string;
  readonly userId: string;
  readonly maxPages: number;
  readonly rateLimit: {
    readonly requestsPerWindow: number;
    readonly windowMs: number;
    readonly reserve: number;
    readonly maxConcurrent: number;
  };
  readonly http: HttpSettings;
}

/**
 * The token answer. greenhouse.md: `{ token_type, access_token, expires_in }`, though the answer may carry
 * `expires_at` instead; both are accepted (`expires_at` as epoch seconds, epoch milliseconds or an ISO date).
 * `scope` is the standard OAuth field (RFC 6749 §5.1) some servers add: the doctor reads it when present.
 */
const tokenSchema = v.looseObject({
  access_token: v.pipe(v.string(), v.nonEmpty()),
  expires_in: v.optional(v.number()),
  expires_at: v.optional(v.union([v.number(), v.string()])),
  scope: v.optional(v.string()),
});
export type GreenhouseTokenAnswer = v.InferOutput<typeof tokenSchema>;

/** Lifetime assumed when the answer states none (Harvest v3 access tokens live one hour). */
const defaultLifetimeMs = 3_600_000;
/** Refresh this long before the token runs out, so it never expires mid-request. */
const tokenSkewMs = 60_000;

/** Milliseconds the token stays valid from `now`, from `expires_in` or `expires_at`. */
export const tokenLifetimeMs = (answer: GreenhouseTokenAnswer, now: number): number => {
  if (answer.expires_in !== undefined) return answer.expires_in * 1000;
  if (answer.expires_at !== undefined) {
    const at =
      typeof answer.expires_at === 'number'
        ? // Seconds until the year 33658; anything larger is already milliseconds.
          answer.expires_at < 1e12
          ? answer.expires_at * 1000
          : answer.expires_at
        : Date.parse(answer.expires_at);
    if (Number.isFinite(at)) return Math.max(0, at - now);
  }
  return defaultLifetimeMs;
};

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const invalidGreenhouseAnswer = (what: string) =>
  new AtsPermanentError(`${adapter}: unexpected ${what} response`, { adapter, reason: 'invalid_response' });

export interface GreenhouseClient {
  /** Sends with the cached token; on a 401 fetches a new token and retries once. */
  send(request: HttpRequest): Promise<HttpResponse>;
  /** Every item of a list, following `Link: rel="next"` exactly as given, at most `maxPages` pages. */
  items<T>(first: HttpRequest, schema: v.GenericSchema<unknown, T>): AsyncGenerator<T>;
  collect<T>(first: HttpRequest, schema: v.GenericSchema<unknown, T>): Promise<T[]>;
  /** The first page only (the doctor: "does this list return anything?"). */
  firstPage<T>(first: HttpRequest, schema: v.GenericSchema<unknown, T>): Promise<T[]>;
  /** Fetches a fresh token and returns its answer (the doctor reads `scope`). */
  authenticate(): Promise<GreenhouseTokenAnswer>;
}

export const createGreenhouseClient = (
  settings: GreenhouseClientSettings,
  secret: { readonly clientId: string; readonly clientSecret: string },
  deps: AtsAdapterDeps,
): GreenhouseClient => {
  const { baseUrl, maxPages, rateLimit } = settings;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? realSleep;
  const baseOrigin = new URL(baseUrl).origin;

  // This instance's part of the window's requests (ats/rate-share.ts).
  const window = ratePerInstance(rateLimit.requestsPerWindow, rateLimit.windowMs, deps.rateShare);
  const limiter = new Bottleneck({
    maxConcurrent: rateLimit.maxConcurrent,
    reservoir: window.amount,
    reservoirRefreshAmount: window.amount,
    reservoirRefreshInterval: window.intervalMs,
  });
  // Set when X-RateLimit-Remaining says the window is spent: a full window from then is certainly past
  // the server's reset, whatever its phase. A 429's Retry-After says when exactly, and wins.
  let pausedUntil = 0;
  // A longer pause is not slept in-process: the worker's invocation (60 s) could end mid-write. The request
  // is not sent; the event is retried later (the queue's back-off), as after a 429 with a long Retry-After.
  const maxPauseMs = (settings.http.maxRetryAfterSeconds ?? defaultMaxRetryAfterSeconds) * 1000;

  const transport = createAtsTransport({
    adapter,
    urls: [baseUrl, settings.authUrl],
    limiter,
    http: settings.http,
    deps,
    beforeAttempt: async () => {
      // Bounded: a request already past `refuseLongPause` (sent concurrently) at worst meets a 429.
      const wait = Math.min(pausedUntil - now(), maxPauseMs);
      if (wait > 0) await sleep(wait);
    },
    afterAttempt: (response) => {
      const retryAfter =
        response.status === 429 ? parseRetryAfter(response.headers.get('retry-after'), now()) : undefined;
      const remaining = response.headers.get(greenhouseRemainingHeader);
      if (retryAfter !== undefined) pausedUntil = now() + retryAfter * 1000;
      else if (remaining !== null && Number(remaining) <= rateLimit.reserve)
        pausedUntil = now() + rateLimit.windowMs;
    },
  });

  /** Before a request is sent: a pause longer than the in-process bound is the event's to wait, not ours. */
  const refuseLongPause = () => {
    const wait = pausedUntil - now();
    if (wait <= maxPauseMs) return;
    const retryAfterSeconds = Math.ceil(wait / 1000);
    throw new AtsTransientError(`${adapter}: rate-limit window spent for ${retryAfterSeconds} s more`, {
      adapter,
      status: 429,
      retryAfterSeconds,
    });
  };
  const transportSend = (request: HttpRequest) => {
    refuseLongPause();
    return transport.send(request);
  };

  let token: { value: string; expiresAt: number } | undefined;
  let pendingToken: Promise<string> | undefined;

  const requestToken = async (): Promise<GreenhouseTokenAnswer> => {
    const request = buildTokenRequest(settings.authUrl, secret, settings.userId);
    const response = await transportSend(request).catch((error: unknown) => {
      if (error instanceof AtsPermanentError) {
        throw new AtsPermanentError(
          `${adapter}: token request refused (check clientId, clientSecret and userId)`,
          { adapter, status: error.status, reason: 'unauthorized' },
          { cause: error },
        );
      }
      throw error;
    });
    const parsed = v.safeParse(tokenSchema, response.json());
    if (!parsed.success) throw invalidGreenhouseAnswer('token');
    const lifetimeMs = tokenLifetimeMs(parsed.output, now());
    token = {
      value: parsed.output.access_token,
      expiresAt: now() + (lifetimeMs > 2 * tokenSkewMs ? lifetimeMs - tokenSkewMs : lifetimeMs / 2),
    };
    return parsed.output;
  };

  const getToken = async (): Promise<string> => {
    if (token && now() < token.expiresAt) return token.value;
    pendingToken ??= requestToken()
      .then((answer) => answer.access_token)
      .finally(() => {
        pendingToken = undefined;
      });
    return pendingToken;
  };

  const withBearer = (request: HttpRequest, value: string): HttpRequest => ({
    ...request,
    headers: { ...request.headers, authorization: `Bearer ${value}` },
  });

  const send = async (request: HttpRequest): Promise<HttpResponse> => {
    const first = await transportSend({
      ...withBearer(request, await getToken()),
      acceptStatuses: [401, ...(request.acceptStatuses ?? [])],
    });
    if (first.status !== 401) return first;
    token = undefined;
    return transportSend(withBearer(request, await getToken()));
  };

  const parsePage = <T>(response: HttpResponse, schema: v.GenericSchema<unknown, T>, operation?: string) => {
    const parsed = v.safeParse(v.array(schema), response.json());
    if (!parsed.success) throw invalidGreenhouseAnswer(operation ?? 'list');
    return parsed.output;
  };

  async function* items<T>(first: HttpRequest, schema: v.GenericSchema<unknown, T>): AsyncGenerator<T> {
    let request = first;
    for (let page = 1; page <= maxPages; page += 1) {
      const response = await send(request);
      yield* parsePage(response, schema, request.operation);
      const next = parseNextLink(response.headers.get('link'));
      if (next === undefined) return;
      const nextUrl = new URL(next, baseUrl);
      // The bearer token must never follow a link to another host.
      if (nextUrl.origin !== baseOrigin) throw invalidGreenhouseAnswer('pagination');
      request = buildNextPage(nextUrl.href, first.operation);
    }
    throw new AtsPermanentError(`${adapter}: more than ${maxPages} pages`, {
      adapter,
      reason: 'too_many_pages',
    });
  }

  return {
    send,
    items,
    async collect(first, schema) {
      const all = [];
      for await (const item of items(first, schema)) all.push(item);
      return all;
    },
    async firstPage(first, schema) {
      return parsePage(await send(first), schema, first.operation);
    },
    authenticate: () => requestToken(),
  };
};
