/**
 * Property: under a URL policy, no request reaches a non-public address, however the address is spelled
 * (IPv4 in dotted, decimal, octal, hex and short forms; IPv6 literals; IPv4 inside mapped, NAT64 and 6to4
 * IPv6), whether it is named directly, hidden behind a name an (injected) resolver maps to it, or reached
 * through a redirect. A server on 127.0.0.1 records every connection: it must see none.
 *
 * The refused ranges below are written from the IANA special-purpose registries, not copied from
 * `url-guard.ts`, so the test checks the table rather than repeating it.
 */
import type { LookupAddress } from 'node:dns';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createHttpClient, UrlRefusedError } from '../../../functions/platform/http.js';
import { addressRange } from '../../../functions/platform/url-guard.js';
import { startTestServer, type TestServer } from './test-servers.js';

const refusedIpv4Ranges: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];

const toUint32 = (dotted: string) => dotted.split('.').reduce((value, part) => value * 256 + Number(part), 0);
const inRefusedIpv4 = (value: number) =>
  refusedIpv4Ranges.some(([base, prefix]) => {
    const start = toUint32(base);
    return value >= start && value < start + 2 ** (32 - prefix);
  });

const loopback = 0x7f000001;

/** A non-public IPv4 address as a 32-bit number, 127.0.0.1 (the recording server) often. */
const refusedIpv4 = fc.oneof(
  { weight: 1, arbitrary: fc.constant(loopback) },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom(...refusedIpv4Ranges)
      .chain(([base, prefix]) =>
        fc.integer({ min: 0, max: 2 ** (32 - prefix) - 1 }).map((offset) => toUint32(base) + offset),
      ),
  },
);

const bytesOf = (value: number) => [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256);
const hex16 = (value: number) => [Math.floor(value / 65536), value % 65536].map((g) => g.toString(16));

type PartFormat = 'dec' | 'hex' | 'oct';
const formatPart = (value: number, format: PartFormat) =>
  format === 'hex' ? `0x${value.toString(16)}` : format === 'oct' ? `0${value.toString(8)}` : String(value);

/** Ways to write an IPv4 address in a URL host. */
const ipv4Spellings = (value: number) =>
  fc.oneof(
    fc.constant(bytesOf(value).join('.')),
    fc.constant(String(value)),
    fc.constant(`0x${value.toString(16)}`),
    fc.constant(`0${value.toString(8)}`),
    fc
      .array(fc.constantFrom<PartFormat>('dec', 'hex', 'oct'), { minLength: 4, maxLength: 4 })
      .map((formats) =>
        bytesOf(value)
          .map((byte, i) => formatPart(byte, formats[i] ?? 'dec'))
          .join('.'),
      ),
    fc
      .constantFrom<PartFormat>('dec', 'hex', 'oct')
      .map(
        (format) => `${formatPart(bytesOf(value)[0] ?? 0, format)}.${formatPart(value % 2 ** 24, format)}`,
      ),
    fc
      .constantFrom<PartFormat>('dec', 'hex')
      .map((format) => `${bytesOf(value).slice(0, 2).join('.')}.${formatPart(value % 65536, format)}`),
    fc.constant(`[::ffff:${bytesOf(value).join('.')}]`),
    fc.constant(`[::ffff:${hex16(value).join(':')}]`),
    fc.constant(`[0:0:0:0:0:ffff:${hex16(value).join(':')}]`),
    fc.constant(`[64:ff9b::${bytesOf(value).join('.')}]`),
    fc.constant(`[64:ff9b::${hex16(value).join(':')}]`),
    fc.integer({ min: 0, max: 0xffff }).map((n) => `[2002:${hex16(value).join(':')}::${n.toString(16)}]`),
  );

const group = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));

/** Non-public IPv6 addresses that embed no IPv4 (bare, without brackets). */
const refusedIpv6 = fc.oneof(
  fc.constantFrom('::1', '::', '0:0:0:0:0:0:0:1'),
  fc
    .tuple(fc.integer({ min: 0xfe80, max: 0xfebf }), group, group)
    .map(([a, b, c]) => `${a.toString(16)}::${b}:${c}`),
  fc
    .tuple(fc.integer({ min: 0xfc00, max: 0xfdff }), group, group)
    .map(([a, b, c]) => `${a.toString(16)}:${b}::${c}`),
  fc.tuple(fc.integer({ min: 0xff00, max: 0xffff }), group).map(([a, b]) => `${a.toString(16)}::${b}`),
  fc.tuple(group, group).map(([a, b]) => `2001:db8:${a}::${b}`),
  fc.tuple(group, group).map(([a, b]) => `64:ff9b:1:${a}::${b}`),
);

const dotted = (value: number) => bytesOf(value).join('.');

/** A host as written in a URL, and what an injected resolver answers for it (names only). */
interface Target {
  readonly host: string;
  readonly resolvesTo: readonly string[];
}

const literalTargets: fc.Arbitrary<Target> = fc.oneof(
  refusedIpv4.chain(ipv4Spellings).map((host) => ({ host, resolvesTo: [] })),
  refusedIpv6.map((address) => ({ host: `[${address}]`, resolvesTo: [] })),
);

const publicAnswers = fc.array(fc.constantFrom('93.184.215.14', '2606:4700::1111', '8.8.8.8'), {
  maxLength: 2,
});

const nameTargets: fc.Arbitrary<Target> = fc
  .tuple(
    fc.stringMatching(/^[a-z][a-z0-9-]{0,12}[a-z0-9]$/),
    fc.oneof(
      refusedIpv4.map(dotted),
      refusedIpv4.map((v) => `::ffff:${dotted(v)}`),
      refusedIpv6,
    ),
    publicAnswers,
    fc.boolean(),
  )
  .map(([label, refused, publics, refusedFirst]) => ({
    host: `${label}.test`,
    resolvesTo: refusedFirst ? [refused, ...publics] : [...publics, refused],
  }));

describe('URL guard property: no request reaches a refused address', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(() => server.close());

  /** A fetch whose first hop (`https://start.example/`) answers 302 to `target`; later hops go to the network. */
  const firstHopRedirectsTo =
    (target: string): typeof fetch =>
    async (input, init) =>
      String(input) === 'https://start.example/'
        ? new Response(null, { status: 302, headers: { location: target } })
        : globalThis.fetch(input, init);

  it('refuses every generated target, directly or after a redirect, and the server sees no connection', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(literalTargets, nameTargets),
        fc.boolean(),
        fc.constantFrom('/', '/latest/meta-data/iam', '/x?email=ada@example.com'),
        async (target, viaRedirect, path) => {
          // Prepare
          const url = `http://${target.host}:${server.port}${path}`;
          const before = server.connections();
          const http = createHttpClient({
            maxAttempts: 1,
            timeoutMs: 2_000,
            urlPolicy: { allowHttp: true },
            resolveHost: async (): Promise<LookupAddress[]> =>
              target.resolvesTo.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
            fetch: viaRedirect ? firstHopRedirectsTo(url) : undefined,
          });

          // Act
          const error = await http
            .request({ method: 'GET', url: viaRedirect ? 'https://start.example/' : url })
            .catch((e: unknown) => e);

          // Assess
          expect(error).toBeInstanceOf(UrlRefusedError);
          expect(error).toMatchObject({ reason: 'private-address' });
          expect((error as Error).message).not.toContain('ada@');
          expect(server.connections()).toBe(before);
        },
      ),
      { numRuns: 300 },
    );
    expect(server.connections()).toBe(0);
  });

  it('would notice a connection: the same kinds of target reach the server once private addresses are allowed', async () => {
    // Prepare
    const before = server.connections();
    // Without address checks there is no guarded dispatcher, so names go through the system resolver.
    const http = createHttpClient({
      maxAttempts: 1,
      urlPolicy: { allowHttp: true, allowPrivateAddresses: true },
    });

    // Act
    const responses = await Promise.all(
      [
        `http://0x7f.1:${server.port}/`,
        `http://[::ffff:7f00:1]:${server.port}/`,
        `http://localhost:${server.port}/`,
      ].map((url) => http.request({ method: 'GET', url })),
    );

    // Assess
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(server.connections()).toBeGreaterThan(before);
  });
});

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
