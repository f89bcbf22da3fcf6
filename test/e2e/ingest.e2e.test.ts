/**
 * The front door end to end: real HTTP through the local API Gateway into the ingest handler, onto the
 * SQS emulator (and S3 for claim checks). The worker is off so each test counts exactly what it queued.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { envNames } from '../../functions/platform/env.js';
import { signRound0Payload } from '../../functions/vendors/index.js';
import { resources } from '../../lib/resources.js';
import { silentLog } from '../../local/log.js';
import { type LocalPipeline, startLocalPipeline } from '../../local/runtime.js';
import { sendEvent } from '../../local/send.js';
import { drainQueue, envelopeOf, type Fixture, loadFixtures, round0BodyOfSize, s3For } from './helpers.js';

/** Low limits so the size paths are reachable with small bodies; every fixture is below both. */
const maxBodyBytes = 32 * 1024;
const sqsMaxMessageBytes = 8 * 1024;

const fixtures = await loadFixtures();
const fixture = (vendor: string, name: string): Fixture => {
  const found = fixtures.find((candidate) => candidate.vendor === vendor && candidate.name === name);
  if (!found) throw new Error(`fixture ${vendor}/${name} is missing`);
  return found;
};
const round0Ended = fixture('round0', 'interview_ended');
const micro1Created = fixture('micro1', 'applicant.created');

let pipeline: LocalPipeline;
let s3: S3Client;
let tempDir: string;

beforeAll(async () => {
  tempDir = await mkdtemp(join(tmpdir(), 'ingest-e2e-'));
  pipeline = await startLocalPipeline({
    secretsFile: join(tempDir, 'secrets.local.json'),
    startWorker: false,
    log: silentLog,
    env: {
      [envNames.maxBodyBytes]: String(maxBodyBytes),
      [envNames.sqsMaxMessageBytes]: String(sqsMaxMessageBytes),
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
    },
  });
  s3 = s3For(pipeline);
});

afterAll(async () => {
  s3?.destroy();
  await pipeline?.stop();
  await rm(tempDir, { recursive: true, force: true });
});

afterEach(async () => {
  await drainQueue(pipeline.sqs, pipeline.queueUrls.events);
});

const queued = () => drainQueue(pipeline.sqs, pipeline.queueUrls.events);

/** Sends as the vendor would, with the local secrets; `overrides` breaks one part of it. */
const deliver = (
  vendor: 'round0' | 'micro1',
  body: string | Buffer,
  overrides: { secret?: string | null; token?: string; timestamp?: number } = {},
) =>
  sendEvent({
    vendor,
    body,
    baseUrl: pipeline.url,
    secret:
      overrides.secret === null
        ? undefined
        : (overrides.secret ?? pipeline.secrets.webhook.round0SigningSecrets[0]),
    token: overrides.token ?? pipeline.secrets.webhook.micro1Tokens[0],
    timestamp: overrides.timestamp,
  });

/**
 * POSTs a ROUND0 body with one `X-Webhook-Signature` header per signature: node:http sends each as its own
 * header line (fetch would merge them itself), so the local gateway joins them as API Gateway does.
 */
const deliverWithSignatures = (body: Buffer, signatures: readonly string[]) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(`${pipeline.url}/webhooks/round0`, { method: 'POST' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.setHeader('content-type', 'application/json');
    for (const signature of signatures) req.appendHeader('x-webhook-signature', signature);
    req.on('error', reject);
    req.end(body);
  });

/** The parts of a problem body that must not vary with the cause (requestId does). */
const problemWithoutRequestId = (body: string) => {
  const { requestId: _requestId, ...problem } = JSON.parse(body) as Record<string, unknown>;
  return problem;
};

describe('ingest end to end (local pipeline)', () => {
  it('listens on the advertised webhook URLs', () => {
    // Assess
    expect(pipeline.webhookUrls.round0).toBe(`${pipeline.url}/webhooks/round0`);
    expect(pipeline.webhookUrls.micro1).toBe(
      `${pipeline.url}/webhooks/micro1/${pipeline.secrets.webhook.micro1Tokens[0]}`,
    );
  });

  it.each(fixtures.map((sample) => [`${sample.vendor}/${sample.name}`, sample] as const))(
    'accepts %s with 202 and queues exactly one envelope of it',
    async (_, sample) => {
      // Act
      const response = await deliver(sample.vendor, sample.raw);
      const messages = await queued();

      // Assess
      expect(response.status).toBe(202);
      expect(messages).toHaveLength(1);
      const [{ message, attributes }] = messages as [(typeof messages)[number]];
      expect(message.kind).toBe('event');
      const envelope = await envelopeOf(message, s3);
      expect(envelope).toMatchObject({
        schemaVersion: 1,
        vendor: sample.vendor,
        type: (sample.json.type ?? sample.json.event) as string,
        known: true,
        payload: sample.json,
      });
      expect(attributes.vendor).toBe(sample.vendor);
      expect(JSON.parse(response.body)).toMatchObject({ id: envelope.dedupeKey });
    },
  );

  it('accepts the micro1 URL printed by the runtime as is', async () => {
    // Act
    const response = await sendEvent({
      vendor: 'micro1',
      body: micro1Created.raw,
      baseUrl: pipeline.webhookUrls.micro1,
    });

    // Assess
    expect(response.status).toBe(202);
    expect(await queued()).toHaveLength(1);
  });

  it('refuses ROUND0 deliveries that fail authentication with one 401 problem, whatever failed', async () => {
    // Act
    const responses = {
      wrongSecret: await deliver('round0', round0Ended.raw, { secret: 'whsec_not_the_configured_secret' }),
      staleTimestamp: await deliver('round0', round0Ended.raw, {
        timestamp: Math.floor(Date.now() / 1000) - 3600,
      }),
      missingHeader: await deliver('round0', round0Ended.raw, { secret: null }),
    };

    // Assess
    const bodies = Object.values(responses).map((response) => problemWithoutRequestId(response.body));
    for (const response of Object.values(responses)) {
      expect(response.status).toBe(401);
      expect(response.headers['content-type']).toBe('application/problem+json');
    }
    expect(bodies[0]).toMatchObject({ status: 401 });
    expect(new Set(bodies.map((body) => JSON.stringify(body))).size).toBe(1);
    expect(JSON.stringify(bodies[0])).not.toMatch(/timestamp|signature|secret|header/i);
    expect(await queued()).toEqual([]);
  });

  it.each([
    ['accepts', 'one of them verifies', [undefined, 'whsec_not_the_configured_secret'], 202, 1],
    ['refuses', 'none verifies', ['whsec_not_the_configured_secret', 'whsec_nor_this_one'], 401, 0],
  ] as const)(
    '%s a ROUND0 delivery with a repeated signature header when %s',
    async (_, _when, keys, status, queuedCount) => {
      // Prepare
      const now = Math.floor(Date.now() / 1000);
      const signatures = keys.map((key) =>
        signRound0Payload(
          round0Ended.raw,
          key ?? pipeline.secrets.webhook.round0SigningSecrets[0] ?? '',
          now,
        ),
      );

      // Act
      const response = await deliverWithSignatures(round0Ended.raw, signatures);

      // Assess
      expect(response.status).toBe(status);
      expect(await queued()).toHaveLength(queuedCount);
    },
  );

  it('refuses a micro1 delivery with a wrong token with the same 401 problem', async () => {
    // Prepare
    const round0Refusal = await deliver('round0', round0Ended.raw, { secret: null });

    // Act
    const response = await deliver('micro1', micro1Created.raw, { token: 'x'.repeat(43) });

    // Assess
    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(problemWithoutRequestId(response.body)).toEqual(problemWithoutRequestId(round0Refusal.body));
    expect(await queued()).toEqual([]);
  });

  it.each([
    ['an incomplete percent-escape', () => '%E0%A4%A'],
    ['the valid token followed by a lone %', () => `${pipeline.secrets.webhook.micro1Tokens[0]}%`],
  ])('refuses a micro1 token segment with %s with the same 401 problem', async (_, segment) => {
    // Prepare
    const round0Refusal = await deliver('round0', round0Ended.raw, { secret: null });

    // Act: the segment goes on the wire as is (a full URL is not re-encoded by sendEvent)
    const response = await sendEvent({
      vendor: 'micro1',
      body: micro1Created.raw,
      baseUrl: `${pipeline.url}/webhooks/micro1/${segment()}`,
    });

    // Assess
    expect(response.url).toContain(segment());
    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(problemWithoutRequestId(response.body)).toEqual(problemWithoutRequestId(round0Refusal.body));
    expect(await queued()).toEqual([]);
  });

  it.each([
    ['round0', '{"id":"evt_1","type":'],
    ['micro1', '{"event": "applicant.created", "data": '],
    ['micro1', 'not json at all'],
  ] as const)('answers %s malformed JSON %j with 400 and queues nothing', async (vendor, body) => {
    // Act
    const response = await deliver(vendor, body);

    // Assess
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(await queued()).toEqual([]);
  });

  it('answers a schema violation with 400 naming the failing path, and queues nothing', async () => {
    // Prepare
    const data = round0Ended.json.data as { responses: Record<string, unknown>[] };
    const [first, ...rest] = data.responses;
    const body = JSON.stringify({
      ...round0Ended.json,
      data: { ...data, responses: [{ ...first, score: 'excellent' }, ...rest] },
    });

    // Act
    const response = await deliver('round0', body);

    // Assess
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json');
    const problem = JSON.parse(response.body) as { detail: string; errors: { path: string }[] };
    expect(problem.errors.map((issue) => issue.path)).toContain('data.responses.0.score');
    expect(problem.detail).toContain('data.responses.0.score');
    expect(await queued()).toEqual([]);
  });

  it('answers a body over MAX_BODY_BYTES with 413 and queues nothing', async () => {
    // Prepare
    const body = round0BodyOfSize(round0Ended, maxBodyBytes + 1024);

    // Act
    const response = await deliver('round0', body);

    // Assess
    expect(Buffer.byteLength(body)).toBeGreaterThan(maxBodyBytes);
    expect(response.status).toBe(413);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(await queued()).toEqual([]);
  });

  it.each(['/webhooks/greenhouse', '/webhooks/round0/extra', '/webhooks/micro1', '/nowhere'])(
    'answers POST %s with the ingest’s 404 problem (the $default route) and queues nothing',
    async (path) => {
      // Act
      const response = await sendEvent({
        vendor: 'round0',
        body: round0Ended.raw,
        baseUrl: `${pipeline.url}${path}`,
        secret: pipeline.secrets.webhook.round0SigningSecrets[0],
      });

      // Assess: the ingest's problem, which names what is wrong (not the gateway's bare one)
      expect(response.status).toBe(404);
      expect(response.headers['content-type']).toBe('application/problem+json');
      expect(JSON.parse(response.body)).toMatchObject({
        type: 'https://github.com/interview-sync/problems#not-found',
        detail: 'no webhook route at this path',
      });
      expect(await queued()).toEqual([]);
    },
  );

  it.each([
    ['GET', '/webhooks/round0'],
    ['PUT', '/webhooks/micro1/some-token'],
  ])(
    'answers %s %s with the ingest’s 405 problem, allowing POST, and queues nothing',
    async (method, path) => {
      // Act
      const response = await fetch(`${pipeline.url}${path}`, {
        method,
        ...(method === 'GET' ? {} : { body: '{}', headers: { 'content-type': 'application/json' } }),
      });

      // Assess
      expect(response.status).toBe(405);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.headers.get('allow')).toBe('POST');
      expect(await response.json()).toMatchObject({
        type: 'https://github.com/interview-sync/problems#method-not-allowed',
      });
      expect(await queued()).toEqual([]);
    },
  );

  it.each([
    ['round0', () => JSON.stringify({ ...round0Ended.json, id: 'evt_new_kind', type: 'interview_paused' })],
    ['micro1', () => JSON.stringify({ ...micro1Created.json, event: 'applicant.archived' })],
  ] as const)(
    'queues an authenticated %s event of an unknown type with known: false',
    async (vendor, body) => {
      // Act
      const response = await deliver(vendor, body());
      const messages = await queued();

      // Assess
      expect(response.status).toBe(202);
      expect(messages).toHaveLength(1);
      const envelope = await envelopeOf((messages[0] as (typeof messages)[number]).message, s3);
      expect(envelope).toMatchObject({ vendor, known: false, payload: JSON.parse(body()) });
    },
  );

  it('queues a claim check pointing at the envelope in S3 when it exceeds an SQS message', async () => {
    // Prepare
    const body = round0BodyOfSize(round0Ended, sqsMaxMessageBytes * 2);

    // Act
    const response = await deliver('round0', body);
    const messages = await queued();

    // Assess
    expect(Buffer.byteLength(body)).toBeLessThan(maxBodyBytes);
    expect(response.status).toBe(202);
    expect(messages).toHaveLength(1);
    const { message } = messages[0] as (typeof messages)[number];
    expect(message).toMatchObject({
      kind: 'claim-check',
      bucket: resources.bucket.name,
      key: expect.stringMatching(/^claim-checks\//),
      vendor: 'round0',
      type: 'interview_ended',
    });
    const envelope = await envelopeOf(message, s3);
    expect(envelope).toMatchObject({ vendor: 'round0', type: 'interview_ended', payload: JSON.parse(body) });
    expect(message.kind === 'claim-check' && message.dedupeKey).toBe(envelope.dedupeKey);
  });
});
