import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import {
  round0HeaderFailure,
  round0SignedContent,
  signRound0Payload,
  verifyRound0Signature,
  WebhookConfigurationError,
} from '../../../functions/vendors/index.js';
import { fixture } from '../../helpers/fixtures.js';

const secret = 'whsec_current_0123456789abcdef';
const oldSecret = 'whsec_previous_fedcba9876543210';
const t = 1_700_000_000;
const rawText = fixture('round0', 'interview_ended').raw;
const rawBody = Buffer.from(rawText, 'utf8');

/** A ROUND0 delivery signed with `signedWith` at `t`, verified now = `now` against `secrets`. */
function verify(
  overrides: {
    header?: string | undefined;
    body?: Uint8Array;
    secrets?: string[];
    now?: number;
    tolerance?: number;
  } = {},
) {
  return verifyRound0Signature({
    rawBody: overrides.body ?? rawBody,
    header: 'header' in overrides ? overrides.header : signRound0Payload(rawBody, secret, t),
    secrets: overrides.secrets ?? [secret],
    nowSeconds: overrides.now ?? t,
    ...(overrides.tolerance === undefined ? {} : { toleranceSeconds: overrides.tolerance }),
  });
}

const hexOf = (header: string) => header.split('v1=')[1] ?? '';
const otherSignature = 'ab'.repeat(32);

describe('signRound0Payload', () => {
  it('signs "<t>.<raw body>" with HMAC-SHA256, Stripe style', () => {
    // Prepare
    const expected = createHmac('sha256', secret).update(`${t}.${rawText}`).digest('hex');

    // Act
    const header = signRound0Payload(rawText, secret, t);

    // Assess
    expect(header).toBe(`t=${t},v1=${expected}`);
    expect(round0SignedContent(String(t), rawBody).toString('utf8')).toBe(`${t}.${rawText}`);
  });

  it('signs a string as its UTF-8 bytes', () => {
    // Prepare
    const text = '{"name":"Zoë 🚀"}';

    // Act
    const fromString = signRound0Payload(text, secret, t);
    const fromBytes = signRound0Payload(new TextEncoder().encode(text), secret, t);

    // Assess
    expect(fromString).toBe(fromBytes);
  });

  it.each([-1, 1.5, Number.NaN])('refuses the timestamp %p', (timestamp) => {
    // Act
    const sign = () => signRound0Payload(rawText, secret, timestamp);

    // Assess
    expect(sign).toThrow(RangeError);
  });
});

describe('verifyRound0Signature', () => {
  it('accepts a delivery signed with the secret and returns its timestamp', () => {
    // Act
    const result = verify();

    // Assess
    expect(result).toEqual({ ok: true, timestamp: t });
  });

  it('refuses a body changed after signing', () => {
    // Prepare
    const tampered = Buffer.from(rawText.replace('"score": 85', '"score": 95'), 'utf8');

    // Act
    const result = verify({ body: tampered });

    // Assess
    expect(tampered.equals(rawBody)).toBe(false);
    expect(result).toEqual({ ok: false, reason: 'mismatch', unmatched: true });
  });

  it('refuses the same JSON serialised differently (the signature covers bytes)', () => {
    // Prepare
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(rawText)), 'utf8');

    // Act
    const result = verify({ body: reserialised });

    // Assess
    expect(reserialised.equals(rawBody)).toBe(false);
    expect(result).toEqual({ ok: false, reason: 'mismatch', unmatched: true });
  });

  it('refuses a delivery signed with another secret', () => {
    // Act
    const result = verify({ secrets: ['whsec_someone_else'] });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'mismatch', unmatched: true });
  });

  it('refuses a signature moved to another timestamp', () => {
    // Prepare
    const header = `t=${t + 1},v1=${hexOf(signRound0Payload(rawBody, secret, t))}`;

    // Act
    const result = verify({ header, now: t });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'mismatch', unmatched: true });
  });

  it.each([
    ['stale, at the tolerance', t + 300, true],
    ['stale, one second past the tolerance', t + 301, false],
    ['from the future, at the tolerance', t - 300, true],
    ['from the future, one second past the tolerance', t - 301, false],
  ])('judges a timestamp %s', (_, now, ok) => {
    // Act
    const result = verify({ now });

    // Assess
    expect(result).toEqual(
      ok ? { ok: true, timestamp: t } : { ok: false, reason: 'timestamp', unmatched: false },
    );
  });

  it('uses a configured tolerance', () => {
    // Act
    const inside = verify({ now: t + 30, tolerance: 30 });
    const outside = verify({ now: t + 31, tolerance: 30 });

    // Assess
    expect(inside.ok).toBe(true);
    expect(outside).toEqual({ ok: false, reason: 'timestamp', unmatched: false });
  });

  it('defaults "now" to the clock', () => {
    // Prepare
    const now = Math.floor(Date.now() / 1000);
    const header = signRound0Payload(rawBody, secret, now - 1000);

    // Act
    const result = verifyRound0Signature({ rawBody, header, secrets: [secret] });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'timestamp', unmatched: false });
  });

  it('reports a stale delivery as a timestamp failure whether or not its signature is genuine (none is hashed to tell)', () => {
    // Act
    const forged = verify({ secrets: ['whsec_someone_else'], now: t + 10_000 });
    const genuine = verify({ now: t + 10_000 });

    // Assess: no secret could make either verify, so neither is curable
    expect(forged).toEqual({ ok: false, reason: 'timestamp', unmatched: false });
    expect(genuine).toEqual({ ok: false, reason: 'timestamp', unmatched: false });
  });

  it('accepts the previous secret while secrets rotate', () => {
    // Prepare
    const header = signRound0Payload(rawBody, oldSecret, t);

    // Act
    const result = verify({ header, secrets: [secret, oldSecret] });

    // Assess
    expect(result).toEqual({ ok: true, timestamp: t });
  });

  it('accepts a header with several v1 values when one matches, and ignores other schemes', () => {
    // Prepare
    const valid = hexOf(signRound0Payload(rawBody, secret, t));
    const header = `t=${t}, v0=${otherSignature}, v1=${otherSignature}, v1=${valid.toUpperCase()}`;

    // Act
    const result = verify({ header });

    // Assess
    expect(result).toEqual({ ok: true, timestamp: t });
  });

  describe('with the header repeated (API Gateway joins repeated headers with a comma)', () => {
    /** What two `X-Webhook-Signature` headers look like once an HTTP API has joined them. */
    const joined = (...headers: string[]) => headers.join(',');
    const signedAt = (timestamp: number, key = secret) => signRound0Payload(rawBody, key, timestamp);

    it.each([
      ['the first', [signedAt(t), signedAt(t + 1, 'whsec_someone_else')]],
      ['the second', [signedAt(t + 1, 'whsec_someone_else'), signedAt(t)]],
      ['each', [signedAt(t - 1), signedAt(t)]],
    ])('accepts the delivery when %s of them verifies', (_, headers) => {
      // Act
      const result = verify({ header: joined(...headers) });

      // Assess
      expect(result.ok).toBe(true);
    });

    it('returns the timestamp of the signature that verified', () => {
      // Act
      const result = verify({ header: joined(signedAt(t + 7, 'whsec_someone_else'), signedAt(t + 3)) });

      // Assess
      expect(result).toEqual({ ok: true, timestamp: t + 3 });
    });

    it('refuses the delivery when none of them verifies', () => {
      // Act
      const result = verify({
        header: joined(signedAt(t, 'whsec_someone_else'), signedAt(t + 1, 'whsec_another_one')),
      });

      // Assess
      expect(result).toEqual({ ok: false, reason: 'mismatch', unmatched: true });
    });

    it('checks each v1 against the t before it, not against any t in the header', () => {
      // Prepare: two genuine signatures with their timestamps swapped
      const header = `t=${t},v1=${hexOf(signedAt(t + 1))},t=${t + 1},v1=${hexOf(signedAt(t))}`;

      // Act
      const result = verify({ header });

      // Assess
      expect(result).toEqual({ ok: false, reason: 'mismatch', unmatched: true });
    });

    it("judges each signature's timestamp on its own", () => {
      // Prepare
      const stale = signedAt(t - 1000);

      // Act
      const withFreshOne = verify({ header: joined(stale, signedAt(t)) });
      const withForgedFreshOne = verify({ header: joined(stale, signedAt(t, 'whsec_someone_else')) });

      // Assess: the stale one is not checked at all, so the fresh one decides (a rolled secret might cure it)
      expect(withFreshOne).toEqual({ ok: true, timestamp: t });
      expect(withForgedFreshOne).toEqual({ ok: false, reason: 'mismatch', unmatched: true });
    });

    it('accepts a signature under the previous secret in either header while secrets rotate', () => {
      // Act
      const result = verify({
        header: joined(signedAt(t, 'whsec_someone_else'), signedAt(t, oldSecret)),
        secrets: [secret, oldSecret],
      });

      // Assess
      expect(result).toEqual({ ok: true, timestamp: t });
    });

    it('refuses a header with more than two distinct timestamps as malformed, and accepts one timestamp repeated', () => {
      // Prepare: a genuine signature behind two others of other timestamps (each would cost an HMAC)
      const valid = signedAt(t);

      // Act
      const twoTimestamps = verify({ header: joined(signedAt(t - 1, 'whsec_someone_else'), valid) });
      const sameTimestampThrice = verify({ header: joined(valid, valid, valid) });
      const threeTimestamps = verify({
        header: joined(signedAt(t - 2, 'whsec_someone_else'), signedAt(t - 1, 'whsec_someone_else'), valid),
      });

      // Assess
      expect(twoTimestamps).toEqual({ ok: true, timestamp: t });
      expect(sameTimestampThrice).toEqual({ ok: true, timestamp: t });
      expect(threeTimestamps).toEqual({ ok: false, reason: 'malformed', unmatched: false });
    });

    it('counts v1 values across all of them against the cap', () => {
      // Prepare
      const group = (count: number) =>
        `t=${t},${Array.from({ length: count }, () => `v1=${otherSignature}`).join(',')}`;
      const valid = signedAt(t);

      // Act
      const atCap = verify({ header: joined(group(4), group(3), valid) });
      const overCap = verify({ header: joined(group(4), group(4), valid) });

      // Assess
      expect(atCap).toEqual({ ok: true, timestamp: t });
      expect(overCap).toEqual({ ok: false, reason: 'malformed', unmatched: false });
    });
  });

  it('reports a missing header', () => {
    // Act
    const result = verify({ header: undefined });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'missing', unmatched: false });
  });

  const valid = hexOf(signRound0Payload(rawBody, secret, t));
  it.each([
    ['empty', ''],
    ['garbage', 'not a signature'],
    ['without t', `v1=${valid}`],
    ['without v1', `t=${t}`],
    ['with a non-numeric t', `t=soon,v1=${valid}`],
    ['with a negative t', `t=-${t},v1=${valid}`],
    ['with a v1 that is not hex', `t=${t},v1=${'zz'.repeat(32)}`],
    ['with a short v1', `t=${t},v1=${valid.slice(0, 62)}`],
    ['with a t in milliseconds', `t=${t}000,v1=${valid}`],
    ['with its only v1 before the t', `v1=${valid},t=${t}`],
    ['with only parts it cannot read', `abc,t=${t}x,v1=${valid},v1=abcd,,t=`],
    ['with too many v1', `t=${t},${Array.from({ length: 9 }, () => `v1=${valid}`).join(',')}`],
    [
      'with too many v1, some of them outside the tolerance',
      `t=${t},v1=${valid},t=${t - 3600},${Array.from({ length: 8 }, () => `v1=${otherSignature}`).join(',')}`,
    ],
    ['longer than any real header', `t=${t},v1=${valid},x=${'a'.repeat(3000)}`],
  ])('reports a header %s as malformed', (_, header) => {
    // Act
    const result = verify({ header });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'malformed', unmatched: false });
  });

  describe('beside parts it cannot read (ignored, as Stripe ignores them)', () => {
    const stale = signRound0Payload(rawBody, secret, t - 3600);
    it.each([
      ['a part without "="', 'abc'],
      ['an empty part', ''],
      ['a short v1 of its own t', `t=${t},v1=abcd`],
      ['a v1 that is not hex', `t=${t},v1=${'zz'.repeat(32)}`],
      ['a t in milliseconds', `t=${t}000,v1=${otherSignature}`],
      ['a non-numeric t', `t=soon,v1=${otherSignature}`],
      ['a t without any v1', `t=${t + 1}`],
      ['a v1 before any t', `v1=${otherSignature}`],
      ['another scheme', `v0=${otherSignature}`],
      ['two signatures of other timestamps, outside the tolerance', `t=1,v1=${otherSignature},${stale}`],
    ])('accepts a valid signature beside %s, before it or after it', (_, sibling) => {
      // Prepare
      const signed = signRound0Payload(rawBody, secret, t);

      // Act
      const after = verify({ header: `${signed},${sibling}` });
      const before = verify({ header: `${sibling},${signed}` });

      // Assess
      expect(after).toEqual({ ok: true, timestamp: t });
      expect(before).toEqual({ ok: true, timestamp: t });
    });

    it('does not take a v1 after an unreadable t for a signature of the t before it', () => {
      // Prepare: the genuine v1 of t, placed after a t that cannot be read
      const header = `t=${t},v1=${otherSignature},t=${t}x,v1=${valid}`;

      // Act
      const result = verify({ header });

      // Assess
      expect(result).toEqual({ ok: false, reason: 'mismatch', unmatched: true });
    });

    it('still refuses a stale genuine signature beside them as a timestamp failure', () => {
      // Act
      const result = verify({ header: `${stale},abc,t=${t},v1=abcd` });

      // Assess
      expect(result).toEqual({ ok: false, reason: 'timestamp', unmatched: false });
    });
  });

  it.each([
    ['no secret', { secrets: [] }],
    ['an empty secret', { secrets: [secret, ''] }],
    ['a negative tolerance', { tolerance: -1 }],
  ])('throws a configuration error for %s', (_, overrides) => {
    // Act
    const run = () => verify(overrides);

    // Assess
    expect(run).toThrow(WebhookConfigurationError);
  });

  it('verifies any body it signed and refuses it after any byte changes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 512 }),
        fc.string({ minLength: 1, maxLength: 64 }),
        fc.integer({ min: 0, max: 4_000_000_000 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (body, key, timestamp, position, flip) => {
          // Prepare
          const header = signRound0Payload(body, key, timestamp);
          const options = { header, secrets: [key], nowSeconds: timestamp };

          // Act
          const genuine = verifyRound0Signature({ ...options, rawBody: body });

          // Assess
          expect(genuine).toEqual({ ok: true, timestamp });
          if (body.length > 0) {
            const changed = Uint8Array.from(body);
            const index = position % body.length;
            changed[index] = (changed[index] ?? 0) ^ flip;
            expect(verifyRound0Signature({ ...options, rawBody: changed })).toEqual({
              ok: false,
              reason: 'mismatch',
              unmatched: true,
            });
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('round0HeaderFailure (judged before any secret is read)', () => {
  const clock = { nowSeconds: t, toleranceSeconds: 300 };
  const fake = 'a'.repeat(64);

  it.each([
    ['missing', 'missing', undefined],
    ['unreadable', 'malformed', 'not a signature'],
    ['of timestamp 1', 'timestamp', `t=1,v1=${fake}`],
    ['one second too old', 'timestamp', `t=${t - 301},v1=${fake}`],
    ['one second too far in the future', 'timestamp', `t=${t + 301},v1=${fake}`],
    ['of two signatures, both outside the tolerance', 'timestamp', `t=1,v1=${fake},t=${t + 3600},v1=${fake}`],
    ['at the tolerance', undefined, `t=${t - 300},v1=${fake}`],
    ['of one signature outside the tolerance and one inside', undefined, `t=1,v1=${fake},t=${t},v1=${fake}`],
  ])('judges a header %s as %p', (_, expected, header) => {
    // Act
    const failure = round0HeaderFailure(header, clock);

    // Assess
    expect(failure).toBe(expected);
  });

  it('judges with the configured tolerance', () => {
    // Prepare
    const header = `t=${t - 60},v1=${fake}`;

    // Act
    const strict = round0HeaderFailure(header, { nowSeconds: t, toleranceSeconds: 30 });
    const lenient = round0HeaderFailure(header, { nowSeconds: t, toleranceSeconds: 120 });

    // Assess
    expect(strict).toBe('timestamp');
    expect(lenient).toBeUndefined();
  });

  it('fails every header without a t inside the tolerance, and exactly those verifyRound0Signature refuses whatever the secrets', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.integer({ min: t - 1000, max: t + 1000 }).map((n) => `t=${n}`),
            fc.constantFrom(`v1=${fake}`, 'v1=abcd', 'abc', 't=x', `v0=${fake}`, ''),
          ),
          { maxLength: 12 },
        ),
        (parts) => {
          // Prepare
          const header = parts.join(',');

          const anyInside = parts.some(
            (part) => part.startsWith('t=') && Math.abs(Number(part.slice(2)) - t) <= clock.toleranceSeconds,
          );

          // Act
          const failure = round0HeaderFailure(header, clock);
          const verdict = verify({ header });

          // Assess: a header with no t inside the tolerance never passes; one that passes is refused, if at
          // all, only as a mismatch a secret might cure
          if (!anyInside) expect(failure).toBeDefined();
          expect(verdict).toEqual(
            failure === undefined
              ? { ok: false, reason: 'mismatch', unmatched: true }
              : { ok: false, reason: failure, unmatched: false },
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
