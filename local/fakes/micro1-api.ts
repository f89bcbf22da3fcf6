/**
 * A fake of micro1's public API for tests and `npm start`: `GET /interview/reports` (filters
 * `interview_id`, `candidate_id`, `keyword`; pages `page`/`limit`) behind the `x-api-key` header, answering
 * errors as `{ "status": false, "message": … }` (source: the vendor's OpenAPI for
 * https://public.api.micro1.ai, harvested in github.com/api-evangelist/micro1,
 * `openapi/_original/micro1-ai-recruiter-openapi-original.json`).
 *
 * Switches make it answer 429 (with `Retry-After`) or 5xx a given number of times, to exercise retries.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { CountdownFaultSwitches, ListenOptions, RunningFakeServer } from './fake-server.js';
import { countdownFaults, requestUrl, sendJson, startFakeServer } from './fake-server.js';

/** A request the fake received, recorded before it is answered (auth failures included). */
export interface FakeMicro1Request {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: IncomingHttpHeaders;
}

/** What a test or the local runtime can change while the fake runs. */
export interface FakeMicro1ApiState extends CountdownFaultSwitches {
  /** Report bodies (items of `GET /interview/reports`), in the order the API lists them. */
  readonly reports: Record<string, unknown>[];
}

export interface FakeMicro1ApiOptions extends ListenOptions {
  /** The only API key the fake accepts. */
  readonly apiKey: string;
  /** Reports to serve from the start. */
  readonly reports?: readonly Record<string, unknown>[];
  /**
   * Keys that authenticate but lack the reports permission: answered 403 (micro1.md: 401 for a missing or
   * invalid key, 403 for insufficient permission). @default none
   */
  readonly keysWithoutReports?: readonly string[];
}

export interface FakeMicro1Api extends Pick<RunningFakeServer, 'faults' | 'log'> {
  /** Base URL to hand to the client, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  readonly url: string;
  readonly state: FakeMicro1ApiState;
  /** Every request received, in order. */
  readonly requests: FakeMicro1Request[];
  close(): Promise<void>;
}

/** Page size when the caller sends no `limit` (not documented by micro1; inferred). */
const defaultLimit = 10;

/** `raw` as a positive integer, or undefined when it is not one. */
const positiveInt = (raw: string): number | undefined => {
  const value = Number(raw);
  return /^\d+$/.test(raw) && Number.isSafeInteger(value) && value > 0 ? value : undefined;
};

const matchesKeyword = (report: Record<string, unknown>, keyword: string): boolean =>
  ['candidate_name', 'candidate_email_id', 'interview_name'].some((field) => {
    const value = report[field];
    return typeof value === 'string' && value.toLowerCase().includes(keyword.toLowerCase());
  });

/** Starts the fake on a random port (by default). */
export async function startFakeMicro1Api(options: FakeMicro1ApiOptions): Promise<FakeMicro1Api> {
  const reports = [...(options.reports ?? [])];
  const requests: FakeMicro1Request[] = [];
  const faults = countdownFaults();
  const state: FakeMicro1ApiState = { reports, ...faults.switches };

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const url = requestUrl(request);
    const query = Object.fromEntries(url.searchParams);
    requests.push({ method: request.method ?? 'GET', path: url.pathname, query, headers: request.headers });
    request.resume();

    const fault = faults.next();
    if (fault?.kind === 'rateLimited') {
      sendJson(
        response,
        429,
        { status: false, message: 'Too many requests' },
        { 'retry-after': String(fault.retryAfterSeconds) },
      );
      return;
    }
    if (fault?.kind === 'failing') {
      // The OpenAPI's InternalServerErrorResponse carries only `status`.
      sendJson(response, fault.status, { status: false });
      return;
    }
    const key = request.headers['x-api-key'];
    if (typeof key === 'string' && options.keysWithoutReports?.includes(key)) {
      sendJson(response, 403, { status: false, message: 'Forbidden' });
      return;
    }
    if (key !== options.apiKey) {
      sendJson(response, 401, { status: false, message: 'Unauthorized' });
      return;
    }
    if (request.method !== 'GET' || url.pathname !== '/interview/reports') {
      sendJson(response, 404, { status: false, message: 'Not found' });
      return;
    }
    // A page or limit that is not a positive integer is refused, as an API validating its integer
    // parameters would: read as 1 (or the default), a client sending page=0 would pass here and not there.
    const page = query.page === undefined ? 1 : positiveInt(query.page);
    const limit = query.limit === undefined ? defaultLimit : positiveInt(query.limit);
    if (page === undefined || limit === undefined) {
      sendJson(response, 400, { status: false, message: 'Invalid request' });
      return;
    }
    const matching = reports.filter(
      (report) =>
        (query.interview_id === undefined || report.interview_id === query.interview_id) &&
        (query.candidate_id === undefined || report.candidate_id === query.candidate_id) &&
        (query.keyword === undefined || matchesKeyword(report, query.keyword)),
    );
    sendJson(response, 200, {
      status: true,
      message: 'Reports fetched successfully',
      data: matching.slice((page - 1) * limit, page * limit),
    });
  };

  const server = await startFakeServer(handle, options);
  return { url: server.url, state, requests, faults: server.faults, log: server.log, close: server.close };
}

type JsonObject = Record<string, unknown>;

const asObject = (value: unknown): JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : {};

/**
 * The API's view of the report an `interview_report.created` webhook (e.g.
 * `local/fixtures/micro1/interview_report.created.json`) describes, made realistic: the player URL the
 * list endpoint documents, and a transcript with the candidate's answer as well as the question.
 */
export function micro1ReportFromWebhook(webhookEvent: unknown): JsonObject {
  const data = asObject(asObject(webhookEvent).data);
  const reportId = typeof data.report_id === 'string' ? data.report_id : 'unknown-report';
  const transcript = Array.isArray(data.interview_transcript) ? data.interview_transcript : [];
  return {
    ...data,
    interview_recording_player_url: `https://zara.micro1.ai/ai-interview-videos/${encodeURIComponent(reportId)}`,
    interview_transcript: [
      ...transcript,
      {
        timestamp: 130,
        role: 'user',
        content: 'I build web applications and enjoy making them fast and accessible.',
      },
    ],
  };
}
