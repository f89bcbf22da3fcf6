/**
 * Edges of the SSRF guard's connect-time lookup (functions/platform/url-guard.ts) left open by
 * url-guard.test.ts and http-guard.test.ts: a resolver that fails, and the address family a connection asks for.
 */
import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from '@jest/globals';
import { createHttpClient, HttpTransientError, requestNeverSent } from '../../../functions/platform/http.js';

const codesOf = (error: unknown): string[] => {
  const codes: string[] = [];
  for (let current: unknown = error, depth = 0; current && depth < 6; depth += 1) {
    const { code } = current as { code?: unknown };
    if (typeof code === 'string') codes.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
};

describe('the guarded connection’s lookup', () => {
  it('fails the connection with the resolver’s own error when the name does not resolve, rather than leave it waiting', async () => {
    // Prepare: a resolver that fails as dns.lookup does for an unknown name; an attempt timeout far longer
    // than undici’s 10 s connect timeout, so only the lookup’s answer can end the call with ENOTFOUND
    const lookups: string[] = [];
    const http = createHttpClient({
      maxAttempts: 1,
      timeoutMs: 50_000,
      urlPolicy: {},
      resolveHost: async (hostname): Promise<readonly LookupAddress[]> => {
        lookups.push(hostname);
        throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
      },
    });

    // Act
    const error = await http
      .request({ method: 'POST', url: 'https://no-such-host.test/notes', body: '{}' })
      .catch((e: unknown) => e);

    // Assess: transient and never sent (a POST may be tried again), caused by the lookup itself
    expect(error).toBeInstanceOf(HttpTransientError);
    expect(codesOf(error)).toContain('ENOTFOUND');
    expect(requestNeverSent(error)).toBe(true);
    expect(lookups).toEqual(['no-such-host.test']);
  }, 40_000);
});
