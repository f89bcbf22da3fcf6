/**
 * The deployed SQS, DynamoDB and worker S3 clients (functions/platform/clients.ts) against an endpoint that
 * accepts connections and never answers (or stops half-way through a body): every attempt ends at its
 * timeout, so a caller answers in time (the ingest, whose own writes are signed requests, bounds them by its
 * answer time too), and the worker fails the event within its 60 s, instead of running into the Lambda timeout.
 */
import { createServer, type Socket } from 'node:net';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from '@jest/globals';

process.env.AWS_REGION = 'us-east-1';
process.env.AWS_ACCESS_KEY_ID = 'test';
process.env.AWS_SECRET_ACCESS_KEY = 'test';
const sockets: Socket[] = [];
/**
 * The S3 endpoint: never answers a PUT; answers a GET with the headers of a 200 and the first bytes of its
 * body, then nothing more.
 */
const s3 = createServer((socket) => {
  sockets.push(socket);
  socket.once('data', (chunk: Buffer) => {
    if (!chunk.toString('latin1').startsWith('GET ')) return;
    socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"kind":');
  });
});
await new Promise<void>((resolve) => s3.listen(0, '127.0.0.1', resolve));
process.env.AWS_ENDPOINT_URL_S3 = `http://127.0.0.1:${(s3.address() as { port: number }).port}`;
process.env.S3_FORCE_PATH_STYLE = 'true';
const silent = createServer((socket) => {
  sockets.push(socket);
  socket.resume(); // read the request, never answer
});
await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
const { port } = silent.address() as { port: number };

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
  await new Promise<void>((resolve) => s3.close(() => resolve()));
});

describe('sqsClient against an SQS endpoint that never answers', () => {
  it('gives up after its attempts, each ended by the request timeout', async () => {
    // Prepare
    process.env.AWS_ENDPOINT_URL_SQS = `http://127.0.0.1:${port}`;
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

  it('ends an SDK send given a deadline by that deadline, its attempts cut short', async () => {
    // Prepare: a deadline before the second attempt's timeout would end it.
    sockets.length = 0;
    process.env.AWS_ENDPOINT_URL_SQS = `http://127.0.0.1:${port}`;
    const { sqsClient, sdkSendMessage, sqsRequestTimeouts } = await import(
      '../../../functions/platform/clients.js'
    );
    const startedAt = Date.now();
    const deadline = startedAt + 1.5 * sqsRequestTimeouts.requestTimeout;

    // Act
    const error = await sdkSendMessage(sqsClient())({
      queueUrl: `http://127.0.0.1:${port}/000000000000/events`,
      body: '{}',
      attributes: {},
      deadline,
    }).catch((e: unknown) => e);

    // Assess: aborted at the deadline, in its second attempt, not after a third.
    expect(error).toBeInstanceOf(Error);
    expect(sockets.length).toBe(2);
    expect(Date.now()).toBeGreaterThanOrEqual(deadline);
    expect(Date.now()).toBeLessThan(deadline + 1_000);
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

  it('gives the worker’s raw event PUT up after its attempts, each ended by the request timeout', async () => {
    // Prepare
    sockets.length = 0;
    const { smallObjectS3Client, smallObjectS3Timeouts } = await import(
      '../../../functions/platform/clients.js'
    );
    const startedAt = Date.now();

    // Act
    const error = await smallObjectS3Client()
      .send(new PutObjectCommand({ Bucket: 'events', Key: 'raw/round0/x.json', Body: '{}' }))
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(Error);
    expect(sockets.length).toBe(3);
    const elapsed = Date.now() - startedAt;
    expect(elapsed).toBeGreaterThanOrEqual(3 * smallObjectS3Timeouts.requestTimeout);
    expect(elapsed).toBeLessThan(30_000);
  }, 40_000);

  it('ends the worker’s raw event PUT given a deadline by that deadline, in its first attempt', async () => {
    // Prepare: a deadline well before the first attempt's timeout would end it
    sockets.length = 0;
    const { smallObjectS3Client, sdkPutObject } = await import('../../../functions/platform/clients.js');
    const deadline = Date.now() + 1_000;

    // Act
    const error = await sdkPutObject(smallObjectS3Client())({
      bucket: 'events',
      key: 'raw/round0/x.json',
      body: '{}',
      contentType: 'application/json',
      deadline,
    }).catch((e: unknown) => e);

    // Assess: cut at the deadline (the attempt alone would have waited 5 s, three of them 15 s)
    expect(error).toBeInstanceOf(Error);
    expect(sockets.length).toBe(1);
    expect(Date.now()).toBeGreaterThanOrEqual(deadline);
    expect(Date.now()).toBeLessThan(deadline + 1_000);
  }, 20_000);

  it('sends nothing for an SDK write whose deadline has already passed', async () => {
    // Prepare
    sockets.length = 0;
    process.env.AWS_ENDPOINT_URL_SQS = `http://127.0.0.1:${port}`;
    const { smallObjectS3Client, sqsClient, sdkPutObject, sdkSendMessage } = await import(
      '../../../functions/platform/clients.js'
    );
    const deadline = Date.now() - 1;

    // Act
    const put = await sdkPutObject(smallObjectS3Client())({
      bucket: 'events',
      key: 'raw/round0/x.json',
      body: '{}',
      contentType: 'application/json',
      deadline,
    }).catch((e: unknown) => e);
    const send = await sdkSendMessage(sqsClient())({
      queueUrl: `http://127.0.0.1:${port}/000000000000/events`,
      body: '{}',
      attributes: {},
      deadline,
    }).catch((e: unknown) => e);

    // Assess: both fail at once, and no request left for an endpoint
    expect(put).toMatchObject({ name: 'AbortError' });
    expect(send).toMatchObject({ name: 'AbortError' });
    expect(sockets.length).toBe(0);
  }, 20_000);

  it('ends a claim-check read whose body stops arriving half-way, in time for the worker', async () => {
    // Prepare
    sockets.length = 0;
    const { smallObjectS3Client, smallObjectS3Timeouts } = await import(
      '../../../functions/platform/clients.js'
    );
    const { readQueueMessage } = await import('../../../functions/queue/queue-message.js');
    const claimCheck = JSON.stringify({
      kind: 'claim-check',
      bucket: 'events',
      key: 'claim-checks/x.json',
    });
    const startedAt = Date.now();

    // Act
    const error = await readQueueMessage(claimCheck, smallObjectS3Client()).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(Error);
    expect(sockets.length).toBe(1);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(smallObjectS3Timeouts.socketTimeout - 100);
    expect(Date.now() - startedAt).toBeLessThan(20_000);
    smallObjectS3Client().destroy();
  }, 40_000);
});
