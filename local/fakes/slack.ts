/**
 * A local fake of Slack incoming webhooks (generic.md): `POST /services/<path>` with JSON `{ text, blocks }`
 * answers 200 `ok`; a body that is not JSON, not sent as `application/json`, or whose `blocks` is not an
 * array answers 400 `invalid_payload`, one with neither `text` nor `blocks` 400 `no_text`, a section whose
 * text is not `mrkdwn`/`plain_text` (or over 3,000 characters) 400 `invalid_blocks`; an unknown hook path
 * answers 404 `no_service`; with `messagesPerSecond`, a message past that rate answers 429 `rate_limited`
 * with `Retry-After` (generic.md: about one message per second per webhook; Slack allows short bursts over
 * it: a token bucket of two). Messages are recorded; `failNext` scripts answers (429 + Retry-After, 500…).
 */
import type { ListenOptions, RunningFake } from './fake-server.js';
import { answer, readBody, requestUrl, scriptedAnswers, startFakeServer } from './fake-server.js';

export interface ReceivedSlackMessage {
  readonly path: string;
  readonly body: unknown;
  status?: number;
}

export interface FakeSlackState {
  /** Every POST, valid or not. */
  requests: ReceivedSlackMessage[];
  /** Messages Slack would have posted. */
  messages: Array<{ text?: string; blocks?: unknown[] }>;
}

export interface ScriptedAnswer {
  readonly status: number;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** @default 1 */
  readonly times?: number;
}

export interface FakeSlackOptions extends Pick<ListenOptions, 'port'> {
  /** Webhook path that exists. @default '/services/T000/B000/XXXX' */
  readonly hookPath?: string;
  /** Messages accepted per second on average, in bursts of up to two; more answer 429. @default unlimited */
  readonly messagesPerSecond?: number;
}

export interface FakeSlack extends RunningFake<FakeSlackState, ScriptedAnswer> {
  /** The full incoming-webhook URL to configure. */
  readonly webhookUrl: string;
}

const maxSectionTextLength = 3000;
const sectionTooLong = (block: unknown): boolean => {
  const section = block as { type?: unknown; text?: { text?: unknown } } | null;
  return (
    section?.type === 'section' &&
    typeof section.text?.text === 'string' &&
    section.text.text.length > maxSectionTextLength
  );
};

// Block Kit: a section's `text` is a text object of type `mrkdwn` or `plain_text` (or, without `text`, the
// section has `fields`); anything else makes Slack refuse the message with `invalid_blocks`.
const textTypes: readonly unknown[] = ['mrkdwn', 'plain_text'];
const badSection = (block: unknown): boolean => {
  const section = block as { type?: unknown; text?: { type?: unknown }; fields?: unknown } | null;
  if (section?.type !== 'section') return false;
  if (section.text === undefined) return !Array.isArray(section.fields);
  return !textTypes.includes(section.text?.type);
};

/** Starts the fake on a random port. */
export const startFakeSlack = async (options: FakeSlackOptions = {}): Promise<FakeSlack> => {
  const hookPath = options.hookPath ?? '/services/T000/B000/XXXX';
  const state: FakeSlackState = { requests: [], messages: [] };
  const answers = scriptedAnswers<ScriptedAnswer>();
  const burst = 2;
  let bucket = { tokens: burst, at: Date.now() };
  const overRate = (): boolean => {
    const rate = options.messagesPerSecond;
    if (rate === undefined) return false;
    const now = Date.now();
    bucket = { tokens: Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rate), at: now };
    if (bucket.tokens < 1) return true;
    bucket.tokens -= 1;
    return false;
  };

  const server = await startFakeServer(async (req, res) => {
    const raw = await readBody(req);
    const path = requestUrl(req).pathname;
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const record: ReceivedSlackMessage = { path, body };
    state.requests.push(record);
    // Slack answers plain text (`ok`, `invalid_payload`…), not JSON.
    const reply = (status: number, text: string, headers: Readonly<Record<string, string>> = {}) =>
      answer(res, record, status, text, { 'content-type': 'text/plain', ...headers });
    if (req.method !== 'POST' || path !== hookPath) return reply(404, 'no_service');
    const scripted = answers.take(record);
    if (scripted) return reply(scripted.status, scripted.body ?? '', scripted.headers);
    // The adapter posts JSON, which Slack reads only as `application/json` (a `charset` allowed); the form
    // `payload=` encoding Slack also takes is not one the adapter uses, so the fake refuses it too.
    if (!/^application\/json\s*(;|$)/i.test(String(req.headers['content-type'] ?? '')))
      return reply(400, 'invalid_payload');
    const message = body as { text?: unknown; blocks?: unknown } | undefined;
    if (typeof message !== 'object' || message === null) return reply(400, 'invalid_payload');
    // `blocks`, when sent, is an array of blocks.
    if (message.blocks !== undefined && !Array.isArray(message.blocks)) return reply(400, 'invalid_payload');
    const hasText = typeof message.text === 'string' && message.text.trim() !== '';
    if (!hasText && !Array.isArray(message.blocks)) return reply(400, 'no_text');
    if (overRate()) return reply(429, 'rate_limited', { 'retry-after': '1' });
    // Block Kit: a section's text holds at most 3,000 characters; Slack refuses the whole message.
    if (Array.isArray(message.blocks) && message.blocks.some((b) => sectionTooLong(b) || badSection(b)))
      return reply(400, 'invalid_blocks');
    state.messages.push(message as { text?: string; blocks?: unknown[] });
    return reply(200, 'ok');
  }, options);
  return { ...server, webhookUrl: `${server.url}${hookPath}`, state, failNext: answers.script };
};
