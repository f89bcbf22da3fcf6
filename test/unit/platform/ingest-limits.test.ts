/**
 * The ingest's limits fit Lambda's. Its largest body still fits a synchronous invocation's payload once API
 * Gateway base64-encodes it (any body whose type is not text), so an oversized delivery gets the ingest's own
 * 413 problem+json, never the gateway's error. Its secret read and writes end by its answer time
 * (functions/intake/accept-webhook.ts `answerWithinMs`, by vendor), which fits ROUND0's 10 s and leaves its
 * Lambda timeout room for its own 503 + Retry-After; test/integration/intake/ingest-deadline.test.ts runs it.
 */
import { describe, expect, it } from '@jest/globals';
import { answerWithinMs } from '../../../functions/intake/accept-webhook.js';
import { ingestWriteLimits } from '../../../functions/platform/clients.js';
import { secretsManagerMaxAttempts, secretsManagerTimeouts } from '../../../functions/platform/secrets.js';
import { resources } from '../../../lib/resources.js';

/** The longest wait between attempts (full jitter: up to 100 ms, then 200 ms). */
const jitterMs = (attempts: number) =>
  Array.from({ length: attempts - 1 }, (_, i) => 100 * 2 ** i).reduce((a, b) => a + b, 0);

/**
 * The SDK's wait before its retry of a secret read, taken at its largest (throttling's base of 500 ms,
 * doubled) though a hung read is not a throttle.
 */
const secretsRetryWaitMs = 1_000;

/** ROUND0's guide: respond 2xx within 10 seconds (../shared/vendors/round0.md). */
const round0AnswerGuideMs = 10_000;

describe('ingest write limits', () => {
  it('let the secret read, or the two writes, run all their attempts within the answer time when the rest is quick', () => {
    // Prepare: the worst each takes by its own limits, every attempt running out. Together they may not fit:
    // the answer time cuts what runs late (functions/intake/accept-webhook.ts).
    const { putObject, sendMessage } = ingestWriteLimits;
    // An attempt's request timer starts with its connection (connectionTimeout ends only a slow connect).
    const { requestTimeout } = secretsManagerTimeouts;

    // Act
    const secretReadMs =
      secretsManagerMaxAttempts * requestTimeout + (secretsManagerMaxAttempts - 1) * secretsRetryWaitMs;
    const writesMs =
      putObject.maxAttempts * putObject.timeoutMs +
      jitterMs(putObject.maxAttempts) +
      sendMessage.maxAttempts * sendMessage.timeoutMs +
      jitterMs(sendMessage.maxAttempts);

    // Assess: even the shorter answer time (ROUND0's)
    expect(secretReadMs).toBeLessThan(answerWithinMs.round0);
    expect(writesMs).toBeLessThan(answerWithinMs.round0);
  });

  it('answer within ROUND0’s 10 s, with 2 s to spare for a cold start’s init, the gateway and the network', () => {
    expect(answerWithinMs.round0 + 2_000).toBeLessThanOrEqual(round0AnswerGuideMs);
  });

  it('leave at least 2 s of the ingest timeout after either vendor’s answer time, for its own 503 + Retry-After', () => {
    for (const ms of Object.values(answerWithinMs)) {
      expect(ms + 2_000).toBeLessThanOrEqual(resources.ingest.timeoutSeconds * 1000);
    }
  });

  it('give micro1, which documents no retry, at least ROUND0’s time', () => {
    expect(answerWithinMs.micro1).toBeGreaterThanOrEqual(answerWithinMs.round0);
  });
});

describe('ingest body limit', () => {
  it('fits a synchronous Lambda invocation (6 MB) base64-encoded, with 16 KiB for headers and context', () => {
    // Prepare: Lambda's quota for a synchronous invocation's request payload.
    const invokePayloadBytes = 6 * 1024 * 1024;

    // Act
    const eventBytes = Math.ceil(resources.ingest.maxBodyBytes / 3) * 4 + 16 * 1024;

    // Assess
    expect(eventBytes).toBeLessThanOrEqual(invokePayloadBytes);
  });
});
