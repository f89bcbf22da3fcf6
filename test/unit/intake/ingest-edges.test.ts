/**
 * The front door's answers that the other intake tests leave open: a refusal for any authentication reason
 * reads the same to the sender, a body over the cap is named for what it is, and ROUND0 is answered inside
 * the time its guide gives.
 */
import { describe, expect, it } from '@jest/globals';
import { acceptWebhook, answerWithinMs } from '../../../functions/intake/accept-webhook.js';
import {
  InvalidEventError,
  PayloadTooLargeError,
  WebhookAuthenticationError,
} from '../../../functions/intake/errors.js';
import { problemFor, problemResponse } from '../../../functions/intake/http-problem.js';
import { generateWebhookToken, signRound0Payload } from '../../../functions/vendors/index.js';
import { fixture } from '../../helpers/fixtures.js';
import { micro1Request, round0Request } from '../../helpers/signed-requests.js';

const round0Secret = 'round0-test-secret';
const micro1Token = generateWebhookToken();
const now = new Date('2026-03-04T05:06:07.000Z');
const nowSeconds = Math.floor(now.getTime() / 1000);

const deps = {
  readWebhookSecrets: async () => ({ round0SigningSecrets: [round0Secret], micro1Tokens: [micro1Token] }),
  publish: async () => ({ messageId: 'm-1', claimCheck: false }),
  maxBodyBytes: 64 * 1024,
  signatureToleranceSeconds: 300,
  now: () => now,
};

/** What `request` is refused with, as the problem the sender reads. */
const problemOf = async (request: Parameters<typeof acceptWebhook>[0]) => {
  const error = await acceptWebhook(request, deps).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WebhookAuthenticationError);
  return problemFor(error);
};

describe('the answer to a delivery that is not authenticated', () => {
  it('is the same 401 problem whatever failed: no hint of the token, the signature or the clock', async () => {
    // Prepare
    const raw = fixture('round0', 'interview_ended').raw;
    const signed = round0Request(raw, { timestamp: nowSeconds });
    const withSignature = (header: string | undefined) => ({
      ...signed,
      headers: { 'content-type': 'application/json', 'x-webhook-signature': header },
    });
    const refusals = [
      withSignature(undefined),
      withSignature('not a signature'),
      withSignature(signRound0Payload(raw, round0Secret, nowSeconds - 3600)),
      withSignature(signRound0Payload(raw, 'another-secret', nowSeconds)),
      micro1Request(fixture('micro1', 'applicant.created').raw, generateWebhookToken()),
      micro1Request(fixture('micro1', 'applicant.created').raw, 'short'),
    ];

    // Act
    const problems = await Promise.all(refusals.map(problemOf));

    // Assess
    for (const problem of problems) {
      expect(problem).toStrictEqual({
        type: 'https://github.com/interview-sync/problems#unauthorized',
        title: 'Unauthorized',
        status: 401,
        detail: 'the request could not be authenticated as coming from the vendor',
      });
    }
  });
});

describe('the answer to a body over the cap', () => {
  it('is a 413 problem+json titled Payload Too Large that names the size and the limit', () => {
    // Prepare
    const error = new PayloadTooLargeError(70_000, 65_536);

    // Act
    const response = problemResponse(problemFor(error), 'req-9');

    // Assess
    expect(response.statusCode).toBe(413);
    expect(response.headers).toStrictEqual({ 'content-type': 'application/problem+json' });
    expect(JSON.parse(response.body as string)).toStrictEqual({
      type: 'https://github.com/interview-sync/problems#payload-too-large',
      title: 'Payload Too Large',
      status: 413,
      detail: 'body of 70000 bytes exceeds the 65536-byte limit',
      requestId: 'req-9',
    });
  });
});

describe('the answer to a number too large to be read, deep under long keys', () => {
  it('names its path cut to 200 characters, so a hostile body cannot make the 400 and its log line huge', async () => {
    // Prepare: 1e999 ten levels down, under keys of 40 characters (a path of 410)
    const key = 'k'.repeat(40);
    const nested = `${`{"${key}":`.repeat(10)}1e999${'}'.repeat(10)}`;
    const raw = fixture('round0', 'interview_ended').raw.replace(/^\{/, `{"extra":${nested},`);
    const request = round0Request(raw, { secret: round0Secret, timestamp: nowSeconds });

    // Act
    const error = await acceptWebhook(request, deps).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(InvalidEventError);
    const problem = problemFor(error);
    expect(problem.status).toBe(400);
    const path = problem.errors?.[0]?.path ?? '';
    expect(path).toHaveLength(200);
    expect(path.startsWith(`extra.${key}.${key}`)).toBe(true);
    expect(path.endsWith('…')).toBe(true);
  });
});

describe('the answer to a body with many schema violations', () => {
  it('lists at most 10 of them: one is enough to fix, and a hostile body has thousands', async () => {
    // Prepare: 50 answers with a score out of range
    const body = JSON.parse(fixture('round0', 'interview_ended').raw);
    body.data.responses = Array.from({ length: 50 }, () => ({ score: 500 }));
    const request = round0Request(body, { secret: round0Secret, timestamp: nowSeconds });

    // Act
    const error = await acceptWebhook(request, deps).catch((e: unknown) => e);

    // Assess
    const problem = problemFor(error);
    expect(problem.status).toBe(400);
    expect(problem.errors).toHaveLength(10);
    expect(problem.errors?.[9]?.path).toBe('data.responses.9.score');
  });
});

describe('answerWithinMs', () => {
  it('answers ROUND0 inside the 10 s its guide asks for, with room for a cold start and the gateway', () => {
    // Assess: ../shared/vendors/round0.md asks for an answer within 10 s; the ingest's own time limit is 15 s
    expect(answerWithinMs.round0).toBeLessThanOrEqual(8_000);
    expect(answerWithinMs.micro1).toBeLessThan(15_000);
  });
});
