import { describe, expect, it } from '@jest/globals';
import * as v from 'valibot';
import { ashbyConfigSchema } from '../../../functions/ats/ashby/adapter.js';
import {
  AtsNotFoundError,
  AtsPermanentError,
  AtsTransientError,
  mayStillLand,
  toAtsError,
} from '../../../functions/ats/errors.js';
import { genericConfigSchema } from '../../../functions/ats/generic/adapter.js';
import { greenhouseConfigSchema } from '../../../functions/ats/greenhouse/adapter.js';
import {
  atsAdapterNames,
  createAtsAdapter,
  emailPseudonym,
  unidentifiedCandidateId,
} from '../../../functions/ats/index.js';
import { leverConfigSchema } from '../../../functions/ats/lever/adapter.js';
import { logConfigSchema } from '../../../functions/ats/log/adapter.js';
import { ConfigurationError } from '../../../functions/platform/errors.js';
import {
  createHttpClient,
  HttpPermanentError,
  HttpTransientError,
} from '../../../functions/platform/http.js';

const whsec = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;

describe('createAtsAdapter', () => {
  it.each([
    ['log', {}, undefined],
    ['greenhouse', { userId: 1 }, { clientId: 'id', clientSecret: 's' }],
    ['lever', { performAs: 'u' }, { apiKey: 'k' }],
    ['ashby', {}, { apiKey: 'k' }],
    ['generic', { url: 'https://hooks.example.com/ats' }, { signingSecret: whsec }],
  ])('creates the %s adapter from config and credentials', (name, config, credentials) => {
    // Act
    const adapter = createAtsAdapter(name, config, credentials);

    // Assess
    expect(adapter.name).toBe(name);
    expect(atsAdapterNames).toContain(name);
  });

  it('refuses an unknown adapter, an invalid config and missing credentials with ConfigurationError', () => {
    // Act
    const unknown = () => createAtsAdapter('workday', {}, undefined);
    const invalid = () => createAtsAdapter('generic', { url: 'not a url' }, { signingSecret: whsec });
    const missing = () => createAtsAdapter('lever', { performAs: 'u' }, { apiKey: '' });

    // Assess
    expect(unknown).toThrow(ConfigurationError);
    expect(invalid).toThrow(/ATS_CONFIG for generic is invalid/);
    expect(missing).toThrow(/ATS credentials for lever lack: apiKey/);
  });

  it('hands the pseudonym key to the adapters that write e-mail-derived ids', async () => {
    // Prepare
    const key = 'p'.repeat(32);
    const withKey = createAtsAdapter(
      'generic',
      { url: 'https://hooks.example.com/ats' },
      { signingSecret: whsec },
      {
        pseudonymKey: key,
      },
    );
    const withoutKey = createAtsAdapter('log', { path: 'stdout' }, undefined);

    // Act
    const matches = [
      await withKey.findApplication({ email: 'ada@example.com' }),
      await withoutKey.findApplication({ email: 'ada@example.com' }),
    ];

    // Assess
    expect(matches[0]?.candidateId).toBe(emailPseudonym('ada@example.com', key));
    expect(matches[1]?.candidateId).toBe(unidentifiedCandidateId);
  });

  it('never puts a credential value in a configuration error', () => {
    // Act
    const attempt = () =>
      createAtsAdapter(
        'generic',
        { url: 'https://x.example.com' },
        { signingSecret: 'whsec_!!top-secret!!' },
      );

    // Assess
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).not.toThrow(/top-secret/);
  });
});

describe('documented config defaults', () => {
  it('greenhouse', () => {
    // Act
    const config = v.parse(greenhouseConfigSchema, { userId: 42 });

    // Assess
    expect(config).toEqual({
      baseUrl: 'https://harvest.greenhouse.io/v3',
      authUrl: 'https://auth.greenhouse.io/token',
      userId: '42',
      noteVisibility: 'private',
      statusTagIds: {},
      perPage: 100,
      maxPages: 20,
      rateLimit: { requestsPerWindow: 50, windowMs: 30_000, reserve: 0, maxConcurrent: 2 },
      http: {},
    });
  });

  it('lever', () => {
    // Act
    const config = v.parse(leverConfigSchema, { performAs: 'user-1' });

    // Assess
    expect(config).toEqual({
      baseUrl: 'https://api.lever.co/v1',
      performAs: 'user-1',
      noteSecret: false,
      statusTags: { in_progress: 'AI screening in progress', completed: 'AI screening completed' },
      addLinks: false,
      maxPages: 20,
      rateLimit: { perSecond: 10, burst: 20, maxConcurrent: 4 },
      http: {},
    });
  });

  it('ashby', () => {
    // Act
    const config = v.parse(ashbyConfigSchema, {});

    // Assess
    expect(config).toEqual({
      baseUrl: 'https://api.ashbyhq.com',
      statusTagIds: {},
      fieldObjectType: 'Application',
      maxPages: 20,
      rateLimit: { minTimeMs: 200, maxConcurrent: 2 },
      http: {},
    });
    expect(
      v.parse(ashbyConfigSchema, {
        statusField: { fieldId: 'f', values: { in_progress: 'a', completed: 'b' } },
      }).statusField?.objectType,
    ).toBe('Application');
  });

  it('generic and log', () => {
    // Act
    const generic = v.parse(genericConfigSchema, { url: 'https://hooks.example.com' });
    const log = v.parse(logConfigSchema, {});

    // Assess
    expect(generic).toEqual({ url: 'https://hooks.example.com', rateLimit: { maxConcurrent: 2 }, http: {} });
    expect(log).toEqual({ path: '.data/ats-writes.jsonl' });
  });
});

describe('toAtsError', () => {
  it('maps HTTP failures to ATS errors and passes other errors through', () => {
    // Prepare
    const transient = new HttpTransientError('GET /x: HTTP 429', {
      operation: 'GET /x',
      status: 429,
      retryAfterSeconds: 9,
    });
    const notFound = new HttpPermanentError('GET /x: HTTP 404', { operation: 'GET /x', status: 404 });
    const unauthorized = new HttpPermanentError('GET /x: HTTP 401', { operation: 'GET /x', status: 401 });
    const other = new RangeError('bug');

    // Act
    const mapped = [transient, notFound, unauthorized, other].map((error) => toAtsError('lever', error));

    // Assess
    expect(mapped[0]).toBeInstanceOf(AtsTransientError);
    expect(mapped[0]).toMatchObject({
      adapter: 'lever',
      status: 429,
      retryAfterSeconds: 9,
      cause: transient,
    });
    expect(mapped[1]).toBeInstanceOf(AtsNotFoundError);
    expect(mapped[2]).toBeInstanceOf(AtsPermanentError);
    expect(mapped[2]).toMatchObject({ reason: 'unauthorized', message: 'lever: GET /x: HTTP 401' });
    expect(mapped[3]).toBe(other);
  });
});

describe('mayStillLand', () => {
  /** How a note's POST through the HTTP client fails when `fetch` does `outcome`, mapped as adapters do. */
  type Outcome = (url: unknown, init?: RequestInit) => Promise<Response>;
  /** A server that never answers: the client's own timeout aborts the request. */
  const hangsUntilAborted: Outcome = (_url, init) =>
    new Promise((_resolve, reject) => {
      init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
    });
  const failedPost = async (outcome: Outcome) =>
    createHttpClient({ fetch: outcome as typeof fetch, maxAttempts: 1, timeoutMs: 50 })
      .request({ method: 'POST', url: 'https://api.lever.co/v1/opportunities/o/notes', body: '{}' })
      .then(
        () => undefined,
        (error: unknown) => toAtsError('lever', error),
      );
  const networkError = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: { code } });

  it.each<[string, Outcome, boolean]>([
    ['timed out', hangsUntilAborted, true],
    ['had its connection reset', () => Promise.reject(networkError('ECONNRESET')), true],
    ['was refused a connection (never sent)', () => Promise.reject(networkError('ECONNREFUSED')), false],
    ['found no host (never sent)', () => Promise.reject(networkError('ENOTFOUND')), false],
    [
      'was answered 502 by a gateway',
      () => Promise.resolve(new Response('bad gateway', { status: 502 })),
      true,
    ],
    ['was answered 504 by a gateway', () => Promise.resolve(new Response('timeout', { status: 504 })), true],
    ['was answered 500 by the ATS', () => Promise.resolve(new Response('oops', { status: 500 })), false],
    ['was answered 503', () => Promise.resolve(new Response('unavailable', { status: 503 })), false],
    ['was answered 429', () => Promise.resolve(new Response('slow down', { status: 429 })), false],
  ])('says whether a write that %s may still reach the ATS', async (_case, outcome, expected) => {
    // Act
    const error = await failedPost(outcome);

    // Assess
    expect(error).toBeInstanceOf(AtsTransientError);
    expect(mayStillLand(error)).toBe(expected);
  });

  it.each<[string, Outcome[], boolean]>([
    [
      'timed out, then was answered 500, may still land',
      [hangsUntilAborted, () => Promise.resolve(new Response('', { status: 500 }))],
      true,
    ],
    [
      'was answered 504, then 503, may still land',
      [
        () => Promise.resolve(new Response('', { status: 504 })),
        () => Promise.resolve(new Response('', { status: 503 })),
      ],
      true,
    ],
    [
      'was answered 503, then 500, is done',
      [
        () => Promise.resolve(new Response('', { status: 503 })),
        () => Promise.resolve(new Response('', { status: 500 })),
      ],
      false,
    ],
    [
      'was refused a connection, then answered 500, is done',
      [
        () => Promise.reject(networkError('ECONNREFUSED')),
        () => Promise.resolve(new Response('', { status: 500 })),
      ],
      false,
    ],
  ])(
    'remembers every attempt of a retried (idempotent) write: one that %s',
    async (_case, outcomes, expected) => {
      // Prepare: a tag write (PUT-like, idempotent) the client retries once
      const attempts = [...outcomes];
      const fetch: Outcome = (url, init) => (attempts.shift() as Outcome)(url, init);

      // Act
      const error = await createHttpClient({
        fetch: fetch as typeof globalThis.fetch,
        maxAttempts: 2,
        timeoutMs: 50,
        baseDelayMs: 1,
      })
        .request({ method: 'PUT', url: 'https://api.lever.co/v1/opportunities/o/tags', body: '{}' })
        .then(
          () => undefined,
          (failure: unknown) => toAtsError('lever', failure),
        );

      // Assess
      expect(attempts).toEqual([]);
      expect(mayStillLand(error)).toBe(expected);
    },
  );

  it('is false for an adapter refusing to send (a spent rate-limit window) and for other errors', () => {
    const paused = new AtsTransientError('greenhouse: rate-limit window spent', { adapter: 'greenhouse' });
    expect([paused, new Error('bug'), undefined].map(mayStillLand)).toEqual([false, false, false]);
  });
});
