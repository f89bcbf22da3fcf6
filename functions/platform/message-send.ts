/**
 * Sending one message to SQS: the seam the event queue sends through, with two implementations.
 *
 * - {@link createSignedSendMessage}: one SigV4-signed `SendMessage` (SQS's JSON protocol) over a keep-alive
 *   agent, for the ingest, whose only AWS call on the hot path it is. The SDK's SQS client spent 0.38 ms of
 *   CPU per send in a side-by-side run on the emulator where this spends 0.12 ms (its middleware stack,
 *   endpoint rules and schema serde on every call), a third of the ingest's CPU per request; and leaving the
 *   client out of the bundle shortens the ingest's cold start (`npm run bench`). It signs with the SDK's own
 *   signer (`@smithy/signature-v4`), with the credentials Lambda gives the function in its environment (the
 *   SDK's `fromEnv` provider), and keeps the SDK's behaviour that matters: 3 attempts with jitter for a
 *   throttled, failed or unanswered send, and the body's MD5 checked against SQS's answer (not the
 *   attributes': they only label messages for operators, and the worker never reads them).
 * - `sdkSendMessage` (platform/clients.ts): the SDK client, for the worker, the archive and the tools, which
 *   load it anyway.
 */
import { createHash } from 'node:crypto';
import { Hash } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Credentials } from './object-put.js';
import { exchange, keepAliveAgents, retrying } from './signed-request.js';

export interface MessageToSend {
  readonly queueUrl: string;
  readonly body: string;
  /** String attributes (name → value). */
  readonly attributes: Readonly<Record<string, string>>;
  /** Epoch ms by which the send must have ended, its retries included. @default none: its attempts' limits */
  readonly deadline?: number;
}

/** SQS's form of string attributes (name → value), as SendMessage takes them in either protocol. */
export const stringAttributes = (
  attributes: Readonly<Record<string, string>>,
): Record<string, { DataType: 'String'; StringValue: string }> =>
  Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
  );

/** Sends one message; resolves with SQS's message id once SQS accepted it. */
export type SendMessage = (message: MessageToSend) => Promise<{ readonly messageId: string }>;

/** SQS refused the send (its error code, e.g. `QueueDoesNotExist`), could not be reached, or answered wrong. */
export class MessageSendError extends Error {
  readonly code: string;
  readonly status: number | undefined;

  constructor(code: string, status: number | undefined, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MessageSendError';
    this.code = code;
    this.status = status;
  }

  /** Worth another attempt (as the SDK's standard retry mode): no answer, a 5xx, or a throttling error. */
  get transient(): boolean {
    return (
      this.status === undefined || this.status >= 500 || this.status === 429 || /throttl/i.test(this.code)
    );
  }
}

export interface SignedSendMessageOptions {
  /** The credentials to sign with (the ingest: `fromEnv()`, what Lambda puts in the environment). */
  readonly credentials: () => Promise<Credentials>;
  /** The region to sign for. */
  readonly region: string;
  /**
   * A custom endpoint (`AWS_ENDPOINT_URL_SQS`, the local emulator). @default the queue URL's origin (what the
   * SDK's SQS client uses too)
   */
  readonly endpoint?: string;
  /** Attempts for a transient failure, as the SDK's standard retry mode. @default 3 */
  readonly maxAttempts?: number;
  /** Time for one attempt, connection included. @default 2000 */
  readonly timeoutMs?: number;
}

const md5Hex = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

/** The error code of a JSON-protocol error answer: `com.amazonaws.sqs#QueueDoesNotExist` → `QueueDoesNotExist`. */
const errorCode = (body: string, status: number): { code: string; message: string } => {
  try {
    const parsed = JSON.parse(body) as { __type?: unknown; message?: unknown; Message?: unknown };
    const type = typeof parsed.__type === 'string' ? parsed.__type : '';
    const message = parsed.message ?? parsed.Message;
    return {
      code: type.split('#').pop() || `HTTP${status}`,
      message: typeof message === 'string' ? message : `SQS answered ${status}`,
    };
  } catch {
    return { code: `HTTP${status}`, message: `SQS answered ${status}` };
  }
};

/** Sends messages with signed `SendMessage` requests (AWS Signature Version 4, JSON protocol). */
export const createSignedSendMessage = (options: SignedSendMessageOptions): SendMessage => {
  const agents = keepAliveAgents();
  const maxAttempts = options.maxAttempts ?? 3;
  const timeoutMs = options.timeoutMs ?? 2000;
  const signer = new SignatureV4({
    service: 'sqs',
    region: options.region,
    credentials: options.credentials,
    sha256: Hash.bind(null, 'sha256'),
  });

  const attempt = async (message: MessageToSend, attemptMs: number): Promise<{ messageId: string }> => {
    const origin = new URL(options.endpoint ?? new URL(message.queueUrl).origin);
    const body = JSON.stringify({
      QueueUrl: message.queueUrl,
      MessageBody: message.body,
      MessageAttributes: stringAttributes(message.attributes),
    });
    const signed = await signer.sign({
      method: 'POST',
      protocol: origin.protocol,
      hostname: origin.hostname,
      path: '/',
      query: {},
      headers: {
        host: origin.host,
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'AmazonSQS.SendMessage',
      },
      body,
    });
    const answer = await exchange(agents, {
      origin,
      path: '/',
      method: 'POST',
      headers: signed.headers,
      body,
      timeoutMs: attemptMs,
    }).catch((error: unknown) => {
      const text = error instanceof Error ? error.message : String(error);
      throw new MessageSendError('NetworkError', undefined, text, { cause: error });
    });
    if (answer.status !== 200) {
      const { code, message: text } = errorCode(answer.body, answer.status);
      throw new MessageSendError(code, answer.status, text);
    }
    let sent: { MessageId?: unknown; MD5OfMessageBody?: unknown } = {};
    try {
      const parsed: unknown = JSON.parse(answer.body);
      // Anything but an object (`null`, a string) holds no message id or checksum: checked below.
      if (typeof parsed === 'object' && parsed !== null) sent = parsed as typeof sent;
    } catch {
      // Checked below: no message id, no checksum.
    }
    // As the SDK's SQS client: a body SQS did not receive intact is not a sent message.
    if (sent.MD5OfMessageBody !== md5Hex(message.body) || typeof sent.MessageId !== 'string') {
      throw new MessageSendError(
        'InvalidChecksum',
        answer.status,
        'SQS did not confirm the body it was sent',
      );
    }
    return { messageId: sent.MessageId };
  };

  return (message) =>
    retrying(
      (attemptMs) => attempt(message, attemptMs),
      (error) => error instanceof MessageSendError && error.transient,
      { maxAttempts, timeoutMs, deadline: message.deadline },
    );
};
