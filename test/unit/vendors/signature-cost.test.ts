/**
 * What verifying a ROUND0 signature header costs: the HMACs of the whole body it computes, counted by
 * wrapping `node:crypto`'s `createHmac` (the verifier's only hashing). Repeated groups of one timestamp
 * share their HMACs, a header of more distinct timestamps (within the tolerance) than a repeated header has is
 * refused before any body is hashed, and a signature outside the tolerance is never hashed.
 */
import { describe, expect, it, jest } from '@jest/globals';

const crypto = await import('node:crypto');
let hmacs = 0;
jest.unstable_mockModule('node:crypto', () => ({
  ...crypto,
  createHmac: (...args: Parameters<typeof crypto.createHmac>) => {
    hmacs += 1;
    return crypto.createHmac(...args);
  },
}));
const { signRound0Payload, verifyRound0Signature } = await import('../../../functions/vendors/index.js');

const secrets = ['whsec_current_0123456789abcdef', 'whsec_previous_fedcba9876543210'];
const t = 1_700_000_000;
const rawBody = Buffer.alloc(64 * 1024, 'x');
const signedAt = (timestamp: number, key = 'whsec_someone_else') =>
  signRound0Payload(rawBody, key, timestamp);

/** The HMACs computed to verify `header` (signing the header is not counted). */
const hmacsToVerify = (header: string) => {
  hmacs = 0;
  const result = verifyRound0Signature({ rawBody, header, secrets, nowSeconds: t });
  return { result, hmacs };
};

describe('verifyRound0Signature cost', () => {
  it('computes one HMAC per secret for each distinct timestamp, whatever the number of groups', () => {
    // Prepare
    const genuine = signedAt(t, secrets[0]);
    const sameTimestampThrice = [signedAt(t), signedAt(t), genuine].join(',');
    const twoTimestamps = [signedAt(t - 1), genuine].join(',');

    // Act
    const one = hmacsToVerify(genuine);
    const thrice = hmacsToVerify(sameTimestampThrice);
    const two = hmacsToVerify(twoTimestamps);

    // Assess
    expect(one).toEqual({ result: { ok: true, timestamp: t }, hmacs: 2 });
    expect(thrice).toEqual({ result: { ok: true, timestamp: t }, hmacs: 2 });
    expect(two).toEqual({ result: { ok: true, timestamp: t }, hmacs: 4 });
  });

  it('hashes nothing for a header of more than two distinct timestamps within the tolerance', () => {
    // Prepare: eight groups of eight timestamps (the v1 cap), the genuine one last
    const header = [
      ...Array.from({ length: 7 }, (_, n) => signedAt(t - n - 1)),
      signedAt(t, secrets[0]),
    ].join(',');

    // Act
    const verified = hmacsToVerify(header);

    // Assess
    expect(verified).toEqual({ result: { ok: false, reason: 'malformed', unmatched: false }, hmacs: 0 });
  });

  it('hashes no signature outside the tolerance: none for a header of only such, none beside a genuine one', () => {
    // Prepare: stale and future signatures (genuine ones among them), with parts the parser ignores
    const outside = [signedAt(t - 3600, secrets[0]), signedAt(1), signedAt(t + 3600), 'abc', `t=${t},v1=ab`];
    const genuine = signedAt(t, secrets[0]);

    // Act
    const onlyOutside = hmacsToVerify(outside.join(','));
    const beside = hmacsToVerify([...outside, genuine].join(','));

    // Assess
    expect(onlyOutside).toEqual({ result: { ok: false, reason: 'timestamp', unmatched: false }, hmacs: 0 });
    expect(beside).toEqual({ result: { ok: true, timestamp: t }, hmacs: 2 });
  });
});
