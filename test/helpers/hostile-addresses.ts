/**
 * Generated non-public addresses and the many ways a URL can spell them, for the SSRF guard's properties
 * (test/integration/platform/url-guard.property.test.ts, test/integration/platform/ssrf.fuzz.test.ts).
 *
 * The refused ranges are written from the IANA special-purpose registries, not copied from `url-guard.ts`,
 * so the tests check the guard's table rather than repeating it.
 */
import { networkInterfaces } from 'node:os';
import fc from 'fast-check';

export const refusedIpv4Ranges: ReadonlyArray<readonly [string, number]> = [
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

export const toUint32 = (dotted: string) =>
  dotted.split('.').reduce((value, part) => value * 256 + Number(part), 0);

export const inRefusedIpv4 = (value: number) =>
  refusedIpv4Ranges.some(([base, prefix]) => {
    const start = toUint32(base);
    return value >= start && value < start + 2 ** (32 - prefix);
  });

export const loopback = 0x7f000001;

/**
 * This machine's own non-public IPv4 addresses other than 127.0.0.1, as 32-bit numbers (e.g. a container's
 * `eth0`, 10.x or 172.x): the recording listeners (test/helpers/recording-listeners.ts) are on them too, so
 * a request that reached the machine by one is seen.
 */
export const thisMachineRefusedIpv4: readonly number[] = Object.values(networkInterfaces())
  .flatMap((addresses) => addresses ?? [])
  .filter((address) => address.family === 'IPv4')
  .map((address) => toUint32(address.address))
  .filter((value) => value !== loopback && inRefusedIpv4(value));

/**
 * A non-public IPv4 address as a 32-bit number: 127.0.0.1 and this machine's other own addresses (where the
 * recording listeners are) often.
 */
export const refusedIpv4 = fc.oneof(
  { weight: 1, arbitrary: fc.constant(loopback) },
  ...(thisMachineRefusedIpv4.length === 0
    ? []
    : [{ weight: 1, arbitrary: fc.constantFrom(...thisMachineRefusedIpv4) }]),
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

export const dotted = (value: number) => bytesOf(value).join('.');

type PartFormat = 'dec' | 'hex' | 'oct';
const formatPart = (value: number, format: PartFormat) =>
  format === 'hex' ? `0x${value.toString(16)}` : format === 'oct' ? `0${value.toString(8)}` : String(value);

/**
 * Ways to write an IPv4 address in a URL host: dotted, decimal (`2130706433`), hex (`0x7f000001`), octal,
 * mixed parts (`0x7f.0.0.01`), shortened (`127.1`, `127.0.1`), and inside IPv6: mapped, NAT64, 6to4.
 */
export const ipv4Spellings = (value: number) =>
  fc.oneof(
    fc.constant(dotted(value)),
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
    fc.constant(`[::ffff:${dotted(value)}]`),
    fc.constant(`[::ffff:${hex16(value).join(':')}]`),
    fc.constant(`[0:0:0:0:0:ffff:${hex16(value).join(':')}]`),
    fc.constant(`[64:ff9b::${dotted(value)}]`),
    fc.constant(`[64:ff9b::${hex16(value).join(':')}]`),
    fc.integer({ min: 0, max: 0xffff }).map((n) => `[2002:${hex16(value).join(':')}::${n.toString(16)}]`),
  );

const group = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));

/**
 * This machine's own unique local IPv6 addresses (fc00::/7, e.g. a container's `fd00::2`), where the
 * recording listeners are too. Link-local ones are left out: they are reached only with a zone id.
 */
export const thisMachineRefusedIpv6: readonly string[] = Object.values(networkInterfaces())
  .flatMap((addresses) => addresses ?? [])
  .filter((address) => address.family === 'IPv6' && /^f[cd]/i.test(address.address))
  .map((address) => address.address);

/** Non-public IPv6 addresses that embed no IPv4 (bare, without brackets), this machine's own among them. */
export const refusedIpv6 = fc.oneof(
  fc.constantFrom('::1', '::', '0:0:0:0:0:0:0:1', '0000:0000::0001', '::0:1'),
  ...(thisMachineRefusedIpv6.length === 0 ? [] : [fc.constantFrom(...thisMachineRefusedIpv6)]),
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

/** Loopback written as IPv6 in ways a parser might not expect (upper case, zeros, IPv4-compatible, SIIT). */
export const loopbackIpv6Spellings = [
  '[::1]',
  '[0:0:0:0:0:0:0:1]',
  '[0000:0000:0000:0000:0000:0000:0000:0001]',
  '[::ffff:127.0.0.1]',
  '[0:0:0:0:0:ffff:7f00:1]',
  '[::FFFF:7F00:1]',
  '[::127.0.0.1]',
  '[::ffff:0:127.0.0.1]',
  '[64:ff9b::127.0.0.1]',
  '[2002:7f00:1::]',
  '[::]',
] as const;

/** IPv6 hosts with a zone id, which WHATWG URLs refuse to parse. */
export const zoneIdHosts = ['[fe80::1%25eth0]', '[::1%251]', '[fe80::1%eth0]', '[::1%25lo]'] as const;

const fullwidth = (text: string) =>
  [...text].map((char) => (/\d/.test(char) ? String.fromCodePoint(0xff10 + Number(char)) : char)).join('');

/**
 * 127.0.0.1 through the URL parser's mappings: fullwidth digits, ideographic full stops, percent-encoded
 * digits, a trailing dot, a tab or newline (stripped), circled letters spelling `localhost`.
 */
export const unicodeLoopbackHosts = [
  fullwidth('127.0.0.1'),
  '127。0。0。1',
  '127．0．0．1',
  '%31%32%37.0.0.1',
  '127.0.0.1.',
  '2130706433.',
  '127.0.0\t.1',
  '127.0\n.0.1',
  'ⓛⓞⓒⓐⓛⓗⓞⓢⓣ',
  'LOCALHOST.',
] as const;
