/**
 * The real worker handler (functions/worker.ts) when the ATS refuses its key: a key rotated in the secret
 * since this container cached it is retried with the new one (not dead-lettered); a refused key the secret
 * still holds is dead-lettered as before. Its own file: the worker's secret cache is per module, and these
 * tests need it to start cold. Against dynalite, local-aws-sqs, s3rver, the Lever fake and the ROUND0 API fake.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createSqsServer } from 'local-aws-sqs';
import S3rver from 's3rver';
import type { InterviewEvent } from '../../../functions/vendors/index.js';
import { startFakeLever } from '../../../local/fakes/lever.js';
import { startFakeRound0Api } from '../../../local/fakes/round0-api.js';
import { startDynalite } from '../../helpers/dynalite.js';
import { anOpportunity, ledgerTable, round0 } from './world.js';

const region = 'us-east-1';
const accountId = '000000000000';
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

const dynamo = await startDynalite();
const s3Dir = mkdtempSync(join(tmpdir(), 'worker-rotation-s3-'));
const s3rver = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: s3Dir,
  configureBuckets: [{ name: 'worker-rotation-bucket' }],
});
const { port: s3Port } = await s3rver.run();
const sqsServer: Server = await createSqsServer({ port: 0, hostname: '127.0.0.1', region, accountId });
const sqsEndpoint = `http://127.0.0.1:${(sqsServer.address() as AddressInfo).port}`;
const sqs = new SQSClient({ region, endpoint: sqsEndpoint, credentials });
const { QueueUrl: deadLetterQueueUrl = '' } = await sqs.send(
  new CreateQueueCommand({ QueueName: 'worker-rotation-dlq' }),
);
// The ATS knows the new key only: the old one was revoked when it was rotated.
const lever = await startFakeLever({
  apiKey: 'lever-key-new',
  seed: {
    users: ['user-1'],
    opportunities: [
      anOpportunity({ id: 'opp-ada', contact: 'contact-ada', emails: ['ada@example.com'] }),
      anOpportunity({ id: 'opp-bob', contact: 'contact-bob', emails: ['bob@example.com'] }),
    ],
  },
});
const round0ApiKey = 'round0-rotation-test-key';
const round0Api = await startFakeRound0Api({ apiKey: round0ApiKey });
const secretsDir = mkdtempSync(join(tmpdir(), 'worker-rotation-'));
const secretsFile = join(secretsDir, 'secrets.local.json');
const writeSecrets = (atsKey: string) =>
  writeFileSync(
    secretsFile,
    JSON.stringify({
      webhook: { round0SigningSecrets: ['worker-test-secret'], micro1Tokens: ['x'.repeat(32)] },
      integration: { ats: { apiKey: atsKey }, round0ApiKey },
    }),
  );
writeSecrets('lever-key-old');
Object.assign(process.env, {
  LEDGER_TABLE_NAME: ledgerTable,
  BUCKET_NAME: 'worker-rotation-bucket',
  DEAD_LETTER_QUEUE_URL: deadLetterQueueUrl,
  QUEUE_VISIBILITY_TIMEOUT_SECONDS: '60',
  QUEUE_MAX_RECEIVE_COUNT: '10',
  LOCAL_SECRETS_FILE: secretsFile,
  ATS_ADAPTER: 'lever',
  ROUND0_API_BASE_URL: round0Api.url,
  ATS_CONFIG: JSON.stringify({
    baseUrl: `${lever.url}/v1`,
    performAs: 'user-1',
    rateLimit: { perSecond: 1000, burst: 1000 },
    http: { timeoutMs: 2000, maxAttempts: 1, baseDelayMs: 1 },
  }),
  AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
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

const context = {
  functionName: 'interview-sync-worker',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

let sequence = 0;
/** A record as Lambda's SQS event source builds it from a received message. */
const eventRecord = (event: InterviewEvent, receiveCount: number): SQSRecord => {
  sequence += 1;
  const body = JSON.stringify({ kind: 'event', event });
  const now = String(Date.now());
  return {
    messageId: `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`,
    receiptHandle: `receipt-${sequence}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: now,
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: now,
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:${region}:${accountId}:interview-sync-events`,
    awsRegion: region,
  };
};

const invoke = async (record: SQSRecord): Promise<string[]> =>
  (
    (await handler({ Records: [record] } satisfies SQSEvent, context)) as SQSBatchResponse
  ).batchItemFailures.map((failure) => failure.itemIdentifier);

const deadLetters = async () =>
  (
    await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
      }),
    )
  ).Messages ?? [];

const endedFor = (name: 'ada' | 'bob') =>
  round0('interview_ended', {
    eventId: `evt_${name}`,
    interviewId: `int-${name}`,
    email: `${name}@example.com`,
  });

afterAll(async () => {
  clients.dynamoDbClient().destroy();
  clients.sqsClient().destroy();
  clients.s3Client().destroy();
  clients.smallObjectS3Client().destroy();
  sqs.destroy();
  await lever.close();
  await round0Api.close();
  sqsServer.closeAllConnections();
  await new Promise<void>((resolve, reject) =>
    sqsServer.close((error) => (error ? reject(error) : resolve())),
  );
  await dynamo.close();
  await s3rver.close();
  rmSync(secretsDir, { recursive: true, force: true });
  rmSync(s3Dir, { recursive: true, force: true });
});

describe('worker handler when the ATS refuses its key', () => {
  it('retries an event refused with a key the secret no longer holds, with the new key, instead of dead-lettering it', async () => {
    // Prepare: the worker reads the old key (and caches it for 5 minutes); while the event is being
    // enriched, the key is rotated in the secret; the ATS then refuses the old key
    const event = endedFor('ada');
    const held = round0Api.faults.hold({ method: 'GET', path: /^\/api\/v1\/interviews\// });
    const first = invoke(eventRecord(event, 1));
    await held.reached;
    writeSecrets('lever-key-new');
    held.release();

    // Act
    const failedFirst = await first;
    const dlqAfterFirst = await deadLetters();
    const failedRetry = await invoke(eventRecord(event, 2));

    // Assess: retried (not dead-lettered), then synced with the new key
    expect(failedFirst).toHaveLength(1);
    expect(dlqAfterFirst).toEqual([]);
    expect(failedRetry).toEqual([]);
    expect(lever.state.notes.filter((note) => note.opportunityId === 'opp-ada')).toHaveLength(1);
    expect(lever.state.requests.filter((request) => request.status === 401).length).toBeGreaterThan(0);
  });

  it('dead-letters an event refused with the key the secret still holds, as a configuration to fix', async () => {
    // Prepare: the ATS refuses the current key
    lever.failNext({ status: 401, times: 1, match: (request) => request.query.email === 'bob@example.com' });

    // Act
    const failed = await invoke(eventRecord(endedFor('bob'), 1));
    const dlq = await deadLetters();

    // Assess
    expect(failed).toEqual([]);
    expect(dlq).toHaveLength(1);
    expect(dlq[0]?.MessageAttributes?.failureErrorName?.StringValue).toBe('AtsPermanentError');
  });
});
