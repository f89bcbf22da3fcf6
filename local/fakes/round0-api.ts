/**
 * A fake of ROUND0's REST API for tests and `npm start`: `GET /api/v1/interviews/{id}` behind
 * `Authorization: Bearer <key>` (source: shared/vendors/round0.md, "API (for enrichment)"), plus placeholder
 * audio files its `audio_url`s may point at. `npm start` points them at the media fake instead
 * (`local/fakes/media.ts`: real MP3s behind expiring signed URLs), re-signed on every read as ROUND0 issues a
 * fresh `audio_url` per read ({@link FakeRound0ApiOptions.issueAudioUrl}).
 *
 * Switches make it answer 429 (with `Retry-After`) or 5xx a given number of times, to exercise retries.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { CountdownFaultSwitches, ListenOptions, RunningFakeServer } from './fake-server.js';
import { countdownFaults, requestUrl, sendJson, startFakeServer } from './fake-server.js';

/** A request the fake received, recorded before it is answered (auth failures included). */
export interface FakeRound0Request {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

/** What a test or the local runtime can change while the fake runs. */
export interface FakeRound0ApiState extends CountdownFaultSwitches {
  /** Interview bodies by id, served verbatim. */
  readonly interviews: Map<string, unknown>;
}

export interface FakeRound0ApiOptions extends ListenOptions {
  /** The only API key the fake accepts. */
  readonly apiKey: string;
  /** Interviews to serve from the start, by id. */
  readonly interviews?: Readonly<Record<string, unknown>>;
  /**
   * Applied to each `responses[].audio_url` of an interview as it is served: ROUND0's URLs expire 24 h after
   * issue and a read of the interview hands out fresh ones (e.g. the media fake's `sign`).
   * @default undefined — bodies are served verbatim
   */
  readonly issueAudioUrl?: (audioUrl: string) => string;
}

export interface FakeRound0Api extends Pick<RunningFakeServer, 'faults' | 'log'> {
  /** Base URL to hand to the client, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  readonly url: string;
  readonly state: FakeRound0ApiState;
  /** Every request received, in order. */
  readonly requests: FakeRound0Request[];
  close(): Promise<void>;
}

const interviewPath = /^\/api\/v1\/interviews\/([^/]+)$/;
const audioPath = /^\/audio\/[^?]+\.mp3$/;

/** An ID3v2 header and one silent MPEG-1 Layer III frame header: enough to look like an MP3 to a sniffer. */
const fakeMp3 = Buffer.concat([
  Buffer.from('ID3\u0004\u0000\u0000\u0000\u0000\u0000\u0000', 'latin1'),
  Buffer.from([0xff, 0xfb, 0x90, 0x64]),
  Buffer.alloc(413),
]);

/** Starts the fake on a random port (by default). */
export async function startFakeRound0Api(options: FakeRound0ApiOptions): Promise<FakeRound0Api> {
  const interviews = new Map<string, unknown>(Object.entries(options.interviews ?? {}));
  const requests: FakeRound0Request[] = [];
  const faults = countdownFaults();
  const state: FakeRound0ApiState = { interviews, ...faults.switches };

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const path = requestUrl(request).pathname;
    requests.push({ method: request.method ?? 'GET', path, headers: request.headers });
    // Drain the body (none is expected) so keep-alive connections stay usable.
    request.resume();

    const fault = faults.next();
    if (fault?.kind === 'rateLimited') {
      sendJson(response, 429, { error: 'rate_limited' }, { 'retry-after': String(fault.retryAfterSeconds) });
      return;
    }
    if (fault?.kind === 'failing') {
      sendJson(response, fault.status, { error: 'internal_error' });
      return;
    }
    if (request.method === 'GET' && audioPath.test(path)) {
      // Pre-signed storage URLs carry no bearer token.
      response.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': String(fakeMp3.length) });
      response.end(fakeMp3);
      return;
    }
    if (request.headers.authorization !== `Bearer ${options.apiKey}`) {
      sendJson(response, 401, { error: 'unauthorized', message: 'Invalid or missing API key' });
      return;
    }
    const match = interviewPath.exec(path);
    if (request.method !== 'GET' || match === null) {
      sendJson(response, 404, { error: 'not_found', message: 'Route not found' });
      return;
    }
    const body = interviews.get(decodeURIComponent(match[1] ?? ''));
    if (body === undefined) {
      sendJson(response, 404, { error: 'not_found', message: 'Interview not found' });
      return;
    }
    sendJson(
      response,
      200,
      options.issueAudioUrl === undefined ? body : withFreshAudioUrls(body, options.issueAudioUrl),
    );
  };

  const server = await startFakeServer(handle, options);
  return { url: server.url, state, requests, faults: server.faults, log: server.log, close: server.close };
}

type JsonObject = Record<string, unknown>;

const asObject = (value: unknown): JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : {};

/** `body` with every answer's `audio_url` passed through `issue` (a stored body is never changed). */
const withFreshAudioUrls = (body: unknown, issue: (audioUrl: string) => string): unknown => {
  const interview = asObject(body);
  if (!Array.isArray(interview.responses)) return body;
  return {
    ...interview,
    responses: interview.responses.map((response) => {
      const answer = asObject(response);
      return typeof answer.audio_url === 'string'
        ? { ...answer, audio_url: issue(answer.audio_url) }
        : response;
    }),
  };
};

/** Where a seeded answer's audio is: a base URL (this fake's `/audio/…` files) or a URL per answer. */
export type Round0SeedOptions =
  | {
      /** Base URL of the host that serves placeholder audio files (this fake). */
      readonly audioBaseUrl: string;
    }
  | {
      /** The audio URL of one answer (e.g. on the media fake). */
      readonly audioUrl: (answer: {
        readonly interviewId: string;
        readonly questionId: string;
        /** 1-based position of the answer. */
        readonly index: number;
      }) => string;
    };

/**
 * The API's view of the interview an `interview_ended` webhook (e.g. `local/fixtures/round0/*.json`)
 * describes, made realistic: every answer gets a fresh `audio_url` on `audioBaseUrl`, a score and
 * feedback, and a one-answer interview (the dashboard's test event) gets a second answer, because the
 * webhook's list may be partial. Shape: the interview's fields at the top level with `job`, `candidate`
 * and `responses[]` (the vendor's guide reads `fullResults.responses`; the rest is inferred).
 */
export function round0InterviewFromWebhook(
  webhookEvent: unknown,
  options: Round0SeedOptions,
): { readonly id: string; readonly body: JsonObject } {
  const data = asObject(asObject(webhookEvent).data);
  const interview = asObject(data.interview);
  const id = typeof interview.id === 'string' ? interview.id : 'unknown-interview';
  const webhookResponses = Array.isArray(data.responses) ? data.responses.map(asObject) : [];
  const answers =
    webhookResponses.length >= 2
      ? webhookResponses
      : [
          ...webhookResponses,
          {
            question_id: `${id}-q${webhookResponses.length + 1}`,
            question_text: 'How do you keep a large codebase maintainable?',
            question_type: 'experience',
            transcript: 'Small modules, strict types and tests that describe behaviour.',
            duration_seconds: 95,
            answered_at: typeof interview.completed_at === 'string' ? interview.completed_at : undefined,
          },
        ];
  const responses = answers.map((answer, index) => ({
    score: 75,
    feedback: 'Clear, structured answer.',
    ...answer,
    audio_url:
      'audioUrl' in options
        ? options.audioUrl({
            interviewId: id,
            questionId: typeof answer.question_id === 'string' ? answer.question_id : `${id}-q${index + 1}`,
            index: index + 1,
          })
        : `${options.audioBaseUrl}/audio/${encodeURIComponent(id)}/${index + 1}.mp3`,
  }));
  return { id, body: { ...interview, job: data.job, candidate: data.candidate, responses } };
}
