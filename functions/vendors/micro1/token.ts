/**
 * micro1 does not sign deliveries (source: shared/vendors/micro1.md, Delivery), so a delivery is
 * authenticated by a high-entropy token in the registered URL, `/webhooks/micro1/{token}`. Rotation:
 * register a new URL and keep the old token configured until micro1 stops using it.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { WebhookConfigurationError } from '../errors.js';

/** Shortest token accepted, configured or presented: 32 characters is ≥ 190 bits in base64url. */
export const minMicro1TokenLength = 32;
/** Longest token looked at; anything longer is refused without hashing it. */
const maxMicro1TokenLength = 512;

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Whether `token` could be a token at all (present, of a length a configured one may have): checked before
 * the secrets are read, so a request without one is a 401 even when they cannot be.
 */
export function micro1TokenShapeOk(token: string | undefined): token is string {
  return token !== undefined && token.length >= minMicro1TokenLength && token.length <= maxMicro1TokenLength;
}

/**
 * Whether `token` is one of `validTokens`. Tokens are compared as SHA-256 digests so the comparison is
 * constant-time whatever their lengths, and every configured token is compared (no early exit), so timing
 * reveals neither the token nor which one matched.
 *
 * @throws {WebhookConfigurationError} when no token is configured or one is shorter than
 * {@link minMicro1TokenLength} (a guessable URL is a configuration fault, not a 401).
 */
export function verifyMicro1Token(token: string | undefined, validTokens: readonly string[]): boolean {
  if (validTokens.length === 0 || validTokens.some((valid) => valid.length < minMicro1TokenLength)) {
    throw new WebhookConfigurationError(
      `micro1 webhook tokens must be configured and at least ${minMicro1TokenLength} characters long`,
    );
  }
  if (!micro1TokenShapeOk(token)) return false;
  const presented = sha256(token);
  let matches = 0;
  for (const valid of validTokens) matches |= Number(timingSafeEqual(presented, sha256(valid)));
  return matches !== 0;
}

/**
 * A new URL token for micro1: random bytes as base64url (URL-safe, no padding).
 *
 * @param byteLength - random bytes in the token; at least 32.
 * @default byteLength 32 (43 characters)
 */
export function generateWebhookToken(byteLength = 32): string {
  if (!Number.isSafeInteger(byteLength) || byteLength < 32) {
    throw new RangeError('A webhook token needs at least 32 random bytes');
  }
  return randomBytes(byteLength).toString('base64url');
}
