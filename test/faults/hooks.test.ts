/**
 * The fault hooks the fault suite relies on: the S3 emulator stopped and started again on the same port
 * with its objects, a fake holding every matching request until released or hanging up on them, and the
 * arrival time of each request in a fake's log.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { resources } from '../../lib/resources.js';
import { type LocalEmulators, localAws, startEmulators } from '../../local/emulators.js';
import { type RunningFakeServer, startFakeServer } from '../../local/fakes/fake-server.js';
import { eventually } from '../integration/local/factories.js';

describe('the S3 emulator as an outage switch', () => {
  let emulators: LocalEmulators;
  let s3: S3Client;

  beforeAll(async () => {
    emulators = await startEmulators();
    s3 = new S3Client({
      region: localAws.region,
      endpoint: emulators.endpoints.s3,
      credentials: localAws.credentials,
      forcePathStyle: true,
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    s3.destroy();
    await emulators.close();
  });

  it('refuses connections while stopped and serves what it held once started again on the same port', async () => {
    // Prepare
    const bucket = resources.bucket.name;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'before.txt', Body: 'kept' }));

    // Act
    await emulators.s3Server.stop();
    const whileDown = await s3
      .send(new GetObjectCommand({ Bucket: bucket, Key: 'before.txt' }))
      .then(() => 'answered')
      .catch(() => 'failed');
    const connecting = await fetch(emulators.endpoints.s3).catch((error: unknown) => error);
    await emulators.s3Server.start();
    const after = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'before.txt' }));

    // Assess
    expect(whileDown).toBe('failed');
    expect((connecting as Error).cause).toMatchObject({ code: 'ECONNREFUSED' });
    expect(await after.Body?.transformToString()).toBe('kept');
  });
});

describe('holding every matching request', () => {
  let fake: RunningFakeServer;

  beforeEach(async () => {
    fake = await startFakeServer((_req, res) => {
      res.writeHead(200);
      res.end('ok');
    });
  });

  afterEach(async () => {
    await fake.close();
  });

  it('holds each matching request until released, then answers them all; others pass', async () => {
    // Prepare
    const hold = fake.faults.hold({ path: /^\/slow$/, every: true });

    // Act
    const held = [fetch(`${fake.url}/slow`), fetch(`${fake.url}/slow`)];
    const other = await fetch(`${fake.url}/fast`);
    await eventually(() => expect(hold.count).toBe(2));
    hold.release();
    const answers = await Promise.all(held);

    // Assess
    expect(other.status).toBe(200);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    expect((await fetch(`${fake.url}/slow`)).status).toBe(200);
    expect(hold.count).toBe(2);
  });

  it('hangs up on the held requests when aborted, and answers later ones', async () => {
    // Prepare
    const hold = fake.faults.hold({ path: /^\/slow$/, every: true });
    const held = fetch(`${fake.url}/slow`).catch((error: unknown) => error);
    await hold.reached;

    // Act
    hold.abort();

    // Assess
    expect(await held).toMatchObject({ name: 'TypeError', message: 'fetch failed' });
    expect((await fetch(`${fake.url}/slow`)).status).toBe(200);
  });

  it('stamps each logged request with its arrival time', async () => {
    // Act
    const before = Date.now();
    await fetch(`${fake.url}/a`);
    const after = Date.now();

    // Assess
    const [entry] = fake.log.entries;
    expect(entry?.at).toBeGreaterThanOrEqual(before);
    expect(entry?.at).toBeLessThanOrEqual(after);
  });
});
