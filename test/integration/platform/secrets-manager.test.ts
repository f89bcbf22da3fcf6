/**
 * `createSecretReader` (functions/platform/secrets.ts) with a Secrets Manager ARN, as deployed, against a
 * local stand-in speaking Secrets Manager's JSON protocol (`secretsmanager.GetSecretValue`): the secret is
 * read and validated; an endpoint that accepts connections and never answers ends in SecretUnavailableError
 * after 2 attempts, each ended by its timeout, within the ingest's answer time.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { SecretUnavailableError } from '../../../functions/platform/errors.js';
import { webhookSecretsSchema } from '../../../functions/platform/secrets-shape.js';

process.env.AWS_REGION = 'us-east-1';
process.env.AWS_ACCESS_KEY_ID = 'test';
process.env.AWS_SECRET_ACCESS_KEY = 'test';

const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:interview-sync/webhook-AbCdEf';
const secret = { round0SigningSecrets: ['round0-secret'], micro1Tokens: ['t'.repeat(40)] };
let answering = true;
const targets: unknown[] = [];
const sockets: Socket[] = [];

const server = createServer((request: IncomingMessage, response: ServerResponse) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    targets.push(request.headers['x-amz-target']);
    if (!answering) return; // read the request, never answer
    const { SecretId } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { SecretId?: string };
    if (SecretId !== arn) {
      response
        .writeHead(400, { 'content-type': 'application/x-amz-json-1.1' })
        .end(JSON.stringify({ __type: 'ResourceNotFoundException', message: 'no such secret' }));
      return;
    }
    response
      .writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
      .end(
        JSON.stringify({ ARN: arn, Name: 'interview-sync/webhook', SecretString: JSON.stringify(secret) }),
      );
  });
});
server.on('connection', (socket: Socket) => sockets.push(socket));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const { createSecretReader, secretsManagerTimeouts } = await import('../../../functions/platform/secrets.js');

const reader = () =>
  createSecretReader({ arn, section: 'webhook', schema: webhookSecretsSchema, maxAgeSeconds: 300 });

beforeEach(() => {
  targets.length = 0;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('createSecretReader (Secrets Manager)', () => {
  it('reads and validates the secret with GetSecretValue', async () => {
    // Prepare
    answering = true;

    // Act
    const value = await reader()({ fresh: true });

    // Assess
    expect(value).toEqual(secret);
    expect(targets).toEqual(['secretsmanager.GetSecretValue']);
  });

  it('gives up on an endpoint that never answers after 2 attempts, each ended by its timeout', async () => {
    // Prepare
    answering = false;
    const startedAt = Date.now();

    // Act
    const error = await reader()({ fresh: true }).catch((e: unknown) => e);

    // Assess
    const elapsed = Date.now() - startedAt;
    expect(error).toBeInstanceOf(SecretUnavailableError);
    expect(targets).toHaveLength(2);
    expect(elapsed).toBeGreaterThanOrEqual(2 * secretsManagerTimeouts.requestTimeout);
    expect(elapsed).toBeLessThan(8_000);
  }, 30_000);
});
