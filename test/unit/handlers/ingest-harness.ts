/**
 * The deployed ingest handler, loaded once per test file with SQS and S3 mocked (`aws-sdk-client-mock`:
 * the faults these tests need are ones the emulators cannot produce) and secrets from a temporary file.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll } from '@jest/globals';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { generateWebhookToken } from '../../../functions/vendors/index.js';
import { captureOutput } from '../../helpers/captured-output.js';

export const sqsMock = mockClient(SQSClient);
export const s3Mock = mockClient(S3Client);
/** The ROUND0 signing secret and micro1 token the handler under test accepts. */
export const secret = 'round0-handler-test-secret';
export const micro1Token = generateWebhookToken();

const secretsDir = mkdtempSync(join(tmpdir(), 'ingest-handler-'));
const secretsFile = join(secretsDir, 'secrets.local.json');
// Registered while the importing test file loads: removed after that file's tests.
afterAll(() => rmSync(secretsDir, { recursive: true, force: true }));
writeFileSync(
  secretsFile,
  JSON.stringify({ webhook: { round0SigningSecrets: [secret], micro1Tokens: [micro1Token] } }),
);
/**
 * The ingest writes to S3 with signed PUTs, not the S3 client (functions/platform/object-put.ts). This local
 * endpoint turns each PUT back into the S3 client's `PutObjectCommand`, so that `s3Mock` records and answers
 * it as it would the client's own call; a rejection becomes a non-retryable S3 error answer.
 */
const s3Endpoint = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', async () => {
    const [bucket = '', ...key] = (request.url ?? '/').slice(1).split('/').map(decodeURIComponent);
    try {
      await new S3Client({ region: 'us-east-1' }).send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key.join('/'),
          Body: Buffer.concat(chunks).toString('utf8'),
          ContentType: request.headers['content-type'],
          ...(request.headers['x-amz-server-side-encryption'] === 'AES256'
            ? { ServerSideEncryption: 'AES256' as const }
            : {}),
        }),
      );
      response.writeHead(200).end();
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      response.writeHead(400).end(`<Error><Code>${name}</Code><Message>${String(error)}</Message></Error>`);
    }
  });
});
await new Promise<void>((resolve) => s3Endpoint.listen(0, '127.0.0.1', resolve));
s3Endpoint.unref();

/**
 * The ingest sends to SQS with signed requests, not the SQS client (functions/platform/message-send.ts). This
 * local endpoint turns each `SendMessage` back into the SQS client's `SendMessageCommand`, so that `sqsMock`
 * records and answers it as it would the client's own call; a rejection becomes an SQS error answer (a
 * rejection named like a throttling error is a throttling answer, retried as SQS's would be).
 */
const sqsEndpoint = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', async () => {
    const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    try {
      const sent = await new SQSClient({ region: 'us-east-1' }).send(new SendMessageCommand(input));
      const md5 = createHash('md5').update(input.MessageBody).digest('hex');
      response.writeHead(200).end(JSON.stringify({ MessageId: sent.MessageId, MD5OfMessageBody: md5 }));
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      response
        .writeHead(400)
        .end(JSON.stringify({ __type: `com.amazonaws.sqs#${name}`, message: String(error) }));
    }
  });
});
await new Promise<void>((resolve) => sqsEndpoint.listen(0, '127.0.0.1', resolve));
sqsEndpoint.unref();

Object.assign(process.env, {
  AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${(s3Endpoint.address() as AddressInfo).port}`,
  AWS_ENDPOINT_URL_SQS: `http://127.0.0.1:${(sqsEndpoint.address() as AddressInfo).port}`,
  S3_FORCE_PATH_STYLE: 'true',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  QUEUE_URL: 'http://127.0.0.1:1/000000000000/events',
  BUCKET_NAME: 'claims',
  LOCAL_SECRETS_FILE: secretsFile,
  SQS_MAX_MESSAGE_BYTES: '4096',
  AWS_REGION: 'us-east-1',
  // Off unless the importing test file turned metrics on before importing this harness (to read the EMF).
  POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? 'true',
  // As an operator debugging a stage might set it: the handler must still never log the event (its body
  // holds candidate PII, its path a micro1 token).
  POWERTOOLS_LOGGER_LOG_EVENT: 'true',
});
// Imported only now: the handler reads process.env at module scope.
const { handler } = await import('../../../functions/ingest.js');

const context = {
  awsRequestId: 'req-1',
  functionName: 'ingest',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

export const invoke = async (event: APIGatewayProxyEventV2) =>
  (await handler(event, context)) as APIGatewayProxyStructuredResultV2 & { body: string };

/** Runs `act` with the handler's log lines swallowed (hundreds of refusals would flood the output). */
export const withoutLogs = async <T>(act: () => Promise<T>): Promise<T> => (await captureOutput(act)).result;
