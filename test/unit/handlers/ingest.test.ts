/**
 * The ingest handler's edges that the emulators cannot produce: SQS and S3 faults, and what reaches the
 * logs. The happy path runs for real against the emulators in test/e2e.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { jest } from '@jest/globals';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { generateWebhookToken } from '../../../functions/vendors/index.js';
import { fixture } from '../../helpers/fixtures.js';
import { round0Request } from '../../helpers/signed-requests.js';

const sqsMock = mockClient(SQSClient);
const s3Mock = mockClient(S3Client);
const secret = 'round0-handler-test-secret';

const secretsDir = mkdtempSync(join(tmpdir(), 'ingest-handler-'));
const secretsFile = join(secretsDir, 'secrets.local.json');
writeFileSync(
  secretsFile,
  JSON.stringify({ webhook: { round0SigningSecrets: [secret], micro1Tokens: [generateWebhookToken()] } }),
);
Object.assign(process.env, {
  QUEUE_URL: 'http://127.0.0.1:1/000000000000/events',
  BUCKET_NAME: 'claims',
  LOCAL_SECRETS_FILE: secretsFile,
  SQS_MAX_MESSAGE_BYTES: '2048',
  AWS_REGION: 'us-east-1',
  POWERTOOLS_METRICS_DISABLED: 'true',
});
const { handler } = await import('../../../functions/ingest.js');

const context = {
  awsRequestId: 'req-1',
  functionName: 'ingest',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

const apiEvent = (request: ReturnType<typeof round0Request>, base64 = false): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    routeKey: 'POST /webhooks/round0',
    rawPath: request.path,
    rawQueryString: '',
    headers: request.headers,
    requestContext: { http: { method: 'POST', path: request.path }, requestId: 'r' },
    body: request.rawBody.toString(base64 ? 'base64' : 'utf8'),
    isBase64Encoded: base64,
  }) as unknown as APIGatewayProxyEventV2;

const invoke = async (event: APIGatewayProxyEventV2) =>
  (await handler(event, context)) as APIGatewayProxyStructuredResultV2 & { body: string };

beforeEach(() => {
  sqsMock.reset();
  s3Mock.reset();
});

describe('ingest handler', () => {
  it('answers 202 only after SendMessage, with the dedupe key as id', async () => {
    // Prepare
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });

    // Act
    const result = await invoke(
      apiEvent(round0Request(fixture('round0', 'interview_started').raw, { secret })),
    );

    // Assess
    expect(result.statusCode).toBe(202);
    expect(JSON.parse(result.body)).toEqual({
      received: true,
      id: 'round0:evt_550e8400e29b41d4a716446655440000',
    });
    const sent = sqsMock.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(JSON.parse(sent?.MessageBody ?? '{}')).toMatchObject({
      kind: 'event',
      event: { type: 'interview_started' },
    });
    expect(sent?.MessageAttributes?.vendor?.StringValue).toBe('round0');
  });

  it('verifies a base64-encoded body on its decoded bytes', async () => {
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-2' });
    const result = await invoke(
      apiEvent(round0Request(fixture('round0', 'interview_started').raw, { secret }), true),
    );
    expect(result.statusCode).toBe(202);
  });

  it('answers 503 with Retry-After when SQS throttles, so the vendor retries', async () => {
    // Prepare
    sqsMock
      .on(SendMessageCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    // Act
    const result = await invoke(
      apiEvent(round0Request(fixture('round0', 'interview_started').raw, { secret })),
    );

    // Assess
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['content-type']).toBe('application/problem+json');
    expect(result.headers?.['retry-after']).toBeDefined();
  });

  it('puts an envelope larger than an SQS message in S3 and queues a pointer (claim check)', async () => {
    // Prepare: interview_ended is > 2 KB once normalised (SQS_MAX_MESSAGE_BYTES=2048 above)
    s3Mock.on(PutObjectCommand).resolves({});
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-3' });

    // Act
    const result = await invoke(
      apiEvent(round0Request(fixture('round0', 'interview_ended').raw, { secret })),
    );

    // Assess
    expect(result.statusCode).toBe(202);
    const put = s3Mock.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(put?.Key).toMatch(/^claim-checks\//);
    expect(JSON.parse(String(put?.Body))).toMatchObject({
      dedupeKey: 'round0:evt_660f9511f30c52e5b827557766551111',
    });
    const message = JSON.parse(
      sqsMock.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageBody ?? '{}',
    );
    expect(message).toMatchObject({ kind: 'claim-check', bucket: 'claims', key: put?.Key });
  });

  it('answers 503 and queues nothing when the claim-check bucket fails', async () => {
    s3Mock.on(PutObjectCommand).rejects(new Error('SlowDown'));
    const result = await invoke(
      apiEvent(round0Request(fixture('round0', 'interview_ended').raw, { secret })),
    );
    expect(result.statusCode).toBe(503);
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('logs no candidate PII, transcript or secret', async () => {
    // Prepare
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-4' });
    s3Mock.on(PutObjectCommand).resolves({});
    const lines: string[] = [];
    const capture = (chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    };
    const spies = [
      jest.spyOn(process.stdout, 'write').mockImplementation(capture),
      jest.spyOn(process.stderr, 'write').mockImplementation(capture),
    ];

    // Act
    try {
      await invoke(apiEvent(round0Request(fixture('round0', 'interview_ended').raw, { secret })));
      await invoke(
        apiEvent(round0Request(fixture('round0', 'interview_ended').raw, { secret: 'wrong-secret' })),
      );
    } finally {
      for (const spy of spies) spy.mockRestore();
    }

    // Assess
    const logs = lines.join('');
    expect(logs).toContain('webhook accepted');
    expect(logs).toContain('webhook refused');
    for (const forbidden of ['jane@example.com', 'Jane Smith', 'React hooks extensively', secret]) {
      expect(logs).not.toContain(forbidden);
    }
  });
});
