/**
 * The archive's S3 limits (`archiveS3Timeouts`, functions/platform/clients.ts) against a local endpoint: the
 * limit is on silence, not on a request's length. A copy whose answer keeps arriving for longer than the
 * limit (S3 may answer a large copy 200 and finish it while the connection stays open) succeeds; a request
 * left without a byte for the limit fails after the SDK's attempts, instead of holding the archive until its
 * 15-minute Lambda timeout. The limit is shortened here (the same settings otherwise) so the test runs in
 * seconds.
 */
import { createServer, type Socket } from 'node:net';
import { CopyObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { archiveS3Timeouts } from '../../../functions/platform/clients.js';
import { resources } from '../../../lib/resources.js';

// A second of silence ends a request; the trickle below sends a byte every tenth of it, so a loaded CI
// machine (timers seen 2-5x late) still never leaves the limit silent.
const idleMs = 1_000;
type Answer = 'trickle' | 'headers-then-silence' | 'never';
let answer: Answer = 'never';
const sockets: Socket[] = [];
let requests = 0;

const copyResult =
  '<?xml version="1.0" encoding="UTF-8"?>\n<CopyObjectResult><LastModified>2026-12-04T08:00:00.000Z</LastModified><ETag>"abc"</ETag></CopyObjectResult>';

const server = createServer((socket) => {
  sockets.push(socket);
  socket.on('error', () => {}); // the client resets a connection it timed out: expected here, not a failure
  socket.once('data', () => {
    requests += 1;
    if (answer === 'never') return; // read the request, never answer
    socket.write(
      'HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n',
    );
    if (answer === 'headers-then-silence') return;
    // A byte of whitespace every idleMs / 10 for 2.5 × idleMs, then the result: a request longer than the
    // limit, never silent for it.
    let sent = 0;
    const timer = setInterval(() => {
      if (socket.destroyed) return clearInterval(timer);
      if (sent++ < 25) return void socket.write('1\r\n \r\n');
      clearInterval(timer);
      socket.end(`${Buffer.byteLength(copyResult).toString(16)}\r\n${copyResult}\r\n0\r\n\r\n`);
    }, idleMs / 10);
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as { port: number };

const s3 = new S3Client({
  region: 'us-east-1',
  endpoint: `http://127.0.0.1:${port}`,
  forcePathStyle: true,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  requestHandler: { ...archiveS3Timeouts, socketTimeout: idleMs },
});
const copy = new CopyObjectCommand({
  Bucket: 'media',
  Key: 'interviews/i/screen.m4a',
  CopySource: 'media/interviews/i/screen.m4a',
  MetadataDirective: 'REPLACE',
});

beforeEach(() => {
  requests = 0;
});

afterAll(async () => {
  s3.destroy();
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('the archive’s S3 client limits', () => {
  it('lets a copy whose answer keeps arriving run past the idle limit', async () => {
    // Prepare
    answer = 'trickle';
    const startedAt = Date.now();

    // Act
    const output = await s3.send(copy);

    // Assess
    expect(output.CopyObjectResult?.ETag).toBe('"abc"');
    expect(Date.now() - startedAt).toBeGreaterThan(2 * idleMs);
    expect(requests).toBe(1);
  }, 20_000);

  it('ends a copy whose answer goes silent after its headers, after the SDK’s attempts', async () => {
    // Prepare
    answer = 'headers-then-silence';
    const startedAt = Date.now();

    // Act
    const error = await s3.send(copy).catch((e: unknown) => e);

    // Assess
    expect((error as Error).name).toBe('TimeoutError');
    expect(requests).toBe(3);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(3 * idleMs);
  }, 20_000);

  it('ends a PUT that is never answered, after the SDK’s attempts', async () => {
    // Prepare
    answer = 'never';

    // Act
    const error = await s3
      .send(new PutObjectCommand({ Bucket: 'media', Key: 'interviews/i/report.pdf', Body: '%PDF-1.7' }))
      .catch((e: unknown) => e);

    // Assess
    expect((error as Error).name).toBe('TimeoutError');
    expect(requests).toBe(3);
  }, 20_000);

  it('gives up on a silent connection long before the archive’s Lambda timeout', () => {
    // Assess: three attempts, each idle for the whole limit, leave most of the 15 minutes
    expect(3 * archiveS3Timeouts.socketTimeout).toBeLessThanOrEqual(
      (resources.archive.timeoutSeconds * 1_000) / 2,
    );
  });
});
