/**
 * What the ingest’s signed writes (functions/platform/object-put.ts, message-send.ts) send and how they take
 * S3’s and SQS’s answers, against a recording server on 127.0.0.1 (s3rver checks neither the payload hash
 * nor the encryption header, and answers no throttling).
 */
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from '@jest/globals';
import { createSignedSendMessage } from '../../../functions/platform/message-send.js';
import { createSignedPutObject } from '../../../functions/platform/object-put.js';
import { startTestServer, type TestServer } from './test-servers.js';

const credentials = async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' });

/** A server answering its requests in turn with `answers` (the last one again once they run out). */
const serverAnswering = (...answers: Array<(response: ServerResponse, body: string) => void>) => {
  let count = 0;
  return startTestServer((_request, response, body) => {
    const answer = answers[Math.min(count, answers.length - 1)];
    count += 1;
    answer?.(response, body);
  });
};

const s3Ok = (response: ServerResponse) => response.writeHead(200).end();

describe('signed writes against a recording server', () => {
  let server: TestServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const putObjectTo = (s: TestServer) =>
    createSignedPutObject({
      credentials,
      region: async () => 'eu-west-1',
      endpoint: s.url,
      forcePathStyle: true,
      timeoutMs: 2_000,
    });

  it('sends the hash of the body it sends, and the encryption asked for', async () => {
    // Prepare
    server = await serverAnswering(s3Ok);
    const body = '{"text":"Ünïcødé"}';

    // Act
    await putObjectTo(server)({
      bucket: 'claims',
      key: 'a.json',
      body,
      contentType: 'application/json',
      serverSideEncryption: 'AES256',
    });

    // Assess
    const [request] = server.requests;
    expect(request?.body).toBe(body);
    expect(request?.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(body).digest('hex'));
    expect(request?.headers['x-amz-server-side-encryption']).toBe('AES256');
  });

  it('encodes every reserved character of a key once, as S3 canonicalises it', async () => {
    // Prepare
    server = await serverAnswering(s3Ok);

    // Act
    await putObjectTo(server)({
      bucket: 'claims',
      key: "d/a b!'()*.json",
      body: '{}',
      contentType: 'application/json',
    });

    // Assess
    expect(server.requests[0]?.path).toBe('/claims/d/a%20b%21%27%28%29%2A.json');
  });

  it.each([
    ['429', (response: ServerResponse) => response.writeHead(429).end()],
    [
      'SlowDown',
      (response: ServerResponse) =>
        response.writeHead(400).end('<Error><Code>SlowDown</Code><Message>slow down</Message></Error>'),
    ],
    ['503', (response: ServerResponse) => response.writeHead(503).end()],
  ])('retries a PUT S3 answered %s, by default', async (_case, throttled) => {
    // Prepare
    server = await serverAnswering(throttled, s3Ok);

    // Act
    await putObjectTo(server)({
      bucket: 'claims',
      key: 'b.json',
      body: '{}',
      contentType: 'application/json',
    });

    // Assess
    expect(server.requests).toHaveLength(2);
  });

  it('does not take a redirect for a stored object', async () => {
    // Prepare
    server = await serverAnswering((response) =>
      response.writeHead(301).end('<Error><Code>PermanentRedirect</Code><Message>moved</Message></Error>'),
    );

    // Act
    const put = putObjectTo(server)({
      bucket: 'claims',
      key: 'c.json',
      body: '{}',
      contentType: 'application/json',
    });

    // Assess
    await expect(put).rejects.toMatchObject({
      name: 'ObjectPutError',
      code: 'PermanentRedirect',
      status: 301,
    });
  });

  it('does not take an answer without a message id for a sent message', async () => {
    // Prepare: the body’s checksum confirmed, but no id
    const messageBody = '{"event":1}';
    server = await serverAnswering((response) =>
      response
        .writeHead(200, { 'content-type': 'application/x-amz-json-1.0' })
        .end(JSON.stringify({ MD5OfMessageBody: createHash('md5').update(messageBody).digest('hex') })),
    );
    const sendMessage = createSignedSendMessage({
      credentials,
      region: 'eu-west-1',
      endpoint: server.url,
      maxAttempts: 1,
    });

    // Act
    const sent = sendMessage({
      queueUrl: `${server.url}/000000000000/events`,
      body: messageBody,
      attributes: {},
    });

    // Assess
    await expect(sent).rejects.toMatchObject({ name: 'MessageSendError', code: 'InvalidChecksum' });
  });
});
