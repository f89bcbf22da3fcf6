/**
 * ROUND0 webhook signatures. The vendor documents the header `X-Webhook-Signature: t=<unix seconds>,
 * v1=<hex HMAC-SHA256>` as "similar to Stripe's webhook security"; what exactly is signed is inferred
 * from that (Stripe signs `${t}.${body}`), so the scheme lives in {@link round0SignedContent} alone.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { WebhookConfigurationError } from '../errors.js';

/** Header carrying the signature (HTTP header names are case-insensitive; API Gateway lower-cases them). */
export const round0SignatureHeader = 'x-webhook-signature';

/** Accepted clock difference between ROUND0 and us, both ways, in seconds (Stripe's default). */
export const defaultRound0ToleranceSeconds = 300;

/** A header longer than this is not a signature header; refusing it bounds the parsing work. */
const maxHeaderLength = 2048;
/** More `v1` values than this is not rotation but someone making us compute HMAC comparisons. */
const maxSignatures = 8;

const timestampPattern = /^\d{1,12}$/;
const signaturePattern = /^[0-9a-fA-F]{64}$/;

export type Round0SignatureFailure = 'missing' | 'malformed' | 'timestamp' | 'mismatch';
export type Round0SignatureResult =
  | { readonly ok: true; readonly timestamp: number }
  | { readonly ok: false; readonly reason: Round0SignatureFailure };

export interface VerifyRound0SignatureOptions {
  /** The request body exactly as received: the signature covers bytes, not the JSON they encode. */
  readonly rawBody: Uint8Array;
  /** Value of `X-Webhook-Signature`, undefined when the request has none. */
  readonly header: string | undefined;
  /** Signing secrets currently valid (several during rotation). Must not be empty. */
  readonly secrets: readonly string[];
  /**
   * Largest accepted |now − t|, in seconds; older (replayed) and future timestamps beyond it are refused.
   * @default 300
   */
  readonly toleranceSeconds?: number;
  /**
   * The current time in Unix seconds (tests pin it).
   * @default Math.floor(Date.now() / 1000)
   */
  readonly nowSeconds?: number;
}

/**
 * The bytes ROUND0 signs: `${t}.` followed by the raw body. Concatenated as bytes so a body is never
 * decoded and re-encoded on the way (which could change it). `timestamp` is the `t` digits as sent.
 */
export function round0SignedContent(timestamp: string, rawBody: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), rawBody]);
}

function hmacSha256(secret: string, content: Buffer): Buffer {
  return createHmac('sha256', secret).update(content).digest();
}

interface ParsedSignatureHeader {
  /** The `t` digits exactly as sent (they are part of the signed content). */
  readonly timestamp: string;
  readonly signatures: readonly Buffer[];
}

/**
 * Reads `t=…,v1=…[,v1=…]`. Other schemes (`v0=…`) are ignored as Stripe ignores them; a second `t`, a
 * `v1` that is not 64 hex digits or a part without `=` make the whole header malformed.
 */
function parseSignatureHeader(header: string): ParsedSignatureHeader | undefined {
  if (header.length > maxHeaderLength) return undefined;
  let timestamp: string | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const separator = part.indexOf('=');
    if (separator <= 0) return undefined;
    const key = part.slice(0, separator).trim();
    const value = part.slice(separator + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined || !timestampPattern.test(value)) return undefined;
      timestamp = value;
    } else if (key === 'v1') {
      if (!signaturePattern.test(value)) return undefined;
      signatures.push(Buffer.from(value, 'hex'));
    }
  }
  if (timestamp === undefined || signatures.length === 0 || signatures.length > maxSignatures)
    return undefined;
  return { timestamp, signatures };
}

function assertUsableSecrets(secrets: readonly string[]): void {
  if (secrets.length === 0 || secrets.some((secret) => secret.length === 0)) {
    throw new WebhookConfigurationError('No usable ROUND0 signing secret is configured');
  }
}

/**
 * Checks a ROUND0 delivery before its body is parsed. Every `v1` value is compared with the HMAC under
 * every secret, in constant time and without stopping at the first match, so timing tells nothing about
 * which secret or signature came close. The timestamp is judged after the signature: a `timestamp`
 * failure therefore means a genuine delivery that is replayed or sent by a skewed clock.
 *
 * @example
 * const result = verifyRound0Signature({ rawBody, header: headers['x-webhook-signature'], secrets });
 * if (!result.ok) return unauthorized(result.reason);
 * @throws {WebhookConfigurationError} when `secrets` is empty or holds an empty string, or the tolerance
 * is negative.
 */
export function verifyRound0Signature(options: VerifyRound0SignatureOptions): Round0SignatureResult {
  const toleranceSeconds = options.toleranceSeconds ?? defaultRound0ToleranceSeconds;
  const nowSeconds = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  assertUsableSecrets(options.secrets);
  if (!(toleranceSeconds >= 0)) throw new WebhookConfigurationError('The signature tolerance must be ≥ 0');

  if (options.header === undefined) return { ok: false, reason: 'missing' };
  const parsed = parseSignatureHeader(options.header);
  if (parsed === undefined) return { ok: false, reason: 'malformed' };

  const content = round0SignedContent(parsed.timestamp, options.rawBody);
  const expected = options.secrets.map((secret) => hmacSha256(secret, content));
  let matches = 0;
  for (const signature of parsed.signatures) {
    for (const candidate of expected) {
      // Both are 32-byte digests (the header parser admits only 64 hex digits), as timingSafeEqual needs.
      matches |= Number(timingSafeEqual(signature, candidate));
    }
  }
  if (matches === 0) return { ok: false, reason: 'mismatch' };

  const timestamp = Number(parsed.timestamp);
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return { ok: false, reason: 'timestamp' };
  return { ok: true, timestamp };
}

/**
 * The `X-Webhook-Signature` value ROUND0 would send for `rawBody` (for the sender CLI and tests).
 * A string body is signed as its UTF-8 bytes.
 */
export function signRound0Payload(
  rawBody: Uint8Array | string,
  secret: string,
  timestampSeconds: number,
): string {
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
    throw new RangeError('The timestamp must be a non-negative integer number of seconds');
  }
  const bytes = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  const timestamp = String(timestampSeconds);
  const signature = hmacSha256(secret, round0SignedContent(timestamp, bytes)).toString('hex');
  return `t=${timestamp},v1=${signature}`;
}
