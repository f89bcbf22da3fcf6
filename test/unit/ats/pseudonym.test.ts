import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { emailPseudonym } from '../../../functions/ats/pseudonym.js';

const key = 'k'.repeat(32);

describe('emailPseudonym', () => {
  it('is stable for one address whatever its case and surrounding spaces, and 64 bits of hex', () => {
    // Act
    const forms = ['ada@example.com', ' Ada@Example.COM ', 'ADA@EXAMPLE.COM'].map((e) =>
      emailPseudonym(e, key),
    );

    // Assess
    expect(new Set(forms).size).toBe(1);
    expect(forms[0]).toMatch(/^email-hmac:[0-9a-f]{16}$/);
  });

  it('depends on the key, so a plain hash of a list of e-mails does not reverse it', () => {
    // Prepare
    const email = 'ada@example.com';
    const plainHash = createHash('sha256').update(email).digest('hex').slice(0, 16);

    // Act
    const a = emailPseudonym(email, key);
    const b = emailPseudonym(email, 'x'.repeat(32));

    // Assess
    expect(a).not.toBe(b);
    expect(a).not.toContain(plainHash);
  });

  it('writes nothing without a key', () => {
    // Act
    const withoutKey = [emailPseudonym('ada@example.com', undefined), emailPseudonym('ada@example.com', '')];

    // Assess
    expect(withoutKey).toStrictEqual([undefined, undefined]);
  });

  it('tells different addresses apart (property)', () => {
    fc.assert(
      fc.property(fc.emailAddress(), fc.emailAddress(), (a, b) => {
        // Act
        const same = emailPseudonym(a, key) === emailPseudonym(b, key);

        // Assess
        expect(same).toBe(a.trim().toLowerCase() === b.trim().toLowerCase());
      }),
      { numRuns: 200 },
    );
  });
});
