/**
 * A local Standard Webhooks receiver (what an in-house ATS or an n8n flow would run) for the generic
 * adapter: it verifies every delivery with the `standardwebhooks` package — the same library receivers
 * are told to use — records it, counts redeliveries of a `webhook-id` as duplicates, and answers 204.
 * A bad signature or a stale timestamp gets 401. `failNext` scripts answers (410 Gone, 500, 429…).
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedDelivery {
  readonly path: string;
  readonly id: string;
  readonly timestamp: string;
  readonly verified: boolean;
  /** The parsed JSON body, when verified. */
  readonly payload?: unknown;
  /** Whether a delivery with this `webhook-id` was accepted before. */
  readonly duplicate: boolean;
  status?: number;
}

export interface FakeWebhookReceiverState {
  deliveries: ReceivedDelivery[];
  /** Verified deliveries, first delivery of each `webhook-id` only (what a deduplicating receiver keeps). */
  accepted: ReceivedDelivery[];
}

export interface ScriptedAnswer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** @default 1 */
  readonly times?: number;
}

export interface FakeWebhookReceiverOptions {
  /** The `whsec_…` secret shared with the sender. */
  readonly secret: string;
  /** @default 0 (random) */
  readonly port?: number;
}

export interface FakeWebhookReceiver {
  /** Origin; deliveries may go to any path. */
  readonly url: string;
  readonly port: number;
  readonly state: FakeWebhookReceiverState;
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

/** Starts the receiver on a random port. */
export const startFakeWebhookReceiver = async (
  options: FakeWebhookReceiverOptions,
): Promise<FakeWebhookReceiver> => {
  const verifier = new Webhook(options.secret);
  const state: FakeWebhookReceiverState = { deliveries: [], accepted: [] };
  const answers: Array<ScriptedAnswer & { left: number }> = [];

  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const header = (name: string) => String(req.headers[name] ?? '');
    const headers = {
      'webhook-id': header('webhook-id'),
      'webhook-timestamp': header('webhook-timestamp'),
      'webhook-signature': header('webhook-signature'),
    };
    let payload: unknown;
    let verified = false;
    try {
      payload = verifier.verify(body, headers);
      verified = req.method === 'POST';
    } catch {
      verified = false;
    }
    const id = headers['webhook-id'];
    const duplicate = verified && state.accepted.some((d) => d.id === id);
    const delivery: ReceivedDelivery = {
      path: new URL(req.url ?? '/', 'http://fake').pathname,
      id,
      timestamp: headers['webhook-timestamp'],
      verified,
      ...(verified ? { payload } : {}),
      duplicate,
    };
    state.deliveries.push(delivery);
    const reply = (status: number, extra: Record<string, string> = {}) => {
      delivery.status = status;
      res.writeHead(status, extra);
      res.end();
    };
    if (!verified) return reply(401);
    const answer = answers.find((a) => a.left > 0);
    if (answer) {
      answer.left -= 1;
      return reply(answer.status, { ...answer.headers });
    }
    if (!duplicate) state.accepted.push(delivery);
    return reply(204);
  });

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
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
