/**
 * The raw delivery behind the real ingest handler (functions/ingest.ts), against s3rver and local-aws-sqs:
 * what travels in the message for an accepted delivery (the worker stores it: test/integration/sync), nothing
 * for a refused one, and the answer when the bucket or the queue refuses (each faulted in the emulator itself:
 * the bucket or queue is taken away and put back, as an outage would). The ingest never writes `raw/`.
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
import { readQueueMessage } from '../../../functions/queue/queue-message.js';
import { rawEventsPrefix } from '../../../functions/queue/raw-events.js';
import type { InterviewEvent, RawDelivery } from '../../../functions/vendors/envelope.js';
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

const emptyBucket = async () => {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  const objects = (listed.Contents ?? []).map((object) => ({ Key: object.Key ?? '' }));
  if (objects.length > 0) {
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects } }));
  }
};

interface Queued {
  readonly event: InterviewEvent;
  readonly raw?: RawDelivery;
}

/** Takes every message off the events queue and returns the envelopes and their raw deliveries. */
const drainQueue = async (): Promise<Queued[]> => {
  const events: Queued[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 30 }),
    );
    if (Messages.length === 0) return events;
    for (const message of Messages) {
      events.push(await readQueueMessage(message.Body ?? '', s3));
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

describe('ingest handler, raw delivery (s3rver, local-aws-sqs)', () => {
  it('queues an accepted delivery with its raw form: the exact bytes and the kept headers only', async () => {
    // Prepare: API Gateway base64-encodes the body (it does for any non-text content type)
    const { bytes, event } = signedDelivery();

    // Act
    const result = await invoke(event);

    // Assess
    expect(result.statusCode).toBe(202);
    const [queued, ...moreQueued] = await drainQueue();
    expect(moreQueued).toEqual([]);
    expect(queued?.event.type).toBe('interview_started');
    expect(queued?.raw?.headers).toEqual({
      'content-type': 'application/json',
      'x-webhook-signature': event.headers['x-webhook-signature'],
      'user-agent': event.headers['user-agent'],
    });
    expect(Buffer.from(queued?.raw?.bodyBase64 ?? '', 'base64').equals(bytes)).toBe(true);
    expect(await rawKeys()).toEqual([]);
  });

  it('queues nothing for a delivery it refuses (a bad signature)', async () => {
    // Prepare
    const request = round0Request(fixture('round0', 'interview_started').raw, { secret: 'wrong-secret' });

    // Act
    const result = await invoke(round0Event(request));

    // Assess
    expect(result.statusCode).toBe(401);
    expect(await rawKeys()).toEqual([]);
    expect(await drainQueue()).toEqual([]);
  });

  it('answers 202 while the bucket is gone: a delivery that fits a message needs SQS alone', async () => {
    // Prepare: the bucket is gone (an S3 outage as far as this function can tell)
    const { bytes, event } = signedDelivery();
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));

    // Act
    let accepted: APIGatewayProxyStructuredResultV2;
    try {
      accepted = await invoke(event);
    } finally {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    }

    // Assess: queued once, its raw form with it (the worker stores it once S3 is back)
    expect(accepted.statusCode).toBe(202);
    const queued = await drainQueue();
    expect(queued).toHaveLength(1);
    expect(Buffer.from(queued[0]?.raw?.bodyBase64 ?? '', 'base64').equals(bytes)).toBe(true);
  });

  it('answers 503 while the queue refuses, writes nothing to S3, then 202 on the retry', async () => {
    // Prepare: the queue is gone
    const { event } = signedDelivery();
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));

    // Act
    let refused: APIGatewayProxyStructuredResultV2;
    try {
      refused = await invoke(event);
    } finally {
      expect(await createQueue()).toBe(queueUrl);
    }
    const retried = await invoke(event);

    // Assess
    expect(refused.statusCode).toBe(503);
    expect(refused.headers?.['retry-after']).toBeDefined();
    expect(retried.statusCode).toBe(202);
    expect(await drainQueue()).toHaveLength(1);
    expect((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).toEqual([]);
  });

  it('answers 503 for a delivery too large for a message while the bucket is gone (its claim check)', async () => {
    // Prepare: SQS_MAX_MESSAGE_BYTES is the default here; a body near 256 KiB needs a claim check
    const body = fixture('round0', 'interview_ended').body as { data: Record<string, unknown> };
    body.data.padding = 'x'.repeat(300 * 1024);
    const request = round0Request(body, { secret });
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));

    // Act
    let refused: APIGatewayProxyStructuredResultV2;
    try {
      refused = await invoke(round0Event(request));
    } finally {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    }

    // Assess
    expect(refused.statusCode).toBe(503);
    expect(await drainQueue()).toEqual([]);
  });

  it('keeps the raw delivery of a claim-checked event inside its claim check', async () => {
    // Prepare
    const body = fixture('round0', 'interview_ended').body as { data: Record<string, unknown> };
    body.data.padding = 'x'.repeat(300 * 1024);
    const request = round0Request(body, { secret });

    // Act
    const result = await invoke(round0Event(request));

    // Assess
    expect(result.statusCode).toBe(202);
    const keys = (await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents?.map((o) => o.Key);
    expect(keys?.filter((k) => k?.startsWith('claim-checks/'))).toHaveLength(1);
    expect(await rawKeys()).toEqual([]);
    const [queued] = await drainQueue();
    expect(Buffer.from(queued?.raw?.bodyBase64 ?? '', 'base64').equals(request.rawBody)).toBe(true);
  });
});
