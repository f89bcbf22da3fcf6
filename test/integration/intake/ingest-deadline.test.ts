/**
 * The deployed ingest answers ROUND0 within its time (functions/intake/accept-webhook.ts `answerWithinMs`,
 * 8 s: ROUND0's guide asks for 10 s) however slow everything behind it is: a secret read and a claim check's PUT
 * that each need their second attempt, then a SendMessage whose endpoint never answers. Before the deadline the
 * three ran their attempts one after the other, about 12 s here (13 s at worst), and ROUND0 stopped waiting
 * for what was a 503 anyway. The answer is still the ingest's own 503 + Retry-After problem: the vendor
 * retries, and nothing was acknowledged that is not queued.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { answerWithinMs } from '../../../functions/intake/accept-webhook.js';
import { fixture } from '../../helpers/fixtures.js';
import { round0Request } from '../../helpers/signed-requests.js';
import { round0Event } from '../../unit/handlers/http-api-events.js';

const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:interview-sync/webhook-AbCdEf';
const secret = 'round0-deadline-test-secret';
const sockets: Socket[] = [];
const listen = async (server: ReturnType<typeof createServer>): Promise<string> => {
  server.on('connection', (socket: Socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

/** Secrets Manager, slow: its first read is never answered, the retry after 1.8 s (within its 2 s timeout). */
const secretReads: number[] = [];
const secretsManager = createServer((request: IncomingMessage, response: ServerResponse) => {
  request.resume();
  request.on('end', () => {
    secretReads.push(Date.now());
    if (secretReads.length === 1) return;
    const value = { round0SigningSecrets: [secret], micro1Tokens: ['t'.repeat(40)] };
    setTimeout(() => {
      response
        .writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
        .end(JSON.stringify({ ARN: arn, Name: 'webhook', SecretString: JSON.stringify(value) }));
    }, 1_800);
  });
});
/** S3, slow: its first PUT is never answered, the retry after 1.4 s (within its 1.5 s timeout). */
const puts: number[] = [];
const s3 = createServer((request: IncomingMessage, response: ServerResponse) => {
  request.resume();
  request.on('end', () => {
    puts.push(Date.now());
    if (puts.length === 1) return;
    setTimeout(() => response.writeHead(200).end(), 1_400);
  });
});
/** SQS: reads every send, answers none. */
const sends: number[] = [];
const sqs = createServer((request) => {
  request.resume();
  request.on('end', () => sends.push(Date.now()));
});

Object.assign(process.env, {
  AWS_ENDPOINT_URL_SECRETS_MANAGER: await listen(secretsManager),
  AWS_ENDPOINT_URL_S3: await listen(s3),
  AWS_ENDPOINT_URL_SQS: await listen(sqs),
  S3_FORCE_PATH_STYLE: 'true',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: 'us-east-1',
  QUEUE_URL: 'http://127.0.0.1:1/000000000000/events',
  BUCKET_NAME: 'claims',
  WEBHOOK_SECRETS_ARN: arn,
  // interview_ended with its raw delivery is larger: a claim check, so both writes are made.
  SQS_MAX_MESSAGE_BYTES: '4096',
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
});
// Imported only now: the handler reads process.env at module scope.
const { handler } = await import('../../../functions/ingest.js');

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(
    [secretsManager, s3, sqs].map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
  );
});

describe('the ingest under a slow secret read and unanswering writes', () => {
  it('answers its own 503 problem within its answer time, having tried both writes', async () => {
    // Prepare
    const event = round0Event(round0Request(fixture('round0', 'interview_ended').raw, { secret }));
    const context = {
      awsRequestId: 'req-deadline',
      functionName: 'ingest',
      getRemainingTimeInMillis: () => 15_000,
    } as unknown as Context;
    const startedAt = Date.now();

    // Act
    const result = (await handler(event, context)) as APIGatewayProxyStructuredResultV2 & { body: string };
    const elapsed = Date.now() - startedAt;

    // Assess: the secret was read (its second attempt), the claim check stored (its second) and the send
    // tried until the time was up.
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['content-type']).toBe('application/problem+json');
    expect(Number(result.headers?.['retry-after'])).toBeGreaterThan(0);
    expect(secretReads).toHaveLength(2);
    expect(puts).toHaveLength(2);
    expect(sends.length).toBeGreaterThanOrEqual(1);
    // Within its time (and its tail: a send cut at the deadline), never the ~12 s of every attempt in turn.
    expect(elapsed).toBeLessThan(answerWithinMs.round0 + 500);
  }, 30_000);
});
