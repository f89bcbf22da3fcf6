import { describe, expect, it } from '@jest/globals';
import { ConfigurationError } from '../../../functions/platform/errors.js';
import {
  addressRange,
  createUrlGuard,
  embeddedIpv4,
  urlPolicyForBaseUrl,
  urlPolicyRelaxationFromEnv,
} from '../../../functions/platform/url-guard.js';

describe('addressRange', () => {
  it.each([
    // IPv4
    ['8.8.8.8', 'public'],
    ['93.184.215.14', 'public'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['100.128.0.0', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['169.254.170.2', 'link-local'],
    ['172.15.255.255', 'public'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.0', 'public'],
    ['192.0.0.8', 'ietf-protocol'],
    ['192.0.2.1', 'documentation'],
    ['192.88.99.1', 'reserved'],
    ['192.168.1.1', 'private'],
    ['198.18.0.1', 'benchmarking'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.7', 'documentation'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    // IPv6
    ['2606:4700:4700::1111', 'public'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:8.8.8.8', 'public'],
    ['::7f00:1', 'ipv4-compatible'],
    ['::8.8.8.8', 'ipv4-compatible'],
    ['64:ff9b::a00:1', 'private'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['64:ff9b::808:808', 'public'],
    ['64:ff9b:1::1', 'nat64-local'],
    ['100::1', 'discard'],
    ['2001::1', 'teredo'],
    ['2001:db8::1', 'documentation'],
    ['2001:2::1', 'ietf-protocol'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:c0a8:101::1', 'private'],
    ['2002:808:808::1', 'public'],
    ['3fff::1', 'documentation'],
    ['fc00::1', 'unique-local'],
    ['fd00:ec2::254', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'site-local'],
    ['ff02::1', 'multicast'],
    ['4000::1', 'reserved'],
    ['1::1', 'reserved'],
    // Not an address
    ['example.com', 'not-an-ip'],
    ['', 'not-an-ip'],
  ])('classifies %s as %s', (address, expected) => {
    // Act
    const range = addressRange(address);

    // Assess
    expect(range).toBe(expected);
  });

  it('extracts the IPv4 address embedded in mapped, NAT64 and 6to4 addresses', () => {
    // Act
    const embedded = ['::ffff:7f00:1', '64:ff9b::a00:1', '2002:a9fe:a9fe::1', '2606:4700::1'].map(
      embeddedIpv4,
    );

    // Assess
    expect(embedded).toStrictEqual(['127.0.0.1', '10.0.0.1', '169.254.169.254', undefined]);
  });
});

describe('createUrlGuard', () => {
  it.each([
    ['http://2130706433/', '127.0.0.1'],
    ['http://0x7f.1/', '127.0.0.1'],
    ['http://0x7f000001/', '127.0.0.1'],
    ['http://0177.0.0.1/', '127.0.0.1'],
    ['http://017700000001/', '127.0.0.1'],
    ['http://127.1/', '127.0.0.1'],
    ['http://127.0.0.1./', '127.0.0.1'],
    ['http://0/', '0.0.0.0'],
    ['http://0xa9.0xfe.0xa9.0xfe/', '169.254.169.254'],
    ['http://2852039166/', '169.254.169.254'],
    ['http://[::ffff:127.0.0.1]/', '[::ffff:7f00:1]'],
    ['http://[0:0:0:0:0:ffff:7f00:1]/', '[::ffff:7f00:1]'],
    ['http://[64:ff9b::10.0.0.1]/', '[64:ff9b::a00:1]'],
  ])('relies on the WHATWG parser: %s has host %s, and is refused as a private address', (url, host) => {
    // Prepare
    const guard = createUrlGuard({ allowHttp: true });

    // Act
    const parsed = new URL(url);
    const refusal = guard.check(parsed);

    // Assess
    expect(parsed.hostname).toBe(host);
    expect(refusal).toMatchObject({ reason: 'private-address' });
  });

  it('allows a public IP literal and any name (names are vetted when connecting)', () => {
    // Prepare
    const guard = createUrlGuard({});

    // Act
    const refusals = ['https://8.8.8.8/', 'https://[2606:4700::1111]/', 'https://localhost/'].map((url) =>
      guard.check(new URL(url)),
    );

    // Assess
    expect(refusals).toStrictEqual([undefined, undefined, undefined]);
  });

  it('refuses http unless allowHttp, and any other scheme always', () => {
    // Prepare
    const strict = createUrlGuard({});
    const relaxed = createUrlGuard({ allowHttp: true });
    const none = createUrlGuard(undefined);

    // Act
    const results = {
      strictHttp: strict.check(new URL('http://api.example.com/'))?.reason,
      strictHttps: strict.check(new URL('https://api.example.com/'))?.reason,
      relaxedHttp: relaxed.check(new URL('http://api.example.com/'))?.reason,
      relaxedFtp: relaxed.check(new URL('ftp://api.example.com/'))?.reason,
      noPolicyHttp: none.check(new URL('http://127.0.0.1/'))?.reason,
      noPolicyFile: none.check(new URL('file:///etc/passwd'))?.reason,
      noPolicyData: none.check(new URL('data:text/plain,hi'))?.reason,
    };

    // Assess
    expect(results).toEqual({
      strictHttp: 'scheme',
      strictHttps: undefined,
      relaxedHttp: undefined,
      relaxedFtp: 'scheme',
      noPolicyHttp: undefined,
      noPolicyFile: 'scheme',
      noPolicyData: 'scheme',
    });
  });

  it('matches exact hosts, *.suffix wildcards and ports', () => {
    // Prepare
    const guard = createUrlGuard({
      allowedHosts: [
        'public.api.micro1.ai',
        '*.round0.example',
        'media.example.com:8443',
        'API.Upper.Example.',
      ],
    });
    const allowed = (url: string) => guard.check(new URL(url)) === undefined;

    // Act
    const results = Object.fromEntries(
      [
        'https://public.api.micro1.ai/interview/reports',
        'https://public.api.micro1.ai:443/x',
        'https://public.api.micro1.ai.:443/x',
        'https://public.api.micro1.ai:8443/x',
        'https://evil-public.api.micro1.ai/x',
        'https://micro1.ai/x',
        'https://a.round0.example/x',
        'https://a.b.round0.example/x',
        'https://round0.example/x',
        'https://evilround0.example/x',
        'https://media.example.com:8443/x',
        'https://media.example.com/x',
        'https://api.upper.example/x',
      ].map((url) => [url, allowed(url)]),
    );

    // Assess
    expect(results).toEqual({
      'https://public.api.micro1.ai/interview/reports': true,
      'https://public.api.micro1.ai:443/x': true,
      'https://public.api.micro1.ai.:443/x': true,
      'https://public.api.micro1.ai:8443/x': false,
      'https://evil-public.api.micro1.ai/x': false,
      'https://micro1.ai/x': false,
      'https://a.round0.example/x': true,
      'https://a.b.round0.example/x': true,
      'https://round0.example/x': false,
      'https://evilround0.example/x': false,
      'https://media.example.com:8443/x': true,
      'https://media.example.com/x': false,
      'https://api.upper.example/x': true,
    });
  });

  it('reports a host outside the allowlist with its reason and host only', () => {
    // Prepare
    const guard = createUrlGuard({ allowedHosts: ['api.example.com'] });

    // Act
    const refusal = guard.check(new URL('https://other.example.com/people?email=ada@example.com'));

    // Assess
    expect(refusal).toEqual({
      reason: 'host-not-allowed',
      detail: 'host other.example.com is not allowed',
      host: 'other.example.com',
    });
  });

  it('never lets a wildcard match an IP literal, and checks addresses of allowed literals', () => {
    // Prepare
    const guard = createUrlGuard({ allowedHosts: ['*.example.com', '10.0.0.5'] });

    // Act
    const literal = guard.check(new URL('https://10.0.0.5/'));
    const other = guard.check(new URL('https://10.0.0.6/'));

    // Assess
    expect(literal?.reason).toBe('private-address');
    expect(other?.reason).toBe('host-not-allowed');
  });

  it.each([
    '*.com',
    '*',
    'a b.example',
    'http://x.example',
    'x.example/path',
    'user@x.example',
    '::1',
    '*.10.0.0.1',
  ])('rejects the malformed allowlist entry %p at creation', (entry) => {
    // Act
    const create = () => createUrlGuard({ allowedHosts: [entry] });

    // Assess
    expect(create).toThrow(ConfigurationError);
  });

  it.each([
    '*.cloudfront.net',
    '*.amazonaws.com',
    '*.s3.amazonaws.com',
    '*.s3.eu-west-1.amazonaws.com',
    '*.github.io',
    '*.blob.core.windows.net',
    '*.co.uk',
    '*.com.au',
    '*.CloudFront.net.',
  ])('refuses the wildcard %p over a domain where anyone can get a host', (entry) => {
    // Act
    const create = () => createUrlGuard({ allowedHosts: [entry] });
    const exact = () => createUrlGuard({ allowedHosts: [entry.replace('*', 'd111111abcdef8')] });

    // Assess: the wildcard refused with why; the one host under it accepted
    expect(create).toThrow(/is a wildcard over .*where anyone can get a host/);
    expect(exact).not.toThrow();
  });

  it('accepts bracketed IPv6 literals and IDN entries in canonical form', () => {
    // Prepare
    const guard = createUrlGuard({ allowedHosts: ['[2606:4700:0::1111]:8443', 'bücher.example'] });

    // Act
    const v6 = guard.check(new URL('https://[2606:4700::1111]:8443/'));
    const idn = guard.check(new URL('https://xn--bcher-kva.example/'));

    // Assess
    expect([v6, idn]).toStrictEqual([undefined, undefined]);
  });

  it('has no dispatcher without a policy or when private addresses are allowed', async () => {
    // Act
    const dispatchers = await Promise.all([
      createUrlGuard(undefined).dispatcher(),
      createUrlGuard({ allowPrivateAddresses: true }).dispatcher(),
      createUrlGuard({}).dispatcher(),
    ]);

    // Assess
    expect(dispatchers[0]).toBeUndefined();
    expect(dispatchers[1]).toBeUndefined();
    expect(dispatchers[2]).toBeDefined();
  });
});

describe('urlPolicyForBaseUrl', () => {
  it('allows exactly the base URL host and port, https and public addresses by default', () => {
    // Act
    const policies = [
      urlPolicyForBaseUrl('https://public.api.micro1.ai/'),
      urlPolicyForBaseUrl('http://127.0.0.1:4010', { allowHttp: true, allowPrivateAddresses: true }),
      urlPolicyForBaseUrl('not a url'),
    ];

    // Assess
    expect(policies).toEqual([
      { allowedHosts: ['public.api.micro1.ai'] },
      { allowedHosts: ['127.0.0.1:4010'], allowHttp: true, allowPrivateAddresses: true },
      { allowedHosts: [] },
    ]);
  });
});

describe('urlPolicyRelaxationFromEnv', () => {
  it('relaxes http and private addresses only when OUTBOUND_ALLOW_LOCAL is true', () => {
    // Act
    const unset = urlPolicyRelaxationFromEnv({});
    const off = urlPolicyRelaxationFromEnv({ OUTBOUND_ALLOW_LOCAL: 'false' });
    const on = urlPolicyRelaxationFromEnv({ OUTBOUND_ALLOW_LOCAL: 'true', LOCAL_SECRETS_FILE: '/s.json' });
    const malformed = () => urlPolicyRelaxationFromEnv({ OUTBOUND_ALLOW_LOCAL: 'yes' });
    const deployed = () => urlPolicyRelaxationFromEnv({ OUTBOUND_ALLOW_LOCAL: 'true' });

    // Assess: set by hand on a deployed function (no local secrets file), it stops the function
    expect(unset).toEqual({});
    expect(off).toEqual({});
    expect(on).toEqual({ allowHttp: true, allowPrivateAddresses: true });
    expect(malformed).toThrow(ConfigurationError);
    expect(deployed).toThrow(/for local runs only/);
  });

  it.each(['WEBHOOK_SECRETS_ARN', 'INTEGRATION_SECRETS_ARN', 'VENDOR_API_SECRETS_ARN'])(
    'refuses it beside %s, even with a local secrets file set by hand as well',
    (arnName) => {
      // Act
      const relax = () =>
        urlPolicyRelaxationFromEnv({
          OUTBOUND_ALLOW_LOCAL: 'true',
          LOCAL_SECRETS_FILE: '/tmp/s.json',
          [arnName]: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x',
        });

      // Assess
      expect(relax).toThrow(/for local runs only/);
    },
  );
});
