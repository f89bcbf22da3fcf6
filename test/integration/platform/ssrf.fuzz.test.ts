/**
 * SSRF fuzz of the outbound client (`http.ts` with the guard of `url-guard.ts`): generated URLs that lead
 * to a non-public address — IPv4 in every spelling (`http://2130706433/`, `0x7f.1`, `0177.0.0.1`,
 * `127.1`, fullwidth digits, ideographic dots, percent-encoded digits), IPv6 literals (`[::1]`, mapped,
 * NAT64, 6to4, IPv4-compatible, zone ids), userinfo and delimiter tricks
 * (`https://allowed.test@127.0.0.1/`, `127.0.0.1\@allowed.test`), names an injected resolver maps to
 * non-public addresses (alone or among public ones) — asked for directly or reached through a chain of
 * real 30x redirects from a local server, with `request` or `stream`, under policies with and without
 * an allowlist (one that even lists the loopback hosts). Listeners on every address of this machine (all of
 * 127.0.0.0/8, [::1], its interfaces' own, which the generated addresses include) on the target port record
 * every connection: they must record none, and every call must fail with a UrlRefusedError.
 *
 * A control runs the same kinds of URL with private addresses allowed and sees them arrive, so a listener
 * that recorded nothing cannot be mistaken for a guard that refused everything.
 */
import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  createHttpClient,
  type HttpClient,
  type ResolveHost,
  type UrlPolicy,
  UrlRefusedError,
} from '../../../functions/platform/http.js';
import {
  dotted,
  ipv4Spellings,
  loopback,
  loopbackIpv6Spellings,
  refusedIpv4,
  refusedIpv6,
  thisMachineRefusedIpv4,
  thisMachineRefusedIpv6,
  unicodeLoopbackHosts,
  zoneIdHosts,
} from '../../helpers/hostile-addresses.js';
import { type RecordingListeners, startRecordingListeners } from '../../helpers/recording-listeners.js';

const runs = 1_000;

/** This machine's own non-public addresses other than loopback, as URL hosts (the listeners are on them). */
const thisMachineHosts = [
  ...thisMachineRefusedIpv4.map(dotted),
  ...thisMachineRefusedIpv6.map((address) => `[${address}]`),
];

/** The host name the fetch below sends to the local redirecting server. */
const redirectorHost = 'redirector.test';

/** A path with something personal in it: no error message may repeat it. */
const paths = fc.constantFrom('/', '/latest/meta-data/iam/security-credentials/', '/x?email=ada@example.com');

/** How a generated URL reaches its target, and what the injected resolver answers for its names. */
interface Target {
  readonly label: string;
  readonly url: string;
  readonly answers: Readonly<Record<string, readonly string[]>>;
}

const publicAnswers = fc.array(fc.constantFrom('93.184.215.14', '2606:4700::1111', '8.8.8.8'), {
  maxLength: 2,
});

/** Hosts that are 127.0.0.1 or [::1] however written (the listeners would see a request to them). */
const loopbackHost = fc.oneof(ipv4Spellings(loopback), fc.constantFrom(...loopbackIpv6Spellings));

const targets = (port: number): fc.Arbitrary<Target> => {
  const scheme = fc.constantFrom('http', 'https');
  const at = (label: string, host: fc.Arbitrary<string>) =>
    fc
      .tuple(scheme, host, paths)
      .map(([s, h, p]): Target => ({ label, url: `${s}://${h}:${port}${p}`, answers: {} }));
  return fc.oneof(
    at('IPv4 spelling', refusedIpv4.chain(ipv4Spellings)),
    at(
      'IPv6 literal',
      fc.oneof(
        refusedIpv6.map((address) => `[${address}]`),
        fc.constantFrom(...loopbackIpv6Spellings),
      ),
    ),
    at('zone id', fc.constantFrom(...zoneIdHosts)),
    at('unicode host', fc.constantFrom(...unicodeLoopbackHosts)),
    fc
      .tuple(
        scheme,
        fc.constantFrom('allowed.test', `allowed.test:${port}`, 'user:pass', 'a%40b', 'allowed.test:443'),
        loopbackHost,
        paths,
      )
      .map(([s, userinfo, host, p]) => ({
        label: 'userinfo',
        url: `${s}://${userinfo}@${host}:${port}${p}`,
        answers: {},
      })),
    fc
      .tuple(scheme, loopbackHost, fc.constantFrom('\\@', '#@', '?@', '\\\\@', '/@'))
      .map(([s, host, trick]) => ({
        label: 'delimiter trick',
        url: `${s}://${host}:${port}${trick}allowed.test/`,
        answers: {},
      })),
    fc.tuple(scheme, loopbackHost).map(([s, host]) => ({
      label: 'encoded @',
      url: `${s}://allowed.test%40${host}:${port}/`,
      answers: {},
    })),
    fc
      .tuple(
        scheme,
        fc.oneof(
          fc.stringMatching(/^[a-z][a-z0-9-]{0,12}[a-z0-9]\.test$/),
          fc.constantFrom('x.media.test', 'allowed.test', 'localhost', 'LOCALHOST', 'localhost.'),
        ),
        fc.oneof(
          refusedIpv4.map(dotted),
          refusedIpv4.map((v) => `::ffff:${dotted(v)}`),
          refusedIpv6,
        ),
        publicAnswers,
        fc.boolean(),
        paths,
      )
      .map(([s, name, refused, publics, refusedFirst, p]) => ({
        label: 'name resolving to a refused address',
        url: `${s}://${name}:${port}${p}`,
        // Always at least one refused answer: an all-public answer would send the request to the internet.
        answers: { [name.toLowerCase()]: refusedFirst ? [refused, ...publics] : [...publics, refused] },
      })),
  );
};

/** A Location header value leading to `url`: absolute, protocol-relative or with backslashes. */
const locationFor = (
  url: string,
  form: 'absolute' | 'protocol-relative' | 'backslash' | 'double backslash',
) => {
  const rest = url.replace(/^[a-z]+:\/\//, '');
  return {
    absolute: url,
    'protocol-relative': `//${rest}`,
    backslash: `/\\${rest}`,
    'double backslash': `\\\\${rest}`,
  }[form];
};

interface Route {
  readonly redirects: readonly number[];
  readonly form: 'absolute' | 'protocol-relative' | 'backslash' | 'double backslash';
}

const routes: fc.Arbitrary<Route | undefined> = fc.option(
  fc.record({
    redirects: fc.array(fc.constantFrom(301, 302, 303, 307, 308), { minLength: 1, maxLength: 3 }),
    form: fc.constantFrom('absolute', 'protocol-relative', 'backslash', 'double backslash'),
  }),
  { nil: undefined },
);

/**
 * The local redirecting server: `/hop?redirects=302,307&to=<location>` answers the first status, to the
 * next hop while statuses remain, then to `to` (characters other than visible ASCII percent-encoded, as a
 * header needs); any other path is a 404.
 */
const startRedirector = async () => {
  let requests = 0;
  const server: Server = createServer((request, response) => {
    requests += 1;
    const url = new URL(request.url ?? '/', 'http://placeholder');
    if (url.pathname !== '/hop') {
      response.writeHead(404).end();
      return;
    }
    const [status = 302, ...rest] = (url.searchParams.get('redirects') ?? '')
      .split(',')
      .filter(Boolean)
      .map(Number);
    const to = url.searchParams.get('to') ?? '/';
    const next = `/hop?redirects=${rest.join(',')}&to=${encodeURIComponent(to)}`;
    // A header carries visible ASCII only: anything else is percent-encoded, backslashes and all kept.
    const location =
      rest.length > 0 ? next : to.replace(/[^\x21-\x7e]/gu, (char) => encodeURIComponent(char));
    response.writeHead(status, { location }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

describe('SSRF fuzz: no generated URL reaches a refused address', () => {
  let listeners: RecordingListeners;
  let redirector: Awaited<ReturnType<typeof startRedirector>>;
  /** What the injected resolver answers, set per run; any other name is loopback. */
  const answers = new Map<string, readonly string[]>();
  // One resolver for the whole file: the guard keeps one connection pool per resolver.
  const resolveHost: ResolveHost = async (hostname): Promise<LookupAddress[]> =>
    (answers.get(hostname.toLowerCase()) ?? ['127.0.0.1', '::1']).map((address) => ({
      address,
      family: address.includes(':') ? 6 : 4,
    }));

  /** Sends `redirector.test` to the local redirecting server (that hop only, unguarded); the rest as given. */
  const fetchVia: typeof fetch = (input, init) => {
    const url = new URL(String(input));
    if (url.hostname !== redirectorHost) return globalThis.fetch(input, init);
    const { dispatcher: _guarded, ...direct } = (init ?? {}) as RequestInit & { dispatcher?: unknown };
    return globalThis.fetch(`http://127.0.0.1:${redirector.port}${url.pathname}${url.search}`, direct);
  };

  const startUrl = (target: Target, route: Route | undefined) =>
    route === undefined
      ? target.url
      : `http://${redirectorHost}:${redirector.port}/hop?redirects=${route.redirects.join(',')}&to=${encodeURIComponent(locationFor(target.url, route.form))}`;

  /** Sends a GET with `request` or `stream`; resolves with the status, the body read or discarded. */
  const send = async (http: HttpClient, url: string, how: 'request' | 'stream') => {
    if (how === 'request') return (await http.request({ method: 'GET', url })).status;
    const response = await http.stream({ method: 'GET', url });
    response.body.resume();
    return response.status;
  };

  beforeAll(async () => {
    [listeners, redirector] = await Promise.all([startRecordingListeners(), startRedirector()]);
  });

  afterAll(() => Promise.all([listeners.close(), redirector.close()]));

  it(`refuses ${runs} generated URLs, directly or after real redirects, and the listeners see no connection`, async () => {
    // Prepare
    const port = listeners.port;
    const policies: fc.Arbitrary<UrlPolicy> = fc.constantFrom(
      { allowHttp: true },
      {
        allowHttp: true,
        allowedHosts: [
          `${redirectorHost}:${redirector.port}`,
          `allowed.test:${port}`,
          `*.media.test:${port}`,
        ],
      },
      // Even hosts the allowlist names are refused when they are not public.
      {
        allowHttp: true,
        allowedHosts: [
          `${redirectorHost}:${redirector.port}`,
          `127.0.0.1:${port}`,
          `[::1]:${port}`,
          `localhost:${port}`,
          `x.media.test:${port}`,
        ],
      },
    );
    const labels = new Map<string, number>();
    const redirectsBefore = redirector.requests();

    // Act & Assess
    await fc.assert(
      fc.asyncProperty(
        targets(port),
        routes,
        policies,
        fc.constantFrom('request' as const, 'stream' as const),
        async (target, route, urlPolicy, how) => {
          answers.clear();
          for (const [name, addresses] of Object.entries(target.answers)) answers.set(name, addresses);
          const http = createHttpClient({
            maxAttempts: 1,
            timeoutMs: 2_000,
            urlPolicy,
            resolveHost,
            fetch: fetchVia,
          });

          const error = await send(http, startUrl(target, route), how).then(
            () => new Error('the request went through'),
            (e: unknown) => e,
          );

          expect(error).toBeInstanceOf(UrlRefusedError);
          expect(['private-address', 'host-not-allowed', 'invalid-url']).toContain(
            (error as UrlRefusedError).reason,
          );
          expect((error as Error).message).not.toContain('ada@');
          expect(listeners.total()).toBe(0);
          const label = `${target.label}${route === undefined ? '' : ' via redirect'}`;
          labels.set(label, (labels.get(label) ?? 0) + 1);
        },
      ),
      { numRuns: runs },
    );

    // Assess: every kind of target came up, directly and redirected, through the real redirecting server
    expect(listeners.ipv4()).toBe(0);
    expect(listeners.ipv6()).toBe(0);
    expect(labels.size).toBe(16);
    expect(redirector.requests() - redirectsBefore).toBeGreaterThan(runs / 4);
  });

  it('would notice: the same kinds of URL reach the listeners, on both families, once private addresses are allowed', async () => {
    // Prepare: only hosts that really are this machine's loopback (NAT64 and 6to4 forms are not)
    const port = listeners.port;
    const reachable = fc.oneof(
      ipv4Spellings(loopback).filter((host) => !host.startsWith('[64:ff9b') && !host.startsWith('[2002')),
      fc.constantFrom(
        '[::1]',
        '[0:0:0:0:0:0:0:1]',
        '[::FFFF:7F00:1]',
        '[::ffff:127.0.0.1]',
        '0',
        'localhost',
      ),
      fc.constantFrom(...unicodeLoopbackHosts.filter((host) => !host.endsWith('.') || host === '127.0.0.1.')),
      // Any other address of this machine: 127.0.0.0/8 beyond .1, and its interfaces' own.
      fc.integer({ min: 2, max: 0xfffffe }).map((n) => dotted(0x7f000000 + n)),
      ...thisMachineHosts.map((host) => fc.constant(host)),
    );
    const http = createHttpClient({
      maxAttempts: 1,
      timeoutMs: 2_000,
      urlPolicy: { allowHttp: true, allowPrivateAddresses: true },
      fetch: fetchVia,
    });
    const before = { ipv4: listeners.ipv4(), ipv6: listeners.ipv6() };

    // Act & Assess
    await fc.assert(
      fc.asyncProperty(
        reachable,
        routes,
        fc.constantFrom('request' as const, 'stream' as const),
        async (host, route, how) => {
          const seen = listeners.total();
          const target: Target = { label: 'control', url: `http://${host}:${port}/`, answers: {} };

          // A tab or newline is stripped from a URL but cannot be written in a Location header: asked directly.
          const status = await send(http, startUrl(target, /[\t\n]/.test(host) ? undefined : route), how);

          expect(status).toBe(200);
          expect(listeners.total()).toBeGreaterThan(seen);
        },
      ),
      { numRuns: 100 },
    );
    expect(listeners.ipv4()).toBeGreaterThan(before.ipv4);
    expect(listeners.ipv6()).toBeGreaterThan(before.ipv6);
  });
});
