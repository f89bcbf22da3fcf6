/**
 * Client of micro1's public API, used to read an interview report back.
 *
 * Source: the vendor's OpenAPI "micro1 Public API" 1.0.0 (server https://public.api.micro1.ai, security
 * scheme `apiKey` = header `x-api-key`), harvested in github.com/api-evangelist/micro1 as
 * `openapi/_original/micro1-ai-recruiter-openapi-original.json` and `openapi/micro1-interview-reports-api-openapi.yml`:
 * - There is no "get one report" endpoint. `GET /interview/reports` ("Get all completed reports", tag
 *   Interview Reports) lists reports with query filters `interview_id`, `candidate_id`, `keyword` and pages
 *   `page`/`limit`, answering `{ status: boolean, message, data: Report[] }`. Its description says reports
 *   can be filtered by report id too, but no such parameter is documented, so the client filters by
 *   interview and candidate and picks the report id out of the page itself.
 * - A `Report` has the fields of the `interview_report.created` webhook's `data` (transcript, technical and
 *   soft skills, coding/custom-exercise/custom-question evaluations, proctoring score and violations,
 *   `report_url`, `interview_recording_url`) plus `interview_recording_player_url`.
 * - `GET /interview/recording?report_id=` answers `{ status, video_url }` (screen recording only; 404
 *   "Report not found"); not used here because the report and the recording webhooks carry that URL.
 * - Errors are `{ status: false, message }` (400; 500 carries only `status`); 401/403 for a missing,
 *   invalid or under-privileged key (shared/vendors/micro1.md).
 */
import * as v from 'valibot';
import {
  createHttpClient,
  type HttpClient,
  type HttpClientOptions,
  HttpTransientError,
} from '../platform/http.js';
import { type UrlPolicyRelaxation, urlPolicyForBaseUrl } from '../platform/url-guard.js';
import { VendorApiResponseError, VendorResourceNotFoundError } from './errors.js';
import { optionalPart, readableItems } from './payload-values.js';
import { parseVendorResponse, toVendorApiError } from './vendor-http.js';

const text = optionalPart(v.string());
const number = optionalPart(v.number());
/**
 * A score: 0–100, or absent. The ingest refuses a webhook's score outside it; one from the API fills a part
 * the webhook lacked and goes to the ATS's score field, so one on another scale (850) is
 * read as absent rather than written.
 */
const percent = optionalPart(v.pipe(v.number(), v.minValue(0), v.maxValue(100)));
const id = optionalPart(v.union([v.string(), v.number()]));

/** `{ feedback, rating }`, the shape of every AI evaluation in a report. */
const evaluationSchema = v.looseObject({ feedback: text, rating: text });

/**
 * One report. Lenient on purpose: every field may be null, absent or of another type (read as absent), list
 * items that are not objects are left out, and unknown fields are kept, because the vendor's samples break
 * its own docs (ratings `Great Answer` vs enum `Great answer`) and nothing downstream depends on a field
 * being present. The `interview_report.created` webhook's `data` has the same shape, so enrichment reads
 * both with this schema.
 */
export const micro1ReportSchema = v.looseObject({
  /** A short id such as `h0gqkAcaDJ`, not a UUID. */
  report_id: text,
  session_id: text,
  interview_id: text,
  interview_name: text,
  candidate_id: text,
  job_applicant_id: text,
  ats_job_application_id: id,
  ats_job_id: id,
  candidate_name: text,
  candidate_email_id: text,
  /** `YYYY-MM-DD`, "Date of the interview". */
  report_date: text,
  /** The PDF. */
  report_url: text,
  /** An HLS playlist (`.m3u8`). */
  interview_recording_url: text,
  /** micro1's web player page (not media). */
  interview_recording_player_url: text,
  proctoring_score: percent,
  ai_match_score: percent,
  proctoring_violations: readableItems(
    v.looseObject({
      /** tab_switch | eye_movement | ai_classifier */
      type: text,
      /** "Value of the violation (number / percentage)", sent as a string. */
      value: optionalPart(v.union([v.string(), v.number()])),
      description: text,
    }),
  ),
  interview_transcript: readableItems(
    v.looseObject({
      /** Seconds into the interview. */
      timestamp: number,
      /** interviewer | user */
      role: text,
      content: text,
    }),
  ),
  technical_skills_evaluation: readableItems(
    v.looseObject({ skill: text, ai_evaluation: optionalPart(evaluationSchema), timestamp: number }),
  ),
  soft_skills_evaluation: readableItems(
    v.looseObject({
      skill: text,
      ai_evaluation: optionalPart(
        v.looseObject({
          feedback: text,
          /** CEFR level (A1–C2) for English interviews, Not Experienced…Excellent otherwise. */
          rating: text,
          sub_score: optionalPart(v.record(v.string(), v.unknown())),
        }),
      ),
    }),
  ),
  coding_skills_evaluation: optionalPart(evaluationSchema),
  custom_exercise_evaluation: optionalPart(evaluationSchema),
  custom_question_evaluation: readableItems(
    v.looseObject({ question_text: text, answer_text: text, ai_evaluation: optionalPart(evaluationSchema) }),
  ),
  /** `YYYY-MM-DD HH:mm:ss`, no zone. */
  date_created: text,
  date_modified: text,
  status: text,
});
export type Micro1Report = v.InferOutput<typeof micro1ReportSchema>;

/**
 * `GetInterviewReportsResponse`. `status` is a boolean in this schema, but a string in a sibling one. `data`
 * must be there unless `status` is false (see `listReports`).
 */
const reportListSchema = v.looseObject({
  status: v.optional(v.unknown()),
  message: text,
  data: v.nullish(v.array(micro1ReportSchema)),
});

/** Filters of `GET /interview/reports`. */
export interface Micro1ReportFilter {
  readonly interviewId?: string;
  readonly candidateId?: string;
  readonly keyword?: string;
  /** 1-based (confirm: the reference says only "Page number"; the client's first request asks for page 1). */
  readonly page?: number;
  readonly limit?: number;
}

/** How to find one report: its id, and the interview or candidate it belongs to (the documented filters). */
export type Micro1ReportLookup = { readonly reportId: string } & (
  | { readonly interviewId: string; readonly candidateId?: string }
  | { readonly interviewId?: string; readonly candidateId: string }
);

export interface Micro1ApiClientOptions {
  /** Base URL of the API, e.g. `https://public.api.micro1.ai`. */
  readonly baseUrl: string;
  /** Sent in the `x-api-key` header. */
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
  /**
   * Page size asked for when looking a report up (`limit`; the API's own default is undocumented).
   * @default 20
   */
  readonly pageSize?: number;
  /**
   * Pages read at most when looking a report up, so a filter that matches a whole account stays bounded.
   * @default 5
   */
  readonly maxPages?: number;
  /**
   * Time for a whole {@link Micro1ApiClient.getReport}, every page and retry included: the worker's
   * invocation has 60 s in all, and a report read that outlives it ends the batch in a timeout.
   * @default `http.deadlineMs`, else 20000
   */
  readonly lookupDeadlineMs?: number;
}

/**
 * Reads interview reports from micro1's public API.
 *
 * @example
 * const micro1 = new Micro1ApiClient({ baseUrl: 'https://public.api.micro1.ai', apiKey: secrets.micro1ApiKey });
 * const report = await micro1.getReport({ reportId: 'h0gqkAcaDJ', interviewId, candidateId });
 */
export class Micro1ApiClient {
  readonly #baseUrl: string;
  readonly #apiKey: string;
  readonly #http: HttpClient;
  readonly #pageSize: number;
  readonly #maxPages: number;
  readonly #lookupDeadlineMs: number;

  constructor(options: Micro1ApiClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#apiKey = options.apiKey;
    this.#http =
      options.httpClient ??
      createHttpClient({
        ...options.http,
        urlPolicy: urlPolicyForBaseUrl(options.baseUrl, options.urlPolicy),
      });
    this.#pageSize = options.pageSize ?? 20;
    this.#maxPages = options.maxPages ?? 5;
    // A page's request is given what is left of the lookup as its deadline, which overrides the client's: so
    // the client's own deadline (the worker's 15 s) bounds the whole lookup unless the caller sets one.
    this.#lookupDeadlineMs = options.lookupDeadlineMs ?? options.http?.deadlineMs ?? 20_000;
  }

  /**
   * One page of `GET /interview/reports`.
   *
   * @throws VendorApiAuthError on 401/403
   * @throws VendorApiRequestError on another 4xx (400 "Invalid request")
   * @throws VendorApiResponseError when the body is not the documented shape or says `status: false`
   * @throws HttpTransientError on 429, 5xx, timeouts and network failures, after bounded retries
   */
  async listReports(filter: Micro1ReportFilter = {}, deadlineMs?: number): Promise<Micro1Report[]> {
    const query = new URLSearchParams();
    if (filter.interviewId !== undefined) query.set('interview_id', filter.interviewId);
    if (filter.candidateId !== undefined) query.set('candidate_id', filter.candidateId);
    if (filter.keyword !== undefined) query.set('keyword', filter.keyword);
    if (filter.page !== undefined) query.set('page', String(filter.page));
    if (filter.limit !== undefined) query.set('limit', String(filter.limit));
    const search = query.size > 0 ? `?${query}` : '';

    let body: unknown;
    try {
      const response = await this.#http.request({
        method: 'GET',
        url: `${this.#baseUrl}/interview/reports${search}`,
        headers: { 'x-api-key': this.#apiKey, accept: 'application/json' },
        operation: 'micro1 GET /interview/reports',
        ...(deadlineMs === undefined ? {} : { deadlineMs }),
      });
      body = response.json();
    } catch (error) {
      throw toVendorApiError('micro1', 'report', error);
    }
    const parsed = parseVendorResponse('micro1', 'report list', reportListSchema, body);
    // A boolean here, a string in a sibling schema: "false" says the same.
    if (parsed.status === false || (typeof parsed.status === 'string' && parsed.status.trim() === 'false')) {
      throw new VendorApiResponseError(
        'micro1',
        // Not its `message`: this text becomes a logged, parked and dead-lettered reason (no payload data).
        'report list answered status false',
      );
    }
    // Null reads as an empty page. Missing (`{}`, the list under another key), it is an answer of another
    // shape, refused as such: read as an empty page, it said "no such report", which points at a key of
    // another account.
    if (parsed.data === undefined) {
      throw new VendorApiResponseError('micro1', 'report list answered without data');
    }
    return parsed.data ?? [];
  }

  /**
   * The report `lookup.reportId`, found among the reports of its interview and/or candidate, reading at most
   * `maxPages` pages and stopping at the first empty one.
   *
   * @throws VendorResourceNotFoundError when the pages end (an empty one) without the report
   * @throws VendorApiResponseError when `maxPages` full pages were read without it: more reports match than
   *   are read, which says nothing of whether the API knows this one (not "not found", which points at a
   *   key or base URL of another account)
   * @throws the errors of {@link listReports}
   */
  async getReport(lookup: Micro1ReportLookup): Promise<Micro1Report> {
    const until = Date.now() + this.#lookupDeadlineMs;
    for (let page = 1; ; page += 1) {
      if (page > this.#maxPages) {
        throw new VendorApiResponseError(
          'micro1',
          `report not among the first ${this.#maxPages} pages of its lookup`,
        );
      }
      // One deadline for all pages: what an earlier page took is not there for the next.
      const left = until - Date.now();
      if (left <= 0) {
        throw new HttpTransientError(
          `micro1 report lookup: deadline of ${this.#lookupDeadlineMs} ms exceeded`,
          {
            operation: 'micro1 GET /interview/reports',
          },
        );
      }
      const reports = await this.listReports(
        { interviewId: lookup.interviewId, candidateId: lookup.candidateId, page, limit: this.#pageSize },
        left,
      );
      const found = reports.find((report) => report.report_id === lookup.reportId);
      if (found !== undefined) return found;
      // Stop on an empty page rather than a short one: the API may cap `limit` below what was asked.
      if (reports.length === 0) throw new VendorResourceNotFoundError('micro1', 'report');
    }
  }
}
