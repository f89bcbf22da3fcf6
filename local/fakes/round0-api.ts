/**
 * A fake of ROUND0's REST API for tests and `npm start`: `GET /api/v1/interviews/{id}` behind
 * `Authorization: Bearer <key>` (source: shared/vendors/round0.md, "API (for enrichment)"), plus the audio
 * files its `audio_url`s point at, so the local pipeline can archive media without the internet.
 *
 * Switches make it answer 429 (with `Retry-After`) or 5xx a given number of times, to exercise retries.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the fake received, recorded before it is answered (auth failures included). */
export interface FakeRound0Request {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

/** What a test or the local runtime can change while the fake runs. */
export interface FakeRound0ApiState {
  /** Interview bodies by id, served verbatim. */
  readonly interviews: Map<string, unknown>;
  /** Answers the next `times` requests with 429 and `Retry-After: <retryAfterSeconds>`. */
  rateLimitNext(times: number, retryAfterSeconds?: number): void;
  /** Answers the next `times` requests with `status` (a 5xx by default). */
  failNext(times: number, status?: number): void;
}

export interface FakeRound0ApiOptions {
  /** The only API key the fake accepts. */
  readonly apiKey: string;
  /** Interviews to serve from the start, by id. */
  readonly interviews?: Readonly<Record<string, unknown>>;
  /** @default 0 (a random free port) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
}

export interface FakeRound0Api {
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

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

/** Starts the fake on a random port (by default). */
export async function startFakeRound0Api(options: FakeRound0ApiOptions): Promise<FakeRound0Api> {
  const interviews = new Map<string, unknown>(Object.entries(options.interviews ?? {}));
  const requests: FakeRound0Request[] = [];
  const switches = { rateLimited: 0, retryAfterSeconds: 1, failing: 0, failStatus: 500 };

  const state: FakeRound0ApiState = {
    interviews,
    rateLimitNext(times, retryAfterSeconds = 1) {
      switches.rateLimited = times;
      switches.retryAfterSeconds = retryAfterSeconds;
    },
    failNext(times, status = 500) {
      switches.failing = times;
      switches.failStatus = status;
    },
  };

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://fake').pathname;
    requests.push({ method: request.method ?? 'GET', path, headers: request.headers });
    // Drain the body (none is expected) so keep-alive connections stay usable.
    request.resume();

    if (switches.rateLimited > 0) {
      switches.rateLimited -= 1;
      sendJson(
        response,
        429,
        { error: 'rate_limited' },
        { 'retry-after': String(switches.retryAfterSeconds) },
      );
      return;
    }
    if (switches.failing > 0) {
      switches.failing -= 1;
      sendJson(response, switches.failStatus, { error: 'internal_error' });
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
    sendJson(response, 200, body);
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${address.port}`,
    state,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

type JsonObject = Record<string, unknown>;

const asObject = (value: unknown): JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : {};

export interface Round0SeedOptions {
  /** Base URL of the host that serves the audio files (the fake itself, for `npm start`). */
  readonly audioBaseUrl: string;
}

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
    audio_url: `${options.audioBaseUrl}/audio/${encodeURIComponent(id)}/${index + 1}.mp3`,
  }));
  return { id, body: { ...interview, job: data.job, candidate: data.candidate, responses } };
}
