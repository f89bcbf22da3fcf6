/**
 * Client of ROUND0's REST API, used to read an interview back after `interview_ended`.
 *
 * Source (shared/vendors/round0.md, "API (for enrichment)", and the vendor's webhook guide):
 * `GET {base}/api/v1/interviews/{id}` with `Authorization: Bearer <API key>` returns the full interview
 * with `responses[]`; the guide's handler reads `fullResults.responses`, so the list sits at the top level.
 * The other top-level fields are not documented: they are read leniently, either flat (`completed_at`) or
 * nested like the webhook's `data` (`interview.completed_at`, `job.title`).
 */
import * as v from 'valibot';
import { createHttpClient, type HttpClient, type HttpClientOptions } from '../platform/http.js';
import { type UrlPolicyRelaxation, urlPolicyForBaseUrl } from '../platform/url-guard.js';
import { VendorApiResponseError, VendorResourceNotFoundError } from './errors.js';
import { optionalPart } from './payload-values.js';
import { parseVendorResponse, toVendorApiError } from './vendor-http.js';

const text = optionalPart(v.string());

/**
 * One answer. `score`/`feedback` are documented nullable and absent from test events, `audio_url` may be
 * absent (shared/vendors/round0.md, "Field notes"); a field of another type reads as absent, so one odd
 * value does not cost the whole interview; unknown fields are kept. The webhook's `responses[]` items have
 * the same shape, so enrichment reads both with this schema.
 */
export const round0ResponseSchema = v.looseObject({
  question_id: text,
  question_text: text,
  /** behavioral | technical | situational | experience | role_specific, not a closed set. */
  question_type: text,
  transcript: text,
  /** Temporary: expires 24 h after it was issued. */
  audio_url: text,
  /**
   * Not read as absent when of another type or outside 0–100: the answers' mean goes to the ATS's score
   * field, and a score quietly left out (or one on another scale, 850 or 0.85) would change it. The ingest
   * range-checks the webhook's scores the same way; the API's win over them, so they are checked too.
   */
  score: v.nullish(v.pipe(v.number(), v.minValue(0), v.maxValue(100))),
  feedback: text,
  duration_seconds: optionalPart(v.number()),
  answered_at: text,
});
export type Round0Response = v.InferOutput<typeof round0ResponseSchema>;

const interviewFields = {
  id: text,
  status: text,
  started_at: text,
  completed_at: text,
};

/**
 * The answers: `null` is no answer yet (the webhook's are used), and an item that is not an object (`null`)
 * carries none and is left out — as the webhook's reader does — rather than refusing the interview. An object
 * must be an answer (see the score above). Absent is refused: a body of another shape (`{ data: … }`) must
 * not pass for an interview without answers.
 */
const answers = v.pipe(
  v.nullable(v.array(v.unknown()), () => []),
  v.transform((items) =>
    items.filter((item) => typeof item === 'object' && item !== null && !Array.isArray(item)),
  ),
  v.array(round0ResponseSchema),
);

/** The interview as `GET /api/v1/interviews/{id}` returns it; only `responses` is required. */
export const round0InterviewSchema = v.looseObject({
  ...interviewFields,
  interview: optionalPart(v.looseObject(interviewFields)),
  job: optionalPart(v.looseObject({ id: text, title: text, department: text, location: text })),
  responses: answers,
});
export type Round0Interview = v.InferOutput<typeof round0InterviewSchema>;

export interface Round0ApiClientOptions {
  /** Base URL of the API, without `/api/v1` (the guide's example is the vendor's app host). */
  readonly baseUrl: string;
  /** API key sent as a bearer token. */
  readonly apiKey: string;
  /**
   * HTTP client to send through, e.g. one shared by the worker. It brings its own URL policy: the one
   * described at {@link urlPolicy} applies only to the client created when this is not given.
   * @default createHttpClient({ ...http, urlPolicy: base URL's host, https, public addresses })
   */
  readonly httpClient?: HttpClient;
  /**
   * Timeout/retry settings of the client created when {@link httpClient} is not given (its `urlPolicy` is
   * ignored: see {@link urlPolicy}).
   * @default {} (platform/http.ts defaults)
   */
  readonly http?: HttpClientOptions;
  /**
   * Relaxations of the created client's URL policy, which otherwise allows exactly the base URL's host (and
   * port), https only, public addresses only — so a redirect or a misconfigured base URL cannot send the
   * API key anywhere else. Only local runs relax it (`urlPolicyRelaxationFromEnv`), to reach the fakes.
   * @default {} — nothing relaxed
   */
  readonly urlPolicy?: UrlPolicyRelaxation;
}

/**
 * Reads interviews from ROUND0's API.
 *
 * @example
 * const round0 = new Round0ApiClient({ baseUrl: config.round0ApiBaseUrl, apiKey: secrets.round0ApiKey });
 * const interview = await round0.getInterview(event.interviewId);
 */
export class Round0ApiClient {
  readonly #baseUrl: string;
  readonly #apiKey: string;
  readonly #http: HttpClient;

  constructor(options: Round0ApiClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#apiKey = options.apiKey;
    this.#http =
      options.httpClient ??
      createHttpClient({
        ...options.http,
        urlPolicy: urlPolicyForBaseUrl(options.baseUrl, options.urlPolicy),
      });
  }

  /**
   * The interview with id `interviewId`, its `responses[]` carrying fresh `audio_url`s.
   *
   * @throws VendorResourceNotFoundError on 404 (e.g. the dashboard's test events, whose ids are fake)
   * @throws VendorApiAuthError on 401/403
   * @throws VendorApiRequestError on another 4xx
   * @throws VendorApiResponseError when the body is not the documented shape, or names another interview
   * @throws HttpTransientError on 429, 5xx, timeouts and network failures, a 2xx that is not JSON
   */
  async getInterview(interviewId: string): Promise<Round0Interview> {
    // `.` and `..` are path segments however encoded (URL parsing resolves `%2E%2E` too): the request would
    // go to another path with the key. No interview has such an id.
    if (interviewId === '.' || interviewId === '..')
      throw new VendorResourceNotFoundError('round0', 'interview');
    let body: unknown;
    try {
      const response = await this.#http.request({
        method: 'GET',
        url: `${this.#baseUrl}/api/v1/interviews/${encodeURIComponent(interviewId)}`,
        headers: { authorization: `Bearer ${this.#apiKey}`, accept: 'application/json' },
        // The id is the vendor's, not a person's, but keep labels uniform and id-free.
        operation: 'round0 GET /api/v1/interviews/{id}',
      });
      body = response.json();
    } catch (error) {
      throw toVendorApiError('round0', 'interview', error);
    }
    const interview = parseVendorResponse('round0', 'interview', round0InterviewSchema, body);
    // An answer for another interview (a cache or gateway keyed wrongly, a base URL of another environment)
    // would add its answers, scores and audio to this candidate's record. Its id is checked where it has one.
    const named = [interview.id, interview.interview?.id].filter((id) => typeof id === 'string');
    if (named.some((id) => id !== interviewId))
      throw new VendorApiResponseError('round0', 'interview response names another interview');
    return interview;
  }
}
