/**
 * The ingest's limits fit Lambda's. Its largest body still fits a synchronous invocation's payload once API
 * Gateway base64-encodes it (any body whose type is not text), so an oversized delivery gets the ingest's own
 * 413 problem+json, never the gateway's error. Its writes fit its Lambda timeout (functions/platform/clients.ts): with S3 and SQS both unanswering,
 * every attempt of the claim check's PUT and of the SendMessage running to its end, plus the jitter between
 * attempts, the ingest still has time to answer its own 503 + Retry-After, even after a secret read whose
 * attempts ran out too (a cold start or a cache expiry during an outage of both). One read at most: a fresh
 * read asked for right after the request's own is not made (secrets.ts `ingestFreshEnoughMs`), and one
 * after a failed read is refused at once.
 */
import { describe, expect, it } from '@jest/globals';
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

describe('ingest write limits', () => {
  it('leave at least 2 s of the ingest timeout when a secret read and both writes run out every attempt', () => {
    // Prepare
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

    // Assess
    expect(secretReadMs + writesMs).toBeLessThanOrEqual(resources.ingest.timeoutSeconds * 1000 - 2000);
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
