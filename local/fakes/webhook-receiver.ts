/**
 * A local Standard Webhooks receiver (what an in-house ATS or an n8n flow would run) for the generic
 * adapter: it verifies every delivery with the `standardwebhooks` package — the same library receivers
 * are told to use — records it, counts redeliveries of a `webhook-id` as duplicates, and answers 204.
 * A bad signature or a stale timestamp gets 401, a body not sent as `application/json` 415. `failNext`
 * scripts answers (410 Gone, 500, 429…).
 */
import { Webhook } from 'standardwebhooks';
import type { ListenOptions, RunningFake } from './fake-server.js';
import { answer, readBody, requestUrl, scriptedAnswers, startFakeServer } from './fake-server.js';

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
  /** Which verified deliveries get this answer (e.g. one effect's, by its payload). @default every one */
  readonly match?: (delivery: ReceivedDelivery) => boolean;
}

export interface FakeWebhookReceiverOptions extends Pick<ListenOptions, 'port'> {
  /** The `whsec_…` secret shared with the sender. */
  readonly secret: string;
}

export interface FakeWebhookReceiver extends RunningFake<FakeWebhookReceiverState, ScriptedAnswer> {
  /** Origin; deliveries may go to any path. */
  readonly url: string;
}

/** Starts the receiver on a random port. */
export const startFakeWebhookReceiver = async (
  options: FakeWebhookReceiverOptions,
): Promise<FakeWebhookReceiver> => {
  const verifier = new Webhook(options.secret);
  const state: FakeWebhookReceiverState = { deliveries: [], accepted: [] };
  const answers = scriptedAnswers<ScriptedAnswer, ReceivedDelivery>();

  const server = await startFakeServer(async (req, res) => {
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
      path: requestUrl(req).pathname,
      id,
      timestamp: headers['webhook-timestamp'],
      verified,
      ...(verified ? { payload } : {}),
      duplicate,
    };
    state.deliveries.push(delivery);
    // Receivers answer with a status only.
    if (!verified) return answer(res, delivery, 401, undefined);
    // The payload is JSON (generic.md: "POST the normalised result as JSON"): a receiver's JSON route answers
    // any other Content-Type (a `charset` allowed) with 415 Unsupported Media Type.
    if (!/^application\/json\s*(;|$)/i.test(header('content-type')))
      return answer(res, delivery, 415, undefined);
    const scripted = answers.take(delivery);
    if (scripted) return answer(res, delivery, scripted.status, undefined, scripted.headers);
    if (!duplicate) state.accepted.push(delivery);
    return answer(res, delivery, 204, undefined);
  }, options);
  return { ...server, state, failNext: answers.script };
};
