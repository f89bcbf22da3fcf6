import { describe, expect, it, jest } from '@jest/globals';
import {
  backoffDelayMs,
  createHttpClient,
  type HttpClientOptions,
  HttpPermanentError,
  HttpTransientError,
  parseRetryAfter,
  ResponseTooLargeError,
  requestNeverSent,
  UrlRefusedError,
} from '../../../functions/platform/http.js';

type Step = Response | Error | ((init: RequestInit) => Promise<Response>);

/** A fetch that plays `steps` in order and records each call. */
const scriptedFetch = (...steps: Step[]) => {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), init: init ?? {} });
    const step = steps[Math.min(calls.length - 1, steps.length - 1)];
    if (step instanceof Error) throw step;
    if (typeof step === 'function') return step(init ?? {});
    return step?.clone() ?? new Response(null, { status: 599 });
  }) as typeof globalThis.fetch;
  return { fetch, calls };
};

const status = (code: number, headers: Record<string, string> = {}, body = '') =>
  new Response(code === 204 ? null : body, { status: code, headers });

const networkError = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: { code } });

const client = (fetch: typeof globalThis.fetch, options: HttpClientOptions = {}) => {
  const sleeps: number[] = [];
  const http = createHttpClient({
    fetch,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    baseDelayMs: 100,
    ...options,
  });
  return { http, sleeps };
};

describe('createHttpClient', () => {
  it('returns a 2xx response with its body and parsed JSON', async () => {
    // Prepare
    const { fetch, calls } = scriptedFetch(
      status(200, { 'content-type': 'application/json' }, '{"ok":true}'),
    );
    const { http } = client(fetch);

    // Act
    const response = await http.request({ method: 'POST', url: 'https://api.example.com/x', body: '{}' });

    // Assess
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ ok: true });
    expect(calls[0]?.init.method).toBe('POST');
    expect(calls[0]?.init.signal).toBeInstanceOf(AbortSignal);
  });

  it('retries a GET on 503 with full-jitter exponential backoff', async () => {
    // Prepare
    const { fetch, calls } = scriptedFetch(status(503), status(502), status(200));
    const { http, sleeps } = client(fetch);

    // Act
    const response = await http.request({ method: 'GET', url: 'https://api.example.com/x' });

    // Assess
    expect(response.status).toBe(200);
    expect(calls).toHaveLength(3);
    expect(sleeps).toEqual([50, 100]);
  });

  it('honours Retry-After in seconds and as an HTTP date on 429', async () => {
    // Prepare
    const now = Date.parse('2026-11-25T12:00:00Z');
    const { fetch } = scriptedFetch(
      status(429, { 'retry-after': '3' }),
      status(429, { 'retry-after': 'Wed, 25 Nov 2026 12:00:07 GMT' }),
      status(200),
    );
    const { http, sleeps } = client(fetch, { now: () => now });

    // Act
    await http.request({ method: 'POST', url: 'https://api.example.com/notes', body: '{}' });

    // Assess
    expect(sleeps).toEqual([3000, 7000]);
  });

  it('gives up at once, as transient with retryAfterSeconds, when Retry-After exceeds the in-process cap', async () => {
    // Prepare
    const { fetch, calls } = scriptedFetch(status(429, { 'retry-after': '120' }));
    const { http, sleeps } = client(fetch, { maxRetryAfterSeconds: 20 });

    // Act
    const attempt = http.request({ method: 'GET', url: 'https://api.example.com/x' });

    // Assess
    await expect(attempt).rejects.toMatchObject({
      name: 'HttpTransientError',
      status: 429,
      retryAfterSeconds: 120,
    });
    expect(calls).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('does not retry a 4xx and keeps the body off enumerable properties', async () => {
    // Prepare
    const { fetch, calls } = scriptedFetch(status(422, {}, '{"error":"email ada@example.com is taken"}'));
    const { http } = client(fetch);

    // Act
    const error = await http
      .request({ method: 'GET', url: 'https://api.example.com/x' })
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(HttpPermanentError);
    expect((error as HttpPermanentError).status).toBe(422);
    expect((error as HttpPermanentError).body).toContain('taken');
    expect(JSON.stringify(error)).not.toContain('ada@example.com');
    expect(calls).toHaveLength(1);
  });

  it('stops after maxAttempts and reports the last status as transient', async () => {
    // Prepare
    const { fetch, calls } = scriptedFetch(status(500));
    const { http, sleeps } = client(fetch, { maxAttempts: 3 });

    // Act
    const attempt = http.request({ method: 'GET', url: 'https://api.example.com/x' });

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'HttpTransientError', status: 500 });
    expect(calls).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
  });

  it('does not repeat a POST after a 500 or a timeout, but does after a 429 or a refused connection', async () => {
    // Prepare
    const post = { method: 'POST' as const, url: 'https://api.example.com/notes', body: '{}' };
    const after500 = scriptedFetch(status(500), status(201));
    const afterTimeout = scriptedFetch(
      (init) =>
        new Promise((_, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason))),
      status(201),
    );
    const after429 = scriptedFetch(status(429), status(201));
    const afterRefused = scriptedFetch(networkError('ECONNREFUSED'), status(201));

    // Act
    const failed500 = client(after500.fetch).http.request(post);
    const failedTimeout = client(afterTimeout.fetch, { timeoutMs: 20 }).http.request(post);
    const ok429 = await client(after429.fetch).http.request(post);
    const okRefused = await client(afterRefused.fetch).http.request(post);

    // Assess
    await expect(failed500).rejects.toBeInstanceOf(HttpTransientError);
    await expect(failedTimeout).rejects.toThrow(/timed out after 20 ms/);
    expect([after500.calls.length, afterTimeout.calls.length]).toEqual([1, 1]);
    expect([ok429.status, okRefused.status]).toEqual([201, 201]);
  });

  it('retries a POST marked idempotent after a network error', async () => {
    // Prepare
    const { fetch, calls } = scriptedFetch(networkError('ECONNRESET'), status(200));
    const { http } = client(fetch);

    // Act
    const response = await http.request({
      method: 'POST',
      url: 'https://api.example.com/rpc',
      idempotent: true,
    });

    // Assess
    expect(response.status).toBe(200);
    expect(calls).toHaveLength(2);
  });

  it('hands back statuses listed in acceptStatuses', async () => {
    // Prepare
    const { fetch } = scriptedFetch(status(404, {}, 'nope'));
    const { http } = client(fetch);

    // Act
    const response = await http.request({
      method: 'GET',
      url: 'https://api.example.com/x',
      acceptStatuses: [404],
    });

    // Assess
    expect(response.status).toBe(404);
    expect(response.body).toBe('nope');
  });

  it('names the operation without the query string in errors', async () => {
    // Prepare
    const { fetch } = scriptedFetch(status(400));
    const { http } = client(fetch);

    // Act
    const attempt = http.request({
      method: 'GET',
      url: 'https://api.example.com/v3/candidates?email=ada@example.com',
    });

    // Assess
    await expect(attempt).rejects.toThrow('GET /v3/candidates: HTTP 400');
    await expect(attempt).rejects.not.toThrow(/ada@example/);
  });

  it('runs every attempt through schedule and tells onRetry', async () => {
    // Prepare
    const { fetch } = scriptedFetch(status(503), status(200));
    const scheduled: number[] = [];
    const retries: unknown[] = [];
    const { http } = client(fetch, {
      schedule: async (attempt) => {
        const response = await attempt();
        scheduled.push(response.status);
        return response;
      },
      onRetry: (info) => retries.push(info),
    });

    // Act
    await http.request({ method: 'GET', url: 'https://api.example.com/x', operation: 'ats GET /x' });

    // Assess
    expect(scheduled).toEqual([503, 200]);
    expect(retries).toEqual([
      { operation: 'ats GET /x', attempt: 1, delayMs: 50, status: 503, reason: 'status' },
    ]);
  });

  it('ends a call whose deadline passes while it waits in schedule at the deadline, sending nothing, as never sent', async () => {
    // Prepare: a rate limiter whose turn comes only once the test lets it (a queue of earlier requests)
    const { fetch, calls } = scriptedFetch(status(201));
    let turn: () => void = () => {};
    const turnCame = new Promise<void>((resolve) => {
      turn = resolve;
    });
    let ranAfterTurn: Promise<unknown> = Promise.resolve();
    const { http } = client(fetch, {
      deadlineMs: 20,
      schedule: (attempt) => {
        const queued = turnCame.then(attempt);
        ranAfterTurn = queued.catch((error: unknown) => error);
        return queued;
      },
    });

    // Act: a POST (not idempotent), still queued when its deadline passes
    const outcome = await http
      .request({ method: 'POST', url: 'https://api.example.com/notes', body: '{}', operation: 'POST /notes' })
      .catch((error: unknown) => error);
    turn();
    const whenItsTurnCame = await ranAfterTurn;

    // Assess
    expect(outcome).toBeInstanceOf(HttpTransientError);
    expect(String(outcome)).toContain('POST /notes: deadline of 20 ms exceeded');
    expect(requestNeverSent(outcome)).toBe(true);
    expect(whenItsTurnCame).toMatchObject({ code: 'DEADLINE_BEFORE_SEND' });
    expect(calls).toHaveLength(0);
  });

  it('fails a call that starts after endBy at once, as never sent, without waiting for its turn in schedule', async () => {
    // Prepare: a rate limiter whose next turn is 1 s away; the caller's time ended 1 ms ago
    const { fetch, calls } = scriptedFetch(status(201));
    let queued = 0;
    const { http } = client(fetch, {
      endBy: () => Date.now() - 1,
      schedule: async (attempt) => {
        queued += 1;
        await new Promise((resolve) => setTimeout(resolve, 1000));
        return attempt();
      },
    });

    // Act
    const outcome = await http
      .request({ method: 'POST', url: 'https://api.example.com/notes', body: '{}', operation: 'POST /notes' })
      .catch((error: unknown) => error);

    // Assess
    expect(outcome).toBeInstanceOf(HttpTransientError);
    expect(requestNeverSent(outcome)).toBe(true);
    expect(queued).toBe(0);
    expect(calls).toHaveLength(0);
  });

  it('does not call a request that timed out after it was sent never sent', async () => {
    // Prepare: the server never answers
    const hang = (init: RequestInit) =>
      new Promise<Response>((_, reject) => {
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    const { fetch, calls } = scriptedFetch(hang);
    const { http } = client(fetch, { deadlineMs: 20, schedule: (attempt) => attempt() });

    // Act
    const outcome = await http
      .request({ method: 'POST', url: 'https://api.example.com/notes', body: '{}' })
      .catch((error: unknown) => error);

    // Assess
    expect(outcome).toBeInstanceOf(HttpTransientError);
    expect(requestNeverSent(outcome)).toBe(false);
    expect(calls).toHaveLength(1);
  });

  it('reports a body that is not JSON as permanent', async () => {
    // Prepare
    const { fetch } = scriptedFetch(status(200, {}, '<html>'));
    const { http } = client(fetch);
    const response = await http.request({ method: 'GET', url: 'https://api.example.com/x' });

    // Act
    const parse = () => response.json();

    // Assess
    expect(parse).toThrow(HttpPermanentError);
  });
});

describe('createHttpClient defaults', () => {
  it('makes 4 attempts and waits in-process for a Retry-After of up to 20 seconds', async () => {
    // Prepare
    const failing = scriptedFetch(status(500));
    const longWait = scriptedFetch(status(429, { 'retry-after': '21' }));
    const okWait = scriptedFetch(status(429, { 'retry-after': '20' }), status(200));
    const sleeps: number[] = [];
    const sleep = async (ms: number) => {
      sleeps.push(ms);
    };

    // Act
    const exhausted = createHttpClient({ fetch: failing.fetch, sleep }).request({
      method: 'GET',
      url: 'https://a.example/x',
    });
    await expect(exhausted).rejects.toBeInstanceOf(HttpTransientError);
    const tooLong = createHttpClient({ fetch: longWait.fetch, sleep }).request({
      method: 'GET',
      url: 'https://a.example/x',
    });
    await expect(tooLong).rejects.toMatchObject({ retryAfterSeconds: 21 });
    sleeps.length = 0;
    await createHttpClient({ fetch: okWait.fetch, sleep }).request({
      method: 'GET',
      url: 'https://a.example/x',
    });

    // Assess
    expect(failing.calls).toHaveLength(4);
    expect(longWait.calls).toHaveLength(1);
    expect(sleeps).toEqual([20_000]);
  });

  it('aborts an attempt after 10 seconds by default', async () => {
    // Prepare
    jest.useFakeTimers();
    const signals: AbortSignal[] = [];
    const { fetch } = scriptedFetch(
      (init) =>
        new Promise((_, reject) => {
          if (init.signal) signals.push(init.signal);
          init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
        }),
    );

    try {
      // Act
      const settled = createHttpClient({ fetch, maxAttempts: 1 })
        .request({ method: 'GET', url: 'https://a.example/x' })
        .catch((error: unknown) => error);
      await jest.advanceTimersByTimeAsync(9_999);
      const abortedEarly = signals[0]?.aborted;
      await jest.advanceTimersByTimeAsync(1);

      // Assess
      expect(abortedEarly).toBe(false);
      expect(signals[0]?.aborted).toBe(true);
      expect(await settled).toMatchObject({
        name: 'HttpTransientError',
        message: 'GET /x: timed out after 10000 ms',
      });
    } finally {
      jest.useRealTimers();
    }
  });

  it('follows at most 3 redirects and reads at most 16 MiB by default', async () => {
    // Prepare
    const redirect = (n: number) => status(302, { location: `https://a.example/${n}` });
    const threeHops = scriptedFetch(redirect(1), redirect(2), redirect(3), status(200));
    const fourHops = scriptedFetch(redirect(1), redirect(2), redirect(3), redirect(4), status(200));
    const body = (size: number) => new Response(new Uint8Array(size), { status: 200 });
    const atCap = scriptedFetch(body(16 * 1024 * 1024));
    const overCap = scriptedFetch(body(16 * 1024 * 1024 + 1));
    const get = (fetch: typeof globalThis.fetch) =>
      createHttpClient({ fetch }).request({ method: 'GET', url: 'https://a.example/0' });

    // Act
    const followed = await get(threeHops.fetch);
    const refused = await get(fourHops.fetch).catch((error: unknown) => error);
    const read = await get(atCap.fetch);
    const tooLarge = await get(overCap.fetch).catch((error: unknown) => error);

    // Assess
    expect(followed.status).toBe(200);
    expect(threeHops.calls.map((call) => call.url)).toEqual([
      'https://a.example/0',
      'https://a.example/1',
      'https://a.example/2',
      'https://a.example/3',
    ]);
    expect(refused).toMatchObject({ name: 'UrlRefusedError', reason: 'too-many-redirects' });
    expect(fourHops.calls).toHaveLength(4);
    expect(read.body).toHaveLength(16 * 1024 * 1024);
    expect(tooLarge).toMatchObject({ name: 'ResponseTooLargeError', maxBytes: 16 * 1024 * 1024 });
  });

  it('backs off from 250 ms, capped at 8 s', async () => {
    // Prepare
    const { fetch } = scriptedFetch(status(503));
    const sleeps: number[] = [];
    const http = createHttpClient({
      fetch,
      maxAttempts: 8,
      random: () => 0.999_999,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });

    // Act
    await http.request({ method: 'GET', url: 'https://a.example/x' }).catch(() => undefined);

    // Assess
    expect(sleeps).toEqual([249, 499, 999, 1999, 3999, 7999, 7999]);
  });
});

describe('createHttpClient redirects, URL policy and limits', () => {
  it('asks fetch not to follow redirects, so it decides itself', async () => {
    // Prepare
    const { fetch, calls } = scriptedFetch(status(200));
    const { http } = client(fetch);

    // Act
    await http.request({ method: 'GET', url: 'https://api.example.com/x' });

    // Assess
    expect(calls[0]?.init.redirect).toBe('manual');
  });

  it('re-checks the URL policy on every hop: scheme and allowlist', async () => {
    // Prepare
    const toHttp = scriptedFetch(status(302, { location: 'http://api.example.com/plain' }), status(200));
    const toOtherHost = scriptedFetch(status(302, { location: 'https://elsewhere.example/x' }), status(200));
    const toMetadata = scriptedFetch(
      status(302, { location: 'https://169.254.169.254/latest' }),
      status(200),
    );
    const policy = { allowedHosts: ['api.example.com', 'elsewhere-not.example', '*.aws.example.com'] };
    const get = (fetch: typeof globalThis.fetch) =>
      client(fetch, { urlPolicy: policy })
        .http.request({ method: 'GET', url: 'https://api.example.com/start' })
        .catch((error: unknown) => error);

    // Act
    const errors = [await get(toHttp.fetch), await get(toOtherHost.fetch), await get(toMetadata.fetch)];

    // Assess
    expect(errors.map((error) => (error as { reason?: unknown }).reason)).toEqual([
      'scheme',
      'host-not-allowed',
      'host-not-allowed',
    ]);
    expect([toHttp.calls.length, toOtherHost.calls.length, toMetadata.calls.length]).toEqual([1, 1, 1]);
  });

  it('refuses before sending: an invalid URL, a disallowed scheme, a private literal (never retried)', async () => {
    // Prepare
    const { fetch, calls } = scriptedFetch(status(200));
    const { http } = client(fetch, { urlPolicy: {} });

    // Act
    const errors = await Promise.all(
      ['not a url', 'http://api.example.com/x', 'https://0x7f.1/x', 'https://[::ffff:a9fe:a9fe]/x'].map(
        (url) => http.request({ method: 'GET', url }).catch((error: unknown) => error),
      ),
    );

    // Assess
    expect(errors.map((error) => (error as { reason?: unknown }).reason)).toEqual([
      'invalid-url',
      'scheme',
      'private-address',
      'private-address',
    ]);
    for (const error of errors) {
      expect(error).toBeInstanceOf(UrlRefusedError);
      expect(error).toBeInstanceOf(HttpPermanentError);
    }
    expect(calls).toHaveLength(0);
  });

  it('refuses a URL with credentials (userinfo) for good, quoting neither them nor the path', async () => {
    // Prepare: in a payload URL and in a redirect (fetch itself would throw a TypeError quoting the URL)
    const direct = scriptedFetch(status(200));
    const redirected = scriptedFetch(
      status(302, { location: 'https://user:pw@api.example.com/jane@example.com.pdf' }),
    );

    // Act
    const errors = await Promise.all([
      client(direct.fetch, { urlPolicy: {} })
        .http.request({
          method: 'GET',
          url: 'https://user:pw@api.example.com/r/jane@example.com.pdf',
          operation: 'report GET',
        })
        .catch((error: unknown) => error),
      client(redirected.fetch, { urlPolicy: {} })
        .http.request({ method: 'GET', url: 'https://api.example.com/r', operation: 'report GET' })
        .catch((error: unknown) => error),
    ]);

    // Assess
    for (const error of errors) {
      expect(error).toBeInstanceOf(UrlRefusedError);
      expect(error).toMatchObject({ reason: 'invalid-url' });
      expect(JSON.stringify(error) + String(error)).not.toMatch(/pw|jane/);
    }
    expect([direct.calls.length, redirected.calls.length]).toEqual([0, 1]);
  });

  it('names the operation and host, never the path or query, when refusing', async () => {
    // Prepare
    const { fetch } = scriptedFetch(
      status(302, { location: 'https://evil.example/steal?email=ada@example.com' }),
    );
    const { http } = client(fetch, { urlPolicy: { allowedHosts: ['api.example.com'] } });

    // Act
    const error = await http
      .request({ method: 'GET', url: 'https://api.example.com/v1/people?email=ada@example.com' })
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(UrlRefusedError);
    expect((error as Error).message).toBe(
      'GET /v1/people: URL refused (host-not-allowed): host evil.example is not allowed',
    );
    expect(JSON.stringify(error)).not.toContain('ada@');
  });

  it('refuses a Location that is not a URL', async () => {
    // Prepare
    const { fetch } = scriptedFetch(status(302, { location: 'http://[bad' }));
    const { http } = client(fetch);

    // Act
    const attempt = http.request({ method: 'GET', url: 'https://api.example.com/x' });

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'UrlRefusedError', reason: 'invalid-url' });
  });

  it('refuses a redirect status it cannot follow (no Location) and a 304: the request was not served', async () => {
    // Prepare
    const { fetch, calls } = scriptedFetch(status(302), new Response(null, { status: 304 }));
    const { http } = client(fetch);

    // Act
    const first = await http
      .request({ method: 'POST', url: 'https://api.example.com/x', body: '{}' })
      .catch((e: unknown) => e);
    const second = await http
      .request({ method: 'GET', url: 'https://api.example.com/x' })
      .catch((e: unknown) => e);

    // Assess: permanent (a 3xx is not retried), never handed back as if it were the answer
    expect([first, second]).toEqual([
      expect.objectContaining({ name: 'HttpPermanentError', status: 302 }),
      expect.objectContaining({ name: 'HttpPermanentError', status: 304 }),
    ]);
    expect(calls).toHaveLength(2);
  });

  it('honours maxRedirects and a per-request maxResponseBytes', async () => {
    // Prepare
    const redirects = scriptedFetch(status(302, { location: '/next' }), status(200));
    const big = scriptedFetch(status(200, {}, 'x'.repeat(101)));
    const declared = scriptedFetch(new Response('tiny', { headers: { 'content-length': '5000' } }));

    // Act
    const noRedirects = await client(redirects.fetch, { maxRedirects: 0 })
      .http.request({ method: 'GET', url: 'https://api.example.com/x' })
      .catch((error: unknown) => error);
    const capped = await client(big.fetch)
      .http.request({ method: 'GET', url: 'https://api.example.com/x', maxResponseBytes: 100 })
      .catch((error: unknown) => error);
    const capDeclared = await client(declared.fetch, { maxResponseBytes: 100 })
      .http.request({ method: 'GET', url: 'https://api.example.com/x' })
      .catch((error: unknown) => error);

    // Assess
    expect(noRedirects).toMatchObject({ reason: 'too-many-redirects' });
    expect(capped).toBeInstanceOf(ResponseTooLargeError);
    expect(capped).toMatchObject({
      status: 200,
      maxBytes: 100,
      message: 'GET /x: response body exceeds 100 bytes',
    });
    expect(capDeclared).toBeInstanceOf(ResponseTooLargeError);
    // Permanent: never retried.
    expect([big.calls.length, declared.calls.length]).toEqual([1, 1]);
  });

  it('judges an oversized error page by its status: a 503 stays transient and is retried', async () => {
    // Prepare
    const { fetch, calls } = scriptedFetch(status(503, {}, 'x'.repeat(200)), status(200, {}, 'ok'));
    const { http } = client(fetch, { maxResponseBytes: 100 });

    // Act
    const response = await http.request({ method: 'GET', url: 'https://api.example.com/x' });

    // Assess
    expect(response.body).toBe('ok');
    expect(calls).toHaveLength(2);
  });

  it('does not start a retry whose wait would cross the deadline', async () => {
    // Prepare
    const { fetch, calls } = scriptedFetch(status(503, { 'retry-after': '5' }), status(200));
    const { http, sleeps } = client(fetch, { deadlineMs: 2_000 });

    // Act
    const attempt = http.request({ method: 'GET', url: 'https://api.example.com/x' });

    // Assess
    await expect(attempt).rejects.toMatchObject({
      name: 'HttpTransientError',
      status: 503,
      retryAfterSeconds: 5,
    });
    expect(calls).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('keeps the BOM-dropping UTF-8 decoding of Response.text()', async () => {
    // Prepare
    const { fetch } = scriptedFetch(
      new Response(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x22, 0xc3, 0xa9, 0x22, 0x3a, 0x31, 0x7d])),
    );
    const { http } = client(fetch);

    // Act
    const response = await http.request({ method: 'GET', url: 'https://api.example.com/x' });

    // Assess
    expect(response.json()).toEqual({ é: 1 });
  });
});

describe('parseRetryAfter', () => {
  it.each([
    ['5', 5],
    [' 0 ', 0],
    ['Wed, 25 Nov 2026 12:00:30 GMT', 30],
    ['Wed, 25 Nov 2026 11:00:00 GMT', 0],
    ['1.5', 2],
    ['-1', undefined],
    ['+3', undefined],
    ['1.2.3', undefined],
    ['soon', undefined],
    ['', undefined],
    [null, undefined],
  ])('reads %p as %p seconds', (value, expected) => {
    // Act
    const seconds = parseRetryAfter(value, Date.parse('2026-11-25T12:00:00Z'));

    // Assess
    expect(seconds).toBe(expected);
  });
});

describe('backoffDelayMs', () => {
  it('grows exponentially, is capped, and spreads over [0, cap) with full jitter', () => {
    // Act
    const top = [1, 2, 3, 10].map((attempt) => backoffDelayMs(attempt, 100, 1000, () => 0.999));
    const bottom = backoffDelayMs(3, 100, 1000, () => 0);

    // Assess
    expect(top).toEqual([99, 199, 399, 999]);
    expect(bottom).toBe(0);
  });
});
