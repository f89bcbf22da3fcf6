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
/**
 * More well-formed `v1` values than this, counted over every signature in the header (inside the tolerance or
 * not), is not rotation or a repeated header but someone making us compare: the whole header is refused.
 */
const maxSignatures = 8;
/**
 * More distinct `t` values inside the tolerance than this is not a repeated header either (a delivery sent
 * twice over has at most two): each costs an HMAC of the whole body per secret, so eight of them made a
 * multi-megabyte body cost eight times the hashing of a genuine delivery. The whole header is refused,
 * before any hashing. A `t` outside the tolerance is not counted: it is never hashed (see
 * {@link screenSignatureHeader}).
 */
const maxTimestamps = 2;

const timestampPattern = /^\d{1,12}$/;
const signaturePattern = /^[0-9a-fA-F]{64}$/;

export type Round0SignatureFailure = 'missing' | 'malformed' | 'timestamp' | 'mismatch';
export type Round0SignatureResult =
  | { readonly ok: true; readonly timestamp: number }
  | {
      readonly ok: false;
      readonly reason: Round0SignatureFailure;
      /**
       * Some signature matched none of the secrets (so for `mismatch`, and only for it): another secret (a
       * rotation not yet read) might still authenticate the request. Never so for `missing`, `malformed` or
       * `timestamp`, which no secret can cure (nor were any used to find them).
       */
      readonly unmatched: boolean;
    };

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

/** One signature as ROUND0 sends it: a `t` and the `v1` values computed over it. */
interface SignatureGroup {
  /** The `t` digits exactly as sent (they are part of the signed content). */
  readonly timestamp: string;
  readonly signatures: readonly Buffer[];
}

/**
 * Reads `t=…,v1=…[,v1=…]`, possibly several times over: an HTTP API joins a repeated header with commas
 * ("Duplicate headers are combined with commas", payload format 2.0 in AWS's "Create AWS Lambda proxy
 * integrations for HTTP APIs"), so two `X-Webhook-Signature` headers arrive as `t=1,v1=a,t=2,v1=b`. The
 * groups are told apart by position: each `t` starts a group and each `v1` belongs to the `t` before it.
 *
 * What it cannot read it ignores, as Stripe's verifiers do (ROUND0 documents its header as "similar to
 * Stripe's" and says to accept any matching `v1` when several are present): a part without `=`, another
 * scheme (`v0=…`), a `v1` that is not 64 hex digits, a `t` that is not Unix seconds (with the `v1` after
 * it, which must not be taken for a signature of the `t` before), a `v1` before any `t`, a `t` without a
 * `v1`. One such sibling of a valid signature must not void it: that is what "any of several" means. Nothing
 * ignored is ever hashed or compared, so leniency costs nothing; the work stays bounded by the header length
 * and {@link maxSignatures} (checked here) and {@link maxTimestamps} (see {@link screenSignatureHeader}).
 *
 * @returns the groups with a `t` and at least one `v1`; undefined when there are none (malformed), or the
 * header is too long or holds more than {@link maxSignatures} well-formed `v1`.
 */
function parseSignatureHeader(header: string): readonly SignatureGroup[] | undefined {
  if (header.length > maxHeaderLength) return undefined;
  const groups: Array<{ timestamp: string; signatures: Buffer[] }> = [];
  /** The group the next `v1` belongs to: none before any `t`, nor after a `t` that is not readable. */
  let current: { timestamp: string; signatures: Buffer[] } | undefined;
  let signatureCount = 0;
  for (const part of header.split(',')) {
    const separator = part.indexOf('=');
    if (separator <= 0) continue;
    const key = part.slice(0, separator).trim();
    const value = part.slice(separator + 1).trim();
    if (key === 't') {
      current = timestampPattern.test(value) ? { timestamp: value, signatures: [] } : undefined;
      if (current !== undefined) groups.push(current);
    } else if (key === 'v1' && current !== undefined && signaturePattern.test(value)) {
      signatureCount += 1;
      if (signatureCount > maxSignatures) return undefined;
      current.signatures.push(Buffer.from(value, 'hex'));
    }
  }
  const signed = groups.filter((group) => group.signatures.length > 0);
  return signed.length === 0 ? undefined : signed;
}

/** The clock a header is judged against: see {@link VerifyRound0SignatureOptions}. */
export type Round0HeaderCheckOptions = Pick<VerifyRound0SignatureOptions, 'toleranceSeconds' | 'nowSeconds'>;

type ScreenedHeader =
  | { readonly failure: 'missing' | 'malformed' | 'timestamp' }
  | { readonly failure?: undefined; readonly groups: readonly SignatureGroup[] };

/**
 * What of `header` could authenticate a request, judged without any secret: its signatures whose `t` is
 * within the tolerance. A signature outside it can never authenticate, so it is dropped before anything is
 * hashed (an attacker gets no HMAC out of stale groups), and a header left with none fails as `timestamp`
 * whatever its signatures (genuine or not: no secret is used to tell). More than {@link maxTimestamps}
 * distinct `t` inside the tolerance fail as `malformed`.
 */
function screenSignatureHeader(
  header: string | undefined,
  options: Round0HeaderCheckOptions,
): ScreenedHeader {
  const toleranceSeconds = options.toleranceSeconds ?? defaultRound0ToleranceSeconds;
  const nowSeconds = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (!(toleranceSeconds >= 0)) throw new WebhookConfigurationError('The signature tolerance must be ≥ 0');
  if (header === undefined) return { failure: 'missing' };
  const parsed = parseSignatureHeader(header);
  if (parsed === undefined) return { failure: 'malformed' };
  const groups = parsed.filter((group) => Math.abs(nowSeconds - Number(group.timestamp)) <= toleranceSeconds);
  if (groups.length === 0) return { failure: 'timestamp' };
  if (new Set(groups.map((group) => group.timestamp)).size > maxTimestamps) return { failure: 'malformed' };
  return { groups };
}

/**
 * Whether any `v1` of `group` is one of `expected`, the HMACs of its own `t` and the body under each secret. Every pair is
 * compared, in constant time and without stopping at the first match, so timing tells nothing about which
 * secret or signature came close.
 */
function groupMatches(group: SignatureGroup, expected: readonly Buffer[]): boolean {
  let matches = 0;
  for (const signature of group.signatures) {
    for (const candidate of expected) {
      // Both are 32-byte digests (the header parser admits only 64 hex digits), as timingSafeEqual needs.
      matches |= Number(timingSafeEqual(signature, candidate));
    }
  }
  return matches !== 0;
}

/**
 * Why `header` could never verify, whatever the secrets: missing, not a signature header at all, or no
 * signature in it within the tolerance. Checked before the secrets are read, so such a request is a 401 even
 * when they cannot be (a 503 would tell the sender to retry) and never costs a Secrets Manager read. Judged
 * as {@link verifyRound0Signature} judges it (the same screening), with the same clock and tolerance.
 *
 * @throws {WebhookConfigurationError} when the tolerance is negative.
 */
export function round0HeaderFailure(
  header: string | undefined,
  options: Round0HeaderCheckOptions,
): 'missing' | 'malformed' | 'timestamp' | undefined {
  return screenSignatureHeader(header, options).failure;
}

function assertUsableSecrets(secrets: readonly string[]): void {
  if (secrets.length === 0 || secrets.some((secret) => secret.length === 0)) {
    throw new WebhookConfigurationError('No usable ROUND0 signing secret is configured');
  }
}

/**
 * Checks a ROUND0 delivery before its body is parsed. The header may hold several signatures (a repeated
 * header, joined by API Gateway): the delivery is genuine when any one of them verifies, i.e. its `t` is
 * within the tolerance and one of its `v1` values is the HMAC of that `t` under any secret. Only signatures
 * within the tolerance are hashed (at most {@link maxTimestamps} distinct `t`, one HMAC each per secret), and
 * each of their `v1` is compared with every secret's HMAC (see `groupMatches`). Parts of the header it cannot
 * read are ignored (see `parseSignatureHeader`). A `timestamp` failure means no signature was within the
 * tolerance, genuine or not (a replay, a skewed clock, or a forgery: none is hashed to tell).
 *
 * @example
 * const result = verifyRound0Signature({ rawBody, header: headers['x-webhook-signature'], secrets });
 * if (!result.ok) return unauthorized(result.reason);
 * @throws {WebhookConfigurationError} when `secrets` is empty or holds an empty string, or the tolerance
 * is negative.
 */
export function verifyRound0Signature(options: VerifyRound0SignatureOptions): Round0SignatureResult {
  assertUsableSecrets(options.secrets);
  const screened = screenSignatureHeader(options.header, options);
  if (screened.failure !== undefined) return { ok: false, reason: screened.failure, unmatched: false };

  let accepted: number | undefined;
  // One HMAC per distinct `t` and secret: groups of one `t` (a header repeated as it was) share them.
  const expectedByTimestamp = new Map<string, Buffer[]>();
  // Every group is checked, none skipped after a match: the work does not depend on which one verified.
  for (const group of screened.groups) {
    let expected = expectedByTimestamp.get(group.timestamp);
    if (expected === undefined) {
      const content = round0SignedContent(group.timestamp, options.rawBody);
      expected = options.secrets.map((secret) => hmacSha256(secret, content));
      expectedByTimestamp.set(group.timestamp, expected);
    }
    if (groupMatches(group, expected)) accepted ??= Number(group.timestamp);
  }
  if (accepted !== undefined) return { ok: true, timestamp: accepted };
  return { ok: false, reason: 'mismatch', unmatched: true };
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
