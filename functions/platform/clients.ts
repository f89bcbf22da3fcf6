/**
 * AWS SDK clients, created once per container and reused across invocations (connection reuse is the
 * largest latency win in Lambda). Endpoints come from the SDK's own `AWS_ENDPOINT_URL_<SERVICE>`
 * variables, which the local runtime sets to the emulators.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { createSignedSendMessage, type SendMessage, stringAttributes } from './message-send.js';
import { createSignedPutObject, type PutObject } from './object-put.js';

/** Something that instruments an SDK client for tracing (Powertools Tracer's `captureAWSv3Client`). */
type ClientInstrumentation = <T>(client: T) => T;
let instrument: ClientInstrumentation = (client) => client;

/**
 * Traces every client created from now on (call once, at module scope of a handler, before its clients
 * are created).
 */
export const instrumentClients = (instrumentation: ClientInstrumentation): void => {
  instrument = instrumentation;
};

/**
 * The SDK resolves a command's middleware stack on every send; `cacheMiddleware` resolves it once per
 * command class (7 % less CPU per `SendMessage` in a side-by-side run: 0.95 against 1.03 ms). Safe here
 * because nothing changes a stack after the first send: the Tracer adds its middleware in `instrument`,
 * right after the client is made, and no deployed code presigns (the presigner adds middleware per call).
 * Not for DynamoDB: the document client refuses a client that caches (its commands keep their first
 * instance).
 */
const cacheMiddleware = true;

let sqs: SQSClient | undefined;
let s3: S3Client | undefined;
let dynamodb: DynamoDBClient | undefined;

/**
 * The SQS client's per-attempt limits. Without them a hung SendMessage ran into the ingest's Lambda
 * timeout: a bare 5xx with no Retry-After, no log line and no metric. With them (and the SDK's 3 attempts)
 * it ends in time for the ingest's own 503 + Retry-After.
 */
export const sqsRequestTimeouts = {
  connectionTimeout: 1_000,
  requestTimeout: 2_000,
  // Else this version of the SDK only warns when the time is up, and keeps waiting.
  throwOnRequestTimeout: true,
} as const;

export const sqsClient = (): SQSClient => {
  sqs ??= instrument(new SQSClient({ cacheMiddleware, requestHandler: sqsRequestTimeouts }));
  return sqs;
};

// s3rver (local) only understands path-style URLs; real S3 prefers virtual-hosted style.
const forcePathStyle = (): boolean => process.env.S3_FORCE_PATH_STYLE === 'true';

/**
 * The archive's (and the tools') S3 limits: 1 s to connect, and a connection on which nothing moves either
 * way for 2 minutes is ended (`socketTimeout` is an idle timeout), the SDK then retrying it. No limit on a
 * request as a whole: one may stream an 8 MiB part of a recording or copy an object of up to 2 GiB in S3.
 * Without the idle limit a stalled PUT or copy held the archive until its 15-minute Lambda timeout, and the
 * task came back only after the queue's 90-minute visibility timeout. 2 minutes of silence is far above a
 * healthy pause: S3 answers a part seconds after its last byte, and a 2 GiB copy (the media cap) silent
 * throughout would be cut only were S3 to copy at under 18 MB/s. Three attempts: 6 minutes at worst.
 */
export const archiveS3Timeouts = {
  connectionTimeout: 1_000,
  socketTimeout: 120_000,
} as const;

/** The S3 client of the archive and the tools: {@link archiveS3Timeouts}. */
export const s3Client = (): S3Client => {
  s3 ??= instrument(
    new S3Client({
      cacheMiddleware,
      forcePathStyle: forcePathStyle(),
      requestHandler: archiveS3Timeouts,
    }),
  );
  return s3;
};

/**
 * The per-attempt limits of the worker's S3 client, which reads claim checks and writes raw events: objects
 * of at most ~14 MB (a 4 MiB delivery, base64, in JSON). Without them a hung request ran into the worker's
 * 60 s Lambda timeout with the whole batch. 5 s an attempt and 3 attempts, both calls of an event in turn:
 * 30 s at worst. `requestTimeout` ends at the answer's headers; `socketTimeout` (idle) ends a body that stops
 * arriving half-way.
 */
export const smallObjectS3Timeouts = {
  connectionTimeout: 1_000,
  requestTimeout: 5_000,
  socketTimeout: 5_000,
  throwOnRequestTimeout: true,
} as const;

let smallObjectS3: S3Client | undefined;

/** The worker's S3 client: {@link smallObjectS3Timeouts}. */
export const smallObjectS3Client = (): S3Client => {
  smallObjectS3 ??= instrument(
    new S3Client({
      cacheMiddleware,
      forcePathStyle: forcePathStyle(),
      requestHandler: smallObjectS3Timeouts,
    }),
  );
  return smallObjectS3;
};

/**
 * The DynamoDB client's per-attempt limits: without them a hung request ran into the worker's 60 s Lambda
 * timeout, the whole batch with it. The ledger's writes are conditional and carry a commit token, so an
 * attempt cut short and resent is recognised (ledger/interview-ledger.ts).
 */
export const dynamoDbRequestTimeouts = {
  connectionTimeout: 1_000,
  requestTimeout: 5_000,
  throwOnRequestTimeout: true,
} as const;

export const dynamoDbClient = (): DynamoDBClient => {
  dynamodb ??= instrument(new DynamoDBClient({ requestHandler: dynamoDbRequestTimeouts }));
  return dynamodb;
};

/**
 * The `send` options that abort a request still running at `deadline` (epoch ms), if there is one. As the
 * ledger's `deadlineOptions` (ledger/request-deadline.ts), which platform code does not import.
 */
const endingBy = (deadline: number | undefined): { abortSignal: AbortSignal } | undefined => {
  if (deadline === undefined) return undefined;
  const left = Math.ceil(deadline - Date.now());
  return { abortSignal: left <= 0 ? AbortSignal.abort() : AbortSignal.timeout(left) };
};

/** {@link PutObject} through an SDK S3 client (the worker, the archive, the tools). */
export const sdkPutObject =
  (s3: S3Client): PutObject =>
  async (object) => {
    await s3.send(
      new PutObjectCommand({
        Bucket: object.bucket,
        Key: object.key,
        Body: object.body,
        ContentType: object.contentType,
        ServerSideEncryption: object.serverSideEncryption,
      }),
      endingBy(object.deadline),
    );
  };

/** {@link SendMessage} through an SDK SQS client (the worker, the archive, the tools). */
export const sdkSendMessage =
  (sqs: SQSClient): SendMessage =>
  async (message) => {
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: message.queueUrl,
        MessageBody: message.body,
        MessageAttributes: stringAttributes(message.attributes),
      }),
      endingBy(message.deadline),
    );
    return { messageId: sent.MessageId ?? '' };
  };

/**
 * The ingest's writes, each attempt bounded: a claim check's PUT, then the SendMessage. Both end by the
 * ingest's answer time too (intake/accept-webhook.ts `answerWithinMs`: an attempt gets what is left of it),
 * so that slow writes after a slow secret read still end in its own 503 + Retry-After within that time.
 * Alone, either runs all its attempts within that time. In-region, either call takes milliseconds.
 */
export const ingestWriteLimits = {
  putObject: { maxAttempts: 2, timeoutMs: 1_500 },
  sendMessage: { maxAttempts: 3, timeoutMs: 1_500 },
} as const;

/**
 * The ingest's two writes without SDK clients (platform/message-send.ts, platform/object-put.ts): signed
 * requests with the credentials Lambda puts in the function's environment (the SDK's `fromEnv`; the local
 * runtime sets the same variables) and the region it runs in, to the endpoints the SDK would use
 * (`AWS_ENDPOINT_URL_SQS` and `AWS_ENDPOINT_URL_S3` locally).
 */
export const lightWriters = (): { sendMessage: SendMessage; putObject: PutObject } => {
  const credentials = fromEnv();
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const sqsEndpoint = process.env.AWS_ENDPOINT_URL_SQS ?? process.env.AWS_ENDPOINT_URL;
  const s3Endpoint = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  return {
    sendMessage: createSignedSendMessage({
      credentials,
      region,
      ...(sqsEndpoint === undefined ? {} : { endpoint: sqsEndpoint }),
      ...ingestWriteLimits.sendMessage,
    }),
    putObject: createSignedPutObject({
      credentials,
      region: async () => region,
      ...(s3Endpoint === undefined ? {} : { endpoint: s3Endpoint }),
      forcePathStyle: process.env.S3_FORCE_PATH_STYLE === 'true',
      ...ingestWriteLimits.putObject,
    }),
  };
};
