import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import {
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

  it('reports a forged stale delivery as a mismatch, not as a timestamp problem', () => {
    // Act
    const result = verify({ secrets: ['whsec_someone_else'], now: t + 10_000 });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'mismatch', unmatched: true });
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

      // Assess
      expect(withFreshOne).toEqual({ ok: true, timestamp: t });
      expect(withForgedFreshOne).toEqual({ ok: false, reason: 'timestamp', unmatched: true });
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
    ['with a t that has no v1 of its own', `t=${t},t=${t},v1=${valid}`],
    ['with a v1 before any t', `v1=${valid},t=${t},v1=${valid}`],
    ['with a v1 that is not hex', `t=${t},v1=${'zz'.repeat(32)}`],
    ['with a short v1', `t=${t},v1=${valid.slice(0, 62)}`],
    ['with an empty part', `t=${t},,v1=${valid}`],
    ['with too many v1', `t=${t},${Array.from({ length: 9 }, () => `v1=${valid}`).join(',')}`],
    ['longer than any real header', `t=${t},v1=${valid},x=${'a'.repeat(3000)}`],
  ])('reports a header %s as malformed', (_, header) => {
    // Act
    const result = verify({ header });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'malformed', unmatched: false });
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
