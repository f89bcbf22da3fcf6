/**
 * What the HTTP adapters share: an {@link HttpClient} whose every attempt goes through the adapter's
 * `bottleneck` limiter, with HTTP errors turned into ATS errors.
 */
import type Bottleneck from 'bottleneck';
import * as v from 'valibot';
import { createHttpClient, type HttpRequest, type HttpResponse } from '../platform/http.js';
import { type UrlPolicy, urlPolicyForBaseUrl } from '../platform/url-guard.js';
import { toAtsError } from './errors.js';
import type { AtsAdapterDeps } from './types.js';

/** Per-adapter HTTP settings from `ATS_CONFIG.http`. */
export const httpSettingsSchema = v.optional(
  v.object({
    /** Milliseconds per attempt. @default 10000 */
    timeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(100))),
    /** Attempts per request. @default 4 */
    maxAttempts: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(10))),
    /** Backoff base. @default 250 */
    baseDelayMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
    /** Longest Retry-After waited in-process. @default 20 */
    maxRetryAfterSeconds: v.optional(v.pipe(v.number(), v.minValue(0))),
    /**
     * Milliseconds one request may take in all, its retries and waits included.
     * @default 20000 ({@link defaultAtsDeadlineMs})
     */
    deadlineMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1000))),
  }),
  {},
);
export type HttpSettings = v.InferOutput<typeof httpSettingsSchema>;

/**
 * Milliseconds one ATS request may take in all, retries and Retry-After waits included, unless
 * `ATS_CONFIG.http.deadlineMs` says otherwise. Without it one request could take 4 attempts of 10 s and the
 * waits between them, and an event makes several in turn: a slow ATS ended the worker's whole batch in its
 * 60 s Lambda timeout (every record back after 6 minutes, a receive spent) instead of failing the slow
 * event alone, to be retried.
 */
export const defaultAtsDeadlineMs = 20_000;

export interface AtsTransport {
  /** Sends through the limiter; throws `AtsTransientError`/`AtsPermanentError`. */
  send(request: HttpRequest): Promise<HttpResponse>;
}

export interface AtsTransportOptions {
  readonly adapter: string;
  /** The configured URLs the adapter talks to: only their hosts pass the URL policy. */
  readonly urls: readonly string[];
  readonly limiter: Bottleneck;
  readonly http: HttpSettings;
  readonly deps: AtsAdapterDeps;
  /** Runs inside the limiter just before each attempt (e.g. Greenhouse's pause when its window is spent). */
  readonly beforeAttempt?: () => Promise<void>;
  /** Sees each raw response (e.g. Greenhouse's `X-RateLimit-Remaining`). */
  readonly afterAttempt?: (response: Response) => void;
}

/** The SSRF guard's policy for an adapter: the hosts of its configured URLs, with the process's relaxation. */
const urlPolicyForUrls = (urls: readonly string[], relaxation: UrlPolicy): UrlPolicy => ({
  ...relaxation,
  allowedHosts: urls.flatMap((url) => urlPolicyForBaseUrl(url).allowedHosts ?? []),
});

export const createAtsTransport = (options: AtsTransportOptions): AtsTransport => {
  const { adapter, limiter, beforeAttempt, afterAttempt } = options;
  const { fetch, sleep, random, now } = options.deps;
  const http = createHttpClient({
    ...options.http,
    deadlineMs: options.http.deadlineMs ?? defaultAtsDeadlineMs,
    ...(options.deps.callsEndBy === undefined ? {} : { endBy: options.deps.callsEndBy }),
    fetch,
    sleep,
    random,
    now,
    ...(options.deps.urlPolicy === undefined
      ? {}
      : { urlPolicy: urlPolicyForUrls(options.urls, options.deps.urlPolicy) }),
    schedule: (attempt) =>
      limiter.schedule(async () => {
        await beforeAttempt?.();
        const response = await attempt();
        afterAttempt?.(response);
        return response;
      }),
  });
  return {
    async send(request) {
      try {
        return await http.request(request);
      } catch (error) {
        throw toAtsError(adapter, error);
      }
    },
  };
};

/** A string id in config: accepts `123` or `"123"` (ATS ids are numbers in Greenhouse, strings elsewhere). */
export const idSchema = v.pipe(
  v.union([v.pipe(v.string(), v.nonEmpty()), v.pipe(v.number(), v.integer())]),
  v.transform(String),
);

/** Status → tag id (or name) map of `ATS_CONFIG.statusTags`/`statusTagIds`. */
export const statusMapSchema = <T extends v.GenericSchema<unknown, string>>(value: T) =>
  v.object({ in_progress: v.optional(value), completed: v.optional(value) });

export const urlSchema = v.pipe(v.string(), v.url());

/** Joins a base URL and a path without doubling or dropping the slash. */
export const joinUrl = (base: string, path: string): string =>
  `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
