/**
 * The ingest's signed SendMessage (functions/platform/message-send.ts): against local-aws-sqs (what a worker
 * receives), and against a local SQS fake that checks each request's Signature Version 4 with its own
 * implementation of the algorithm (AWS General Reference, "Create a signed AWS API request"; local-aws-sqs
 * checks none) and answers the failures SQS answers: a refusal is not retried, a throttle or a 5xx is, an
 * unanswered attempt ends at its time, and an answer that does not confirm the body is not a sent message.
 */
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  createSignedSendMessage,
  MessageSendError,
  type SignedSendMessageOptions,
} from '../../../functions/platform/message-send.js';
import { startEmulators } from '../../../local/emulators.js';

const region = 'us-east-1';
const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'secret-example',
  sessionToken: 'token-1',
};

const emulators = await startEmulators();

/** The error `promise` rejects with (fails the test when it resolves). */
const failureOf = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
};

const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
const sha256 = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');

/**
 * Checks a request's `Authorization` header as SQS would: the canonical request rebuilt from what arrived
 * (method, path, the signed headers' values, the body's hash), signed with the secret key. Returns why it
 * fails, or undefined.
 */
const signatureProblem = (request: IncomingMessage, body: string): string | undefined => {
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      String(request.headers.authorization),
    );
  if (match === null) return 'no SigV4 authorization header';
  const [, keyId, day, signedRegion, service, signedHeaders = '', signature] = match;
  if (keyId !== credentials.accessKeyId) return 'wrong access key';
  if (signedRegion !== region || service !== 'sqs') return 'wrong scope';
  if (request.headers['x-amz-security-token'] !== credentials.sessionToken) return 'no session token';
  const names = signedHeaders.split(';');
  for (const required of ['host', 'x-amz-date', 'x-amz-target', 'content-type', 'x-amz-security-token']) {
    if (!names.includes(required)) return `${required} not signed`;
  }
  const amzDate = String(request.headers['x-amz-date']);
  if (
    Math.abs(
      Date.parse(amzDate.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z')) -
        Date.now(),
    ) > 300_000
  ) {
    return 'signed too long ago';
  }
  const canonicalHeaders = names.map((name) => `${name}:${String(request.headers[name]).trim()}\n`).join('');
  const canonicalRequest = [
    request.method,
    request.url,
    '',
    canonicalHeaders,
    signedHeaders,
    sha256(body),
  ].join('\n');
  const scope = `${day}/${region}/sqs/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(
    hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day ?? ''), region), 'sqs'),
    'aws4_request',
  );
  return hmac(key, stringToSign).toString('hex') === signature ? undefined : 'signature does not match';
};

type Answer = (input: { MessageBody: string }) => { status: number; body: unknown } | 'hang';
let answers: Answer[] = [];
let received: { problem: string | undefined; target: unknown; input: Record<string, unknown> }[] = [];
const sockets: Socket[] = [];

/** The SQS fake: checks the signature, then answers with the next of `answers` (the last one repeats). */
const fake = createServer((request: IncomingMessage, response: ServerResponse) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const input = JSON.parse(body) as { MessageBody: string };
    const problem = signatureProblem(request, body);
    received.push({ problem, target: request.headers['x-amz-target'], input });
    if (problem !== undefined) {
      response
        .writeHead(403)
        .end(JSON.stringify({ __type: 'com.amazonaws.sqs#InvalidSignature', message: problem }));
      return;
    }
    const answer = (answers[received.length - 1] ?? answers.at(-1))?.(input) ?? 'hang';
    if (answer === 'hang') return;
    response
      .writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0' })
      .end(JSON.stringify(answer.body));
  });
});
fake.on('connection', (socket: Socket) => sockets.push(socket));
await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
const fakeEndpoint = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
const fakeQueueUrl = `${fakeEndpoint}/123456789012/events`;

const sent: Answer = (input) => ({
  status: 200,
  body: { MessageId: 'm-1', MD5OfMessageBody: createHash('md5').update(input.MessageBody).digest('hex') },
});
const refused =
  (type: string, status = 400): Answer =>
  () => ({
    status,
    body: { __type: `com.amazonaws.sqs#${type}`, message: `${type} (fake)` },
  });

const sendWith = (options: Partial<SignedSendMessageOptions> = {}) =>
  createSignedSendMessage({
    credentials: async () => credentials,
    region,
    endpoint: fakeEndpoint,
    ...options,
  });
const message = { queueUrl: fakeQueueUrl, body: '{"kind":"event"}', attributes: { vendor: 'micro1' } };

beforeEach(() => {
  answers = [];
  received = [];
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => fake.close(() => resolve()));
  await emulators.close();
});

describe('signed SendMessage', () => {
  it('puts the body and attributes on local-aws-sqs, as a worker receives them', async () => {
    // Prepare
    const send = createSignedSendMessage({
      credentials: async () => credentials,
      region,
      endpoint: emulators.endpoints.sqs,
    });
    const body = JSON.stringify({ kind: 'event', text: 'naïve — ✓ \u{1F600}' });

    // Act
    const { messageId } = await send({
      queueUrl: emulators.queueUrls.events,
      body,
      attributes: { vendor: 'round0', dedupeKey: 'round0:interview_ended:i-1' },
    });

    // Assess
    const { Messages = [] } = await emulators.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: emulators.queueUrls.events,
        MessageAttributeNames: ['All'],
        WaitTimeSeconds: 1,
      }),
    );
    expect(Messages).toHaveLength(1);
    expect(Messages[0]?.MessageId).toBe(messageId);
    expect(Messages[0]?.Body).toBe(body);
    expect(Messages[0]?.MessageAttributes).toEqual({
      vendor: { DataType: 'String', StringValue: 'round0' },
      dedupeKey: { DataType: 'String', StringValue: 'round0:interview_ended:i-1' },
    });
  });

  it('signs each request as SigV4 requires (checked by an independent implementation), session token included', async () => {
    // Prepare
    answers = [sent];

    // Act
    const result = await sendWith()(message);

    // Assess
    expect(result).toEqual({ messageId: 'm-1' });
    expect(received).toEqual([
      {
        problem: undefined,
        target: 'AmazonSQS.SendMessage',
        input: {
          QueueUrl: fakeQueueUrl,
          MessageBody: message.body,
          MessageAttributes: { vendor: { DataType: 'String', StringValue: 'micro1' } },
        },
      },
    ]);
  });

  it('sends to the queue URL’s own host when no endpoint is configured (as the SDK client does)', async () => {
    // Prepare
    answers = [sent];

    // Act
    await createSignedSendMessage({ credentials: async () => credentials, region })(message);

    // Assess
    expect(received).toHaveLength(1);
  });

  it('is refused once, with SQS’s error code, when the queue does not exist (not retried)', async () => {
    // Prepare
    answers = [refused('QueueDoesNotExist')];

    // Act
    const error = await failureOf(sendWith()(message));

    // Assess
    expect(error).toBeInstanceOf(MessageSendError);
    expect(error).toMatchObject({ code: 'QueueDoesNotExist', status: 400, transient: false });
    expect(received).toHaveLength(1);
  });

  it('retries a throttled and a failed send, and succeeds on the third attempt', async () => {
    // Prepare
    answers = [refused('RequestThrottled'), refused('InternalError', 500), sent];

    // Act
    const result = await sendWith()(message);

    // Assess
    expect(result).toEqual({ messageId: 'm-1' });
    expect(received).toHaveLength(3);
  });

  it('gives a throttled send up after its 3 attempts, as a transient failure', async () => {
    // Prepare
    answers = [refused('ThrottlingException')];

    // Act
    const error = await failureOf(sendWith()(message));

    // Assess
    expect(error).toMatchObject({ code: 'ThrottlingException', transient: true });
    expect(received).toHaveLength(3);
  });

  it('does not count a send whose answer does not confirm the body (MD5) as sent', async () => {
    // Prepare
    answers = [() => ({ status: 200, body: { MessageId: 'm-1', MD5OfMessageBody: '0'.repeat(32) } })];

    // Act
    const error = await failureOf(sendWith()(message));

    // Assess
    expect(error).toMatchObject({ code: 'InvalidChecksum', transient: false });
  });

  it('does not count a 200 whose body is not an object as sent: the same refusal, not a crash', async () => {
    // Prepare
    answers = [() => ({ status: 200, body: null })];

    // Act
    const error = await failureOf(sendWith()(message));

    // Assess
    expect(error).toMatchObject({ name: 'MessageSendError', code: 'InvalidChecksum' });
  });

  it('ends an unanswered send by its deadline, the attempt under way cut short', async () => {
    // Prepare: a deadline before the first attempt’s own 1.5 s would end it.
    answers = [() => 'hang'];
    const deadline = Date.now() + 700;

    // Act
    const error = await failureOf(sendWith({ timeoutMs: 1_500 })({ ...message, deadline }));

    // Assess: one attempt, ended at the deadline; none started after it.
    expect(error).toMatchObject({ code: 'NetworkError', transient: true });
    expect(received).toHaveLength(1);
    expect(Date.now()).toBeGreaterThanOrEqual(deadline - 5);
    expect(Date.now()).toBeLessThan(deadline + 400);
  });

  it('ends each unanswered attempt at its time and gives up after 3', async () => {
    // Prepare
    answers = [() => 'hang'];
    const startedAt = Date.now();

    // Act
    const error = await failureOf(sendWith({ timeoutMs: 300 })(message));

    // Assess
    expect(error).toMatchObject({ code: 'NetworkError', transient: true });
    expect(received).toHaveLength(3);
    const elapsed = Date.now() - startedAt;
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(2_000);
  });
});
