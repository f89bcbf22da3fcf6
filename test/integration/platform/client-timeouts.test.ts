/**
 * The deployed SQS and DynamoDB clients (functions/platform/clients.ts) against an endpoint that accepts
 * connections and never answers: every attempt ends at its request timeout, so the ingest answers its own
 * 503 + Retry-After within its 10 s, and the worker fails the event within its 60 s, instead of running
 * into the Lambda timeout.
 */
import { createServer, type Socket } from 'node:net';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from '@jest/globals';

const sockets: Socket[] = [];
const silent = createServer((socket) => {
  sockets.push(socket);
  socket.resume(); // read the request, never answer
});
await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
const { port } = silent.address() as { port: number };

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

describe('sqsClient against an SQS endpoint that never answers', () => {
  it('gives up after its attempts, each ended by the request timeout, well within the ingest’s 10 s', async () => {
    // Prepare
    process.env.AWS_ENDPOINT_URL_SQS = `http://127.0.0.1:${port}`;
    process.env.AWS_REGION = 'us-east-1';
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    const { sqsClient, sqsRequestTimeouts } = await import('../../../functions/platform/clients.js');
    const startedAt = Date.now();

    // Act
    const error = await sqsClient()
      .send(
        new SendMessageCommand({
          QueueUrl: `http://127.0.0.1:${port}/000000000000/events`,
          MessageBody: '{}',
        }),
      )
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(Error);
    expect(sockets.length).toBe(3);
    const elapsed = Date.now() - startedAt;
    expect(elapsed).toBeGreaterThanOrEqual(3 * sqsRequestTimeouts.requestTimeout);
    expect(elapsed).toBeLessThan(9_000);
  }, 20_000);

  it('gives a DynamoDB request up after its attempts, each ended by the request timeout', async () => {
    // Prepare
    sockets.length = 0;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = `http://127.0.0.1:${port}`;
    const { dynamoDbClient, dynamoDbRequestTimeouts } = await import(
      '../../../functions/platform/clients.js'
    );
    const startedAt = Date.now();

    // Act
    const error = await dynamoDbClient()
      .send(new GetItemCommand({ TableName: 'ledger', Key: { pk: { S: 'a' }, sk: { S: 'b' } } }))
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(Error);
    expect(sockets.length).toBeGreaterThanOrEqual(2);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(2 * dynamoDbRequestTimeouts.requestTimeout);
    expect(Date.now() - startedAt).toBeLessThan(40_000);
  }, 60_000);
});
