/**
 * The real worker handler when SQS accepts its connections and never answers (an endpoint that hangs) while
 * it dead-letters a record: the send ends before the invocation does, so the record fails alone (SQS retries
 * it) and the batch is answered, where the SDK's attempts ran the invocation into its timeout and lost the
 * whole batch's answer. Its own file: the worker reads its configuration at import.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { workerContext } from '../../helpers/lambda-context.js';
import { sqsRecord } from '../../helpers/sqs-records.js';
import { ledgerTable } from './world.js';

// Prepare (once): an SQS endpoint that hangs, the environment the worker reads at import
const held: Socket[] = [];
const hangingSqs = createServer((socket) => {
  held.push(socket);
  socket.on('error', () => undefined);
});
await new Promise<void>((resolve) => hangingSqs.listen(0, '127.0.0.1', resolve));
const sqsEndpoint = `http://127.0.0.1:${(hangingSqs.address() as AddressInfo).port}`;
const secretsDir = mkdtempSync(join(tmpdir(), 'worker-queue-deadline-'));
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
  BUCKET_NAME: 'worker-queue-deadline-bucket',
  DEAD_LETTER_QUEUE_URL: `${sqsEndpoint}/000000000000/worker-queue-deadline-dlq`,
  QUEUE_VISIBILITY_TIMEOUT_SECONDS: '60',
  QUEUE_MAX_RECEIVE_COUNT: '10',
  LOCAL_SECRETS_FILE: secretsFile,
  ATS_ADAPTER: 'lever',
  // Never reached: the record is unreadable.
  ATS_CONFIG: JSON.stringify({ baseUrl: 'http://127.0.0.1:9/v1', performAs: 'user-1' }),
  AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9',
  AWS_ENDPOINT_URL_SQS: sqsEndpoint,
  AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9',
  S3_FORCE_PATH_STYLE: 'true',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
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
  for (const socket of held) socket.destroy();
  await new Promise<void>((resolve) => hangingSqs.close(() => resolve()));
  rmSync(secretsDir, { recursive: true, force: true });
});

describe('worker handler when SQS hangs', () => {
  it('fails a record whose dead letter cannot be sent before the invocation times out, and answers the batch', async () => {
    // Prepare: an unreadable message (dead-lettered at once), 4 s of Lambda time: less than the SQS
    // client's attempts (2 s each, three of them)
    const record = sqsRecord('not json {', 1);
    const context = workerContext('req-queue-deadline', 4_000);

    // Act
    const response = (await handler({ Records: [record] } satisfies SQSEvent, context)) as SQSBatchResponse;

    // Assess: the record reported failed (its queue retries it), not the invocation's timeout
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(held.length).toBeGreaterThan(0);
  }, 30_000);
});
