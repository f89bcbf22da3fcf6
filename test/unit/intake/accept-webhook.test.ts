import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { acceptWebhook } from '../../../functions/intake/accept-webhook.js';
import {
  InvalidEventError,
  MalformedJsonError,
  PayloadTooLargeError,
  WebhookAuthenticationError,
} from '../../../functions/intake/errors.js';
import { problemFor } from '../../../functions/intake/http-problem.js';
import { SecretUnavailableError } from '../../../functions/platform/errors.js';
import { createSecretReader, ingestFreshEnoughMs } from '../../../functions/platform/secrets.js';
import { webhookSecretsSchema } from '../../../functions/platform/secrets-shape.js';
import { QueueUnavailableError } from '../../../functions/queue/errors.js';
import { type RawEvent, rawEventOf } from '../../../functions/queue/raw-events.js';
import type { InterviewEvent, RawDelivery } from '../../../functions/vendors/envelope.js';
import { generateWebhookToken, signRound0Payload } from '../../../functions/vendors/index.js';
import { envelopeOfRaw } from '../../../local/ops/raw-store.js';
import { fixture, loadFixtures } from '../../helpers/fixtures.js';
import { micro1Request, round0Request } from '../../helpers/signed-requests.js';

const round0Secret = 'round0-test-secret';
const micro1Token = generateWebhookToken();

/**
 * Dependencies with an in-memory queue that records what it was given: each envelope, and the raw event the
 * worker will store from the raw delivery that travels with it.
 */
const makeDeps = (overrides: { publish?: (e: InterviewEvent) => Promise<never> } = {}) => {
  const published: InterviewEvent[] = [];
  const stored: RawEvent[] = [];
  return {
    published,
    stored,
    deps: {
      readWebhookSecrets: async () => ({ round0SigningSecrets: [round0Secret], micro1Tokens: [micro1Token] }),
      publish:
        overrides.publish ??
        (async (event: InterviewEvent, raw: RawDelivery) => {
          published.push(event);
          stored.push(rawEventOf(event, raw));
          return { messageId: `m-${published.length}`, claimCheck: false };
        }),
      maxBodyBytes: 64 * 1024,
      signatureToleranceSeconds: 300,
    },
  };
};

describe('acceptWebhook', () => {
  it.each(loadFixtures().map((f) => [f.vendor, f.name, f] as const))(
    'queues the %s %s sample',
    async (vendor, _name, f) => {
      // Prepare
      const { deps, published } = makeDeps();
      const request = vendor === 'round0' ? round0Request(f.raw) : micro1Request(f.raw, micro1Token);

      // Act
      const accepted = await acceptWebhook(request, deps);

      // Assess
      expect(published).toHaveLength(1);
      expect(published[0]).toBe(accepted.event);
      expect(accepted.event).toMatchObject({ vendor, type: f.name.replace(/^test_/, ''), known: true });
    },
  );

  it('sends the accepted delivery with its envelope for the raw event store: exact bytes, kept headers only', async () => {
    // Prepare: bytes that are not valid UTF-8 inside a JSON string, and headers that must not be kept
    const raw = Buffer.concat([
      Buffer.from(fixture('round0', 'interview_started').raw.replace(/}\s*$/, ',"x":"')),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}'),
    ]);
    const now = new Date('2026-03-04T05:06:07.000Z');
    const signature = signRound0Payload(raw, round0Secret, Math.floor(now.getTime() / 1000));
    const { deps, stored } = makeDeps();
    const request = {
      path: '/webhooks/round0',
      headers: {
        'content-type': 'application/json',
        'x-webhook-signature': signature,
        authorization: 'Bearer something',
        'x-forwarded-for': '203.0.113.7',
        'user-agent': 'ROUND0-Webhooks/1.0',
      },
      rawBody: raw,
    };

    // Act
    const accepted = await acceptWebhook(request, { ...deps, now: () => now });

    // Assess
    expect(stored).toEqual([
      {
        schemaVersion: 1,
        vendor: 'round0',
        type: 'interview_started',
        dedupeKey: accepted.event.dedupeKey,
        receivedAt: '2026-03-04T05:06:07.000Z',
        headers: {
          'content-type': 'application/json',
          'x-webhook-signature': signature,
          'user-agent': 'ROUND0-Webhooks/1.0',
        },
        bodyBase64: raw.toString('base64'),
      },
    ]);
    expect(Buffer.from(stored[0]?.bodyBase64 ?? '', 'base64').equals(raw)).toBe(true);
  });

  it('refuses a ROUND0 body signed with another secret, without queueing or keeping it', async () => {
    // Prepare
    const { deps, published, stored } = makeDeps();
    const request = round0Request(fixture('round0', 'interview_ended').raw, { secret: 'another-secret' });

    // Act & Assess
    await expect(acceptWebhook(request, deps)).rejects.toBeInstanceOf(WebhookAuthenticationError);
    expect(published).toHaveLength(0);
    expect(stored).toHaveLength(0);
  });

  it('reads the secrets again once before refusing, so a secret rolled at the vendor is accepted at once', async () => {
    // Prepare: this container cached the secrets before ROUND0 was switched to a new one
    const { deps, published } = makeDeps();
    const reads: Array<boolean | undefined> = [];
    const rotated = { round0SigningSecrets: ['rolled-secret-0123'], micro1Tokens: [micro1Token] };
    const stale = await deps.readWebhookSecrets();
    const withRotation = {
      ...deps,
      readWebhookSecrets: async (options?: { readonly fresh?: boolean }) => {
        reads.push(options?.fresh);
        return options?.fresh ? rotated : stale;
      },
    };
    const genuine = round0Request(fixture('round0', 'interview_ended').raw, { secret: 'rolled-secret-0123' });
    const forged = round0Request(fixture('round0', 'interview_ended').raw, { secret: 'forged-secret-0123' });

    // Act
    const accepted = await acceptWebhook(genuine, withRotation);
    const refused = await acceptWebhook(forged, withRotation).catch((error: unknown) => error);

    // Assess
    expect(accepted.event.type).toBe('interview_ended');
    expect(refused).toBeInstanceOf(WebhookAuthenticationError);
    expect(published).toHaveLength(1);
    expect(reads).toStrictEqual([undefined, true, undefined, true]);
  });

  it('answers 503, not 401, to a signature the cached secrets do not match while the secrets cannot be read again', async () => {
    // Prepare: the real reader over a secrets file, its value cached; then the file gone (Secrets Manager
    // down) while ROUND0 may have rolled to a secret this container has not seen
    const dir = await mkdtemp(join(tmpdir(), 'ingest-secrets-'));
    const file = join(dir, 'secrets.json');
    await writeFile(
      file,
      JSON.stringify({ webhook: { round0SigningSecrets: [round0Secret], micro1Tokens: [micro1Token] } }),
    );
    const { deps, published } = makeDeps();
    const withReader = {
      ...deps,
      readWebhookSecrets: createSecretReader({
        localFile: file,
        section: 'webhook',
        schema: webhookSecretsSchema,
        freshEnoughMs: ingestFreshEnoughMs,
      }),
    };
    const raw = fixture('round0', 'interview_ended').raw;
    await acceptWebhook(round0Request(raw), withReader);
    await rm(dir, { recursive: true, force: true });
    // (a value read within the last second counts as fresh: not read again)
    await new Promise((resolve) => setTimeout(resolve, ingestFreshEnoughMs + 50));

    // Act
    const unmatched = await acceptWebhook(
      round0Request(raw, { secret: 'rolled-secret-0123' }),
      withReader,
    ).catch((error: unknown) => error);
    const genuine = await acceptWebhook(round0Request(raw), withReader);

    // Assess: the vendor retries a 503; the cached secret still authenticates what it matches
    expect(unmatched).toBeInstanceOf(SecretUnavailableError);
    expect(problemFor(unmatched).status).toBe(503);
    expect(genuine.event.type).toBe('interview_ended');
    expect(published).toHaveLength(2);
  });

  it('reads the secrets only when a secret could authenticate: not for a missing or malformed header or a stale genuine signature', async () => {
    // Prepare
    const { deps, published } = makeDeps();
    const reads: Array<boolean | undefined> = [];
    const counting = {
      ...deps,
      readWebhookSecrets: async (options?: { readonly fresh?: boolean }) => {
        reads.push(options?.fresh);
        return deps.readWebhookSecrets();
      },
    };
    const raw = fixture('round0', 'interview_ended').raw;
    const genuine = round0Request(raw);
    const missing = { ...genuine, headers: { 'content-type': 'application/json' } };
    const malformed = {
      ...genuine,
      headers: { ...genuine.headers, 'x-webhook-signature': 'not a signature' },
    };
    const stale = round0Request(raw, { timestamp: Math.floor(Date.now() / 1000) - 3600 });

    // Act
    const refusals = [];
    for (const request of [missing, malformed, stale]) {
      refusals.push(await acceptWebhook(request, counting).catch((error: unknown) => error));
    }

    // Assess: no secret could make any of them verify: each refused without a read
    expect(refusals.map((error) => (error as WebhookAuthenticationError).message)).toEqual([
      expect.stringContaining('missing'),
      expect.stringContaining('malformed'),
      expect.stringContaining('timestamp'),
    ]);
    expect(reads).toStrictEqual([]);
    expect(published).toHaveLength(0);
  });

  it('reads the secrets again for a stale genuine signature beside one no cached secret matches: a rolled secret may', async () => {
    // Prepare: the header repeated (API Gateway joins it): an hour-old signature under the cached secret,
    // and a fresh one under the secret ROUND0 rolled to
    const { deps, published } = makeDeps();
    const reads: Array<boolean | undefined> = [];
    const stale = await deps.readWebhookSecrets();
    const rotated = { round0SigningSecrets: ['rolled-secret-0123'], micro1Tokens: [micro1Token] };
    const withRotation = {
      ...deps,
      readWebhookSecrets: async (options?: { readonly fresh?: boolean }) => {
        reads.push(options?.fresh);
        return options?.fresh ? rotated : stale;
      },
    };
    const raw = fixture('round0', 'interview_ended').raw;
    const old = round0Request(raw, { secret: round0Secret, timestamp: Math.floor(Date.now() / 1000) - 3600 });
    const fresh = round0Request(raw, { secret: 'rolled-secret-0123' });
    const both = {
      ...fresh,
      headers: {
        ...fresh.headers,
        'x-webhook-signature': `${old.headers['x-webhook-signature']},${fresh.headers['x-webhook-signature']}`,
      },
    };

    // Act
    const accepted = await acceptWebhook(both, withRotation);

    // Assess
    expect(accepted.event.type).toBe('interview_ended');
    expect(reads).toStrictEqual([undefined, true]);
    expect(published).toHaveLength(1);
  });

  it('answers 401, not 503, to a request without a credential while the secrets cannot be read', async () => {
    // Prepare: Secrets Manager down on a cold container; requests no secret could authenticate
    const { deps, published } = makeDeps();
    let reads = 0;
    const down = {
      ...deps,
      readWebhookSecrets: async () => {
        reads += 1;
        throw new SecretUnavailableError('webhook secrets');
      },
    };
    const raw = fixture('round0', 'interview_ended').raw;
    const genuine = round0Request(raw);
    const requests = [
      { ...genuine, headers: { 'content-type': 'application/json' } },
      { ...genuine, headers: { ...genuine.headers, 'x-webhook-signature': 't=1,v1=zz' } },
      micro1Request(raw, 'x'.repeat(600)),
      micro1Request(raw, 'short-token'),
    ];

    // Act
    const answers = await Promise.all(
      requests.map((request) =>
        acceptWebhook(request, down).then(
          () => 202,
          (error: unknown) => problemFor(error).status,
        ),
      ),
    );
    const genuineAnswer = await acceptWebhook(genuine, down).then(
      () => 202,
      (error: unknown) => problemFor(error).status,
    );

    // Assess: each a 401 without a read; a signed delivery still waits for the secrets (503, retried)
    expect(answers).toEqual([401, 401, 401, 401]);
    expect(genuineAnswer).toBe(503);
    expect(reads).toBe(1);
    expect(published).toHaveLength(0);
  });

  it('answers 401, not 503, to a signature header whose every timestamp is outside the tolerance while the secrets cannot be read', async () => {
    // Prepare: the real reader over a secrets file that is not there (Secrets Manager down on a cold
    // container), counted; headers no secret could authenticate, however well-formed their signatures
    const dir = await mkdtemp(join(tmpdir(), 'ingest-secrets-'));
    const reader = createSecretReader({
      localFile: join(dir, 'absent.json'),
      section: 'webhook',
      schema: webhookSecretsSchema,
      freshEnoughMs: ingestFreshEnoughMs,
    });
    let reads = 0;
    const { deps, published } = makeDeps();
    const down = {
      ...deps,
      readWebhookSecrets: (options?: { readonly fresh?: boolean }) => {
        reads += 1;
        return reader(options);
      },
    };
    const raw = fixture('round0', 'interview_ended').raw;
    const nowSeconds = Math.floor(Date.now() / 1000);
    const withHeader = (value: string) => {
      const request = round0Request(raw);
      return { ...request, headers: { ...request.headers, 'x-webhook-signature': value } };
    };
    const fake = 'a'.repeat(64);
    const answer = (request: ReturnType<typeof withHeader>) =>
      acceptWebhook(request, down).then(
        () => ({ status: 202 }),
        (error: unknown) => ({ ...problemFor(error), error }),
      );

    try {
      // Act
      const outside = [];
      for (const value of [
        `t=1,v1=${fake}`,
        `t=${nowSeconds + 3600},v1=${fake}`,
        `t=1,v1=${fake},t=${nowSeconds - 3600},v1=${fake}`,
        signRound0Payload(raw, round0Secret, nowSeconds - 3600),
      ]) {
        outside.push(await answer(withHeader(value)));
      }
      const readsBefore = reads;
      const inside = await answer(withHeader(`t=${nowSeconds},v1=${fake}`));
      const genuine = await answer(round0Request(raw));

      // Assess: each a 401 problem without a read; within the tolerance the secrets are needed (503, retried)
      for (const refusal of outside) {
        expect(refusal).toMatchObject({
          status: 401,
          title: 'Unauthorized',
          error: expect.objectContaining({
            name: WebhookAuthenticationError.name,
            message: expect.stringContaining('timestamp'),
          }),
        });
      }
      expect(readsBefore).toBe(0);
      expect(inside).toMatchObject({ status: 503, error: expect.any(SecretUnavailableError) });
      expect(genuine).toMatchObject({ status: 503, error: expect.any(SecretUnavailableError) });
      expect(reads).toBeGreaterThan(0);
      expect(published).toHaveLength(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('judges the timestamps against the configured tolerance before reading the secrets', async () => {
    // Prepare
    const { deps } = makeDeps();
    let reads = 0;
    const counting = {
      ...deps,
      signatureToleranceSeconds: 30,
      readWebhookSecrets: async () => {
        reads += 1;
        return deps.readWebhookSecrets();
      },
    };
    const raw = fixture('round0', 'interview_ended').raw;
    const nowSeconds = Math.floor(Date.now() / 1000);

    // Act
    const refusal = await acceptWebhook(
      round0Request(raw, { secret: round0Secret, timestamp: nowSeconds - 60 }),
      counting,
    ).catch((error: unknown) => error);
    const accepted = await acceptWebhook(
      round0Request(raw, { secret: round0Secret, timestamp: nowSeconds - 60 }),
      { ...counting, signatureToleranceSeconds: 120 },
    );

    // Assess
    expect(refusal).toBeInstanceOf(WebhookAuthenticationError);
    expect((refusal as Error).message).toContain('timestamp');
    expect(accepted.event.type).toBe('interview_ended');
    expect(reads).toBe(1);
  });

  it('accepts a genuine ROUND0 signature beside parts of the header it cannot read', async () => {
    // Prepare: siblings a sender or a proxy might add, none of them a valid signature
    const raw = fixture('round0', 'interview_ended').raw;
    const nowSeconds = Math.floor(Date.now() / 1000);
    const genuine = round0Request(raw, { secret: round0Secret });
    const signature = genuine.headers['x-webhook-signature'];
    const siblings = [
      'abc',
      `t=${nowSeconds},v1=abcd`,
      `t=${nowSeconds}000,v1=${'a'.repeat(64)}`,
      `t=1,v1=${'b'.repeat(64)},t=2,v1=${'c'.repeat(64)}`,
    ];
    const { deps, published } = makeDeps();

    // Act
    const accepted = [];
    for (const sibling of siblings) {
      for (const value of [`${signature},${sibling}`, `${sibling},${signature}`]) {
        const request = { ...genuine, headers: { ...genuine.headers, 'x-webhook-signature': value } };
        accepted.push(await acceptWebhook(request, deps));
      }
    }

    // Assess
    expect(accepted.map((result) => result.event.type)).toEqual(Array(8).fill('interview_ended'));
    expect(published).toHaveLength(8);
  });

  it('refuses a wrong micro1 token before reading the body', async () => {
    // Prepare
    const { deps, published } = makeDeps();

    // Act & Assess
    await expect(
      acceptWebhook(micro1Request('not json', generateWebhookToken()), deps),
    ).rejects.toBeInstanceOf(WebhookAuthenticationError);
    expect(published).toHaveLength(0);
  });

  it('answers 400 naming the failing path for a schema violation', async () => {
    // Prepare
    const { deps } = makeDeps();
    const body = fixture('round0', 'interview_ended').body as {
      data: { responses: Array<{ score: unknown }> };
    };
    const first = body.data.responses[0];
    if (first) first.score = 'eighty-five';

    // Act
    const error = await acceptWebhook(round0Request(body), deps).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(InvalidEventError);
    const problem = problemFor(error);
    expect(problem.status).toBe(400);
    expect(problem.detail).toContain('data.responses.0.score');
  });

  it('keeps text cut mid-character (an unpaired surrogate in a value or a member name) as U+FFFD, and queues the event', async () => {
    // Prepare: half an emoji (its escape) at the end of a transcript line, and in a member name of its own
    const { deps, published, stored } = makeDeps();
    const text = fixture('micro1', 'interview_report.created')
      .raw.replace('about yourself?"', 'about yourself? \\ud83d"')
      .replace('"report_id"', '"note\\udc00":1,"report_id"');
    expect(text).toContain('yourself? \\ud83d"');

    // Act
    const accepted = await acceptWebhook(micro1Request(text, micro1Token), deps);

    // Assess: queued, the text well-formed; the raw store keeps the bytes as sent
    expect(published).toHaveLength(1);
    const queued = JSON.stringify(accepted.event);
    expect(queued).toContain('about yourself? \uFFFD');
    expect(queued).toContain('"note\uFFFD":1');
    expect(/\p{Cs}/u.test(queued)).toBe(false);
    expect(Buffer.from(stored[0]?.bodyBase64 ?? '', 'base64').toString('utf8')).toBe(text);
    // `ops replay` makes the same envelope of the stored bytes (the same text, the same keys).
    expect(envelopeOfRaw(stored[0] as RawEvent)).toEqual({ ok: true, event: accepted.event });
  });

  it.each([
    ['an unpaired surrogate', Buffer.from('\\ud800')],
    ['a byte that is not UTF-8', Buffer.from([0xbf])],
    ['U+FFFD itself (what the two above become when decoded)', Buffer.from('\uFFFD', 'utf8')],
  ])('refuses an id holding %s (it would key nothing the vendor knows), naming it', async (_case, cut) => {
    // Prepare: the cut at the start of the report id
    const { deps, published } = makeDeps();
    const [before = '', after = ''] = fixture('micro1', 'interview_report.created').raw.split(
      '"report_id": "',
    );
    const body = Buffer.concat([Buffer.from(`${before}"report_id": "`), cut, Buffer.from(after)]);

    // Act
    const error = await acceptWebhook({ ...micro1Request('', micro1Token), rawBody: body }, deps).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(problemFor(error).detail).toContain('data.report_id: Invalid text');
    expect(published).toHaveLength(0);
  });

  it('answers 400 naming the path of a number too large to be read, which would be queued as null', async () => {
    // Prepare: a signed ROUND0 body whose duration is 1e400 (JSON.parse reads Infinity, JSON writes null)
    const { deps, published } = makeDeps();
    const raw = fixture('round0', 'interview_ended').raw.replace(/^\{/, '{"duration_seconds":1e400,');
    const nested = fixture('round0', 'interview_ended').raw.replace(
      /"data"\s*:\s*\{/,
      `"data":{"duration_seconds":-1${'0'.repeat(250)}e99,`,
    );

    // Act
    const errors = await Promise.all(
      [raw, nested].map((body) => acceptWebhook(round0Request(body), deps).catch((e: unknown) => e)),
    );

    // Assess
    expect(errors.map((error) => problemFor(error).status)).toEqual([400, 400]);
    expect(problemFor(errors[0]).detail).toContain('duration_seconds: Invalid number: too large to be read');
    expect(problemFor(errors[1]).detail).toContain('data.duration_seconds: Invalid number');
    expect(published).toHaveLength(0);
  });

  it('answers 400 for a signed body that is not JSON, and keeps nothing', async () => {
    const { deps, stored } = makeDeps();
    await expect(acceptWebhook(round0Request('{"id": '), deps)).rejects.toBeInstanceOf(MalformedJsonError);
    expect(stored).toHaveLength(0);
  });

  it('queues a signed event whose body starts with a byte order mark, the mark kept in the raw store', async () => {
    // Prepare: RFC 8259 forbids a sender the mark but lets a parser ignore it; the signature covers it
    const { deps, published, stored } = makeDeps();
    const request = round0Request(`\uFEFF${fixture('round0', 'interview_ended').raw}`);

    // Act
    const accepted = await acceptWebhook(request, deps);

    // Assess
    expect(published).toEqual([accepted.event]);
    expect(accepted.event).toMatchObject({ vendor: 'round0', type: 'interview_ended', known: true });
    expect(Buffer.from(stored[0]?.bodyBase64 ?? '', 'base64').subarray(0, 3)).toEqual(
      Buffer.from([0xef, 0xbb, 0xbf]),
    );
    // `ops replay` makes the same envelope of the stored bytes
    expect(envelopeOfRaw(stored[0] as RawEvent)).toEqual({ ok: true, event: accepted.event });
  });

  it.each([100, 100_000])(
    'answers 400, never 5xx, to JSON nested %i levels deep on either route',
    async (depth) => {
      // Prepare
      const { deps, published } = makeDeps();
      const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;
      const requests = [
        micro1Request(`{"event":"interview.completed","data":{"a":${nested}}}`, micro1Token),
        round0Request(`{"id":"evt_1","type":"interview_started","created":1,"data":{"a":${nested}}}`),
      ];

      // Act
      const statuses = await Promise.all(
        requests.map((request) =>
          acceptWebhook(request, { ...deps, maxBodyBytes: 1024 * 1024 }).then(
            () => 202,
            (e: unknown) => problemFor(e).status,
          ),
        ),
      );

      // Assess
      expect(statuses).toEqual([400, 400]);
      expect(published).toHaveLength(0);
    },
  );

  it('answers 413 for a body over the cap, whatever its signature', async () => {
    const { deps } = makeDeps();
    const big = JSON.stringify({ padding: 'x'.repeat(deps.maxBodyBytes) });
    const error = await acceptWebhook(round0Request(big), deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(problemFor(error).status).toBe(413);
  });

  it('queues an authenticated event of an unknown type, flagged as unknown', async () => {
    // Prepare
    const { deps, published } = makeDeps();
    const body = { ...(fixture('round0', 'interview_started').body as object), type: 'interview_paused' };

    // Act
    const accepted = await acceptWebhook(round0Request(body), deps);

    // Assess
    expect(accepted.event.known).toBe(false);
    expect(published).toHaveLength(1);
  });

  it('turns a queue failure into 503 so the vendor retries', async () => {
    // Prepare
    const { deps } = makeDeps({
      publish: async () => {
        throw new QueueUnavailableError('down');
      },
    });

    // Act
    const error = await acceptWebhook(round0Request(fixture('round0', 'interview_started').raw), deps).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(problemFor(error).status).toBe(503);
  });

  it('never answers 5xx to arbitrary bodies on either route (fuzz)', async () => {
    const { deps } = makeDeps();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.json(),
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        async (raw) => {
          for (const request of [round0Request(raw), micro1Request(raw, micro1Token)]) {
            const status = await acceptWebhook(request, deps).then(
              () => 202,
              (e: unknown) => problemFor(e).status,
            );
            expect([202, 400]).toContain(status);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never answers 5xx to hostile paths or token segments, only 401 or 404 (fuzz)', async () => {
    // Prepare: bad percent-escapes (which `decodeURIComponent` throws on), path syntax and the real token
    const { deps, published } = makeDeps();
    const segment = fc
      .array(
        fc.oneof(
          fc.constantFrom(
            '%',
            '%A',
            '%ZZ',
            '%E0%A4%A',
            '%C3',
            '%ED%A0%80',
            '%C0%AF',
            '%FF',
            '%25',
            '%2F',
            '/',
          ),
          fc.string({ maxLength: 8 }),
          fc.constant(micro1Token),
        ),
        { minLength: 1, maxLength: 6 },
      )
      .map((parts) => parts.join(''));
    const path = fc.oneof(
      fc
        .tuple(fc.constantFrom('/webhooks/micro1/', '/webhooks/round0/', '/webhooks/', '/%'), segment)
        .map(([prefix, rest]) => `${prefix}${rest}`),
      fc.string().map((text) => `/${text}`),
    );

    // Act & Assess
    await fc.assert(
      fc.asyncProperty(path, async (hostile) => {
        const request = { ...micro1Request('{}', micro1Token), path: hostile };
        const status = await acceptWebhook(request, deps).then(
          () => 202,
          (e: unknown) => problemFor(e).status,
        );
        // 400 when the segment decodes to the real token: then only the body ('{}') is wrong.
        expect([400, 401, 404]).toContain(status);
      }),
      { numRuns: 500 },
    );
    expect(published).toHaveLength(0);
  });

  it.each(['%E0%A4%A', '%', '%ED%A0%80'])(
    'refuses the micro1 token segment %p as unauthenticated, like a wrong token',
    async (segment) => {
      // Prepare
      const { deps } = makeDeps();

      // Act
      const errors = await Promise.all(
        [segment, `${micro1Token}${segment}`].map((token) =>
          acceptWebhook(micro1Request('{}', token), deps).catch((e: unknown) => e),
        ),
      );

      // Assess
      for (const error of errors) {
        expect(error).toBeInstanceOf(WebhookAuthenticationError);
        expect(problemFor(error)).toEqual(problemFor(new WebhookAuthenticationError('token')));
      }
    },
  );
});

describe('acceptWebhook’s answer time', () => {
  it('gives a secret read still unanswered at the answer time up as unavailable (a 503), then', async () => {
    // Prepare: a read that never ends.
    const { deps, published } = makeDeps();
    const answerBy = Date.now() + 300;

    // Act
    const error = await acceptWebhook(round0Request(fixture('round0', 'interview_started').raw), {
      ...deps,
      readWebhookSecrets: () => new Promise(() => undefined),
      answerBy: () => answerBy,
    }).catch((e: unknown) => e);

    // Assess: refused once the time was up (within 400 ms), nothing queued.
    expect(error).toBeInstanceOf(SecretUnavailableError);
    expect(problemFor(error).status).toBe(503);
    expect(Date.now()).toBeGreaterThanOrEqual(answerBy);
    expect(Date.now()).toBeLessThan(answerBy + 400);
    expect(published).toEqual([]);
  });

  it('gives the fresh read a token that did not match asks for up at the answer time too', async () => {
    // Prepare: the cached secrets answer at once and do not match; the fresh read never ends.
    const { deps, published } = makeDeps();
    const answerBy = Date.now() + 300;
    const stale = { round0SigningSecrets: ['old-secret'], micro1Tokens: [generateWebhookToken()] };

    // Act
    const error = await acceptWebhook(
      micro1Request(fixture('micro1', 'interview.started').raw, micro1Token),
      {
        ...deps,
        readWebhookSecrets: (options) =>
          options?.fresh ? new Promise(() => undefined) : Promise.resolve(stale),
        answerBy: () => answerBy,
      },
    ).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(SecretUnavailableError);
    expect(Date.now()).toBeGreaterThanOrEqual(answerBy);
    expect(Date.now()).toBeLessThan(answerBy + 400);
    expect(published).toEqual([]);
  });

  it('asks the answer time for the route’s vendor and passes it to the queue as its writes’ deadline', async () => {
    // Prepare
    const { deps } = makeDeps();
    const asked: string[] = [];
    const deadlines: Array<number | undefined> = [];
    const times = { round0: Date.now() + 5_000, micro1: Date.now() + 9_000 };

    // Act
    for (const request of [
      round0Request(fixture('round0', 'interview_started').raw),
      micro1Request(fixture('micro1', 'interview.started').raw, micro1Token),
    ]) {
      await acceptWebhook(request, {
        ...deps,
        publish: async (_event, _raw, deadline) => {
          deadlines.push(deadline);
          return { messageId: 'm-1', claimCheck: false };
        },
        answerBy: (vendor) => {
          asked.push(vendor);
          return times[vendor];
        },
      });
    }

    // Assess
    expect(asked).toEqual(['round0', 'micro1']);
    expect(deadlines).toEqual([times.round0, times.micro1]);
  });
});
