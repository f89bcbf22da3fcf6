/**
 * The raw event store behind the real ingest handler (functions/ingest.ts), against s3rver and
 * local-aws-sqs: what is written for an accepted delivery, nothing for a refused one, and the answer when
 * the bucket or the queue refuses (each faulted in the emulator itself: the bucket or queue is taken away
 * and put back, as an outage would).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { createSqsServer } from 'local-aws-sqs';
import S3rver from 's3rver';
import { type RawEvent, rawEventKey, rawEventsPrefix } from '../../../functions/queue/raw-events.js';
import type { InterviewEvent, QueueMessage } from '../../../functions/vendors/envelope.js';
import { fixture } from '../../helpers/fixtures.js';
import { round0Request } from '../../helpers/signed-requests.js';
import { round0Event } from '../../unit/handlers/http-api-events.js';

const region = 'us-east-1';
const accountId = '000000000000';
// s3rver accepts only this key pair; local-aws-sqs accepts any.
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const bucket = 'ingest-raw-test';
const queueName = 'ingest-raw-test-events';
const secret = 'raw-events-test-secret';

// Prepare (once): emulators and the environment the ingest handler reads at import time.
const s3Dir = mkdtempSync(join(tmpdir(), 'ingest-raw-s3-'));
const s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3Dir });
const { port: s3Port } = await s3rver.run();
const s3 = new S3Client({
  region,
  endpoint: `http://127.0.0.1:${s3Port}`,
  forcePathStyle: true,
  credentials,
});
// The queue is deleted and created again by a test: no 60 s wait between the two as AWS has.
const sqsServer: Server = await createSqsServer({
  port: 0,
  hostname: '127.0.0.1',
  region,
  accountId,
  emulateQueueCreationLifecycle: false,
});
const sqsEndpoint = `http://127.0.0.1:${(sqsServer.address() as AddressInfo).port}`;
const sqs = new SQSClient({ region, endpoint: sqsEndpoint, credentials });
const createQueue = async () =>
  (await sqs.send(new CreateQueueCommand({ QueueName: queueName }))).QueueUrl ?? '';
const queueUrl = await createQueue();
await s3.send(new CreateBucketCommand({ Bucket: bucket }));

const secretsDir = mkdtempSync(join(tmpdir(), 'ingest-raw-'));
const secretsFile = join(secretsDir, 'secrets.local.json');
writeFileSync(
  secretsFile,
  JSON.stringify({ webhook: { round0SigningSecrets: [secret], micro1Tokens: ['x'.repeat(32)] } }),
);
Object.assign(process.env, {
  QUEUE_URL: queueUrl,
  BUCKET_NAME: bucket,
  LOCAL_SECRETS_FILE: secretsFile,
  AWS_ENDPOINT_URL_SQS: sqsEndpoint,
  AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${s3Port}`,
  S3_FORCE_PATH_STYLE: 'true',
  AWS_REGION: region,
  AWS_ACCESS_KEY_ID: credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
});
const { handler } = await import('../../../functions/ingest.js');
const clients = await import('../../../functions/platform/clients.js');

const context = { awsRequestId: 'req-1', functionName: 'ingest' } as unknown as Context;
const invoke = async (event: APIGatewayProxyEventV2) =>
  (await handler(event, context)) as APIGatewayProxyStructuredResultV2 & { body: string };

/** Keys under the raw event store's prefix. */
const rawKeys = async (): Promise<string[]> => {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: rawEventsPrefix }));
  return (listed.Contents ?? []).map((object) => object.Key ?? '').sort();
};

const readRaw = async (key: string) => {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return {
    contentType: object.ContentType,
    raw: JSON.parse((await object.Body?.transformToString('utf8')) ?? '') as RawEvent,
  };
};

const emptyBucket = async () => {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  const objects = (listed.Contents ?? []).map((object) => ({ Key: object.Key ?? '' }));
  if (objects.length > 0) {
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects } }));
  }
};

/** Takes every message off the events queue and returns the envelopes. */
const drainQueue = async (): Promise<InterviewEvent[]> => {
  const events: InterviewEvent[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 30 }),
    );
    if (Messages.length === 0) return events;
    for (const message of Messages) {
      const queued = JSON.parse(message.Body ?? 'null') as QueueMessage;
      if (queued.kind === 'event') events.push(queued.event);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
  }
};

/** A signed ROUND0 delivery as API Gateway hands it over, with headers that must not be kept. */
const signedDelivery = (type: 'interview_started' | 'interview_ended' = 'interview_started') => {
  const request = round0Request(fixture('round0', type).raw, { secret });
  const event = round0Event(
    {
      ...request,
      headers: { ...request.headers, authorization: 'Bearer not-for-storage', cookie: 'session=abc' },
    },
    { isBase64Encoded: true },
  );
  return { bytes: request.rawBody, event };
};

beforeEach(async () => {
  await emptyBucket();
  await drainQueue();
});

afterAll(async () => {
  clients.sqsClient().destroy();
  clients.s3Client().destroy();
  s3.destroy();
  sqs.destroy();
  sqsServer.closeAllConnections();
  await new Promise<void>((resolve, reject) =>
    sqsServer.close((error) => (error ? reject(error) : resolve())),
  );
  await s3rver.close();
  rmSync(secretsDir, { recursive: true, force: true });
  rmSync(s3Dir, { recursive: true, force: true });
});

describe('ingest handler, raw event store (s3rver, local-aws-sqs)', () => {
  it('stores an accepted delivery at its raw key: the exact bytes and the kept headers only', async () => {
    // Prepare: API Gateway base64-encodes the body (it does for any non-text content type)
    const { bytes, event } = signedDelivery();

    // Act
    const result = await invoke(event);

    // Assess
    expect(result.statusCode).toBe(202);
    const [queued, ...moreQueued] = await drainQueue();
    expect(moreQueued).toEqual([]);
    const key = rawEventKey('round0', new Date(queued?.receivedAt ?? ''), queued?.dedupeKey ?? '');
    expect(await rawKeys()).toEqual([key]);
    const { contentType, raw } = await readRaw(key);
    expect(contentType).toBe('application/json');
    expect(raw).toEqual({
      schemaVersion: 1,
      vendor: 'round0',
      type: 'interview_started',
      dedupeKey: queued?.dedupeKey,
      receivedAt: queued?.receivedAt,
      headers: {
        'content-type': 'application/json',
        'x-webhook-signature': event.headers['x-webhook-signature'],
        'user-agent': event.headers['user-agent'],
      },
      bodyBase64: expect.any(String),
    });
    expect(Buffer.from(raw.bodyBase64, 'base64').equals(bytes)).toBe(true);
  });

  it('stores nothing for a delivery it refuses (a bad signature)', async () => {
    // Prepare
    const request = round0Request(fixture('round0', 'interview_started').raw, { secret: 'wrong-secret' });

    // Act
    const result = await invoke(round0Event(request));

    // Assess
    expect(result.statusCode).toBe(401);
    expect(await rawKeys()).toEqual([]);
    expect(await drainQueue()).toEqual([]);
  });

  it('answers 503 while the bucket refuses, then 202 on the retry, which writes the raw event once', async () => {
    // Prepare: the bucket is gone (an S3 outage as far as this function can tell)
    const { event } = signedDelivery();
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));

    // Act
    let refused: APIGatewayProxyStructuredResultV2;
    try {
      refused = await invoke(event);
    } finally {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    }
    const retried = await invoke(event);

    // Assess: the queue took the first attempt too; the worker dedupes the second message
    expect(refused.statusCode).toBe(503);
    expect(refused.headers?.['retry-after']).toBeDefined();
    expect(retried.statusCode).toBe(202);
    const queued = await drainQueue();
    expect(queued.map((e) => e.dedupeKey)).toEqual([queued[0]?.dedupeKey, queued[0]?.dedupeKey]);
    expect(await rawKeys()).toHaveLength(1);
  });

  it('answers 503 while the queue refuses, then 202 on the retry, which overwrites the same raw key', async () => {
    // Prepare: the queue is gone
    const { bytes, event } = signedDelivery();
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));

    // Act
    let refused: APIGatewayProxyStructuredResultV2;
    let keysWhileRefused: string[];
    try {
      refused = await invoke(event);
      keysWhileRefused = await rawKeys();
    } finally {
      expect(await createQueue()).toBe(queueUrl);
    }
    const retried = await invoke(event);

    // Assess
    expect(refused.statusCode).toBe(503);
    expect(refused.headers?.['retry-after']).toBeDefined();
    expect(retried.statusCode).toBe(202);
    expect(await drainQueue()).toHaveLength(1);
    expect(await rawKeys()).toEqual(keysWhileRefused);
    const [key] = keysWhileRefused;
    const { raw } = await readRaw(key ?? '');
    expect(Buffer.from(raw.bodyBase64, 'base64').equals(bytes)).toBe(true);
  });

  it('keeps the raw event of a claim-checked delivery as well', async () => {
    // Prepare: SQS_MAX_MESSAGE_BYTES is the default here; a body near 256 KiB needs a claim check
    const body = fixture('round0', 'interview_ended').body as { data: Record<string, unknown> };
    body.data.padding = 'x'.repeat(300 * 1024);
    const request = round0Request(body, { secret });

    // Act
    const result = await invoke(round0Event(request));

    // Assess
    expect(result.statusCode).toBe(202);
    const keys = (await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents?.map((o) => o.Key);
    expect(keys?.filter((k) => k?.startsWith('claim-checks/'))).toHaveLength(1);
    expect(await rawKeys()).toHaveLength(1);
    const { raw } = await readRaw((await rawKeys())[0] ?? '');
    expect(Buffer.from(raw.bodyBase64, 'base64').equals(request.rawBody)).toBe(true);
  });
});
