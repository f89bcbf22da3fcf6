/**
 * Edges of the outbound HTTP client (functions/platform/http.ts) that http.test.ts leaves open: which
 * failures say a write may still land (`unansweredAttempt`, read by the worker’s ledger through
 * ats/errors.ts `mayStillLand`), and 408 as a transient status.
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import {
  createHttpClient,
  type HttpClientOptions,
  HttpTransientError,
} from '../../../functions/platform/http.js';

type Step = Response | Error;

/** A fetch that plays `steps` in order (the last one again once they run out) and counts its calls. */
const scriptedFetch = (...steps: Step[]) => {
  let calls = 0;
  const fetch = (async () => {
    const step = steps[Math.min(calls, steps.length - 1)];
    calls += 1;
    if (step instanceof Error) throw step;
    return step?.clone() ?? new Response(null, { status: 599 });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, calls: () => calls };
};

const status = (code: number) => new Response('', { status: code });

const networkError = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: { code } });

/** What an attempt’s abort looks like to the client: its hop timer’s reason. */
const timedOut = () => new DOMException('timed out after 10000 ms', 'TimeoutError');

const client = (fetch: typeof globalThis.fetch, options: HttpClientOptions = {}) =>
  createHttpClient({ fetch, sleep: async () => undefined, random: () => 0.5, maxAttempts: 3, ...options });

const failure = (promise: Promise<unknown>): Promise<HttpTransientError> =>
  promise.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (error: unknown) => error as HttpTransientError,
  );

describe('createHttpClient unansweredAttempt', () => {
  const post = { method: 'POST' as const, url: 'https://api.example.com/notes', body: '{}' };

  it.each([502, 504])(
    'says a POST answered %d by a gateway may still land (the backend may be working on it)',
    async (code) => {
      // Prepare
      const { fetch, calls } = scriptedFetch(status(code));

      // Act
      const error = await failure(client(fetch).request(post));

      // Assess
      expect(error).toBeInstanceOf(HttpTransientError);
      expect(error).toMatchObject({ status: code, unansweredAttempt: true });
      expect(calls()).toBe(1);
    },
  );

  it.each([500, 503])('says a POST answered %d by the server itself did not land', async (code) => {
    // Prepare
    const { fetch } = scriptedFetch(status(code));

    // Act
    const error = await failure(client(fetch).request(post));

    // Assess
    expect(error).toMatchObject({ name: 'HttpTransientError', status: code, unansweredAttempt: false });
  });

  it('says a POST whose connection was reset after sending may still land, and one never sent did not', async () => {
    // Prepare
    const reset = scriptedFetch(networkError('ECONNRESET'));
    const refused = scriptedFetch(networkError('ECONNREFUSED'));

    // Act
    const afterReset = await failure(client(reset.fetch).request(post));
    const afterRefused = await failure(client(refused.fetch).request(post));

    // Assess: the reset is not repeated (it may have landed); the refused one is, every attempt never sent
    expect(afterReset).toMatchObject({ name: 'HttpTransientError', unansweredAttempt: true });
    expect(reset.calls()).toBe(1);
    expect(afterRefused).toMatchObject({ name: 'HttpTransientError', unansweredAttempt: false });
    expect(refused.calls()).toBe(3);
  });

  it('keeps an earlier timed-out attempt’s doubt when a retry is answered 500', async () => {
    // Prepare: an idempotent PUT times out, then the server answers 500 twice
    const { fetch, calls } = scriptedFetch(timedOut(), status(500));

    // Act
    const error = await failure(
      client(fetch).request({ method: 'PUT', url: 'https://api.example.com/notes/1', body: '{}' }),
    );

    // Assess
    expect(error).toMatchObject({ name: 'HttpTransientError', status: 500, unansweredAttempt: true });
    expect(calls()).toBe(3);
  });
});

describe('createHttpClient 408', () => {
  it('retries a GET answered 408 Request Timeout, as transient', async () => {
    // Prepare
    const { fetch, calls } = scriptedFetch(status(408), new Response('done', { status: 200 }));

    // Act
    const response = await client(fetch).request({ method: 'GET', url: 'https://api.example.com/x' });

    // Assess
    expect(response.body).toBe('done');
    expect(calls()).toBe(2);
  });

  it('fails with a transient error, not a permanent one, once every attempt was answered 408', async () => {
    // Prepare
    const { fetch } = scriptedFetch(status(408));

    // Act
    const error = await failure(client(fetch).request({ method: 'GET', url: 'https://api.example.com/x' }));

    // Assess
    expect(error).toBeInstanceOf(HttpTransientError);
    expect(error).toMatchObject({ status: 408 });
  });
});

describe('createHttpClient endBy', () => {
  it('does not wait out a Retry-After that would end after endBy, though the request’s own deadline is longer', async () => {
    // Prepare: the invocation must end within 1 s; the request alone would allow a minute
    const { fetch, calls } = scriptedFetch(
      new Response('', { status: 503, headers: { 'retry-after': '5' } }),
      new Response('ok', { status: 200 }),
    );
    const sleeps: number[] = [];
    const http = client(fetch, {
      endBy: () => Date.now() + 1_000,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });

    // Act
    const error = await failure(
      http.request({ method: 'GET', url: 'https://api.example.com/x', deadlineMs: 60_000 }),
    );

    // Assess: the 503 is the answer, no wait was started and nothing was sent again
    expect(error).toMatchObject({ name: 'HttpTransientError', status: 503, retryAfterSeconds: 5 });
    expect(sleeps).toEqual([]);
    expect(calls()).toBe(1);
  });
});

describe('createHttpClient hop timers', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  /** A fetch whose body is a stream the test writes to, erroring when the request is aborted (as fetch does). */
  const controlledBody = () => {
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
    let signal: AbortSignal | undefined;
    const fetch = (async (_url: string, init?: RequestInit) => {
      signal = init?.signal ?? undefined;
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          controller = c;
        },
      });
      signal?.addEventListener('abort', () => controller?.error(signal?.reason));
      return new Response(body, { status: 200 });
    }) as unknown as typeof globalThis.fetch;
    return {
      fetch,
      write: (text: string) => controller?.enqueue(new TextEncoder().encode(text)),
      end: () => controller?.close(),
      aborted: () => signal?.aborted ?? false,
    };
  };

  it('stops an attempt’s timeout once a stream’s headers are in: a body longer than it is still read whole', async () => {
    // Prepare
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const source = controlledBody();
    const http = client(source.fetch, { timeoutMs: 1_000, maxAttempts: 1 });

    // Act: headers at once, then the attempt’s timeout passes before the body ends
    const response = await http.stream({ method: 'GET', url: 'https://media.example.com/a.mp4' });
    source.write('first ');
    jest.advanceTimersByTime(5_000);
    source.write('second');
    source.end();
    const chunks: Buffer[] = [];
    for await (const chunk of response.body) chunks.push(chunk as Buffer);

    // Assess
    expect(Buffer.concat(chunks).toString('utf8')).toBe('first second');
    expect(source.aborted()).toBe(false);
  });

  it('leaves no timer behind once a request’s body is read', async () => {
    // Prepare
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const { fetch } = scriptedFetch(new Response('ok', { status: 200 }));
    const http = client(fetch, { maxAttempts: 1 });

    // Act
    const response = await http.request({ method: 'GET', url: 'https://api.example.com/x' });

    // Assess: a timer left running would keep the event loop (and a tool’s process) alive for its 10 s
    expect(response.body).toBe('ok');
    expect(jest.getTimerCount()).toBe(0);
  });

  it('leaves no timer behind once a request fails to connect', async () => {
    // Prepare
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const { fetch } = scriptedFetch(networkError('ECONNREFUSED'));
    const http = client(fetch, { maxAttempts: 1 });

    // Act
    const error = await failure(http.request({ method: 'GET', url: 'https://api.example.com/x' }));

    // Assess
    expect(error).toBeInstanceOf(HttpTransientError);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('cancels the download itself when a streamed body stalls past the idle timeout', async () => {
    // Prepare: a body that sends one chunk, then nothing
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const cancelled: unknown[] = [];
    const fetch = (async () =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('first'));
          },
          cancel(reason) {
            cancelled.push(reason);
          },
        }),
        { status: 200 },
      )) as unknown as typeof globalThis.fetch;
    const http = client(fetch, { maxAttempts: 1, bodyIdleTimeoutMs: 1_000 });
    const response = await http.stream({ method: 'GET', url: 'https://media.example.com/a.mp4' });
    const reading = (async () => {
      for await (const _chunk of response.body) {
        // Reads until the body fails.
      }
    })().catch((error: unknown) => error);

    // Act: the idle timeout passes while the reader waits for the second chunk
    await jest.advanceTimersByTimeAsync(1_000);
    const error = await reading;

    // Assess: the stream fails as transient and the source is cancelled (its connection freed)
    expect(error).toBeInstanceOf(HttpTransientError);
    expect(cancelled).toHaveLength(1);
  });
});

describe('createHttpClient unreadable error pages', () => {
  it('keeps the body of an error page in a coding it does not read out of the error', async () => {
    // Prepare
    const fetch = (async () =>
      new Response('{"error":"gone"}', {
        status: 404,
        headers: { 'content-encoding': 'zstd' },
      })) as unknown as typeof globalThis.fetch;

    // Act
    const error = await client(fetch)
      .request({ method: 'GET', url: 'https://api.example.com/x' })
      .catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ name: 'HttpPermanentError', status: 404 });
    expect((error as { body: string }).body).toBe('');
  });
});
