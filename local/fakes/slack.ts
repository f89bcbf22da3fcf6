/**
 * A local fake of Slack incoming webhooks (generic.md): `POST /services/<path>` with JSON `{ text, blocks }`
 * answers 200 `ok`; a body that is not JSON or has neither `text` nor `blocks` answers 400
 * `invalid_payload`; an unknown hook path answers 404 `no_service`. Messages are recorded; `failNext`
 * scripts answers (429 + Retry-After, 500…).
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

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

export interface FakeSlackOptions {
  /** Webhook path that exists. @default '/services/T000/B000/XXXX' */
  readonly hookPath?: string;
  /** @default 0 (random) */
  readonly port?: number;
}

export interface FakeSlack {
  readonly url: string;
  /** The full incoming-webhook URL to configure. */
  readonly webhookUrl: string;
  readonly port: number;
  readonly state: FakeSlackState;
  failNext(answer: ScriptedAnswer): void;
  close(): Promise<void>;
}

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

/** Starts the fake on a random port. */
export const startFakeSlack = async (options: FakeSlackOptions = {}): Promise<FakeSlack> => {
  const hookPath = options.hookPath ?? '/services/T000/B000/XXXX';
  const state: FakeSlackState = { requests: [], messages: [] };
  const answers: Array<ScriptedAnswer & { left: number }> = [];

  const server = createServer(async (req, res) => {
    const raw = await readBody(req);
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const record: ReceivedSlackMessage = { path, body };
    state.requests.push(record);
    const reply = (status: number, text: string, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'text/plain', ...headers });
      res.end(text);
    };
    if (req.method !== 'POST' || path !== hookPath) return reply(404, 'no_service');
    const answer = answers.find((a) => a.left > 0);
    if (answer) {
      answer.left -= 1;
      return reply(answer.status, answer.body ?? '', { ...answer.headers });
    }
    const message = body as { text?: unknown; blocks?: unknown } | undefined;
    const valid =
      typeof message === 'object' &&
      message !== null &&
      (typeof message.text === 'string' || Array.isArray(message.blocks));
    if (!valid) return reply(400, 'invalid_payload');
    state.messages.push(message as { text?: string; blocks?: unknown[] });
    return reply(200, 'ok');
  });

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    webhookUrl: `${url}${hookPath}`,
    port,
    state,
    failNext: (answer) => answers.push({ ...answer, left: answer.times ?? 1 }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
};
