/**
 * The real worker handler when DynamoDB accepts its connections and never answers (an endpoint that hangs):
 * the ledger's requests end before the invocation does, so the event fails alone (retried by its queue) and
 * the batch is answered, where each request's three 5 s attempts ran the invocation into its timeout and
 * failed the whole batch. Its own file: the worker reads its configuration at import.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createSqsServer } from 'local-aws-sqs';
import S3rver from 's3rver';
import { workerContext } from '../../helpers/lambda-context.js';
import { sqsRecord } from '../../helpers/sqs-records.js';
import { ledgerTable, round0 } from './world.js';

const region = 'us-east-1';
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

// Prepare (once): DynamoDB that hangs, S3 and SQS emulators, the environment the worker reads at import
const held: Socket[] = [];
const hangingDynamoDb = createServer((socket) => {
  held.push(socket);
  socket.on('error', () => undefined);
});
await new Promise<void>((resolve) => hangingDynamoDb.listen(0, '127.0.0.1', resolve));
const s3Dir = mkdtempSync(join(tmpdir(), 'worker-deadline-s3-'));
const s3rver = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: s3Dir,
  configureBuckets: [{ name: 'worker-deadline-bucket' }],
});
const { port: s3Port } = await s3rver.run();
const sqsServer: Server = await createSqsServer({
  port: 0,
  hostname: '127.0.0.1',
  region,
  accountId: '000000000000',
});
const sqsEndpoint = `http://127.0.0.1:${(sqsServer.address() as AddressInfo).port}`;
const sqs = new SQSClient({ region, endpoint: sqsEndpoint, credentials });
const { QueueUrl: deadLetterQueueUrl = '' } = await sqs.send(
  new CreateQueueCommand({ QueueName: 'worker-deadline-dlq' }),
);
const secretsDir = mkdtempSync(join(tmpdir(), 'worker-deadline-'));
const secretsFile = join(secretsDir, 'secrets.local.json');
writeFileSync(
  secretsFile,
  JSON.stringify({
    webhook: { round0SigningSecrets: ['worker-test-secret'], micro1Tokens: ['x'.repeat(32)] },
    integration: { ats: { apiKey: 'lever-key' } },
  }),
);
Object.assign(process.env, {
  LEDGER_TABLE_NAME: ledgerTable,
  BUCKET_NAME: 'worker-deadline-bucket',
  DEAD_LETTER_QUEUE_URL: deadLetterQueueUrl,
  QUEUE_VISIBILITY_TIMEOUT_SECONDS: '60',
  QUEUE_MAX_RECEIVE_COUNT: '10',
  LOCAL_SECRETS_FILE: secretsFile,
  ATS_ADAPTER: 'lever',
  // Never reached: the event fails at its first ledger read.
  ATS_CONFIG: JSON.stringify({ baseUrl: 'http://127.0.0.1:9/v1', performAs: 'user-1' }),
  AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${(hangingDynamoDb.address() as AddressInfo).port}`,
  AWS_ENDPOINT_URL_SQS: sqsEndpoint,
  AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${s3Port}`,
  S3_FORCE_PATH_STYLE: 'true',
  AWS_REGION: region,
  AWS_ACCESS_KEY_ID: credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  OUTBOUND_ALLOW_LOCAL: 'true',
});
const { handler } = await import('../../../functions/worker.js');
const clients = await import('../../../functions/platform/clients.js');

afterAll(async () => {
  clients.dynamoDbClient().destroy();
  clients.sqsClient().destroy();
  clients.smallObjectS3Client().destroy();
  sqs.destroy();
  for (const socket of held) socket.destroy();
  await new Promise<void>((resolve) => hangingDynamoDb.close(() => resolve()));
  sqsServer.closeAllConnections();
  await new Promise<void>((resolve) => sqsServer.close(() => resolve()));
  await s3rver.close();
  rmSync(secretsDir, { recursive: true, force: true });
  rmSync(s3Dir, { recursive: true, force: true });
});

describe('worker handler when DynamoDB hangs', () => {
  it('fails the event before the invocation times out, and answers the batch', async () => {
    // Prepare: 12 s of Lambda time, less than one request's three 5 s attempts
    const event = round0('interview_ended');
    const record = sqsRecord(JSON.stringify({ kind: 'event', event }), 1);
    const context = workerContext('req-deadline', 12_000);

    // Act
    const response = (await handler({ Records: [record] } satisfies SQSEvent, context)) as SQSBatchResponse;

    // Assess: the record reported failed (its queue retries it), not the invocation's timeout
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(held.length).toBeGreaterThan(0);
  }, 30_000);
  it('dead-letters the event with its reason on its last receive though it cannot be parked', async () => {
    // Prepare: the same hanging DynamoDB (the park cannot be written either), the event's tenth receive
    const event = round0('interview_ended', { eventId: 'evt_last_receive', interviewId: 'int-last' });
    const body = JSON.stringify({ kind: 'event', event });
    const record = sqsRecord(body, 10);
    const context = workerContext('req-last-receive', 12_000);

    // Act
    const response = (await handler({ Records: [record] } satisfies SQSEvent, context)) as SQSBatchResponse;
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
      }),
    );

    // Assess: acknowledged, on the DLQ with the reason (SQS would have moved it without one)
    expect(response.batchItemFailures).toEqual([]);
    expect(Messages.map((message) => message.Body)).toEqual([body]);
    expect(Messages[0]?.MessageAttributes?.failureReason?.StringValue).toMatch(/^gave up after 10 attempts/);
  }, 30_000);
});
