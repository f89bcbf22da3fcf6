/**
 * The S3 archive store against s3rver and dynalite: streamed bodies arrive byte for byte with their SHA-256
 * (as metadata and in the manifest), failures leave neither an object nor a manifest entry, and a large body
 * streams through bounded memory.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type ServerResponse } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import S3rver from 's3rver';
import { ArchiveError, ArchiveTimeBudgetError } from '../../../functions/archive/errors.js';
import { ArchiveManifest } from '../../../functions/archive/manifest.js';
import { ArchiveStoreError, createS3ArchiveStore } from '../../../functions/archive/s3-store.js';
import type { VendorName } from '../../../functions/vendors/envelope.js';
import { resources } from '../../../lib/resources.js';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite.js';

const bucket = 'archive-store-test';
const vendor: VendorName = 'round0';
const MiB = 1024 * 1024;
const sha256Of = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** `bytes` as a stream of 64 KiB chunks (a download, not a Buffer body). */
const streamOf = (bytes: Buffer): Readable =>
  Readable.from(
    (function* () {
      for (let offset = 0; offset < bytes.length; offset += 64 * 1024) {
        yield bytes.subarray(offset, offset + 64 * 1024);
      }
    })(),
  );

/** A stream that sends `bytesBefore` random bytes and then fails, like a download cut off. */
const failingStream = (bytesBefore: number, error: Error): Readable =>
  Readable.from(
    (async function* () {
      for (let sent = 0; sent < bytesBefore; sent += MiB)
        yield randomBytes(Math.min(MiB, bytesBefore - sent));
      throw error;
    })(),
  );

describe('S3 archive store (s3rver, dynalite)', () => {
  let dynamo: LocalDynamo;
  let s3rver: S3rver;
  let s3Dir: string;
  let s3: S3Client;
  let s3Endpoint: string;
  let manifest: ArchiveManifest;
  /** Every S3 command the store sent, with its input, in order. */
  const sent: { command: string; input: Record<string, unknown> }[] = [];

  const storeFor = (interviewKey: string, options: { bucket?: string } = {}) =>
    createS3ArchiveStore({ s3, bucket: options.bucket ?? bucket, manifest, vendor, interviewKey });

  const readObject = async (key: string): Promise<Buffer> => {
    const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from((await Body?.transformToByteArray()) ?? []);
  };

  const headObject = (key: string) =>
    s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).catch((error: unknown) => error);

  const commands = () => sent.map(({ command }) => command);

  beforeAll(async () => {
    dynamo = await startDynalite();
    s3Dir = mkdtempSync(join(tmpdir(), 'archive-store-s3-'));
    s3rver = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: s3Dir,
      configureBuckets: [{ name: bucket }],
    });
    const { port } = await s3rver.run();
    s3Endpoint = `http://127.0.0.1:${port}`;
    s3 = new S3Client({
      endpoint: s3Endpoint,
      region: 'us-east-1',
      // s3rver accepts only this key pair, and only path-style URLs.
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      forcePathStyle: true,
    });
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        // Without the body: keeping every part's bytes here would be the very buffering the memory test looks for.
        const { Body: _body, ...input } = args.input as Record<string, unknown>;
        sent.push({ command: context.commandName ?? '', input });
        return next(args);
      },
      { step: 'initialize', name: 'recordCommands' },
    );
    manifest = new ArchiveManifest({ client: dynamo.client, tableName: resources.ledgerTable.name });
  });

  afterAll(async () => {
    s3.destroy();
    await s3rver.close();
    await dynamo.close();
    rmSync(s3Dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    sent.length = 0;
  });

  it('streams a 20 MB body in parts: same bytes, its SHA-256 as metadata and in the manifest', async () => {
    // Prepare
    const interviewKey = `int-${randomUUID()}`;
    const key = `interviews/${interviewKey}/question_q1.mp3`;
    const source = randomBytes(20 * 1000 * 1000);
    const store = storeFor(interviewKey);

    // Act
    const archived = await store.put(key, streamOf(source), {
      contentType: 'audio/mpeg',
      sourceUrl: 'https://storage.round0.io/audio/abc123.mp3?X-Amz-Signature=secret',
    });

    // Assess
    const storeCommands = commands();
    const expected = {
      key,
      size: source.length,
      sha256: sha256Of(source),
      contentType: 'audio/mpeg',
      sourceUrl: 'https://storage.round0.io/audio/abc123.mp3',
    };
    expect(archived).toEqual(expected);
    expect((await readObject(key)).equals(source)).toBe(true);
    expect(await headObject(key)).toMatchObject({
      ContentType: 'audio/mpeg',
      ContentLength: source.length,
      Metadata: { sha256: sha256Of(source) },
    });
    expect(await store.archived(key)).toEqual({ ...expected, archivedAt: expect.any(String) });
    expect(storeCommands).toEqual([
      'CreateMultipartUploadCommand',
      'UploadPartCommand',
      'UploadPartCommand',
      'UploadPartCommand',
      'CompleteMultipartUploadCommand',
      'CopyObjectCommand',
    ]);
    const inputOf = (command: string) => sent.find((entry) => entry.command === command)?.input;
    expect(inputOf('CreateMultipartUploadCommand')).toMatchObject({
      ServerSideEncryption: 'AES256',
      ContentType: 'audio/mpeg',
    });
    expect(inputOf('CopyObjectCommand')).toMatchObject({
      ServerSideEncryption: 'AES256',
      ContentType: 'audio/mpeg',
      MetadataDirective: 'REPLACE',
      Metadata: { sha256: sha256Of(source) },
      CopySourceIfMatch: expect.any(String),
    });
  });

  it('sends a body of at most one part as one PutObject that S3 checks against the SHA-256', async () => {
    // Prepare
    const interviewKey = `int-${randomUUID()}`;
    const key = `interviews/${interviewKey}/report.pdf`;
    const source = randomBytes(300 * 1024);
    const store = storeFor(interviewKey);

    // Act
    const archived = await store.put(key, source, {
      contentType: 'application/pdf',
      sourceUrl: 'https://micro1.ai/report/h0gqkAcaDJ.pdf',
    });

    // Assess
    const storeCommands = commands();
    expect(archived).toMatchObject({ size: source.length, sha256: sha256Of(source) });
    expect((await readObject(key)).equals(source)).toBe(true);
    expect(await headObject(key)).toMatchObject({
      ContentType: 'application/pdf',
      Metadata: { sha256: sha256Of(source) },
    });
    expect(storeCommands).toEqual(['PutObjectCommand']);
    expect(sent[0]?.input).toMatchObject({
      ServerSideEncryption: 'AES256',
      ChecksumSHA256: createHash('sha256').update(source).digest('base64'),
    });
  });

  it('stores an empty body', async () => {
    // Prepare
    const interviewKey = `int-${randomUUID()}`;
    const key = `interviews/${interviewKey}/screen/v0/seg_0.ts`;

    // Act
    const archived = await storeFor(interviewKey).put(key, Readable.from([]), {
      contentType: 'video/mp2t',
      sourceUrl: 'https://cdn.micro1.ai/x/seg_0.ts',
    });

    // Assess
    expect(archived).toMatchObject({ size: 0, sha256: sha256Of(Buffer.alloc(0)) });
    expect(await readObject(key)).toHaveLength(0);
  });

  it('answers archived() from the manifest: undefined before the put', async () => {
    // Act
    const archived = await storeFor(`int-${randomUUID()}`).archived('interviews/x/report.pdf');

    // Assess
    expect(archived).toBeUndefined();
    expect(commands()).toEqual([]);
  });

  it('rethrows the error of a body that fails mid-upload, aborts the upload, records nothing', async () => {
    // Prepare
    const interviewKey = `int-${randomUUID()}`;
    const key = `interviews/${interviewKey}/question_q2.mp3`;
    const cutOff = Object.assign(new Error('terminated'), { name: 'TypeError' });
    const store = storeFor(interviewKey);

    // Act
    const error = await store
      .put(key, failingStream(20 * MiB, cutOff), {
        contentType: 'audio/mpeg',
        sourceUrl: 'https://storage.round0.io/audio/def456.mp3',
      })
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBe(cutOff);
    expect(commands()).toContain('UploadPartCommand');
    expect(commands()).toContain('AbortMultipartUploadCommand');
    expect(commands()).not.toContain('CompleteMultipartUploadCommand');
    expect(await headObject(key)).toMatchObject({ name: 'NotFound' });
    expect(await store.archived(key)).toBeUndefined();
  });

  it('sends nothing for a body that fails within its first part', async () => {
    // Prepare
    const interviewKey = `int-${randomUUID()}`;
    const key = `interviews/${interviewKey}/report.pdf`;
    const cutOff = new Error('socket hang up');
    const store = storeFor(interviewKey);

    // Act
    const error = await store
      .put(key, failingStream(2 * MiB, cutOff), {
        contentType: 'application/pdf',
        sourceUrl: 'https://micro1.ai/report/x.pdf',
      })
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBe(cutOff);
    expect(commands()).toEqual([]);
    expect(await headObject(key)).toMatchObject({ name: 'NotFound' });
    expect(await store.archived(key)).toBeUndefined();
  });

  it('turns an S3 refusal into a permanent ArchiveStoreError and stops reading the body', async () => {
    // Prepare
    const interviewKey = `int-${randomUUID()}`;
    const body = streamOf(randomBytes(64 * 1024));
    const store = storeFor(interviewKey, { bucket: 'no-such-archive-bucket' });

    // Act
    const error = await store
      .put(`interviews/${interviewKey}/report.pdf`, body, {
        contentType: 'application/pdf',
        sourceUrl: 'https://micro1.ai/report/x.pdf',
      })
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ArchiveStoreError);
    expect(error).toBeInstanceOf(ArchiveError);
    expect(error).toMatchObject({
      name: 'ArchiveStoreError',
      transient: false,
      key: `interviews/${interviewKey}/report.pdf`,
      cause: expect.objectContaining({ name: 'NoSuchBucket' }),
    });
    expect(body.destroyed).toBe(true);
  });

  it.each([
    ['done, its answer lost: the resent copy met its own ETag', true, 'stored'],
    ['not done (another put replaced the object first)', false, 'refused'],
  ])(
    'reads the object’s label when its metadata copy fails PreconditionFailed: %s',
    async (_, copyLands, expected) => {
      // Prepare: a client whose CopyObject ends in 412, after the copy landed or without it
      const resent = new S3Client({
        endpoint: s3Endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
        forcePathStyle: true,
      });
      resent.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName !== 'CopyObjectCommand') return next(args);
          if (copyLands) await next(args);
          throw new S3ServiceException({
            name: 'PreconditionFailed',
            $fault: 'client',
            $metadata: { httpStatusCode: 412 },
            message: 'At least one of the pre-conditions you specified did not hold',
          });
        },
        { step: 'initialize', name: 'preconditionAfterCopy' },
      );
      const interviewKey = `int-${randomUUID()}`;
      const key = `interviews/${interviewKey}/screen/recording.mp4`;
      const source = randomBytes(9 * MiB);
      const store = createS3ArchiveStore({ s3: resent, bucket, manifest, vendor, interviewKey });

      try {
        // Act
        const outcome = await store
          .put(key, streamOf(source), { contentType: 'video/mp4', sourceUrl: 'https://micro1.ai/r.mp4' })
          .then(
            () => 'stored',
            (error: unknown) => (error instanceof ArchiveStoreError && error.transient ? 'refused' : error),
          );

        // Assess: stored and recorded only when the object holds these bytes, labelled
        expect(outcome).toBe(expected);
        expect((await store.archived(key))?.sha256).toBe(copyLands ? sha256Of(source) : undefined);
      } finally {
        resent.destroy();
      }
    },
  );

  it.each([
    ['a single PutObject', 64 * 1024],
    // Over the store's 8 MiB part: a multipart upload (a body within one part is a single PutObject)
    ['a multipart upload', 9 * MiB],
  ])(
    'stops %s that S3 leaves unanswered at the deadline: ArchiveTimeBudgetError, nothing recorded',
    async (_, size) => {
      // Prepare: an S3 endpoint that accepts connections and never answers (the SDK's timeouts are minutes)
      const sockets = new Set<Socket>();
      const silent = createServer((socket) => {
        sockets.add(socket);
        socket.on('error', () => undefined);
      });
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const address = silent.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      const stalled = new S3Client({
        endpoint: `http://127.0.0.1:${port}`,
        region: 'us-east-1',
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
        forcePathStyle: true,
      });
      const interviewKey = `int-${randomUUID()}`;
      const key = `interviews/${interviewKey}/question_q1.mp3`;
      const store = createS3ArchiveStore({
        s3: stalled,
        bucket,
        manifest,
        vendor,
        interviewKey,
        until: Date.now() + 500,
      });

      try {
        // Act
        const error = await store
          .put(key, streamOf(randomBytes(size)), {
            contentType: 'audio/mpeg',
            sourceUrl: 'https://storage.round0.io/audio/q1.mp3',
          })
          .catch((e: unknown) => e);

        // Assess: stopped as the invocation's time spent (a retry resumes), not left to run into Lambda's timeout
        expect(error).toBeInstanceOf(ArchiveTimeBudgetError);
        expect(error).toMatchObject({ transient: true, message: expect.stringMatching(/: stopped, /) });
        expect(await store.archived(key)).toBeUndefined();
      } finally {
        stalled.destroy();
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => silent.close(() => resolve()));
      }
    },
  );

  it('stops a metadata copy that S3 leaves unanswered at the deadline: ArchiveTimeBudgetError, nothing recorded', async () => {
    // Prepare: a proxy to s3rver that passes every request but holds a CopyObject (the upload's
    // metadata copy) unanswered, as a stalled S3 connection would
    const held = new Set<ServerResponse>();
    const proxy = createHttpServer((request, response) => {
      if (request.headers['x-amz-copy-source'] !== undefined) {
        held.add(response);
        request.resume();
        return;
      }
      const upstream = httpRequest(
        `${s3Endpoint}${request.url ?? '/'}`,
        { method: request.method, headers: request.headers },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      upstream.on('error', () => response.destroy());
      request.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const address = proxy.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const proxied = new S3Client({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      forcePathStyle: true,
    });
    const interviewKey = `int-${randomUUID()}`;
    const key = `interviews/${interviewKey}/screen/recording.mp4`;
    // A multipart upload (over the 8 MiB part), which the store then copies onto itself with its label.
    const source = randomBytes(9 * MiB);
    const until = Date.now() + 4000;
    const store = createS3ArchiveStore({ s3: proxied, bucket, manifest, vendor, interviewKey, until });

    try {
      // Act
      const error = await store
        .put(key, streamOf(source), { contentType: 'video/mp4', sourceUrl: 'https://micro1.ai/r.mp4' })
        .catch((e: unknown) => e);

      // Assess: the upload finished and the copy was sent, then stopped at the deadline (a retry uploads
      // again: the manifest has no entry), not left to S3's timeouts
      expect(held.size).toBe(1);
      expect(Date.now()).toBeGreaterThanOrEqual(until);
      expect(error).toBeInstanceOf(ArchiveTimeBudgetError);
      expect(error).toMatchObject({ transient: true, message: expect.stringMatching(/: stopped, /) });
      expect(await store.archived(key)).toBeUndefined();
      expect(sha256Of(await readObject(key))).toBe(sha256Of(source));
      expect(await headObject(key)).toMatchObject({ Metadata: {} });
    } finally {
      proxied.destroy();
      for (const response of held) response.destroy();
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });

  // A streaming check, not a benchmark: a 256 MB body must pass through far less memory than its size.
  // Parts in flight are bounded by queueSize (4 × 8 MiB, plus the part being gathered); s3rver runs in this
  // process too and streams parts to disk. The bound is half the body: a body buffered whole adds at least
  // its 256 MiB. The rest is GC timing in a shared jest worker, seen up to +107 MiB on a loaded CI run.
  it('streams a 256 MB body with RSS growth well below its size', async () => {
    // Prepare
    const interviewKey = `int-${randomUUID()}`;
    const key = `interviews/${interviewKey}/webcam/recording.mp4`;
    const totalBytes = 256 * MiB;
    const expected = createHash('sha256');
    const lazyBody = Readable.from(
      (function* () {
        for (let index = 0; index < totalBytes / MiB; index += 1) {
          const chunk = Buffer.alloc(MiB, index % 251);
          expected.update(chunk);
          yield chunk;
        }
      })(),
    );
    const store = storeFor(interviewKey);
    // A first multipart upload warms the process (sockets, SDK, allocator arenas): the baseline is then the
    // steady state, and the growth below is what the body's size adds, not what any first upload costs.
    await store.put(`interviews/${interviewKey}/warm-up.bin`, streamOf(Buffer.alloc(3 * 8 * MiB, 1)), {
      contentType: 'application/octet-stream',
      sourceUrl: 'https://cdn.micro1.ai/warm-up.bin',
    });
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);

    // Act
    let archived: Awaited<ReturnType<typeof store.put>>;
    try {
      archived = await store.put(key, lazyBody, {
        contentType: 'video/mp4',
        sourceUrl: 'https://cdn.micro1.ai/recording.mp4',
      });
    } finally {
      clearInterval(sampler);
    }

    // Assess
    const growthMiB = (peak - baseline) / MiB;
    process.stdout.write(
      `256 MB streamed: RSS ${Math.round(baseline / MiB)} MiB → peak ${Math.round(peak / MiB)} MiB (+${growthMiB.toFixed(1)} MiB)\n`,
    );
    expect(archived).toMatchObject({ size: totalBytes, sha256: expected.digest('hex') });
    expect(growthMiB).toBeLessThan(128);
  }, 180_000);
});
