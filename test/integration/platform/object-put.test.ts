/**
 * The ingest's signed S3 PUT (functions/platform/object-put.ts) against s3rver: what is stored and how it
 * reads back through the SDK, keys S3 must see encoded once, and the failures the ingest turns into 503 (a
 * refused PUT named by S3's error code, an unreachable S3 retried). s3rver checks the access key but not a
 * Signature Version 4 signature: the signature itself is checked against AWS's published examples
 * (test/unit/platform/object-put.test.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from '@jest/globals';
import S3rver from 's3rver';
import {
  createSignedPutObject,
  ObjectPutError,
  type SignedPutObjectOptions,
} from '../../../functions/platform/object-put.js';

const region = 'us-east-1';
// s3rver accepts only this key pair, and checks the signature made with it.
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const bucket = 'object-put-test';

// Prepare (once): s3rver and a bucket.
const directory = mkdtempSync(join(tmpdir(), 'object-put-s3-'));
const s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
const { port } = await s3rver.run();
const endpoint = `http://127.0.0.1:${port}`;
const s3 = new S3Client({ region, endpoint, forcePathStyle: true, credentials });
await s3.send(new CreateBucketCommand({ Bucket: bucket }));

const putObjectWith = (options: Partial<SignedPutObjectOptions> = {}) =>
  createSignedPutObject({
    credentials: async () => credentials,
    region: async () => region,
    endpoint,
    forcePathStyle: true,
    ...options,
  });

const read = async (key: string) => {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return { body: await object.Body?.transformToString('utf8'), contentType: object.ContentType };
};

/** The error `promise` rejects with (fails the test when it resolves). */
const failureOf = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
};

afterAll(async () => {
  s3.destroy();
  await s3rver.close();
  rmSync(directory, { recursive: true, force: true });
});

describe('signed PUT', () => {
  it('stores the body and content type, readable through the SDK', async () => {
    // Prepare
    const putObject = putObjectWith();
    const body = JSON.stringify({ vendor: 'micro1', text: 'Ünïcødé ✓' });

    // Act
    await putObject({
      bucket,
      key: 'raw/micro1/2026-12-02/plain.json',
      body,
      contentType: 'application/json',
      serverSideEncryption: 'AES256',
    });

    // Assess
    expect(await read('raw/micro1/2026-12-02/plain.json')).toEqual({ body, contentType: 'application/json' });
  });

  it.each([
    ['an encoded dedupe key (the raw event store)', 'raw/round0/2026-12-02/round0%3Aevt_1%2Fx.json'],
    ['spaces, plus and reserved characters', "claim-checks/2026-12-02/a b+c(d)!*'~.json"],
  ])('stores a key with %s under exactly that key', async (_case, key) => {
    // Act
    await putObjectWith()({ bucket, key, body: '{}', contentType: 'application/json' });

    // Assess
    expect((await read(key)).body).toBe('{}');
  });

  it('signs with a session token when the credentials carry one', async () => {
    // Prepare
    const putObject = putObjectWith({
      credentials: async () => ({ ...credentials, sessionToken: 'token-1' }),
    });

    // Act
    await putObject({ bucket, key: 'with-token.json', body: '{"a":1}', contentType: 'application/json' });

    // Assess
    expect((await read('with-token.json')).body).toBe('{"a":1}');
  });

  it('is refused with S3 error code InvalidAccessKeyId for an unknown key, not retried', async () => {
    // Prepare
    let attempts = 0;
    const putObject = putObjectWith({
      credentials: async () => {
        attempts += 1;
        return { accessKeyId: 'NOT-A-KEY', secretAccessKey: 'S3RVER' };
      },
    });

    // Act
    const error = await failureOf(
      putObject({ bucket, key: 'refused.json', body: '{}', contentType: 'application/json' }),
    );

    // Assess
    expect(error).toBeInstanceOf(ObjectPutError);
    expect(error).toMatchObject({ code: 'InvalidAccessKeyId', status: 403, transient: false });
    expect(attempts).toBe(1);
  });

  it('names a missing bucket (NoSuchBucket, not transient)', async () => {
    // Act
    const error = await failureOf(
      putObjectWith()({
        bucket: 'no-such-bucket',
        key: 'x.json',
        body: '{}',
        contentType: 'application/json',
      }),
    );

    // Assess
    expect(error).toMatchObject({
      name: 'ObjectPutError',
      code: 'NoSuchBucket',
      status: 404,
      transient: false,
    });
  });

  it('ends an unanswered PUT by its deadline, the attempt under way cut short', async () => {
    // Prepare: an endpoint that reads every request and answers none, and a deadline before the first
    // attempt’s own 1.5 s would end it.
    const requests: string[] = [];
    const silent = createHttpServer((request) => {
      request.resume();
      request.on('end', () => requests.push(String(request.url)));
    });
    const silentPort = await new Promise<number>((resolve) =>
      silent.listen(0, '127.0.0.1', () => resolve((silent.address() as { port: number }).port)),
    );
    const putObject = putObjectWith({ endpoint: `http://127.0.0.1:${silentPort}`, timeoutMs: 1_500 });
    const deadline = Date.now() + 700;

    // Act
    const error = await failureOf(
      putObject({ bucket, key: 'x.json', body: '{}', contentType: 'application/json', deadline }),
    );

    // Assess: one attempt, ended at the deadline; none started after it.
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
    expect(error).toMatchObject({ name: 'ObjectPutError', code: 'NetworkError', transient: true });
    expect(requests).toHaveLength(1);
    expect(Date.now()).toBeGreaterThanOrEqual(deadline - 5);
    expect(Date.now()).toBeLessThan(deadline + 400);
  });

  it('gives up on an unreachable S3 after its attempts, as a transient failure', async () => {
    // Prepare: a port nobody listens on
    const probe = createServer();
    const closedPort = await new Promise<number>((resolve) =>
      probe.listen(0, '127.0.0.1', () => resolve((probe.address() as { port: number }).port)),
    );
    await new Promise((resolve) => probe.close(resolve));
    let attempts = 0;
    const putObject = putObjectWith({
      endpoint: `http://127.0.0.1:${closedPort}`,
      maxAttempts: 2,
      credentials: async () => {
        attempts += 1;
        return credentials;
      },
    });

    // Act
    const error = await failureOf(
      putObject({ bucket, key: 'x.json', body: '{}', contentType: 'application/json' }),
    );

    // Assess
    expect(error).toMatchObject({ name: 'ObjectPutError', code: 'NetworkError', transient: true });
    expect(attempts).toBe(2);
  });
});
