/**
 * The ingest handler's edges that the emulators cannot produce: SQS and S3 faults, and what reaches the
 * logs. The happy path runs for real against the emulators in test/e2e.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand, type SendMessageCommandInput } from '@aws-sdk/client-sqs';
import fc from 'fast-check';
import { generateWebhookToken } from '../../../functions/vendors/index.js';
import { captureOutput } from '../../helpers/captured-output.js';
import { fixture } from '../../helpers/fixtures.js';
import { micro1Request, round0Request } from '../../helpers/signed-requests.js';
import { httpApiEvent, micro1Event, onDefaultRoute, round0Event } from './http-api-events.js';
import { invoke, micro1Token, s3Mock, secret, sqsMock, withoutLogs } from './ingest-harness.js';

/** A ROUND0 delivery on the $default stage, as API Gateway sends it. */
const apiEvent = (request: ReturnType<typeof round0Request>, base64 = false) =>
  round0Event(request, { isBase64Encoded: base64 });

beforeEach(() => {
  sqsMock.reset();
  s3Mock.reset();
});

describe('ingest handler', () => {
  it('answers 202 only after SendMessage, with the dedupe key as id', async () => {
    // Prepare
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });

    // Act
    const result = await invoke(
      apiEvent(round0Request(fixture('round0', 'interview_started').raw, { secret })),
    );

    // Assess
    expect(result.statusCode).toBe(202);
    expect(JSON.parse(result.body)).toEqual({
      received: true,
      id: 'round0:evt_550e8400e29b41d4a716446655440000',
    });
    const sent = sqsMock.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(JSON.parse(sent?.MessageBody ?? '{}')).toMatchObject({
      kind: 'event',
      event: { type: 'interview_started' },
    });
    expect(sent?.MessageAttributes?.vendor?.StringValue).toBe('round0');
  });

  it("sends the raw delivery in the message and writes nothing to S3 (the raw event store is the worker's)", async () => {
    // Prepare
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    s3Mock.on(PutObjectCommand).resolves({});
    const request = round0Request(fixture('round0', 'interview_started').raw, { secret });

    // Act
    const result = await invoke(apiEvent(request));

    // Assess
    expect(result.statusCode).toBe(202);
    expect(s3Mock.commandCalls(PutObjectCommand)).toEqual([]);
    const sent = sqsMock.commandCalls(SendMessageCommand)[0]?.args[0].input;
    const message = JSON.parse(sent?.MessageBody ?? '{}');
    expect(Buffer.from(message.raw.bodyBase64, 'base64').equals(request.rawBody)).toBe(true);
    // The kept headers, nothing else (the API Gateway event also carries host, content-length, …).
    expect(Object.keys(message.raw.headers).sort()).toEqual([
      'content-type',
      'user-agent',
      'x-webhook-signature',
    ]);
    expect(message.raw.headers['x-webhook-signature']).toBe(request.headers['x-webhook-signature']);
  });

  it('verifies a base64-encoded body on its decoded bytes', async () => {
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-2' });
    const result = await invoke(
      apiEvent(round0Request(fixture('round0', 'interview_started').raw, { secret }), true),
    );
    expect(result.statusCode).toBe(202);
  });

  it('answers 202 to a genuine ROUND0 signature beside parts of the header it cannot read', async () => {
    // Prepare
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-3' });
    const request = round0Request(fixture('round0', 'interview_started').raw, { secret });
    const now = Math.floor(Date.now() / 1000);
    const signature = request.headers['x-webhook-signature'];
    const header = `abc,${signature},t=${now},v1=abcd,t=${now}000,v1=${'a'.repeat(64)}`;

    // Act
    const result = await invoke(
      apiEvent({ ...request, headers: { ...request.headers, 'x-webhook-signature': header } }),
    );

    // Assess
    expect(result.statusCode).toBe(202);
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(1);
  });

  it('answers 503 with Retry-After when SQS throttles, so the vendor retries', async () => {
    // Prepare
    sqsMock
      .on(SendMessageCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    // Act
    const { result, stdout, stderr } = await captureOutput(() =>
      invoke(apiEvent(round0Request(fixture('round0', 'interview_started').raw, { secret }))),
    );

    // Assess: the log says what failed underneath (class and SQS's code) and after how long.
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['content-type']).toBe('application/problem+json');
    expect(result.headers?.['retry-after']).toBeDefined();
    const line = `${stdout}${stderr}`
      .split('\n')
      .filter((text) => text.startsWith('{'))
      .map((text) => JSON.parse(text) as Record<string, unknown>)
      .find((entry) => entry.message === 'webhook not queued');
    expect(line).toMatchObject({
      error: 'QueueUnavailableError',
      underlying: 'MessageSendError',
      underlyingCode: 'ThrottlingException',
      elapsedMs: expect.any(Number),
    });
  });

  it('queues an event whose text holds characters SQS refuses raw (U+FFFF, control characters in ids)', async () => {
    // Prepare: SQS refuses a body or attribute with a character outside its set (InvalidMessageContents)
    const refused = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
    sqsMock.on(SendMessageCommand).callsFake((input: SendMessageCommandInput) => {
      const texts = [
        input.MessageBody ?? '',
        ...Object.values(input.MessageAttributes ?? {}).map((a) => a.StringValue ?? ''),
      ];
      if (texts.some((text) => refused.test(text))) {
        throw Object.assign(new Error('Invalid characters found.'), { name: 'InvalidMessageContents' });
      }
      return { MessageId: 'm-4' };
    });
    const body = JSON.parse(fixture('round0', 'interview_started').raw) as {
      id: string;
      data: { candidate: { name: string } };
    };
    body.id = 'evt_\u0007bell';
    body.data.candidate.name = 'A\uFFFFB \uFFFE';
    const request = round0Request(JSON.stringify(body), { secret });

    // Act
    const result = await invoke(apiEvent(request));

    // Assess
    expect(result.statusCode).toBe(202);
    const sent = sqsMock.commandCalls(SendMessageCommand)[0]?.args[0].input;
    const message = JSON.parse(sent?.MessageBody ?? '{}');
    expect(message.event.candidate.name).toBe('A\uFFFFB \uFFFE');
    expect(message.event.dedupeKey).toBe('round0:evt_\u0007bell');
    expect(sent?.MessageAttributes?.dedupeKey?.StringValue).toBe('round0:evt_\uFFFDbell');
  });

  it('puts an envelope larger than an SQS message in S3 and queues a pointer (claim check)', async () => {
    // Prepare: interview_ended is > 4 KB with its raw delivery (SQS_MAX_MESSAGE_BYTES=4096 in the harness)
    s3Mock.on(PutObjectCommand).resolves({});
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-3' });

    // Act
    const result = await invoke(
      apiEvent(round0Request(fixture('round0', 'interview_ended').raw, { secret })),
    );

    // Assess
    expect(result.statusCode).toBe(202);
    const [put, ...more] = s3Mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    expect(more).toEqual([]);
    expect(put?.Key).toMatch(/^claim-checks\//);
    // The whole message: the envelope and the raw delivery that travels with it.
    expect(JSON.parse(String(put?.Body))).toMatchObject({
      kind: 'event',
      event: { dedupeKey: 'round0:evt_660f9511f30c52e5b827557766551111' },
      raw: { bodyBase64: expect.any(String) },
    });
    const message = JSON.parse(
      sqsMock.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageBody ?? '{}',
    );
    expect(message).toMatchObject({ kind: 'claim-check', bucket: 'claims', key: put?.Key });
  });

  it('answers 503 and queues nothing when the claim-check bucket fails', async () => {
    s3Mock.on(PutObjectCommand).rejects(new Error('SlowDown'));
    const result = await invoke(
      apiEvent(round0Request(fixture('round0', 'interview_ended').raw, { secret })),
    );
    expect(result.statusCode).toBe(503);
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('logs no candidate PII, transcript or secret', async () => {
    // Prepare
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-4' });
    s3Mock.on(PutObjectCommand).resolves({});

    // Act
    const { stdout, stderr } = await captureOutput(async () => {
      await invoke(apiEvent(round0Request(fixture('round0', 'interview_ended').raw, { secret })));
      await invoke(
        apiEvent(round0Request(fixture('round0', 'interview_ended').raw, { secret: 'wrong-secret' })),
      );
      await invoke(
        micro1Event(
          micro1Request(fixture('micro1', 'interview_report.created').raw, micro1Token),
          micro1Token,
        ),
      );
    });

    // Assess
    const logs = `${stdout}${stderr}`;
    expect(logs).toContain('webhook accepted');
    expect(logs).toContain('webhook refused');
    for (const forbidden of [
      'jane@example.com',
      'Jane Smith',
      'React hooks extensively',
      secret,
      micro1Token,
    ]) {
      expect(logs).not.toContain(forbidden);
    }
  });

  it('queues a test delivery flagged `test`, answers 202 with `test: true` and logs it by vendor and type only', async () => {
    // Prepare
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-5' });
    s3Mock.on(PutObjectCommand).resolves({});

    // Act
    const { result, stdout } = await captureOutput(() =>
      invoke(apiEvent(round0Request(fixture('round0', 'test_interview_ended').raw, { secret }))),
    );

    // Assess
    expect(result.statusCode).toBe(202);
    expect(JSON.parse(result.body)).toEqual({ received: true, id: 'round0:evt_test_123456789', test: true });
    const sent = sqsMock.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(JSON.parse(sent?.MessageBody ?? '{}')).toMatchObject({ kind: 'event', event: { test: true } });
    const entries = stdout.split('\n').filter((line) => line.includes('"message"'));
    const received = entries
      .map((line) => JSON.parse(line))
      .filter((e) => e.message === 'test delivery received');
    expect(received).toEqual([expect.objectContaining({ vendor: 'round0', eventType: 'interview_ended' })]);
    expect(entries.join('\n')).not.toContain('webhook accepted');
    for (const forbidden of ['test@example.com', 'Test Candidate', 'This is a test response']) {
      expect(stdout).not.toContain(forbidden);
    }
  });
});

/** Percent sequences `decodeURIComponent` refuses, and characters that mean something in a path. */
const badEscapes = ['%', '%A', '%ZZ', '%E0%A4%A', '%C3', '%ED%A0%80', '%C0%AF', '%FF', '%%'] as const;

/** A token segment made of bad escapes, path syntax, arbitrary text and the valid token itself. */
const hostileSegment = fc
  .array(
    fc.oneof(
      fc.constantFrom(...badEscapes, '%25', '%2F', '%00', '..', '/', '?', '#', ' ', '+'),
      fc.string({ maxLength: 8 }),
      fc.constant(micro1Token),
    ),
    { minLength: 1, maxLength: 6 },
  )
  .map((parts) => parts.join(''));

/** A whole path that may or may not look like a webhook route, with a stage / base path or none. */
const hostilePath = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('', '/prod', '/v1', '/%E0', '/%'),
      fc.constantFrom('/webhooks/micro1/', '/webhooks/round0/', '/webhooks/', '/webhooks/%6Dicro1/', '/'),
      hostileSegment,
    )
    .map((parts) => parts.join('')),
  fc.string().map((text) => `/${text}`),
);

describe('ingest handler, hostile paths', () => {
  const body = Buffer.from('{}');
  const wrongTokenRefusal = () =>
    invoke(micro1Event(micro1Request('{}', generateWebhookToken()), generateWebhookToken()));

  it.each([
    ['an incomplete escape', '%E0%A4%A'],
    ['a valid token followed by a lone %', `${micro1Token}%`],
    ['a lone % before a valid token', `%${micro1Token}`],
    ['an encoded UTF-16 surrogate', '%ED%A0%80'],
    ['a non-hex escape', '%ZZ'],
  ])(
    'answers a micro1 token segment with %s with the 401 of every other authentication failure',
    async (_, segment) => {
      // Prepare
      const expected = await withoutLogs(wrongTokenRefusal);
      const deliveries = [
        micro1Event(micro1Request('{}', segment), segment),
        onDefaultRoute(micro1Event(micro1Request('{}', segment), segment)),
      ];

      // Act
      const results = await withoutLogs(() => Promise.all(deliveries.map(invoke)));

      // Assess
      expect(expected.statusCode).toBe(401);
      for (const result of results) {
        expect(result.statusCode).toBe(401);
        expect(result.headers).toEqual(expected.headers);
        expect(result.body).toBe(expected.body);
      }
    },
  );

  it('never answers 5xx to a hostile path or token, only a 4xx problem (fuzz)', async () => {
    // Prepare: the token route as API Gateway routes it, and any path on a catch-all route
    const deliveries = fc.oneof(
      hostileSegment.map((segment) =>
        httpApiEvent({
          routeKey: 'POST /webhooks/micro1/{token}',
          path: `/webhooks/micro1/${segment}`,
          pathParameters: { token: segment },
          body,
        }),
      ),
      hostilePath.map((path) => httpApiEvent({ routeKey: '$default', path, body })),
    );

    // Act & Assess
    await withoutLogs(() =>
      fc.assert(
        fc.asyncProperty(deliveries, async (event) => {
          const result = await invoke(event);
          expect(result.statusCode).toBeGreaterThanOrEqual(400);
          expect(result.statusCode).toBeLessThan(500);
          expect(result.headers?.['content-type']).toBe('application/problem+json');
          expect(JSON.parse(result.body)).toMatchObject({ status: result.statusCode });
        }),
        { numRuns: 300 },
      ),
    );
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(0);
  });
});
