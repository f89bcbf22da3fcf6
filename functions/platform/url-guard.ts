/**
 * SSRF guard of the outbound HTTP client (`http.ts`): decides whether a URL may leave the process, and
 * makes sure the address a connection is actually opened to is a public one.
 *
 * A {@link UrlPolicy} is data the caller passes in (per vendor, per ATS): https only unless told otherwise,
 * an optional host allowlist, and public addresses only. It is checked twice:
 * - before each request and each redirect hop, on the URL ({@link UrlGuard.check}): scheme, allowlist and
 *   IP-literal hosts. The WHATWG URL parser already turns `http://2130706433/`, `http://0x7f.1/`,
 *   `http://0177.0.0.1/` and `http://127.1/` into `127.0.0.1` and `[::ffff:127.0.0.1]` into
 *   `[::ffff:7f00:1]`, so only canonical forms reach the classifier (test/unit/platform/url-guard.test.ts
 *   asserts it);
 * - when a connection is opened, inside the dispatcher handed to `fetch` ({@link UrlGuard.dispatcher}):
 *   every address the name resolves to is classified before the socket dials, so there is no window between
 *   "checked" and "connected" for DNS rebinding to use.
 *
 * Why an undici `Agent` rather than `request-filtering-agent`: the latter is an `http.Agent` and filters
 * `http.request`, but this service sends with the global `fetch` (undici), which ignores `http.Agent`; an
 * undici dispatcher whose `connect.lookup` vets each resolved address is the fetch equivalent. The `undici`
 * package is kept on major 6, the major Node bundles (6.24 in Node 20.20, 6.29 in Node 22.23; the tests
 * pass on both): the global `fetch` drives the dispatcher through undici's internal dispatch/handler
 * interface, so the two should share a major. Re-check when the runtime moves to Node 24 (undici 7).
 *
 * Why the address table is written here rather than taken from `ipaddr.js`: the table is short, it must
 * also look inside IPv4-mapped, NAT64 and 6to4 IPv6 addresses (which `ipaddr.js` names but leaves to the
 * caller to unpack), and it is tested range by range (test/unit/platform/url-guard.test.ts) and by property
 * (test/integration/platform/url-guard.property.test.ts).
 */
import { promises as dns, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import type { Dispatcher } from 'undici';
import { booleanEnv } from './config.js';
import { envNames } from './env.js';
import { ConfigurationError, type UrlRefusalReason } from './errors.js';

/** Where a URL may go. Every field is optional; `{}` means "any host, https, public addresses only". */
export interface UrlPolicy {
  /**
   * Hosts a URL may name: `api.example.com` (exactly that host) or `*.example.com` (any subdomain, not
   * `example.com` itself), optionally with a port (`api.example.com:8443`, `[2001:db8::1]:8443`). An entry
   * without a port matches only the scheme's default port. Wildcards match names, never IP literals.
   * @default undefined — any host
   */
  readonly allowedHosts?: readonly string[];
  /**
   * Allow plain `http:` besides `https:`. For local runs and tests against fakes only.
   * @default false
   */
  readonly allowHttp?: boolean;
  /**
   * Allow loopback, private, link-local and other non-public addresses. For local runs and tests only.
   * @default false
   */
  readonly allowPrivateAddresses?: boolean;
}

/** The parts of a {@link UrlPolicy} a local run relaxes so the service can talk to fakes on 127.0.0.1 over http. */
export type UrlPolicyRelaxation = Pick<UrlPolicy, 'allowHttp' | 'allowPrivateAddresses'>;

/** Resolves a host name to its addresses (as `dns.lookup` with `all: true` does). Injected in tests. */
export type ResolveHost = (hostname: string) => Promise<readonly LookupAddress[]>;

/** Why a URL was refused, without the URL (its path and query may hold personal data). */
export interface UrlRefusal {
  readonly reason: UrlRefusalReason;
  /** A short explanation naming at most the host and an address. */
  readonly detail: string;
  readonly host?: string;
}

export interface UrlGuard {
  /** The refusal for `url` (scheme, allowlist, IP-literal host), or `undefined` when it may be requested. */
  check(url: URL): UrlRefusal | undefined;
  /**
   * The undici dispatcher that vets resolved addresses at connect time, or `undefined` when the policy
   * allows any address (no policy, or `allowPrivateAddresses`). Loaded lazily: undici's code is only
   * evaluated by a process that sends through a guarded client.
   */
  dispatcher(): Promise<Dispatcher | undefined>;
}

/** Special-purpose ranges an address may fall in; anything else is `public`. */
export type AddressRange =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'cgnat'
  | 'link-local'
  | 'ietf-protocol'
  | 'documentation'
  | 'benchmarking'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'ipv4-compatible'
  | 'nat64-local'
  | 'discard'
  | 'teredo'
  | 'unique-local'
  | 'site-local'
  | 'not-an-ip';

type Ipv4Range = readonly [base: string, prefix: number, range: AddressRange];

/**
 * IANA IPv4 Special-Purpose Address Registry (RFC 6890 and successors) plus multicast and class E. Order
 * matters only for the broadcast address, which sits inside 240.0.0.0/4.
 */
const ipv4Ranges: readonly Ipv4Range[] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'cgnat'],
  ['127.0.0.0', 8, 'loopback'],
  // Includes 169.254.169.254, the EC2/Lambda instance metadata and credentials endpoint.
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'ietf-protocol'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['255.255.255.255', 32, 'broadcast'],
  ['240.0.0.0', 4, 'reserved'],
];

const ipv4ToNumber = (address: string): number =>
  address.split('.').reduce((value, part) => value * 256 + Number(part), 0);

const compiledIpv4 = ipv4Ranges.map(([base, prefix, range]) => ({
  base: ipv4ToNumber(base),
  size: 2 ** (32 - prefix),
  range,
}));

const ipv4Range = (value: number): AddressRange => {
  for (const { base, size, range } of compiledIpv4) {
    if (value >= base && value < base + size) return range;
  }
  return 'public';
};

const numberToIpv4 = (value: number): string =>
  [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');

/** The 128-bit value of an IPv6 address (zone id dropped, embedded dotted quad allowed), or `undefined`. */
const ipv6ToBigInt = (text: string): bigint | undefined => {
  let address = text.split('%')[0] ?? '';
  if (isIP(address) !== 6) return undefined;
  const dottedQuad = /(\d+\.\d+\.\d+\.\d+)$/.exec(address)?.[1];
  if (dottedQuad !== undefined) {
    const value = ipv4ToNumber(dottedQuad);
    address = `${address.slice(0, -dottedQuad.length)}${(value >>> 16).toString(16)}:${(value & 0xffff).toString(16)}`;
  }
  const [head = '', tail] = address.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups =
    tail === undefined ? headGroups : [...headGroups, ...Array(missing).fill('0'), ...tailGroups];
  return groups.reduce((value, group) => (value << 16n) | BigInt(Number.parseInt(group, 16)), 0n);
};

type Ipv6Rule = readonly [
  base: string,
  prefix: number,
  /** A range, or where the IPv4 address embedded in it sits (classified as IPv4). */
  range: AddressRange | { readonly embeddedIpv4Shift: bigint },
];

/**
 * IANA IPv6 Special-Purpose Address Registry, most specific first. Addresses that embed an IPv4 address
 * (IPv4-mapped, the NAT64 well-known prefix that an IPv6-only VPC's DNS64 answers with, 6to4) are as public
 * as the IPv4 address inside them. Whatever is left must be global unicast (2000::/3).
 */
const ipv6Rules: readonly Ipv6Rule[] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::ffff:0:0', 96, { embeddedIpv4Shift: 0n }],
  // IPv4-compatible (deprecated by RFC 4291): no legitimate server uses it, so refuse it whatever it embeds.
  ['::', 96, 'ipv4-compatible'],
  ['64:ff9b::', 96, { embeddedIpv4Shift: 0n }],
  ['64:ff9b:1::', 48, 'nat64-local'],
  ['100::', 64, 'discard'],
  ['2001::', 32, 'teredo'],
  ['2001:db8::', 32, 'documentation'],
  ['2001::', 23, 'ietf-protocol'],
  ['2002::', 16, { embeddedIpv4Shift: 80n }],
  ['3fff::', 20, 'documentation'],
  ['fc00::', 7, 'unique-local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

const compiledIpv6 = ipv6Rules.map(([base, prefix, range]) => ({
  base: ipv6ToBigInt(base) ?? 0n,
  shift: BigInt(128 - prefix),
  range,
}));
const globalUnicast = { base: ipv6ToBigInt('2000::') ?? 0n, shift: 125n };

const ipv6Range = (value: bigint): AddressRange => {
  for (const { base, shift, range } of compiledIpv6) {
    if (value >> shift !== base >> shift) continue;
    if (typeof range === 'string') return range;
    return ipv4Range(Number((value >> range.embeddedIpv4Shift) & 0xffffffffn));
  }
  return value >> globalUnicast.shift === globalUnicast.base >> globalUnicast.shift ? 'public' : 'reserved';
};

/**
 * The special-purpose range `address` (an IPv4 or IPv6 address, IPv6 with or without brackets) falls in, or
 * `public`. Anything that is not an IP address is `not-an-ip`.
 */
export const addressRange = (address: string): AddressRange => {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (isIP(bare) === 4) return ipv4Range(ipv4ToNumber(bare));
  const value = ipv6ToBigInt(bare);
  return value === undefined ? 'not-an-ip' : ipv6Range(value);
};

/** The IPv4 address embedded in an IPv4-mapped, NAT64 or 6to4 IPv6 address, for messages; else `undefined`. */
export const embeddedIpv4 = (address: string): string | undefined => {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const value = ipv6ToBigInt(bare);
  if (value === undefined) return undefined;
  for (const { base, shift, range } of compiledIpv6) {
    if (value >> shift !== base >> shift) continue;
    return typeof range === 'string'
      ? undefined
      : numberToIpv4(Number((value >> range.embeddedIpv4Shift) & 0xffffffffn));
  }
  return undefined;
};

/** `127.0.0.1 is loopback`, `64:ff9b::a00:1 embeds 10.0.0.1, which is private`. */
const describeAddress = (address: string, range: AddressRange): string => {
  const inner = embeddedIpv4(address);
  return inner === undefined ? `${address} is ${range}` : `${address} embeds ${inner}, which is ${range}`;
};

/** A URL's host name as compared: WHATWG already lowercases it; a trailing dot names the same host. */
const normalHostname = (hostname: string): string => hostname.replace(/\.$/, '');

interface HostRule {
  /** Exact host name, or the suffix (with its leading dot) of a wildcard. */
  readonly name: string;
  readonly wildcard: boolean;
  /** `''` for the scheme's default port, as `URL.port` reports it. */
  readonly port: string;
}

/**
 * Domains under which anyone can get a host of their own (a CloudFront distribution, an S3 bucket, a Pages
 * site): a wildcard over one of them (`*.cloudfront.net`) admits every customer's hosts, an attacker's
 * included, so such an entry must name the host itself (`d111111abcdef8.cloudfront.net`). Not the whole
 * Public Suffix List (a dependency and its updates for a configuration check): the shared hosting domains
 * media and APIs are served from, and the two-label country suffixes (`co.uk`, `com.au`).
 */
const sharedHostingDomains: readonly string[] = [
  'amazonaws.com',
  'cloudfront.net',
  'awsapps.com',
  'on.aws',
  'blob.core.windows.net',
  'azureedge.net',
  'azurefd.net',
  'azurewebsites.net',
  'googleapis.com',
  'googleusercontent.com',
  'appspot.com',
  'web.app',
  'firebaseapp.com',
  'firebasestorage.app',
  'run.app',
  'github.io',
  'githubusercontent.com',
  'gitlab.io',
  'netlify.app',
  'vercel.app',
  'pages.dev',
  'workers.dev',
  'r2.dev',
  'r2.cloudflarestorage.com',
  'fastly.net',
  'akamaized.net',
  'akamaihd.net',
  'b-cdn.net',
  'digitaloceanspaces.com',
  'herokuapp.com',
  'ngrok.io',
  'ngrok-free.app',
];

/** Whether `suffix` (without its leading dot) is a domain where anyone may hold a host. */
const isSharedSuffix = (suffix: string): boolean =>
  sharedHostingDomains.some((domain) => suffix === domain || suffix.endsWith(`.${domain}`)) ||
  /^(?:co|com|net|org|gov|edu|ac|or|ne|go)\.[a-z]{2}$/.test(suffix);

/**
 * One `allowedHosts` entry, canonicalised by the same WHATWG parser that parses request URLs (IDN to
 * punycode, IPv4 forms to dotted quads, IPv6 compressed), so an entry and a URL compare as equals.
 */
const parseHostRule = (entry: string): HostRule => {
  const invalid = () =>
    new ConfigurationError(
      `allowed host "${entry}" is not a host, *.suffix or IP literal (IPv6 in brackets)`,
    );
  const [, hostPart = '', port = ''] = /^(.*?)(?::(\d{1,5}))?$/.exec(entry.trim().toLowerCase()) ?? [];
  const wildcard = hostPart.startsWith('*.');
  // `*` is not a host code point: parse a placeholder label in its place.
  const placeholder = 'wildcard';
  let parsed: URL;
  try {
    parsed = new URL(`http://${wildcard ? `${placeholder}${hostPart.slice(1)}` : hostPart}/`);
  } catch {
    throw invalid();
  }
  const hostname = normalHostname(parsed.hostname);
  const ipLiteral = addressRange(hostname) !== 'not-an-ip';
  // WHATWG accepts hosts such as `*` or `a$b`; an allowlist entry must be a real name or an IP literal.
  const nameLike = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/.test(hostname);
  if (
    !(ipLiteral || nameLike) ||
    parsed.username !== '' ||
    parsed.password !== '' ||
    parsed.pathname !== '/'
  ) {
    throw invalid();
  }
  // A wildcard needs a suffix of at least two labels (`*.com` is a typo, not a policy) and never covers IPs.
  const suffix = hostname.slice(placeholder.length + 1);
  if (wildcard && (ipLiteral || !suffix.includes('.'))) throw invalid();
  if (wildcard && isSharedSuffix(suffix)) {
    throw new ConfigurationError(
      `allowed host "${entry}" is a wildcard over ${suffix}, where anyone can get a host: name the host ` +
        'itself (e.g. the CloudFront distribution or the bucket)',
    );
  }
  return {
    name: wildcard ? hostname.slice(placeholder.length) : hostname,
    wildcard,
    port: port === '' ? '' : String(Number(port)),
  };
};

/** Whether `url`'s host (name and port) is matched by one of `rules`. */
const hostMatches = (rules: readonly HostRule[], url: URL): boolean => {
  const hostname = normalHostname(url.hostname);
  const isIpLiteral = addressRange(hostname) !== 'not-an-ip';
  return rules.some(
    (rule) =>
      rule.port === url.port &&
      (rule.wildcard
        ? !isIpLiteral && hostname.endsWith(rule.name) && hostname.length > rule.name.length
        : hostname === rule.name),
  );
};

const defaultResolve: ResolveHost = (hostname) => dns.lookup(hostname, { all: true });

/** `code` of the error a guarded connection fails with; {@link connectRefusalOf} finds it again. */
const connectRefusedCode = 'ERR_OUTBOUND_ADDRESS_REFUSED';

/**
 * The error a connection attempt fails with: a plain `Error` carrying the refusal, not a
 * `UrlRefusedError`, because undici's fetch keeps a failure as the `cause` only when it looks like an
 * `Error` (`instanceof` or constructor name `Error`) and rewrites anything else to `new Error(String(x))`;
 * a subclass from another realm (jest's VM modules) fails both tests. `http.ts` turns it into a
 * `UrlRefusedError` naming the operation.
 */
const refusedAddress = (host: string, address: string, range: AddressRange): Error => {
  const detail =
    host === address
      ? describeAddress(address, range)
      : `${host} resolves to a non-public address: ${describeAddress(address, range)}`;
  const refusal: UrlRefusal = { reason: 'private-address', detail, host };
  return Object.assign(new Error(detail), { code: connectRefusedCode, refusal });
};

/** The refusal behind a failed connection (anywhere in `error`'s cause chain), or `undefined`. */
export const connectRefusalOf = (error: unknown): UrlRefusal | undefined => {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth += 1) {
    const { code, refusal } = current as { code?: unknown; refusal?: UrlRefusal };
    if (code === connectRefusedCode && refusal !== undefined) return refusal;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
};

/**
 * A `lookup` for `net.connect` that resolves with `resolve` and fails when any address is not public. Every
 * address is vetted, not only the first: with Happy Eyeballs (`autoSelectFamily`, on by default since Node
 * 20) the socket may dial any of them, and a name that mixes public and private answers is an attack.
 */
const publicOnlyLookup =
  (resolve: ResolveHost): LookupFunction =>
  (hostname, options, callback) => {
    resolve(hostname).then(
      (addresses) => {
        // Called outside the promise chain so an exception in net's callback is not swallowed here.
        process.nextTick(() => {
          const refused = addresses
            .map((entry) => ({ entry, range: addressRange(entry.address) }))
            .find(({ range }) => range !== 'public');
          if (refused !== undefined) {
            callback(refusedAddress(hostname, refused.entry.address, refused.range), '', 0);
            return;
          }
          const family = options.family === 4 || options.family === 6 ? options.family : undefined;
          const usable = addresses.filter((entry) => family === undefined || entry.family === family);
          const first = usable[0];
          if (first === undefined) {
            const error = Object.assign(new Error(`no usable address for ${hostname}`), {
              code: 'ENOTFOUND',
            });
            callback(error, '', 0);
          } else if (options.all) {
            callback(null, [...usable]);
          } else {
            callback(null, first.address, first.family);
          }
        });
      },
      (error: NodeJS.ErrnoException) => process.nextTick(() => callback(error, '', 0)),
    );
  };

/**
 * An undici `Agent` whose connections only reach public addresses: IP-literal hosts are vetted before
 * dialling, names through {@link publicOnlyLookup}; the socket's remote address is checked once more after
 * connecting, as a backstop should a future connector path skip the lookup.
 */
const createPublicOnlyAgent = async (resolve: ResolveHost): Promise<Dispatcher> => {
  const { Agent, buildConnector } = await import('undici');
  const connect = buildConnector({ lookup: publicOnlyLookup(resolve) });
  return new Agent({
    connect: (options, callback) => {
      const host = options.hostname.replace(/^\[(.*)\]$/, '$1');
      const literalRange = isIP(host) === 0 ? 'public' : addressRange(host);
      if (literalRange !== 'public') {
        callback(refusedAddress(host, host, literalRange), null);
        return;
      }
      connect(options, (error, socket) => {
        if (error !== null) {
          callback(error, null);
          return;
        }
        const remote = socket.remoteAddress ?? '';
        const range = addressRange(remote);
        if (range !== 'public') {
          socket.destroy();
          callback(refusedAddress(host, remote, range), null);
          return;
        }
        callback(null, socket);
      });
    },
  });
};

// One agent per resolver for the life of the container: agents pool keep-alive connections, and clients
// are created per call in places (Slack); a new pool per call would leak sockets until they idle out.
const agents = new WeakMap<ResolveHost, Promise<Dispatcher>>();
const publicOnlyAgent = (resolve: ResolveHost): Promise<Dispatcher> => {
  let agent = agents.get(resolve);
  if (agent === undefined) {
    agent = createPublicOnlyAgent(resolve);
    agents.set(resolve, agent);
  }
  return agent;
};

/** Whether `entry` is a wildcard over a domain where anyone can get a host (`*.cloudfront.net`): refused. */
export const isSharedHostingWildcard = (entry: string): boolean => {
  const suffix = /^\*\.(.+?)\.?(?::\d{1,5})?$/.exec(entry.trim().toLowerCase())?.[1];
  return suffix !== undefined && isSharedSuffix(suffix);
};

/**
 * Whether `entry` is a valid `allowedHosts` entry (a host name, `*.suffix` or IP literal, optionally with a
 * port), as {@link createUrlGuard} parses it: lets configuration be checked before it reaches a guard.
 */

export const isAllowedHostEntry = (entry: string): boolean => {
  try {
    parseHostRule(entry);
    return true;
  } catch {
    return false;
  }
};

/**
 * The guard for `policy`. Without a policy only the scheme is checked (http or https): that is the
 * behaviour for callers whose URLs come from configuration alone; pass a policy wherever a URL may come
 * from a payload or a third party.
 *
 * @throws ConfigurationError when an `allowedHosts` entry is malformed (at creation, not per request)
 */
export const createUrlGuard = (
  policy: UrlPolicy | undefined,
  options: { readonly resolve?: ResolveHost } = {},
): UrlGuard => {
  const resolve = options.resolve ?? defaultResolve;
  const rules = policy?.allowedHosts?.map(parseHostRule);
  const allowHttp = policy === undefined || policy.allowHttp === true;
  const checkAddresses = policy !== undefined && policy.allowPrivateAddresses !== true;

  const check = (url: URL): UrlRefusal | undefined => {
    const host = url.host;
    if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) {
      return { reason: 'scheme', detail: `scheme ${url.protocol} is not allowed`, host };
    }
    // fetch refuses such a URL with a TypeError quoting it whole (credentials and path): that read as a
    // network failure, retried, and the URL reached the error. Refused here, for good, naming the host only.
    if (url.username !== '' || url.password !== '') {
      return { reason: 'invalid-url', detail: 'URL carries credentials (userinfo)', host };
    }
    if (rules !== undefined && !hostMatches(rules, url)) {
      return { reason: 'host-not-allowed', detail: `host ${host} is not allowed`, host };
    }
    const hostname = normalHostname(url.hostname);
    const range = addressRange(hostname);
    if (checkAddresses && range !== 'not-an-ip' && range !== 'public') {
      return { reason: 'private-address', detail: describeAddress(hostname, range), host };
    }
    return undefined;
  };

  return {
    check,
    dispatcher: async () => (checkAddresses ? publicOnlyAgent(resolve) : undefined),
  };
};

/**
 * The policy of an API client: exactly the host (and port) of its configured base URL, https, public
 * addresses, unless `relaxation` says otherwise (local runs). An unparsable base URL allows no host.
 */
export const urlPolicyForBaseUrl = (baseUrl: string, relaxation: UrlPolicyRelaxation = {}): UrlPolicy => {
  let host: string | undefined;
  try {
    host = new URL(baseUrl).host;
  } catch {
    host = undefined;
  }
  return { ...relaxation, allowedHosts: host === undefined ? [] : [host] };
};

/**
 * The relaxation a process may apply to every URL policy, read once from `OUTBOUND_ALLOW_LOCAL`: `true`
 * (set only by `local/runtime.ts`) allows http and private addresses so the worker reaches the fakes on
 * 127.0.0.1; unset or `false` (every deployed function) relaxes nothing. It lifts the whole SSRF guard, so
 * it is honoured only beside a local secrets file (`LOCAL_SECRETS_FILE`) and no secret ARN, as no deployed
 * function has: set by hand on a deployed function, it stops the function at start rather than open it.
 *
 * @throws ConfigurationError when the variable is set to something other than true/false/1/0, or to true
 * without `LOCAL_SECRETS_FILE` or beside a `*_SECRETS_ARN`
 */
export const urlPolicyRelaxationFromEnv = (
  env: Readonly<Record<string, string | undefined>>,
): UrlPolicyRelaxation => {
  if (!booleanEnv(env, envNames.outboundAllowLocal, false)) return {};
  // Every deployed function reads its secrets from Secrets Manager: an ARN beside it marks a deployed
  // function, whatever else was set by hand.
  const secretArns = [
    envNames.webhookSecretsArn,
    envNames.integrationSecretsArn,
    envNames.vendorApiSecretsArn,
  ].filter((name) => env[name]);
  if (!env[envNames.localSecretsFile] || secretArns.length > 0) {
    throw new ConfigurationError(
      `${envNames.outboundAllowLocal} lifts the SSRF guard and is for local runs only (beside ` +
        `${envNames.localSecretsFile}, without a secret ARN): remove it from this function's environment`,
    );
  }
  return { allowHttp: true, allowPrivateAddresses: true };
};
