/**
 * Property: however a non-public address is spelled (IPv4 in dotted, decimal, octal, hex and short forms;
 * IPv4 inside mapped, NAT64 and 6to4 IPv6; IPv6 literals), the guard classifies it as non-public after WHATWG parsing,
 * and it does not over-block public addresses. That no request reaches such an address — directly, through
 * a resolver or a redirect — is fuzzed against real listeners in ssrf.fuzz.test.ts.
 *
 * The refused ranges (test/helpers/hostile-addresses.ts) are written from the IANA special-purpose
 * registries, not copied from `url-guard.ts`, so the test checks the table rather than repeating it.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { addressRange } from '../../../functions/platform/url-guard.js';
import {
  dotted,
  inRefusedIpv4,
  ipv4Spellings,
  loopbackIpv6Spellings,
  refusedIpv4,
  refusedIpv6,
} from '../../helpers/hostile-addresses.js';

describe('address classification property', () => {
  it('refuses every spelling of a non-public IPv4 address after WHATWG parsing', () => {
    fc.assert(
      fc.property(refusedIpv4.chain(ipv4Spellings), (host) => {
        // Act
        const range = addressRange(new URL(`http://${host}/`).hostname);

        // Assess
        expect(range).not.toBe('public');
        expect(range).not.toBe('not-an-ip');
      }),
      { numRuns: 1_000 },
    );
  });

  it('refuses every non-public IPv6 literal, and loopback however IPv6 writes it, after WHATWG parsing', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          refusedIpv6.map((address) => `[${address}]`),
          fc.constantFrom(...loopbackIpv6Spellings),
        ),
        (host) => {
          // Act
          const range = addressRange(new URL(`http://${host}/`).hostname);

          // Assess
          expect(range).not.toBe('public');
          expect(range).not.toBe('not-an-ip');
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('does not over-block: public IPv4 addresses, bare or mapped, stay public', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 0, max: 2 ** 32 - 1 })
          .filter((value) => !inRefusedIpv4(value) && value !== 0xffffffff),
        (value) => {
          // Act
          const ranges = [dotted(value), `::ffff:${dotted(value)}`, `64:ff9b::${dotted(value)}`].map(
            addressRange,
          );

          // Assess
          expect(ranges).toEqual(['public', 'public', 'public']);
        },
      ),
      { numRuns: 1_000 },
    );
  });
});
