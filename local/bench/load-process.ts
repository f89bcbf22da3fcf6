/**
 * The bench's load generator, in a process of its own (it shares no event loop with the function or the
 * emulators it loads), kept alive across legs so that every leg meets a warm JIT:
 * - `http`: autocannon against a webhook URL;
 * - `sqs`: raw `SendMessage` (optionally with a `PutObject` beside each, in parallel), N senders in a loop,
 *   through the functions' SDK clients as they are configured, or (`signed`) through the ingest's own
 *   signed sender (functions/platform/message-send.ts);
 * - `dynamodb`: raw conditional `PutItem`s (`attribute_not_exists`), N writers in a loop;
 * - `deliver`: POSTs ROUND0 webhook bodies, signed, and checks every answer is 202.
 * Environment: the emulators' (endpoints, region, credentials).
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { randomUUID } from 'node:crypto';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import autocannon from 'autocannon';
import { dynamoDbClient, lightWriters, s3Client, sqsClient } from '../../functions/platform/clients.js';
import { stringAttributes } from '../../functions/platform/message-send.js';
import { signRound0Payload } from '../../functions/vendors/round0/signature.js';
import { serveBenchCommands } from './child.js';

export interface LegResult {
  /** Operations completed (2xx answers for `http`). */
  readonly operations: number;
  readonly seconds: number;
  readonly perSecond: number;
  /** `http` only. */
  readonly non2xx?: number;
  readonly p99Ms?: number;
}

// The functions' own clients, configured as they are (the raw legs measure the same SDK sends).
const sqs = sqsClient();
const s3 = s3Client();
const dynamodb = dynamoDbClient();
// The ingest's sender, configured as the ingest configures it (endpoint, credentials and region from the env).
const { sendMessage: signedSend } = lightWriters();

/** `concurrency` loops calling `operation` until `seconds` have passed. */
const loop = async (
  seconds: number,
  concurrency: number,
  operation: (index: number) => Promise<unknown>,
): Promise<LegResult> => {
  let operations = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await operation(operations);
        operations += 1;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { operations, seconds: elapsed, perSecond: operations / elapsed };
};

serveBenchCommands({
  http: async (args: {
    url: string;
    body: string;
    headers: Record<string, string>;
    seconds: number;
    connections: number;
  }): Promise<LegResult> => {
    const result = await autocannon({
      url: args.url,
      method: 'POST',
      headers: args.headers,
      body: args.body,
      connections: args.connections,
      duration: args.seconds,
    });
    const ok = result['2xx'];
    return {
      operations: ok,
      seconds: result.duration,
      perSecond: ok / result.duration,
      non2xx: result.non2xx,
      p99Ms: result.latency.p99,
    };
  },
  sqs: async (args: {
    queueUrl: string;
    body: string;
    attributes: Record<string, string>;
    seconds: number;
    concurrency: number;
    signed?: boolean;
    put?: { bucket: string; body: string };
  }): Promise<LegResult> => {
    const { put } = args;
    const attributes = stringAttributes(args.attributes);
    return loop(args.seconds, args.concurrency, (index) =>
      Promise.all([
        args.signed === true
          ? signedSend({ queueUrl: args.queueUrl, body: args.body, attributes: args.attributes })
          : sqs.send(
              new SendMessageCommand({
                QueueUrl: args.queueUrl,
                MessageBody: args.body,
                MessageAttributes: attributes,
              }),
            ),
        put === undefined
          ? undefined
          : s3.send(
              new PutObjectCommand({
                Bucket: put.bucket,
                Key: `raw/bench/${index}-${randomUUID()}.json`,
                Body: put.body,
                ContentType: 'application/json',
                ServerSideEncryption: 'AES256',
              }),
            ),
      ]),
    );
  },
  dynamodb: async (args: { table: string; seconds: number; concurrency: number }): Promise<LegResult> =>
    loop(args.seconds, args.concurrency, () =>
      dynamodb.send(
        new PutItemCommand({
          TableName: args.table,
          Item: {
            pk: { S: `BENCH#${randomUUID()}` },
            sk: { S: 'ITEM' },
            status: { S: 'completed' },
            at: { N: String(Date.now()) },
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    ),
  deliver: async (args: {
    url: string;
    bodies: readonly string[];
    secret: string;
    concurrency: number;
  }): Promise<number> => {
    let next = 0;
    await Promise.all(
      Array.from({ length: args.concurrency }, async () => {
        while (next < args.bodies.length) {
          const body = args.bodies[next++] as string;
          const response = await fetch(args.url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'x-webhook-signature': signRound0Payload(body, args.secret, Math.floor(Date.now() / 1000)),
            },
            body,
          });
          await response.arrayBuffer();
          if (response.status !== 202) throw new Error(`ingest answered ${response.status}`);
        }
      }),
    );
    return args.bodies.length;
  },
});
