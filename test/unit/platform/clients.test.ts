/**
 * The functions' SDK clients (functions/platform/clients.ts): the SQS and S3 clients resolve their
 * middleware once per command class (`cacheMiddleware`), which must not cost correctness: every send
 * still carries its own input, and the tracing middleware `instrumentClients` adds still runs on each. The
 * SQS client talks to a local HTTP server that answers as SQS's JSON protocol does.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  dynamoDbClient,
  instrumentClients,
  s3Client,
  sqsClient,
} from '../../../functions/platform/clients.js';

const received: string[] = [];
let server: Server;
const traced: string[] = [];
const queueUrl = () => `${process.env.AWS_ENDPOINT_URL_SQS}/000000000000/events`;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      const input = JSON.parse(body) as { MessageBody: string };
      received.push(input.MessageBody);
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(
        JSON.stringify({
          MessageId: `m-${received.length}`,
          MD5OfMessageBody: createHash('md5').update(input.MessageBody).digest('hex'),
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.env.AWS_ENDPOINT_URL_SQS = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  // As the Tracer's captureAWSv3Client does: a middleware added once, before the first send.
  instrumentClients((client) => {
    (client as ReturnType<typeof sqsClient>).middlewareStack.add(
      (next, context) => async (args) => {
        traced.push(context.commandName ?? 'unknown');
        return next(args);
      },
      { step: 'initialize', name: 'testTracing' },
    );
    return client;
  });
});

afterAll(async () => {
  sqsClient().destroy();
  await new Promise((resolve) => server.close(resolve));
});

describe('SDK clients', () => {
  it('cache the SQS and S3 middleware, but not DynamoDB’s (the document client refuses that)', () => {
    // Assess
    expect(sqsClient().config.cacheMiddleware).toBe(true);
    expect(s3Client().config.cacheMiddleware).toBe(true);
    expect(dynamoDbClient().config.cacheMiddleware).not.toBe(true);
    expect(() => DynamoDBDocumentClient.from(dynamoDbClient())).not.toThrow();
  });

  it('send each command’s own input through the cached stack, traced every time', async () => {
    // Prepare
    const bodies = ['first', 'second', 'third'];

    // Act
    const first = await sqsClient().send(
      new SendMessageCommand({ QueueUrl: queueUrl(), MessageBody: 'first' }),
    );
    const rest = await Promise.all(
      bodies
        .slice(1)
        .map((body) => sqsClient().send(new SendMessageCommand({ QueueUrl: queueUrl(), MessageBody: body }))),
    );

    // Assess
    expect(received).toEqual(bodies);
    expect([first, ...rest].map((output) => output.MessageId)).toEqual(['m-1', 'm-2', 'm-3']);
    expect(traced).toEqual(['SendMessageCommand', 'SendMessageCommand', 'SendMessageCommand']);
  });
});
