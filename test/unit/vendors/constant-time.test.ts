/**
 * How the credentials are compared: every presented value against every configured one, through
 * `node:crypto`'s `timingSafeEqual` (counted by wrapping it), so neither the time taken nor an early exit
 * tells an attacker how close a guess came or which secret matched.
 */
import { describe, expect, it, jest } from '@jest/globals';

const crypto = await import('node:crypto');
let comparisons = 0;
jest.unstable_mockModule('node:crypto', () => ({
  ...crypto,
  timingSafeEqual: (...args: Parameters<typeof crypto.timingSafeEqual>) => {
    comparisons += 1;
    return crypto.timingSafeEqual(...args);
  },
}));
const { generateWebhookToken, signRound0Payload, verifyMicro1Token, verifyRound0Signature } = await import(
  '../../../functions/vendors/index.js'
);

const secrets = ['whsec_current_0123456789abcdef', 'whsec_previous_fedcba9876543210'];
const t = 1_700_000_000;
const rawBody = Buffer.from('{"id":"evt_1","type":"interview_ended","created":1700000000,"data":{}}');
const signatureOf = (secret: string) => signRound0Payload(rawBody, secret, t).split('v1=')[1] ?? '';

describe('verifyRound0Signature’s comparisons', () => {
  it('compares each v1 with each secret’s HMAC in constant time, none skipped after a match', () => {
    // Prepare: the first v1 matches the first secret, so an early exit would stop at the first comparison
    const header = `t=${t},v1=${signatureOf(secrets[0] as string)},v1=${'ab'.repeat(32)}`;
    comparisons = 0;

    // Act
    const result = verifyRound0Signature({ rawBody, header, secrets, nowSeconds: t });

    // Assess
    expect(result).toEqual({ ok: true, timestamp: t });
    expect(comparisons).toBe(4);
  });

  it('compares in constant time a forgery that matches no secret', () => {
    // Prepare
    const header = `t=${t},v1=${signatureOf('whsec_someone_else')}`;
    comparisons = 0;

    // Act
    const result = verifyRound0Signature({ rawBody, header, secrets, nowSeconds: t });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'mismatch', unmatched: true });
    expect(comparisons).toBe(2);
  });
});

describe('verifyMicro1Token’s comparisons', () => {
  it('compares the token with every configured token in constant time, none skipped after a match', () => {
    // Prepare
    const tokens = [generateWebhookToken(), generateWebhookToken(), generateWebhookToken()];
    comparisons = 0;

    // Act
    const ok = verifyMicro1Token(tokens[0], tokens);

    // Assess
    expect(ok).toBe(true);
    expect(comparisons).toBe(3);
  });
});
