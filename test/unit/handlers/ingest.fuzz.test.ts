/**
 * Hostile input against the deployed ingest handler, property-based: generated deliveries for each vendor
 * combine a body (valid, with one defect, or chaos — `test/helpers/webhook-bodies.ts`), a size (as is, up
 * to the limit, over it), credentials (genuine or forged: stale, future, other stage, other body, one byte
 * changed, repeated, CR/LF-injected, header name not in lower case; a micro1 token changed, cut, extended,
 * percent-encoded, with bad escapes) and a transport (route key or catch-all with stage prefixes and odd
 * methods, wrong routes, base64 or not — and mismatched —, content types, CR/LF in other headers).
 *
 * The oracle decides the answer in the handler's documented order (route 404/405 → size 413 → credentials
 * 401 → body 400 → 202). Whatever it is, the answer is a valid 202 or a 4xx problem+json naming what is
 * wrong, never a 5xx or a throw, and an event reaches SQS (captured through aws-sdk-client-mock), its raw
 * delivery with it, only with a 202, and keeps the vendor's contract as the field table of
 * `webhook-bodies.ts` states it (checked apart from the product's schemas, so chaos bodies the oracle has no
 * verdict for are held to it too). A `__proto__` member never pollutes `Object.prototype` nor lends a field
 * to the queued envelope. Every kind of body, credential, route, size and encoding must come up in a run.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { generateWebhookToken, signRound0Payload } from '../../../functions/vendors/index.js';
import { fixture } from '../../helpers/fixtures.js';
import {
  anyBody,
  type BodyCase,
  type BodyVerdict,
  bodyCase,
  contractBreaches,
  smuggledMarker,
  type Vendor,
  validBody,
  wrongFieldCases,
} from '../../helpers/webhook-bodies.js';
import { httpApiDeployments, httpApiEvent } from './http-api-events.js';

// A small cap keeps "over the limit" cheap; the harness reads it at import.
const maxBodyBytes = 64 * 1024;
process.env.MAX_BODY_BYTES = String(maxBodyBytes);
const { invoke, micro1Token, s3Mock, secret, sqsMock, withoutLogs } = await import('./ingest-harness.js');

/** The handler's default clock tolerance (SIGNATURE_TOLERANCE_SECONDS is not set by the harness). */
const toleranceSeconds = 300;
/** Seconds kept clear of the tolerance edge, so a clock tick between building and handling changes nothing. */
const margin = 5;
/** Credentials of another stage (a staging secret or token presented to this one). */
const otherStageSecret = 'round0-staging-secret';
const otherStageToken = generateWebhookToken();

const runsPerVendor = 1_000;

/**
 * Every kind of a generated union, for the check that each was generated: the type checker refuses a list
 * that misses a kind of `Kind` or names one it lacks, so a new kind is checked as soon as it is typed.
 */
const everyKind = <Kind extends string>(kinds: Record<Kind, true>): readonly Kind[] =>
  Object.keys(kinds) as Kind[];

// ── Credentials ────────────────────────────────────────────────────────────────────────────────────────

type Round0Credential =
  | {
      readonly kind: 'genuine';
      readonly offset: number;
      readonly style: 'plain' | 'spaced' | 'upper-case hex' | 'other schemes' | 'CR/LF around parts';
    }
  | {
      readonly kind: 'repeated';
      readonly parts: ReadonlyArray<'genuine' | 'other secret' | 'stale' | 'other body'>;
    }
  | { readonly kind: 'stale' | 'future'; readonly offset: number }
  | { readonly kind: 'other stage' | 'other body' | 'missing' | 'too long' }
  | { readonly kind: 'one byte changed'; readonly index: number; readonly xor: number }
  | { readonly kind: 'garbage'; readonly header: string }
  | { readonly kind: 'CR/LF injected'; readonly where: 'after' | 'inside' }
  | { readonly kind: 'header name not lower case'; readonly name: string }
  | { readonly kind: 'too many signatures'; readonly count: number };

const round0CredentialKinds = everyKind<Round0Credential['kind']>({
  genuine: true,
  repeated: true,
  stale: true,
  future: true,
  'other stage': true,
  'other body': true,
  missing: true,
  'too long': true,
  'one byte changed': true,
  garbage: true,
  'CR/LF injected': true,
  'header name not lower case': true,
  'too many signatures': true,
});

const withinTolerance = fc.integer({ min: -(toleranceSeconds - margin), max: toleranceSeconds - margin });

const round0Credential: fc.Arbitrary<Round0Credential> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('genuine' as const),
      offset: withinTolerance,
      style: fc.constantFrom('plain', 'spaced', 'upper-case hex', 'other schemes', 'CR/LF around parts'),
    }),
  },
  fc.record({
    kind: fc.constant('repeated' as const),
    parts: fc.array(fc.constantFrom('genuine', 'other secret', 'stale', 'other body'), {
      minLength: 2,
      maxLength: 4,
    }),
  }),
  fc.record({
    kind: fc.constant('stale' as const),
    offset: fc.integer({ min: toleranceSeconds + margin, max: 10 ** 9 }).map((n) => -n),
  }),
  fc.record({
    kind: fc.constant('future' as const),
    offset: fc.integer({ min: toleranceSeconds + margin, max: 10 ** 9 }),
  }),
  fc.record({
    kind: fc.constantFrom(
      'other stage' as const,
      'other body' as const,
      'missing' as const,
      'too long' as const,
    ),
  }),
  fc.record({
    kind: fc.constant('one byte changed' as const),
    index: fc.nat(),
    xor: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({
    kind: fc.constant('garbage' as const),
    header: fc.oneof(
      fc.string({ maxLength: 120 }),
      fc.constantFrom(
        't=',
        'v1=',
        't=1',
        'T=1,V1=00',
        `t=1,v1=${'0'.repeat(64)}`,
        `t=1234567890123,v1=${'a'.repeat(64)}`,
        ',,,',
      ),
    ),
  }),
  fc.record({
    kind: fc.constant('CR/LF injected' as const),
    where: fc.constantFrom('after' as const, 'inside' as const),
  }),
  fc.record({
    kind: fc.constant('header name not lower case' as const),
    name: fc.constantFrom('X-Webhook-Signature', 'X-WEBHOOK-SIGNATURE', 'x-Webhook-signature'),
  }),
  fc.record({ kind: fc.constant('too many signatures' as const), count: fc.integer({ min: 9, max: 12 }) }),
);

/** The ROUND0 signature headers a credential produces for `bytes` (it may also change the bytes). */
const round0Signed = (credential: Round0Credential, bytes: Buffer, now: number) => {
  const sign = (body: Buffer, key: string, t: number) => signRound0Payload(body, key, t);
  const genuine = () => sign(bytes, secret, now);
  const part = (kind: 'genuine' | 'other secret' | 'stale' | 'other body') =>
    kind === 'genuine'
      ? genuine()
      : kind === 'other secret'
        ? sign(bytes, otherStageSecret, now)
        : kind === 'stale'
          ? sign(bytes, secret, now - toleranceSeconds - 3_600)
          : sign(Buffer.concat([bytes, Buffer.from(' ')]), secret, now);
  const header = (value: string) => ({ headers: { 'x-webhook-signature': value }, bytes });
  switch (credential.kind) {
    case 'genuine': {
      const t = now + credential.offset;
      const hex = sign(bytes, secret, t).split('v1=')[1] ?? '';
      const value = {
        plain: `t=${t},v1=${hex}`,
        spaced: `t = ${t} , v1 = ${hex}`,
        'upper-case hex': `t=${t},v1=${hex.toUpperCase()}`,
        'other schemes': `t=${t},v0=${'0'.repeat(64)},v1=${hex},scheme=x`,
        'CR/LF around parts': `\r\n t=${t}\r\n,\r\nv1=${hex}\r\n`,
      }[credential.style];
      return header(value);
    }
    case 'repeated':
      return header(credential.parts.map(part).join(','));
    case 'stale':
    case 'future':
      return header(sign(bytes, secret, Math.max(0, now + credential.offset)));
    case 'other stage':
      return header(sign(bytes, otherStageSecret, now));
    case 'other body':
      return header(part('other body'));
    case 'missing':
      return { headers: {}, bytes };
    case 'too long':
      return header(`${genuine()},v0=${'a'.repeat(2_100)}`);
    case 'one byte changed': {
      const signed = genuine();
      if (bytes.length === 0)
        return { headers: { 'x-webhook-signature': signed }, bytes: Buffer.from([credential.xor]) };
      const changed = Buffer.from(bytes);
      const index = credential.index % changed.length;
      changed[index] = (changed[index] ?? 0) ^ credential.xor;
      return { headers: { 'x-webhook-signature': signed }, bytes: changed };
    }
    case 'garbage':
      return header(credential.header);
    case 'CR/LF injected': {
      const [t, v1] = genuine().split(',');
      return header(
        credential.where === 'after' ? `${t},${v1}\r\nX-Injected: yes` : `${t}\r\nX-Injected: yes,${v1}`,
      );
    }
    case 'header name not lower case':
      return { headers: { [credential.name]: genuine() }, bytes };
    case 'too many signatures':
      return header(
        Array.from({ length: credential.count }, (_, i) => (i === 0 ? genuine() : part('stale'))).join(','),
      );
  }
};

const round0CredentialOk = (credential: Round0Credential): boolean =>
  credential.kind === 'genuine' || (credential.kind === 'repeated' && credential.parts.includes('genuine'));

type Micro1Credential =
  | { readonly kind: 'genuine' }
  | { readonly kind: 'percent-encoded'; readonly mask: readonly boolean[]; readonly upper: boolean }
  | { readonly kind: 'other stage' | 'missing' | 'case swapped' | 'empty' }
  | { readonly kind: 'one character changed'; readonly index: number; readonly replacement: string }
  | { readonly kind: 'truncated'; readonly keep: number }
  | { readonly kind: 'extended'; readonly suffix: string }
  | { readonly kind: 'bad escape'; readonly escape: string; readonly where: 'before' | 'after' | 'inside' }
  | { readonly kind: 'garbage'; readonly token: string };

const micro1CredentialKinds = everyKind<Micro1Credential['kind']>({
  genuine: true,
  'percent-encoded': true,
  'other stage': true,
  missing: true,
  'case swapped': true,
  empty: true,
  'one character changed': true,
  truncated: true,
  extended: true,
  'bad escape': true,
  garbage: true,
});

const base64UrlChar = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_');
const badEscapes = ['%', '%A', '%ZZ', '%E0%A4%A', '%C3', '%ED%A0%80', '%C0%AF', '%FF', '%%', '%2'] as const;

const micro1Credential: fc.Arbitrary<Micro1Credential> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'genuine' as const }) },
  fc.record({
    kind: fc.constant('percent-encoded' as const),
    mask: fc.array(fc.boolean(), { minLength: 1, maxLength: 43 }),
    upper: fc.boolean(),
  }),
  fc.record({
    kind: fc.constantFrom(
      'other stage' as const,
      'missing' as const,
      'case swapped' as const,
      'empty' as const,
    ),
  }),
  fc.record({
    kind: fc.constant('one character changed' as const),
    index: fc.nat(),
    replacement: base64UrlChar,
  }),
  fc.record({ kind: fc.constant('truncated' as const), keep: fc.nat() }),
  fc.record({
    kind: fc.constant('extended' as const),
    suffix: fc.string({ unit: base64UrlChar, minLength: 1, maxLength: 8 }),
  }),
  fc.record({
    kind: fc.constant('bad escape' as const),
    escape: fc.constantFrom(...badEscapes),
    where: fc.constantFrom('before' as const, 'after' as const, 'inside' as const),
  }),
  fc.record({
    kind: fc.constant('garbage' as const),
    token: fc.string({
      unit: fc.oneof(base64UrlChar, fc.constantFrom('%', '.', '~', 'é', ' ')),
      maxLength: 80,
    }),
  }),
);

/** The token a micro1 credential presents in the path (undefined: none). */
const micro1Presented = (credential: Micro1Credential): string | undefined => {
  const token = micro1Token;
  switch (credential.kind) {
    case 'genuine':
      return token;
    case 'percent-encoded':
      return [...token]
        .map((char, i) => {
          if (!credential.mask[i % credential.mask.length]) return char;
          const hex = char.charCodeAt(0).toString(16).padStart(2, '0');
          return `%${credential.upper ? hex.toUpperCase() : hex}`;
        })
        .join('');
    case 'other stage':
      return otherStageToken;
    case 'missing':
      return undefined;
    case 'empty':
      return '';
    case 'case swapped':
      return [...token].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');
    case 'one character changed': {
      const index = credential.index % token.length;
      return `${token.slice(0, index)}${credential.replacement}${token.slice(index + 1)}`;
    }
    case 'truncated':
      return token.slice(0, credential.keep % token.length);
    case 'extended':
      return `${token}${credential.suffix}`;
    case 'bad escape': {
      const middle = Math.floor(token.length / 2);
      return credential.where === 'before'
        ? `${credential.escape}${token}`
        : credential.where === 'after'
          ? `${token}${credential.escape}`
          : `${token.slice(0, middle)}${credential.escape}${token.slice(middle)}`;
    }
    case 'garbage':
      return credential.token;
  }
};

/** Whether the presented token is the configured one, as delivered or once percent-decoded. */
const micro1TokenOk = (presented: string | undefined): boolean => {
  if (presented === undefined) return false;
  if (presented === micro1Token) return true;
  try {
    return decodeURIComponent(presented) === micro1Token;
  } catch {
    return false;
  }
};

// ── Size and transport ─────────────────────────────────────────────────────────────────────────────────

type SizeSpec =
  | { readonly kind: 'as is' }
  | { readonly kind: 'padded to the limit' }
  | { readonly kind: 'over the limit'; readonly by: number };

const sizeKinds = everyKind<SizeSpec['kind']>({
  'as is': true,
  'padded to the limit': true,
  'over the limit': true,
});

const sizeSpec: fc.Arbitrary<SizeSpec> = fc.oneof(
  { weight: 8, arbitrary: fc.constant({ kind: 'as is' as const }) },
  fc.constant({ kind: 'padded to the limit' as const }),
  fc.record({
    kind: fc.constant('over the limit' as const),
    by: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 3 * maxBodyBytes })),
  }),
);

/** Trailing JSON whitespace: a valid body stays valid, an invalid one invalid. */
const padded = (bytes: Buffer, size: SizeSpec): Buffer => {
  if (size.kind === 'as is') return bytes;
  const target = size.kind === 'padded to the limit' ? maxBodyBytes : maxBodyBytes + size.by;
  return target <= bytes.length
    ? bytes
    : Buffer.concat([bytes, Buffer.alloc(target - bytes.length, ' \n\t\r')]);
};

type RouteSpec =
  | { readonly kind: 'route key'; readonly method: string }
  | {
      readonly kind: 'catch-all';
      readonly prefix: string;
      readonly trailingSlash: boolean;
      readonly method: string;
    }
  | { readonly kind: 'wrong route key'; readonly routeKey: string }
  | { readonly kind: 'wrong path'; readonly path: string; readonly method: string };

const routeKinds = everyKind<RouteSpec['kind']>({
  'route key': true,
  'catch-all': true,
  'wrong route key': true,
  'wrong path': true,
});

const methods = fc.constantFrom('POST', 'post', 'Post', 'GET', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS');

const routeSpec: fc.Arbitrary<RouteSpec> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('route key' as const), method: methods }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('catch-all' as const),
      prefix: fc.constantFrom(
        '',
        '/prod',
        '/v1',
        '/orders/v2',
        '/%E0',
        '/%',
        '/webhooks/round0',
        '/webhooks/micro1/x',
      ),
      trailingSlash: fc.boolean(),
      method: fc.oneof({ weight: 3, arbitrary: fc.constant('POST') }, methods),
    }),
  },
  fc.record({
    kind: fc.constant('wrong route key' as const),
    routeKey: fc.constantFrom(
      'POST /webhooks/round1',
      'GET /webhooks/round0',
      'POST /webhooks/micro1',
      'ANY /{proxy+}',
      'POST /webhooks/micro1/{token}/x',
      'POST /Webhooks/round0',
      '',
    ),
  }),
  fc.record({
    kind: fc.constant('wrong path' as const),
    path: fc.constantFrom(
      '/webhooks/round0/extra',
      '/webhooks/Round0',
      '/webhooks/micro1',
      '/webhooks/micro2/abc',
      '/webhooks',
      '/',
      '/%',
      '/webhooks/round0/%',
      '/webhooks/round0%2Fx',
    ),
    method: methods,
  }),
);

type Encoding = 'text' | 'base64' | 'flag without encoding' | 'encoding without flag';

const encodings = everyKind<Encoding>({
  text: true,
  base64: true,
  'flag without encoding': true,
  'encoding without flag': true,
});

interface TransportSpec {
  readonly route: RouteSpec;
  readonly encoding: Encoding;
  readonly contentType: { readonly name: string; readonly value: string } | undefined;
  readonly injected: Readonly<Record<string, string>>;
}

const transportSpec: fc.Arbitrary<TransportSpec> = fc.record({
  route: routeSpec,
  encoding: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom<Encoding>('text', 'base64') },
    fc.constantFrom<Encoding>('flag without encoding', 'encoding without flag'),
  ),
  contentType: fc.option(
    fc.record({
      name: fc.constantFrom('content-type', 'Content-Type', 'CONTENT-TYPE'),
      value: fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/xml',
        'application/json; charset=utf-16',
        '',
        'application/json\r\nX-Injected: yes',
      ),
    }),
    { nil: undefined },
  ),
  injected: fc.dictionary(
    fc.constantFrom('user-agent', 'x-forwarded-for', 'X-Custom-Header', 'x-amz-date', 'x-webhook-id'),
    fc.constantFrom('vendor\r\nX-Injected: yes', '1.2.3.4\r\n\r\nGET / HTTP/1.1', '\n', 'ok', '\u0000'),
    { maxKeys: 2 },
  ),
});

// ── Oracle ─────────────────────────────────────────────────────────────────────────────────────────────

type Expected =
  | { readonly kind: 'accepted' }
  | { readonly kind: 'refused'; readonly status: 401 | 404 | 405 | 413 }
  | {
      readonly kind: 'refused by the body';
      readonly verdict: Exclude<BodyVerdict, { kind: 'valid' | 'unknown' }>;
    }
  | { readonly kind: 'accepted or 400' }
  | { readonly kind: 'not accepted' };

interface DeliverySpec {
  readonly vendor: Vendor;
  readonly body: BodyCase;
  readonly size: SizeSpec;
  readonly credential: Round0Credential | Micro1Credential;
  readonly transport: TransportSpec;
}

const isUtf8 = (bytes: Buffer): boolean => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
};

/** The API Gateway event of a delivery, the bytes it carries and the answer the oracle expects. */
const build = (spec: DeliverySpec): { event: APIGatewayProxyEventV2; bytes: Buffer; expected: Expected } => {
  const { vendor, transport } = spec;
  const now = Math.floor(Date.now() / 1000);
  let bytes = padded(spec.body.bytes, spec.size);
  let credentialHeaders: Record<string, string> = {};
  let credentialOk: boolean;
  let token: string | undefined;
  if (vendor === 'round0') {
    const credential = spec.credential as Round0Credential;
    const signed = round0Signed(credential, bytes, now);
    bytes = signed.bytes;
    credentialHeaders = signed.headers;
    credentialOk = round0CredentialOk(credential);
  } else {
    token = micro1Presented(spec.credential as Micro1Credential);
    credentialOk = micro1TokenOk(token);
    // Not micro1's scheme: ignored.
    credentialHeaders = { 'x-webhook-signature': signRound0Payload(bytes, secret, now) };
  }

  const ownPath =
    vendor === 'round0' ? '/webhooks/round0' : `/webhooks/micro1${token === undefined ? '' : `/${token}`}`;
  const ownRouteKey = vendor === 'round0' ? 'POST /webhooks/round0' : 'POST /webhooks/micro1/{token}';
  const { route } = transport;
  let routing: { routeKey: string; path: string; method: string; pathParameters?: Record<string, string> };
  let routeStatus: 404 | 405 | undefined;
  switch (route.kind) {
    case 'route key':
      routing = {
        routeKey: ownRouteKey,
        path: ownPath,
        method: route.method,
        ...(vendor === 'micro1' && token !== undefined ? { pathParameters: { token } } : {}),
      };
      break;
    case 'catch-all': {
      routing = {
        routeKey: '$default',
        path: `${route.prefix}${ownPath}${route.trailingSlash ? '/' : ''}`,
        method: route.method,
      };
      // A catch-all path without a token names no micro1 route; the vendors only POST.
      if (vendor === 'micro1' && (token === undefined || token === '')) routeStatus = 404;
      else if (route.method.toUpperCase() !== 'POST') routeStatus = 405;
      break;
    }
    case 'wrong route key':
      routing = { routeKey: route.routeKey, path: ownPath, method: 'POST' };
      routeStatus = 404;
      break;
    case 'wrong path':
      routing = { routeKey: '$default', path: route.path, method: route.method };
      routeStatus = 404;
      break;
  }

  const headers: Record<string, string> = { ...transport.injected, ...credentialHeaders };
  if (transport.contentType !== undefined) headers[transport.contentType.name] = transport.contentType.value;
  // Bytes that are not UTF-8 cannot travel as text: API Gateway base64-encodes them.
  const encoding = transport.encoding === 'text' && !isUtf8(bytes) ? 'base64' : transport.encoding;
  const event = httpApiEvent({
    ...routing,
    deployment: httpApiDeployments.defaultStage,
    headers,
    body: bytes,
    isBase64Encoded: encoding === 'base64',
  });
  if (encoding === 'flag without encoding' && bytes.length > 0) {
    Object.assign(event, { body: bytes.toString('utf8'), isBase64Encoded: true });
  } else if (encoding === 'encoding without flag' && bytes.length > 0) {
    Object.assign(event, { body: bytes.toString('base64'), isBase64Encoded: false });
  }
  // httpApiEvent sets its own content-type-less defaults; a removed content type is removed.
  if (transport.contentType === undefined) delete event.headers['content-type'];

  const mismatched =
    (encoding === 'flag without encoding' || encoding === 'encoding without flag') && bytes.length > 0;
  const verdict = spec.body.verdict;
  const expected: Expected =
    routeStatus !== undefined
      ? { kind: 'refused', status: routeStatus }
      : mismatched
        ? { kind: 'not accepted' }
        : bytes.length > maxBodyBytes
          ? { kind: 'refused', status: 413 }
          : !credentialOk
            ? { kind: 'refused', status: 401 }
            : verdict.kind === 'valid'
              ? { kind: 'accepted' }
              : verdict.kind === 'unknown'
                ? { kind: 'accepted or 400' }
                : { kind: 'refused by the body', verdict };
  return { event, bytes, expected };
};

// ── Checks ─────────────────────────────────────────────────────────────────────────────────────────────

/** `value` with every string and member name through `String.prototype.toWellFormed` (ES2024, in Node 20). */
const wellFormed = (value: unknown): unknown => {
  const whole = (text: string) => (text as unknown as { toWellFormed(): string }).toWellFormed();
  if (typeof value === 'string') return whole(value);
  if (Array.isArray(value)) return value.map(wellFormed);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, child]) => [whole(key), wellFormed(child)]));
};

const problemTypes: Record<number, readonly string[]> = {
  400: ['malformed-json', 'invalid-event'],
  401: ['unauthorized'],
  404: ['not-found'],
  405: ['method-not-allowed'],
  413: ['payload-too-large'],
};

const sent = () => sqsMock.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
const puts = () => s3Mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input);

interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly errors?: ReadonlyArray<{ readonly path: string; readonly message: string }>;
  readonly requestId?: string;
}

type Result = Awaited<ReturnType<typeof invoke>>;

/**
 * What is wrong with an answer, as sentences (empty: nothing). Collected rather than asserted one by one:
 * each `expect` call costs an Error and its stack, thousands of times per run.
 */
type Violations = string[];

const check = (violations: Violations, ok: boolean, what: string): void => {
  if (!ok) violations.push(what);
};

const problemUrl = (slug: string) => `https://github.com/interview-sync/problems#${slug}`;

/** A refusal: a 4xx problem+json naming what is wrong, nothing queued, nothing stored, no secret echoed. */
const refusalViolations = (result: Result, expected: Expected): Violations => {
  const violations: Violations = [];
  const status = result.statusCode ?? 0;
  const allowed = problemTypes[status];
  if (allowed === undefined)
    return [`answered ${status} (${result.body}), expected ${JSON.stringify(expected)}`];
  check(violations, result.headers?.['content-type'] === 'application/problem+json', 'not problem+json');
  const problem = JSON.parse(result.body) as Problem;
  check(violations, problem.status === status, `problem status ${problem.status} on a ${status}`);
  check(
    violations,
    allowed.map(problemUrl).includes(problem.type),
    `problem type ${problem.type} on a ${status}`,
  );
  check(violations, typeof problem.title === 'string' && problem.detail.length > 0, 'no title or detail');
  check(violations, problem.requestId === 'req-1', 'no request id');
  if (status === 405) check(violations, result.headers?.allow === 'POST', 'a 405 without Allow: POST');
  if (status === 413)
    check(violations, problem.detail.includes(String(maxBodyBytes)), 'a 413 without the limit');
  for (const credential of [secret, micro1Token, otherStageSecret, otherStageToken]) {
    check(violations, !result.body.includes(credential), 'a credential echoed in the problem');
  }
  const expectation = `answered ${status} (${result.body}), expected ${JSON.stringify(expected)}`;
  if (expected.kind === 'refused') check(violations, status === expected.status, expectation);
  if (expected.kind === 'accepted or 400') check(violations, status === 400, expectation);
  if (expected.kind === 'refused by the body') {
    const { verdict } = expected;
    check(violations, status === 400, expectation);
    if (verdict.kind === 'malformed-json') {
      check(violations, problem.type === problemUrl('malformed-json'), expectation);
    }
    if (verdict.kind === 'invalid-event') {
      check(violations, problem.type === problemUrl('invalid-event'), expectation);
      check(violations, problem.errors?.some((issue) => issue.path === verdict.path) === true, expectation);
      check(violations, problem.detail.includes(`${verdict.path}: `), `detail does not name ${verdict.path}`);
    }
  }
  check(violations, sent().length === 0, `refused with ${status} but queued`);
  check(violations, puts().length === 0, `refused with ${status} but written to S3`);
  return violations;
};

/** An acceptance: 202 once SQS took exactly this delivery, its raw form travelling with the envelope. */
const acceptanceViolations = (result: Result, vendor: Vendor, bytes: Buffer): Violations => {
  if (result.statusCode !== 202) return [`answered ${result.statusCode} (${result.body}), expected 202`];
  const violations: Violations = [];
  const answer = JSON.parse(result.body) as { received?: unknown; id?: unknown };
  const id = String(answer.id);
  check(violations, answer.received === true && typeof answer.id === 'string', `202 body ${result.body}`);
  // Decoded as the ingest documents it: a byte that is not UTF-8 reads as U+FFFD, a leading BOM is dropped
  // (as the WHATWG decoder does).
  const body = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  check(
    violations,
    vendor === 'round0' ? id === `round0:${String(body.id)}` : id.startsWith(`micro1:${String(body.event)}:`),
    `dedupe key ${id}`,
  );

  const messages = sent();
  const [message] = messages;
  check(violations, messages.length === 1, `${messages.length} messages queued`);
  check(violations, message?.MessageAttributes?.vendor?.StringValue === vendor, 'vendor attribute');
  check(violations, message?.MessageAttributes?.dedupeKey?.StringValue === id, 'dedupe key attribute');
  const queued = JSON.parse(message?.MessageBody ?? '{}') as { kind?: string; key?: string };
  const claimCheck = puts().find((put) => put.Key === queued.key)?.Body;
  // The message itself, or the whole message kept as a claim check: the envelope and the raw delivery.
  const content = (queued.kind === 'claim-check' ? JSON.parse(String(claimCheck ?? '{}')) : queued) as {
    kind?: string;
    event?: { vendor?: string; dedupeKey?: string; payload?: unknown };
    raw?: { headers?: Record<string, string>; bodyBase64?: string };
  };
  const { event, raw } = content;
  check(violations, content.kind === 'event', `queued content of kind ${content.kind}`);
  check(violations, event?.vendor === vendor && event.dedupeKey === id, 'queued envelope');
  // The queued payload is what the vendor sent, member for member (a duplicated key: its last value), its
  // text made well-formed (an unpaired surrogate reads as U+FFFD, V8's own toWellFormed as the oracle).
  check(
    violations,
    JSON.stringify(event?.payload) === JSON.stringify(wellFormed(body)),
    'queued payload differs',
  );
  // Whatever the oracle expected of the body (chaos has no verdict), the event queued keeps the vendor's
  // contract as the field table states it: checked apart from the product's own schemas.
  for (const breach of contractBreaches(vendor, event?.payload)) violations.push(`queued ${breach}`);
  // No envelope field comes from a `__proto__` member.
  check(violations, !JSON.stringify({ ...event, payload: null }).includes(smuggledMarker), 'smuggled field');

  // The raw delivery travels with it, for the worker's raw event store: the exact bytes, kept headers only.
  check(violations, raw?.bodyBase64 === bytes.toString('base64'), 'raw delivery is not the delivery');
  const keptNames = ['content-type', 'x-webhook-signature', 'user-agent'];
  check(
    violations,
    Object.keys(raw?.headers ?? {}).every((name) => keptNames.includes(name)),
    `raw delivery keeps headers ${Object.keys(raw?.headers ?? {})}`,
  );
  // The ingest writes nothing to S3 but a claim check: the raw event store is the worker's.
  const others = puts().filter((put) => put.Key !== queued.key);
  check(violations, others.length === 0, `wrote ${others.map((put) => put.Key)} to S3`);
  return violations;
};

const prototypeNames = Object.getOwnPropertyNames(Object.prototype).sort().join();
const pollution = (): Violations => {
  const violations: Violations = [];
  const probe = {} as Record<string, unknown>;
  check(
    violations,
    Object.getOwnPropertyNames(Object.prototype).sort().join() === prototypeNames,
    'Object.prototype changed',
  );
  check(
    violations,
    probe.polluted === undefined && probe.candidate === undefined,
    'Object.prototype polluted',
  );
  check(
    violations,
    !Object.getOwnPropertyNames(Array.prototype).includes('polluted'),
    'Array.prototype polluted',
  );
  return violations;
};

/** Runs one delivery and checks its answer against the oracle; returns the answer's status. */
const deliver = async (spec: DeliverySpec): Promise<number> => {
  sqsMock.resetHistory();
  s3Mock.resetHistory();
  const { event, bytes, expected } = build(spec);

  const result = await invoke(event);

  const accepted =
    expected.kind === 'accepted' || (expected.kind === 'accepted or 400' && result.statusCode === 202);
  const violations = [
    ...(accepted ? acceptanceViolations(result, spec.vendor, bytes) : refusalViolations(result, expected)),
    ...pollution(),
  ];
  if (violations.length > 0) expect(violations).toEqual([]);
  return result.statusCode ?? 0;
};

/** A genuine delivery of `body` as it is: signed (ROUND0) or with the token (micro1), plain, on its route key. */
const deliverGenuine = (vendor: Vendor, body: BodyCase): Promise<number> =>
  withoutLogs(() =>
    deliver({
      vendor,
      body,
      size: { kind: 'as is' },
      credential: vendor === 'round0' ? { kind: 'genuine', offset: 0, style: 'plain' } : { kind: 'genuine' },
      transport: {
        route: { kind: 'route key', method: 'POST' },
        encoding: 'text',
        contentType: undefined,
        injected: {},
      },
    }),
  );

const credentialFor = (vendor: Vendor) => (vendor === 'round0' ? round0Credential : micro1Credential);

const delivery = (vendor: Vendor): fc.Arbitrary<DeliverySpec> =>
  fc.record({
    vendor: fc.constant(vendor),
    body: anyBody(vendor),
    size: sizeSpec,
    credential: credentialFor(vendor) as fc.Arbitrary<Round0Credential | Micro1Credential>,
    transport: transportSpec,
  });

/** Counts how often each kind of each dimension (body, credential, status…) came up, to show none was left out. */
const tally = () => {
  const counts = new Map<string, Map<string, number>>();
  return {
    add: (kinds: Readonly<Record<string, string | number>>) => {
      for (const [dimension, kind] of Object.entries(kinds)) {
        const seen = counts.get(dimension) ?? new Map<string, number>();
        seen.set(String(kind), (seen.get(String(kind)) ?? 0) + 1);
        counts.set(dimension, seen);
      }
    },
    count: (dimension: string, kind: string | number) => counts.get(dimension)?.get(String(kind)) ?? 0,
    /** The kinds of `dimension` that came up, sorted. */
    kinds: (dimension: string) => [...(counts.get(dimension)?.keys() ?? [])].sort(),
  };
};

const bodyCategories = [
  'valid',
  'wrong type',
  'missing field',
  'duplicated key, the last wrong',
  'required field only via __proto__',
  'unpaired surrogate in a string',
  'unpaired surrogate in a member name',
  'truncated',
  'byte order mark',
  'invalid UTF-8 outside strings',
  'invalid UTF-8 in a string',
  'empty body',
  'nested too deep',
  'not an object',
  'random bytes',
  'random JSON',
  'random leaf',
  'number too large for a double',
];

beforeAll(() => {
  sqsMock.reset();
  s3Mock.reset();
  sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
  s3Mock.on(PutObjectCommand).resolves({});
});

describe.each(['round0', 'micro1'] as const)('ingest handler fuzz, %s', (vendor) => {
  it(`answers ${runsPerVendor} hostile deliveries with a valid 202 or a 4xx problem, and queues only genuine valid events`, async () => {
    // Prepare
    const seen = tally();

    // Act & Assess
    await withoutLogs(() =>
      fc.assert(
        fc.asyncProperty(delivery(vendor), async (spec) => {
          const status = await deliver(spec);
          seen.add({
            status,
            body: spec.body.label,
            credential: spec.credential.kind,
            route: spec.transport.route.kind,
            size: spec.size.kind,
            encoding: spec.transport.encoding,
          });
        }),
        { numRuns: runsPerVendor },
      ),
    );

    // Assess: every kind of every dimension was generated (and none unlisted), and the property did not
    // pass by refusing everything
    const expectedKinds = {
      body: bodyCategories,
      credential: vendor === 'round0' ? round0CredentialKinds : micro1CredentialKinds,
      route: routeKinds,
      size: sizeKinds,
      encoding: encodings,
    };
    for (const [dimension, kinds] of Object.entries(expectedKinds)) {
      expect([dimension, seen.kinds(dimension)]).toEqual([dimension, [...kinds].sort()]);
    }
    for (const status of [202, 400, 401, 404, 405, 413]) {
      expect([status, seen.count('status', status)]).not.toEqual([status, 0]);
    }
    expect(seen.count('status', 202)).toBeGreaterThanOrEqual(runsPerVendor / 20);
  });

  it('holds the contract check on queued events to the field table and the oracle', () => {
    // Every wrong value of the table, at every field of every sample, breaks the contract at that field.
    const breachedAt = (event: unknown) =>
      contractBreaches(vendor, event).map((breach) => breach.split(': ')[0]);
    const missed = wrongFieldCases(vendor)
      .filter(({ path, event }) => !breachedAt(event).includes(path))
      .map(({ fixture, path, value }) => `${fixture} ${path}: ${JSON.stringify(value) ?? 'absent'}`);
    expect(missed).toEqual([]);

    // Every valid body keeps it; every planted defect breaks it at its path (nesting is no field of the
    // contract; malformed and chaos bodies have no verdict to compare).
    fc.assert(
      fc.property(anyBody(vendor), ({ label, bytes, verdict }) => {
        if (label === 'nested too deep' || (verdict.kind !== 'valid' && verdict.kind !== 'invalid-event'))
          return;
        const event = wellFormed(JSON.parse(new TextDecoder().decode(bytes)));
        if (verdict.kind === 'valid') expect(contractBreaches(vendor, event)).toEqual([]);
        else expect(breachedAt(event)).toContain(verdict.path === '' ? 'the event' : verdict.path);
      }),
      { numRuns: 200 },
    );
  });

  it('accepts and queues every genuine delivery of a valid event, whatever its valid variation (positive control)', async () => {
    await withoutLogs(() =>
      fc.assert(
        fc.asyncProperty(
          validBody(vendor),
          fc.constantFrom<SizeSpec>({ kind: 'as is' }, { kind: 'padded to the limit' }),
          vendor === 'round0'
            ? fc.record({
                kind: fc.constant('genuine' as const),
                offset: withinTolerance,
                style: fc.constant('plain' as const),
              })
            : fc.constant({ kind: 'genuine' as const }),
          fc.record({
            route: fc.oneof(
              fc.constant<RouteSpec>({ kind: 'route key', method: 'POST' }),
              fc.constantFrom('', '/prod', '/v1').map(
                (prefix): RouteSpec => ({
                  kind: 'catch-all',
                  prefix,
                  trailingSlash: false,
                  method: 'POST',
                }),
              ),
            ),
            encoding: fc.constantFrom<Encoding>('text', 'base64'),
            contentType: fc.constant({ name: 'content-type', value: 'application/json' }),
            injected: fc.constant({}),
          }),
          async (body, size, credential, transport) => {
            const status = await deliver({ vendor, body, size, credential, transport });
            expect(status).toBe(202);
          },
        ),
        { numRuns: 300 },
      ),
    );
  });
});

describe.each(['round0', 'micro1'] as const)('ingest handler, a delivery sent again, %s', (vendor) => {
  it('queues a genuine delivery sent again (a replay within the tolerance, signed at another time, another encoding) under the same dedupe key, the one the worker’s ledger dedupes on', async () => {
    /** The dedupe key the 202 names and the one the queued message carries, for one genuine delivery. */
    const keysOf = async (body: BodyCase, offset: number, encoding: Encoding) => {
      sqsMock.resetHistory();
      const credential: Round0Credential | Micro1Credential =
        vendor === 'round0' ? { kind: 'genuine', offset, style: 'plain' } : { kind: 'genuine' };
      const transport: TransportSpec = {
        route: { kind: 'route key', method: 'POST' },
        encoding,
        contentType: { name: 'content-type', value: 'application/json' },
        injected: {},
      };
      const result = await invoke(
        build({ vendor, body, size: { kind: 'as is' }, credential, transport }).event,
      );
      const answered =
        result.statusCode === 202 ? String(JSON.parse(result.body).id) : `${result.statusCode}`;
      return [answered, ...sent().map((message) => message.MessageAttributes?.dedupeKey?.StringValue)];
    };

    await withoutLogs(() =>
      fc.assert(
        fc.asyncProperty(
          validBody(vendor),
          withinTolerance,
          withinTolerance,
          fc.constantFrom<Encoding>('text', 'base64'),
          async (body, firstOffset, againOffset, againEncoding) => {
            // Act
            const first = await keysOf(body, firstOffset, 'text');
            const again = await keysOf(body, againOffset, againEncoding);

            // Assess: both answered 202 and queued once, under one key
            expect(first).toEqual([first[0], first[0]]);
            expect(first[0]).toMatch(new RegExp(`^${vendor}:`));
            expect(again).toEqual(first);
          },
        ),
        { numRuns: 200 },
      ),
    );
  });
});

describe('ingest handler, prototype keys', () => {
  it('never lets a __proto__, constructor or prototype member pollute Object.prototype or fill an envelope field', async () => {
    // Prepare: the classic pollution payloads, at the top and nested, on a genuine and valid delivery
    const hostile = (inner: string) =>
      `{"__proto__":${inner},"constructor":{"prototype":${inner}},"prototype":${inner}`;
    const marker = `{"polluted":"${smuggledMarker}","candidate":{"email":"${smuggledMarker}"},"interview_id":"${smuggledMarker}"}`;
    const bodies: Array<[Vendor, string]> = [
      [
        'round0',
        `${hostile(marker)},"id":"evt_1","type":"interview_paused","created":1,"data":${hostile(marker)}}}`,
      ],
      ['micro1', `${hostile(marker)},"event":"interview.completed","data":${hostile(marker)}}}`],
      [
        'micro1',
        `{"event":"proctoring_score.completed","data":{"report_id":"r1","proctoring_score":1,"__proto__":{"__proto__":${marker}}}}`,
      ],
    ];

    // Act & Assess
    for (const [vendor, text] of bodies) {
      const status = await deliverGenuine(vendor, bodyCase('valid', Buffer.from(text), { kind: 'valid' }));
      expect(status).toBe(202);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('ingest handler, regressions found by this fuzz', () => {
  const answer = async (vendor: Vendor, bytes: Buffer) => {
    sqsMock.resetHistory();
    s3Mock.resetHistory();
    const now = Math.floor(Date.now() / 1000);
    const event = httpApiEvent({
      routeKey: vendor === 'round0' ? 'POST /webhooks/round0' : 'POST /webhooks/micro1/{token}',
      path: vendor === 'round0' ? '/webhooks/round0' : `/webhooks/micro1/${micro1Token}`,
      ...(vendor === 'micro1' ? { pathParameters: { token: micro1Token } } : {}),
      headers: vendor === 'round0' ? { 'x-webhook-signature': signRound0Payload(bytes, secret, now) } : {},
      body: bytes,
      isBase64Encoded: true,
    });
    const result = await withoutLogs(() => invoke(event));
    return {
      status: result.statusCode,
      problem: JSON.parse(result.body) as Problem,
      queued: sent().length,
    };
  };
  const round0Text = JSON.stringify(fixture('round0', 'interview_started').body);

  it('refuses an id with an unpaired surrogate with a 400 naming it (was a 500: the raw event key threw)', async () => {
    // Act
    const { status, problem, queued } = await answer(
      'round0',
      Buffer.from(round0Text.replace('"evt_', '"evt_\\ud800')),
    );

    // Assess
    expect(status).toBe(400);
    expect(problem.errors).toEqual([{ path: 'id', message: expect.stringContaining('surrogate') }]);
    expect(queued).toBe(0);
  });

  it('refuses a micro1 event type with an unpaired surrogate with a 400 (was a 500)', async () => {
    const { status, problem } = await answer(
      'micro1',
      Buffer.from('{"event":"interview.paused\\udfff","data":{}}'),
    );
    expect(status).toBe(400);
    expect(problem.errors?.map((issue) => issue.path)).toEqual(['event']);
  });

  it('still accepts surrogate pairs written as escapes (an emoji as \\ud83d\\ude00) and queues them as sent', async () => {
    // Prepare
    const escaped = Buffer.from(round0Text.replace('Jane Smith', 'Jane \\ud83d\\ude00 Smith'));

    // Act
    const status = await deliverGenuine('round0', bodyCase('regression', escaped, { kind: 'valid' }));

    // Assess: deliver checked the queued payload against the body
    expect(status).toBe(202);
  });
});
